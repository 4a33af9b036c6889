//! `/api/cards/{id}/replies/`: a card's thread, DRF nested-router shapes over
//! the replies domain (oldest first by default).

use axum::{
    Json,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    list::{ListParams, PageBody, PathId, PathIds, created},
    openapi::{ErrorBody, ValidationErrors},
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        input::Field,
        pagination::Ordering,
        replies::{self, ReplyInput, ReplyView},
        time::Timestamp,
    },
    error::{AppError, Result},
    http::json::JsonBody,
    state::AppState,
};

/// The REST shape of a reply.
#[derive(Serialize, ToSchema)]
pub struct ReplyBody {
    id: Uuid,
    card_id: Uuid,
    author_id: Uuid,
    author_username: String,
    body: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<ReplyView> for ReplyBody {
    fn from(r: ReplyView) -> Self {
        Self {
            id: r.id,
            card_id: r.card_id,
            author_id: r.author_id,
            author_username: r.author_username,
            body: r.body,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct ReplyRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    body: Field<String>,
}

impl From<ReplyRequest> for ReplyInput {
    fn from(b: ReplyRequest) -> Self {
        ReplyInput { body: b.body }
    }
}

#[utoipa::path(get, path = "/cards/{card_id}/replies", tag = "replies",
    params(("card_id" = Uuid, Path, description = "The card"),
        ("page_size" = Option<u32>, Query, description = "Items per page (default 20, at most 100)"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from `next` or `previous`"),
        ("ordering" = Option<String>, Query, description = "`created_at` (default) or `-created_at`")),
    responses((status = 200, body = PageBody<ReplyBody>), (status = 400, description = "Validation error", body = ValidationErrors), (status = 404, description = "No such card, or not readable", body = ErrorBody)))]
async fn list(
    State(ctx): State<Ctx>,
    actor: Actor,
    headers: HeaderMap,
    PathId(card): PathId,
    RawQuery(q): RawQuery,
) -> Result<Json<PageBody<ReplyBody>>> {
    let params = ListParams::parse(q.as_deref());
    let page_req = params.page_request_ordered(Ordering::OldestFirst)?;
    let page = replies::list(&ctx, &actor, card, &page_req).await?;
    let path = format!("/api/cards/{card}/replies/");
    Ok(Json(params.page_body(
        &headers,
        &path,
        page,
        replies::position,
        ReplyBody::from,
    )))
}

#[utoipa::path(post, path = "/cards/{card_id}/replies", tag = "replies", params(("card_id" = Uuid, Path, description = "The card")),
    security(("bearer" = [])), request_body = ReplyRequest,
    responses((status = 201, body = ReplyBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 404, description = "No such card, or not readable", body = ErrorBody)))]
async fn create(
    State(ctx): State<Ctx>,
    actor: Actor,
    headers: HeaderMap,
    PathId(card): PathId,
    JsonBody(b): JsonBody<ReplyRequest>,
) -> Result<Response> {
    let reply = replies::create(&ctx, &actor, card, b.into()).await?;
    let path = format!("/api/cards/{card}/replies/{}/", reply.id);
    Ok(created(&headers, &path, ReplyBody::from(reply)))
}

#[utoipa::path(get, path = "/cards/{card_id}/replies/{id}", tag = "replies",
    params(("card_id" = Uuid, Path, description = "The card"), ("id" = Uuid, Path, description = "The reply")),
    responses((status = 200, body = ReplyBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn retrieve(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathIds(card, id): PathIds,
) -> Result<Json<ReplyBody>> {
    let reply = replies::get(&ctx, &actor, Some(card), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(reply.into()))
}

#[utoipa::path(put, path = "/cards/{card_id}/replies/{id}", tag = "replies",
    params(("card_id" = Uuid, Path, description = "The card"), ("id" = Uuid, Path, description = "The reply")),
    security(("bearer" = [])), request_body = ReplyRequest,
    responses((status = 200, body = ReplyBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn put(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathIds(card, id): PathIds,
    JsonBody(b): JsonBody<ReplyRequest>,
) -> Result<Json<ReplyBody>> {
    let reply = replies::update(&ctx, &actor, Some(card), id, b.into(), true).await?;
    Ok(Json(reply.into()))
}

#[utoipa::path(patch, path = "/cards/{card_id}/replies/{id}", tag = "replies",
    params(("card_id" = Uuid, Path, description = "The card"), ("id" = Uuid, Path, description = "The reply")),
    security(("bearer" = [])), request_body = ReplyRequest,
    responses((status = 200, body = ReplyBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn patch(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathIds(card, id): PathIds,
    JsonBody(b): JsonBody<ReplyRequest>,
) -> Result<Json<ReplyBody>> {
    let reply = replies::update(&ctx, &actor, Some(card), id, b.into(), false).await?;
    Ok(Json(reply.into()))
}

#[utoipa::path(delete, path = "/cards/{card_id}/replies/{id}", tag = "replies",
    params(("card_id" = Uuid, Path, description = "The card"), ("id" = Uuid, Path, description = "The reply")),
    security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathIds(card, id): PathIds,
) -> Result<StatusCode> {
    replies::delete(&ctx, &actor, Some(card), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, put, patch, delete))
}
