//! Cards: short titled posts. Validation, who may read and change them, and
//! the feed's queries.

use entity::{card, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult,
    JoinType, PaginatorTrait, QueryFilter, QuerySelect, RelationTrait, Select, SelectModel,
    Selector, Set, prelude::DateTimeUtc,
};
use uuid::Uuid;

use super::{
    Timestamp, now,
    pagination::{self, KeyColumns, Page, PageRequest},
    search, text,
};
use crate::{
    auth::{Actor, AuthUser},
    error::{AppError, Result, Validator},
    events::{CardChange, ChangeKind},
    state::AppState,
};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;

/// Who may read a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// The visibility stored in a row; anything unknown is private (fails closed).
    fn stored(s: &str) -> Self {
        Self::parse(s).unwrap_or(Visibility::Private)
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// A card as callers see it.
#[derive(Debug, Clone)]
pub struct CardView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_username: String,
    pub title: String,
    pub body: String,
    pub visibility: Visibility,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl CardView {
    fn new(card: card::Model, owner_username: String) -> Self {
        Self {
            id: card.id,
            owner_id: card.owner_id,
            owner_username,
            title: card.title,
            body: card.body,
            visibility: Visibility::stored(&card.visibility),
            created_at: card.created_at.into(),
            updated_at: card.updated_at.into(),
        }
    }
}

/// Fields of a create or update; `None` is "not given".
#[derive(Debug, Default, Clone)]
pub struct CardInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub visibility: Option<String>,
}

/// List filters (REST query parameters, GraphQL `CardFilter`).
#[derive(Debug, Default, Clone)]
pub struct CardFilter {
    pub owner: Option<Uuid>,
    pub visibility: Option<Visibility>,
    pub search: Option<String>,
}

/// The `owner` filter of a list or feed: a user id, or none when empty.
pub fn parse_owner_filter(raw: Option<&str>) -> Result<Option<Uuid>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Uuid::try_parse(raw)
            .map(Some)
            .map_err(|_| AppError::field("owner", "Enter a valid UUID.")),
    }
}

/// May `actor` read `card`? Private cards: the owner and staff only.
pub fn can_read(card: &card::Model, actor: &Actor) -> bool {
    may_read(card.owner_id, Visibility::stored(&card.visibility), actor)
}

fn may_read(owner_id: Uuid, visibility: Visibility, actor: &Actor) -> bool {
    visibility == Visibility::Public || actor.is_staff() || actor.user_id() == Some(owner_id)
}

/// The SQL form of [`can_read`], for lists (`None`: staff read everything).
fn readable(actor: &Actor) -> Option<Condition> {
    if actor.is_staff() {
        return None;
    }
    let public = card::Column::Visibility.eq(Visibility::Public.as_str());
    Some(match actor.user_id() {
        Some(me) => Condition::any()
            .add(public)
            .add(card::Column::OwnerId.eq(me)),
        None => Condition::all().add(public),
    })
}

