//! Who is calling: resolved once per request from the `Authorization` header.
//! No header means anonymous; a header that is not a valid bearer token for a
//! live session is an error, never anonymous.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, header, request::Parts},
    middleware::Next,
    response::Response,
};

use crate::{
    domain::{
        Ctx,
        actor::{Actor, AuthUser},
        sessions::authenticate,
    },
    error::{AppError, Result},
    state::AppState,
};

/// Resolves the caller from request headers.
pub async fn actor_from_headers(ctx: &Ctx, headers: &HeaderMap) -> Result<Actor> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Actor(None));
    };
    let token = bearer_token(value.to_str().map_err(|_| AppError::TokenNotValid)?)?;
    Ok(Actor(Some(authenticate(ctx, token).await?)))
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
pub async fn authenticate_request(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response> {
    let actor = actor_from_headers(&state.domain, req.headers()).await?;
    req.extensions_mut().insert(actor);
    Ok(next.run(req).await)
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match parts.extensions.get::<Actor>() {
            Some(actor) => Ok(actor.clone()),
            None => actor_from_headers(&state.domain, &parts.headers).await,
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
