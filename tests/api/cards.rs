//! Cards over REST (`/api/cards/`) and GraphQL: shape and defaults, the
//! validation rules, PUT versus PATCH, who may do what, private cards never
//! leaking, search and filters.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Account, CARD_FIELDS, TestApp, assert_forbidden, assert_gql_code, assert_gql_fields,
    assert_invalid, assert_not_found, assert_unauthorized, camelize_keys, gql_data, id_of, msg,
    node_ids, result_ids, rmsg, timestamp, unique,
};

mod crud;
mod permissions;
mod search;
mod validation;
mod visibility;

fn card_path(id: &str) -> String {
    format!("/api/cards/{id}/")
}

async fn gql_create(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    let query = format!(
        "mutation($input: CreateCardInput!) {{ createCard(input: $input) {{ {CARD_FIELDS} }} }}"
    );
    app.gql(&query, json!({"input": input}), token).await
}

async fn gql_update(app: &TestApp, token: Option<&str>, id: &str, input: Value) -> Value {
    let query = format!(
        "mutation($id: ID!, $input: UpdateCardInput!) {{ updateCard(id: $id, input: $input) {{ {CARD_FIELDS} }} }}"
    );
    app.gql(&query, json!({"id": id, "input": input}), token)
        .await
}

async fn gql_delete(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(
        "mutation($id: ID!) { deleteCard(id: $id) }",
        json!({"id": id}),
        token,
    )
    .await
}

async fn gql_card(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let query = format!("query($id: ID!) {{ card(id: $id) {{ {CARD_FIELDS} }} }}");
    app.gql(&query, json!({"id": id}), token).await
}

/// The ids of the cards listed by `GET path` (one page).
async fn listed(app: &TestApp, path: &str, token: Option<&str>) -> Vec<String> {
    let r = app.get(path, token).await;
    assert_eq!(r.status, 200, "GET {path}: {r:?}");
    result_ids(&r.body)
}

/// The ids of the cards listed by `cards(<args>)` over GraphQL.
async fn gql_listed(app: &TestApp, args: &str, token: Option<&str>) -> Vec<String> {
    let body = app
        .gql(
            &format!("{{ cards{args} {{ nodes {{ id }} }} }}"),
            json!({}),
            token,
        )
        .await;
    node_ids(gql_data(&body, "cards"))
}

/// Asserts a REST card and a GraphQL one are the same object.
#[track_caller]
fn assert_same_card(rest: &Value, gql: &Value) {
    let mut rest = camelize_keys(rest);
    let mut gql = gql.clone();
    let vis = rest["visibility"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    rest["visibility"] = Value::String(vis);
    for key in ["createdAt", "updatedAt"] {
        assert_eq!(timestamp(&rest[key]), timestamp(&gql[key]), "{key}");
        rest[key] = Value::Null;
        gql[key] = Value::Null;
    }
    assert_eq!(rest, gql, "REST and GraphQL cards differ");
}
