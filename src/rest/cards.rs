//! `/api/cards/`: DRF ModelViewSet routes over the cards domain.

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
    list::{ListParams, PageBody, PathId, both, created},
    openapi::{ErrorBody, ValidationErrors},
    reactions::ReactionBody,
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        cards::{self, CardFilter, CardInput, CardView, VisibilityChoice},
        input::Field,
        reactions,
        time::Timestamp,
    },
    error::{AppError, FieldErrors, Result},
    http::{actor::RequestCaller, json::JsonBody},
    state::AppState,
};

/// The REST shape of a card.
#[derive(Serialize, ToSchema)]
pub struct CardBody {
    id: Uuid,
    owner_id: Uuid,
    owner_username: String,
    title: String,
    body: String,
    visibility: &'static str,
    created_at: Timestamp,
    updated_at: Timestamp,
    reply_count: u64,
    /// Most used first, then by the emoji's code points.
    reactions: Vec<ReactionBody>,
}

impl From<CardView> for CardBody {
    /// The card's reactions must have been loaded (`reactions::attach`).
    fn from(c: CardView) -> Self {
        debug_assert!(c.reactions.is_some(), "a REST card without its reactions");
        Self {
            id: c.id,
            owner_id: c.owner_id,
            owner_username: c.owner_username,
            title: c.title,
            body: c.body,
            visibility: c.visibility.as_str(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            reply_count: c.reply_count,
            reactions: c
                .reactions
                .unwrap_or_default()
                .into_iter()
                .map(ReactionBody::from)
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct CardRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    title: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    body: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    visibility: Field<VisibilityChoice>,
}

impl From<CardRequest> for CardInput {
    fn from(b: CardRequest) -> Self {
        CardInput {
            title: b.title,
            body: b.body,
            visibility: b.visibility,
        }
    }
}

/// The card filters of a list's (or the feed's) query string.
pub fn card_filter(params: &ListParams) -> Result<CardFilter> {
    let mut errors = FieldErrors::new();
    let mut collect = |e: AppError| {
        if let AppError::Validation(map) = e {
            errors.extend(map);
        }
    };
    let owner = cards::parse_owner_filter(params.get("owner")).unwrap_or_else(|e| {
        collect(e);
        None
    });
    let visibility = cards::parse_visibility_filter(params.get("visibility")).unwrap_or_else(|e| {
        collect(e);
        None
    });
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(CardFilter {
        owner,
        visibility,
        search: params.get("search").map(str::to_string),
    })
}

#[utoipa::path(get, path = "/cards", tag = "cards",
    params(("page_size" = Option<u32>, Query, description = "Items per page (default 20, at most 100)"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from `next` or `previous`"),
        ("search" = Option<String>, Query, description = "Whitespace-separated terms, all of which must match"),
        ("ordering" = Option<String>, Query, description = "`-created_at` (default) or `created_at`"),
        ("owner" = Option<Uuid>, Query, description = "Cards of this user"),
        ("visibility" = Option<String>, Query, description = "`public` or `private`")),
    responses((status = 200, body = PageBody<CardBody>), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn list(
    State(ctx): State<Ctx>,
    actor: Actor,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<PageBody<CardBody>>> {
    let params = ListParams::parse(q.as_deref());
    let (page_req, filter) = both(params.page_request(), card_filter(&params))?;
    let mut page = cards::list(&ctx, &actor, &filter, &page_req).await?;
    reactions::attach(&ctx, &actor, &mut page.items).await?;
    Ok(Json(params.page_body(
        &headers,
        "/api/cards/",
        page,
        cards::position,
        CardBody::from,
    )))
}

#[utoipa::path(post, path = "/cards", tag = "cards", security(("bearer" = [])), request_body = CardRequest,
    responses((status = 201, body = CardBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn create(
    State(ctx): State<Ctx>,
    actor: Actor,
    headers: HeaderMap,
    JsonBody(b): JsonBody<CardRequest>,
) -> Result<Response> {
    let card = cards::create(&ctx, &actor, b.into()).await?;
    let path = format!("/api/cards/{}/", card.id);
    Ok(created(&headers, &path, CardBody::from(card)))
}

#[utoipa::path(get, path = "/cards/{id}", tag = "cards", params(("id" = Uuid, Path)),
    responses((status = 200, body = CardBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn retrieve(
    State(ctx): State<Ctx>,
    RequestCaller(caller): RequestCaller,
    PathId(id): PathId,
) -> Result<Json<CardBody>> {
    let (actor, card) = cards::get_as(&ctx, &caller, id).await?;
    let (card, _) = card.ok_or(AppError::NotFound)?;
    Ok(Json(
        reactions::attach_one(&ctx, &actor, card).await?.into(),
    ))
}

#[utoipa::path(put, path = "/cards/{id}", tag = "cards", params(("id" = Uuid, Path)), security(("bearer" = [])),
    request_body = CardRequest, responses((status = 200, body = CardBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn put(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathId(id): PathId,
    JsonBody(b): JsonBody<CardRequest>,
) -> Result<Json<CardBody>> {
    let card = cards::update(&ctx, &actor, id, b.into(), true).await?;
    Ok(Json(
        reactions::attach_one(&ctx, &actor, card).await?.into(),
    ))
}

#[utoipa::path(patch, path = "/cards/{id}", tag = "cards", params(("id" = Uuid, Path)), security(("bearer" = [])),
    request_body = CardRequest, responses((status = 200, body = CardBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn patch(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathId(id): PathId,
    JsonBody(b): JsonBody<CardRequest>,
) -> Result<Json<CardBody>> {
    let card = cards::update(&ctx, &actor, id, b.into(), false).await?;
    Ok(Json(
        reactions::attach_one(&ctx, &actor, card).await?.into(),
    ))
}

#[utoipa::path(delete, path = "/cards/{id}", tag = "cards", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete(State(ctx): State<Ctx>, actor: Actor, PathId(id): PathId) -> Result<StatusCode> {
    cards::delete(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, put, patch, delete))
}
