//! The REST compatibility layer (`/api/...`): DRF routes and shapes, translated
//! to domain operations. Handlers decide nothing of their own.

pub mod auth;
pub mod cards;
pub mod feed;
pub mod list;
pub mod openapi;
pub mod profiles;
pub mod reactions;
pub mod recovery;
pub mod replies;

use axum::{
    Router,
    http::{Method, header},
    middleware,
    routing::get,
};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::{error::AppError, http::actor::authenticate_request, state::AppState};

/// The `/api` routes and their OpenAPI document, built from the same handlers.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(
            "/api",
            OpenApiRouter::new()
                .merge(auth::router())
                .merge(recovery::router())
                .merge(cards::router())
                .merge(feed::router())
                .merge(replies::router())
                .merge(reactions::router())
                .merge(profiles::router()),
        )
        .split_for_parts()
}

/// The OpenAPI document of every REST route (as served at `/api/openapi.json`).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    routes().1
}

/// Every `/api` route, with the caller resolved before each handler runs.
pub fn router(state: AppState) -> Router<AppState> {
    let (router, doc) = routes();
    let doc = doc.to_json().unwrap_or_else(|_| "{}".into());
    router
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], doc) }
            }),
        )
        .route_layer(middleware::from_fn_with_state(state, authenticate_request))
}

/// 405 in the contract's shape; the router adds the `Allow` header.
pub async fn method_not_allowed(method: Method) -> AppError {
    AppError::MethodNotAllowed(method)
}

/// 404 in the contract's shape for any unknown path.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
