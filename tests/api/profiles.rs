//! Profiles over REST (`/api/profiles/`) and GraphQL: shape, defaults, the
//! validation rules, one profile per user, who may change what, lists.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Account, PROFILE_FIELDS, TestApp, assert_detail, assert_field_error, assert_forbidden,
    assert_gql_code, assert_gql_fields, assert_invalid, assert_not_found, assert_unauthorized,
    gql_data, id_of, msg, node_ids, result_ids, rmsg, timestamp, unique,
};

mod crud;
mod lists;
mod permissions;
mod validation;

// --- one helper per operation ------------------------------------------------------

fn profile_path(id: &str) -> String {
    format!("/api/profiles/{id}/")
}

async fn gql_create(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    let query = format!(
        "mutation($input: CreateProfileInput!) {{ createProfile(input: $input) {{ {PROFILE_FIELDS} }} }}"
    );
    app.gql(&query, json!({"input": input}), token).await
}

async fn gql_update(app: &TestApp, token: Option<&str>, id: &str, input: Value) -> Value {
    let query = format!(
        "mutation($id: ID!, $input: UpdateProfileInput!) {{ updateProfile(id: $id, input: $input) {{ {PROFILE_FIELDS} }} }}"
    );
    app.gql(&query, json!({"id": id, "input": input}), token)
        .await
}

async fn gql_delete(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    app.gql(
        "mutation($id: ID!) { deleteProfile(id: $id) }",
        json!({"id": id}),
        token,
    )
    .await
}

async fn gql_profile(app: &TestApp, token: Option<&str>, id: &str) -> Value {
    let query = format!("query($id: ID!) {{ profile(id: $id) {{ {PROFILE_FIELDS} }} }}");
    app.gql(&query, json!({"id": id}), token).await
}

/// The REST shape of a profile with its keys in camelCase, for comparing with
/// GraphQL.
fn as_graphql(rest: &Value) -> Value {
    crate::helpers::camelize_keys(rest)
}

/// A user with a profile; returns the account and the profile (REST shape).
async fn user_with_profile(app: &TestApp, prefix: &str, body: Value) -> (Account, Value) {
    let acc = app.register(&unique(prefix)).await;
    let profile = app.create_profile(&acc.access, body).await;
    (acc, profile)
}
