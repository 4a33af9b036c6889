//! Who is calling: resolved once per request from the `Authorization` header.
//! No header means anonymous; a header that is not a valid bearer token for a
//! live session is an error, never anonymous.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, header, request::Parts},
    middleware::Next,
    response::Response,
};
use entity::user;
use uuid::Uuid;

use crate::{
    domain::auth::authenticate_access,
    error::{AppError, Result},
    state::AppState,
};

/// A signed-in caller and the session its token belongs to.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: user::Model,
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

    /// Resolves the caller from request headers.
    pub async fn from_headers(state: &AppState, headers: &HeaderMap) -> Result<Actor> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(Actor(None));
        };
        let token = bearer_token(value.to_str().map_err(|_| AppError::TokenNotValid)?)?;
        Ok(Actor(Some(authenticate_access(state, token).await?)))
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
pub fn bearer_token(value: &str) -> Result<&str> {
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AppError::TokenNotValid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AppError::TokenNotValid);
    }
    Ok(token)
}

/// Middleware for the REST routes: resolves the caller before routing to the
/// handler, so a bad token fails every route, public ones included.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response> {
    let actor = Actor::from_headers(&state, req.headers()).await?;
    req.extensions_mut().insert(actor);
    Ok(next.run(req).await)
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match parts.extensions.get::<Actor>() {
            Some(actor) => Ok(actor.clone()),
            None => Actor::from_headers(state, &parts.headers).await,
        }
    }
}

/// A handler argument that requires a signed-in caller (401 otherwise).
pub struct CurrentUser(pub AuthUser);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let actor = Actor::from_request_parts(parts, state).await?;
        actor.0.map(CurrentUser).ok_or(AppError::NotAuthenticated)
    }
}
