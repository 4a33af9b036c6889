//! The auth operations over GraphQL (`POST /graphql`): `me`, register, login,
//! refreshToken, logout, changePassword and updateMe, with their error codes.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, msg, timestamp, unique};

const NEW_PASSWORD: &str = "another-horse-battery";

const USER_FIELDS: &str = "id username email isStaff dateJoined lastLogin";

fn auth_payload_fields() -> String {
    format!("accessToken refreshToken accessExpiration refreshExpiration user {{ {USER_FIELDS} }}")
}

// --- one helper per operation ----------------------------------------------------

async fn me(app: &TestApp, token: Option<&str>) -> Value {
    app.gql(&format!("{{ me {{ {USER_FIELDS} }} }}"), json!({}), token)
        .await
}

async fn register(app: &TestApp, input: Value) -> Value {
    let query = format!(
        "mutation($input: RegisterInput!) {{ register(input: $input) {{ {} }} }}",
        auth_payload_fields()
    );
    app.gql(&query, json!({"input": input}), None).await
}

fn register_input(username: &str, password1: &str, password2: &str) -> Value {
    let email = format!("{}@example.com", username.to_lowercase());
    json!({"username": username, "email": email, "password1": password1, "password2": password2})
}

async fn login(app: &TestApp, input: Value) -> Value {
    let query = format!(
        "mutation($input: LoginInput!) {{ login(input: $input) {{ {} }} }}",
        auth_payload_fields()
    );
    app.gql(&query, json!({"input": input}), None).await
}

async fn refresh_token(app: &TestApp, token: &str) -> Value {
    let query = format!(
        "mutation($t: String!) {{ refreshToken(refreshToken: $t) {{ {} }} }}",
        auth_payload_fields()
    );
    app.gql(&query, json!({"t": token}), None).await
}

async fn logout(app: &TestApp, token: Option<&str>, all_sessions: Option<bool>) -> Value {
    let query = match all_sessions {
        Some(all) => format!("mutation {{ logout(allSessions: {all}) }}"),
        None => "mutation { logout }".to_string(),
    };
    app.gql(&query, json!({}), token).await
}

async fn change_password(
    app: &TestApp,
    token: Option<&str>,
    old: &str,
    new1: &str,
    new2: &str,
) -> Value {
    let query = format!(
        "mutation($input: ChangePasswordInput!) {{ changePassword(input: $input) {{ {} }} }}",
        auth_payload_fields()
    );
    let input = json!({"oldPassword": old, "newPassword1": new1, "newPassword2": new2});
    app.gql(&query, json!({"input": input}), token).await
}

async fn update_me(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    let query = format!(
        "mutation($input: UpdateMeInput!) {{ updateMe(input: $input) {{ {USER_FIELDS} }} }}"
    );
    app.gql(&query, json!({"input": input}), token).await
}

// --- assertions ------------------------------------------------------------------------

/// The `data.<field>` of a response that has no errors.
#[track_caller]
fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    &body["data"][field]
}

/// A response whose first error carries `code`.
#[track_caller]
fn assert_code(body: &Value, code: &str) {
    assert_eq!(
        TestApp::gql_code(body).as_deref(),
        Some(code),
        "expected {code}: {body}"
    );
    assert!(
        body["errors"][0]["message"].is_string(),
        "errors need a message: {body}"
    );
}

/// A `BAD_USER_INPUT` error whose `extensions.fields[field]` lists `message`.
#[track_caller]
fn assert_field_error(body: &Value, field: &str, message: &str) {
    assert_code(body, "BAD_USER_INPUT");
    let list = body["errors"][0]["extensions"]["fields"][field]
        .as_array()
        .unwrap_or_else(|| panic!("no extensions.fields.{field}: {body}"));
    assert!(
        list.iter().any(|m| m == message),
        "expected {field}: [{message:?}] in {body}"
    );
}

