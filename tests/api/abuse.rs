//! Abuse limits: per-IP and per-account windows on the auth routes, 429 with
//! `Retry-After` over REST and `RATE_LIMITED` over GraphQL, `TRUSTED_PROXIES`.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, unique};

async fn limited(tweak: impl FnOnce(&mut spider_web::Config)) -> TestApp {
    TestApp::spawn_with(|c| {
        c.rate_limits = true;
        tweak(c);
    })
    .await
}

#[track_caller]
fn assert_throttled(r: &crate::helpers::Resp) {
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.body["code"], "throttled");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Request was throttled. Expected available in "),
        "{detail}"
    );
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_limited_per_client_ip() {
    let app = limited(|c| c.login_attempts_per_ip = 5).await;
    let acc = app.register(&unique("ipl")).await;
    for _ in 0..5 {
        assert_eq!(app.login(&acc.username, "wrong-password").await.status, 400);
    }
    // Even the right password now waits.
    assert_throttled(&app.login(&acc.username, PASSWORD).await);
    let body = app
        .gql(
            "mutation($u: String!) { login(input: {username: $u, password: \"x-password\"}) { accessToken } }",
            json!({"u": acc.username}),
            None,
        )
        .await;
    assert_eq!(
        TestApp::gql_code(&body).as_deref(),
        Some("RATE_LIMITED"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_lock_the_account_and_success_clears_them() {
    let app = limited(|c| c.login_failures_per_account = 3).await;
    let acc = app.register(&unique("acct")).await;
    let other = app.register(&unique("bystander")).await;
    for _ in 0..2 {
        assert_eq!(app.login(&acc.username, "wrong-password").await.status, 400);
    }
    // A success clears the count …
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 200);
    for _ in 0..3 {
        assert_eq!(app.login(&acc.username, "wrong-password").await.status, 400);
    }
    // … three failures in a row lock it, whatever the password, by either name.
    assert_throttled(&app.login(&acc.username, PASSWORD).await);
    let by_email = app
        .post(
            "/api/auth/login/",
            json!({"email": acc.email, "password": PASSWORD}),
            None,
        )
        .await;
    assert_throttled(&by_email);
    // Other accounts are not affected.
    assert_eq!(app.login(&other.username, PASSWORD).await.status, 200);
    // Unknown names behave the same way (no hint of who exists).
    let ghost = unique("ghost");
    for _ in 0..3 {
        assert_eq!(app.login(&ghost, "wrong-password").await.status, 400);
    }
    assert_throttled(&app.login(&ghost, "wrong-password").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_refresh_and_password_change_are_limited_per_ip() {
    let app = limited(|c| c.auth_requests_per_ip = 2).await;
    let a = app.register(&unique("r1")).await;
    app.register(&unique("r2")).await;
    let name = unique("r3");
    let r = app
        .post(
            "/api/auth/register/",
            json!({"username": name, "email": format!("{name}@example.com"),
                   "password1": PASSWORD, "password2": PASSWORD}),
            None,
        )
        .await;
    assert_throttled(&r);

    let mut refresh = a.refresh.clone();
    for _ in 0..2 {
        let r = app
            .post(
                "/api/auth/token/refresh/",
                json!({"refresh": refresh}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        refresh = r.body["refresh"].as_str().unwrap().to_string();
    }
    assert_throttled(
        &app.post(
            "/api/auth/token/refresh/",
            json!({"refresh": refresh}),
            None,
        )
        .await,
    );

    let change = json!({"old_password": "nope-nope-1", "new_password1": "x", "new_password2": "y"});
    for _ in 0..2 {
        let r = app
            .post(
                "/api/auth/password/change/",
                change.clone(),
                Some(&a.access),
            )
            .await;
        assert_eq!(r.status, 400);
    }
    assert_throttled(
        &app.post("/api/auth/password/change/", change, Some(&a.access))
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_window() {
    let app = limited(|c| {
        c.login_attempts_per_ip = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let login = |ip: &'static str| {
        app.client
            .post(app.url("/api/auth/login/"))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": "nobody_here", "password": "wrong-password"}))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(login("198.51.100.1").await.unwrap().status(), 400);
    }
    assert_eq!(login("198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(login("198.51.100.2").await.unwrap().status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peer_cannot_dodge_limits_with_forwarded_for() {
    let app = limited(|c| c.login_attempts_per_ip = 2).await;
    for i in 0..3 {
        let r = app
            .client
            .post(app.url("/api/auth/login/"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&json!({"username": "nobody_here", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), if i < 2 { 400 } else { 429 });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_off_turns_them_off() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limits = false;
        c.login_attempts_per_ip = 1;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(app.login("nobody_here", "wrong-password").await.status, 400);
    }
}

/// The four mail routes draw on the per-IP auth allowance, each its own
/// window; GraphQL's mutations share them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mail_routes_are_limited_per_client_ip() {
    let app = limited(|c| c.auth_requests_per_ip = 3).await;
    let cases = [
        (
            "/api/auth/password/reset/",
            json!({"email": "a@example.com"}),
        ),
        (
            "/api/auth/password/reset/confirm/",
            json!({"uid": "x", "token": "y", "new_password1": PASSWORD, "new_password2": PASSWORD}),
        ),
        (
            "/api/auth/registration/verify-email/",
            json!({"key": "x.y"}),
        ),
        (
            "/api/auth/registration/resend-email/",
            json!({"email": "a@example.com"}),
        ),
    ];
    for (path, body) in cases {
        for _ in 0..3 {
            let r = app.post(path, body.clone(), None).await;
            assert_ne!(r.status, 429, "{path}: {r:?}");
        }
        assert_throttled(&app.post(path, body, None).await);
    }
    let body = app
        .gql(
            "mutation { requestPasswordReset(email: \"a@example.com\") }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );
}
