//! The REST compatibility layer (`/api/...`): DRF routes and shapes, translated
//! to domain operations. Handlers decide nothing of their own.

pub mod auth;
pub mod cards;
pub mod json;
pub mod list;
pub mod profiles;

use axum::{Router, http::Method, middleware};

use crate::{auth::actor::authenticate, error::AppError, state::AppState};

/// Every `/api` route, with the caller resolved before each handler runs.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(cards::router())
        .merge(profiles::router())
        .route_layer(middleware::from_fn_with_state(state, authenticate))
        .method_not_allowed_fallback(method_not_allowed)
}

/// 405 in the contract's shape; the router adds the `Allow` header.
pub async fn method_not_allowed(method: Method) -> AppError {
    AppError::MethodNotAllowed(method)
}

/// 404 in the contract's shape for any unknown path.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
