//! `/api/auth/...`: dj-rest-auth's routes and shapes over the auth domain.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    json::JsonBody,
    openapi::{DetailBody, ErrorBody, ValidationErrors},
};
use crate::{
    auth::{Actor, CurrentUser},
    client::ClientIp,
    domain::{
        Timestamp,
        auth::{self, ChangePasswordInput, LoginInput, RegisterInput, SignedIn},
        users::{self, UserUpdate, UserView},
    },
    error::Result,
    state::AppState,
};

/// dj-rest-auth's user object: `pk` repeats `id`.
#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
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

#[derive(Deserialize, ToSchema)]
struct RegisterBody {
    username: Option<String>,
    email: Option<String>,
    password1: Option<String>,
    password2: Option<String>,
}

#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = TokensBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn register(
    State(ctx): State<AppState>,
    client: ClientIp,
    JsonBody(b): JsonBody<RegisterBody>,
) -> Result<(StatusCode, Json<TokensBody>)> {
    let input = RegisterInput {
        username: b.username,
        email: b.email,
        password1: b.password1,
        password2: b.password2,
    };
    let signed_in = auth::register(&ctx, client, input).await?;
    Ok((StatusCode::CREATED, Json(TokensBody::new(signed_in, true))))
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = TokensBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn login(
    State(ctx): State<AppState>,
    client: ClientIp,
    JsonBody(b): JsonBody<LoginBody>,
) -> Result<Json<TokensBody>> {
    let input = LoginInput {
        username: b.username,
        email: b.email,
        password: b.password,
    };
    Ok(Json(TokensBody::new(
        auth::login(&ctx, client, input).await?,
        true,
    )))
}

#[derive(Deserialize, Default, ToSchema)]
struct LogoutBody {
    refresh: Option<String>,
    #[serde(default)]
    all_sessions: bool,
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body(content = Option<LogoutBody>),
    security((), ("bearer" = [])), responses((status = 200, body = DetailBody), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn logout(
    State(ctx): State<AppState>,
    actor: Actor,
    body: Option<JsonBody<LogoutBody>>,
) -> Result<Json<DetailBody>> {
    let b = body.map(|JsonBody(b)| b).unwrap_or_default();
    auth::logout(&ctx, &actor, b.refresh.as_deref(), b.all_sessions).await?;
    Ok(Json(DetailBody {
        detail: "Successfully logged out.",
    }))
}

#[utoipa::path(get, path = "/auth/user", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserBody), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn get_user(CurrentUser(me): CurrentUser) -> Json<UserBody> {
    Json(users::me(&me).into())
}

#[derive(Deserialize, ToSchema)]
struct UserUpdateBody {
    username: Option<String>,
    email: Option<String>,
}

#[utoipa::path(put, path = "/auth/user", tag = "auth", security(("bearer" = [])), request_body = UserUpdateBody,
    responses((status = 200, body = UserBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn put_user(
    State(ctx): State<AppState>,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<UserUpdateBody>,
) -> Result<Json<UserBody>> {
    update_user(ctx, me, b, true).await
}

#[utoipa::path(patch, path = "/auth/user", tag = "auth", security(("bearer" = [])), request_body = UserUpdateBody,
    responses((status = 200, body = UserBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
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

#[derive(Deserialize, ToSchema)]
struct PasswordChangeBody {
    old_password: Option<String>,
    new_password1: Option<String>,
    new_password2: Option<String>,
}

#[utoipa::path(post, path = "/auth/password/change", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChangeBody, responses((status = 200, body = DetailBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn change_password(
    State(ctx): State<AppState>,
    client: ClientIp,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<PasswordChangeBody>,
) -> Result<Json<DetailBody>> {
    let input = ChangePasswordInput {
        old_password: b.old_password,
        new_password1: b.new_password1,
        new_password2: b.new_password2,
    };
    auth::change_password(&ctx, client, &me, input).await?;
    Ok(Json(DetailBody {
        detail: "New password has been saved.",
    }))
}

#[derive(Deserialize, ToSchema)]
struct RefreshBody {
    refresh: Option<String>,
}

#[utoipa::path(post, path = "/auth/token/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokensBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn refresh(
    State(ctx): State<AppState>,
    client: ClientIp,
    JsonBody(b): JsonBody<RefreshBody>,
) -> Result<Json<TokensBody>> {
    Ok(Json(TokensBody::new(
        auth::refresh(&ctx, client, b.refresh.as_deref()).await?,
        false,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(get_user, put_user, patch_user))
        .routes(routes!(change_password))
        .routes(routes!(refresh))
}
