//! One integration-test binary: every area of the API, over real HTTP.

mod helpers;

mod auth_graphql;
mod auth_rest;
mod openapi;
mod parity;
mod platform;
mod startup;
