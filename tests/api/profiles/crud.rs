//! Creating, reading, replacing, patching and deleting a profile.

use super::*;

/// Asserts a REST profile and a GraphQL one are the same object.
#[track_caller]
pub(super) fn assert_same_profile(rest: &Value, gql: &Value) {
    let mut rest = as_graphql(rest);
    let mut gql = gql.clone();
    for key in ["createdAt", "updatedAt"] {
        assert_eq!(timestamp(&rest[key]), timestamp(&gql[key]), "{key}");
        rest[key] = Value::Null;
        gql[key] = Value::Null;
    }
    assert_eq!(rest, gql, "REST and GraphQL profiles differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_profile_has_defaults_location_and_reads_back() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Prof")).await;

    let r = app
        .post("/api/profiles/", json!({}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let p = r.body.clone();
    let id = id_of(&p);
    uuid::Uuid::parse_str(&id).expect("profile id is a UUID");
    assert_eq!(p["user_id"], acc.id.as_str());
    assert_eq!(p["username"], acc.username.as_str());
    assert_eq!(p["display_name"], "");
    assert_eq!(p["bio"], "");
    assert_eq!(p["location"], "");
    assert_eq!(p["avatar_url"], Value::Null);
    assert_eq!(p["website"], Value::Null);
    let created = timestamp(&p["created_at"]);
    assert!(timestamp(&p["updated_at"]) >= created);
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    let mut keys: Vec<&str> = keys.into_iter().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "avatar_url",
            "bio",
            "created_at",
            "display_name",
            "id",
            "location",
            "updated_at",
            "user_id",
            "username",
            "website"
        ]
    );
    let location = r.header("location").expect("a Location header");
    assert!(
        location.ends_with(&format!("/api/profiles/{id}/")),
        "Location {location:?}"
    );

    let got = app.get(&profile_path(&id), None).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.body, p);

    let gql = gql_profile(&app, None, &id).await;
    assert_same_profile(&p, gql_data(&gql, "profile"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_is_stored_as_sent() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Full")).await;
    let body = json!({
        "display_name": "Ada <b>Lovelace</b>",
        "bio": "'; DROP TABLE profiles; --\nLine two  ",
        "avatar_url": "https://example.com/a.png?x=1&y=2",
        "location": "Zürich 🏔",
        "website": "http://ada.example.org/",
    });
    let p = app.create_profile(&acc.access, body.clone()).await;
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&p[k], v, "{k}");
    }
    // Read-only fields in the body are ignored.
    let other = app.register(&unique("Other")).await;
    let r = app
        .patch(
            &profile_path(&id_of(&p)),
            json!({"username": "someone_else", "user_id": other.id, "id": other.id}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["username"], acc.username.as_str());
    assert_eq!(r.body["user_id"], acc.id.as_str());
    assert_eq!(r.body["id"], p["id"]);
    // The table survived the bio.
    assert_eq!(app.get("/api/profiles/", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_create_and_read_nested_user() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Gql")).await;
    let input = json!({"displayName": "Grace", "website": "https://grace.example"});
    let body = gql_create(&app, Some(&acc.access), input).await;
    let p = gql_data(&body, "createProfile").clone();
    assert_eq!(p["displayName"], "Grace");
    assert_eq!(p["website"], "https://grace.example");
    assert_eq!(p["avatarUrl"], Value::Null);
    assert_eq!(p["bio"], "");
    assert_eq!(p["userId"], acc.id.as_str());
    assert_eq!(p["username"], acc.username.as_str());

    let rest = app.get(&profile_path(&id_of(&p)), None).await;
    assert_eq!(rest.status, 200);
    assert_same_profile(&rest.body, &p);

    let body = app
        .gql(
            "query($id: ID!) { profile(id: $id) { id user { id username profile { id } } } }",
            json!({"id": id_of(&p)}),
            None,
        )
        .await;
    let user = &gql_data(&body, "profile")["user"];
    assert_eq!(user["id"], acc.id.as_str());
    assert_eq!(user["username"], acc.username.as_str());
    assert_eq!(user["profile"]["id"], p["id"]);

    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { username profile { displayName } } }",
            json!({"id": acc.id}),
            None,
        )
        .await;
    assert_eq!(
        gql_data(&body, "user")["profile"]["displayName"],
        "Grace",
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_url_is_stored_as_null() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Url")).await;
    let p = app
        .create_profile(&acc.access, json!({"avatar_url": "", "website": ""}))
        .await;
    assert_eq!(p["avatar_url"], Value::Null);
    assert_eq!(p["website"], Value::Null);

    let path = profile_path(&id_of(&p));
    let r = app
        .patch(
            &path,
            json!({"avatar_url": "https://x.example/a.png", "website": "https://x.example"}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.body["website"], "https://x.example", "{r:?}");
    let r = app
        .patch(&path, json!({"website": ""}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["website"], Value::Null);
    assert_eq!(r.body["avatar_url"], "https://x.example/a.png");
    let r = app
        .patch(&path, json!({"avatar_url": null}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["avatar_url"], Value::Null);

    let body = gql_update(
        &app,
        Some(&acc.access),
        &id_of(&p),
        json!({"website": "https://y.example"}),
    )
    .await;
    assert_eq!(
        gql_data(&body, "updateProfile")["website"],
        "https://y.example"
    );
    let body = gql_update(&app, Some(&acc.access), &id_of(&p), json!({"website": ""})).await;
    assert_eq!(gql_data(&body, "updateProfile")["website"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_changes_only_given_fields_and_put_replaces() {
    let app = TestApp::spawn().await;
    let (acc, p) = user_with_profile(
        &app,
        "Upd",
        json!({"display_name": "Old", "bio": "old bio", "location": "Oslo"}),
    )
    .await;
    let path = profile_path(&id_of(&p));

    let r = app
        .patch(&path, json!({"bio": "new bio"}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["bio"], "new bio");
    assert_eq!(r.body["display_name"], "Old");
    assert_eq!(r.body["location"], "Oslo");
    assert_eq!(r.body["created_at"], p["created_at"]);
    assert!(timestamp(&r.body["updated_at"]) >= timestamp(&p["updated_at"]));

    let r = app.patch(&path, json!({}), Some(&acc.access)).await;
    assert_eq!(r.status, 200, "an empty PATCH is fine: {r:?}");
    assert_eq!(r.body["bio"], "new bio");

    let full = json!({
        "display_name": "New", "bio": "b", "avatar_url": "https://a.example/x.png",
        "location": "Rome", "website": "https://w.example",
    });
    let r = app.put(&path, full.clone(), Some(&acc.access)).await;
    assert_eq!(r.status, 200, "{r:?}");
    for (k, v) in full.as_object().unwrap() {
        assert_eq!(&r.body[k], v, "{k}");
    }
    assert_eq!(app.get(&path, None).await.body, r.body);

    let body = gql_update(
        &app,
        Some(&acc.access),
        &id_of(&p),
        json!({"displayName": "Via GraphQL"}),
    )
    .await;
    let g = gql_data(&body, "updateProfile");
    assert_eq!(g["displayName"], "Via GraphQL");
    assert_eq!(g["location"], "Rome");
    assert_eq!(g["website"], "https://w.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn username_follows_the_user() {
    let app = TestApp::spawn().await;
    let (acc, p) = user_with_profile(&app, "Ren", json!({})).await;
    let renamed = unique("Renamed");
    let r = app
        .patch(
            "/api/auth/user/",
            json!({"username": renamed}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let got = app.get(&profile_path(&id_of(&p)), None).await;
    assert_eq!(got.body["username"], renamed.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_returns_204_and_the_profile_is_gone() {
    let app = TestApp::spawn().await;
    let (acc, p) = user_with_profile(&app, "Del", json!({"display_name": "x"})).await;
    let path = profile_path(&id_of(&p));
    let r = app.delete(&path, Some(&acc.access)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.body, Value::Null, "204 has an empty body");
    assert_not_found(&app.get(&path, None).await);
    assert_not_found(&app.delete(&path, Some(&acc.access)).await);
    let body = gql_profile(&app, None, &id_of(&p)).await;
    assert_eq!(gql_data(&body, "profile"), &Value::Null);

    // With the old one gone, the user may make a new one (over GraphQL this time),
    // and delete it there.
    let body = gql_create(&app, Some(&acc.access), json!({})).await;
    let id = id_of(gql_data(&body, "createProfile"));
    let body = gql_delete(&app, Some(&acc.access), &id).await;
    assert_eq!(gql_data(&body, "deleteProfile"), id.as_str());
    assert_not_found(&app.get(&profile_path(&id), None).await);
    let body = gql_delete(&app, Some(&acc.access), &id).await;
    assert_gql_code(&body, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Nf")).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for id in [unknown.as_str(), "not-a-uuid", "1", "%27%20OR%201%3D1"] {
        let path = profile_path(id);
        assert_not_found(&app.get(&path, None).await);
        assert_not_found(
            &app.patch(&path, json!({"bio": "x"}), Some(&acc.access))
                .await,
        );
        assert_not_found(&app.put(&path, json!({"bio": "x"}), Some(&acc.access)).await);
        assert_not_found(&app.delete(&path, Some(&acc.access)).await);
    }
    for id in [unknown.as_str(), "not-a-uuid"] {
        let body = gql_profile(&app, None, id).await;
        assert_eq!(gql_data(&body, "profile"), &Value::Null, "profile({id})");
        let body = app
            .gql(
                "query($id: ID!) { user(id: $id) { id } }",
                json!({"id": id}),
                None,
            )
            .await;
        assert_eq!(gql_data(&body, "user"), &Value::Null, "user({id})");
        assert_gql_code(
            &gql_update(&app, Some(&acc.access), id, json!({"bio": "x"})).await,
            "NOT_FOUND",
        );
        assert_gql_code(&gql_delete(&app, Some(&acc.access), id).await, "NOT_FOUND");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_answer_with_and_without_slash_and_405_otherwise() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Sl")).await;
    let r = app
        .post("/api/profiles", json!({}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 201, "POST without slash: {r:?}");
    let id = id_of(&r.body);
    for path in [
        format!("/api/profiles/{id}"),
        format!("/api/profiles/{id}/"),
    ] {
        assert_eq!(app.get(&path, None).await.status, 200, "GET {path}");
        let r = app
            .patch(&path, json!({"bio": path}), Some(&acc.access))
            .await;
        assert_eq!(r.status, 200, "PATCH {path}");
        let r = app.put(&path, json!({"bio": "p"}), Some(&acc.access)).await;
        assert_eq!(r.status, 200, "PUT {path}");
    }
    for path in ["/api/profiles", "/api/profiles/"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, 200, "GET {path}");
        assert_eq!(result_ids(&r.body), std::slice::from_ref(&id));
    }

    let cases = [
        (Method::POST, format!("/api/profiles/{id}/")),
        (Method::DELETE, "/api/profiles/".to_string()),
        (Method::PUT, "/api/profiles".to_string()),
        (Method::PATCH, "/api/profiles/".to_string()),
    ];
    for (method, path) in cases {
        for token in [None, Some(acc.access.as_str())] {
            let r = app
                .request(method.clone(), &path, token, Some(json!({})))
                .await;
            assert_eq!(r.status, 405, "{method} {path}: {r:?}");
            assert_eq!(r.body["code"], "method_not_allowed", "{method} {path}");
            let allow = r.header("allow").unwrap_or_default().to_uppercase();
            assert!(allow.contains("GET"), "{method} {path}: Allow {allow:?}");
        }
    }
    assert_eq!(
        app.delete(&profile_path(&id), Some(&acc.access))
            .await
            .status,
        204
    );
    let r = app
        .delete(&format!("/api/profiles/{id}"), Some(&acc.access))
        .await;
    assert_not_found(&r);
}
