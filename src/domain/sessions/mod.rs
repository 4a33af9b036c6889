//! Sessions and their tokens: authenticate an access token, refresh (with
//! rotation and reuse detection), log out, revoke.

use chrono::{DateTime, Utc};
use entity::{refresh_token, session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use std::net::IpAddr;
use tokio::sync::OnceCell;
use uuid::Uuid;

pub(crate) mod claim;

pub use claim::Claim;
use claim::{SessionUser, session_user_select};

use crate::{
    auth::tokens::{new_refresh_token, parse_refresh_token, refresh_matches},
    domain::{
        Ctx,
        actor::{Actor, AuthUser},
        feed::bus::Revocation,
        input::{Field, present},
        time::{Timestamp, now},
        users::{UserView, load_user},
    },
    error::{AppError, Result, Validator},
    throttle::Bucket,
};

/// A token pair for one session.
#[derive(Debug, Clone)]
pub struct AuthTokens {
    pub access: String,
    pub refresh: String,
    pub access_expiration: Timestamp,
    pub refresh_expiration: Timestamp,
}

/// Tokens and the user they belong to.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub tokens: AuthTokens,
    pub user: UserView,
}

/// Opens a session and issues its first token pair.
pub(super) async fn open_session(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> Result<AuthTokens> {
    let expires = at + ctx.tokens.refresh_ttl();
    let sid = Uuid::now_v7();
    session::ActiveModel {
        id: Set(sid),
        user_id: Set(user_id),
        created_at: Set(at),
        expires_at: Set(expires),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    issue_tokens(ctx, db, user_id, sid, at, expires).await
}

/// Stores a new refresh token for a session and signs an access token.
async fn issue_tokens(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    sid: Uuid,
    at: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<AuthTokens> {
    let refresh = new_refresh_token();
    refresh_token::ActiveModel {
        id: Set(refresh.id),
        session_id: Set(sid),
        token_hash: Set(refresh.hash),
        created_at: Set(at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    let (access, access_exp) = ctx.tokens.issue_access(user_id, sid, at)?;
    Ok(AuthTokens {
        access,
        refresh: refresh.token,
        access_expiration: access_exp.into(),
        refresh_expiration: expires.into(),
    })
}

/// Verifies an access token's signature and expiry (no database).
pub fn claim(ctx: &Ctx, token: &str) -> Result<Claim> {
    ctx.tokens.decode_access(token).map(Claim)
}

/// Checks a claim's session: it must be live, so a logout takes effect at
/// once on every instance sharing the database.
pub async fn check(ctx: &Ctx, claim: &Claim) -> Result<AuthUser> {
    session_user_select(claim)
        .into_model::<SessionUser>()
        .one(&ctx.db)
        .await?
        .ok_or(AppError::TokenNotValid)?
        .into_caller(claim)
}

/// Checks an access token and its session ([`claim`], then [`check`]).
pub async fn authenticate(ctx: &Ctx, token: &str) -> Result<AuthUser> {
    check(ctx, &claim(ctx, token)?).await
}

/// The caller of one request, resolved at most once: anonymous, known, or
/// claimed by a token whose session is checked on first use — by
/// [`Caller::actor`], or inside a read's own statement
/// ([`crate::domain::cards::get_as`]), which saves a round trip.
#[derive(Debug)]
pub struct Caller {
    claim: Option<Claim>,
    actor: OnceCell<Actor>,
}

impl Caller {
    /// A caller whose session is already checked (or anonymous).
    pub fn known(actor: Actor) -> Self {
        Self {
            claim: None,
            actor: OnceCell::new_with(Some(actor)),
        }
    }

    /// A caller whose session is checked on first use.
    pub fn claimed(claim: Claim) -> Self {
        Self {
            claim: Some(claim),
            actor: OnceCell::new(),
        }
    }

    /// The caller, checking the claim's session on first use.
    pub async fn actor(&self, ctx: &Ctx) -> Result<&Actor> {
        self.actor
            .get_or_try_init(|| async {
                match &self.claim {
                    Some(claim) => Ok(Actor(Some(check(ctx, claim).await?))),
                    None => Ok(Actor(None)),
                }
            })
            .await
    }

    /// The claim, while its session is not yet checked.
    pub(crate) fn unchecked(&self) -> Option<&Claim> {
        self.claim.as_ref().filter(|_| !self.actor.initialized())
    }

    /// Records the caller a read checked in its own statement.
    pub(crate) fn checked(&self, auth: AuthUser) -> Actor {
        let actor = Actor(Some(auth));
        // A concurrent check of the same claim found the same caller.
        let _ = self.actor.set(actor.clone());
        actor
    }
}

/// Is the session still live (not revoked, not expired)?
pub async fn session_is_live(ctx: &Ctx, sid: Uuid) -> Result<bool> {
    Ok(session::Entity::find_by_id(sid)
        .one(&ctx.db)
        .await?
        .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > Utc::now()))
}

/// The live session a presented refresh token belongs to, with the token's row.
/// A token that was already used ends its session (theft detection).
async fn session_of_refresh(
    ctx: &Ctx,
    token: &str,
) -> Result<(refresh_token::Model, session::Model)> {
    let (id, secret) = parse_refresh_token(token).ok_or(AppError::TokenNotValid)?;
    let row = refresh_token::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .filter(|r| refresh_matches(secret, &r.token_hash))
        .ok_or(AppError::TokenNotValid)?;
    if row.used_at.is_some() {
        let owner = session::Entity::find_by_id(row.session_id)
            .one(&ctx.db)
            .await?;
        if let Some(owner) = owner {
            revoke_session(ctx, owner.user_id, row.session_id).await?;
        }
        tracing::warn!(session = %row.session_id, "refresh token reused; session revoked");
        return Err(AppError::TokenNotValid);
    }
    let session = session::Entity::find_by_id(row.session_id)
        .one(&ctx.db)
        .await?
        .filter(|s| s.revoked_at.is_none() && s.expires_at > Utc::now())
        .ok_or(AppError::TokenNotValid)?;
    Ok((row, session))
}

/// Exchanges a refresh token for a new pair; the presented one is used up.
pub async fn refresh(ctx: &Ctx, client: IpAddr, token: Field<String>) -> Result<SignedIn> {
    ctx.throttle.hit_ip(Bucket::RefreshIp, client).await?;
    let mut v = Validator::new();
    let token = v.check("refresh", present(token.as_deref()));
    v.finish()?;
    let Some(token) = token else {
        return Err(AppError::internal("validated refresh input is incomplete"));
    };
    let (row, session) = session_of_refresh(ctx, token).await?;
    let user = load_user(&ctx.db, session.user_id)
        .await?
        .ok_or(AppError::TokenNotValid)?;

    let at = now();
    let expires = at + ctx.tokens.refresh_ttl();
    let txn = ctx.db.begin().await?;
    // Conditional on still being unused: of two concurrent uses, one loses.
    let used = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(at))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        txn.rollback().await?;
        revoke_session(ctx, session.user_id, session.id).await?;
        return Err(AppError::TokenNotValid);
    }
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(expires))
        .filter(session::Column::Id.eq(session.id))
        .exec(&txn)
        .await?;
    let tokens = issue_tokens(ctx, &txn, user.id, session.id, at, expires).await?;
    txn.commit().await?;
    Ok(SignedIn {
        user: UserView::own(&user),
        tokens,
    })
}

/// Revokes one session and tells the live feed, whose subscriptions on it end.
async fn revoke_session(ctx: &Ctx, user_id: Uuid, sid: Uuid) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::Id.eq(sid))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&ctx.db)
        .await?;
    ctx.bus
        .sessions_revoked(Revocation {
            user_id,
            session: Some(sid),
            keep: None,
        })
        .await;
    Ok(())
}

