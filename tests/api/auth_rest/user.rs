//! `GET/PATCH/PUT /api/auth/user/`: reading and updating one's own account.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_user_changes_username_or_email() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("jack")).await;

    let renamed = unique("Jacques");
    let r = app
        .patch(
            "/api/auth/user/",
            json!({"username": renamed}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_user_object(&r.body, &renamed, &acc.email);

    let email = format!("{}@example.org", unique("jq"));
    let r = app
        .patch(
            "/api/auth/user/",
            json!({"email": email}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_user_object(&r.body, &renamed, &email);

    let me = get_user(&app, &acc.access).await;
    assert_user_object(&me.body, &renamed, &email);
    assert_eq!(me.body["id"], acc.id.as_str());

    // Changing only the case of one's own username is not a clash with oneself.
    let recased = renamed.to_uppercase();
    let r = app
        .patch(
            "/api/auth/user/",
            json!({"username": recased}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // The new identity logs in; the old username no longer does.
    assert_eq!(app.login(&recased, PASSWORD).await.status, 200);
    assert_eq!(login_email(&app, &email, PASSWORD).await.status, 200);
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 400);

    // PATCH never lets a caller promote themself.
    let r = app
        .patch(
            "/api/auth/user/",
            json!({"is_staff": true}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(
        get_user(&app, &acc.access).await.body["is_staff"],
        false,
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_user_requires_username_and_email() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("kate")).await;

    let r = app
        .put(
            "/api/auth/user/",
            json!({"username": unique("k")}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"email": [msg::REQUIRED]}));

    let r = app
        .put(
            "/api/auth/user/",
            json!({"email": "kate2@example.com"}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"username": [msg::REQUIRED]}));

    // Nothing changed by the failed attempts.
    assert_user_object(
        &get_user(&app, &acc.access).await.body,
        &acc.username,
        &acc.email,
    );

    let username = unique("katherine");
    let email = format!("{username}@example.net");
    let r = app
        .put(
            "/api/auth/user/",
            json!({"username": username, "email": email}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_user_object(&r.body, &username, &email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_the_user_applies_the_registration_rules() {
    let app = TestApp::spawn().await;
    let alice = app.register(&unique("alice")).await;
    let bob = app.register(&unique("bob")).await;
    let patch = |body: Value| {
        let token = bob.access.clone();
        let app = &app;
        async move { app.patch("/api/auth/user/", body, Some(&token)).await }
    };

    let r = patch(json!({"username": alice.username.to_uppercase()})).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"username": [msg::USERNAME_TAKEN]}));

    let r = patch(json!({"email": alice.email.to_uppercase()})).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"email": [msg::EMAIL_TAKEN]}));

    let r = app
        .put(
            "/api/auth/user/",
            json!({"username": alice.username, "email": alice.email}),
            Some(&bob.access),
        )
        .await;
    assert_field_error(&r, "username", msg::USERNAME_TAKEN);
    assert_field_error(&r, "email", msg::EMAIL_TAKEN);

    assert_field_error(
        &patch(json!({"username": "x"})).await,
        "username",
        msg::USERNAME_TOO_SHORT,
    );
    assert_field_error(
        &patch(json!({"username": "bad name"})).await,
        "username",
        msg::BAD_USERNAME,
    );
    assert_field_error(
        &patch(json!({"username": ""})).await,
        "username",
        msg::BLANK,
    );
    assert_field_error(
        &patch(json!({"email": "nope"})).await,
        "email",
        msg::BAD_EMAIL,
    );
    assert_field_error(
        &patch(json!({"email": "a\u{0}@example.com"})).await,
        "email",
        msg::NUL,
    );

    // Bob is unchanged, and anonymous updates are refused.
    assert_user_object(
        &get_user(&app, &bob.access).await.body,
        &bob.username,
        &bob.email,
    );
    let r = app
        .patch("/api/auth/user/", json!({"username": unique("anon")}), None)
        .await;
    assert_unauthorized(&r, "not_authenticated");
    let r = app
        .put(
            "/api/auth/user/",
            json!({"username": unique("anon"), "email": "a@example.com"}),
            None,
        )
        .await;
    assert_unauthorized(&r, "not_authenticated");
}
