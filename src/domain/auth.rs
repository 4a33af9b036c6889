//! Sign-up, sign-in, sessions and tokens: register, login, refresh (with
//! rotation and reuse detection), logout, password change.

use chrono::{DateTime, Utc};
use entity::{refresh_token, session, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QuerySelect, RelationTrait, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Timestamp, now, text,
    users::{Email, UserView, Username, check_unique, map_unique_violation, password_problems},
};
use crate::{
    auth::{
        Actor, AuthUser,
        tokens::{new_refresh_token, parse_refresh_token, refresh_matches},
    },
    client::ClientIp,
    error::{AppError, NON_FIELD_ERRORS, Result, Validator},
    events::Revocation,
    state::AppState,
    throttle::Bucket,
};

pub const LOGIN_FAILED: &str = "Unable to log in with provided credentials.";
pub const REGISTER_MISMATCH: &str = "The two password fields didn't match.";
pub const CHANGE_MISMATCH: &str = "The two password fields didn\u{2019}t match.";
pub const OLD_PASSWORD_WRONG: &str =
    "Your old password was entered incorrectly. Please enter it again.";

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

#[derive(Debug, Default, Clone)]
pub struct RegisterInput {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password1: Option<String>,
    pub password2: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ChangePasswordInput {
    pub old_password: Option<String>,
    pub new_password1: Option<String>,
    pub new_password2: Option<String>,
}

/// Creates an account and signs it in.
pub async fn register(ctx: &AppState, client: ClientIp, input: RegisterInput) -> Result<SignedIn> {
    ctx.throttle.hit_ip(Bucket::RegisterIp, client.0)?;
    let mut v = Validator::new();
    let username = v.check("username", Username::parse(input.username.as_deref()));
    let email = v.check("email", Email::parse(input.email.as_deref()));
    let password1 = v.check("password1", text::non_empty(input.password1.as_deref()));
    let password2 = v.check("password2", text::non_empty(input.password2.as_deref()));
    if let Some(p) = password1 {
        for problem in password_problems(
            p,
            username.as_ref().map(Username::as_str),
            email.as_ref().map(Email::as_str),
        ) {
            v.add("password1", problem);
        }
    }
    check_unique(&ctx.db, &mut v, username.as_ref(), email.as_ref(), None).await?;
    if v.is_empty() && password1 != password2 {
        v.add(NON_FIELD_ERRORS, REGISTER_MISMATCH);
    }
    v.finish()?;
    let (Some(username), Some(email), Some(password)) = (username, email, password1) else {
        return Err(AppError::internal("validated register input is incomplete"));
    };
    let hash = ctx.passwords.hash(password).await?;
    create_user(ctx, &username, &email, hash, false)
        .await
        .map(|(user, tokens)| SignedIn {
            user: UserView::own(&user),
            tokens,
        })
}

/// Inserts a user and opens their first session, in one transaction.
async fn create_user(
    ctx: &AppState,
    username: &Username,
    email: &Email,
    password_hash: String,
    is_staff: bool,
) -> Result<(user::Model, AuthTokens)> {
    let at = now();
    let txn = ctx.db.begin().await?;
    let user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.as_str().to_string()),
        username_key: Set(username.key()),
        email: Set(email.as_str().to_string()),
        email_key: Set(email.key()),
        password_hash: Set(password_hash),
        is_staff: Set(is_staff),
        date_joined: Set(at),
        last_login: Set(Some(at)),
    }
    .insert(&txn)
    .await
    .map_err(map_unique_violation)?;
    let tokens = open_session(ctx, &txn, user.id, at).await?;
    txn.commit().await?;
    Ok((user, tokens))
}

/// Creates a staff account without opening a session (`create-admin`).
pub async fn create_admin(
    ctx: &AppState,
    username: &str,
    email: &str,
    password: &str,
) -> Result<UserView> {
    let mut v = Validator::new();
    let username = v.check("username", Username::parse(Some(username)));
    let email = v.check("email", Email::parse(Some(email)));
    for problem in password_problems(
        password,
        username.as_ref().map(Username::as_str),
        email.as_ref().map(Email::as_str),
    ) {
        v.add("password", problem);
    }
    check_unique(&ctx.db, &mut v, username.as_ref(), email.as_ref(), None).await?;
    v.finish()?;
    let (Some(username), Some(email)) = (username, email) else {
        return Err(AppError::internal("validated admin input is incomplete"));
    };
    let hash = ctx.passwords.hash(password).await?;
    let user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.as_str().to_string()),
        username_key: Set(username.key()),
        email: Set(email.as_str().to_string()),
        email_key: Set(email.key()),
        password_hash: Set(hash),
        is_staff: Set(true),
        date_joined: Set(now()),
        last_login: Set(None),
    }
    .insert(&ctx.db)
    .await
    .map_err(map_unique_violation)?;
    Ok(UserView::own(&user))
}

