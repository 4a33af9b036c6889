//! `/metrics` (Prometheus text) on the `METRICS_BIND` listener, and nothing
//! without it. The recorder is global to the process and other tests' servers
//! run beside these, so counters are checked as at least what this test did;
//! the sampled gauges (pool, WebSockets, outbox) are this instance's own.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use futures_util::StreamExt;
use serde_json::json;

use crate::{
    helpers::{TestApp, unique},
    ws_client::{CARD_EVENTS, GqlWs, MODERN},
};

/// One line of the exposition: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let name_end = line.find(['{', ' ']).expect("a name");
            let name = line[..name_end].to_string();
            let mut labels = BTreeMap::new();
            let mut rest = &line[name_end..];
            if let Some(body) = rest.strip_prefix('{') {
                // Values may hold `{` and `}` (route templates): read them quoted.
                let mut chars = body.char_indices();
                loop {
                    let (start, c) = chars.next().expect("a label or `}`");
                    if c == '}' {
                        rest = &body[start + 1..];
                        break;
                    }
                    if c == ',' {
                        continue;
                    }
                    let eq = body[start..].find("=\"").expect("key=\"") + start;
                    let key = body[start..eq].to_string();
                    while chars.next().expect("the key").0 < eq + 1 {}
                    let mut value = String::new();
                    loop {
                        match chars.next().expect("a closing quote").1 {
                            '"' => break,
                            '\\' => match chars.next().expect("an escape").1 {
                                'n' => value.push('\n'),
                                other => value.push(other),
                            },
                            c => value.push(c),
                        }
                    }
                    labels.insert(key, value);
                }
            }
            let value = rest.trim().split(' ').next().expect("a value");
            let value = match value {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("a number in {line:?}")),
            };
            Sample {
                name,
                labels,
                value,
            }
        })
        .collect()
}

/// The samples of `name` whose labels include `labels`.
fn matching<'a>(
    samples: &'a [Sample],
    name: &'a str,
    labels: &'a [(&str, &str)],
) -> impl Iterator<Item = &'a Sample> + 'a {
    samples.iter().filter(move |s| {
        s.name == name
            && labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
    })
}

/// The sum of the matching samples, or `None` when there is none.
fn total(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = matching(samples, name, labels).peekable();
    found.peek()?;
    Some(found.map(|s| s.value).sum())
}

