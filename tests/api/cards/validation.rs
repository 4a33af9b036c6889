//! Each card rule, with its exact error body, through both doors, on create and
//! on update.

use super::*;

/// Inputs GraphQL can express too, and the exact REST body each one gets.
fn bad_inputs() -> Vec<(&'static str, Value, Value)> {
    vec![
        (
            "empty title",
            json!({"title": ""}),
            json!({"title": [msg::BLANK]}),
        ),
        (
            "blank title",
            json!({"title": " \t\n "}),
            json!({"title": [msg::BLANK]}),
        ),
        (
            "title over 200",
            json!({"title": "t".repeat(201)}),
            json!({"title": [rmsg::TITLE_TOO_LONG]}),
        ),
        (
            "title over 200 in characters",
            json!({"title": "ü".repeat(201)}),
            json!({"title": [rmsg::TITLE_TOO_LONG]}),
        ),
        (
            "body over 10000",
            json!({"title": "ok", "body": "b".repeat(10_001)}),
            json!({"body": [rmsg::BODY_TOO_LONG]}),
        ),
        (
            "NUL in title",
            json!({"title": "a\u{0}b"}),
            json!({"title": [msg::NUL]}),
        ),
        (
            "NUL in body",
            json!({"title": "ok", "body": "\u{0}"}),
            json!({"body": [msg::NUL]}),
        ),
        (
            "two bad fields",
            json!({"title": "", "body": "b".repeat(10_001)}),
            json!({"title": [msg::BLANK], "body": [rmsg::BODY_TOO_LONG]}),
        ),
    ]
}

/// Inputs only REST can send (GraphQL's types rule them out before they run).
fn rest_only() -> Vec<(&'static str, Value, Value)> {
    let bad_choice = |v: &str| json!({"visibility": [format!("\"{v}\" is not a valid choice.")]});
    vec![
        (
            "bad visibility",
            json!({"title": "ok", "visibility": "secret"}),
            bad_choice("secret"),
        ),
        (
            "upper-case visibility",
            json!({"title": "ok", "visibility": "PUBLIC"}),
            bad_choice("PUBLIC"),
        ),
        (
            "number title",
            json!({"title": 5}),
            json!({"title": [rmsg::NOT_A_STRING]}),
        ),
        (
            "list title",
            json!({"title": ["a"]}),
            json!({"title": [rmsg::NOT_A_STRING]}),
        ),
        (
            "object body",
            json!({"title": "ok", "body": {}}),
            json!({"body": [rmsg::NOT_A_STRING]}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_each_bad_field_through_both_doors() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Cv")).await;
    for (name, body, expected) in bad_inputs() {
        let r = app
            .post("/api/cards/", body.clone(), Some(&acc.access))
            .await;
        assert_eq!(r.status, 400, "{name}: {r:?}");
        assert_eq!(r.body, expected, "{name}");
        let gql = gql_create(&app, Some(&acc.access), camelize_keys(&body)).await;
        assert_gql_fields(&gql, camelize_keys(&expected));
        assert!(gql["data"].is_null(), "{name}: no data: {gql}");
    }
    for (name, body, expected) in rest_only() {
        let r = app.post("/api/cards/", body, Some(&acc.access)).await;
        assert_eq!(r.status, 400, "{name}: {r:?}");
        assert_eq!(r.body, expected, "{name}");
    }
    let missing = [json!({}), json!({"body": "b"}), json!({"title": null})];
    for body in missing {
        let r = app
            .post("/api/cards/", body.clone(), Some(&acc.access))
            .await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        if body.get("title").is_none() {
            assert_eq!(r.body, json!({"title": [msg::REQUIRED]}), "{body}");
        } else {
            assert!(
                r.body["title"].is_array(),
                "null title names the field: {}",
                r.body
            );
        }
    }
    assert!(
        listed(&app, "/api/cards/", Some(&acc.access))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_rejects_each_bad_field_through_both_doors() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Cu")).await;
    let c = app
        .create_card(&acc.access, json!({"title": "Keep", "body": "keep"}))
        .await;
    let path = card_path(&id_of(&c));
    for (name, body, expected) in bad_inputs().into_iter().chain(rest_only()) {
        for method in [Method::PATCH, Method::PUT] {
            let r = app
                .request(method.clone(), &path, Some(&acc.access), Some(body.clone()))
                .await;
            assert_eq!(r.status, 400, "{method} {name}: {r:?}");
            assert_eq!(r.body, expected, "{method} {name}");
        }
    }
    for (name, body, expected) in bad_inputs() {
        let gql = gql_update(&app, Some(&acc.access), &id_of(&c), camelize_keys(&body)).await;
        assert_gql_fields(&gql, camelize_keys(&expected));
        assert!(gql["data"].is_null(), "{name}: no data: {gql}");
    }
    // PATCH may leave the title out; PUT may not.
    let r = app
        .patch(
            &path,
            json!({"body": "b".repeat(10_001)}),
            Some(&acc.access),
        )
        .await;
    assert_invalid(&r, json!({"body": [rmsg::BODY_TOO_LONG]}));
    let r = app
        .put(
            &path,
            json!({"body": "b".repeat(10_001)}),
            Some(&acc.access),
        )
        .await;
    assert_invalid(
        &r,
        json!({"title": [msg::REQUIRED], "body": [rmsg::BODY_TOO_LONG]}),
    );
    let r = app
        .put(&path, json!({"visibility": "private"}), Some(&acc.access))
        .await;
    assert_invalid(&r, json!({"title": [msg::REQUIRED]}));
    // Nothing changed.
    assert_eq!(app.get(&path, None).await.body, c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_at_the_limits_are_accepted() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Cl")).await;
    let title = "ü".repeat(200);
    let body = "b".repeat(10_000);
    let c = app
        .create_card(
            &acc.access,
            json!({"title": format!("   {title}   "), "body": body, "visibility": "private"}),
        )
        .await;
    assert_eq!(c["title"], title.as_str());
    assert_eq!(c["body"].as_str().unwrap().len(), 10_000);
    assert_eq!(c["visibility"], "private");

    let one = app.create_card(&acc.access, json!({"title": "x"})).await;
    assert_eq!(one["title"], "x");

    let gql = gql_create(
        &app,
        Some(&acc.access),
        json!({"title": format!("\n{title}\n"), "body": body}),
    )
    .await;
    let g = gql_data(&gql, "createCard");
    assert_eq!(g["title"], title.as_str());
    assert_eq!(g["visibility"], "PUBLIC");

    let r = app
        .patch(
            &card_path(&id_of(&one)),
            json!({"title": " ".repeat(5) + &"t".repeat(200)}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["title"], "t".repeat(200));
}
