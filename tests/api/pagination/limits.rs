//! Page sizes: the default of 20, the cap of 100, and malformed parameters.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_size_defaults_to_20_and_is_capped_at_100() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Many")).await;
    let ids = reversed(&seed(&app, &acc, 105, None).await);

    let r = app.get("/api/cards/", None).await;
    assert_eq!(result_ids(&r.body), ids[..20], "default page size");
    assert!(r.body["next"].is_string());
    for size in ["100", "101", "1000"] {
        let r = app
            .get(&format!("/api/cards/?page_size={size}"), None)
            .await;
        assert_eq!(r.status, 200, "page_size={size}: {r:?}");
        assert_eq!(
            result_ids(&r.body),
            ids[..100],
            "page_size={size} is clamped to 100"
        );
        let next = r.body["next"].as_str().expect("more after 100").to_string();
        let r2 = app.get_url(&next, None).await;
        assert_eq!(
            result_ids(&r2.body),
            ids[100..],
            "page_size={size}: the rest"
        );
        assert_eq!(r2.body["next"], Value::Null);
    }
    let r = app.get("/api/cards/?page_size=1", None).await;
    assert_eq!(result_ids(&r.body), ids[..1]);
    let (seen, pages) = walk_next(&app, "/api/cards/?page_size=1000", None).await;
    assert_eq!((seen, pages), (ids.clone(), 2));

    let q = "query($first: Int, $last: Int) { cards(first: $first, last: $last) { nodes { id } totalCount pageInfo { hasNextPage hasPreviousPage } } }";
    let body = app.gql(q, json!({}), None).await;
    let conn = gql_data(&body, "cards");
    assert_eq!(node_ids(conn), ids[..20], "GraphQL default is 20");
    assert_eq!(conn["totalCount"], 105);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    for first in [100, 101, 5000] {
        let body = app.gql(q, json!({"first": first}), None).await;
        assert_eq!(
            node_ids(gql_data(&body, "cards")),
            ids[..100],
            "first={first} is clamped"
        );
    }
    let body = app.gql(q, json!({"last": 1000}), None).await;
    let conn = gql_data(&body, "cards");
    assert_eq!(
        node_ids(conn),
        ids[5..],
        "last=1000 is clamped to the last 100"
    );
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], true);

    // user.cards has the same limits.
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { cards(first: 1000) { nodes { id } totalCount } } }",
            json!({"id": acc.id}),
            None,
        )
        .await;
    let conn = &gql_data(&body, "user")["cards"];
    assert_eq!(node_ids(conn), ids[..100]);
    assert_eq!(conn["totalCount"], 105);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_page_size_is_clamped_too() {
    // DRF parses any integer and then clamps it; a size past 64 bits is still
    // "over 100", not malformed.
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Huge")).await;
    let ids = reversed(&seed(&app, &acc, 3, None).await);
    for size in ["4294967296", "18446744073709551616", "99999999999999999999"] {
        let r = app
            .get(&format!("/api/cards/?page_size={size}"), None)
            .await;
        assert_eq!(r.status, 200, "page_size={size}: {}", r.body);
        assert_eq!(result_ids(&r.body), ids, "page_size={size}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_list_parameters_are_400_naming_them() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Bad")).await;
    let ids = reversed(&seed(&app, &acc, 3, None).await);
    let cases = [
        (
            "page_size=abc",
            json!({"page_size": [rmsg::NOT_AN_INTEGER]}),
        ),
        (
            "page_size=1.5",
            json!({"page_size": [rmsg::NOT_AN_INTEGER]}),
        ),
        ("page_size=0", json!({"page_size": [rmsg::AT_LEAST_1]})),
        ("page_size=-1", json!({"page_size": [rmsg::AT_LEAST_1]})),
        ("cursor=garbage", json!({"cursor": [rmsg::INVALID_CURSOR]})),
        (
            "cursor=%27%3B%20DROP%20TABLE%20cards%3B--",
            json!({"cursor": [rmsg::INVALID_CURSOR]}),
        ),
        (
            "ordering=title",
            json!({"ordering": [rmsg::INVALID_ORDERING]}),
        ),
        (
            "ordering=-updated_at",
            json!({"ordering": [rmsg::INVALID_ORDERING]}),
        ),
        (
            "page_size=0&cursor=x&ordering=y",
            json!({"page_size": [rmsg::AT_LEAST_1], "cursor": [rmsg::INVALID_CURSOR],
                   "ordering": [rmsg::INVALID_ORDERING]}),
        ),
    ];
    for (query, expected) in cases {
        for base in ["/api/cards/", "/api/profiles/"] {
            let r = app.get(&format!("{base}?{query}"), None).await;
            assert_invalid(&r, expected.clone());
        }
    }
    // A cursor from the card list is garbage, changed by one character.
    let r = app.get("/api/cards/?page_size=1", None).await;
    let next = r.body["next"].as_str().unwrap().to_string();
    let (_, cursor) = next.split_once("cursor=").unwrap();
    let cursor = cursor.split('&').next().unwrap().to_string();
    let truncated = &cursor[..cursor.len() / 2];
    let r = app
        .get(&format!("/api/cards/?cursor={truncated}"), None)
        .await;
    assert_invalid(&r, json!({"cursor": [rmsg::INVALID_CURSOR]}));

    // An empty cursor is the first page.
    let r = app.get("/api/cards/?cursor=", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(result_ids(&r.body), ids);
    assert_eq!(r.body["previous"], Value::Null);

    let q = "query($first: Int, $last: Int, $after: String, $before: String) { cards(first: $first, last: $last, after: $after, before: $before) { nodes { id } } }";
    for vars in [
        json!({"first": -1}),
        json!({"last": -5}),
        json!({"after": "garbage"}),
        json!({"last": 2, "before": "garbage"}),
    ] {
        let body = app.gql(q, vars.clone(), None).await;
        assert_gql_code(&body, "BAD_USER_INPUT");
        assert!(
            body["data"].is_null() || body["data"]["cards"].is_null(),
            "{vars}: {body}"
        );
    }
    let body = app
        .gql("{ profiles(first: -1) { nodes { id } } }", json!({}), None)
        .await;
    assert_gql_code(&body, "BAD_USER_INPUT");
}