async fn scrape(addr: SocketAddr) -> (String, Vec<Sample>) {
    let r = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = r.text().await.unwrap();
    let samples = parse(&text);
    (text, samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_listener() {
    let app = TestApp::spawn_with(|c| {
        c.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        c.rate_limits = true;
        c.login_attempts_per_ip = 1;
    })
    .await;
    let metrics = app.metrics_addr.expect("a metrics listener");
    assert_ne!(metrics.port(), app.addr.port());

    // Requests of each kind: a 200 by id, a 404, GraphQL, a 429.
    let writer = app.register(&unique("metered")).await;
    let card = app.card(&writer.access, "measured", "public").await;
    let id = card["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/api/cards/{id}/"), None).await.status,
        200
    );
    // The main port has no /metrics.
    assert_eq!(app.get("/metrics", None).await.status, 404);
    let body = app
        .gql("{ cards(first: 1) { totalCount } }", json!({}), None)
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        app.login(&writer.username, "wrong-password").await.status,
        400
    );
    assert_eq!(
        app.login(&writer.username, "wrong-password").await.status,
        429
    );

    // A WebSocket subscription and an SSE stream, open; one event for both.
    let mut ws = GqlWs::connect(&app, MODERN, None).await.expect("connects");
    ws.subscribe("1", CARD_EVENTS, json!({})).await;
    let sse = app
        .client
        .get(app.url("/api/cards/stream/"))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let mut sse = sse.bytes_stream();
    let first = sse.next().await.expect("a first chunk").unwrap();
    assert!(String::from_utf8_lossy(&first).contains("connected"));
    app.card(&writer.access, "live", "public").await;
    assert_eq!(ws.next_event().await["kind"], "CREATED");
    let mut seen = String::new();
    while !seen.contains("event: created") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), sse.next())
            .await
            .expect("an SSE event in time")
            .expect("stream open")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    let (text, samples) = scrape(metrics).await;
    let requests = "spider_web_http_requests_total";
    let at_least_one = |name: &str, labels: &[(&str, &str)]| {
        let n =
            total(&samples, name, labels).unwrap_or_else(|| panic!("{name} {labels:?}:\n{text}"));
        assert!(n >= 1.0, "{name} {labels:?} = {n}");
    };
    // Route templates, never raw ids.
    at_least_one(
        requests,
        &[
            ("method", "GET"),
            ("route", "/api/cards/{id}"),
            ("status", "200"),
        ],
    );
    at_least_one(
        requests,
        &[
            ("method", "POST"),
            ("route", "/api/cards"),
            ("status", "201"),
        ],
    );
    at_least_one(requests, &[("route", "unmatched"), ("status", "404")]);
    at_least_one(
        requests,
        &[("method", "POST"), ("route", "/graphql"), ("status", "200")],
    );
    at_least_one(requests, &[("route", "/api/auth/login"), ("status", "429")]);
    at_least_one(requests, &[("route", "/graphql/ws"), ("status", "101")]);
    at_least_one(
        requests,
        &[("route", "/api/cards/stream"), ("status", "200")],
    );
    assert!(!text.contains(&id), "a raw id in a label:\n{text}");

    // A histogram per route: buckets up to +Inf, a count and a sum.
    let duration = "spider_web_http_request_duration_seconds";
    let by_id = [("method", "GET"), ("route", "/api/cards/{id}")];
    let buckets: Vec<_> = matching(
        &samples,
        "spider_web_http_request_duration_seconds_bucket",
        &by_id,
    )
    .collect();
    assert!(buckets.len() > 5, "{text}");
    let inf = buckets
        .iter()
        .find(|b| b.labels["le"] == "+Inf")
        .expect("le=+Inf");
    let count = total(&samples, &format!("{duration}_count"), &by_id).expect("_count");
    assert!(count >= 1.0 && inf.value == count, "{text}");
    assert!(total(&samples, &format!("{duration}_sum"), &by_id).expect("_sum") > 0.0);

    // Gauges sampled at scrape time, from this instance.
    assert_eq!(
        total(&samples, "spider_web_websockets_open", &[]),
        Some(1.0),
        "{text}"
    );
    assert!(total(&samples, "spider_web_sse_streams_open", &[]).unwrap() >= 1.0);
    let max = total(&samples, "spider_web_db_connections_max", &[]).unwrap();
    let in_use = total(&samples, "spider_web_db_connections_in_use", &[]).unwrap();
    let idle = total(&samples, "spider_web_db_connections_idle", &[]).unwrap();
    assert!(
        max >= 1.0 && in_use + idle <= max,
        "{in_use} + {idle} of {max}"
    );
    assert!(
        total(&samples, "spider_web_mail_outbox_pending", &[]).is_some(),
        "{text}"
    );
    assert!(
        total(&samples, "spider_web_mail_outbox_failed", &[]).is_some(),
        "{text}"
    );

    // Counters from the feed, the outbox and the abuse limits.
    assert!(total(&samples, "spider_web_feed_events_delivered_total", &[]).unwrap() >= 2.0);
    for name in [
        "spider_web_feed_events_dropped_total",
        "spider_web_feed_slow_subscribers_total",
        "spider_web_mail_send_failures_total",
    ] {
        assert!(total(&samples, name, &[]).is_some(), "{name}:\n{text}");
    }
    at_least_one(
        "spider_web_rate_limit_refusals_total",
        &[("bucket", "login_ip")],
    );
    assert!(text.contains("# TYPE spider_web_http_request_duration_seconds histogram"));
    // Every series is described (a misspelt name at a call site would not be).
    for sample in &samples {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| sample.name.strip_suffix(s).filter(|b| *b == duration))
            .unwrap_or(&sample.name);
        assert!(base.starts_with("spider_web_"), "{}", sample.name);
        assert!(
            text.contains(&format!("# HELP {base} ")),
            "no help for {base}"
        );
    }

    // The registration's verification mail goes out through the outbox.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, samples) = scrape(metrics).await;
        let sent = total(&samples, "spider_web_mail_sent_total", &[]).unwrap_or(0.0);
        let pending = total(&samples, "spider_web_mail_outbox_pending", &[]).unwrap_or(1.0);
        if sent >= 1.0 && pending == 0.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "sent {sent}, pending {pending}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A closed WebSocket is no longer counted.
    drop(ws);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, samples) = scrape(metrics).await;
        if total(&samples, "spider_web_websockets_open", &[]) == Some(0.0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the socket is still counted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let r = reqwest::get(format!("http://{metrics}/other"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_metrics_bind_nothing_is_served() {
    let app = TestApp::spawn().await;
    assert_eq!(app.config.metrics_bind, None);
    assert_eq!(app.metrics_addr, None);
    assert_eq!(app.get("/metrics", None).await.status, 404);
    assert_eq!(app.get("/metrics/", None).await.status, 404);
}
