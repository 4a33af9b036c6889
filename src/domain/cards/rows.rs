//! Lean reads of cards: only the columns a reader is shown (not the search
//! copies), with the owner's username — or the owner's row without its
//! password hash — joined in one statement and read unprefixed. sea-orm's
//! `find_also_related` formats a name for every column of every row (14 % of
//! the CPU of bench S6) and would select every owner's password hash.

use entity::{card, profile, user};
use sea_orm::{
    DatabaseConnection, EntityTrait, FromQueryResult, Iden, JoinType, QuerySelect, RelationTrait,
    Select, SelectModel, Selector,
    prelude::DateTimeUtc,
    sea_query::{Alias, Expr},
};
use uuid::Uuid;

use super::view::{CardView, Visibility};
use crate::{
    domain::{
        actor::{AuthUser, User},
        profiles::rows::{ProfileColumns, ProfileView},
        sessions::claim::{Claim, SessionUser, session_user_select},
    },
    error::{AppError, Result},
};

/// The card columns a reader is shown.
const SHOWN: [card::Column; 9] = [
    card::Column::Id,
    card::Column::OwnerId,
    card::Column::Title,
    card::Column::Body,
    card::Column::Visibility,
    card::Column::CreatedAt,
    card::Column::UpdatedAt,
    card::Column::ReplyCount,
    card::Column::ReactionCount,
];

/// The shown columns (the reply and reaction counts among them: triggers on
/// `replies` and `reactions` keep them, migrations 11 and 12).
fn shown_columns(select: Select<card::Entity>) -> Select<card::Entity> {
    select.select_only().columns(SHOWN)
}

/// A card and its owner's username: what REST and the feed show.
#[derive(Debug, FromQueryResult)]
pub struct CardRow {
    id: Uuid,
    owner_id: Uuid,
    owner_username: Option<String>,
    title: String,
    body: String,
    visibility: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
    reply_count: i32,
    reaction_count: i32,
}

impl CardRow {
    pub fn into_view(self) -> CardView {
        CardView {
            id: self.id,
            owner_id: self.owner_id,
            owner_username: self.owner_username.unwrap_or_default(),
            title: self.title,
            body: self.body,
            visibility: Visibility::stored(&self.visibility),
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
            reply_count: self.reply_count.max(0) as u64,
            reaction_count: self.reaction_count.max(0) as u64,
            reactions: None,
        }
    }
}

/// `select` read as [`CardRow`]s.
pub fn shown(select: Select<card::Entity>) -> Selector<SelectModel<CardRow>> {
    shown_columns(select)
        .column_as(user::Column::Username, "owner_username")
        .join(JoinType::LeftJoin, card::Relation::Owner.def())
        .into_model::<CardRow>()
}

/// [`CardRow`] with the owner's row (GraphQL primes its users loader with it).
#[derive(Debug, FromQueryResult)]
pub struct CardOwnerRow {
    id: Uuid,
    owner_id: Uuid,
    title: String,
    body: String,
    visibility: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
    reply_count: i32,
    reaction_count: i32,
    owner_username: Option<String>,
    owner_email: Option<String>,
    owner_is_staff: Option<bool>,
    owner_email_verified: Option<bool>,
    owner_date_joined: Option<DateTimeUtc>,
    owner_last_login: Option<DateTimeUtc>,
}

