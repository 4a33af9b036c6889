//! Cards: short titled posts. Validation, who may read and change them, and
//! the queries of the lists.

mod filter;
pub mod rows;
pub mod view;

use entity::card;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Unchanged, ColumnTrait, Condition, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, Select, Set,
};
use uuid::Uuid;

pub use filter::{CardFilter, parse_owner_filter, parse_visibility_filter};
pub use view::{CardView, Visibility, VisibilityChoice};

use self::{
    rows::{
        CardOwnerProfileRow, CardOwnerRow, CardRow, load_claimed, load_view, shown, with_owner,
        with_owner_profile,
    },
    view::{may_read, may_read_condition},
};
use crate::{
    domain::{
        Ctx,
        actor::{Actor, AuthUser, User},
        feed::bus::{CardChange, ChangeKind},
        input::{Field, NOT_NULL, NUL, non_blank},
        pagination::{self, KeyColumns, Page, PageRequest},
        profiles::ProfileView,
        search,
        sessions::Caller,
        time::now,
    },
    error::{AppError, Result, Validator},
};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;

/// Fields of a create or update.
#[derive(Debug, Default, Clone)]
pub struct CardInput {
    pub title: Field<String>,
    pub body: Field<String>,
    pub visibility: Field<VisibilityChoice>,
}

/// May `actor` change `card`? Anonymous: 401; unreadable: 404; not owner: 403.
fn check_write<'a>(card: &CardView, actor: &'a Actor) -> Result<&'a AuthUser> {
    let me = actor.require()?;
    if !may_read(actor, card.owner_id, card.visibility) {
        return Err(AppError::NotFound);
    }
    if card.owner_id != me.user.id && !me.user.is_staff {
        return Err(AppError::PermissionDenied);
    }
    Ok(me)
}

/// Validated field values: `None` for fields not given.
struct Valid {
    title: Option<String>,
    body: Option<String>,
    visibility: Option<Visibility>,
}

/// Checks the fields given; `title_required` on create and PUT.
fn validate(input: CardInput, title_required: bool) -> Result<Valid> {
    let mut v = Validator::new();
    let title = if title_required || !input.title.is_absent() {
        v.check("title", non_blank(input.title.as_deref()))
            .and_then(|t| {
                if t.chars().count() > TITLE_MAX {
                    v.add(
                        "title",
                        format!("Ensure this field has no more than {TITLE_MAX} characters."),
                    );
                    None
                } else {
                    Some(t.to_string())
                }
            })
    } else {
        None
    };
    let body = match input.body {
        Field::Absent => None,
        Field::Null => {
            v.add("body", NOT_NULL);
            None
        }
        Field::Value(b) if b.contains('\0') => {
            v.add("body", NUL);
            None
        }
        Field::Value(b) if b.chars().count() > BODY_MAX => {
            v.add(
                "body",
                format!("Ensure this field has no more than {BODY_MAX} characters."),
            );
            None
        }
        Field::Value(b) => Some(b),
    };
    let visibility = match input.visibility {
        Field::Absent => None,
        Field::Null => {
            v.add("visibility", NOT_NULL);
            None
        }
        Field::Value(VisibilityChoice::Valid(vis)) => Some(vis),
        Field::Value(VisibilityChoice::Invalid(s)) => {
            v.add("visibility", format!("\"{s}\" is not a valid choice."));
            None
        }
    };
    v.finish()?;
    Ok(Valid {
        title,
        body,
        visibility,
    })
}

