//! Conversations, live: `replyEvents` over WebSockets and the per-card SSE
//! stream; card UPDATED events when replies or reactions change the counts;
//! the card's visibility, revocation and other instances, as for the feed.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, id_of, unique},
    ws_client::{GqlWs, Incoming, LEGACY, MODERN},
};

const REPLY_EVENTS: &str = "subscription($card: ID!) { replyEvents(cardId: $card) { kind replyId reply { id cardId body authorUsername author { username } } } }";

const COUNTED_CARD_EVENTS: &str = "subscription { cardEvents { kind cardId card { id replyCount reactions { emoji count reacted } } } }";

fn thread(card: &str) -> String {
    format!("/api/cards/{card}/replies/")
}

async fn reply(app: &TestApp, token: &str, card: &str, body: &str) -> String {
    let r = app
        .post(&thread(card), json!({"body": body}), Some(token))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    id_of(&r.body)
}

/// The next payload of subscription field `field`; panics on anything else.
async fn next_of(ws: &mut GqlWs, field: &str) -> Value {
    match ws.next(Duration::from_secs(10)).await {
        Incoming::Json(m) if m["type"] == "next" || m["type"] == "data" => {
            assert!(m["payload"]["errors"].is_null(), "unexpected errors: {m}");
            m["payload"]["data"][field].clone()
        }
        other => panic!("expected a {field} event, got {other:?}"),
    }
}