/// Revokes every live session of a user, except `keep`, inside `db`'s
/// transaction; the caller announces it with [`announce_user_revocation`]
/// once committed.
pub(super) async fn revoke_user_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<()> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    update.exec(db).await?;
    Ok(())
}

/// Tells the live feed that a user's sessions (but `keep`) ended.
pub(super) async fn announce_user_revocation(ctx: &Ctx, user_id: Uuid, keep: Option<Uuid>) {
    ctx.bus
        .sessions_revoked(Revocation {
            user_id,
            session: None,
            keep,
        })
        .await;
}

/// What a logout names: a refresh token (besides the bearer's session), and
/// whether every session of the user ends (default: no).
#[derive(Debug, Default, Clone)]
pub struct LogoutInput {
    pub refresh: Field<String>,
    pub all_sessions: Field<bool>,
}

/// Ends the caller's session (named by the bearer token and/or a refresh token),
/// or every session of the user with `all_sessions`.
pub async fn logout(ctx: &Ctx, actor: &Actor, input: LogoutInput) -> Result<()> {
    let mut v = Validator::new();
    let refresh = v.check("refresh", input.refresh.non_null()).flatten();
    let all_sessions = v.check("all_sessions", input.all_sessions.non_null());
    v.finish()?;
    let all_sessions = all_sessions.flatten().unwrap_or(false);
    let refresh = refresh.as_deref();
    let from_refresh = match (refresh.filter(|r| !r.is_empty()), &actor.0) {
        (Some(token), None) => Some(session_of_refresh(ctx, token).await?.1),
        // With a valid bearer, a stale refresh token does not fail the logout.
        (Some(token), Some(_)) => session_of_refresh(ctx, token).await.ok().map(|(_, s)| s),
        (None, _) => None,
    };
    let user_id = match (&actor.0, &from_refresh) {
        (Some(a), _) => a.user.id,
        (None, Some(s)) => s.user_id,
        (None, None) => return Err(AppError::NotAuthenticated),
    };
    if all_sessions {
        revoke_user_sessions(&ctx.db, user_id, None).await?;
        announce_user_revocation(ctx, user_id, None).await;
        return Ok(());
    }
    if let Some(a) = &actor.0 {
        revoke_session(ctx, user_id, a.session_id).await?;
    }
    if let Some(s) = from_refresh.filter(|s| s.user_id == user_id) {
        revoke_session(ctx, user_id, s.id).await?;
    }
    Ok(())
}

/// A fresh token pair for the caller's own session, inside `db`'s
/// transaction; its unused refresh tokens are retired (deleted, so presenting
/// one later is invalid but not theft).
pub(super) async fn reissue(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    auth: &AuthUser,
) -> Result<AuthTokens> {
    let at = now();
    let expires = at + ctx.tokens.refresh_ttl();
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.eq(auth.session_id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(expires))
        .filter(session::Column::Id.eq(auth.session_id))
        .exec(db)
        .await?;
    issue_tokens(ctx, db, auth.user.id, auth.session_id, at, expires).await
}
