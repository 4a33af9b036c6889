//! Abuse limits across instances: on PostgreSQL every instance on one database
//! draws on the same windows (a client cannot multiply its allowance by the
//! number of instances); on SQLite, which serves one instance, each instance
//! keeps its own (the documented behaviour).

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{PASSWORD, Resp, TestApp, unique};

/// Two instances on one database with the default limits (30 login attempts
/// per IP per minute, 10 failures per account per 15 minutes), believing
/// `X-Forwarded-For` from 127.0.0.1.
async fn two_instances() -> (TestApp, TestApp) {
    let a = TestApp::spawn_with(|c| {
        c.rate_limits = true;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let b = a.sibling().await;
    (a, b)
}

async fn login_from(app: &TestApp, ip: &str, username: &str, password: &str) -> Resp {
    let r = app
        .client
        .post(app.url("/api/auth/login/"))
        .header("x-forwarded-for", ip)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request sent");
    TestApp::read(r).await
}

#[track_caller]
fn assert_throttled(r: &Resp) {
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.body["code"], "throttled", "{r:?}");
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("Request was throttled. Expected available in "),
        "{detail}"
    );
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_limit_per_ip_is_shared_by_the_instances() {
    let (a, b) = two_instances().await;
    let ip = "198.51.100.31";
    // 30 attempts (each under a new name, so no account limit is near),
    // alternating between the instances: all answered normally.
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = login_from(app, ip, &unique("nobody"), "wrong-password").await;
        assert_eq!(r.status, 400, "attempt {}: {r:?}", i + 1);
    }
    if a.is_postgres() {
        // The 31st is refused by either instance, and the window is per IP.
        assert_throttled(&login_from(&a, ip, &unique("nobody"), "wrong-password").await);
        assert_throttled(&login_from(&b, ip, &unique("nobody"), "wrong-password").await);
        let other = login_from(&b, "198.51.100.32", &unique("nobody"), "wrong-password").await;
        assert_eq!(other.status, 400, "{other:?}");
    } else {
        // SQLite: each instance counted its own 15.
        let r = login_from(&a, ip, &unique("nobody"), "wrong-password").await;
        assert_eq!(r.status, 400, "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failures_of_an_account_are_shared_by_the_instances() {
    let (a, b) = two_instances().await;
    let acc = a.register(&unique("shared")).await;
    let both = [&a, &b];
    // A success on one instance clears failures counted on the other.
    for i in 0..5 {
        let r = both[i % 2].login(&acc.username, "wrong-password").await;
        assert_eq!(r.status, 400, "{r:?}");
    }
    assert_eq!(b.login(&acc.username, PASSWORD).await.status, 200);
    // Ten failures across both …
    for i in 0..10 {
        let r = both[i % 2].login(&acc.username, "wrong-password").await;
        assert_eq!(r.status, 400, "failure {}: {r:?}", i + 1);
    }
    if a.is_postgres() {
        // … and the 11th attempt is refused by either, even with the password.
        assert_throttled(&a.login(&acc.username, PASSWORD).await);
        assert_throttled(&b.login(&acc.username, "wrong-password").await);
    } else {
        // SQLite: each instance saw five.
        assert_eq!(a.login(&acc.username, PASSWORD).await.status, 200);
    }
}

/// Concurrent attempts on both instances are counted exactly: of 40 at once,
/// 30 are answered and 10 refused (PostgreSQL's row lock makes the checks
/// take turns).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_attempts_on_both_instances_are_counted_exactly() {
    let (a, b) = two_instances().await;
    if !a.is_postgres() {
        return;
    }
    let ip = "198.51.100.40";
    let names: Vec<String> = (0..40).map(|_| unique("nobody")).collect();
    let attempts = names.iter().enumerate().map(|(i, name)| {
        let app = if i % 2 == 0 { &a } else { &b };
        login_from(app, ip, name, "wrong-password")
    });
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|r| r.status).collect();
    let answered = statuses.iter().filter(|s| **s == 400).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((answered, refused), (30, 10), "{statuses:?}");
}
