//! `/api/auth/...`: dj-rest-auth's routes and shapes over the auth domain.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::json::JsonBody;
use crate::{
    auth::{Actor, CurrentUser},
    domain::{
        Timestamp,
        auth::{self, ChangePasswordInput, LoginInput, RegisterInput, SignedIn},
        users::{self, UserUpdate, UserView},
    },
    error::Result,
    state::AppState,
};

/// dj-rest-auth's user object: `pk` repeats `id`.
#[derive(Serialize)]
pub struct UserBody {
    id: uuid::Uuid,
    pk: uuid::Uuid,
    username: String,
    email: Option<String>,
    is_staff: bool,
    date_joined: Timestamp,
    last_login: Option<Timestamp>,
}

impl From<UserView> for UserBody {
    fn from(u: UserView) -> Self {
        Self {
            id: u.id,
            pk: u.id,
            username: u.username,
            email: u.email,
            is_staff: u.is_staff,
            date_joined: u.date_joined,
            last_login: u.last_login,
        }
    }
}

#[derive(Serialize)]
struct TokensBody {
    access: String,
    refresh: String,
    access_expiration: Timestamp,
    refresh_expiration: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserBody>,
}

impl TokensBody {
    fn new(s: SignedIn, with_user: bool) -> Self {
        Self {
            access: s.tokens.access,
            refresh: s.tokens.refresh,
            access_expiration: s.tokens.access_expiration,
            refresh_expiration: s.tokens.refresh_expiration,
            user: with_user.then(|| s.user.into()),
        }
    }
}

#[derive(Deserialize)]
struct RegisterBody {
    username: Option<String>,
    email: Option<String>,
    password1: Option<String>,
    password2: Option<String>,
}

async fn register(
    State(ctx): State<AppState>,
    JsonBody(b): JsonBody<RegisterBody>,
) -> Result<(StatusCode, Json<TokensBody>)> {
    let input = RegisterInput {
        username: b.username,
        email: b.email,
        password1: b.password1,
        password2: b.password2,
    };
    let signed_in = auth::register(&ctx, input).await?;
    Ok((StatusCode::CREATED, Json(TokensBody::new(signed_in, true))))
}

#[derive(Deserialize)]
struct LoginBody {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

async fn login(
    State(ctx): State<AppState>,
    JsonBody(b): JsonBody<LoginBody>,
) -> Result<Json<TokensBody>> {
    let input = LoginInput {
        username: b.username,
        email: b.email,
        password: b.password,
    };
    Ok(Json(TokensBody::new(auth::login(&ctx, input).await?, true)))
}

#[derive(Deserialize, Default)]
struct LogoutBody {
    refresh: Option<String>,
    #[serde(default)]
    all_sessions: bool,
}

async fn logout(
    State(ctx): State<AppState>,
    actor: Actor,
    body: Option<JsonBody<LogoutBody>>,
) -> Result<Json<Value>> {
    let b = body.map(|JsonBody(b)| b).unwrap_or_default();
    auth::logout(&ctx, &actor, b.refresh.as_deref(), b.all_sessions).await?;
    Ok(Json(json!({"detail": "Successfully logged out."})))
}

async fn get_user(CurrentUser(me): CurrentUser) -> Json<UserBody> {
    Json(users::me(&me).into())
}

#[derive(Deserialize)]
struct UserUpdateBody {
    username: Option<String>,
    email: Option<String>,
}

async fn put_user(
    State(ctx): State<AppState>,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<UserUpdateBody>,
) -> Result<Json<UserBody>> {
    update_user(ctx, me, b, true).await
}

async fn patch_user(
    State(ctx): State<AppState>,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<UserUpdateBody>,
) -> Result<Json<UserBody>> {
    update_user(ctx, me, b, false).await
}

async fn update_user(
    ctx: AppState,
    me: crate::auth::AuthUser,
    b: UserUpdateBody,
    full: bool,
) -> Result<Json<UserBody>> {
    let input = UserUpdate {
        username: b.username,
        email: b.email,
    };
    Ok(Json(users::update_me(&ctx, &me, input, full).await?.into()))
}

#[derive(Deserialize)]
struct PasswordChangeBody {
    old_password: Option<String>,
    new_password1: Option<String>,
    new_password2: Option<String>,
}

async fn change_password(
    State(ctx): State<AppState>,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<PasswordChangeBody>,
) -> Result<Json<Value>> {
    let input = ChangePasswordInput {
        old_password: b.old_password,
        new_password1: b.new_password1,
        new_password2: b.new_password2,
    };
    auth::change_password(&ctx, &me, input).await?;
    Ok(Json(json!({"detail": "New password has been saved."})))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh: Option<String>,
}

async fn refresh(
    State(ctx): State<AppState>,
    JsonBody(b): JsonBody<RefreshBody>,
) -> Result<Json<TokensBody>> {
    Ok(Json(TokensBody::new(
        auth::refresh(&ctx, b.refresh.as_deref()).await?,
        false,
    )))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/user", get(get_user).put(put_user).patch(patch_user))
        .route("/auth/password/change", post(change_password))
        .route("/auth/token/refresh", post(refresh))
}
