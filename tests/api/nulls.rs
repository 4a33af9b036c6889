//! `null` in an input: 400 "This field may not be null." (GraphQL:
//! `BAD_USER_INPUT` with the same `fields`) for every field of every body of
//! the contract, except the nullable `avatar_url` and `website`; never read as
//! "absent", and nothing is written.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Account, PASSWORD, TestApp, assert_gql_fields, unique};

const NOT_NULL: &str = "This field may not be null.";
const NEW_PASSWORD: &str = "another-horse-battery";

/// One REST case: a valid body with one field set to `null`.
struct Case {
    method: Method,
    path: String,
    token: Option<String>,
    body: Value,
    field: &'static str,
}

fn with_null(body: &Value, field: &str) -> Value {
    let mut body = body.clone();
    body[field] = Value::Null;
    body
}

/// A body: method, path, who sends it, a valid body, and its non-nullable fields.
type RestBody<'a> = (
    Method,
    String,
    Option<&'a Account>,
    Value,
    Vec<&'static str>,
);
/// A mutation: name, input type, id argument, who sends it, a valid input, and
/// its fields that the schema leaves optional but the rules do not let be null.
type GqlInput<'a> = (
    &'static str,
    &'static str,
    Option<&'a str>,
    Option<&'a Account>,
    Value,
    Vec<&'static str>,
);