/// May `actor` change `card`? Anonymous: 401; unreadable: 404; not owner: 403.
fn check_write<'a>(card: &card::Model, actor: &'a Actor) -> Result<&'a AuthUser> {
    let me = actor.require()?;
    if !can_read(card, actor) {
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
    let title = if title_required || input.title.is_some() {
        v.check("title", text::non_blank(input.title.as_deref()))
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
    let body = match input.body.as_deref() {
        None => None,
        Some(b) if b.contains('\0') => {
            v.add("body", text::NUL);
            None
        }
        Some(b) if b.chars().count() > BODY_MAX => {
            v.add(
                "body",
                format!("Ensure this field has no more than {BODY_MAX} characters."),
            );
            None
        }
        Some(b) => Some(b.to_string()),
    };
    let visibility = match input.visibility.as_deref() {
        None => None,
        Some(s) => match Visibility::parse(s) {
            Some(vis) => Some(vis),
            None => {
                v.add("visibility", format!("\"{s}\" is not a valid choice."));
                None
            }
        },
    };
    v.finish()?;
    Ok(Valid {
        title,
        body,
        visibility,
    })
}

/// Posts a card as the caller.
pub async fn create(ctx: &AppState, actor: &Actor, input: CardInput) -> Result<CardView> {
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
    }
    .insert(&ctx.db)
    .await?;
    let view = CardView::new(card, me.user.username.clone());
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

/// A card with its owner's username, if it exists.
async fn load(ctx: &AppState, id: Uuid) -> Result<Option<(card::Model, String)>> {
    Ok(load_from(&ctx.db, id)
        .await?
        .map(|(c, u)| (c, u.map(|u| u.username).unwrap_or_default())))
}

/// A card with its owner, in one statement.
async fn load_from(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<Option<(card::Model, Option<user::Model>)>> {
    Ok(card::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?)
}

/// The columns a card is shown with (not its search copies) and its owner's
/// username: what REST and the feed read. Selecting only these, unprefixed,
/// halves the values each row decodes compared with the entity join
/// (bench/README.md).
#[derive(Debug, FromQueryResult)]
struct CardRow {
    id: Uuid,
    owner_id: Uuid,
    owner_username: Option<String>,
    title: String,
    body: String,
    visibility: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
}

impl CardRow {
    fn into_view(self) -> CardView {
        CardView {
            id: self.id,
            owner_id: self.owner_id,
            owner_username: self.owner_username.unwrap_or_default(),
            title: self.title,
            body: self.body,
            visibility: Visibility::stored(&self.visibility),
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        }
    }
}

/// The card columns a reader is shown (not the search copies).
const SHOWN: [card::Column; 7] = [
    card::Column::Id,
    card::Column::OwnerId,
    card::Column::Title,
    card::Column::Body,
    card::Column::Visibility,
    card::Column::CreatedAt,
    card::Column::UpdatedAt,
];

fn shown(select: Select<card::Entity>) -> Selector<SelectModel<CardRow>> {
    select
        .select_only()
        .columns(SHOWN)
        .column_as(user::Column::Username, "owner_username")
        .join(JoinType::LeftJoin, card::Relation::Owner.def())
        .into_model::<CardRow>()
}

/// [`CardRow`] with the owner's whole row (GraphQL primes its users loader
/// with it), again unprefixed: sea-orm's `find_also_related` names every
/// column of every row with a `format!`, 14 % of the CPU of bench S6.
#[derive(Debug, FromQueryResult)]
struct CardOwnerRow {
    id: Uuid,
    owner_id: Uuid,
    title: String,
    body: String,
    visibility: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
    owner_username: Option<String>,
    owner_username_key: Option<String>,
    owner_email: Option<String>,
    owner_email_key: Option<String>,
    owner_password_hash: Option<String>,
    owner_is_staff: Option<bool>,
    owner_date_joined: Option<DateTimeUtc>,
    owner_last_login: Option<DateTimeUtc>,
}

impl CardOwnerRow {
    fn split(self) -> (CardView, Option<user::Model>) {
        let owner = match (
            self.owner_username.clone(),
            self.owner_username_key,
            self.owner_email,
            self.owner_email_key,
            self.owner_password_hash,
            self.owner_is_staff,
            self.owner_date_joined,
        ) {
            (
                Some(username),
                Some(username_key),
                Some(email),
                Some(email_key),
                Some(password_hash),
                Some(is_staff),
                Some(date_joined),
            ) => Some(user::Model {
                id: self.owner_id,
                username,
                username_key,
                email,
                email_key,
                password_hash,
                is_staff,
                date_joined,
                last_login: self.owner_last_login,
            }),
            _ => None,
        };
        let view = CardRow {
            id: self.id,
            owner_id: self.owner_id,
            owner_username: self.owner_username,
            title: self.title,
            body: self.body,
            visibility: self.visibility,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .into_view();
        (view, owner)
    }
}

fn with_owner(select: Select<card::Entity>) -> Selector<SelectModel<CardOwnerRow>> {
    select
        .select_only()
        .columns(SHOWN)
        .column_as(user::Column::Username, "owner_username")
        .column_as(user::Column::UsernameKey, "owner_username_key")
        .column_as(user::Column::Email, "owner_email")
        .column_as(user::Column::EmailKey, "owner_email_key")
        .column_as(user::Column::PasswordHash, "owner_password_hash")
        .column_as(user::Column::IsStaff, "owner_is_staff")
        .column_as(user::Column::DateJoined, "owner_date_joined")
        .column_as(user::Column::LastLogin, "owner_last_login")
        .join(JoinType::LeftJoin, card::Relation::Owner.def())
        .into_model::<CardOwnerRow>()
}

async fn load_shown(db: &DatabaseConnection, id: Uuid) -> Result<Option<CardView>> {
    Ok(shown(card::Entity::find_by_id(id))
        .one(db)
        .await?
        .map(CardRow::into_view))
}

/// A card regardless of who asks (the feed decides per subscriber).
pub async fn load_view(db: &DatabaseConnection, id: Uuid) -> Result<Option<CardView>> {
    load_shown(db, id).await
}

/// A card the caller may read; `None` when it does not exist or is hidden.
pub async fn get(ctx: &AppState, actor: &Actor, id: Uuid) -> Result<Option<CardView>> {
    Ok(load_shown(&ctx.db, id)
        .await?
        .filter(|c| may_read(c.owner_id, c.visibility, actor)))
}

/// [`get`], with the owner's row that came with it (GraphQL primes its
/// loader with it, so `card { owner }` costs no second statement).
pub async fn get_with_owner(
    ctx: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<(CardView, Option<user::Model>)>> {
    Ok(with_owner(card::Entity::find_by_id(id))
        .one(&ctx.db)
        .await?
        .map(CardOwnerRow::split)
        .filter(|(c, _)| may_read(c.owner_id, c.visibility, actor)))
}

/// Updates a card: `full` (PUT) requires the title; otherwise any subset.
pub async fn update(
    ctx: &AppState,
    actor: &Actor,
    id: Uuid,
    input: CardInput,
    full: bool,
) -> Result<CardView> {
    actor.require()?;
    let (card, owner) = load(ctx, id).await?.ok_or(AppError::NotFound)?;
    check_write(&card, actor)?;
    let valid = validate(input, full)?;
    let before = Visibility::parse(&card.visibility);
    let mut active: card::ActiveModel = card.into();
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
    let card = active.update(&ctx.db).await?;
    let view = CardView::new(card, owner);
    let change = CardChange {
        kind: ChangeKind::Updated,
        card_id: view.id,
        owner_id: view.owner_id,
        before,
        after: Some(view.visibility),
    };
    ctx.bus.card_changed(change, Some(view.clone())).await;
    Ok(view)
}

/// Deletes a card.
pub async fn delete(ctx: &AppState, actor: &Actor, id: Uuid) -> Result<()> {
    actor.require()?;
    let (card, _) = load(ctx, id).await?.ok_or(AppError::NotFound)?;
    check_write(&card, actor)?;
    card::Entity::delete_by_id(card.id).exec(&ctx.db).await?;
    let change = CardChange {
        kind: ChangeKind::Deleted,
        card_id: card.id,
        owner_id: card.owner_id,
        before: Visibility::parse(&card.visibility),
        after: None,
    };
    ctx.bus.card_changed(change, None).await;
    Ok(())
}

/// The filter and visibility condition of a list.
fn list_condition(actor: &Actor, filter: &CardFilter) -> Result<Condition> {
    search::check("search", filter.search.as_deref())?;
    let mut cond = Condition::all();
    if let Some(r) = readable(actor) {
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
    ctx: &AppState,
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
    ctx: &AppState,
    actor: &Actor,
    filter: &CardFilter,
    page: &PageRequest,
) -> Result<Page<(CardView, Option<user::Model>)>> {
    let (select, plan) = page_of(actor, filter, page)?;
    let rows = with_owner(select).all(&ctx.db).await?;
    Ok(plan.finish(rows).map(CardOwnerRow::split))
}

/// How many cards the caller may read under `filter`.
pub async fn count(ctx: &AppState, actor: &Actor, filter: &CardFilter) -> Result<u64> {
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
