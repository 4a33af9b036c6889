//! `/api/cards/{card_id}/reactions/`: add and remove the caller's emoji on a
//! card, over the reactions domain.

use axum::{
    Json,
    extract::{Path, State, rejection::PathRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    list::PathId,
    openapi::{ErrorBody, ValidationErrors},
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        input::Field,
        reactions::{self, ReactionSummary},
    },
    error::{AppError, Result},
    http::json::JsonBody,
    state::AppState,
};

/// One emoji of a card's reactions, as the caller sees it.
#[derive(Serialize, ToSchema)]
pub struct ReactionBody {
    #[schema(example = "👍")]
    emoji: String,
    count: u64,
    /// Whether the caller has this reaction.
    reacted: bool,
}

impl From<ReactionSummary> for ReactionBody {
    fn from(r: ReactionSummary) -> Self {
        Self {
            emoji: r.emoji,
            count: r.count,
            reacted: r.reacted,
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct ReactionRequest {
    #[serde(default)]
    #[schema(value_type = String, example = "👍")]
    emoji: Field<String>,
}

/// Adds the caller's reaction: 201 when new, 200 when they already had it.
#[utoipa::path(post, path = "/cards/{card_id}/reactions", tag = "reactions",
    params(("card_id" = Uuid, Path)), security(("bearer" = [])), request_body = ReactionRequest,
    responses((status = 201, body = ReactionBody), (status = 200, description = "The caller already had this reaction", body = ReactionBody),
        (status = 400, description = "Validation error", body = ValidationErrors),
        (status = 401, description = "Not authenticated or token not valid", body = ErrorBody),
        (status = 404, description = "No such card, or not the caller's to read", body = ErrorBody)))]
async fn add(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathId(card_id): PathId,
    JsonBody(b): JsonBody<ReactionRequest>,
) -> Result<Response> {
    let added = reactions::add(&ctx, &actor, card_id, b.emoji.as_deref()).await?;
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ReactionBody::from(added.summary))).into_response())
}

/// Removes the caller's reaction: 204, also when they had none.
#[utoipa::path(delete, path = "/cards/{card_id}/reactions/{emoji}", tag = "reactions",
    params(("card_id" = Uuid, Path), ("emoji" = String, Path, description = "The emoji, percent-encoded")),
    security(("bearer" = [])),
    responses((status = 204),
        (status = 400, description = "Not an emoji", body = ValidationErrors),
        (status = 401, description = "Not authenticated or token not valid", body = ErrorBody),
        (status = 404, description = "No such card, or not the caller's to read", body = ErrorBody)))]
async fn remove(
    State(ctx): State<Ctx>,
    actor: Actor,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode> {
    // A path that does not decode (not UTF-8) names no card's reaction.
    let Path((card_id, emoji)) = path.map_err(|_| AppError::NotFound)?;
    let card_id = Uuid::try_parse(&card_id).map_err(|_| AppError::NotFound)?;
    reactions::remove(&ctx, &actor, card_id, Field::Value(emoji.as_str())).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add))
        .routes(routes!(remove))
}
