//! Reactions: a user's emoji on a card, at most one per user, emoji and card
//! (adding it again changes nothing). Readable exactly when the card is; any
//! signed-in reader of the card may react. Deleting the card or the user
//! deletes them (foreign keys cascade). Per-emoji counts are never stored: a
//! page's summaries are one grouped statement over the table's key, asked
//! only for cards with any reaction (`cards.reaction_count`, kept by triggers).

pub mod summary;

use std::collections::HashMap;

use entity::reaction;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

pub use self::summary::{CardReactions, ReactionSummary, sort, valid_emoji};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        cards::{self, CardView},
        input::Field,
        time::now,
    },
    error::{AppError, Result, Validator},
};

/// The emoji of a request, checked against the rule.
fn emoji_of(emoji: Field<&str>) -> Result<String> {
    let mut v = Validator::new();
    let emoji = v.check("emoji", valid_emoji(emoji)).map(str::to_string);
    v.finish()?;
    Ok(emoji.unwrap_or_default())
}

/// What an add did, and the emoji's summary after it.
#[derive(Debug, Clone)]
pub struct Added {
    pub summary: ReactionSummary,
    /// `false`: the caller already had this reaction.
    pub created: bool,
    /// The card (its fields other than the reactions are unchanged by one).
    pub card: CardView,
}

/// Adds the caller's reaction to a card; adding it again changes nothing.
pub async fn add(ctx: &Ctx, actor: &Actor, card_id: Uuid, emoji: Field<&str>) -> Result<Added> {
    let me = actor.require()?;
    let emoji = emoji_of(emoji)?;
    let mut card = cards::readable(ctx, actor, card_id).await?;
    let row = reaction::ActiveModel {
        card_id: Set(card_id),
        emoji: Set(emoji.clone()),
        user_id: Set(me.user.id),
        created_at: Set(now()),
    };
    let inserted = reaction::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                reaction::Column::CardId,
                reaction::Column::Emoji,
                reaction::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&ctx.db)
        .await
        .map_err(|e| match e.sql_err() {
            // The card was deleted since it was read.
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => AppError::NotFound,
            _ => e.into(),
        })?;
    let count = reaction::Entity::find()
        .filter(reaction::Column::CardId.eq(card_id))
        .filter(reaction::Column::Emoji.eq(emoji.as_str()))
        .count(&ctx.db)
        .await?;
    if inserted > 0 {
        ctx.bus.card_touched(card_id).await;
    }
    // Read before the reaction: it has at least the caller's now.
    card.reaction_count = Ord::max(card.reaction_count, count);
    Ok(Added {
        summary: ReactionSummary {
            emoji,
            count,
            reacted: true,
        },
        created: inserted > 0,
        card,
    })
}

/// Removes the caller's reaction (nothing to remove is fine); returns the card.
pub async fn remove(
    ctx: &Ctx,
    actor: &Actor,
    card_id: Uuid,
    emoji: Field<&str>,
) -> Result<CardView> {
    let me = actor.require()?;
    let emoji = emoji_of(emoji)?;
    let card = cards::readable(ctx, actor, card_id).await?;
    let deleted = reaction::Entity::delete_many()
        .filter(reaction::Column::CardId.eq(card_id))
        .filter(reaction::Column::Emoji.eq(emoji.as_str()))
        .filter(reaction::Column::UserId.eq(me.user.id))
        .exec(&ctx.db)
        .await?;
    if deleted.rows_affected > 0 {
        ctx.bus.card_touched(card_id).await;
    }
    Ok(card)
}

/// The summaries of these cards as the caller sees them, in one statement
/// (cards without reactions are absent). The caller has read the cards.
pub async fn summaries(
    ctx: &Ctx,
    actor: &Actor,
    card_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<ReactionSummary>>> {
    if card_ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Nobody's id is nil: an anonymous reader has reacted to nothing.
    let me = actor.user_id().unwrap_or(Uuid::nil());
    let rows = reaction::Entity::find()
        .select_only()
        .column(reaction::Column::CardId)
        .column(reaction::Column::Emoji)
        .column_as(Expr::col(reaction::Column::UserId).count(), "count")
        .column_as(
            Expr::expr(Expr::case(reaction::Column::UserId.eq(me), 1)).count(),
            "reacted",
        )
        .filter(reaction::Column::CardId.is_in(card_ids.iter().copied()))
        .group_by(reaction::Column::CardId)
        .group_by(reaction::Column::Emoji)
        .into_tuple::<(Uuid, String, i64, i64)>()
        .all(&ctx.db)
        .await?;
    let mut by_card: HashMap<Uuid, Vec<ReactionSummary>> = HashMap::new();
    for (card_id, emoji, count, reacted) in rows {
        by_card.entry(card_id).or_default().push(ReactionSummary {
            emoji,
            count: u64::try_from(count).unwrap_or(0),
            reacted: reacted > 0,
        });
    }
    for summary in by_card.values_mut() {
        sort(summary);
    }
    Ok(by_card)
}

/// These cards with their summaries as the caller sees them: one statement,
/// none when no card among them has a reaction.
pub async fn attach(ctx: &Ctx, actor: &Actor, cards: &mut [CardView]) -> Result<()> {
    let ids: Vec<Uuid> = cards
        .iter()
        .filter(|c| c.known_reactions().is_none())
        .map(|c| c.id)
        .collect();
    let mut found = summaries(ctx, actor, &ids).await?;
    // Cards not asked for have no reaction: empty.
    for card in cards.iter_mut().filter(|c| c.reactions.is_none()) {
        card.reactions = Some(found.remove(&card.id).unwrap_or_default());
    }
    Ok(())
}

/// One card with its summary as the caller sees it.
pub async fn attach_one(ctx: &Ctx, actor: &Actor, mut card: CardView) -> Result<CardView> {
    attach(ctx, actor, std::slice::from_mut(&mut card)).await?;
    Ok(card)
}
