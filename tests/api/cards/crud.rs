//! Creating, reading, replacing, patching and deleting a card.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_card_has_defaults_location_and_reads_back() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Cc")).await;
    let r = app
        .post("/api/cards/", json!({"title": "Hello"}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let c = r.body.clone();
    let id = id_of(&c);
    uuid::Uuid::parse_str(&id).expect("card id is a UUID");
    assert_eq!(c["owner_id"], acc.id.as_str());
    assert_eq!(c["owner_username"], acc.username.as_str());
    assert_eq!(c["title"], "Hello");
    assert_eq!(c["body"], "");
    assert_eq!(c["visibility"], "public");
    assert!(timestamp(&c["updated_at"]) >= timestamp(&c["created_at"]));
    let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "body",
            "created_at",
            "id",
            "owner_id",
            "owner_username",
            "reactions",
            "reply_count",
            "title",
            "updated_at",
            "visibility"
        ]
    );
    let location = r.header("location").expect("a Location header");
    assert!(
        location.ends_with(&format!("/api/cards/{id}/")),
        "Location {location:?}"
    );

    let got = app.get(&card_path(&id), None).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.body, c);
    let body = gql_card(&app, None, &id).await;
    assert_same_card(&c, gql_data(&body, "card"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn title_is_trimmed_and_everything_else_is_verbatim() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Verb")).await;
    let texts = [
        "'; DROP TABLE cards; --",
        "<script>alert(1)</script>",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "${jndi:ldap://x}",
        "emoji 🕸️ and ünïcödé",
        "back\\slash \"quotes\" %_ wildcards",
    ];
    for text in texts {
        let body = format!("  {text}\n\t ");
        let c = app
            .create_card(
                &acc.access,
                json!({"title": format!("  {text}  "), "body": body}),
            )
            .await;
        assert_eq!(c["title"], text, "title stored trimmed");
        assert_eq!(c["body"], body.as_str(), "body stored as sent");
        let got = app.get(&card_path(&id_of(&c)), None).await;
        assert_eq!(got.body, c);
    }
    // The tables are still there and hold every card.
    let r = app.get("/api/cards/?page_size=100", None).await;
    assert_eq!(result_ids(&r.body).len(), texts.len());
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get("/api/auth/user/", Some(&acc.access)).await.status,
        200
    );

    let body = gql_create(
        &app,
        Some(&acc.access),
        json!({"title": "\t<b>gql</b> ", "body": "  x  ", "visibility": "PRIVATE"}),
    )
    .await;
    let g = gql_data(&body, "createCard");
    assert_eq!(g["title"], "<b>gql</b>");
    assert_eq!(g["body"], "  x  ");
    assert_eq!(g["visibility"], "PRIVATE");
    assert_eq!(g["ownerId"], acc.id.as_str());
    assert_eq!(g["ownerUsername"], acc.username.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_fields_in_the_body_are_ignored() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Ro")).await;
    let other = app.register(&unique("RoOther")).await;
    let fake_id = uuid::Uuid::now_v7().to_string();
    let c = app
        .create_card(
            &acc.access,
            json!({"title": "t", "id": fake_id, "owner_id": other.id,
                   "owner_username": other.username, "created_at": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_ne!(c["id"], fake_id.as_str());
    assert_eq!(c["owner_id"], acc.id.as_str());
    assert_eq!(c["owner_username"], acc.username.as_str());
    assert!(timestamp(&c["created_at"]).format("%Y").to_string() != "2000");

    let r = app
        .patch(
            &card_path(&id_of(&c)),
            json!({"owner_id": other.id, "owner_username": "x", "id": fake_id}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["owner_id"], acc.id.as_str());
    assert_eq!(r.body["id"], c["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_is_partial_and_put_is_full() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Pp")).await;
    let c = app
        .create_card(
            &acc.access,
            json!({"title": "Orig", "body": "orig body", "visibility": "private"}),
        )
        .await;
    let path = card_path(&id_of(&c));

    let r = app
        .patch(&path, json!({"body": "patched"}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["title"], "Orig");
    assert_eq!(r.body["body"], "patched");
    assert_eq!(r.body["visibility"], "private");
    assert_eq!(r.body["created_at"], c["created_at"]);
    assert!(timestamp(&r.body["updated_at"]) > timestamp(&c["updated_at"]));

    let r = app.patch(&path, json!({}), Some(&acc.access)).await;
    assert_eq!(r.status, 200, "an empty PATCH: {r:?}");
    assert_eq!(r.body["body"], "patched");

    let r = app
        .patch(
            &path,
            json!({"visibility": "public", "title": "  P  "}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.body["visibility"], "public");
    assert_eq!(r.body["title"], "P");
    assert_eq!(r.body["body"], "patched");

    // PUT needs the title ...
    let r = app
        .put(&path, json!({"body": "no title"}), Some(&acc.access))
        .await;
    assert_invalid(&r, json!({"title": [msg::REQUIRED]}));
    let r = app.put(&path, json!({}), Some(&acc.access)).await;
    assert_invalid(&r, json!({"title": [msg::REQUIRED]}));
    // ... and keeps body and visibility when they are absent.
    let r = app
        .put(&path, json!({"title": "Put"}), Some(&acc.access))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["title"], "Put");
    assert_eq!(r.body["body"], "patched");
    assert_eq!(r.body["visibility"], "public");
    let r = app
        .put(
            &path,
            json!({"title": "Put2", "body": "", "visibility": "private"}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.body["body"], "");
    assert_eq!(r.body["visibility"], "private");
    assert_eq!(app.get(&path, Some(&acc.access)).await.body, r.body);

    // GraphQL updateCard is partial.
    let body = gql_update(&app, Some(&acc.access), &id_of(&c), json!({"body": "g"})).await;
    let g = gql_data(&body, "updateCard");
    assert_eq!(g["title"], "Put2");
    assert_eq!(g["body"], "g");
    assert_eq!(g["visibility"], "PRIVATE");
    let body = gql_update(
        &app,
        Some(&acc.access),
        &id_of(&c),
        json!({"visibility": "PUBLIC"}),
    )
    .await;
    assert_eq!(gql_data(&body, "updateCard")["visibility"], "PUBLIC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_returns_204_then_not_found() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Dc")).await;
    let c = app.card(&acc.access, "doomed", "public").await;
    let path = card_path(&id_of(&c));
    let r = app.delete(&path, Some(&acc.access)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.body, Value::Null, "204 has an empty body");
    assert_not_found(&app.get(&path, None).await);
    assert_not_found(
        &app.patch(&path, json!({"title": "x"}), Some(&acc.access))
            .await,
    );
    assert_not_found(&app.delete(&path, Some(&acc.access)).await);
    assert!(listed(&app, "/api/cards/", None).await.is_empty());

    let c = app.card(&acc.access, "doomed too", "private").await;
    let body = gql_delete(&app, Some(&acc.access), &id_of(&c)).await;
    assert_eq!(gql_data(&body, "deleteCard"), c["id"].as_str().unwrap());
    assert_not_found(&app.get(&card_path(&id_of(&c)), Some(&acc.access)).await);
    assert_gql_code(
        &gql_delete(&app, Some(&acc.access), &id_of(&c)).await,
        "NOT_FOUND",
    );
    let body = gql_card(&app, Some(&acc.access), &id_of(&c)).await;
    assert_eq!(gql_data(&body, "card"), &Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Nf")).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for id in [unknown.as_str(), "not-a-uuid", "42", "%27%3B--"] {
        let path = card_path(id);
        assert_not_found(&app.get(&path, None).await);
        assert_not_found(&app.get(&path, Some(&acc.access)).await);
        assert_not_found(
            &app.put(&path, json!({"title": "x"}), Some(&acc.access))
                .await,
        );
        assert_not_found(
            &app.patch(&path, json!({"title": "x"}), Some(&acc.access))
                .await,
        );
        assert_not_found(&app.delete(&path, Some(&acc.access)).await);
    }
    for id in [unknown.as_str(), "not-a-uuid"] {
        let body = gql_card(&app, None, id).await;
        assert_eq!(gql_data(&body, "card"), &Value::Null, "card({id})");
        assert_gql_code(
            &gql_update(&app, Some(&acc.access), id, json!({"title": "x"})).await,
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
        .post(
            "/api/cards",
            json!({"title": "no slash"}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 201, "POST without slash: {r:?}");
    let id = id_of(&r.body);
    assert!(
        r.header("location")
            .unwrap_or_default()
            .ends_with(&format!("/api/cards/{id}/"))
    );
    for path in [format!("/api/cards/{id}"), format!("/api/cards/{id}/")] {
        assert_eq!(app.get(&path, None).await.status, 200, "GET {path}");
        let r = app
            .patch(&path, json!({"body": path}), Some(&acc.access))
            .await;
        assert_eq!(r.status, 200, "PATCH {path}");
        let r = app
            .put(&path, json!({"title": "p"}), Some(&acc.access))
            .await;
        assert_eq!(r.status, 200, "PUT {path}");
    }
    for path in ["/api/cards", "/api/cards/"] {
        assert_eq!(
            listed(&app, path, None).await,
            std::slice::from_ref(&id),
            "GET {path}"
        );
    }
    let cases = [
        (Method::POST, format!("/api/cards/{id}/")),
        (Method::POST, format!("/api/cards/{id}")),
        (Method::DELETE, "/api/cards/".to_string()),
        (Method::PUT, "/api/cards".to_string()),
        (Method::PATCH, "/api/cards/".to_string()),
    ];
    for (method, path) in cases {
        for token in [None, Some(acc.access.as_str())] {
            let r = app
                .request(method.clone(), &path, token, Some(json!({"title": "x"})))
                .await;
            assert_eq!(r.status, 405, "{method} {path}: {r:?}");
            assert_eq!(
                r.body,
                json!({"detail": format!("Method \"{method}\" not allowed."), "code": "method_not_allowed"})
            );
            let allow = r.header("allow").unwrap_or_default().to_uppercase();
            assert!(allow.contains("GET"), "{method} {path}: Allow {allow:?}");
            assert!(
                !allow.contains(method.as_str()),
                "{method} {path}: Allow {allow:?}"
            );
        }
    }
    let r = app
        .delete(&format!("/api/cards/{id}"), Some(&acc.access))
        .await;
    assert_eq!(r.status, 204, "DELETE without slash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_removes_their_cards() {
    let app = TestApp::spawn().await;
    let gone = app.register(&unique("Gone")).await;
    let stay = app.register(&unique("Stay")).await;
    let staff = app.register_staff("Staff").await;
    app.create_profile(&gone.access, json!({"display_name": "G"}))
        .await;
    let public = app.card(&gone.access, "g1", "public").await;
    let private = app.card(&gone.access, "g2", "private").await;
    let kept = app.card(&stay.access, "s1", "public").await;

    app.delete_user(&gone.id).await;
    for c in [&public, &private] {
        assert_not_found(&app.get(&card_path(&id_of(c)), Some(&staff.access)).await);
        let body = gql_card(&app, Some(&staff.access), &id_of(c)).await;
        assert_eq!(gql_data(&body, "card"), &Value::Null);
    }
    assert_eq!(
        listed(&app, "/api/cards/", Some(&staff.access)).await,
        [id_of(&kept)]
    );
    assert!(
        listed(
            &app,
            &format!("/api/cards/?owner={}", gone.id),
            Some(&staff.access)
        )
        .await
        .is_empty()
    );
    assert_eq!(
        gql_listed(&app, "", Some(&staff.access)).await,
        [id_of(&kept)]
    );
    assert!(listed(&app, "/api/profiles/", None).await.is_empty());
}
