//! How a card's conversation is read in GraphQL — its reaction summary and
//! the pages of its thread — through the request's loaders, so a page of
//! cards costs one statement for all their summaries and one for the start
//! of all their threads. Kept apart from the object types, which call it.

use async_graphql::{Context, Result, SimpleObject};
use uuid::Uuid;

use super::loaders::{Loaders, ThreadStart};
use crate::{
    domain::{
        cards::CardView,
        pagination::{Page, PageRequest},
        reactions::ReactionSummary,
        replies::{self, ReplyView},
    },
    error::GqlResult,
};

/// One emoji of a card's reactions, as the caller sees it.
#[derive(SimpleObject)]
#[graphql(name = "ReactionSummary")]
pub struct ReactionSummaryGql {
    emoji: String,
    /// How many users reacted with it.
    count: u64,
    /// Whether the caller has this reaction.
    reacted: bool,
}

impl From<ReactionSummary> for ReactionSummaryGql {
    fn from(r: ReactionSummary) -> Self {
        Self {
            emoji: r.emoji,
            count: r.count,
            reacted: r.reacted,
        }
    }
}

/// The card's reactions: as they came with it (a mutation's result, a live
/// event), or batched across the page.
pub async fn reactions_of(ctx: &Context<'_>, card: &CardView) -> Result<Vec<ReactionSummaryGql>> {
    let summary = match &card.reactions {
        Some(known) => known.clone(),
        None => Loaders::of(ctx)
            .reactions
            .load_one(card.id)
            .await
            .gql()?
            .unwrap_or_default(),
    };
    Ok(summary.into_iter().map(Into::into).collect())
}

/// One page of the thread of a card the caller has read: a first page is
/// batched across the cards of the request; a page after a cursor is read
/// on its own (the thread's readability checked again).
pub async fn replies_of(
    ctx: &Context<'_>,
    card_id: Uuid,
    req: &PageRequest,
) -> Result<Page<ReplyView>> {
    let Some(limit) = req.first_page_size() else {
        return replies::list(
            super::context::domain(ctx),
            super::context::actor(ctx),
            card_id,
            req,
        )
        .await
        .gql();
    };
    let key = ThreadStart {
        card_id,
        limit,
        ordering: req.ordering,
    };
    Ok(Loaders::of(ctx)
        .threads
        .load_one(key)
        .await
        .gql()?
        .unwrap_or(Page {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
        }))
}