/// A request that failed as a whole: an error with `code` and no data.
#[track_caller]
fn assert_rejected_whole(body: &Value, code: &str) {
    assert_code(body, code);
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "a rejected request returns no data: {body}"
    );
}

#[track_caller]
fn assert_user(user: &Value, username: &str, email: &str) {
    let id = user["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no user id: {user}"));
    assert!(uuid::Uuid::parse_str(id).is_ok(), "id {id:?} is not a UUID");
    assert_eq!(user["username"], username, "{user}");
    assert_eq!(user["email"], email, "{user}");
    assert!(user["isStaff"].is_boolean(), "{user}");
    timestamp(&user["dateJoined"]);
    if !user["lastLogin"].is_null() {
        timestamp(&user["lastLogin"]);
    }
}

#[track_caller]
fn assert_auth_payload(payload: &Value, username: &str, email: &str) {
    let access = payload["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"));
    let refresh = payload["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"));
    assert_eq!(
        access.split('.').count(),
        3,
        "accessToken is a JWT: {access:?}"
    );
    assert!(refresh.len() >= 43, "refreshToken too short: {refresh:?}");
    let access_exp = timestamp(&payload["accessExpiration"]);
    let refresh_exp = timestamp(&payload["refreshExpiration"]);
    assert!(access_exp > chrono::Utc::now() - chrono::Duration::seconds(5));
    assert!(refresh_exp > access_exp);
    assert_user(&payload["user"], username, email);
}

fn token<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name}: {payload}"))
}

// --- me ----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_is_null_when_anonymous_and_the_user_with_a_token() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("ann")).await;

    let body = me(&app, None).await;
    assert!(data(&body, "me").is_null(), "{body}");

    let body = me(&app, Some(&acc.access)).await;
    let user = data(&body, "me");
    assert_user(user, &acc.username, &acc.email);
    assert_eq!(user["id"], acc.id.as_str());
    assert_eq!(user["isStaff"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_bearer_token_fails_the_whole_request() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("ben")).await;
    let tampered = format!("{}x", acc.access);

    for token in ["garbage", acc.refresh.as_str(), tampered.as_str()] {
        assert_rejected_whole(
            &app.gql("{ me { id } }", json!({}), Some(token)).await,
            "UNAUTHENTICATED",
        );
        assert_rejected_whole(
            &app.gql("{ __typename }", json!({}), Some(token)).await,
            "UNAUTHENTICATED",
        );
    }
    // Even a mutation that needs no authentication.
    let body = app
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
            json!({"input": {"username": acc.username, "password": PASSWORD}}),
            Some("garbage"),
        )
        .await;
    assert_rejected_whole(&body, "UNAUTHENTICATED");

    let r = app
        .with_authorization(
            reqwest::Method::POST,
            "/graphql",
            "Basic xyz",
            Some(json!({"query": "{ me { id } }"})),
        )
        .await;
    assert_rejected_whole(&r.body, "UNAUTHENTICATED");
}

