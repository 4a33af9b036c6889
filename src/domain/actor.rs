//! Who is calling, as plain data: resolved once per request by the transport
//! (from a bearer token, through [`super::sessions::authenticate`], or through
//! a [`super::sessions::Caller`] whose session a read checks in its own
//! statement) and handed to every rule. No password hash ever travels here.

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{EntityTrait, FromQueryResult, Iden, QuerySelect, Select};
use uuid::Uuid;

use crate::error::{AppError, Result};

/// A user as rules and views need them: every column but the password hash
/// (which stays inside `accounts`).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub is_staff: bool,
    pub email_verified: bool,
    pub date_joined: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

impl User {
    /// The columns of `users` a [`User`] is read from.
    pub const COLUMNS: [user::Column; 7] = [
        user::Column::Id,
        user::Column::Username,
        user::Column::Email,
        user::Column::IsStaff,
        user::Column::EmailVerified,
        user::Column::DateJoined,
        user::Column::LastLogin,
    ];

    /// Every column of [`User`] but the id: what a row read beside another
    /// (an owner's, under `owner_*` aliases) takes from `users`.
    pub const OWNER_COLUMNS: [user::Column; 6] = [
        user::Column::Username,
        user::Column::Email,
        user::Column::IsStaff,
        user::Column::EmailVerified,
        user::Column::DateJoined,
        user::Column::LastLogin,
    ];

    /// `select` (joined to `users`) with every column of [`User`] but the id
    /// under `owner_*` aliases: what a row with a nested
    /// `#[sea_orm(nested(prefix = "owner_"))]` user, or `owner_*` fields, reads.
    pub fn owner_columns<E: EntityTrait>(mut select: Select<E>) -> Select<E> {
        for column in Self::OWNER_COLUMNS {
            select = select.column_as(column, format!("owner_{}", column.to_string()));
        }
        select
    }
}

/// A signed-in caller and the session its token belongs to.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub session_id: Uuid,
    /// When the presented access token expires (Unix seconds).
    pub access_expires_at: i64,
}

/// The caller: anonymous (`None`) or signed in.
#[derive(Clone, Debug, Default)]
pub struct Actor(pub Option<AuthUser>);

impl Actor {
    /// The signed-in caller, or 401 `not_authenticated`.
    pub fn require(&self) -> Result<&AuthUser> {
        self.0.as_ref().ok_or(AppError::NotAuthenticated)
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.0.as_ref().map(|a| a.user.id)
    }

    pub fn is_staff(&self) -> bool {
        self.0.as_ref().is_some_and(|a| a.user.is_staff)
    }
}
