//! Spider Web: the backend of a chat-box / info website. GraphQL first, with a
//! REST compatibility layer; both doors call the same domain operations.
//!
//! The house, from the ground up (a module imports only those below it):
//! `error`, `config`, `auth` (hashing, token codecs), `throttle` and `mail`
//! (the outbox's delivery); `domain`
//! (every rule, over [`domain::Ctx`]); `state`; `http` (what both doors
//! share); the doors `rest` and `graphql`, and the page `web`; `app` (the
//! router) and `server` (the accept loop).

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod mail;
pub mod rest;
pub mod secret;
pub mod server;
pub mod state;
pub mod throttle;
pub mod web;

pub use app::router;
pub use config::Config;
pub use error::BoxError;
pub use server::{Application, build_state, shutdown_signal};
