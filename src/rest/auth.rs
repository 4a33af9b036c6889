//! `/api/auth/...`: dj-rest-auth's routes and shapes over the auth domain.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::openapi::{DetailBody, ErrorBody, ValidationErrors};
use crate::{
    domain::{
        Ctx,
        accounts::{self, ChangePasswordInput, LoginInput, RegisterInput, Registered, UserUpdate},
        actor::{Actor, AuthUser},
        input::Field,
        sessions::{self, LogoutInput, SignedIn},
        time::Timestamp,
        users::{self, UserView},
    },
    error::Result,
    http::{actor::CurrentUser, client_ip::ClientIp, json::JsonBody},
    state::AppState,
};

/// dj-rest-auth's user object: `pk` repeats `id`.
#[derive(Serialize, ToSchema)]
pub struct UserBody {
    id: uuid::Uuid,
    pk: uuid::Uuid,
    username: String,
    email: Option<String>,
    email_verified: Option<bool>,
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
            email_verified: u.email_verified,
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
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    username: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    password1: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    password2: Field<String>,
}

/// With `EMAIL_VERIFICATION=mandatory` the answer is 201 `{"detail": "Verification
/// e-mail sent."}` and no tokens.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = TokensBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn register(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<RegisterBody>,
) -> Result<Response> {
    let input = RegisterInput {
        username: b.username,
        email: b.email,
        password1: b.password1,
        password2: b.password2,
    };
    Ok(match accounts::register(&ctx, client.0, input).await? {
        Registered::SignedIn(signed_in) => {
            (StatusCode::CREATED, Json(TokensBody::new(signed_in, true))).into_response()
        }
        Registered::VerificationSent(_) => (
            StatusCode::CREATED,
            Json(DetailBody {
                detail: "Verification e-mail sent.",
            }),
        )
            .into_response(),
    })
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    username: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    password: Field<String>,
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = TokensBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn login(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<LoginBody>,
) -> Result<Json<TokensBody>> {
    let input = LoginInput {
        username: b.username,
        email: b.email,
        password: b.password,
    };
    Ok(Json(TokensBody::new(
        accounts::login(&ctx, client.0, input).await?,
        true,
    )))
}

#[derive(Deserialize, Default, ToSchema)]
struct LogoutBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    refresh: Field<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    all_sessions: Field<bool>,
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body(content = Option<LogoutBody>),
    security((), ("bearer" = [])), responses((status = 200, body = DetailBody), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn logout(
    State(ctx): State<Ctx>,
    actor: Actor,
    body: Option<JsonBody<LogoutBody>>,
) -> Result<Json<DetailBody>> {
    let b = body.map(|JsonBody(b)| b).unwrap_or_default();
    let input = LogoutInput {
        refresh: b.refresh,
        all_sessions: b.all_sessions,
    };
    sessions::logout(&ctx, &actor, input).await?;
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
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    username: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Field<String>,
}

#[utoipa::path(put, path = "/auth/user", tag = "auth", security(("bearer" = [])), request_body = UserUpdateBody,
    responses((status = 200, body = UserBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn put_user(
    State(ctx): State<Ctx>,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<UserUpdateBody>,
) -> Result<Json<UserBody>> {
    update_user(ctx, me, b, true).await
}

#[utoipa::path(patch, path = "/auth/user", tag = "auth", security(("bearer" = [])), request_body = UserUpdateBody,
    responses((status = 200, body = UserBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn patch_user(
    State(ctx): State<Ctx>,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<UserUpdateBody>,
) -> Result<Json<UserBody>> {
    update_user(ctx, me, b, false).await
}

async fn update_user(
    ctx: Ctx,
    me: AuthUser,
    b: UserUpdateBody,
    full: bool,
) -> Result<Json<UserBody>> {
    let input = UserUpdate {
        username: b.username,
        email: b.email,
    };
    Ok(Json(
        accounts::update_me(&ctx, &me, input, full).await?.into(),
    ))
}

#[derive(Deserialize, ToSchema)]
struct PasswordChangeBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    old_password: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    new_password1: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    new_password2: Field<String>,
}

#[utoipa::path(post, path = "/auth/password/change", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChangeBody, responses((status = 200, body = DetailBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn change_password(
    State(ctx): State<Ctx>,
    client: ClientIp,
    CurrentUser(me): CurrentUser,
    JsonBody(b): JsonBody<PasswordChangeBody>,
) -> Result<Json<DetailBody>> {
    let input = ChangePasswordInput {
        old_password: b.old_password,
        new_password1: b.new_password1,
        new_password2: b.new_password2,
    };
    accounts::change_password(&ctx, client.0, &me, input).await?;
    Ok(Json(DetailBody {
        detail: "New password has been saved.",
    }))
}

#[derive(Deserialize, ToSchema)]
struct RefreshBody {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    refresh: Field<String>,
}

#[utoipa::path(post, path = "/auth/token/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokensBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn refresh(
    State(ctx): State<Ctx>,
    client: ClientIp,
    JsonBody(b): JsonBody<RefreshBody>,
) -> Result<Json<TokensBody>> {
    Ok(Json(TokensBody::new(
        sessions::refresh(&ctx, client.0, b.refresh).await?,
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
