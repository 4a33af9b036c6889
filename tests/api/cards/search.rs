//! `search` (every term, case-insensitive, title or body), the `owner` and
//! `visibility` filters, and their errors.

use super::*;

/// Percent-encodes a query value.
fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_needs_every_term_in_title_or_body() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Srch")).await;
    let cards = [
        ("Learning Rust", "the borrow checker"),
        ("Cooking pasta", "al dente, with a rust-coloured sauce"),
        ("RUSTY nails", "hardware"),
        ("100% cotton", "a_b c"),
        ("'; DROP TABLE cards; --", "<script>alert(1)</script>"),
        ("Straße", "Stadt"),
    ];
    let mut ids = Vec::new();
    for (title, body) in cards {
        ids.push(id_of(
            &app.create_card(&acc.access, json!({"title": title, "body": body}))
                .await,
        ));
    }
    // Newest first, so expected lists run from high index to low.
    let cases: Vec<(&str, Vec<usize>)> = vec![
        ("rust", vec![2, 1, 0]),
        ("RuSt", vec![2, 1, 0]),
        ("rust borrow", vec![0]),
        ("BORROW   rust", vec![0]),
        ("pasta sauce", vec![1]),
        ("nails checker", vec![]),
        ("rusty", vec![2]),
        ("%", vec![3]),
        ("_", vec![3]),
        ("a_b", vec![3]),
        ("100%", vec![3]),
        ("'; DROP", vec![4]),
        ("<script>", vec![4]),
        ("STRAßE stadt", vec![5]),
        ("zzz", vec![]),
        ("", vec![5, 4, 3, 2, 1, 0]),
        ("   ", vec![5, 4, 3, 2, 1, 0]),
    ];
    for (search, expected) in cases {
        let expected: Vec<String> = expected.iter().map(|&i| ids[i].clone()).collect();
        let path = format!("/api/cards/?search={}", enc(search));
        assert_eq!(
            listed(&app, &path, None).await,
            expected,
            "search={search:?}"
        );
        let body = app
            .gql(
                "query($s: String) { cards(filter: {search: $s}) { nodes { id } totalCount } }",
                json!({"s": search}),
                None,
            )
            .await;
        let conn = gql_data(&body, "cards");
        assert_eq!(node_ids(conn), expected, "GraphQL search={search:?}");
        assert_eq!(
            conn["totalCount"],
            expected.len(),
            "totalCount search={search:?}"
        );
    }
    // The injection string did nothing to the table.
    assert_eq!(listed(&app, "/api/cards/", None).await.len(), cards.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ignores_case_beyond_ascii_on_every_database() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Uni")).await;
    let id = id_of(
        &app.create_card(&acc.access, json!({"title": "ÜBER Ärger", "body": "ΣΟΦΊΑ"}))
            .await,
    );
    for search in ["über", "ärger", "σοφία", "ÜbEr ΣΟΦΊΑ"] {
        let path = format!("/api/cards/?search={}", enc(search));
        assert_eq!(
            listed(&app, &path, None).await,
            std::slice::from_ref(&id),
            "search={search:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_and_visibility_filters() {
    let app = TestApp::spawn().await;
    let alice = app.register(&unique("Alice")).await;
    let bob = app.register(&unique("Bob")).await;
    let a1 = id_of(&app.card(&alice.access, "a1", "public").await);
    let b1 = id_of(&app.card(&bob.access, "b1", "public").await);
    let a2 = id_of(&app.card(&alice.access, "a2", "private").await);
    let a3 = id_of(&app.card(&alice.access, "a3", "public").await);
    let t = Some(alice.access.as_str());

    let by = |id: &str| format!("/api/cards/?owner={id}");
    assert_eq!(
        listed(&app, &by(&alice.id), t).await,
        [a3.clone(), a2.clone(), a1.clone()]
    );
    assert_eq!(
        listed(&app, &by(&bob.id), t).await,
        std::slice::from_ref(&b1)
    );
    assert_eq!(
        listed(&app, &by(&alice.id.to_uppercase()), t).await.len(),
        3,
        "UUIDs ignore case"
    );
    let nobody = uuid::Uuid::now_v7().to_string();
    assert!(listed(&app, &by(&nobody), t).await.is_empty());
    assert_eq!(
        listed(&app, "/api/cards/?visibility=public", t).await,
        [a3.clone(), b1.clone(), a1.clone()]
    );
    assert_eq!(
        listed(&app, "/api/cards/?visibility=private", t).await,
        std::slice::from_ref(&a2)
    );
    let path = format!(
        "/api/cards/?owner={}&visibility=public&ordering=created_at",
        alice.id
    );
    assert_eq!(listed(&app, &path, t).await, [a1.clone(), a3.clone()]);

    let args = format!(
        "(filter: {{owner: \"{}\", visibility: PUBLIC}}, orderBy: {{field: CREATED_AT, direction: ASC}})",
        alice.id
    );
    assert_eq!(gql_listed(&app, &args, t).await, [a1.clone(), a3.clone()]);

    // An empty filter value is no filter.
    assert_eq!(
        listed(&app, "/api/cards/?owner=&visibility=", t)
            .await
            .len(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_filters_are_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Bad")).await;
    app.card(&acc.access, "x", "public").await;
    let cases = [
        ("owner=abc", json!({"owner": [rmsg::BAD_UUID]})),
        ("owner=%27%20OR%201%3D1", json!({"owner": [rmsg::BAD_UUID]})),
        (
            "visibility=secret",
            json!({"visibility": ["Select a valid choice. secret is not one of the available choices."]}),
        ),
        (
            "owner=abc&visibility=secret",
            json!({"owner": [rmsg::BAD_UUID],
                   "visibility": ["Select a valid choice. secret is not one of the available choices."]}),
        ),
    ];
    for (query, expected) in cases {
        for token in [None, Some(acc.access.as_str())] {
            let r = app.get(&format!("/api/cards/?{query}"), token).await;
            assert_invalid(&r, expected.clone());
        }
    }
    let body = app
        .gql(
            "{ cards(filter: {owner: \"abc\"}) { nodes { id } } }",
            json!({}),
            None,
        )
        .await;
    assert_gql_fields(&body, json!({"owner": [rmsg::BAD_UUID]}));
    let body = app
        .gql(
            "{ cards(filter: {visibility: SECRET}) { nodes { id } } }",
            json!({}),
            None,
        )
        .await;
    assert!(
        body["errors"].is_array(),
        "an unknown enum value is an error: {body}"
    );
}