/// Posts a card as the caller.
pub async fn create(ctx: &Ctx, actor: &Actor, input: CardInput) -> Result<CardView> {
    let me = actor.require()?;
    let valid = validate(input, true)?;
    let at = now();
    let (title, body) = (
        valid.title.unwrap_or_default(),
        valid.body.unwrap_or_default(),
    );
    let card = card::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(me.user.id),
        title_folded: Set(search::fold(&title)),
        body_folded: Set(search::fold(&body)),
        title: Set(title),
        body: Set(body),
        visibility: Set(valid
            .visibility
            .unwrap_or(Visibility::Public)
            .as_str()
            .to_string()),
        created_at: Set(at),
        updated_at: Set(at),
        reply_count: Set(0),
        reaction_count: Set(0),
    }
    .insert(&ctx.db)
    .await?;
    let view = CardView {
        // A new card has no reactions yet.
        reactions: Some(Vec::new()),
        ..CardView::new(card, me.user.username.clone())
    };
    let change = CardChange {
        kind: ChangeKind::Created,
        card_id: view.id,
        owner_id: view.owner_id,
        before: None,
        after: Some(view.visibility),
    };
    ctx.bus.card_changed(change, Some(view.clone())).await;
    Ok(view)
}

/// A card the caller may read; `None` when it does not exist or is hidden.
pub async fn get(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<Option<CardView>> {
    Ok(load_view(&ctx.db, id)
        .await?
        .filter(|c| may_read(actor, c.owner_id, c.visibility)))
}

/// [`get_with_owner`] for a caller that may still be only claimed: then the
/// session check and the read are one statement (the hot path of an
/// authenticated card read, REST or GraphQL). Returns the checked caller too.
pub async fn get_as(
    ctx: &Ctx,
    caller: &Caller,
    id: Uuid,
) -> Result<(Actor, Option<(CardView, Option<User>)>)> {
    let (actor, card) = match caller.unchecked() {
        Some(claim) => {
            let (auth, card) = load_claimed(&ctx.db, claim, id).await?;
            (caller.checked(auth), card)
        }
        None => {
            let actor = caller.actor(ctx).await?.clone();
            let card = with_owner(card::Entity::find_by_id(id))
                .one(&ctx.db)
                .await?
                .map(CardOwnerRow::split);
            (actor, card)
        }
    };
    let card = card.filter(|(c, _)| may_read(&actor, c.owner_id, c.visibility));
    Ok((actor, card))
}

/// [`get`], or `NotFound`: the card a conversation or subscription is about.
pub async fn readable(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<CardView> {
    get(ctx, actor, id).await?.ok_or(AppError::NotFound)
}

/// [`get`], with the owner's row that came with it (GraphQL primes its
/// loader with it, so `card { owner }` costs no second statement).
pub async fn get_with_owner(
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<(CardView, Option<User>)>> {
    Ok(with_owner(card::Entity::find_by_id(id))
        .one(&ctx.db)
        .await?
        .map(CardOwnerRow::split)
        .filter(|(c, _)| may_read(actor, c.owner_id, c.visibility)))
}

/// Updates a card: `full` (PUT) requires the title; otherwise any subset.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
    input: CardInput,
    full: bool,
) -> Result<CardView> {
    actor.require()?;
    let current = load_view(&ctx.db, id).await?.ok_or(AppError::NotFound)?;
    check_write(&current, actor)?;
    let valid = validate(input, full)?;
    let mut active = card::ActiveModel {
        id: Unchanged(current.id),
        ..Default::default()
    };
    if let Some(t) = valid.title {
        active.title_folded = Set(search::fold(&t));
        active.title = Set(t);
    }
    if let Some(b) = valid.body {
        active.body_folded = Set(search::fold(&b));
        active.body = Set(b);
    }
    if let Some(vis) = valid.visibility {
        active.visibility = Set(vis.as_str().to_string());
    }
    active.updated_at = Set(now());
    let card = active.update(&ctx.db).await.map_err(|e| match e {
        // Deleted since it was read.
        DbErr::RecordNotUpdated => AppError::NotFound,
        other => other.into(),
    })?;
    let view = CardView::new(card, current.owner_username);
    let change = CardChange {
        kind: ChangeKind::Updated,
        card_id: view.id,
        owner_id: view.owner_id,
        before: Some(current.visibility),
        after: Some(view.visibility),
    };
    ctx.bus.card_changed(change, Some(view.clone())).await;
    Ok(view)
}

/// Deletes a card.
pub async fn delete(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<()> {
    actor.require()?;
    let card = load_view(&ctx.db, id).await?.ok_or(AppError::NotFound)?;
    check_write(&card, actor)?;
    card::Entity::delete_by_id(card.id).exec(&ctx.db).await?;
    let change = CardChange {
        kind: ChangeKind::Deleted,
        card_id: card.id,
        owner_id: card.owner_id,
        before: Some(card.visibility),
        after: None,
    };
    ctx.bus.card_changed(change, None).await;
    Ok(())
}

/// The filter and visibility condition of a list.
fn list_condition(actor: &Actor, filter: &CardFilter) -> Result<Condition> {
    search::check("search", filter.search.as_deref())?;
    let mut cond = Condition::all();
    if let Some(r) = may_read_condition(actor) {
        cond = cond.add(r);
    }
    if let Some(owner) = filter.owner {
        cond = cond.add(card::Column::OwnerId.eq(owner));
    }
    if let Some(vis) = filter.visibility {
        cond = cond.add(card::Column::Visibility.eq(vis.as_str()));
    }
    if let Some(s) = search::condition(
        filter.search.as_deref(),
        &[
            (card::Entity, card::Column::TitleFolded),
            (card::Entity, card::Column::BodyFolded),
        ],
    ) {
        cond = cond.add(s);
    }
    Ok(cond)
}

/// One page of the cards the caller may read.
pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    filter: &CardFilter,
    page: &PageRequest,
) -> Result<Page<CardView>> {
    let (select, plan) = page_of(actor, filter, page)?;
    let rows = shown(select).all(&ctx.db).await?;
    Ok(plan.finish(rows).map(CardRow::into_view))
}

/// The cards the caller may read under `filter`, shaped into one page.
fn page_of(
    actor: &Actor,
    filter: &CardFilter,
    page: &PageRequest,
) -> Result<(Select<card::Entity>, pagination::PagePlan)> {
    let select = card::Entity::find().filter(list_condition(actor, filter)?);
    let keys = KeyColumns {
        created_at: card::Column::CreatedAt,
        id: card::Column::Id,
    };
    Ok(pagination::plan(select, keys, page))
}

/// Like [`list`], with each card's owner (loaded by the same query).
pub async fn list_with_owners(
    ctx: &Ctx,
    actor: &Actor,
    filter: &CardFilter,
    page: &PageRequest,
) -> Result<Page<(CardView, Option<User>)>> {
    let (select, plan) = page_of(actor, filter, page)?;
    let rows = with_owner(select).all(&ctx.db).await?;
    Ok(plan.finish(rows).map(CardOwnerRow::split))
}

/// [`list_with_owners`], with each owner's profile (`None`: the owner has
/// none) read in the same statement.
pub async fn list_with_owner_profiles(
    ctx: &Ctx,
    actor: &Actor,
    filter: &CardFilter,
    page: &PageRequest,
) -> Result<Page<(CardView, Option<User>, Option<ProfileView>)>> {
    let (select, plan) = page_of(actor, filter, page)?;
    let rows = with_owner_profile(select).all(&ctx.db).await?;
    Ok(plan.finish(rows).map(CardOwnerProfileRow::split))
}

/// How many cards the caller may read under `filter`.
pub async fn count(ctx: &Ctx, actor: &Actor, filter: &CardFilter) -> Result<u64> {
    Ok(card::Entity::find()
        .filter(list_condition(actor, filter)?)
        .count(&ctx.db)
        .await?)
}

/// The position of a card in the feed's ordering (its cursor).
pub fn position(card: &CardView) -> pagination::Position {
    pagination::Position {
        created_at: card.created_at.0,
        id: card.id,
    }
}
