//! The two doors agree: every bad input is rejected the same way over REST (400 and
//! a validation map) and GraphQL (`BAD_USER_INPUT`, `extensions.fields` = the same
//! map with camelCase keys), and a good one yields the same user.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, PASSWORD, TestApp, camelize_keys, msg, timestamp, unique};

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }";
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
const CHANGE_PASSWORD: &str =
    "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { accessToken } }";
const UPDATE_ME: &str = "mutation($input: UpdateMeInput!) { updateMe(input: $input) { id } }";

const USER_FIELDS: &str = "id username email isStaff dateJoined lastLogin";

/// One bad input, sent through both doors. The GraphQL input is the REST body with
/// camelCase keys.
struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    body: Value,
    mutation: &'static str,
    token: Option<String>,
    /// A REST field and message the rejection must contain (so that two empty
    /// answers can never count as agreement).
    expect: (&'static str, &'static str),
}

impl Case {
    fn register(name: &'static str, body: Value, expect: (&'static str, &'static str)) -> Self {
        Case {
            name,
            method: Method::POST,
            path: "/api/auth/register/",
            body,
            mutation: REGISTER,
            token: None,
            expect,
        }
    }

    fn login(name: &'static str, body: Value) -> Self {
        Case {
            name,
            method: Method::POST,
            path: "/api/auth/login/",
            body,
            mutation: LOGIN,
            token: None,
            expect: ("non_field_errors", msg::BAD_CREDENTIALS),
        }
    }

    fn change_password(
        name: &'static str,
        acc: &Account,
        new1: &str,
        new2: &str,
        old: &str,
        expect: (&'static str, &'static str),
    ) -> Self {
        Case {
            name,
            method: Method::POST,
            path: "/api/auth/password/change/",
            body: json!({"old_password": old, "new_password1": new1, "new_password2": new2}),
            mutation: CHANGE_PASSWORD,
            token: Some(acc.access.clone()),
            expect,
        }
    }

    fn update_me(
        name: &'static str,
        acc: &Account,
        body: Value,
        expect: (&'static str, &'static str),
    ) -> Self {
        Case {
            name,
            method: Method::PATCH,
            path: "/api/auth/user/",
            body,
            mutation: UPDATE_ME,
            token: Some(acc.access.clone()),
            expect,
        }
    }
}

/// Sends the case through REST and GraphQL and compares the two rejections.
async fn assert_both_doors_reject(app: &TestApp, case: &Case) {
    let name = case.name;
    let token = case.token.as_deref();

    let rest = app
        .request(
            case.method.clone(),
            case.path,
            token,
            Some(case.body.clone()),
        )
        .await;
    assert_eq!(rest.status, 400, "{name}: REST status; body {}", rest.body);
    let (field, message) = case.expect;
    assert!(
        rest.body[field]
            .as_array()
            .is_some_and(|list| list.iter().any(|m| m == message)),
        "{name}: REST body should list {field}: {message:?}, got {}",
        rest.body
    );

    let gql = app
        .gql(
            case.mutation,
            json!({"input": camelize_keys(&case.body)}),
            token,
        )
        .await;
    assert_eq!(
        TestApp::gql_code(&gql).as_deref(),
        Some("BAD_USER_INPUT"),
        "{name}: GraphQL code; body {gql}"
    );
    assert_eq!(
        gql["errors"][0]["extensions"]["fields"],
        camelize_keys(&rest.body),
        "{name}: GraphQL extensions.fields should be the REST body {} in camelCase",
        rest.body
    );
}

fn register_body(username: &str, email: &str, password1: &str, password2: &str) -> Value {
    json!({"username": username, "email": email, "password1": password1, "password2": password2})
}

