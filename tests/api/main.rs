//! One integration-test binary: every area of the API, over real HTTP.

mod helpers;

mod abuse;
mod accounts_mail;
mod architecture;
mod auth_graphql;
mod auth_rest;
mod backup;
mod batching;
mod cards;
mod docs;
mod feed;
mod fuzz;
mod graphql_http;
mod hardening;
mod mail_catcher;
mod metrics;
mod nulls;
mod openapi;
mod pagination;
mod parity;
mod platform;
mod profiles;
mod reactions;
mod replies;
mod resource_parity;
mod shared_limits;
mod startup;
mod threads_live;
mod ws_client;
