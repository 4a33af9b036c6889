//! The REST auth routes under `/api/auth/` (dj-rest-auth shapes): register, login,
//! user, password change, token refresh, logout, and what each does to sessions.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, Resp, TestApp, assert_field_error, assert_not_found, assert_unauthorized, id_of,
    jwt_claims, messages, msg, tampered_jwt, timestamp, unique,
};

mod authentication;
mod login;
mod logout;
mod password_change;
mod refresh;
mod register;
mod routes;
mod user;

const NEW_PASSWORD: &str = "another-horse-battery";

// --- one helper per endpoint ----------------------------------------------------

fn register_body(username: &str, email: &str, password1: &str, password2: &str) -> Value {
    json!({"username": username, "email": email, "password1": password1, "password2": password2})
}

/// A registration body for a fresh, valid identity with the given passwords.
fn fresh_register_body(prefix: &str, password1: &str, password2: &str) -> Value {
    let username = unique(prefix);
    let email = format!("{}@example.com", username.to_lowercase());
    register_body(&username, &email, password1, password2)
}

async fn register(app: &TestApp, body: Value) -> Resp {
    app.post("/api/auth/register/", body, None).await
}

async fn login_email(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post(
        "/api/auth/login/",
        json!({"email": email, "password": password}),
        None,
    )
    .await
}

async fn get_user(app: &TestApp, access: &str) -> Resp {
    app.get("/api/auth/user/", Some(access)).await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Resp {
    app.post(
        "/api/auth/token/refresh/",
        json!({"refresh": refresh_token}),
        None,
    )
    .await
}

async fn change_password(app: &TestApp, access: &str, old: &str, new1: &str, new2: &str) -> Resp {
    app.post(
        "/api/auth/password/change/",
        json!({"old_password": old, "new_password1": new1, "new_password2": new2}),
        Some(access),
    )
    .await
}

async fn logout(app: &TestApp, access: Option<&str>, body: Value) -> Resp {
    app.post("/api/auth/logout/", body, access).await
}

/// Logs in by username and returns (access, refresh), asserting 200.
async fn new_session(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let r = app.login(username, password).await;
    assert_eq!(r.status, 200, "login {username}: {:?}", r.body);
    (
        r.body["access"].as_str().unwrap().to_string(),
        r.body["refresh"].as_str().unwrap().to_string(),
    )
}

// --- shape assertions -------------------------------------------------------------

/// The dj-rest-auth user object, with nothing more (no password hash can leak).
#[track_caller]
fn assert_user_object(user: &Value, username: &str, email: &str) {
    let keys: BTreeSet<&str> = user
        .as_object()
        .unwrap_or_else(|| panic!("user is not an object: {user}"))
        .keys()
        .map(String::as_str)
        .collect();
    let expected = BTreeSet::from([
        "id",
        "pk",
        "username",
        "email",
        "email_verified",
        "is_staff",
        "date_joined",
        "last_login",
    ]);
    assert_eq!(keys, expected, "user object keys: {user}");
    let id = user["id"].as_str().expect("id is a string");
    let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("id {id:?}: {e}"));
    assert_eq!(uuid.get_version_num(), 7, "id {id} is not a UUID v7");
    assert_eq!(user["pk"], user["id"], "pk must equal id: {user}");
    assert_eq!(user["username"], username, "{user}");
    assert_eq!(user["email"], email, "{user}");
    assert!(user["is_staff"].is_boolean(), "{user}");
    assert!(user["email_verified"].is_boolean(), "{user}");
    timestamp(&user["date_joined"]);
    if !user["last_login"].is_null() {
        timestamp(&user["last_login"]);
    }
}

/// `{access, refresh, access_expiration, refresh_expiration}` with sensible values.
#[track_caller]
fn assert_token_pair(body: &Value) {
    let access = body["access"].as_str().unwrap_or_else(|| panic!("{body}"));
    let refresh = body["refresh"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert_ne!(access, refresh);
    // Opaque, at least 256 bits: 43 base64url or 64 hex characters.
    assert!(refresh.len() >= 43, "refresh token too short: {refresh:?}");
    let now = chrono::Utc::now();
    let access_exp = timestamp(&body["access_expiration"]);
    let refresh_exp = timestamp(&body["refresh_expiration"]);
    assert!(access_exp > now - chrono::Duration::seconds(5), "{body}");
    assert!(refresh_exp > access_exp, "{body}");
}
