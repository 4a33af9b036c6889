//! A small GraphQL-over-WebSocket client for the tests, speaking either
//! `graphql-transport-ws` or the legacy `graphql-ws`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::helpers::TestApp;

pub const MODERN: &str = "graphql-transport-ws";
pub const LEGACY: &str = "graphql-ws";

/// What the server sent next.
#[derive(Debug)]
pub enum Incoming {
    Json(Value),
    Closed(Option<u16>),
    Timeout,
}

pub struct GqlWs {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: &'static str,
}

impl GqlWs {
    /// Opens a socket and sends `connection_init` (with the token, if any).
    /// Returns the socket once acknowledged, or what came instead.
    pub async fn connect(
        app: &TestApp,
        protocol: &'static str,
        token: Option<&str>,
    ) -> Result<GqlWs, Incoming> {
        Self::connect_with(app, protocol, token, None).await
    }

    /// Like [`GqlWs::connect`], with a tiny socket receive buffer: a client
    /// that stops reading then blocks the server's writes almost at once.
    pub async fn connect_stalling(app: &TestApp) -> GqlWs {
        Self::connect_with(app, MODERN, None, Some(2048))
            .await
            .expect("connection")
    }

    async fn connect_with(
        app: &TestApp,
        protocol: &'static str,
        token: Option<&str>,
        recv_buffer: Option<u32>,
    ) -> Result<GqlWs, Incoming> {
        let mut req = format!("ws://{}/graphql/ws", app.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_static(protocol));
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let stream = socket.connect(app.addr).await.expect("connect");
        let (ws, resp) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket upgrade");
        assert_eq!(
            resp.headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some(protocol),
            "the server speaks the offered subprotocol"
        );
        let mut client = GqlWs { ws, protocol };
        let payload = match token {
            Some(t) => json!({"Authorization": format!("Bearer {t}")}),
            None => json!({}),
        };
        client
            .send(json!({"type": "connection_init", "payload": payload}))
            .await;
        loop {
            match client.next(Duration::from_secs(10)).await {
                Incoming::Json(m) if m["type"] == "connection_ack" => return Ok(client),
                Incoming::Json(m) if m["type"] == "ka" => continue,
                // The legacy protocol says why before closing.
                Incoming::Json(m) if m["type"] == "connection_error" => continue,
                other => return Err(other),
            }
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Starts a subscription under `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == MODERN {
            "subscribe"
        } else {
            "start"
        };
        self.send(
            json!({"id": id, "type": kind, "payload": {"query": query, "variables": variables}}),
        )
        .await;
        // Let the server register the subscription before events are caused.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// The next protocol message (keep-alives and pings answered and skipped).
    pub async fn next(&mut self, within: Duration) -> Incoming {
        loop {
            let msg = match tokio::time::timeout(within, self.ws.next()).await {
                Err(_) => return Incoming::Timeout,
                Ok(None) | Ok(Some(Err(_))) => return Incoming::Closed(None),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("JSON message");
                    match v["type"].as_str() {
                        Some("ka") | Some("pong") => continue,
                        Some("ping") => {
                            self.send(json!({"type": "pong"})).await;
                            continue;
                        }
                        _ => return Incoming::Json(v),
                    }
                }
                Message::Close(frame) => return Incoming::Closed(frame.map(|f| u16::from(f.code))),
                _ => continue,
            }
        }
    }

    /// The next `cardEvents` payload; panics on anything else.
    pub async fn next_event(&mut self) -> Value {
        match self.next(Duration::from_secs(10)).await {
            Incoming::Json(m) if m["type"] == "next" || m["type"] == "data" => {
                assert!(m["payload"]["errors"].is_null(), "unexpected errors: {m}");
                m["payload"]["data"]["cardEvents"].clone()
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// Asserts nothing arrives for a while.
    pub async fn expect_silence(&mut self, within: Duration) {
        match self.next(within).await {
            Incoming::Timeout => {}
            other => panic!("expected no message, got {other:?}"),
        }
    }
}

/// The subscription every feed test uses.
pub const CARD_EVENTS: &str = "subscription($filter: CardEventFilter) { cardEvents(filter: $filter) { kind cardId card { id title visibility ownerUsername } } }";