/// Signs in by username or email. Failures look the same whether or not the
/// user exists, in message and in time.
pub async fn login(ctx: &AppState, client: ClientIp, input: LoginInput) -> Result<SignedIn> {
    // Every attempt counts toward the client's limit.
    ctx.throttle.hit_ip(Bucket::LoginIp, client.0)?;
    let mut v = Validator::new();
    let password = v.check("password", text::non_empty(input.password.as_deref()));
    let username = input
        .username
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if username.is_none() && email.is_none() {
        v.add(
            NON_FIELD_ERRORS,
            "Must include \"username\" and \"password\".",
        );
    }
    v.finish()?;
    let Some(password) = password else {
        return Err(AppError::internal("validated login input is incomplete"));
    };

    let found = match (username, email) {
        (Some(u), _) => {
            user::Entity::find()
                .filter(user::Column::UsernameKey.eq(u.to_ascii_lowercase()))
                .one(&ctx.db)
                .await?
        }
        (None, Some(e)) => {
            user::Entity::find()
                .filter(user::Column::EmailKey.eq(e.to_lowercase()))
                .one(&ctx.db)
                .await?
        }
        (None, None) => None,
    };
    // Failures are counted per account: the user when there is one, else the
    // name tried (so an unknown name behaves like a known one).
    let account = match (&found, username, email) {
        (Some(u), _, _) => u.id.to_string(),
        (None, Some(u), _) => format!("username:{}", u.to_ascii_lowercase()),
        (None, None, Some(e)) => format!("email:{}", e.to_lowercase()),
        (None, None, None) => String::new(),
    };
    ctx.throttle.check_account(&account)?;
    let valid = ctx
        .passwords
        .verify(password, found.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    let (true, Some(user)) = (valid, found) else {
        ctx.throttle.record_failure(&account);
        return Err(AppError::field(NON_FIELD_ERRORS, LOGIN_FAILED));
    };
    ctx.throttle.clear_failures(&account);

    let at = now();
    let txn = ctx.db.begin().await?;
    let mut active: user::ActiveModel = user.into();
    active.last_login = Set(Some(at));
    let user = active.update(&txn).await?;
    let tokens = open_session(ctx, &txn, user.id, at).await?;
    txn.commit().await?;
    Ok(SignedIn {
        user: UserView::own(&user),
        tokens,
    })
}

/// Opens a session and issues its first token pair.
async fn open_session(
    ctx: &AppState,
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
    ctx: &AppState,
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

/// A session's user with the session's own state, read in one statement
/// with unprefixed columns (sea-orm's `find_also_related` formats a name for
/// every column of every row: a few % of every authenticated request).
#[derive(Debug, FromQueryResult)]
struct SessionUser {
    id: Uuid,
    username: String,
    username_key: String,
    email: String,
    email_key: String,
    password_hash: String,
    is_staff: bool,
    date_joined: DateTime<Utc>,
    last_login: Option<DateTime<Utc>>,
    session_revoked_at: Option<DateTime<Utc>>,
    session_expires_at: DateTime<Utc>,
}

/// Checks an access token and its session: the session must be live, so a
/// logout takes effect at once on every instance sharing the database.
pub async fn authenticate_access(ctx: &AppState, token: &str) -> Result<AuthUser> {
    let claims = ctx.tokens.decode_access(token)?;
    let found = user::Entity::find()
        .column_as(session::Column::RevokedAt, "session_revoked_at")
        .column_as(session::Column::ExpiresAt, "session_expires_at")
        .join(JoinType::InnerJoin, user::Relation::Session.def())
        .filter(session::Column::Id.eq(claims.sid))
        .into_model::<SessionUser>()
        .one(&ctx.db)
        .await?;
    match found {
        Some(s)
            if s.id == claims.sub
                && s.session_revoked_at.is_none()
                && s.session_expires_at > Utc::now() =>
        {
            Ok(AuthUser {
                user: user::Model {
                    id: s.id,
                    username: s.username,
                    username_key: s.username_key,
                    email: s.email,
                    email_key: s.email_key,
                    password_hash: s.password_hash,
                    is_staff: s.is_staff,
                    date_joined: s.date_joined,
                    last_login: s.last_login,
                },
                session_id: claims.sid,
                access_expires_at: claims.exp,
            })
        }
        _ => Err(AppError::TokenNotValid),
    }
}

/// Is the session still live (not revoked, not expired)?
pub async fn session_is_live(ctx: &AppState, sid: Uuid) -> Result<bool> {
    Ok(session::Entity::find_by_id(sid)
        .one(&ctx.db)
        .await?
        .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > Utc::now()))
}

/// The live session a presented refresh token belongs to, with the token's row.
/// A token that was already used ends its session (theft detection).
async fn session_of_refresh(
    ctx: &AppState,
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
pub async fn refresh(ctx: &AppState, client: ClientIp, token: Option<&str>) -> Result<SignedIn> {
    ctx.throttle.hit_ip(Bucket::RefreshIp, client.0)?;
    let token = text::present(token).map_err(|m| field_errors("refresh", m))?;
    let (row, session) = session_of_refresh(ctx, token).await?;
    let user = user::Entity::find_by_id(session.user_id)
        .one(&ctx.db)
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

fn field_errors(field: &str, messages: Vec<String>) -> AppError {
    let mut v = Validator::new();
    for m in messages {
        v.add(field, m);
    }
    v.finish().err().unwrap_or(AppError::NotAuthenticated)
}

/// Revokes one session and tells the live feed, whose subscriptions on it end.
async fn revoke_session(ctx: &AppState, user_id: Uuid, sid: Uuid) -> Result<()> {
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

/// Revokes every live session of a user, except `keep`.
async fn revoke_user_sessions(
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

async fn announce_user_revocation(ctx: &AppState, user_id: Uuid, keep: Option<Uuid>) {
    ctx.bus
        .sessions_revoked(Revocation {
            user_id,
            session: None,
            keep,
        })
        .await;
}

/// Ends the caller's session (named by the bearer token and/or a refresh token),
/// or every session of the user with `all_sessions`.
pub async fn logout(
    ctx: &AppState,
    actor: &Actor,
    refresh: Option<&str>,
    all_sessions: bool,
) -> Result<()> {
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

/// Changes the caller's password; the calling session stays, all others end.
pub async fn change_password(
    ctx: &AppState,
    client: ClientIp,
    auth: &AuthUser,
    input: ChangePasswordInput,
) -> Result<()> {
    ctx.throttle.hit_ip(Bucket::PasswordChangeIp, client.0)?;
    let mut v = Validator::new();
    let old = v.check(
        "old_password",
        text::non_empty(input.old_password.as_deref()),
    );
    let new1 = v.check(
        "new_password1",
        text::non_empty(input.new_password1.as_deref()),
    );
    let new2 = v.check(
        "new_password2",
        text::non_empty(input.new_password2.as_deref()),
    );
    if let Some(old) = old
        && !ctx
            .passwords
            .verify(old, Some(&auth.user.password_hash))
            .await?
    {
        v.add("old_password", OLD_PASSWORD_WRONG);
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
    txn.commit().await?;
    announce_user_revocation(ctx, auth.user.id, Some(auth.session_id)).await;
    Ok(())
}

/// A fresh token pair for the caller's own session; its unused refresh tokens
/// are retired (deleted, so presenting one later is invalid but not theft).
pub async fn reissue(ctx: &AppState, auth: &AuthUser) -> Result<SignedIn> {
    let at = now();
    let expires = at + ctx.tokens.refresh_ttl();
    let txn = ctx.db.begin().await?;
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::SessionId.eq(auth.session_id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(expires))
        .filter(session::Column::Id.eq(auth.session_id))
        .exec(&txn)
        .await?;
    let tokens = issue_tokens(ctx, &txn, auth.user.id, auth.session_id, at, expires).await?;
    txn.commit().await?;
    let user = user::Entity::find_by_id(auth.user.id)
        .one(&ctx.db)
        .await?
        .ok_or(AppError::TokenNotValid)?;
    Ok(SignedIn {
        user: UserView::own(&user),
        tokens,
    })
}
