//! Who may create, change and delete a profile: 401 anonymous, 409 a second
//! profile, 403 someone else's, owner and staff allowed.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_may_read_but_not_create() {
    let app = TestApp::spawn().await;
    let (_, p) = user_with_profile(&app, "Pub", json!({"display_name": "Pub"})).await;
    assert_eq!(app.get("/api/profiles/", None).await.status, 200);
    assert_eq!(app.get(&profile_path(&id_of(&p)), None).await.status, 200);

    let r = app.post("/api/profiles/", json!({}), None).await;
    assert_unauthorized(&r, "not_authenticated");
    let body = gql_create(&app, None, json!({})).await;
    assert_gql_code(&body, "UNAUTHENTICATED");

    let r = app
        .post("/api/profiles/", json!({}), Some("not-a-jwt"))
        .await;
    assert_unauthorized(&r, "token_not_valid");
    let r = app.get("/api/profiles/", Some("not-a-jwt")).await;
    assert_unauthorized(&r, "token_not_valid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_profile_is_a_conflict() {
    let app = TestApp::spawn().await;
    let (acc, p) = user_with_profile(&app, "Twice", json!({"display_name": "First"})).await;

    let r = app
        .post(
            "/api/profiles/",
            json!({"display_name": "Second"}),
            Some(&acc.access),
        )
        .await;
    assert_detail(&r, 409, "conflict", rmsg::HAS_PROFILE);
    let body = gql_create(&app, Some(&acc.access), json!({"displayName": "Third"})).await;
    assert_gql_code(&body, "CONFLICT");
    assert_eq!(body["errors"][0]["message"], rmsg::HAS_PROFILE, "{body}");

    // Still just the first one.
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(result_ids(&r.body), [id_of(&p)]);
    assert_eq!(r.body["results"][0]["display_name"], "First");

    // A GraphQL-made profile blocks a REST one just the same.
    let other = app.register(&unique("Twice2")).await;
    let body = gql_create(&app, Some(&other.access), json!({})).await;
    gql_data(&body, "createProfile");
    let r = app
        .post("/api/profiles/", json!({}), Some(&other.access))
        .await;
    assert_detail(&r, 409, "conflict", rmsg::HAS_PROFILE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_make_exactly_one_profile() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Race")).await;
    let tries = (0..8).map(|i| {
        app.post(
            "/api/profiles/",
            json!({"display_name": format!("try {i}")}),
            Some(&acc.access),
        )
    });
    let results = futures_util::future::join_all(tries).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 409, 409, 409, 409, 409, 409, 409],
        "{results:?}"
    );
    for r in results.iter().filter(|r| r.status == 409) {
        assert_detail(r, 409, "conflict", rmsg::HAS_PROFILE);
    }
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(result_ids(&r.body).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_may_not_change_a_profile() {
    let app = TestApp::spawn().await;
    let (_, p) = user_with_profile(&app, "Own", json!({"display_name": "Mine"})).await;
    let mallory = app.register(&unique("Mal")).await;
    let path = profile_path(&id_of(&p));
    let id = id_of(&p);

    assert_forbidden(
        &app.patch(&path, json!({"bio": "x"}), Some(&mallory.access))
            .await,
    );
    assert_forbidden(
        &app.put(&path, json!({"bio": "x"}), Some(&mallory.access))
            .await,
    );
    assert_forbidden(&app.delete(&path, Some(&mallory.access)).await);
    assert_gql_code(
        &gql_update(&app, Some(&mallory.access), &id, json!({"bio": "x"})).await,
        "FORBIDDEN",
    );
    assert_gql_code(
        &gql_delete(&app, Some(&mallory.access), &id).await,
        "FORBIDDEN",
    );

    assert_unauthorized(
        &app.patch(&path, json!({"bio": "x"}), None).await,
        "not_authenticated",
    );
    assert_unauthorized(
        &app.put(&path, json!({"bio": "x"}), None).await,
        "not_authenticated",
    );
    assert_unauthorized(&app.delete(&path, None).await, "not_authenticated");
    assert_gql_code(
        &gql_update(&app, None, &id, json!({"bio": "x"})).await,
        "UNAUTHENTICATED",
    );
    assert_gql_code(&gql_delete(&app, None, &id).await, "UNAUTHENTICATED");

    // Untouched.
    assert_eq!(app.get(&path, None).await.body, p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_may_change_and_delete_any_profile() {
    let app = TestApp::spawn().await;
    let (owner, p) = user_with_profile(&app, "Owned", json!({"display_name": "Mine"})).await;
    let staff = app.register_staff("Staff").await;
    let path = profile_path(&id_of(&p));

    let r = app
        .patch(&path, json!({"bio": "moderated"}), Some(&staff.access))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["bio"], "moderated");
    // Still the owner's profile.
    assert_eq!(r.body["user_id"], owner.id.as_str());
    assert_eq!(r.body["username"], owner.username.as_str());

    let r = app
        .put(
            &path,
            json!({"display_name": "Put by staff"}),
            Some(&staff.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["display_name"], "Put by staff");

    let body = gql_update(
        &app,
        Some(&staff.access),
        &id_of(&p),
        json!({"location": "HQ"}),
    )
    .await;
    assert_eq!(gql_data(&body, "updateProfile")["location"], "HQ");

    let r = app.delete(&path, Some(&staff.access)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_not_found(&app.get(&path, None).await);

    // Staff have a profile of their own to make, once.
    app.create_profile(&staff.access, json!({})).await;
    let r = app
        .post("/api/profiles/", json!({}), Some(&staff.access))
        .await;
    assert_detail(&r, 409, "conflict", rmsg::HAS_PROFILE);

    // And the owner's next profile, deleted by staff over GraphQL.
    let p2 = app.create_profile(&owner.access, json!({})).await;
    let body = gql_delete(&app, Some(&staff.access), &id_of(&p2)).await;
    assert_eq!(gql_data(&body, "deleteProfile"), &p2["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_removes_their_profile() {
    let app = TestApp::spawn().await;
    let (acc, p) = user_with_profile(&app, "Gone", json!({"display_name": "Gone"})).await;
    let (_, keep) = user_with_profile(&app, "Stay", json!({})).await;
    app.delete_user(&acc.id).await;
    assert_not_found(&app.get(&profile_path(&id_of(&p)), None).await);
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(result_ids(&r.body), [id_of(&keep)]);
    let body = gql_profile(&app, None, &id_of(&p)).await;
    assert_eq!(gql_data(&body, "profile"), &Value::Null);
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { id } }",
            json!({"id": acc.id}),
            None,
        )
        .await;
    assert_eq!(gql_data(&body, "user"), &Value::Null);
    // Their token names a user that no longer exists.
    let r = app
        .post("/api/profiles/", json!({}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 401, "{r:?}");
}