// --- register -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_returns_an_auth_payload() {
    let app = TestApp::spawn().await;
    let username = unique("Cleo");
    let input = register_input(&username, PASSWORD, PASSWORD);
    let email = input["email"].as_str().unwrap().to_string();

    let body = register(&app, input).await;
    let payload = data(&body, "register");
    assert_auth_payload(payload, &username, &email);
    assert_eq!(payload["user"]["isStaff"], false);

    // The tokens are ordinary ones: they work over both doors.
    let access = token(payload, "accessToken");
    let body = me(&app, Some(access)).await;
    assert_eq!(data(&body, "me")["id"], payload["user"]["id"]);
    let r = app.get("/api/auth/user/", Some(access)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["id"], payload["user"]["id"]);
    let r = app
        .post(
            "/api/auth/token/refresh/",
            json!({"refresh": token(payload, "refreshToken")}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.login(&username, PASSWORD).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_errors_are_bad_user_input_with_fields() {
    let app = TestApp::spawn().await;
    let taken = app.register(&unique("Dan")).await;

    let body = register(
        &app,
        register_input(&unique("d"), PASSWORD, "correct-horse-batterz"),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!({"nonFieldErrors": [msg::PASSWORDS_DIFFER]})
    );
    assert!(body["data"].is_null(), "{body}");

    let mut input = register_input(&taken.username.to_lowercase(), PASSWORD, PASSWORD);
    input["email"] = json!(format!("{}@example.org", unique("d")));
    let body = register(&app, input).await;
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!({"username": [msg::USERNAME_TAKEN]}),
        "{body}"
    );
    assert_code(&body, "BAD_USER_INPUT");

    let mut input = register_input(&unique("d"), PASSWORD, PASSWORD);
    input["email"] = json!(taken.email.to_uppercase());
    let body = register(&app, input).await;
    assert_field_error(&body, "email", msg::EMAIL_TAKEN);

    let body = register(&app, register_input(&unique("d"), "short", "short")).await;
    assert_field_error(&body, "password1", msg::PASSWORD_TOO_SHORT);

    let body = register(
        &app,
        register_input(&unique("d"), "12345678901", "12345678901"),
    )
    .await;
    assert_field_error(&body, "password1", msg::PASSWORD_NUMERIC);

    let body = register(&app, register_input("bad name", PASSWORD, PASSWORD)).await;
    assert_field_error(&body, "username", msg::BAD_USERNAME);

    let mut input = register_input(&unique("d"), PASSWORD, PASSWORD);
    input["email"] = json!("not-an-email");
    assert_field_error(&register(&app, input).await, "email", msg::BAD_EMAIL);
}

// --- login ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_by_username_or_email() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Ella")).await;

    for input in [
        json!({"username": acc.username, "password": PASSWORD}),
        json!({"username": acc.username.to_uppercase(), "password": PASSWORD}),
        json!({"email": acc.email, "password": PASSWORD}),
    ] {
        let body = login(&app, input.clone()).await;
        let payload = data(&body, "login");
        assert_auth_payload(payload, &acc.username, &acc.email);
        assert_eq!(payload["user"]["id"], acc.id.as_str(), "{input}");
        assert!(
            !payload["user"]["lastLogin"].is_null(),
            "login sets lastLogin: {payload}"
        );
        let me_body = me(&app, Some(token(payload, "accessToken"))).await;
        assert_eq!(data(&me_body, "me")["id"], acc.id.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_are_identical_bad_user_input() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("finn")).await;
    let expected = json!({"nonFieldErrors": [msg::BAD_CREDENTIALS]});

    let wrong = login(
        &app,
        json!({"username": acc.username, "password": "wrong-horse-battery"}),
    )
    .await;
    let unknown = login(
        &app,
        json!({"username": unique("ghost"), "password": "wrong-horse-battery"}),
    )
    .await;
    let wrong_email = login(
        &app,
        json!({"email": acc.email, "password": "wrong-horse-battery"}),
    )
    .await;
    for body in [&wrong, &unknown, &wrong_email] {
        assert_code(body, "BAD_USER_INPUT");
        assert_eq!(
            body["errors"][0]["extensions"]["fields"], expected,
            "{body}"
        );
        assert!(body["data"].is_null(), "{body}");
    }
    assert_eq!(
        wrong["errors"], unknown["errors"],
        "failures must not tell who exists"
    );
}

// --- refreshToken -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_rotates_and_a_reuse_ends_the_session() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("gus")).await;
    let other = login(
        &app,
        json!({"username": acc.username, "password": PASSWORD}),
    )
    .await;
    let other_access = token(data(&other, "login"), "accessToken").to_string();

    let body = refresh_token(&app, &acc.refresh).await;
    let payload = data(&body, "refreshToken");
    assert_auth_payload(payload, &acc.username, &acc.email);
    let rotated = token(payload, "refreshToken").to_string();
    let new_access = token(payload, "accessToken").to_string();
    assert_ne!(rotated, acc.refresh, "the refresh token must rotate");
    assert_eq!(
        data(&me(&app, Some(&new_access)).await, "me")["id"],
        acc.id.as_str()
    );

    // Reuse of the old token: refused, and the whole session goes.
    assert_rejected_whole(&refresh_token(&app, &acc.refresh).await, "UNAUTHENTICATED");
    assert_rejected_whole(&refresh_token(&app, &rotated).await, "UNAUTHENTICATED");
    assert_rejected_whole(&me(&app, Some(&new_access)).await, "UNAUTHENTICATED");

    assert_rejected_whole(&refresh_token(&app, "garbage").await, "UNAUTHENTICATED");

    // The other session is untouched.
    assert_eq!(
        data(&me(&app, Some(&other_access)).await, "me")["id"],
        acc.id.as_str()
    );
}

