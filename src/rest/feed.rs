//! `GET /api/cards/stream/`: the live feed as Server-Sent Events, for REST clients.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{RawQuery, State},
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::{Stream, StreamExt, stream};

use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    cards::{CardBody, card_filter},
    list::ListParams,
    openapi::{ErrorBody, ValidationErrors},
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        feed::{self, FeedFilter, FeedItem, bus::ChangeKind},
    },
    error::{AppError, Result},
    state::AppState,
};

/// The `data:` of one event, in REST shapes.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CardEventBody {
    #[schema(value_type = String, example = "created")]
    kind: ChangeKind,
    card_id: uuid::Uuid,
    card: Option<CardBody>,
}

fn event(item: FeedItem) -> Event {
    let name = match item.kind {
        ChangeKind::Created => "created",
        ChangeKind::Updated => "updated",
        ChangeKind::Deleted => "deleted",
    };
    let body = CardEventBody {
        kind: item.kind,
        card_id: item.card_id,
        card: item
            .card
            .map(|c| CardBody::from(std::sync::Arc::unwrap_or_clone(c))),
    };
    Event::default()
        .event(name)
        .json_data(&body)
        .unwrap_or_else(|_| Event::default().comment("unencodable event"))
}

/// The closing `error` event: the right to read ended, or the client was too slow.
fn closing(error: AppError) -> Event {
    Event::default()
        .event("error")
        .json_data(serde_json::json!({"detail": error.detail(), "code": error.rest_code()}))
        .unwrap_or_default()
}

/// The live feed: `event: created|updated|deleted` with
/// `data: {"kind", "card_id", "card"}`; filters `owner` and `visibility`; bearer
/// optional; a heartbeat comment every 15 s.
#[utoipa::path(get, path = "/cards/stream", tag = "cards",
    params(
        ("owner" = Option<uuid::Uuid>, Query, description = "Only cards of this user"),
        ("visibility" = Option<String>, Query, description = "`public` or `private`")),
    responses(
        (status = 200, description = "Server-Sent Events", content_type = "text/event-stream", body = CardEventBody),
        (status = 400, body = ValidationErrors), (status = 401, body = ErrorBody)))]
async fn stream_cards(
    State(ctx): State<Ctx>,
    actor: Actor,
    RawQuery(q): RawQuery,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    let params = ListParams::parse(q.as_deref());
    let filter = card_filter(&params)?;
    let filter = FeedFilter {
        owner: filter.owner,
        visibility: filter.visibility,
    };
    let items = feed::subscribe(&ctx, actor, filter);
    // After an error event, the stream ends.
    let events = items
        .scan(false, |ended, item| {
            let out = match (*ended, item) {
                (true, _) => None,
                (false, Ok(item)) => Some(event(item)),
                (false, Err(e)) => {
                    *ended = true;
                    Some(closing(e))
                }
            };
            futures_util::future::ready(out)
        })
        .map(Ok);
    let events = stream::once(futures_util::future::ready(Ok(
        Event::default().comment("connected")
    )))
    .chain(events);
    Ok(Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    ))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_cards))
}
