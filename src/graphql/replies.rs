//! Reply mutations (threads are read through `Card.replies`).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::{
    context::{actor, domain, field, mutation_id},
    objects::Reply,
};
use crate::{
    domain::{
        input::Field,
        replies::{self, ReplyInput},
    },
    error::GqlResult,
};

#[derive(InputObject)]
#[graphql(name = "CreateReplyInput")]
pub struct CreateReplyInputGql {
    body: String,
}

/// Only a given body changes; it may not be null.
#[derive(InputObject)]
#[graphql(name = "UpdateReplyInput")]
pub struct UpdateReplyInputGql {
    body: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct ReplyMutation;

#[Object]
impl ReplyMutation {
    /// Replies to a card the caller may read.
    async fn create_reply(
        &self,
        ctx: &Context<'_>,
        card_id: ID,
        input: CreateReplyInputGql,
    ) -> Result<Reply> {
        let card_id = mutation_id(&card_id)?;
        let input = ReplyInput {
            body: Field::Value(input.body),
        };
        replies::create(domain(ctx), actor(ctx), card_id, input)
            .await
            .map(Reply)
            .gql()
    }

    /// Edits a reply (its author or staff).
    async fn update_reply(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateReplyInputGql,
    ) -> Result<Reply> {
        let id = mutation_id(&id)?;
        let input = ReplyInput {
            body: field(input.body),
        };
        replies::update(domain(ctx), actor(ctx), None, id, input, false)
            .await
            .map(Reply)
            .gql()
    }

    /// Deletes a reply (its author, the card's owner, or staff); returns its id.
    async fn delete_reply(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let uuid = mutation_id(&id)?;
        replies::delete(domain(ctx), actor(ctx), None, uuid)
            .await
            .gql()?;
        Ok(id)
    }
}
