//! `POST /api/auth/password/change/`: keeps this session, ends the others.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_keeps_this_session_and_revokes_the_others() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("liam")).await;
    let (other_access, other_refresh) = new_session(&app, &acc.username, PASSWORD).await;
    assert_eq!(get_user(&app, &other_access).await.status, 200);

    let r = change_password(&app, &acc.access, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"detail": "New password has been saved."}));

    // This session goes on, access and refresh alike.
    assert_eq!(get_user(&app, &acc.access).await.status, 200);
    let r = refresh(&app, &acc.refresh).await;
    assert_eq!(r.status, 200, "the changing session's refresh token: {r:?}");

    // Every other session is over.
    assert_unauthorized(&get_user(&app, &other_access).await, "token_not_valid");
    assert_unauthorized(&refresh(&app, &other_refresh).await, "token_not_valid");

    // Only the new password logs in.
    let r = app.login(&acc.username, PASSWORD).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"non_field_errors": [msg::BAD_CREDENTIALS]}));
    assert_eq!(app.login(&acc.username, NEW_PASSWORD).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_rejects_bad_input() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("mia")).await;

    let r = change_password(
        &app,
        &acc.access,
        "not-my-password",
        NEW_PASSWORD,
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"old_password": [msg::WRONG_OLD_PASSWORD]}));

    let r = change_password(
        &app,
        &acc.access,
        PASSWORD,
        NEW_PASSWORD,
        "another-horse-batterz",
    )
    .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        r.body,
        json!({"new_password2": [msg::NEW_PASSWORDS_DIFFER]})
    );

    let long = "z".repeat(129);
    let upper_username = acc.username.to_uppercase();
    let weak: Vec<(&str, &str)> = vec![
        ("short!", msg::PASSWORD_TOO_SHORT),
        (long.as_str(), msg::PASSWORD_TOO_LONG),
        ("98765432101", msg::PASSWORD_NUMERIC),
        (upper_username.as_str(), msg::PASSWORD_LIKE_USERNAME),
        (acc.email.as_str(), msg::PASSWORD_LIKE_EMAIL),
    ];
    for (password, message) in weak {
        let r = change_password(&app, &acc.access, PASSWORD, password, password).await;
        assert_field_error(&r, "new_password2", message);
    }

    for field in ["old_password", "new_password1", "new_password2"] {
        let mut body = json!({"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                              "new_password2": NEW_PASSWORD});
        body.as_object_mut().unwrap().remove(field);
        let r = app
            .post("/api/auth/password/change/", body, Some(&acc.access))
            .await;
        assert_field_error(&r, field, msg::REQUIRED);
    }

    let r = app
        .post(
            "/api/auth/password/change/",
            json!({"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                   "new_password2": NEW_PASSWORD}),
            None,
        )
        .await;
    assert_unauthorized(&r, "not_authenticated");

    // None of the failures changed the password or ended the session.
    assert_eq!(get_user(&app, &acc.access).await.status, 200);
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 200);
}
