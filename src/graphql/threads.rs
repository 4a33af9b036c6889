//! How a card's conversation is read in GraphQL — its reaction summary and
//! the pages of its thread — through the request's loaders, so a page of
//! cards costs one statement for all their summaries and one for the start
//! of all their threads. Kept apart from the object types, which call it.

use std::collections::HashSet;

use async_graphql::{Context, Result, SelectionField, SimpleObject, Value, dataloader::Loader};
use uuid::Uuid;

use super::loaders::{Loaders, ThreadStart};
use crate::{
    domain::{
        cards::CardView,
        pagination::{Ordering, Page, PageRequest, connection_size},
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
    let summary = match card.known_reactions() {
        Some(known) => known.to_vec(),
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
    card: &CardView,
    req: &PageRequest,
) -> Result<Page<ReplyView>> {
    let card_id = card.id;
    let Some(limit) = req.first_page_size() else {
        return replies::list(
            super::context::domain(ctx),
            super::context::actor(ctx).await?,
            card_id,
            req,
        )
        .await
        .gql();
    };
    if card.reply_count == 0 {
        return Ok(empty_page());
    }
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
        .unwrap_or_else(empty_page))
}

fn empty_page() -> Page<ReplyView> {
    Page {
        items: Vec::new(),
        has_next: false,
        has_previous: false,
    }
}

/// The first-page shape `(limit, ordering)` of a `replies(...)` selection,
/// or `None` when it asks for another page (or its arguments are wrong: the
/// resolver reports that).
fn first_page_shape(field: &SelectionField<'_>) -> Option<(u64, Ordering)> {
    let mut first = None;
    let mut ordering = Ordering::OldestFirst;
    for (name, value) in field.arguments().ok()? {
        match (name.as_str(), value) {
            ("first", Value::Number(n)) => {
                first = connection_size("first", n.as_i64().map(|n| n as i32)).ok()?;
            }
            ("first" | "after" | "last" | "before" | "orderBy", Value::Null) => {}
            ("orderBy", Value::Object(o)) => {
                if matches!(o.get("direction"), Some(Value::Enum(d)) if d.as_str() == "DESC") {
                    ordering = Ordering::NewestFirst;
                }
            }
            _ => return None,
        }
    }
    let req = PageRequest {
        first,
        after: None,
        before: None,
        last: None,
        ordering,
    };
    req.first_page_size().map(|limit| (limit, ordering))
}

/// Does the selection ask for an `author` anywhere below it?
fn wants_author(field: &SelectionField<'_>) -> bool {
    field
        .selection_set()
        .any(|f| f.name() == "author" || wants_author(&f))
}

/// Primes the loaders for a page of cards with what the query selects of
/// their conversations — the reaction summaries, the first page of each
/// thread, the replies' authors — one statement each, so a page costs the
/// same however the resolvers' batches happen to be timed.
pub async fn prime(ctx: &Context<'_>, cards: &[CardView]) -> Result<()> {
    if cards.is_empty() {
        return Ok(());
    }
    // Cards without replies have an empty thread without asking.
    let card_ids: Vec<Uuid> = cards
        .iter()
        .filter(|c| c.reply_count > 0)
        .map(|c| c.id)
        .collect();
    let look = ctx.look_ahead();
    let node_sets = [look.field("nodes"), look.field("edges").field("node")];
    let loaders = Loaders::of(ctx);
    let reacted: Vec<Uuid> = cards
        .iter()
        .filter(|c| c.known_reactions().is_none())
        .map(|c| c.id)
        .collect();
    if !reacted.is_empty() && node_sets.iter().any(|n| n.field("reactions").exists()) {
        let found = loaders.reactions.loader().load(&reacted).await.gql()?;
        loaders.reactions.feed_many(found).await;
    }
    let mut shapes = HashSet::new();
    let mut authors_wanted = false;
    for nodes in &node_sets {
        for field in nodes.field("replies").selection_fields() {
            if let Some(shape) = first_page_shape(&field) {
                shapes.insert(shape);
                authors_wanted |= wants_author(&field);
            }
        }
    }
    let mut authors = HashSet::new();
    if card_ids.is_empty() {
        shapes.clear();
    }
    for (limit, ordering) in shapes {
        let keys: Vec<ThreadStart> = card_ids
            .iter()
            .map(|&card_id| ThreadStart {
                card_id,
                limit,
                ordering,
            })
            .collect();
        let pages = loaders.threads.loader().load(&keys).await.gql()?;
        authors.extend(
            pages
                .values()
                .flat_map(|p| p.items.iter().map(|r| r.author_id)),
        );
        loaders.threads.feed_many(pages).await;
    }
    if authors_wanted && !authors.is_empty() {
        let ids: Vec<Uuid> = authors.into_iter().collect();
        let users = loaders.users.loader().load(&ids).await.gql()?;
        loaders.users.feed_many(users).await;
    }
    Ok(())
}
