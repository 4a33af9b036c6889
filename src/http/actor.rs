//! Who is calling: resolved once per request from the `Authorization` header.
//! No header means anonymous; a header that is not a valid bearer token for a
//! live session is an error, never anonymous.
//!
//! On `GET`/`HEAD` the session of a well-signed token may be checked inside
//! the handler's own read ([`Caller`]); whatever the handler did, the session
//! is checked before its response leaves, so a revoked token still fails
//! every route. Other methods check it before the handler runs.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, Method, header, request::Parts},
    middleware::Next,
    response::Response,
};

use crate::{
    domain::{
        Ctx,
        actor::{Actor, AuthUser},
        sessions::{Caller, authenticate, claim},
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

/// Middleware for the REST routes: resolves the caller for the handler, so a
/// bad token fails every route, public ones included. A token that is not
/// well-signed fails at once; on reads its session may be checked by the
/// handler's own statement, and is checked here after the handler otherwise.
pub async fn authenticate_request(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response> {
    let ctx = &state.domain;
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    let caller = match req.headers().get(header::AUTHORIZATION) {
        Some(value) if read => {
            let token = bearer_token(value.to_str().map_err(|_| AppError::TokenNotValid)?)?;
            Caller::claimed(claim(ctx, token)?)
        }
        _ => Caller::known(actor_from_headers(ctx, req.headers()).await?),
    };
    let caller = Arc::new(caller);
    req.extensions_mut().insert(caller.clone());
    let response = next.run(req).await;
    caller.actor(ctx).await?;
    Ok(response)
}

/// The request's [`Caller`], as the middleware resolved it (or from the
/// headers, checked, outside it).
pub struct RequestCaller(pub Arc<Caller>);

impl FromRequestParts<AppState> for RequestCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match parts.extensions.get::<Arc<Caller>>() {
            Some(caller) => Ok(Self(caller.clone())),
            None => {
                let actor = actor_from_headers(&state.domain, &parts.headers).await?;
                Ok(Self(Arc::new(Caller::known(actor))))
            }
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match parts.extensions.get::<Arc<Caller>>() {
            Some(caller) => caller.actor(&state.domain).await.cloned(),
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
