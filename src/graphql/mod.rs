//! The GraphQL front door: schema assembly, HTTP handlers and thin resolvers.

pub mod auth;
pub mod http;
pub mod scalars;
pub mod schema;
pub mod users;

pub use schema::{AppSchema, build_schema, sdl};

use async_graphql::Context;

use crate::{auth::Actor, state::AppState};

/// The application state from a resolver's context.
pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The caller, as resolved by the HTTP handler (anonymous when absent).
pub(crate) fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    static ANONYMOUS: Actor = Actor(None);
    ctx.data_opt::<Actor>().unwrap_or(&ANONYMOUS)
}