/// Every body of the contract with every one of its non-nullable fields.
fn cases(owner: &Account, fresh: &Account, card: &str, profile: &str) -> Vec<Case> {
    let newcomer = unique("newcomer");
    let tables: Vec<RestBody> = vec![
        (
            Method::POST,
            "/api/auth/register/".into(),
            None,
            json!({"username": newcomer, "email": format!("{newcomer}@example.com"),
                   "password1": PASSWORD, "password2": PASSWORD}),
            vec!["username", "email", "password1", "password2"],
        ),
        (
            Method::POST,
            "/api/auth/login/".into(),
            None,
            json!({"username": owner.username, "password": PASSWORD}),
            vec!["username", "password"],
        ),
        (
            Method::POST,
            "/api/auth/login/".into(),
            None,
            json!({"email": owner.email, "password": PASSWORD}),
            vec!["email"],
        ),
        (
            Method::POST,
            "/api/auth/logout/".into(),
            Some(owner),
            json!({"refresh": owner.refresh, "all_sessions": true}),
            vec!["refresh", "all_sessions"],
        ),
        (
            Method::PUT,
            "/api/auth/user/".into(),
            Some(owner),
            json!({"username": owner.username, "email": owner.email}),
            vec!["username", "email"],
        ),
        (
            Method::PATCH,
            "/api/auth/user/".into(),
            Some(owner),
            json!({"username": "renamed_user", "email": "renamed@example.com"}),
            vec!["username", "email"],
        ),
        (
            Method::POST,
            "/api/auth/password/change/".into(),
            Some(owner),
            json!({"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                   "new_password2": NEW_PASSWORD}),
            vec!["old_password", "new_password1", "new_password2"],
        ),
        (
            Method::POST,
            "/api/auth/token/refresh/".into(),
            None,
            json!({"refresh": owner.refresh}),
            vec!["refresh"],
        ),
        (
            Method::POST,
            "/api/cards/".into(),
            Some(owner),
            json!({"title": "t", "body": "b", "visibility": "private"}),
            vec!["title", "body", "visibility"],
        ),
        (
            Method::PUT,
            format!("/api/cards/{card}/"),
            Some(owner),
            json!({"title": "changed", "body": "changed", "visibility": "private"}),
            vec!["title", "body", "visibility"],
        ),
        (
            Method::PATCH,
            format!("/api/cards/{card}/"),
            Some(owner),
            json!({"title": "changed", "body": "changed", "visibility": "private"}),
            vec!["title", "body", "visibility"],
        ),
        (
            Method::POST,
            "/api/profiles/".into(),
            Some(fresh),
            json!({"display_name": "d", "bio": "b", "location": "l"}),
            vec!["display_name", "bio", "location"],
        ),
        (
            Method::PUT,
            format!("/api/profiles/{profile}/"),
            Some(owner),
            json!({"display_name": "changed", "bio": "changed", "location": "changed"}),
            vec!["display_name", "bio", "location"],
        ),
        (
            Method::PATCH,
            format!("/api/profiles/{profile}/"),
            Some(owner),
            json!({"display_name": "changed", "bio": "changed", "location": "changed"}),
            vec!["display_name", "bio", "location"],
        ),
    ];
    let mut out = Vec::new();
    for (method, path, who, body, fields) in tables {
        for field in fields {
            out.push(Case {
                method: method.clone(),
                path: path.clone(),
                token: who.map(|a| a.access.clone()),
                body: with_null(&body, field),
                field,
            });
        }
    }
    out
}

/// What the cases could have changed, read back.
async fn snapshot(app: &TestApp, owner: &Account, card: &str, profile: &str) -> Value {
    json!({
        "me": app.get("/api/auth/user/", Some(&owner.access)).await.body,
        "card": app.get(&format!("/api/cards/{card}/"), Some(&owner.access)).await.body,
        "cards": app.get("/api/cards/", Some(&owner.access)).await.body,
        "profile": app.get(&format!("/api/profiles/{profile}/"), None).await.body,
        "profiles": app.get("/api/profiles/", None).await.body,
    })
}

async fn setup(app: &TestApp) -> (Account, Account, String, String) {
    let owner = app.register(&unique("owner")).await;
    let fresh = app.register(&unique("fresh")).await;
    let card = app
        .post(
            "/api/cards/",
            json!({"title": "kept", "body": "kept"}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(card.status, 201, "{card:?}");
    let profile = app
        .post(
            "/api/profiles/",
            json!({"display_name": "kept", "website": "https://example.com"}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(profile.status, 201, "{profile:?}");
    (
        owner,
        fresh,
        card.body["id"].as_str().unwrap().to_string(),
        profile.body["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn rest_null_is_400_for_every_non_nullable_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (owner, fresh, card, profile) = setup(&app).await;
    let before = snapshot(&app, &owner, &card, &profile).await;
    let cases = cases(&owner, &fresh, &card, &profile);
    assert!(
        cases.len() >= 30,
        "every field of every body: {}",
        cases.len()
    );
    for case in &cases {
        let r = app
            .request(
                case.method.clone(),
                &case.path,
                case.token.as_deref(),
                Some(case.body.clone()),
            )
            .await;
        assert_eq!(
            (r.status, &r.body),
            (400, &json!({case.field: [NOT_NULL]})),
            "{} {} {}",
            case.method,
            case.path,
            case.body
        );
    }
    // Nothing was written: no user registered, no session ended, no password
    // changed, no card or profile created or changed.
    assert_eq!(snapshot(&app, &owner, &card, &profile).await, before);
    assert_eq!(app.login(&owner.username, PASSWORD).await.status, 200);
    let refreshed = app
        .post(
            "/api/auth/token/refresh/",
            json!({"refresh": owner.refresh}),
            None,
        )
        .await;
    assert_eq!(
        refreshed.status, 200,
        "the refresh token was not spent: {refreshed:?}"
    );
    let fresh_profiles = app
        .get(&format!("/api/profiles/?username={}", fresh.username), None)
        .await;
    assert_eq!(fresh_profiles.body["results"], json!([]));
}

#[tokio::test]
async fn rest_null_clears_the_nullable_profile_fields() {
    let app = TestApp::spawn().await;
    let (owner, fresh, _, profile) = setup(&app).await;
    let path = format!("/api/profiles/{profile}/");
    let r = app
        .patch(
            &path,
            json!({"avatar_url": null, "website": null}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (&r.body["avatar_url"], &r.body["website"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(r.body["display_name"], "kept", "other fields unchanged");
    let created = app
        .post(
            "/api/profiles/",
            json!({"display_name": "x", "avatar_url": null, "website": null}),
            Some(&fresh.access),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["website"], Value::Null);
}

/// One GraphQL case: a mutation whose input has one field set to `null`,
/// sent once as a literal and once through a variable.
struct GqlCase {
    mutation: &'static str,
    input_type: &'static str,
    id: Option<String>,
    input: Value,
    field: &'static str,
    token: Option<String>,
}

fn literal(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::String(s) if s == "PRIVATE" || s == "PUBLIC" => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn graphql_null_is_bad_user_input_with_the_same_fields_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (owner, fresh, card, profile) = setup(&app).await;
    let before = snapshot(&app, &owner, &card, &profile).await;
    let tables: Vec<GqlInput> = vec![
        (
            "login",
            "LoginInput",
            None,
            None,
            json!({"username": owner.username, "password": PASSWORD}),
            vec!["username"],
        ),
        (
            "login",
            "LoginInput",
            None,
            None,
            json!({"email": owner.email, "password": PASSWORD}),
            vec!["email"],
        ),
        (
            "updateMe",
            "UpdateMeInput",
            None,
            Some(&owner),
            json!({"username": "renamed_user", "email": "renamed@example.com"}),
            vec!["username", "email"],
        ),
        (
            "createCard",
            "CreateCardInput",
            None,
            Some(&owner),
            json!({"title": "t", "body": "b", "visibility": "PRIVATE"}),
            vec!["body", "visibility"],
        ),
        (
            "updateCard",
            "UpdateCardInput",
            Some(&card),
            Some(&owner),
            json!({"title": "changed", "body": "changed", "visibility": "PRIVATE"}),
            vec!["title", "body", "visibility"],
        ),
        (
            "createProfile",
            "CreateProfileInput",
            None,
            Some(&fresh),
            json!({"displayName": "d", "bio": "b", "location": "l"}),
            vec!["displayName", "bio", "location"],
        ),
        (
            "updateProfile",
            "UpdateProfileInput",
            Some(&profile),
            Some(&owner),
            json!({"displayName": "changed", "bio": "changed", "location": "changed"}),
            vec!["displayName", "bio", "location"],
        ),
    ];
    let mut cases = Vec::new();
    for (mutation, input_type, id, who, input, fields) in tables {
        for field in fields {
            cases.push(GqlCase {
                mutation,
                input_type,
                id: id.map(str::to_string),
                input: with_null(&input, field),
                field,
                token: who.map(|a| a.access.clone()),
            });
        }
    }
    for case in &cases {
        let selection = match case.mutation {
            "login" => "{ accessToken }",
            _ => "{ __typename }",
        };
        let id_arg = case
            .id
            .as_ref()
            .map(|id| format!("id: \"{id}\", "))
            .unwrap_or_default();
        let by_variable = format!(
            "mutation($input: {}!) {{ {}({id_arg}input: $input) {selection} }}",
            case.input_type, case.mutation
        );
        let by_literal = format!(
            "mutation {{ {}({id_arg}input: {}) {selection} }}",
            case.mutation,
            literal(&case.input)
        );
        for (query, variables) in [
            (by_variable, json!({"input": case.input})),
            (by_literal, json!({})),
        ] {
            let body = app.gql(&query, variables, case.token.as_deref()).await;
            assert_gql_fields(&body, json!({case.field: [NOT_NULL]}));
            assert!(body["data"].is_null(), "{query}: no data: {body}");
        }
    }
    assert_eq!(snapshot(&app, &owner, &card, &profile).await, before);
}

#[tokio::test]
async fn graphql_null_clears_the_nullable_profile_fields() {
    let app = TestApp::spawn().await;
    let (owner, _, _, profile) = setup(&app).await;
    let body = app
        .gql(
            "mutation($id: ID!) { updateProfile(id: $id, input: {avatarUrl: null, website: null}) { website avatarUrl displayName } }",
            json!({"id": profile}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(
        body["data"]["updateProfile"],
        json!({"website": null, "avatarUrl": null, "displayName": "kept"}),
        "{body}"
    );
}

#[tokio::test]
async fn graphql_null_for_a_required_field_is_bad_user_input_too() {
    let app = TestApp::spawn().await;
    let (owner, _, card, profile) = setup(&app).await;
    let before = snapshot(&app, &owner, &card, &profile).await;
    let newcomer = unique("newcomer");
    let tables: Vec<GqlInput> = vec![
        (
            "register",
            "RegisterInput",
            None,
            None,
            json!({"username": newcomer, "email": format!("{newcomer}@example.com"),
                   "password1": PASSWORD, "password2": PASSWORD}),
            vec!["username", "email", "password1", "password2"],
        ),
        (
            "login",
            "LoginInput",
            None,
            None,
            json!({"username": owner.username, "password": PASSWORD}),
            vec!["password"],
        ),
        (
            "changePassword",
            "ChangePasswordInput",
            None,
            Some(&owner),
            json!({"oldPassword": PASSWORD, "newPassword1": NEW_PASSWORD,
                   "newPassword2": NEW_PASSWORD}),
            vec!["oldPassword", "newPassword1", "newPassword2"],
        ),
        (
            "createCard",
            "CreateCardInput",
            None,
            Some(&owner),
            json!({"title": "t"}),
            vec!["title"],
        ),
    ];
    for (mutation, input_type, _, who, input, fields) in tables {
        let token = who.map(|a| a.access.as_str());
        for field in fields {
            let input = with_null(&input, field);
            let by_variable = format!(
                "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ __typename }} }}"
            );
            let by_literal = format!(
                "mutation {{ {mutation}(input: {}) {{ __typename }} }}",
                literal(&input)
            );
            for (query, variables) in [
                (by_variable, json!({"input": input})),
                (by_literal, json!({})),
            ] {
                let body = app.gql(&query, variables, token).await;
                assert_gql_fields(&body, json!({field: [NOT_NULL]}));
                assert!(body["data"].is_null(), "{query}: no data: {body}");
            }
        }
    }
    // An argument, not an input field, names itself.
    let body = app
        .gql(
            "mutation { refreshToken(refreshToken: null) { accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_gql_fields(&body, json!({"refreshToken": [NOT_NULL]}));
    // A value of the wrong type is still a validation failure, not a null.
    let body = app
        .gql(
            "mutation { createCard(input: {title: 5}) { id } }",
            json!({}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(
        TestApp::gql_code(&body).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    assert_eq!(snapshot(&app, &owner, &card, &profile).await, before);
    assert_eq!(app.login(&owner.username, PASSWORD).await.status, 200);
}
