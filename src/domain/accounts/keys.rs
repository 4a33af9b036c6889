//! Keys sent by mail — e-mail verification keys and password-reset tokens —
//! as `<id>.<secret>` with only the secret's SHA-256 stored (the refresh
//! tokens' codec). A key belongs to one user and one address: it is dead once
//! used, expired, or when the address is no longer the user's.

use std::time::Duration;

use chrono::Utc;
use entity::email_key;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use crate::{
    auth::tokens::{new_refresh_token, parse_refresh_token, refresh_matches},
    domain::time::now,
    error::Result,
};

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// Issues a key for `user_id` at `email`, valid for `ttl`; returns the key to mail.
pub async fn issue(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    user_id: Uuid,
    email: &str,
    ttl: Duration,
) -> Result<String> {
    let key = new_refresh_token();
    let at = now();
    email_key::Entity::insert(email_key::ActiveModel {
        id: Set(key.id),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_string()),
        email: Set(email.to_string()),
        secret_hash: Set(key.hash),
        created_at: Set(at),
        expires_at: Set(at + ttl),
        used_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(key.token)
}

/// The live key a presented one names: right purpose and secret, unused, not
/// expired. (Whether its address is still the user's is the caller's check.)
pub async fn find_live(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    presented: &str,
) -> Result<Option<email_key::Model>> {
    let Some((id, secret)) = parse_refresh_token(presented.trim()) else {
        return Ok(None);
    };
    Ok(email_key::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|k| {
            k.purpose == purpose.as_str()
                && refresh_matches(secret, &k.secret_hash)
                && k.used_at.is_none()
                && k.expires_at > Utc::now()
        }))
}

/// Marks a key used, if it still is unused (of two concurrent uses, one wins).
pub async fn use_up(db: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    let done = email_key::Entity::update_many()
        .col_expr(email_key::Column::UsedAt, Expr::value(now()))
        .filter(email_key::Column::Id.eq(id))
        .filter(email_key::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Forgets every unused key of a user for `purpose` (a password change kills
/// its reset tokens; an address change, its verification keys).
pub async fn revoke_all(db: &impl ConnectionTrait, user_id: Uuid, purpose: Purpose) -> Result<()> {
    email_key::Entity::delete_many()
        .filter(email_key::Column::UserId.eq(user_id))
        .filter(email_key::Column::Purpose.eq(purpose.as_str()))
        .filter(email_key::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