/// The next message is an error with `code` (then the subscription completes).
async fn expect_error(ws: &mut GqlWs, code: &str) {
    match ws.next(Duration::from_secs(10)).await {
        Incoming::Json(m) => {
            assert_eq!(m["payload"]["errors"][0]["extensions"]["code"], code, "{m}")
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

/// The subscription ended: a `complete` for it, and the socket stays open.
async fn expect_complete(ws: &mut GqlWs) {
    match ws.next(Duration::from_secs(10)).await {
        Incoming::Json(m) if m["type"] == "complete" => {}
        other => panic!("expected complete, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_events_arrive_over_both_subprotocols() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let talker = app.register(&unique("talker")).await;
    let card = id_of(&app.card(&owner.access, "talk here", "public").await);
    let elsewhere = id_of(&app.card(&owner.access, "not here", "public").await);
    for protocol in [MODERN, LEGACY] {
        let mut ws = GqlWs::connect(&app, protocol, None).await.unwrap();
        ws.subscribe("t", REPLY_EVENTS, json!({"card": card})).await;
        let id = reply(&app, &talker.access, &card, &format!("hi over {protocol}")).await;
        reply(&app, &talker.access, &elsewhere, "another thread").await;
        let ev = next_of(&mut ws, "replyEvents").await;
        assert_eq!(ev["kind"], "CREATED", "{protocol}");
        assert_eq!(ev["replyId"], id.as_str());
        assert_eq!(ev["reply"]["body"], format!("hi over {protocol}"));
        assert_eq!(ev["reply"]["cardId"], card.as_str());
        assert_eq!(ev["reply"]["author"]["username"], talker.username.as_str());

        let r = app
            .patch(
                &format!("/api/cards/{card}/replies/{id}/"),
                json!({"body": "edited"}),
                Some(&talker.access),
            )
            .await;
        assert_eq!(r.status, 200);
        let ev = next_of(&mut ws, "replyEvents").await;
        assert_eq!(
            (ev["kind"].as_str(), ev["reply"]["body"].as_str()),
            (Some("UPDATED"), Some("edited"))
        );

        // The card's owner deletes it.
        let r = app
            .delete(
                &format!("/api/cards/{card}/replies/{id}/"),
                Some(&owner.access),
            )
            .await;
        assert_eq!(r.status, 204);
        let ev = next_of(&mut ws, "replyEvents").await;
        assert_eq!(ev["kind"], "DELETED");
        assert_eq!(ev["replyId"], id.as_str());
        assert!(ev["reply"].is_null());
        ws.expect_silence(Duration::from_millis(500)).await;
    }
}

/// Replies and reactions change a card's counts: its feed subscribers get the
/// card as UPDATED, with `reacted` as each of them sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_changes_reach_the_card_feed() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let fan = app.register(&unique("fan")).await;
    let mut fan_ws = GqlWs::connect(&app, MODERN, Some(&fan.access))
        .await
        .unwrap();
    let mut owner_ws = GqlWs::connect(&app, MODERN, Some(&owner.access))
        .await
        .unwrap();
    fan_ws.subscribe("f", COUNTED_CARD_EVENTS, json!({})).await;
    owner_ws
        .subscribe("o", COUNTED_CARD_EVENTS, json!({}))
        .await;
    // Posted after subscribing, so its CREATED comes first on both databases
    // (NOTIFY is asynchronous: a card posted just before subscribing could
    // still be heard).
    let card = id_of(&app.card(&owner.access, "counted", "public").await);
    for ws in [&mut fan_ws, &mut owner_ws] {
        assert_eq!(next_of(ws, "cardEvents").await["kind"], "CREATED");
    }

    reply(&app, &fan.access, &card, "first!").await;
    for ws in [&mut fan_ws, &mut owner_ws] {
        let ev = next_of(ws, "cardEvents").await;
        assert_eq!(ev["kind"], "UPDATED", "{ev}");
        assert_eq!(ev["cardId"], card.as_str());
        assert_eq!(ev["card"]["replyCount"], 1, "{ev}");
    }

    let r = app
        .post(
            &format!("/api/cards/{card}/reactions/"),
            json!({"emoji": "👍"}),
            Some(&fan.access),
        )
        .await;
    assert_eq!(r.status, 201);
    let ev = next_of(&mut fan_ws, "cardEvents").await;
    assert_eq!(ev["kind"], "UPDATED");
    assert_eq!(
        ev["card"]["reactions"],
        json!([{"emoji": "👍", "count": 1, "reacted": true}])
    );
    let ev = next_of(&mut owner_ws, "cardEvents").await;
    assert_eq!(
        ev["card"]["reactions"],
        json!([{"emoji": "👍", "count": 1, "reacted": false}])
    );

    // Adding it again changes nothing, so nothing is announced.
    let r = app
        .post(
            &format!("/api/cards/{card}/reactions/"),
            json!({"emoji": "👍"}),
            Some(&fan.access),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .delete(
            &format!("/api/cards/{card}/reactions/%F0%9F%91%8D/"),
            Some(&fan.access),
        )
        .await;
    assert_eq!(r.status, 204);
    let ev = next_of(&mut fan_ws, "cardEvents").await;
    assert_eq!(
        (ev["kind"].as_str(), &ev["card"]["reactions"]),
        (Some("UPDATED"), &json!([]))
    );
}

/// A private card's thread is invisible to others, live too: subscribing is
/// NOT_FOUND at once (SSE: 404); a card made private or deleted ends the
/// subscriptions of those who may no longer read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_cards_thread_stays_private_live() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let other = app.register(&unique("other")).await;
    let staff = app.register_staff("staff").await;
    let secret = id_of(&app.card(&owner.access, "secret", "private").await);

    let mut ws = GqlWs::connect(&app, MODERN, Some(&other.access))
        .await
        .unwrap();
    ws.subscribe("s", REPLY_EVENTS, json!({"card": secret}))
        .await;
    expect_error(&mut ws, "NOT_FOUND").await;
    expect_complete(&mut ws).await;
    let r = app
        .get(
            &format!("/api/cards/{secret}/replies/stream/"),
            Some(&other.access),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found")),
        "{r:?}"
    );
    let r = app
        .get(&format!("/api/cards/{secret}/replies/stream/"), None)
        .await;
    assert_eq!(r.status, 404);
    let r = app.get("/api/cards/not-a-uuid/replies/stream/", None).await;
    assert_eq!(r.status, 404);
    let mut unknown = GqlWs::connect(&app, MODERN, None).await.unwrap();
    unknown
        .subscribe(
            "u",
            REPLY_EVENTS,
            json!({"card": uuid::Uuid::now_v7().to_string()}),
        )
        .await;
    expect_error(&mut unknown, "NOT_FOUND").await;

    // The owner and staff follow it.
    let mut own = GqlWs::connect(&app, MODERN, Some(&owner.access))
        .await
        .unwrap();
    own.subscribe("o", REPLY_EVENTS, json!({"card": secret}))
        .await;
    let mut staff_ws = GqlWs::connect(&app, MODERN, Some(&staff.access))
        .await
        .unwrap();
    staff_ws
        .subscribe("s", REPLY_EVENTS, json!({"card": secret}))
        .await;
    reply(&app, &owner.access, &secret, "note to self").await;
    assert_eq!(
        next_of(&mut own, "replyEvents").await["reply"]["body"],
        "note to self"
    );
    assert_eq!(
        next_of(&mut staff_ws, "replyEvents").await["kind"],
        "CREATED"
    );
    ws.expect_silence(Duration::from_millis(300)).await;

    // Public, then private again: the other reader's subscription ends.
    let public = id_of(&app.card(&owner.access, "open for now", "public").await);
    let mut watcher = GqlWs::connect(&app, MODERN, Some(&other.access))
        .await
        .unwrap();
    watcher
        .subscribe("w", REPLY_EVENTS, json!({"card": public}))
        .await;
    reply(&app, &other.access, &public, "while it lasts").await;
    assert_eq!(
        next_of(&mut watcher, "replyEvents").await["kind"],
        "CREATED"
    );
    let r = app
        .patch(
            &format!("/api/cards/{public}/"),
            json!({"visibility": "private"}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(r.status, 200);
    expect_error(&mut watcher, "NOT_FOUND").await;
    expect_complete(&mut watcher).await;
    reply(&app, &owner.access, &public, "not for you").await;
    watcher.expect_silence(Duration::from_millis(500)).await;

    // A deleted card ends its thread's subscriptions.
    assert_eq!(
        app.delete(&format!("/api/cards/{secret}/"), Some(&owner.access))
            .await
            .status,
        204
    );
    expect_error(&mut own, "NOT_FOUND").await;
}

/// Minimal SSE reader: the next event's name and data.
struct Sse {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>,
    >,
    buf: String,
}

impl Sse {
    async fn open(app: &TestApp, path: &str, token: Option<&str>) -> Sse {
        let mut req = app.client.get(app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("stream");
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let sse = Sse {
            body: Box::pin(resp.bytes_stream()),
            buf: String::new(),
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        sse
    }

    /// The next named event (comments skipped): `(event, data)`.
    async fn next(&mut self) -> (String, Value) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let name = block.lines().find_map(|l| l.strip_prefix("event: "));
                let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                if let (Some(name), Some(data)) = (name, data) {
                    return (name.to_string(), serde_json::from_str(data).unwrap());
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .expect("an event in time")
                .expect("stream open")
                .expect("chunk");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thread_stream_over_sse() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let talker = app.register(&unique("talker")).await;
    let card = id_of(&app.card(&owner.access, "sse thread", "public").await);
    let mut sse = Sse::open(&app, &format!("/api/cards/{card}/replies/stream/"), None).await;
    let id = reply(&app, &talker.access, &card, "over sse").await;
    let (name, data) = sse.next().await;
    assert_eq!(name, "created");
    assert_eq!(data["kind"], "created");
    assert_eq!(data["reply_id"], id.as_str());
    assert_eq!(data["reply"]["body"], "over sse");
    assert_eq!(data["reply"]["author_username"], talker.username.as_str());
    assert_eq!(data["reply"]["card_id"], card.as_str());
    app.patch(
        &format!("/api/cards/{card}/replies/{id}/"),
        json!({"body": "b2"}),
        Some(&talker.access),
    )
    .await;
    let (name, data) = sse.next().await;
    assert_eq!(
        (name.as_str(), data["reply"]["body"].as_str()),
        ("updated", Some("b2"))
    );
    app.delete(
        &format!("/api/cards/{card}/replies/{id}/"),
        Some(&talker.access),
    )
    .await;
    let (name, data) = sse.next().await;
    assert_eq!(
        (name.as_str(), &data),
        (
            "deleted",
            &json!({"kind": "deleted", "reply_id": id, "reply": null})
        )
    );
    // The card deleted: a closing error event.
    app.delete(&format!("/api/cards/{card}/"), Some(&owner.access))
        .await;
    let (name, data) = sse.next().await;
    assert_eq!(
        (name.as_str(), data["code"].as_str()),
        ("error", Some("not_found")),
        "{data}"
    );

    // The card stream shows the count changes (REST shapes, reactions included).
    let mut feed = Sse::open(&app, "/api/cards/stream/", Some(&owner.access)).await;
    let card = id_of(&app.card(&owner.access, "counted", "public").await);
    assert_eq!(feed.next().await.0, "created");
    app.post(
        &format!("/api/cards/{card}/reactions/"),
        json!({"emoji": "🎉"}),
        Some(&owner.access),
    )
    .await;
    let (name, data) = feed.next().await;
    assert_eq!(name, "updated");
    assert_eq!(
        data["card"]["reactions"],
        json!([{"emoji": "🎉", "count": 1, "reacted": true}])
    );
    assert_eq!(data["card"]["reply_count"], 0);
}

/// Logout ends a thread subscription like a feed one: UNAUTHENTICATED, 4401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_a_thread_subscription() {
    let app = TestApp::spawn().await;
    let me = app.register(&unique("leaver")).await;
    let card = id_of(&app.card(&me.access, "mine", "private").await);
    let mut ws = GqlWs::connect(&app, MODERN, Some(&me.access))
        .await
        .unwrap();
    ws.subscribe("x", REPLY_EVENTS, json!({"card": card})).await;
    let r = app
        .post("/api/auth/logout/", json!({}), Some(&me.access))
        .await;
    assert_eq!(r.status, 200);
    expect_error(&mut ws, "UNAUTHENTICATED").await;
    loop {
        match ws.next(Duration::from_secs(10)).await {
            Incoming::Json(m) if m["type"] == "complete" => continue,
            Incoming::Closed(code) => {
                assert_eq!(code, Some(4401));
                break;
            }
            other => panic!("expected close 4401, got {other:?}"),
        }
    }
}

/// With PostgreSQL, replies and reactions written through one instance reach
/// the subscribers of another (through the triggers of migration 12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_instances_hear_the_conversation() {
    let a = TestApp::spawn().await;
    if !a.is_postgres() {
        eprintln!("SQLite: one instance per database file, nothing to cross");
        return;
    }
    let b = a.sibling().await;
    let owner = a.register(&unique("owner")).await;
    let mut feed_ws = GqlWs::connect(&b, MODERN, Some(&owner.access))
        .await
        .unwrap();
    feed_ws.subscribe("f", COUNTED_CARD_EVENTS, json!({})).await;
    let card = id_of(&a.card(&owner.access, "shared", "public").await);
    assert_eq!(next_of(&mut feed_ws, "cardEvents").await["kind"], "CREATED");
    let mut thread_ws = GqlWs::connect(&b, MODERN, None).await.unwrap();
    thread_ws
        .subscribe("t", REPLY_EVENTS, json!({"card": card}))
        .await;

    let id = reply(&a, &owner.access, &card, "from a").await;
    let ev = next_of(&mut thread_ws, "replyEvents").await;
    assert_eq!(
        (ev["kind"].as_str(), ev["replyId"].as_str()),
        (Some("CREATED"), Some(id.as_str()))
    );
    assert_eq!(ev["reply"]["body"], "from a");
    let ev = next_of(&mut feed_ws, "cardEvents").await;
    assert_eq!(
        (ev["kind"].as_str(), &ev["card"]["replyCount"]),
        (Some("UPDATED"), &json!(1))
    );

    a.post(
        &format!("/api/cards/{card}/reactions/"),
        json!({"emoji": "👍"}),
        Some(&owner.access),
    )
    .await;
    let ev = next_of(&mut feed_ws, "cardEvents").await;
    assert_eq!(
        ev["card"]["reactions"],
        json!([{"emoji": "👍", "count": 1, "reacted": true}])
    );
    a.delete(
        &format!("/api/cards/{card}/replies/{id}/"),
        Some(&owner.access),
    )
    .await;
    let ev = next_of(&mut thread_ws, "replyEvents").await;
    assert_eq!(ev["kind"], "DELETED");
}

/// Back-pressure as for the feed: a thread subscriber that stops reading does
/// not delay a healthy one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_thread_subscriber_does_not_delay_a_healthy_one() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let card = id_of(&app.card(&owner.access, "busy thread", "public").await);
    let mut stalled = GqlWs::connect_stalling(&app).await;
    stalled
        .subscribe("s", REPLY_EVENTS, json!({"card": card}))
        .await;
    let mut healthy = GqlWs::connect(&app, MODERN, None).await.unwrap();
    healthy
        .subscribe("h", REPLY_EVENTS, json!({"card": card}))
        .await;
    // 200 replies of 8 KB (2,000 four-byte characters) are far more than the
    // stalled socket's buffers hold.
    let big = "🎉".repeat(1_990);
    for i in 0..200 {
        reply(&app, &owner.access, &card, &format!("{i} {big}")).await;
        let ev = next_of(&mut healthy, "replyEvents").await;
        assert!(
            ev["reply"]["body"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{i} ")),
            "in order"
        );
    }
    drop(stalled);
}