// --- logout ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_this_session_only() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("hugo")).await;
    let other = login(
        &app,
        json!({"username": acc.username, "password": PASSWORD}),
    )
    .await;
    let other_access = token(data(&other, "login"), "accessToken").to_string();

    let body = logout(&app, Some(&acc.access), None).await;
    assert_eq!(*data(&body, "logout"), json!(true));

    assert_rejected_whole(&me(&app, Some(&acc.access)).await, "UNAUTHENTICATED");
    assert_rejected_whole(&refresh_token(&app, &acc.refresh).await, "UNAUTHENTICATED");
    let r = app.get("/api/auth/user/", Some(&acc.access)).await;
    assert_eq!(r.status, 401, "{r:?}");

    assert_eq!(
        data(&me(&app, Some(&other_access)).await, "me")["id"],
        acc.id.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_takes_a_nullable_all_sessions_variable() {
    // The contract's `logout(allSessions: Boolean = false)`: an Apollo client may
    // declare `$all: Boolean` and leave it out, or send null; both mean false.
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("hope")).await;
    let second = app.login(&acc.username, PASSWORD).await;
    let second_access = second.body["access"].as_str().unwrap().to_string();
    let query = "mutation($all: Boolean) { logout(allSessions: $all) }";

    let body = app.gql(query, json!({}), Some(&acc.access)).await;
    assert_eq!(*data(&body, "logout"), json!(true));
    let body = app
        .gql(query, json!({"all": null}), Some(&second_access))
        .await;
    assert_eq!(*data(&body, "logout"), json!(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_from_all_sessions() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("iris")).await;
    let stranger = app.register(&unique("jude")).await;
    let other = login(
        &app,
        json!({"username": acc.username, "password": PASSWORD}),
    )
    .await;
    let other = data(&other, "login").clone();

    let body = logout(&app, Some(&acc.access), Some(true)).await;
    assert_eq!(*data(&body, "logout"), json!(true));

    assert_rejected_whole(&me(&app, Some(&acc.access)).await, "UNAUTHENTICATED");
    assert_rejected_whole(
        &me(&app, Some(token(&other, "accessToken"))).await,
        "UNAUTHENTICATED",
    );
    assert_rejected_whole(
        &refresh_token(&app, token(&other, "refreshToken")).await,
        "UNAUTHENTICATED",
    );
    assert_eq!(
        data(&me(&app, Some(&stranger.access)).await, "me")["id"],
        stranger.id.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_that_need_a_user_refuse_anonymous_callers() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("kim")).await;

    assert_code(&logout(&app, None, None).await, "UNAUTHENTICATED");
    assert_code(
        &change_password(&app, None, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &update_me(&app, None, json!({"username": unique("anon")})).await,
        "UNAUTHENTICATED",
    );

    // Nothing happened to the account.
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 200);
    assert_eq!(
        data(&me(&app, Some(&acc.access)).await, "me")["username"],
        acc.username.as_str()
    );
}

// --- changePassword ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_rotates_this_session_and_revokes_the_others() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("leo")).await;
    let other = login(
        &app,
        json!({"username": acc.username, "password": PASSWORD}),
    )
    .await;
    let other = data(&other, "login").clone();

    let body = change_password(
        &app,
        Some(&acc.access),
        PASSWORD,
        NEW_PASSWORD,
        NEW_PASSWORD,
    )
    .await;
    let payload = data(&body, "changePassword").clone();
    assert_auth_payload(&payload, &acc.username, &acc.email);
    assert_ne!(
        token(&payload, "refreshToken"),
        acc.refresh,
        "the refresh token rotates"
    );

    // The calling session goes on, with the new tokens and its current access token.
    assert_eq!(
        data(&me(&app, Some(token(&payload, "accessToken"))).await, "me")["id"],
        acc.id.as_str()
    );
    assert_eq!(
        data(&me(&app, Some(&acc.access)).await, "me")["id"],
        acc.id.as_str()
    );
    let body = refresh_token(&app, token(&payload, "refreshToken")).await;
    assert_auth_payload(data(&body, "refreshToken"), &acc.username, &acc.email);

    // The other session is over.
    assert_rejected_whole(
        &me(&app, Some(token(&other, "accessToken"))).await,
        "UNAUTHENTICATED",
    );
    assert_rejected_whole(
        &refresh_token(&app, token(&other, "refreshToken")).await,
        "UNAUTHENTICATED",
    );

    // Only the new password logs in.
    let body = login(
        &app,
        json!({"username": acc.username, "password": PASSWORD}),
    )
    .await;
    assert_field_error(&body, "nonFieldErrors", msg::BAD_CREDENTIALS);
    let body = login(
        &app,
        json!({"username": acc.username, "password": NEW_PASSWORD}),
    )
    .await;
    assert_auth_payload(data(&body, "login"), &acc.username, &acc.email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_errors_are_bad_user_input_with_fields() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("max")).await;
    let t = Some(acc.access.as_str());

    let body = change_password(&app, t, "not-my-password", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!({"oldPassword": [msg::WRONG_OLD_PASSWORD]})
    );

    let body = change_password(&app, t, PASSWORD, NEW_PASSWORD, "another-horse-batterz").await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!({"newPassword2": [msg::NEW_PASSWORDS_DIFFER]})
    );

    let body = change_password(&app, t, PASSWORD, "short", "short").await;
    assert_field_error(&body, "newPassword2", msg::PASSWORD_TOO_SHORT);
    let body = change_password(&app, t, PASSWORD, &acc.email, &acc.email).await;
    assert_field_error(&body, "newPassword2", msg::PASSWORD_LIKE_EMAIL);

    // The session and the password are unchanged.
    assert_eq!(data(&me(&app, t).await, "me")["id"], acc.id.as_str());
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 200);
}

