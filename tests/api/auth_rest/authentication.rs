//! How a request is authenticated: missing, malformed, tampered and expired tokens.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_endpoint_requires_a_valid_bearer_token() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("hank")).await;

    let r = app.get("/api/auth/user/", None).await;
    assert_unauthorized(&r, "not_authenticated");
    assert_eq!(
        r.body,
        json!({"detail": msg::NOT_AUTHENTICATED, "code": "not_authenticated"})
    );

    let bad_tokens = [
        "garbage".to_string(),
        acc.refresh.clone(),
        tampered_jwt(&acc.access, "sub", json!(uuid::Uuid::now_v7().to_string())),
        tampered_jwt(&acc.access, "exp", json!(4_102_444_800_i64)),
    ];
    for token in &bad_tokens {
        let r = app.get("/api/auth/user/", Some(token)).await;
        assert_unauthorized(&r, "token_not_valid");
    }
    let wrong_scheme = format!("Token {}", acc.access);
    for header in [
        "Basic xyz",
        "Bearer",
        "Bearer not.a.jwt",
        wrong_scheme.as_str(),
    ] {
        let r = app
            .with_authorization(Method::GET, "/api/auth/user/", header, None)
            .await;
        assert_unauthorized(&r, "token_not_valid");
    }

    let r = get_user(&app, &acc.access).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_user_object(&r.body, &acc.username, &acc.email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_rejected_on_public_routes_too() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("ivy")).await;

    let login = json!({"username": acc.username, "password": PASSWORD});
    let r = app
        .post("/api/auth/login/", login.clone(), Some("garbage"))
        .await;
    assert_unauthorized(&r, "token_not_valid");
    let r = app
        .with_authorization(Method::POST, "/api/auth/login/", "Basic xyz", Some(login))
        .await;
    assert_unauthorized(&r, "token_not_valid");

    let r = app
        .post(
            "/api/auth/register/",
            fresh_register_body("pub", PASSWORD, PASSWORD),
            Some("garbage"),
        )
        .await;
    assert_unauthorized(&r, "token_not_valid");

    let r = app
        .post(
            "/api/auth/token/refresh/",
            json!({"refresh": acc.refresh}),
            Some("garbage"),
        )
        .await;
    assert_unauthorized(&r, "token_not_valid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_rejected() {
    let app = TestApp::spawn_with(|c| c.access_token_ttl = 2).await;
    let acc = app.register(&unique("exp")).await;
    let claims = jwt_claims(&acc.access);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        2
    );
    assert_eq!(get_user(&app, &acc.access).await.status, 200, "fresh token");

    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_unauthorized(&get_user(&app, &acc.access).await, "token_not_valid");

    // The session itself lives on: the refresh token still gives a new access token.
    let r = refresh(&app, &acc.refresh).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_token_pair(&r.body);
}
