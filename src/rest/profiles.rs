//! `/api/profiles/`: DRF ModelViewSet routes over the profiles domain.

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
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        input::Field,
        profiles::{self, ProfileFilter, ProfileInput, ProfileView},
        time::Timestamp,
    },
    error::{AppError, Result},
    http::json::JsonBody,
    state::AppState,
};

/// The REST shape of a profile.
#[derive(Serialize, ToSchema)]
pub struct ProfileBody {
    id: Uuid,
    user_id: Uuid,
    username: String,
    display_name: String,
    bio: String,
    avatar_url: Option<String>,
    location: String,
    website: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<ProfileView> for ProfileBody {
    fn from(p: ProfileView) -> Self {
        Self {
            id: p.id,
            user_id: p.user_id,
            username: p.username,
            display_name: p.display_name,
            bio: p.bio,
            avatar_url: p.avatar_url,
            location: p.location,
            website: p.website,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct ProfileRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    display_name: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    bio: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<Option<String>>)]
    avatar_url: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    location: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<Option<String>>)]
    website: Field<String>,
}

impl From<ProfileRequest> for ProfileInput {
    fn from(b: ProfileRequest) -> Self {
        ProfileInput {
            display_name: b.display_name,
            bio: b.bio,
            avatar_url: b.avatar_url,
            location: b.location,
            website: b.website,
        }
    }
}

#[utoipa::path(get, path = "/profiles", tag = "profiles",
    params(("page_size" = Option<u32>, Query, description = "Items per page (default 20, at most 100)"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from `next` or `previous`"),
        ("search" = Option<String>, Query, description = "Whitespace-separated terms, all of which must match"),
        ("ordering" = Option<String>, Query, description = "`-created_at` (default) or `created_at`"),
        ("username" = Option<String>, Query, description = "Exact username, ignoring case")),
    responses((status = 200, body = PageBody<ProfileBody>), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody)))]
async fn list(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<PageBody<ProfileBody>>> {
    let params = ListParams::parse(q.as_deref());
    let filter = ProfileFilter {
        username: params
            .get("username")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        search: params.get("search").map(str::to_string),
    };
    let (page_req, filter) = both(params.page_request(), Ok(filter))?;
    let page = profiles::list(&ctx, &filter, &page_req).await?;
    Ok(Json(params.page_body(
        &headers,
        "/api/profiles/",
        page,
        profiles::position,
        ProfileBody::from,
    )))
}

#[utoipa::path(post, path = "/profiles", tag = "profiles", security(("bearer" = [])), request_body = ProfileRequest,
    responses((status = 201, body = ProfileBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 409, description = "Conflict", body = ErrorBody)))]
async fn create(
    State(ctx): State<Ctx>,
    actor: Actor,
    headers: HeaderMap,
    JsonBody(b): JsonBody<ProfileRequest>,
) -> Result<Response> {
    let p = profiles::create(&ctx, &actor, b.into()).await?;
    let path = format!("/api/profiles/{}/", p.id);
    Ok(created(&headers, &path, ProfileBody::from(p)))
}

#[utoipa::path(get, path = "/profiles/{id}", tag = "profiles", params(("id" = Uuid, Path)),
    responses((status = 200, body = ProfileBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn retrieve(State(ctx): State<Ctx>, PathId(id): PathId) -> Result<Json<ProfileBody>> {
    let p = profiles::get(&ctx, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(p.into()))
}

/// PUT and PATCH: a profile has no required field, so both update what is given.
#[utoipa::path(method(put, patch), path = "/profiles/{id}", tag = "profiles", params(("id" = Uuid, Path)),
    security(("bearer" = [])), request_body = ProfileRequest,
    responses((status = 200, body = ProfileBody), (status = 400, description = "Validation error", body = ValidationErrors), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn update(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathId(id): PathId,
    JsonBody(b): JsonBody<ProfileRequest>,
) -> Result<Json<ProfileBody>> {
    Ok(Json(
        profiles::update(&ctx, &actor, id, b.into()).await?.into(),
    ))
}

#[utoipa::path(delete, path = "/profiles/{id}", tag = "profiles", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "Not authenticated or token not valid", body = ErrorBody), (status = 403, description = "Permission denied", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
async fn delete(State(ctx): State<Ctx>, actor: Actor, PathId(id): PathId) -> Result<StatusCode> {
    profiles::delete(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, delete))
}
