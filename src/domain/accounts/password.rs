//! The password: changing it (signed in) and resetting it by mail.

use std::{net::IpAddr, time::Duration};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::user;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    CHANGE_MISMATCH, OLD_PASSWORD_WRONG, answer_evenly,
    keys::{self, Purpose},
};
use crate::{
    domain::{
        Ctx,
        actor::AuthUser,
        input::{Field, non_empty, present},
        mail::{MailKind, enqueue, queued_recently},
        sessions::{AuthTokens, SignedIn, announce_user_revocation, reissue, revoke_user_sessions},
        users::{Email, UserView, find_by_email, load_user, password_problems},
    },
    error::{AppError, Result, Validator},
    throttle::Bucket,
};

/// At most one reset mail per address per this long.
const RESET_COOLDOWN: Duration = Duration::from_secs(2 * 60);
pub const INVALID_VALUE: &str = "Invalid value";

#[derive(Debug, Default, Clone)]
pub struct ChangePasswordInput {
    pub old_password: Field<String>,
    pub new_password1: Field<String>,
    pub new_password2: Field<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ResetPasswordInput {
    pub uid: Field<String>,
    pub token: Field<String>,
    pub new_password1: Field<String>,
    pub new_password2: Field<String>,
}

/// A user's password hash: read only to check a password.
#[derive(FromQueryResult)]
struct Credentials {
    password_hash: String,
}

/// The `uid` of a reset link: the user's id, base64url (as Django encodes a pk).
fn encode_uid(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_uid(uid: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(uid.trim()).ok()?;
    Uuid::from_slice(&bytes).ok()
}

/// Queues a reset mail for the account at `email`, if there is one — at most
/// once per 2 minutes per address. Every well-formed address gets the same
/// answer in the same time: the mail is queued, not sent, and the answer
/// waits for the same floor either way ([`answer_evenly`]).
pub async fn request_password_reset(ctx: &Ctx, client: IpAddr, email: Field<String>) -> Result<()> {
    let started = tokio::time::Instant::now();
    ctx.throttle.hit_ip(Bucket::PasswordResetIp, client).await?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(email.as_deref()));
    v.finish()?;
    let Some(email) = email else {
        return Err(AppError::internal("validated reset input is incomplete"));
    };
    answer_evenly(started, queue_reset(ctx, &email)).await
}

/// Queues a reset mail for the account at `email`, unless one went out lately.
async fn queue_reset(ctx: &Ctx, email: &Email) -> Result<()> {
    let found = find_by_email(&ctx.db, email).await?;
    let Some(found) = found else {
        return Ok(());
    };
    if queued_recently(
        &ctx.db,
        MailKind::PasswordReset,
        &found.email,
        RESET_COOLDOWN,
    )
    .await?
    {
        return Ok(());
    }
    let txn = ctx.db.begin().await?;
    let token = keys::issue(
        &txn,
        Purpose::PasswordReset,
        found.id,
        &found.email,
        ctx.mail.reset_ttl,
    )
    .await?;
    let link = ctx.mail.reset_link(&encode_uid(found.id), &token);
    let message = ctx.mail.password_reset(&found.username, &link);
    enqueue(&txn, MailKind::PasswordReset, &found.email, message).await?;
    txn.commit().await?;
    ctx.mail.wake.notify_one();
    Ok(())
}

/// Sets a new password from a reset link. It revokes every session of the
/// user (their live subscriptions end), clears their login failures, kills
/// their other reset tokens and marks the address verified (the mail reached
/// its owner).
pub async fn reset_password(ctx: &Ctx, client: IpAddr, input: ResetPasswordInput) -> Result<()> {
    ctx.throttle
        .hit_ip(Bucket::PasswordResetConfirmIp, client)
        .await?;
    let mut v = Validator::new();
    let new1 = v.check("new_password1", non_empty(input.new_password1.as_deref()));
    let new2 = v.check("new_password2", non_empty(input.new_password2.as_deref()));
    let uid = v.check("uid", present(input.uid.as_deref()));
    let token = v.check("token", present(input.token.as_deref()));
    v.finish()?;
    let (Some(new1), Some(new2), Some(uid), Some(token)) = (new1, new2, uid, token) else {
        return Err(AppError::internal("validated reset input is incomplete"));
    };
    let owner = match decode_uid(uid) {
        Some(id) => load_user(&ctx.db, id).await?,
        None => None,
    };
    let owner = owner.ok_or_else(|| AppError::field("uid", INVALID_VALUE))?;
    let key = keys::find_live(&ctx.db, Purpose::PasswordReset, token)
        .await?
        .filter(|k| k.user_id == owner.id && k.email.to_lowercase() == owner.email.to_lowercase())
        .ok_or_else(|| AppError::field("token", INVALID_VALUE))?;
    let mut v = Validator::new();
    if new1 != new2 {
        v.add("new_password2", CHANGE_MISMATCH);
    } else {
        for problem in password_problems(new2, Some(&owner.username), Some(&owner.email)) {
            v.add("new_password2", problem);
        }
    }
    v.finish()?;
    let hash = ctx.passwords.hash(new1).await?;
    let txn = ctx.db.begin().await?;
    if !keys::use_up(&txn, key.id).await? {
        return Err(AppError::field("token", INVALID_VALUE));
    }
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .filter(user::Column::Id.eq(owner.id))
        .exec(&txn)
        .await?;
    keys::revoke_all(&txn, owner.id, Purpose::PasswordReset).await?;
    revoke_user_sessions(&txn, owner.id, None).await?;
    txn.commit().await?;
    announce_user_revocation(ctx, owner.id, None).await;
    ctx.throttle.clear_failures(&owner.id.to_string()).await;
    Ok(())
}

/// Changes the caller's password; the calling session stays (its tokens
/// too), all others end.
pub async fn change_password(
    ctx: &Ctx,
    client: IpAddr,
    auth: &AuthUser,
    input: ChangePasswordInput,
) -> Result<()> {
    change(ctx, client, auth, input, false).await.map(|_| ())
}

/// [`change_password`], and a fresh token pair for the calling session in the
/// same transaction (its unused refresh tokens retired, not counted as reuse).
pub async fn change_password_reissuing(
    ctx: &Ctx,
    client: IpAddr,
    auth: &AuthUser,
    input: ChangePasswordInput,
) -> Result<SignedIn> {
    match change(ctx, client, auth, input, true).await? {
        Some(tokens) => Ok(SignedIn {
            user: UserView::own(&auth.user),
            tokens,
        }),
        None => Err(AppError::internal("password changed without new tokens")),
    }
}

async fn change(
    ctx: &Ctx,
    client: IpAddr,
    auth: &AuthUser,
    input: ChangePasswordInput,
    reissue_tokens: bool,
) -> Result<Option<AuthTokens>> {
    ctx.throttle
        .hit_ip(Bucket::PasswordChangeIp, client)
        .await?;
    let mut v = Validator::new();
    let old = v.check("old_password", non_empty(input.old_password.as_deref()));
    let new1 = v.check("new_password1", non_empty(input.new_password1.as_deref()));
    let new2 = v.check("new_password2", non_empty(input.new_password2.as_deref()));
    if let Some(old) = old {
        let stored = user::Entity::find_by_id(auth.user.id)
            .select_only()
            .column(user::Column::PasswordHash)
            .into_model::<Credentials>()
            .one(&ctx.db)
            .await?
            .ok_or(AppError::TokenNotValid)?;
        if !ctx
            .passwords
            .verify(old, Some(&stored.password_hash))
            .await?
        {
            v.add("old_password", OLD_PASSWORD_WRONG);
        }
    }
    if let (Some(n1), Some(n2)) = (new1, new2) {
        if n1 != n2 {
            v.add("new_password2", CHANGE_MISMATCH);
        } else {
            for problem in password_problems(n2, Some(&auth.user.username), Some(&auth.user.email))
            {
                v.add("new_password2", problem);
            }
        }
    }
    v.finish()?;
    let Some(new) = new1 else {
        return Err(AppError::internal(
            "validated password change is incomplete",
        ));
    };
    let hash = ctx.passwords.hash(new).await?;
    let txn = ctx.db.begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(auth.user.id))
        .exec(&txn)
        .await?;
    revoke_user_sessions(&txn, auth.user.id, Some(auth.session_id)).await?;
    keys::revoke_all(&txn, auth.user.id, Purpose::PasswordReset).await?;
    let tokens = match reissue_tokens {
        true => Some(reissue(ctx, &txn, auth).await?),
        false => None,
    };
    txn.commit().await?;
    announce_user_revocation(ctx, auth.user.id, Some(auth.session_id)).await;
    Ok(tokens)
}
