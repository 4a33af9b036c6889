//! The GraphQL front door: schema assembly, HTTP handlers and thin resolvers.

pub mod auth;
pub mod cards;
pub mod context;
mod documents;
pub mod engine;
pub mod feed;
pub mod http;
pub mod inputs;
pub mod limits;
pub mod loaders;
pub mod nulls;
pub mod objects;
pub mod pagination;
pub mod profiles;
pub mod reactions;
pub mod replies;
pub mod scalars;
pub mod schema;
pub mod threads;
pub mod users;
pub mod ws;

pub use engine::{Engine, build_engine};
pub use schema::{AppSchema, build_schema, sdl};
