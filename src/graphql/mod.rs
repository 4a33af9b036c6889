//! The GraphQL front door: schema assembly, HTTP handlers and thin resolvers.

pub mod auth;
pub mod cards;
pub mod feed;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod pagination;
pub mod profiles;
pub mod scalars;
pub mod schema;
pub mod users;
pub mod ws;

pub use schema::{AppSchema, build_schema, sdl};

use async_graphql::Context;

use crate::{auth::Actor, state::AppState};

/// The application state from a resolver's context.
pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The client's address, as resolved by the HTTP or WebSocket handler.
pub(crate) fn client(ctx: &Context<'_>) -> crate::client::ClientIp {
    ctx.data_opt::<crate::client::ClientIp>()
        .copied()
        .unwrap_or(crate::client::ClientIp(
            std::net::Ipv4Addr::UNSPECIFIED.into(),
        ))
}

/// The caller, as resolved by the HTTP handler (anonymous when absent).
pub(crate) fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    static ANONYMOUS: Actor = Actor(None);
    ctx.data_opt::<Actor>().unwrap_or(&ANONYMOUS)
}

/// An id argument of a query: one that is not a UUID names nothing (null).
pub(crate) fn query_id(id: &async_graphql::ID) -> Option<uuid::Uuid> {
    uuid::Uuid::try_parse(id).ok()
}

/// An id argument of a mutation: one that is not a UUID is `NOT_FOUND`.
pub(crate) fn mutation_id(id: &async_graphql::ID) -> async_graphql::Result<uuid::Uuid> {
    query_id(id).ok_or_else(|| crate::error::AppError::NotFound.into_graphql())
}
