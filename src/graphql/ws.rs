//! `/graphql/ws`: subscriptions over WebSocket, in both `graphql-transport-ws`
//! and the legacy `graphql-ws` subprotocol. The access token comes in the
//! `connection_init` payload (`{"Authorization": "Bearer …"}`); a bad one closes
//! the socket with 4403. When a subscription loses the right to read, the
//! socket closes with 4401.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Data,
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket as GqlWebSocket, WebSocketProtocols, WsMessage},
};
use axum::{
    Extension,
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt};

use super::{context::WsConnection, engine::Engine, loaders::Loaders};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        sessions::{Caller, authenticate},
    },
    error::AppError,
    http::{
        actor::{actor_from_headers, bearer_token},
        client_ip::ClientIp,
    },
    state::AppState,
};

/// A write that takes longer than this means the client stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The caller of a connection: from `connection_init`'s `Authorization`
/// (either case), else the upgrade request's header, else anonymous.
async fn connection_actor(
    ctx: &Ctx,
    payload: &serde_json::Value,
    headers: &HeaderMap,
) -> Result<Actor, AppError> {
    let from_payload = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k))
        .map(|v| v.as_str().ok_or(AppError::TokenNotValid));
    match from_payload {
        Some(value) => {
            let token = bearer_token(value?)?;
            Ok(Actor(Some(authenticate(ctx, token).await?)))
        }
        None => actor_from_headers(ctx, headers).await,
    }
}

pub async fn graphql_ws(
    State(state): State<AppState>,
    client: ClientIp,
    Extension(engine): Extension<Engine>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The same choice as the upgrade's: graphql-transport-ws when offered (or
    // when nothing is), else the legacy graphql-ws.
    let offered = headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let legacy_only = offered.split(',').any(|p| p.trim() == "graphql-ws")
        && !offered
            .split(',')
            .any(|p| p.trim() == "graphql-transport-ws");
    let protocol = if legacy_only {
        WebSocketProtocols::SubscriptionsTransportWS
    } else {
        WebSocketProtocols::GraphQLWS
    };
    let Ok(slot) = state.ws_slots.clone().try_acquire_owned() else {
        tracing::warn!("WebSocket connection refused: WS_MAX_CONNECTIONS reached");
        return AppError::Unavailable.into_response();
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Subscribers mostly listen: tungstenite keeps (and zero-fills) the whole
        // read buffer per connection, so the 128 KiB default would cost ~1.4 GiB
        // and a third of the CPU at 10,000 subscribers (bench/README.md).
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            serve(socket, state.domain, engine, protocol, headers, client).await;
            drop(slot);
        })
}

async fn serve(
    socket: WebSocket,
    ctx: Ctx,
    engine: Engine,
    protocol: WebSocketProtocols,
    headers: HeaderMap,
    client: ClientIp,
) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|m| futures_util::future::ready(m.is_ok()))
        .filter_map(|m| {
            futures_util::future::ready(match m {
                Ok(Message::Text(t)) => Some(t.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(b)) => Some(b.to_vec()),
                _ => None,
            })
        });
    let connection = WsConnection::default();
    let mut shutdown = ctx.bus.closing();
    let auth_failed = Arc::new(AtomicBool::new(false));
    let init_conn = connection.clone();
    let init_failed = auth_failed.clone();
    let mut messages = GqlWebSocket::new(engine, input, protocol)
        .on_connection_init(move |payload| async move {
            match connection_actor(&ctx, &payload, &headers).await {
                Ok(actor) => {
                    let mut data = Data::default();
                    let caller = Arc::new(Caller::known(actor));
                    data.insert(Loaders::uncached(&ctx, &caller));
                    data.insert(caller);
                    data.insert(client);
                    data.insert(init_conn);
                    Ok(data)
                }
                Err(_) => {
                    init_failed.store(true, Ordering::SeqCst);
                    Err(async_graphql::Error::new("Forbidden: invalid access token"))
                }
            }
        })
        .keepalive_timeout(None);

    let close = |code: u16, reason: &str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_string().into(),
        }))
    };
    loop {
        let outgoing = tokio::select! {
            biased;
            message = messages.next() => match message {
                Some(WsMessage::Text(text)) => Message::Text(text.into()),
                Some(WsMessage::Close(code, reason)) => {
                    let code = if auth_failed.load(Ordering::SeqCst) { 4403 } else { code };
                    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close(code, &reason))).await;
                    break;
                }
                None => {
                    if auth_failed.load(Ordering::SeqCst) {
                        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close(4403, "Forbidden"))).await;
                    }
                    break;
                }
            },
            () = async {
                let _ = shutdown.wait_for(|stopping| *stopping).await;
            } => {
                let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close(1001, "Server shutting down"))).await;
                break;
            }
            code = connection.closed() => {
                let reason = if code == 4401 { "Unauthorized" } else { "Too slow; reconnect" };
                let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(close(code, reason))).await;
                break;
            }
        };
        match tokio::time::timeout(SEND_TIMEOUT, sink.send(outgoing)).await {
            Ok(Ok(())) => {}
            // The client is gone.
            Ok(Err(_)) => break,
            // The client stopped reading: drop the connection.
            Err(_) => {
                metrics::counter!("spider_web_feed_slow_subscribers_total", "reason" => "stalled")
                    .increment(1);
                break;
            }
        }
    }
}
