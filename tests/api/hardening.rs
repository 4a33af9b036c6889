//! Token strictness and HTTP hygiene: the JWT algorithm is pinned and `exp`
//! required; security headers on every response; CORS only as configured.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::Value;

use crate::helpers::{TestApp, jwt_claims, unique};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

fn sign(alg: Algorithm, claims: &Value, secret: &[u8]) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_hs256_tokens_with_an_expiry_and_our_secret_pass() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("jwt")).await;
    let claims = jwt_claims(&acc.access);
    // The genuine token, and the same claims re-signed the same way, work.
    assert_eq!(
        app.get("/api/auth/user/", Some(&acc.access)).await.status,
        200
    );
    let resigned = sign(Algorithm::HS256, &claims, SECRET);
    assert_eq!(
        app.get("/api/auth/user/", Some(&resigned)).await.status,
        200
    );

    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let forged = [
        ("alg none", format!("{header_none}.{payload}.")),
        ("HS512", sign(Algorithm::HS512, &claims, SECRET)),
        ("HS384", sign(Algorithm::HS384, &claims, SECRET)),
        (
            "another secret",
            sign(
                Algorithm::HS256,
                &claims,
                b"another-secret-another-secret-!!",
            ),
        ),
        ("no exp", sign(Algorithm::HS256, &no_exp, SECRET)),
    ];
    for (what, token) in forged {
        let r = app.get("/api/auth/user/", Some(&token)).await;
        assert_eq!(r.status, 401, "{what}: {r:?}");
        assert_eq!(r.body["code"], "token_not_valid", "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/healthz",
        "/api/cards/",
        "/api/nope",
        "/graphql?query={__typename}",
    ] {
        let r = app.get(path, None).await;
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(
            r.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{path}"
        );
    }
    let page = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_only_configured_origins() {
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/cards/"))
            .header("origin", origin.to_string())
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let closed = TestApp::spawn().await;
    let r = preflight(&closed, "https://app.example.com").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let open =
        TestApp::spawn_with(|c| c.cors_origins = vec!["https://app.example.com".into()]).await;
    let r = preflight(&open, "https://app.example.com").await.unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    let r = preflight(&open, "https://evil.example.net").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-padding", "p".repeat(70 * 1024))
        .send()
        .await;
    // hyper answers 431 (or drops the connection) before any handler runs.
    if let Ok(resp) = r {
        assert_eq!(resp.status(), 431);
    }
    assert_eq!(
        app.get("/healthz", None).await.status,
        200,
        "the server is fine"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_connections_are_capped() {
    use crate::ws_client::{GqlWs, MODERN};
    let app = TestApp::spawn_with(|c| c.ws_max_connections = 1).await;
    let _first = GqlWs::connect(&app, MODERN, None)
        .await
        .expect("first connection");
    let url = format!("ws://{}/graphql/ws", app.addr);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected 503, got {:?}", other.map(|(_, r)| r.status())),
    }
}
