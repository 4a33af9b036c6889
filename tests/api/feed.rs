//! The live feed over real WebSockets and Server-Sent Events.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, unique},
    ws_client::{CARD_EVENTS, GqlWs, Incoming, LEGACY, MODERN},
};

async fn post_card(app: &TestApp, token: &str, title: &str, visibility: &str) -> String {
    let r = app
        .post(
            "/api/cards/",
            json!({"title": title, "visibility": visibility}),
            Some(token),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_kind_arrives_over_both_subprotocols() {
    let app = TestApp::spawn().await;
    let writer = app.register(&unique("writer")).await;
    for protocol in [MODERN, LEGACY] {
        let mut ws = GqlWs::connect(&app, protocol, None)
            .await
            .expect("anonymous connection");
        ws.subscribe("1", CARD_EVENTS, json!({})).await;
        let id = post_card(&app, &writer.access, &format!("hello {protocol}"), "public").await;
        let ev = ws.next_event().await;
        assert_eq!(ev["kind"], "CREATED", "{protocol}");
        assert_eq!(ev["cardId"], id.as_str());
        assert_eq!(ev["card"]["title"], format!("hello {protocol}"));
        assert_eq!(ev["card"]["ownerUsername"], writer.username.as_str());

        let r = app
            .patch(
                &format!("/api/cards/{id}/"),
                json!({"title": "edited"}),
                Some(&writer.access),
            )
            .await;
        assert_eq!(r.status, 200);
        let ev = ws.next_event().await;
        assert_eq!(
            (ev["kind"].as_str(), ev["card"]["title"].as_str()),
            (Some("UPDATED"), Some("edited"))
        );

        assert_eq!(
            app.delete(&format!("/api/cards/{id}/"), Some(&writer.access))
                .await
                .status,
            204
        );
        let ev = ws.next_event().await;
        assert_eq!(ev["kind"], "DELETED");
        assert_eq!(ev["cardId"], id.as_str());
        assert!(ev["card"].is_null());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_events_reach_only_owner_and_staff() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let other = app.register(&unique("other")).await;
    let staff = app.register(&unique("staff")).await;
    app.make_staff(&staff.username).await;

    let mut anon = GqlWs::connect(&app, MODERN, None).await.unwrap();
    let mut other_ws = GqlWs::connect(&app, MODERN, Some(&other.access))
        .await
        .unwrap();
    let mut owner_ws = GqlWs::connect(&app, MODERN, Some(&owner.access))
        .await
        .unwrap();
    let mut staff_ws = GqlWs::connect(&app, MODERN, Some(&staff.access))
        .await
        .unwrap();
    for ws in [&mut anon, &mut other_ws, &mut owner_ws, &mut staff_ws] {
        ws.subscribe("s", CARD_EVENTS, json!({})).await;
    }
    let secret = post_card(&app, &owner.access, "secret", "private").await;
    let public = post_card(&app, &owner.access, "public", "public").await;
    // Those who may read the private card see it first; the others see only the public one.
    for ws in [&mut owner_ws, &mut staff_ws] {
        assert_eq!(ws.next_event().await["cardId"], secret.as_str());
        assert_eq!(ws.next_event().await["cardId"], public.as_str());
    }
    for ws in [&mut anon, &mut other_ws] {
        assert_eq!(ws.next_event().await["cardId"], public.as_str());
        ws.expect_silence(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visibility_flips_are_deleted_or_created_for_outsiders() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let mut outsider = GqlWs::connect(&app, MODERN, None).await.unwrap();
    let mut own = GqlWs::connect(&app, MODERN, Some(&owner.access))
        .await
        .unwrap();
    outsider.subscribe("o", CARD_EVENTS, json!({})).await;
    own.subscribe("o", CARD_EVENTS, json!({})).await;

    let id = post_card(&app, &owner.access, "flip", "public").await;
    assert_eq!(outsider.next_event().await["kind"], "CREATED");
    assert_eq!(own.next_event().await["kind"], "CREATED");

    let path = format!("/api/cards/{id}/");
    app.patch(&path, json!({"visibility": "private"}), Some(&owner.access))
        .await;
    let ev = outsider.next_event().await;
    assert_eq!(
        (ev["kind"].as_str(), ev["card"].is_null()),
        (Some("DELETED"), true),
        "{ev}"
    );
    assert_eq!(own.next_event().await["kind"], "UPDATED");

    app.patch(&path, json!({"visibility": "public"}), Some(&owner.access))
        .await;
    let ev = outsider.next_event().await;
    assert_eq!(
        (ev["kind"].as_str(), ev["card"]["title"].as_str()),
        (Some("CREATED"), Some("flip"))
    );
    assert_eq!(own.next_event().await["kind"], "UPDATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_by_owner_and_visibility() {
    let app = TestApp::spawn().await;
    let a = app.register(&unique("a")).await;
    let b = app.register(&unique("b")).await;
    let mut ws = GqlWs::connect(&app, MODERN, Some(&a.access)).await.unwrap();
    ws.subscribe(
        "f",
        CARD_EVENTS,
        json!({"filter": {"owner": b.id, "visibility": "PUBLIC"}}),
    )
    .await;
    post_card(&app, &a.access, "a's", "public").await;
    post_card(&app, &b.access, "b's private", "private").await;
    let wanted = post_card(&app, &b.access, "b's public", "public").await;
    assert_eq!(ws.next_event().await["cardId"], wanted.as_str());
    ws.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_closes_with_4403() {
    let app = TestApp::spawn().await;
    for protocol in [MODERN, LEGACY] {
        match GqlWs::connect(&app, protocol, Some("not-a-token")).await {
            Ok(_) => panic!("{protocol}: a bad token must not be acknowledged"),
            Err(Incoming::Closed(code)) => assert_eq!(code, Some(4403), "{protocol}"),
            Err(other) => panic!("{protocol}: {other:?}"),
        }
    }
}

/// Logout through another instance ends an open subscription with
/// UNAUTHENTICATED and close 4401. (On SQLite the instances share no bus, so
/// there the logout goes through the same instance.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_an_open_subscription() {
    let app = TestApp::spawn().await;
    let other_instance = app.sibling().await;
    let via = if app.is_postgres() {
        &other_instance
    } else {
        &app
    };
    let me = app.register(&unique("leaver")).await;
    let mut ws = GqlWs::connect(&app, MODERN, Some(&me.access))
        .await
        .unwrap();
    ws.subscribe("x", CARD_EVENTS, json!({})).await;
    let r = via
        .post("/api/auth/logout/", json!({}), Some(&me.access))
        .await;
    assert_eq!(r.status, 200);
    match ws.next(Duration::from_secs(10)).await {
        Incoming::Json(m) => {
            assert_eq!(
                m["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{m}"
            )
        }
        other => panic!("expected the UNAUTHENTICATED error, got {other:?}"),
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_ends_the_subscription() {
    let app = TestApp::spawn_with(|c| c.access_token_ttl = 2).await;
    let me = app.register(&unique("expiring")).await;
    let mut ws = GqlWs::connect(&app, MODERN, Some(&me.access))
        .await
        .unwrap();
    ws.subscribe("x", CARD_EVENTS, json!({})).await;
    match ws.next(Duration::from_secs(10)).await {
        Incoming::Json(m) => {
            assert_eq!(
                m["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{m}"
            )
        }
        other => panic!("expected UNAUTHENTICATED, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_others_events() {
    let a = TestApp::spawn().await;
    if !a.is_postgres() {
        // SQLite serves one instance; this is PostgreSQL's LISTEN/NOTIFY path.
        return;
    }
    let b = a.sibling().await;
    let writer = a.register(&unique("writer")).await;
    let mut on_a = GqlWs::connect(&a, MODERN, None).await.unwrap();
    let mut on_b = GqlWs::connect(&b, MODERN, None).await.unwrap();
    on_a.subscribe("1", CARD_EVENTS, json!({})).await;
    on_b.subscribe("1", CARD_EVENTS, json!({})).await;
    let from_b = post_card(&b, &writer.access, "from b", "public").await;
    let from_a = post_card(&a, &writer.access, "from a", "public").await;
    for ws in [&mut on_a, &mut on_b] {
        assert_eq!(ws.next_event().await["cardId"], from_b.as_str());
        assert_eq!(ws.next_event().await["cardId"], from_a.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_does_not_delay_a_healthy_one() {
    let app = TestApp::spawn().await;
    let writer = app.register(&unique("writer")).await;
    // This one subscribes and then never reads again.
    let mut stalled = GqlWs::connect_stalling(&app).await;
    stalled
        .subscribe(
            "s",
            CARD_EVENTS.replace("title", "title body").as_str(),
            json!({}),
        )
        .await;
    let mut healthy = GqlWs::connect(&app, MODERN, None).await.unwrap();
    healthy.subscribe("h", CARD_EVENTS, json!({})).await;

    // 200 × 9 KB is far more than the stalled socket's buffers hold, so the
    // server's writes to it block; each event must still reach the healthy
    // subscriber within `next_event`'s timeout.
    let big = "x".repeat(9_000);
    for i in 0..200 {
        let r = app
            .post(
                "/api/cards/",
                json!({"title": format!("card {i}"), "body": big}),
                Some(&writer.access),
            )
            .await;
        assert_eq!(r.status, 201);
        let ev = healthy.next_event().await;
        assert_eq!(ev["card"]["title"], format!("card {i}"));
    }
    drop(stalled);
}

/// The REST stream: same events, REST shapes, filters as query parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sse_stream_carries_the_same_events() {
    let app = TestApp::spawn().await;
    let writer = app.register(&unique("writer")).await;
    let resp = app
        .client
        .get(app.url("/api/cards/stream/?visibility=public"))
        .send()
        .await
        .expect("stream");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = resp.bytes_stream();
    tokio::time::sleep(Duration::from_millis(300)).await;
    post_card(&app, &writer.access, "private one", "private").await;
    let id = post_card(&app, &writer.access, "over sse", "public").await;

    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains("\n\n") || !text.contains("event: created") {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let block = text
        .split("\n\n")
        .find(|b| b.contains("event: created"))
        .expect("a created event");
    let data: Value = serde_json::from_str(
        block
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("data line"),
    )
    .unwrap();
    assert_eq!(data["kind"], "created");
    assert_eq!(data["card_id"], id.as_str());
    assert_eq!(data["card"]["title"], "over sse");
    assert_eq!(data["card"]["visibility"], "public");
    assert!(!text.contains("private one"), "filtered out: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sse_stream_rejects_a_bad_token_and_bad_filters() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/cards/stream/", Some("garbage")).await;
    assert_eq!(r.status, 401);
    let r = app.get("/api/cards/stream/?owner=nope", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["owner"][0], "Enter a valid UUID.");
}

/// A password change in one session, and "log out everywhere", end the
/// subscriptions of the user's other sessions (UNAUTHENTICATED, then 4401).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_and_logout_everywhere_end_other_sessions_feeds() {
    let app = TestApp::spawn().await;
    let me = app.register(&unique("revoked")).await;
    let second = app.login(&me.username, &me.password).await;
    let second_access = second.body["access"].as_str().unwrap().to_string();

    async fn ended(ws: &mut GqlWs) {
        match ws.next(Duration::from_secs(10)).await {
            Incoming::Json(m) => assert_eq!(
                m["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                "{m}"
            ),
            other => panic!("expected UNAUTHENTICATED, got {other:?}"),
        }
        loop {
            match ws.next(Duration::from_secs(10)).await {
                Incoming::Json(m) if m["type"] == "complete" => continue,
                Incoming::Closed(code) => return assert_eq!(code, Some(4401)),
                other => panic!("expected close 4401, got {other:?}"),
            }
        }
    }

    // The second session's feed ends when the first changes the password.
    let mut ws = GqlWs::connect(&app, MODERN, Some(&second_access))
        .await
        .unwrap();
    ws.subscribe("p", CARD_EVENTS, json!({})).await;
    let new_password = "another-horse-battery";
    let r = app
        .post(
            "/api/auth/password/change/",
            json!({"old_password": me.password, "new_password1": new_password,
                   "new_password2": new_password}),
            Some(&me.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    ended(&mut ws).await;

    // The first (kept) session's feed ends on "log out everywhere".
    let mut own = GqlWs::connect(&app, MODERN, Some(&me.access))
        .await
        .unwrap();
    own.subscribe("a", CARD_EVENTS, json!({})).await;
    let r = app
        .post(
            "/api/auth/logout/",
            json!({"all_sessions": true}),
            Some(&me.access),
        )
        .await;
    assert_eq!(r.status, 200);
    ended(&mut own).await;
}

/// On PostgreSQL a trigger announces every committed change to `cards`, so a
/// change made outside the server (here: the owner's account deleted by
/// hand, which deletes the card by cascade) still reaches subscribers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_deleted_outside_the_server_is_announced_on_postgres() {
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        // SQLite has no NOTIFY; its one instance announces its own writes.
        return;
    }
    let writer = app.register(&unique("gone")).await;
    let mut ws = GqlWs::connect(&app, MODERN, None).await.unwrap();
    ws.subscribe("1", CARD_EVENTS, json!({})).await;
    // Its CREATED first (NOTIFY is asynchronous: subscribing after the post
    // could still hear it), then the cascade's DELETED.
    let card = post_card(&app, &writer.access, "soon gone", "public").await;
    assert_eq!(ws.next_event().await["kind"], "CREATED");
    app.delete_user(&writer.id).await;
    let event = ws.next_event().await;
    assert_eq!(event["kind"], "DELETED", "{event}");
    assert_eq!(event["cardId"], card.as_str());
}
