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

/// A card read checks the caller's session inside its own statement; other
/// reads check it after the handler. Either way a revoked token fails every
/// read — found, missing, hidden or malformed — on every instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_fails_every_read_even_where_the_read_checks_it() {
    let app = TestApp::spawn().await;
    let other_instance = app.sibling().await;
    let acc = app.register(&unique("rhea")).await;
    let stranger = app.register(&unique("saul")).await;
    let own = id_of(&app.card(&acc.access, "mine", "private").await);
    let hidden = id_of(&app.card(&stranger.access, "theirs", "private").await);
    let missing = uuid::Uuid::now_v7().to_string();
    let profile = id_of(
        &app.create_profile(&acc.access, json!({"display_name": "Rhea"}))
            .await,
    );

    for instance in [&app, &other_instance] {
        let r = instance
            .get(&format!("/api/cards/{own}/"), Some(&acc.access))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["title"], "mine");
        assert_not_found(
            &instance
                .get(&format!("/api/cards/{hidden}/"), Some(&acc.access))
                .await,
        );
        assert_not_found(
            &instance
                .get(&format!("/api/cards/{missing}/"), Some(&acc.access))
                .await,
        );
        let r = instance
            .get(&format!("/api/cards/{hidden}/"), Some(&stranger.access))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    // One statement checks the session and reads the card (fewest of five
    // runs: a background task may run one of its own meanwhile).
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = app.sql_statements();
        let r = app
            .get(&format!("/api/cards/{own}/"), Some(&acc.access))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        fewest = fewest.min(app.sql_statements() - before);
    }
    assert_eq!(fewest, 1, "an authenticated card read takes one statement");

    let r = logout(&app, Some(&acc.access), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let reads = [
        format!("/api/cards/{own}/"),
        format!("/api/cards/{hidden}/"),
        format!("/api/cards/{missing}/"),
        "/api/cards/not-a-uuid/".to_string(),
        "/api/cards/".to_string(),
        format!("/api/profiles/{profile}/"),
        "/api/openapi.json".to_string(),
    ];
    for instance in [&app, &other_instance] {
        for path in &reads {
            let r = instance.get(path, Some(&acc.access)).await;
            assert_unauthorized(&r, "token_not_valid");
        }
    }
    // A deleted user's token (its sessions cascade) fails the same way.
    app.delete_user(&stranger.id).await;
    let r = app
        .get(&format!("/api/cards/{own}/"), Some(&stranger.access))
        .await;
    assert_unauthorized(&r, "token_not_valid");
}