// --- updateMe ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_me_changes_username_and_email() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("nina")).await;
    let t = Some(acc.access.as_str());

    let renamed = unique("Nadia");
    let body = update_me(&app, t, json!({"username": renamed})).await;
    assert_user(data(&body, "updateMe"), &renamed, &acc.email);

    let email = format!("{}@example.org", unique("nadia"));
    let body = update_me(&app, t, json!({"email": email})).await;
    assert_user(data(&body, "updateMe"), &renamed, &email);

    let body = update_me(
        &app,
        t,
        json!({"username": acc.username, "email": acc.email}),
    )
    .await;
    assert_user(data(&body, "updateMe"), &acc.username, &acc.email);
    assert_user(data(&me(&app, t).await, "me"), &acc.username, &acc.email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_me_errors_are_bad_user_input_with_fields() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("olive")).await;
    let acc = app.register(&unique("oscar")).await;
    let t = Some(acc.access.as_str());

    let body = update_me(&app, t, json!({"username": owner.username.to_uppercase()})).await;
    assert_code(&body, "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!({"username": [msg::USERNAME_TAKEN]})
    );
    let body = update_me(&app, t, json!({"email": owner.email})).await;
    assert_field_error(&body, "email", msg::EMAIL_TAKEN);
    let body = update_me(&app, t, json!({"email": "nope"})).await;
    assert_field_error(&body, "email", msg::BAD_EMAIL);
    let body = update_me(&app, t, json!({"username": "no"})).await;
    assert_field_error(&body, "username", msg::USERNAME_TOO_SHORT);

    assert_user(data(&me(&app, t).await, "me"), &acc.username, &acc.email);
}

