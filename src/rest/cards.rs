//! `/api/cards/`: DRF ModelViewSet routes over the cards domain.

use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    json::JsonBody,
    list::{ListParams, PageBody, absolute_url, path_id},
};
use crate::{
    auth::Actor,
    domain::{
        Timestamp,
        cards::{self, CardFilter, CardInput, CardView, Visibility},
    },
    error::{AppError, FieldErrors, Result},
    state::AppState,
};

/// The REST shape of a card.
#[derive(Serialize)]
pub struct CardBody {
    id: Uuid,
    owner_id: Uuid,
    owner_username: String,
    title: String,
    body: String,
    visibility: &'static str,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<CardView> for CardBody {
    fn from(c: CardView) -> Self {
        Self {
            id: c.id,
            owner_id: c.owner_id,
            owner_username: c.owner_username,
            title: c.title,
            body: c.body,
            visibility: c.visibility.as_str(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Deserialize)]
struct CardRequest {
    title: Option<String>,
    body: Option<String>,
    visibility: Option<String>,
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

/// The card filters of a list's query string.
pub fn card_filter(params: &ListParams) -> Result<CardFilter> {
    let mut errors = FieldErrors::new();
    let owner = match params.get("owner").map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match Uuid::try_parse(raw) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.insert("owner".into(), vec!["Enter a valid UUID.".into()]);
                None
            }
        },
    };
    let visibility = match params
        .get("visibility")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => match Visibility::parse(raw) {
            Some(v) => Some(v),
            None => {
                errors.insert(
                    "visibility".into(),
                    vec![format!(
                        "Select a valid choice. {raw} is not one of the available choices."
                    )],
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(CardFilter {
        owner,
        visibility,
        search: params.get("search").map(str::to_string),
    })
}

async fn list(
    State(ctx): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<PageBody<CardBody>>> {
    let params = ListParams::parse(q.as_deref());
    let (page_req, filter) = both(params.page_request(), card_filter(&params))?;
    let page = cards::list(&ctx, &actor, &filter, &page_req).await?;
    Ok(Json(params.page_body(
        &headers,
        "/api/cards/",
        page,
        cards::position,
        CardBody::from,
    )))
}

/// Both results, or every field error of either.
pub fn both<A, B>(a: Result<A>, b: Result<B>) -> Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(AppError::Validation(mut x)), Err(AppError::Validation(y))) => {
            x.extend(y);
            Err(AppError::Validation(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

async fn create(
    State(ctx): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    JsonBody(b): JsonBody<CardRequest>,
) -> Result<Response> {
    let card = cards::create(&ctx, &actor, b.into()).await?;
    let location = absolute_url(&headers, &format!("/api/cards/{}/", card.id));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(CardBody::from(card)),
    )
        .into_response())
}

async fn retrieve(
    State(ctx): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Json<CardBody>> {
    let card = cards::get(&ctx, &actor, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(card.into()))
}

async fn put(
    State(ctx): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CardRequest>,
) -> Result<Json<CardBody>> {
    Ok(Json(
        cards::update(&ctx, &actor, path_id(&id)?, b.into(), true)
            .await?
            .into(),
    ))
}

async fn patch(
    State(ctx): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CardRequest>,
) -> Result<Json<CardBody>> {
    Ok(Json(
        cards::update(&ctx, &actor, path_id(&id)?, b.into(), false)
            .await?
            .into(),
    ))
}

async fn delete(
    State(ctx): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    cards::delete(&ctx, &actor, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> Router<AppState> {
    Router::new().route("/cards", get(list).post(create)).route(
        "/cards/{id}",
        get(retrieve).put(put).patch(patch).delete(delete),
    )
}