impl CardOwnerRow {
    pub fn split(self) -> (CardView, Option<User>) {
        let owner = match (
            self.owner_username.clone(),
            self.owner_email,
            self.owner_is_staff,
            self.owner_date_joined,
        ) {
            (Some(username), Some(email), Some(is_staff), Some(date_joined)) => Some(User {
                id: self.owner_id,
                username,
                email,
                is_staff,
                email_verified: self.owner_email_verified.unwrap_or(false),
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
            reply_count: self.reply_count,
            reaction_count: self.reaction_count,
        }
        .into_view();
        (view, owner)
    }
}

/// `select` with the shown columns and the owner's under `owner_*` aliases.
fn owner_select(select: Select<card::Entity>) -> Select<card::Entity> {
    User::owner_columns(shown_columns(select)).join(JoinType::LeftJoin, card::Relation::Owner.def())
}

/// `select` read as [`CardOwnerRow`]s.
pub fn with_owner(select: Select<card::Entity>) -> Selector<SelectModel<CardOwnerRow>> {
    owner_select(select).into_model::<CardOwnerRow>()
}

/// A card with its owner's row and the owner's profile, if any.
#[derive(Debug, FromQueryResult)]
pub struct CardOwnerProfileRow {
    #[sea_orm(nested)]
    card: CardOwnerRow,
    #[sea_orm(nested(prefix = "profile_"))]
    profile: Option<ProfileColumns>,
}

impl CardOwnerProfileRow {
    pub fn split(self) -> (CardView, Option<User>, Option<ProfileView>) {
        let (view, owner) = self.card.split();
        let profile = self
            .profile
            .map(|p| p.into_view(view.owner_id, view.owner_username.clone()));
        (view, owner, profile)
    }
}

/// `select` read as [`CardOwnerProfileRow`]s: the owners' profiles joined in
/// (one statement for a page, where a second would read the profiles).
pub fn with_owner_profile(
    select: Select<card::Entity>,
) -> Selector<SelectModel<CardOwnerProfileRow>> {
    use sea_orm::sea_query::ExprTrait;
    let mut select = owner_select(select);
    for column in ProfileColumns::COLUMNS {
        select = select.column_as(
            Expr::col((profile::Entity, column)),
            format!("profile_{}", column.to_string()),
        );
    }
    QuerySelect::query(&mut select).left_join(
        profile::Entity,
        Expr::col((profile::Entity, profile::Column::UserId))
            .equals((card::Entity, card::Column::OwnerId)),
    );
    select.into_model::<CardOwnerProfileRow>()
}

/// A card regardless of who asks (the feed decides per subscriber).
pub async fn load_view(db: &DatabaseConnection, id: Uuid) -> Result<Option<CardView>> {
    Ok(shown(card::Entity::find_by_id(id))
        .one(db)
        .await?
        .map(CardRow::into_view))
}

/// A claim's session and user, and the card (if it exists) with its owner's
/// row: one row when the session exists.
#[derive(Debug, FromQueryResult)]
struct ClaimedCardRow {
    #[sea_orm(nested)]
    session: SessionUser,
    #[sea_orm(nested(prefix = "card_"))]
    card: Option<CardOwnerRow>,
}

/// Checks `claim`'s session and reads card `id` with its owner in one
/// statement: the caller (or `TokenNotValid`) and the card regardless of who
/// asks.
pub async fn load_claimed(
    db: &DatabaseConnection,
    claim: &Claim,
    id: Uuid,
) -> Result<(AuthUser, Option<(CardView, Option<User>)>)> {
    use sea_orm::sea_query::ExprTrait;
    let owner = Alias::new("owner");
    let mut select = session_user_select(claim);
    for column in SHOWN {
        select = select.column_as(
            Expr::col((card::Entity, column)),
            format!("card_{}", column.to_string()),
        );
    }
    for column in User::OWNER_COLUMNS {
        select = select.column_as(
            Expr::col((owner.clone(), column)),
            format!("card_owner_{}", column.to_string()),
        );
    }
    QuerySelect::query(&mut select)
        .left_join(
            card::Entity,
            Expr::col((card::Entity, card::Column::Id)).eq(id),
        )
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            owner.clone(),
            Expr::col((owner, user::Column::Id)).equals((card::Entity, card::Column::OwnerId)),
        );
    let row = select
        .into_model::<ClaimedCardRow>()
        .one(db)
        .await?
        .ok_or(AppError::TokenNotValid)?;
    let caller = row.session.into_caller(claim)?;
    Ok((caller, row.card.map(CardOwnerRow::split)))
}