/// `card(id)` checks the caller's session inside its own statement (with the
/// owner); other requests check it before any mutation and before answering.
/// Either way a revoked token fails the whole request — a read that found
/// nothing, a mutation of a public operation, a malformed body, a GET.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_fails_every_request_even_where_the_read_checks_it() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("ines")).await;
    let stranger = app.register(&unique("jago")).await;
    let own = crate::helpers::id_of(&app.card(&acc.access, "mine", "private").await);
    let hidden = crate::helpers::id_of(&app.card(&stranger.access, "theirs", "private").await);
    let card = "query($id: ID!) { card(id: $id) { title owner { username email } } }";

    let body = app.gql(card, json!({"id": own}), Some(&acc.access)).await;
    assert_eq!(data(&body, "card")["title"], "mine", "{body}");
    assert_eq!(
        data(&body, "card")["owner"]["email"],
        acc.email.as_str(),
        "{body}"
    );
    let body = app
        .gql(card, json!({"id": hidden}), Some(&acc.access))
        .await;
    assert!(data(&body, "card").is_null(), "{body}");
    // One statement checks the session and reads the card with its owner
    // (fewest of five runs: a background task may run one meanwhile).
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = app.sql_statements();
        let body = app.gql(card, json!({"id": own}), Some(&acc.access)).await;
        assert!(body.get("errors").is_none(), "{body}");
        fewest = fewest.min(app.sql_statements() - before);
    }
    assert_eq!(fewest, 1, "card(id) with its owner takes one statement");

    let body = logout(&app, Some(&acc.access), None).await;
    assert_eq!(*data(&body, "logout"), json!(true));
    for id in [own.clone(), hidden, uuid::Uuid::now_v7().to_string()] {
        let r = app
            .post(
                "/graphql",
                json!({"query": card, "variables": {"id": id}}),
                Some(&acc.access),
            )
            .await;
        assert_rejected_whole(&r.body, "UNAUTHENTICATED");
    }
    assert_rejected_whole(&me(&app, Some(&acc.access)).await, "UNAUTHENTICATED");
    assert_rejected_whole(
        &app.gql("{ __typename }", json!({}), Some(&acc.access))
            .await,
        "UNAUTHENTICATED",
    );
    // A public mutation does not run for a revoked token: no session opens.
    let open = sessions(&app).await;
    let query = format!(
        "mutation($input: LoginInput!) {{ login(input: $input) {{ {} }} }}",
        auth_payload_fields()
    );
    let input = json!({"username": stranger.username, "password": PASSWORD});
    let r = app
        .post(
            "/graphql",
            json!({"query": query, "variables": {"input": input}}),
            Some(&acc.access),
        )
        .await;
    assert_rejected_whole(&r.body, "UNAUTHENTICATED");
    assert_eq!(
        sessions(&app).await,
        open,
        "a refused login opened a session"
    );
    // A malformed body and a GET mutation are refused for the token first.
    let r = app
        .post("/graphql", json!({"query": 7}), Some(&acc.access))
        .await;
    assert_rejected_whole(&r.body, "UNAUTHENTICATED");
    let r = app
        .get(
            "/graphql?query=mutation%20%7B%20logout%20%7D",
            Some(&acc.access),
        )
        .await;
    assert_rejected_whole(&r.body, "UNAUTHENTICATED");
}

/// How many sessions the database holds.
async fn sessions(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.connect_db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM sessions",
        ))
        .await
        .expect("count sessions")
        .expect("a row");
    let n: i64 = row.try_get("", "n").expect("n");
    let _ = db.close().await;
    n
}
