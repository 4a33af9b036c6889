//! Who may create, change and delete a card: 401 anonymous, 403 someone else's
//! public card, 404 someone else's private one, owner and staff allowed.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_may_read_but_not_write() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Anon")).await;
    let c = app.card(&acc.access, "public", "public").await;
    let path = card_path(&id_of(&c));
    assert_eq!(app.get(&path, None).await.status, 200);
    assert_eq!(listed(&app, "/api/cards/", None).await, [id_of(&c)]);

    assert_unauthorized(
        &app.post("/api/cards/", json!({"title": "x"}), None).await,
        "not_authenticated",
    );
    assert_unauthorized(
        &app.put(&path, json!({"title": "x"}), None).await,
        "not_authenticated",
    );
    assert_unauthorized(
        &app.patch(&path, json!({"title": "x"}), None).await,
        "not_authenticated",
    );
    assert_unauthorized(&app.delete(&path, None).await, "not_authenticated");
    // Authentication comes before validation.
    assert_unauthorized(
        &app.post("/api/cards/", json!({}), None).await,
        "not_authenticated",
    );

    assert_gql_code(
        &gql_create(&app, None, json!({"title": "x"})).await,
        "UNAUTHENTICATED",
    );
    assert_gql_code(
        &gql_update(&app, None, &id_of(&c), json!({"title": "x"})).await,
        "UNAUTHENTICATED",
    );
    assert_gql_code(&gql_delete(&app, None, &id_of(&c)).await, "UNAUTHENTICATED");

    // A bad token is an error, never anonymous, even for reading.
    assert_unauthorized(
        &app.get("/api/cards/", Some("garbage")).await,
        "token_not_valid",
    );
    assert_unauthorized(&app.get(&path, Some("garbage")).await, "token_not_valid");

    assert_eq!(app.get(&path, None).await.body, c, "untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_get_403_on_public_cards_and_404_on_private_ones() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("Owner")).await;
    let other = app.register(&unique("Other")).await;
    let public = app.card(&owner.access, "pub", "public").await;
    let private = app.card(&owner.access, "priv", "private").await;
    let token = Some(other.access.as_str());

    let path = card_path(&id_of(&public));
    assert_eq!(app.get(&path, token).await.status, 200);
    assert_forbidden(&app.put(&path, json!({"title": "x"}), token).await);
    assert_forbidden(&app.patch(&path, json!({"title": "x"}), token).await);
    assert_forbidden(&app.delete(&path, token).await);
    assert_gql_code(
        &gql_update(&app, token, &id_of(&public), json!({"title": "x"})).await,
        "FORBIDDEN",
    );
    assert_gql_code(&gql_delete(&app, token, &id_of(&public)).await, "FORBIDDEN");

    let path = card_path(&id_of(&private));
    assert_not_found(&app.get(&path, token).await);
    assert_not_found(&app.put(&path, json!({"title": "x"}), token).await);
    assert_not_found(&app.patch(&path, json!({"title": "x"}), token).await);
    assert_not_found(&app.delete(&path, token).await);
    assert_not_found(&app.get(&path, None).await);
    let body = gql_card(&app, token, &id_of(&private)).await;
    assert_eq!(gql_data(&body, "card"), &Value::Null);
    let body = gql_card(&app, None, &id_of(&private)).await;
    assert_eq!(gql_data(&body, "card"), &Value::Null);
    assert_gql_code(
        &gql_update(&app, token, &id_of(&private), json!({"title": "x"})).await,
        "NOT_FOUND",
    );
    assert_gql_code(
        &gql_delete(&app, token, &id_of(&private)).await,
        "NOT_FOUND",
    );

    // Neither card changed.
    let owner_token = Some(owner.access.as_str());
    assert_eq!(
        app.get(&card_path(&id_of(&public)), owner_token).await.body,
        public
    );
    assert_eq!(
        app.get(&card_path(&id_of(&private)), owner_token)
            .await
            .body,
        private
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_may_do_everything_with_their_cards() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("Own")).await;
    let token = Some(owner.access.as_str());
    for vis in ["public", "private"] {
        let c = app.card(&owner.access, vis, vis).await;
        let path = card_path(&id_of(&c));
        assert_eq!(app.get(&path, token).await.body, c);
        let body = gql_card(&app, token, &id_of(&c)).await;
        assert_same_card(&c, gql_data(&body, "card"));
        assert_eq!(
            app.put(&path, json!({"title": "put"}), token).await.status,
            200
        );
        assert_eq!(
            app.patch(&path, json!({"body": "patch"}), token)
                .await
                .status,
            200
        );
        let body = gql_update(&app, token, &id_of(&c), json!({"title": "gql"})).await;
        assert_eq!(gql_data(&body, "updateCard")["title"], "gql");
        let r = app.delete(&path, token).await;
        assert_eq!(r.status, 204, "{vis}: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_may_read_change_and_delete_any_card() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("Own")).await;
    let staff = app.register_staff("Staff").await;
    let token = Some(staff.access.as_str());
    for vis in ["public", "private"] {
        let c = app.card(&owner.access, vis, vis).await;
        let path = card_path(&id_of(&c));
        assert_eq!(
            app.get(&path, token).await.body,
            c,
            "staff reads a {vis} card"
        );
        let body = gql_card(&app, token, &id_of(&c)).await;
        assert_same_card(&c, gql_data(&body, "card"));

        let r = app.patch(&path, json!({"body": "moderated"}), token).await;
        assert_eq!(r.status, 200, "{vis}: {r:?}");
        assert_eq!(r.body["owner_id"], owner.id.as_str(), "the owner stays");
        assert_eq!(r.body["visibility"], vis);
        let r = app.put(&path, json!({"title": "by staff"}), token).await;
        assert_eq!(r.status, 200, "{vis}: {r:?}");
        assert_eq!(r.body["owner_username"], owner.username.as_str());
        let body = gql_update(&app, token, &id_of(&c), json!({"body": "gql"})).await;
        assert_eq!(gql_data(&body, "updateCard")["body"], "gql");

        let r = app.delete(&path, token).await;
        assert_eq!(r.status, 204, "{vis}: {r:?}");
        assert_not_found(&app.get(&path, Some(&owner.access)).await);
    }
    let c = app.card(&owner.access, "gql delete", "private").await;
    let body = gql_delete(&app, token, &id_of(&c)).await;
    assert_eq!(gql_data(&body, "deleteCard"), &c["id"]);

    // A card made by staff belongs to staff.
    let mine = app.card(&staff.access, "staff card", "public").await;
    assert_eq!(mine["owner_id"], staff.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn making_a_card_private_hides_it_from_others_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("Own")).await;
    let other = app.register(&unique("Oth")).await;
    let c = app.card(&owner.access, "soon private", "public").await;
    let path = card_path(&id_of(&c));
    assert_eq!(app.get(&path, Some(&other.access)).await.status, 200);
    let r = app
        .patch(&path, json!({"visibility": "private"}), Some(&owner.access))
        .await;
    assert_eq!(r.status, 200);
    assert_not_found(&app.get(&path, Some(&other.access)).await);
    assert_not_found(&app.delete(&path, Some(&other.access)).await);
    assert!(
        listed(&app, "/api/cards/", Some(&other.access))
            .await
            .is_empty()
    );
    let r = app
        .patch(&path, json!({"visibility": "public"}), Some(&owner.access))
        .await;
    assert_eq!(r.status, 200);
    assert_forbidden(&app.delete(&path, Some(&other.access)).await);
}
