//! `POST /api/auth/logout/`: by bearer, by refresh token, or everywhere.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_the_session_on_every_instance() {
    let app = TestApp::spawn().await;
    let other_instance = app.sibling().await;
    let acc = app.register(&unique("quinn")).await;
    let (bystander_access, bystander_refresh) = new_session(&app, &acc.username, PASSWORD).await;
    assert_eq!(get_user(&other_instance, &acc.access).await.status, 200);

    let r = logout(&app, Some(&acc.access), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Successfully logged out."}));

    assert_unauthorized(&get_user(&app, &acc.access).await, "token_not_valid");
    // With PostgreSQL the instances share nothing but the database; with SQLite, a file.
    let database = if app.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let r = get_user(&other_instance, &acc.access).await;
    assert_eq!(
        r.status, 401,
        "other instance on {database} still accepts the token: {r:?}"
    );
    assert_unauthorized(&r, "token_not_valid");
    assert_unauthorized(&refresh(&app, &acc.refresh).await, "token_not_valid");

    // The user's other session is untouched, on both instances.
    assert_eq!(get_user(&app, &bystander_access).await.status, 200);
    assert_eq!(
        get_user(&other_instance, &bystander_access).await.status,
        200
    );
    assert_eq!(
        refresh(&other_instance, &bystander_refresh).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_with_only_a_refresh_token_revokes_its_session() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("rita")).await;
    let (bystander_access, _) = new_session(&app, &acc.username, PASSWORD).await;

    let r = logout(&app, None, json!({"refresh": acc.refresh})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Successfully logged out."}));

    assert_unauthorized(&get_user(&app, &acc.access).await, "token_not_valid");
    assert_unauthorized(&refresh(&app, &acc.refresh).await, "token_not_valid");
    assert_eq!(get_user(&app, &bystander_access).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_from_all_sessions() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("sam")).await;
    let stranger = app.register(&unique("tess")).await;
    let (b_access, b_refresh) = new_session(&app, &acc.username, PASSWORD).await;
    let (c_access, c_refresh) = new_session(&app, &acc.username, PASSWORD).await;

    let r = logout(&app, Some(&acc.access), json!({"all_sessions": true})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"detail": "Successfully logged out."}));

    for access in [&acc.access, &b_access, &c_access] {
        assert_unauthorized(&get_user(&app, access).await, "token_not_valid");
    }
    for refresh_token in [&acc.refresh, &b_refresh, &c_refresh] {
        assert_unauthorized(&refresh(&app, refresh_token).await, "token_not_valid");
    }

    // Other users are not affected, and the user can sign in again.
    assert_eq!(get_user(&app, &stranger.access).await.status, 200);
    let (fresh, _) = new_session(&app, &acc.username, PASSWORD).await;
    assert_eq!(get_user(&app, &fresh).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_needs_a_bearer_or_a_refresh_token() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("uma")).await;

    let r = logout(&app, None, json!({})).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert!(
        ["not_authenticated", "token_not_valid"].contains(&r.body["code"].as_str().unwrap_or("")),
        "{}",
        r.body
    );

    assert_unauthorized(
        &logout(&app, Some("garbage"), json!({})).await,
        "token_not_valid",
    );

    // Logging out twice: the second time the token is already dead.
    assert_eq!(logout(&app, Some(&acc.access), json!({})).await.status, 200);
    assert_unauthorized(
        &logout(&app, Some(&acc.access), json!({})).await,
        "token_not_valid",
    );
}
