//! Walking GraphQL connections: `first`/`after` forwards, `last`/`before`
//! backwards, both orders, and while cards arrive.

use super::*;

const PAGE: &str = "edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

/// One `cards` page with the given arguments; returns the connection.
async fn cards_page(app: &TestApp, args: Value, token: Option<&str>) -> Value {
    let query = format!(
        "query($first: Int, $after: String, $last: Int, $before: String, $order: CardOrder) {{
           cards(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {{ {PAGE} totalCount }}
         }}"
    );
    let body = app.gql(&query, args, token).await;
    gql_data(&body, "cards").clone()
}

/// Checks the edges and nodes of a page agree, and the cursors in pageInfo.
#[track_caller]
fn check_page(conn: &Value) -> Vec<String> {
    let ids = node_ids(conn);
    let edges = conn["edges"].as_array().expect("edges");
    let edge_ids: Vec<String> = edges.iter().map(|e| id_of(&e["node"])).collect();
    assert_eq!(edge_ids, ids, "edges and nodes list the same items");
    if let (Some(first), Some(last)) = (edges.first(), edges.last()) {
        assert_eq!(conn["pageInfo"]["startCursor"], first["cursor"]);
        assert_eq!(conn["pageInfo"]["endCursor"], last["cursor"]);
    }
    ids
}

/// Walks forwards with `first`/`after`.
async fn walk_forwards(
    app: &TestApp,
    first: i64,
    order: Value,
    token: Option<&str>,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    for page in 0.. {
        assert!(page < 500, "the walk does not end");
        let conn = cards_page(
            app,
            json!({"first": first, "after": after, "order": order}),
            token,
        )
        .await;
        if page == 0 {
            assert_eq!(
                conn["pageInfo"]["hasPreviousPage"], false,
                "first page: {conn}"
            );
        }
        seen.extend(check_page(&conn));
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
        assert!(
            after.is_string(),
            "a page with more has an endCursor: {conn}"
        );
    }
    seen
}

/// Walks backwards with `last`/`before` from the end; returns the items in
/// list order.
async fn walk_backwards(
    app: &TestApp,
    last: i64,
    order: Value,
    token: Option<&str>,
) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut before = Value::Null;
    for page in 0.. {
        assert!(page < 500, "the walk does not end");
        let conn = cards_page(
            app,
            json!({"last": last, "before": before, "order": order}),
            token,
        )
        .await;
        if page == 0 {
            assert_eq!(
                conn["pageInfo"]["hasNextPage"], false,
                "the last page: {conn}"
            );
        }
        let ids = check_page(&conn);
        assert!(ids.len() as i64 <= last);
        pages.push(ids);
        if conn["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = conn["pageInfo"]["startCursor"].clone();
    }
    pages.reverse();
    pages.concat()
}

fn asc() -> Value {
    json!({"field": "CREATED_AT", "direction": "ASC"})
}

