//! Reaction mutations: they answer with the card, its summary as the caller
//! now sees it.

use async_graphql::{Context, ID, Object, Result};

use super::{
    context::{actor, domain, mutation_id},
    objects::Card,
};
use crate::{
    domain::{input::Field, reactions},
    error::GqlResult,
};

#[derive(Default)]
pub struct ReactionMutation;

#[Object]
impl ReactionMutation {
    /// Adds the caller's reaction to a card they may read (adding it again
    /// changes nothing). `emoji`: one grapheme cluster of at most 16 bytes,
    /// no whitespace or control character.
    async fn add_reaction(&self, ctx: &Context<'_>, card_id: ID, emoji: String) -> Result<Card> {
        let card_id = mutation_id(&card_id)?;
        let (ctx, actor) = (domain(ctx), actor(ctx).await?);
        let added = reactions::add(ctx, actor, card_id, Field::Value(emoji.as_str()))
            .await
            .gql()?;
        let card = reactions::attach_one(ctx, actor, added.card).await.gql()?;
        Ok(Card(card))
    }

    /// Removes the caller's reaction (having none is fine).
    async fn remove_reaction(&self, ctx: &Context<'_>, card_id: ID, emoji: String) -> Result<Card> {
        let card_id = mutation_id(&card_id)?;
        let (ctx, actor) = (domain(ctx), actor(ctx).await?);
        let card = reactions::remove(ctx, actor, card_id, Field::Value(emoji.as_str()))
            .await
            .gql()?;
        let card = reactions::attach_one(ctx, actor, card).await.gql()?;
        Ok(Card(card))
    }
}
