//! Every auth route answers with and without the trailing slash.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_auth_route_answers_with_and_without_trailing_slash() {
    let app = TestApp::spawn().await;
    for slash in ["", "/"] {
        let path = |route: &str| format!("/api/auth/{route}{slash}");
        let username = unique("slash");
        let email = format!("{username}@example.com");

        let r = app
            .post(
                &path("register"),
                register_body(&username, &email, PASSWORD, PASSWORD),
                None,
            )
            .await;
        assert_eq!(r.status, 201, "POST {}: {r:?}", path("register"));
        let access = r.body["access"].as_str().unwrap().to_string();

        let r = app
            .post(
                &path("login"),
                json!({"username": username, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "POST {}: {r:?}", path("login"));
        let other_refresh = r.body["refresh"].as_str().unwrap().to_string();

        let r = app.get(&path("user"), Some(&access)).await;
        assert_eq!(r.status, 200, "GET {}: {r:?}", path("user"));
        assert_eq!(r.body["username"], username.as_str());

        let patched_email = format!("patched.{username}@example.com");
        let r = app
            .patch(
                &path("user"),
                json!({"email": patched_email}),
                Some(&access),
            )
            .await;
        assert_eq!(r.status, 200, "PATCH {}: {r:?}", path("user"));
        assert_eq!(r.body["email"], patched_email.as_str());

        let renamed = format!("{username}_r");
        let r = app
            .put(
                &path("user"),
                json!({"username": renamed, "email": email}),
                Some(&access),
            )
            .await;
        assert_eq!(r.status, 200, "PUT {}: {r:?}", path("user"));
        assert_eq!(r.body["username"], renamed.as_str());

        let r = app
            .post(
                &path("token/refresh"),
                json!({"refresh": other_refresh}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "POST {}: {r:?}", path("token/refresh"));

        let r = app
            .post(
                &path("password/change"),
                json!({"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                       "new_password2": NEW_PASSWORD}),
                Some(&access),
            )
            .await;
        assert_eq!(r.status, 200, "POST {}: {r:?}", path("password/change"));

        let r = app.post(&path("logout"), json!({}), Some(&access)).await;
        assert_eq!(r.status, 200, "POST {}: {r:?}", path("logout"));
    }
}