fn desc() -> Value {
    json!({"field": "CREATED_AT", "direction": "DESC"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_and_backwards_visit_every_readable_card_once() {
    let app = TestApp::spawn().await;
    let (alice, bob, all, private) = two_authors(&app, 23).await;
    let public = without(&all, &private);
    let cases = [
        ("anonymous", None, public.clone()),
        ("bob", Some(bob.access.as_str()), public.clone()),
        ("alice", Some(alice.access.as_str()), all.clone()),
    ];
    for (who, token, oldest_first) in cases {
        let newest_first = reversed(&oldest_first);
        for size in [1, 4, 7, 100] {
            assert_eq!(
                walk_forwards(&app, size, Value::Null, token).await,
                newest_first,
                "{who} first={size}"
            );
            assert_eq!(
                walk_forwards(&app, size, desc(), token).await,
                newest_first,
                "{who} DESC first={size}"
            );
            assert_eq!(
                walk_forwards(&app, size, asc(), token).await,
                oldest_first,
                "{who} ASC first={size}"
            );
            assert_eq!(
                walk_backwards(&app, size, Value::Null, token).await,
                newest_first,
                "{who} last={size}"
            );
            assert_eq!(
                walk_backwards(&app, size, asc(), token).await,
                oldest_first,
                "{who} ASC last={size}"
            );
        }
        let conn = cards_page(&app, json!({"first": 2}), token).await;
        assert_eq!(
            conn["totalCount"],
            oldest_first.len(),
            "{who}: totalCount counts every page"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_and_before_bracket_a_page() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Br")).await;
    let ids = reversed(&seed(&app, &acc, 9, None).await);
    let conn = cards_page(&app, json!({"first": 9}), None).await;
    let cursors: Vec<Value> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cursor"].clone())
        .collect();
    // After the 3rd, 2 items: the 4th and 5th.
    let page = cards_page(&app, json!({"first": 2, "after": cursors[2]}), None).await;
    assert_eq!(node_ids(&page), ids[3..5]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    // Before the 6th, 2 items: the 4th and 5th.
    let page = cards_page(&app, json!({"last": 2, "before": cursors[5]}), None).await;
    assert_eq!(node_ids(&page), ids[3..5]);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    // After the last: nothing.
    let page = cards_page(&app, json!({"first": 5, "after": cursors[8]}), None).await;
    assert!(node_ids(&page).is_empty());
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    // Before the first: nothing.
    let page = cards_page(&app, json!({"last": 5, "before": cursors[0]}), None).await;
    assert!(node_ids(&page).is_empty());
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
    // A cursor still works after its card is deleted.
    let r = app
        .delete(&format!("/api/cards/{}/", ids[2]), Some(&acc.access))
        .await;
    assert_eq!(r.status, 204);
    let page = cards_page(&app, json!({"first": 2, "after": cursors[2]}), None).await;
    assert_eq!(node_ids(&page), ids[3..5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walking_while_cards_arrive_sees_each_existing_card_once() {
    let app = TestApp::spawn().await;
    let (alice, bob, all, private) = two_authors(&app, 25).await;
    let public = without(&all, &private);
    for (order, expected, newest_first) in [
        (desc(), reversed(&public), true),
        (asc(), public.clone(), false),
    ] {
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut inserter = None;
        for _ in 0..200 {
            let conn = cards_page(
                &app,
                json!({"first": 4, "after": after, "order": order}),
                None,
            )
            .await;
            // Cards arrive from here on: after the first page, before the last.
            inserter.get_or_insert_with(|| Inserter::start(&app, &bob));
            seen.extend(check_page(&conn));
            app.card(&alice.access, "between pages", "public").await;
            if conn["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        let inserter = inserter.expect("the walk fetched a page");
        assert!(
            !inserter.stop().await.is_empty(),
            "the background inserter ran"
        );
        assert_unique(&seen);
        assert_eq!(known(&seen, &public), expected);
        assert!(
            seen.iter().all(|id| !private.contains(id)),
            "no private card leaked"
        );
        if newest_first {
            assert_eq!(seen, expected, "newer cards sort before the first page");
        } else {
            assert_eq!(seen[..expected.len()], expected[..]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_connection_walks_both_ways() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let acc = app.register(&unique(&format!("P{i}"))).await;
        ids.push(id_of(&app.create_profile(&acc.access, json!({})).await));
    }
    let newest_first = reversed(&ids);
    let query = "query($first: Int, $after: String, $last: Int, $before: String) {
        profiles(first: $first, after: $after, last: $last, before: $before) {
          nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .gql(query, json!({"first": 3, "after": after}), None)
            .await;
        let conn = gql_data(&body, "profiles");
        seen.extend(node_ids(conn));
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
        assert!(seen.len() <= ids.len());
    }
    assert_eq!(seen, newest_first);
    let mut pages = Vec::new();
    let mut before = Value::Null;
    loop {
        let body = app
            .gql(query, json!({"last": 3, "before": before}), None)
            .await;
        let conn = gql_data(&body, "profiles");
        pages.push(node_ids(conn));
        if conn["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = conn["pageInfo"]["startCursor"].clone();
        assert!(pages.len() <= ids.len());
    }
    pages.reverse();
    assert_eq!(pages.concat(), newest_first);
    let (rest_seen, _) = walk_next(&app, "/api/profiles/?page_size=2", None).await;
    assert_eq!(rest_seen, newest_first);
}
