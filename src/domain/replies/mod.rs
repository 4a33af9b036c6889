//! Replies: a card's thread, oldest first. A reply is readable exactly when
//! its card is (a private card's thread is a 404 to others); any signed-in
//! reader of the card may reply; the author (or staff) edits; the author, the
//! card's owner or staff delete. Deleting the card or the author deletes the
//! reply (foreign keys cascade).

pub mod rows;

use entity::reply;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Unchanged, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

pub use rows::ReplyView;

use self::rows::{ReplyRow, shown};
use crate::{
    domain::{
        Ctx,
        actor::{Actor, AuthUser},
        cards::{self, CardView},
        feed::bus::{ChangeKind, ReplyChange},
        input::{Field, NUL, non_blank},
        pagination::{self, KeyColumns, Page, PageRequest},
        time::now,
    },
    error::{AppError, Result, Validator},
};

pub const BODY_MAX: usize = 2000;

/// The fields of a reply; `body` is required on create and PUT.
#[derive(Debug, Default, Clone)]
pub struct ReplyInput {
    pub body: Field<String>,
}

/// The body, trimmed: 1–2000 characters, no NUL.
fn valid_body(input: ReplyInput, required: bool) -> Result<Option<String>> {
    let mut v = Validator::new();
    if !required && input.body.is_absent() {
        return Ok(None);
    }
    let body = v
        .check("body", non_blank(input.body.as_deref()))
        .and_then(|b| {
            if b.contains('\0') {
                v.add("body", NUL);
                None
            } else if b.chars().count() > BODY_MAX {
                v.add(
                    "body",
                    format!("Ensure this field has no more than {BODY_MAX} characters."),
                );
                None
            } else {
                Some(b.to_string())
            }
        });
    v.finish()?;
    Ok(body)
}

/// A reply by id, with its card, when the caller may read the card; with
/// `card_id`, the reply must belong to that card.
async fn load(
    ctx: &Ctx,
    actor: &Actor,
    card_id: Option<Uuid>,
    id: Uuid,
) -> Result<Option<(ReplyView, CardView)>> {
    let Some(reply) = shown(reply::Entity::find_by_id(id))
        .one(&ctx.db)
        .await?
        .map(ReplyRow::into_view)
        .filter(|r| card_id.is_none_or(|c| c == r.card_id))
    else {
        return Ok(None);
    };
    Ok(cards::get(ctx, actor, reply.card_id)
        .await?
        .map(|card| (reply, card)))
}

/// Replies to a card as the caller.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    card_id: Uuid,
    input: ReplyInput,
) -> Result<ReplyView> {
    let me = actor.require()?;
    let card = cards::readable(ctx, actor, card_id).await?;
    let body = valid_body(input, true)?.unwrap_or_default();
    let at = now();
    let reply = reply::ActiveModel {
        id: Set(Uuid::now_v7()),
        card_id: Set(card_id),
        author_id: Set(me.user.id),
        body: Set(body),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&ctx.db)
    .await
    .map_err(|e| match e.sql_err() {
        // The card was deleted since it was read.
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => AppError::NotFound,
        _ => e.into(),
    })?;
    let view = ReplyView::new(reply, me.user.username.clone());
    announce(ctx, ChangeKind::Created, &card, view.id, Some(&view)).await;
    Ok(view)
}

/// Tells the live thread and the feed (the card's count changed, except on
/// an edit) about a committed change.
async fn announce(
    ctx: &Ctx,
    kind: ChangeKind,
    card: &CardView,
    reply_id: Uuid,
    reply: Option<&ReplyView>,
) {
    let change = ReplyChange {
        kind,
        card_id: card.id,
        reply_id,
        owner_id: card.owner_id,
        visibility: card.visibility,
    };
    ctx.bus.reply_changed(change, reply.cloned()).await;
    if kind != ChangeKind::Updated {
        ctx.bus.card_touched(card.id).await;
    }
}

/// A reply the caller may read (`card_id`: it must belong to that card).
pub async fn get(
    ctx: &Ctx,
    actor: &Actor,
    card_id: Option<Uuid>,
    id: Uuid,
) -> Result<Option<ReplyView>> {
    Ok(load(ctx, actor, card_id, id).await?.map(|(r, _)| r))
}

/// One page of a card's thread (404 when the caller may not read the card).
pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    card_id: Uuid,
    page: &PageRequest,
) -> Result<Page<ReplyView>> {
    cards::readable(ctx, actor, card_id).await?;
    let select = reply::Entity::find().filter(reply::Column::CardId.eq(card_id));
    let keys = KeyColumns {
        created_at: reply::Column::CreatedAt,
        id: reply::Column::Id,
    };
    let (select, plan) = pagination::plan(select, keys, page);
    let rows = shown(select).all(&ctx.db).await?;
    Ok(plan.finish(rows).map(ReplyRow::into_view))
}

/// The first page of each of these cards' threads (`limit` replies in
/// `ordering`), in one statement. The caller has read these cards (as for
/// `reactions::summaries`): the ids come from cards shown to them.
pub async fn first_pages(
    ctx: &Ctx,
    card_ids: &[Uuid],
    limit: u64,
    ordering: pagination::Ordering,
) -> Result<std::collections::HashMap<Uuid, Page<ReplyView>>> {
    rows::first_pages(&ctx.db, card_ids, limit, ordering).await
}

/// May `me` edit (`delete`: or delete) this reply on this card?
fn check_write(me: &AuthUser, reply: &ReplyView, card: &CardView, delete: bool) -> Result<()> {
    let author = reply.author_id == me.user.id;
    let card_owner = delete && card.owner_id == me.user.id;
    if author || card_owner || me.user.is_staff {
        Ok(())
    } else {
        Err(AppError::PermissionDenied)
    }
}

/// Edits a reply: `full` (PUT) requires the body.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    card_id: Option<Uuid>,
    id: Uuid,
    input: ReplyInput,
    full: bool,
) -> Result<ReplyView> {
    let me = actor.require()?;
    let (current, card) = load(ctx, actor, card_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_write(me, &current, &card, false)?;
    let Some(body) = valid_body(input, full)? else {
        return Ok(current);
    };
    let updated = reply::ActiveModel {
        id: Unchanged(current.id),
        body: Set(body),
        updated_at: Set(now()),
        ..Default::default()
    }
    .update(&ctx.db)
    .await
    .map_err(|e| match e {
        DbErr::RecordNotUpdated => AppError::NotFound,
        other => other.into(),
    })?;
    let view = ReplyView::new(updated, current.author_username);
    announce(ctx, ChangeKind::Updated, &card, view.id, Some(&view)).await;
    Ok(view)
}

/// Deletes a reply (its author, the card's owner, or staff).
pub async fn delete(ctx: &Ctx, actor: &Actor, card_id: Option<Uuid>, id: Uuid) -> Result<()> {
    let me = actor.require()?;
    let (reply, card) = load(ctx, actor, card_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_write(me, &reply, &card, true)?;
    let deleted = reply::Entity::delete_by_id(reply.id).exec(&ctx.db).await?;
    if deleted.rows_affected > 0 {
        announce(ctx, ChangeKind::Deleted, &card, reply.id, None).await;
    }
    Ok(())
}

/// The position of a reply in its thread (its cursor).
pub fn position(r: &ReplyView) -> pagination::Position {
    pagination::Position {
        created_at: r.created_at.0,
        id: r.id,
    }
}
