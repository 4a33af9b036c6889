//! A claimed caller: an access token whose signature is checked but whose
//! session is not yet, and the columns any statement joins in to check it.
//! Kept apart from the rest of `sessions` (it needs no context), so reads
//! such as `cards::rows` can check a session in their own statement.

use chrono::{DateTime, Utc};
use entity::{session, user};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect, RelationTrait,
    Select,
};

use crate::{
    auth::tokens::Claims,
    domain::actor::{AuthUser, User},
    error::{AppError, Result},
};

/// A session's user (without the password hash) with the session's own
/// state, read in one statement with unprefixed columns (sea-orm's
/// `find_also_related` formats a name for every column of every row: a few %
/// of every authenticated request). Other reads join it in through
/// [`session_user_select`] to check a [`Claim`] in their own statement.
#[derive(Debug, FromQueryResult)]
pub(crate) struct SessionUser {
    #[sea_orm(nested)]
    user: User,
    session_revoked_at: Option<DateTime<Utc>>,
    session_expires_at: DateTime<Utc>,
}

impl SessionUser {
    /// The caller, when the session is the claim's, live, and its user's.
    pub(crate) fn into_caller(self, claim: &Claim) -> Result<AuthUser> {
        if self.user.id == claim.0.sub
            && self.session_revoked_at.is_none()
            && self.session_expires_at > Utc::now()
        {
            Ok(AuthUser {
                user: self.user,
                session_id: claim.0.sid,
                access_expires_at: claim.0.exp,
            })
        } else {
            Err(AppError::TokenNotValid)
        }
    }
}

/// `users` joined to the claim's session, selecting a [`SessionUser`]: no
/// row when the session does not exist.
pub(crate) fn session_user_select(claim: &Claim) -> Select<user::Entity> {
    user::Entity::find()
        .select_only()
        .columns(User::COLUMNS)
        .column_as(session::Column::RevokedAt, "session_revoked_at")
        .column_as(session::Column::ExpiresAt, "session_expires_at")
        .join(JoinType::InnerJoin, user::Relation::Session.def())
        .filter(session::Column::Id.eq(claim.0.sid))
}

/// An access token whose signature and expiry are checked but whose session
/// is not yet: only [`check`] and reads that check it in their own statement
/// (through [`session_user_select`]) turn it into a caller.
#[derive(Debug, Clone)]
pub struct Claim(pub(super) Claims);