// --- bad inputs --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_password_errors_are_the_same_through_both_doors() {
    let app = TestApp::spawn().await;
    let username = unique("Pam");
    let email = format!("{}@example.com", username.to_lowercase());
    let body = |p1: &str, p2: &str| register_body(&username, &email, p1, p2);
    let long = "p".repeat(129);
    let like_username = username.to_uppercase();

    let cases = [
        Case::register(
            "too short",
            body("short", "short"),
            ("password1", msg::PASSWORD_TOO_SHORT),
        ),
        Case::register(
            "too long",
            body(&long, &long),
            ("password1", msg::PASSWORD_TOO_LONG),
        ),
        Case::register(
            "numeric",
            body("9876543210", "9876543210"),
            ("password1", msg::PASSWORD_NUMERIC),
        ),
        Case::register(
            "short and numeric",
            body("1234", "1234"),
            ("password1", msg::PASSWORD_NUMERIC),
        ),
        Case::register(
            "like the username",
            body(&like_username, &like_username),
            ("password1", msg::PASSWORD_LIKE_USERNAME),
        ),
        Case::register(
            "like the email",
            body(&email, &email),
            ("password1", msg::PASSWORD_LIKE_EMAIL),
        ),
        Case::register(
            "mismatch",
            body(PASSWORD, "correct-horse-batterz"),
            ("non_field_errors", msg::PASSWORDS_DIFFER),
        ),
        Case::register(
            "NUL in the password",
            body("correct\u{0}horse", "correct\u{0}horse"),
            ("password1", msg::NUL),
        ),
    ];
    for case in &cases {
        assert_both_doors_reject(&app, case).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_identity_errors_are_the_same_through_both_doors() {
    let app = TestApp::spawn().await;
    let taken = app.register(&unique("Quentin")).await;
    let fresh_email = || format!("{}@example.com", unique("q"));
    let body = |username: &str, email: &str| register_body(username, email, PASSWORD, PASSWORD);

    let cases = [
        Case::register(
            "duplicate username, other case",
            body(&taken.username.to_lowercase(), &fresh_email()),
            ("username", msg::USERNAME_TAKEN),
        ),
        Case::register(
            "duplicate email, other case",
            body(&unique("q"), &taken.email.to_uppercase()),
            ("email", msg::EMAIL_TAKEN),
        ),
        Case::register(
            "bad email",
            body(&unique("q"), "not-an-email"),
            ("email", msg::BAD_EMAIL),
        ),
        Case::register(
            "bad username",
            body("bad name", &fresh_email()),
            ("username", msg::BAD_USERNAME),
        ),
        Case::register(
            "non-ASCII username",
            body("ünï", &fresh_email()),
            ("username", msg::BAD_USERNAME),
        ),
        Case::register(
            "short username",
            body("ab", &fresh_email()),
            ("username", msg::USERNAME_TOO_SHORT),
        ),
        Case::register(
            "long username",
            body(&"q".repeat(151), &fresh_email()),
            ("username", msg::USERNAME_TOO_LONG),
        ),
        Case::register(
            "blank username",
            body("", &fresh_email()),
            ("username", msg::BLANK),
        ),
        Case::register(
            "NUL in the username",
            body("ab\u{0}cd", &fresh_email()),
            ("username", msg::NUL),
        ),
    ];
    for case in &cases {
        assert_both_doors_reject(&app, case).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_errors_are_the_same_through_both_doors() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Rex")).await;

    let cases = [
        Case::login(
            "wrong password",
            json!({"username": acc.username, "password": "wrong-horse-battery"}),
        ),
        Case::login(
            "unknown user",
            json!({"username": unique("nobody"), "password": PASSWORD}),
        ),
        Case::login(
            "wrong password by email",
            json!({"email": acc.email, "password": "wrong-horse-battery"}),
        ),
        Case::login(
            "unknown email",
            json!({"email": "nobody.at.all@example.com", "password": PASSWORD}),
        ),
    ];
    for case in &cases {
        assert_both_doors_reject(&app, case).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_errors_are_the_same_through_both_doors() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Sue")).await;
    let new = "another-horse-battery";

    let cases = [
        Case::change_password(
            "wrong old password",
            &acc,
            new,
            new,
            "not-my-password",
            ("old_password", msg::WRONG_OLD_PASSWORD),
        ),
        Case::change_password(
            "mismatch",
            &acc,
            new,
            "another-horse-batterz",
            PASSWORD,
            ("new_password2", msg::NEW_PASSWORDS_DIFFER),
        ),
        Case::change_password(
            "too short",
            &acc,
            "short",
            "short",
            PASSWORD,
            ("new_password2", msg::PASSWORD_TOO_SHORT),
        ),
        Case::change_password(
            "numeric",
            &acc,
            "11223344556677",
            "11223344556677",
            PASSWORD,
            ("new_password2", msg::PASSWORD_NUMERIC),
        ),
        Case::change_password(
            "like the email",
            &acc,
            &acc.email,
            &acc.email,
            PASSWORD,
            ("new_password2", msg::PASSWORD_LIKE_EMAIL),
        ),
    ];
    for case in &cases {
        assert_both_doors_reject(&app, case).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_me_errors_are_the_same_through_both_doors() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("Tom")).await;
    let acc = app.register(&unique("Tina")).await;

    let cases = [
        Case::update_me(
            "duplicate username",
            &acc,
            json!({"username": owner.username.to_uppercase()}),
            ("username", msg::USERNAME_TAKEN),
        ),
        Case::update_me(
            "duplicate email",
            &acc,
            json!({"email": owner.email.to_uppercase()}),
            ("email", msg::EMAIL_TAKEN),
        ),
        Case::update_me(
            "bad email",
            &acc,
            json!({"email": "nope"}),
            ("email", msg::BAD_EMAIL),
        ),
        Case::update_me(
            "bad username",
            &acc,
            json!({"username": "bad name"}),
            ("username", msg::BAD_USERNAME),
        ),
    ];
    for case in &cases {
        assert_both_doors_reject(&app, case).await;
    }
}

// --- good inputs ----------------------------------------------------------------------------

/// A REST user object and a GraphQL `User` describe the same user the same way.
#[track_caller]
fn assert_same_user(rest: &Value, gql: &Value) {
    let mut rest = camelize_keys(rest);
    let rest_map = rest.as_object_mut().expect("REST user is an object");
    assert_eq!(
        rest_map.remove("pk").as_ref(),
        rest_map.get("id"),
        "pk = id"
    );
    for key in ["id", "username", "email", "isStaff"] {
        assert_eq!(rest[key], gql[key], "{key}: REST {rest} vs GraphQL {gql}");
    }
    // Same instants (the text may differ in sub-second digits).
    assert_eq!(
        timestamp(&rest["dateJoined"]),
        timestamp(&gql["dateJoined"])
    );
    match (&rest["lastLogin"], &gql["lastLogin"]) {
        (Value::Null, Value::Null) => {}
        (r, g) => assert_eq!(timestamp(r), timestamp(g), "lastLogin"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_login_give_the_same_user_through_both_doors() {
    let app = TestApp::spawn().await;
    let me_query = format!("{{ me {{ {USER_FIELDS} }} }}");

    // Registered over REST, read back through both doors.
    let username = unique("Uma");
    let email = format!("{}@example.com", username.to_lowercase());
    let rest = app
        .post(
            "/api/auth/register/",
            register_body(&username, &email, PASSWORD, PASSWORD),
            None,
        )
        .await;
    assert_eq!(rest.status, 201, "{rest:?}");
    let access = rest.body["access"].as_str().unwrap().to_string();
    let gql = app.gql(&me_query, json!({}), Some(&access)).await;
    assert!(gql.get("errors").is_none(), "{gql}");
    assert_same_user(&rest.body["user"], &gql["data"]["me"]);

    // Registered over GraphQL, read back over REST.
    let username2 = unique("Vic");
    let email2 = format!("{}@example.com", username2.to_lowercase());
    let gql = app
        .gql(
            &format!(
                "mutation($input: RegisterInput!) {{ register(input: $input) {{ accessToken user {{ {USER_FIELDS} }} }} }}"
            ),
            json!({"input": register_body(&username2, &email2, PASSWORD, PASSWORD)}),
            None,
        )
        .await;
    assert!(gql.get("errors").is_none(), "{gql}");
    let gql_user = &gql["data"]["register"]["user"];
    assert_eq!(gql_user["username"], username2.as_str());
    assert_eq!(gql_user["email"], email2.as_str());
    let token = gql["data"]["register"]["accessToken"].as_str().unwrap();
    let rest = app.get("/api/auth/user/", Some(token)).await;
    assert_eq!(rest.status, 200, "{rest:?}");
    assert_same_user(&rest.body, gql_user);

    // Logging in through either door gives the same user (lastLogin moves on, so it
    // is compared with the other door's view right after each login).
    let rest = app.login(&username, PASSWORD).await;
    assert_eq!(rest.status, 200, "{rest:?}");
    let rest_access = rest.body["access"].as_str().unwrap();
    let gql = app.gql(&me_query, json!({}), Some(rest_access)).await;
    assert_same_user(&rest.body["user"], &gql["data"]["me"]);

    let gql = app
        .gql(
            &format!(
                "mutation($input: LoginInput!) {{ login(input: $input) {{ accessToken user {{ {USER_FIELDS} }} }} }}"
            ),
            json!({"input": {"email": email, "password": PASSWORD}}),
            None,
        )
        .await;
    assert!(gql.get("errors").is_none(), "{gql}");
    let token = gql["data"]["login"]["accessToken"].as_str().unwrap();
    let rest = app.get("/api/auth/user/", Some(token)).await;
    assert_eq!(rest.status, 200, "{rest:?}");
    assert_same_user(&rest.body, &gql["data"]["login"]["user"]);
}
