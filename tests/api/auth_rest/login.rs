//! `POST /api/auth/login/`: by username or email, failures, `last_login`.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_by_username_in_any_case_or_by_email() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Dora")).await;

    for (how, r) in [
        ("username", app.login(&acc.username, &acc.password).await),
        (
            "USERNAME",
            app.login(&acc.username.to_uppercase(), &acc.password).await,
        ),
        (
            "username",
            app.login(&acc.username.to_lowercase(), &acc.password).await,
        ),
        ("email", login_email(&app, &acc.email, &acc.password).await),
    ] {
        assert_eq!(r.status, 200, "login by {how}: {r:?}");
        let keys: BTreeSet<&str> = r
            .body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "access",
                "refresh",
                "access_expiration",
                "refresh_expiration",
                "user"
            ]),
        );
        assert_token_pair(&r.body);
        // The stored spelling of the username comes back, whatever was typed.
        assert_user_object(&r.body["user"], &acc.username, &acc.email);
        assert_eq!(r.body["user"]["id"], acc.id.as_str());
        let me = get_user(&app, r.body["access"].as_str().unwrap()).await;
        assert_eq!(me.status, 200, "login by {how}, then GET user: {me:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_by_email_ignores_case() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("eve")).await;
    let r = login_email(&app, &acc.email.to_uppercase(), PASSWORD).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user"]["id"], acc.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_do_not_reveal_whether_the_user_exists() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("frank")).await;
    let expected = json!({"non_field_errors": [msg::BAD_CREDENTIALS]});

    let wrong_password = app.login(&acc.username, "wrong-horse-battery").await;
    let unknown_user = app.login(&unique("nobody"), "wrong-horse-battery").await;
    let wrong_password_email = login_email(&app, &acc.email, "wrong-horse-battery").await;
    let unknown_email = login_email(&app, "nobody.here@example.com", PASSWORD).await;
    for r in [
        &wrong_password,
        &unknown_user,
        &wrong_password_email,
        &unknown_email,
    ] {
        assert_eq!(r.status, 400, "{r:?}");
        assert_eq!(r.body, expected);
    }

    let r = app
        .post("/api/auth/login/", json!({"username": acc.username}), None)
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"password": [msg::REQUIRED]}));

    let r = app
        .post("/api/auth/login/", json!({"password": PASSWORD}), None)
        .await;
    assert_eq!(r.status, 400, "neither username nor email: {r:?}");

    // The failures did not lock the account.
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_updates_last_login() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("gina")).await;
    let joined = timestamp(&get_user(&app, &acc.access).await.body["date_joined"]);

    let first = app.login(&acc.username, PASSWORD).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(
        !first.body["user"]["last_login"].is_null(),
        "login must set last_login: {}",
        first.body
    );
    let first_login = timestamp(&first.body["user"]["last_login"]);
    assert!(
        first_login >= joined,
        "last_login {first_login} before date_joined {joined}"
    );

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = app.login(&acc.username, PASSWORD).await;
    assert_eq!(second.status, 200, "{second:?}");
    let second_login = timestamp(&second.body["user"]["last_login"]);
    assert!(
        second_login > first_login,
        "a later login must move last_login forward: {first_login} then {second_login}"
    );

    let me = get_user(&app, second.body["access"].as_str().unwrap()).await;
    assert_eq!(
        timestamp(&me.body["last_login"]),
        second_login,
        "{}",
        me.body
    );
}
