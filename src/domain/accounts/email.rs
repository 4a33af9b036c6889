//! The account's e-mail address: verification mails and keys, resending
//! them, and changing the address (which re-verifies it).

use std::{net::IpAddr, time::Duration};

use entity::user;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};

use super::{
    answer_evenly,
    keys::{self, Purpose},
};
use crate::{
    config::EmailVerification,
    domain::{
        Ctx,
        actor::{AuthUser, User},
        input::{Field, present},
        mail::{MailKind, enqueue, queued_recently},
        users::{
            Email, UserView, Username, check_unique, find_by_email, load_user, map_unique_violation,
        },
    },
    error::{AppError, Result, Validator},
    throttle::Bucket,
};

/// At most one verification mail per address per this long (resends).
const RESEND_COOLDOWN: Duration = Duration::from_secs(3 * 60);

/// Issues a verification key for the user's address and queues its mail,
/// inside `db`'s transaction.
pub(super) async fn queue_verification(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    user: &User,
) -> Result<()> {
    let key = keys::issue(
        db,
        Purpose::VerifyEmail,
        user.id,
        &user.email,
        ctx.mail.verify_ttl,
    )
    .await?;
    let link = ctx.mail.verify_link(&key);
    let message = ctx.mail.verify_email(&user.username, &link);
    enqueue(db, MailKind::VerifyEmail, &user.email, message).await
}

/// Verifies the address a key was sent to. An unknown, expired, used or
/// superseded key (the address changed since) is 404.
pub async fn verify_email(ctx: &Ctx, client: IpAddr, key: Field<String>) -> Result<()> {
    ctx.throttle.hit_ip(Bucket::VerifyEmailIp, client).await?;
    let mut v = Validator::new();
    let key = v.check("key", present(key.as_deref()));
    v.finish()?;
    let Some(key) = key else {
        return Err(AppError::internal("validated verify input is incomplete"));
    };
    let found = keys::find_live(&ctx.db, Purpose::VerifyEmail, key)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = load_user(&ctx.db, found.user_id)
        .await?
        .filter(|u| u.email.to_lowercase() == found.email.to_lowercase())
        .ok_or(AppError::NotFound)?;
    let txn = ctx.db.begin().await?;
    if !keys::use_up(&txn, found.id).await? {
        return Err(AppError::NotFound);
    }
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .filter(user::Column::Id.eq(owner.id))
        .filter(user::Column::EmailKey.eq(owner.email.to_lowercase()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends the verification mail again to an account whose address is still
/// unverified — at most once per 3 minutes per address. Any well-formed
/// address gets the same answer.
pub async fn resend_verification(ctx: &Ctx, client: IpAddr, email: Field<String>) -> Result<()> {
    let started = tokio::time::Instant::now();
    ctx.throttle.hit_ip(Bucket::ResendEmailIp, client).await?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(email.as_deref()));
    v.finish()?;
    let Some(email) = email else {
        return Err(AppError::internal("validated resend input is incomplete"));
    };
    answer_evenly(started, queue_resend(ctx, &email)).await
}

/// Queues a verification mail again, unless the address is verified, unknown,
/// or had one lately.
async fn queue_resend(ctx: &Ctx, email: &Email) -> Result<()> {
    if ctx.mail.verification == EmailVerification::None {
        return Ok(());
    }
    let found = find_by_email(&ctx.db, email).await?;
    let Some(found) = found.filter(|u| !u.email_verified) else {
        return Ok(());
    };
    if queued_recently(
        &ctx.db,
        MailKind::VerifyEmail,
        &found.email,
        RESEND_COOLDOWN,
    )
    .await?
    {
        return Ok(());
    }
    let txn = ctx.db.begin().await?;
    queue_verification(ctx, &txn, &found).await?;
    txn.commit().await?;
    ctx.mail.wake.notify_one();
    Ok(())
}

/// Changes to one's own account (`PATCH`/`PUT /api/auth/user`, `updateMe`).
#[derive(Debug, Default, Clone)]
pub struct UserUpdate {
    pub username: Field<String>,
    pub email: Field<String>,
}

/// Updates the caller's username and/or email. `full` (PUT) requires both.
/// A new address is unverified: a verification mail goes to it and a notice
/// (no link) to the old one, in the same transaction.
pub async fn update_me(
    ctx: &Ctx,
    auth: &AuthUser,
    input: UserUpdate,
    full: bool,
) -> Result<UserView> {
    let mut v = Validator::new();
    let username = if full || !input.username.is_absent() {
        v.check("username", Username::parse(input.username.as_deref()))
    } else {
        None
    };
    let email = if full || !input.email.is_absent() {
        v.check("email", Email::parse(input.email.as_deref()))
    } else {
        None
    };
    check_unique(
        &ctx.db,
        &mut v,
        username.as_ref(),
        email.as_ref(),
        Some(auth.user.id),
    )
    .await?;
    v.finish()?;

    let mut user = auth.user.clone();
    let old_email = user.email.clone();
    let mut update = user::Entity::update_many().filter(user::Column::Id.eq(user.id));
    if let Some(u) = &username {
        update = update
            .col_expr(user::Column::Username, Expr::value(u.as_str()))
            .col_expr(user::Column::UsernameKey, Expr::value(u.key()));
        user.username = u.as_str().to_string();
    }
    // A new address (not the same one in other case) is unverified until
    // its owner opens the mail sent to it; the old address hears of it.
    let new_address = email
        .as_ref()
        .is_some_and(|e| e.key() != old_email.to_lowercase());
    if let Some(e) = &email {
        update = update
            .col_expr(user::Column::Email, Expr::value(e.as_str()))
            .col_expr(user::Column::EmailKey, Expr::value(e.key()));
        user.email = e.as_str().to_string();
    }
    if new_address {
        update = update.col_expr(user::Column::EmailVerified, Expr::value(false));
        user.email_verified = false;
    }
    if username.is_none() && email.is_none() {
        return Ok(UserView::own(&user));
    }
    let txn = ctx.db.begin().await?;
    update.exec(&txn).await.map_err(map_unique_violation)?;
    if new_address {
        keys::revoke_all(&txn, user.id, Purpose::VerifyEmail).await?;
        if ctx.mail.verification != EmailVerification::None {
            queue_verification(ctx, &txn, &user).await?;
        }
        let notice = ctx.mail.email_changed(&user.username, &user.email);
        enqueue(&txn, MailKind::EmailChanged, &old_email, notice).await?;
    }
    txn.commit().await?;
    ctx.mail.wake.notify_one();
    Ok(UserView::own(&user))
}
