//! Schema assembly in one place: roots, limits, shared data.

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use super::{
    auth::AuthMutation,
    cards::{CardMutation, CardQuery},
    feed::FeedSubscription,
    profiles::{ProfileMutation, ProfileQuery},
    reactions::ReactionMutation,
    replies::{ReplyMutation, ReplySubscription},
    users::UserQuery,
};
use crate::domain::Ctx;

#[derive(MergedObject, Default)]
pub struct Query(UserQuery, ProfileQuery, CardQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    ProfileMutation,
    CardMutation,
    ReplyMutation,
    ReactionMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(FeedSubscription, ReplySubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Depth that still admits the standard introspection query.
pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 10_000;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    // No extensions: with any, async-graphql runs every field through the
    // extension chain. Persisted queries, text limits and error codes are
    // `engine.rs`'s, around the schema.
}

/// The executable schema, with the domain's context for resolvers.
pub fn build_schema(ctx: Ctx) -> AppSchema {
    builder().data(ctx).finish()
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
