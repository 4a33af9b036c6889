//! The live feed as Server-Sent Events, for REST clients: `GET
//! /api/cards/stream/` (every card the caller may read) and `GET
//! /api/cards/{card_id}/replies/stream/` (one card's thread).

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{RawQuery, State},
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::{Stream, StreamExt, stream};

use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    cards::{CardBody, card_filter},
    list::{ListParams, PathId},
    openapi::{ErrorBody, ValidationErrors},
    replies::ReplyBody,
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        feed::{self, FeedFilter, FeedItem, bus::ChangeKind, thread::ReplyItem},
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

/// The `data:` of one thread event, in REST shapes.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReplyEventBody {
    #[schema(value_type = String, example = "created")]
    kind: ChangeKind,
    reply_id: uuid::Uuid,
    reply: Option<ReplyBody>,
}

/// An event named after its kind, with `body` as its JSON data.
fn named(kind: ChangeKind, body: &impl serde::Serialize) -> Event {
    let name = match kind {
        ChangeKind::Created => "created",
        ChangeKind::Updated => "updated",
        ChangeKind::Deleted => "deleted",
    };
    Event::default()
        .event(name)
        .json_data(body)
        .unwrap_or_else(|_| Event::default().comment("unencodable event"))
}

fn card_event(item: FeedItem) -> Event {
    let body = CardEventBody {
        kind: item.kind,
        card_id: item.card_id,
        card: item
            .card
            .map(|c| CardBody::from(std::sync::Arc::unwrap_or_clone(c))),
    };
    named(item.kind, &body)
}

fn reply_event(item: ReplyItem) -> Event {
    let body = ReplyEventBody {
        kind: item.kind,
        reply_id: item.reply_id,
        reply: item
            .reply
            .map(|r| ReplyBody::from(std::sync::Arc::unwrap_or_clone(r))),
    };
    named(item.kind, &body)
}

/// An open SSE stream, counted in `spider_web_sse_streams_open` while it lives.
struct OpenStream;

impl OpenStream {
    fn new() -> Self {
        metrics::gauge!("spider_web_sse_streams_open").increment(1.0);
        OpenStream
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("spider_web_sse_streams_open").decrement(1.0);
    }
}

/// A subscription's items as SSE: a `connected` comment first, one event per
/// item, a closing `error` event (then the end) when it ends with an error,
/// and a heartbeat comment every 15 s.
fn sse<T: Send + 'static>(
    items: impl Stream<Item = Result<T>> + Send + 'static,
    event: fn(T) -> Event,
) -> Sse<impl Stream<Item = std::result::Result<Event, Infallible>>> {
    // After an error event, the stream ends. The stream is counted as open
    // until the response body, and so this state, is dropped.
    let events = items
        .scan((false, OpenStream::new()), move |(ended, _), item| {
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
    Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    )
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
    Ok(sse(feed::subscribe(&ctx, actor, filter), card_event))
}

/// A card's thread, live: `event: created|updated|deleted` with
/// `data: {"kind", "reply_id", "reply"}`; 404 (and nothing of the thread) when
/// the caller may not read the card; ends with an `error` event when the card
/// is deleted or becomes unreadable to them.
#[utoipa::path(get, path = "/cards/{card_id}/replies/stream", tag = "replies",
    params(("card_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "Server-Sent Events", content_type = "text/event-stream", body = ReplyEventBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn stream_replies(
    State(ctx): State<Ctx>,
    actor: Actor,
    PathId(card_id): PathId,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    let items = feed::thread::subscribe(&ctx, actor, card_id).await?;
    Ok(sse(items, reply_event))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stream_cards))
        .routes(routes!(stream_replies))
}
