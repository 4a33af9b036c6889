//! The profile list: newest first, `username` filter, `search`, pages, and the
//! same over GraphQL `profiles`.

use super::*;

async fn gql_profiles(app: &TestApp, args: &str) -> Value {
    let query = format!(
        "{{ profiles{args} {{ nodes {{ id username displayName }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} totalCount }} }}"
    );
    app.gql(&query, json!({}), None).await
}

/// Three users with profiles, in creation order.
async fn cast(app: &TestApp) -> Vec<(Account, Value)> {
    let mut out = Vec::new();
    for (prefix, display) in [
        ("Alice", "Alice Liddell"),
        ("Bob", "Robert Builder"),
        ("Carol", "Wonder Carol"),
    ] {
        out.push(user_with_profile(app, prefix, json!({"display_name": display})).await);
    }
    out
}

fn ids(cast: &[(Account, Value)], which: &[usize]) -> Vec<String> {
    which.iter().map(|&i| id_of(&cast[i].1)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_is_newest_first_and_pages() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["next"], Value::Null);
    assert_eq!(r.body["previous"], Value::Null);
    assert_eq!(result_ids(&r.body), ids(&cast, &[2, 1, 0]));
    assert_eq!(r.body["results"][2], cast[0].1);

    let r = app.get("/api/profiles/?ordering=created_at", None).await;
    assert_eq!(result_ids(&r.body), ids(&cast, &[0, 1, 2]));

    let r = app.get("/api/profiles/?page_size=2", None).await;
    assert_eq!(result_ids(&r.body), ids(&cast, &[2, 1]));
    let next = r.body["next"].as_str().expect("a next link").to_string();
    let r2 = app.get_url(&next, None).await;
    assert_eq!(r2.status, 200, "{r2:?}");
    assert_eq!(result_ids(&r2.body), ids(&cast, &[0]));
    assert_eq!(r2.body["next"], Value::Null);
    let prev = r2.body["previous"].as_str().expect("a previous link");
    let back = app.get_url(prev, None).await;
    assert_eq!(result_ids(&back.body), ids(&cast, &[2, 1]));
    assert_eq!(back.body["previous"], Value::Null);

    let body = gql_profiles(&app, "(first: 2)").await;
    let conn = gql_data(&body, "profiles");
    assert_eq!(node_ids(conn), ids(&cast, &[2, 1]));
    assert_eq!(conn["totalCount"], 3);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let after = conn["pageInfo"]["endCursor"].as_str().unwrap();
    let body = gql_profiles(&app, &format!("(first: 2, after: \"{after}\")")).await;
    let conn = gql_data(&body, "profiles");
    assert_eq!(node_ids(conn), ids(&cast, &[0]));
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn username_filter_is_exact_ignoring_case() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let alice = &cast[0].0.username;
    for variant in [alice.clone(), alice.to_uppercase(), alice.to_lowercase()] {
        let r = app
            .get(&format!("/api/profiles/?username={variant}"), None)
            .await;
        assert_eq!(result_ids(&r.body), ids(&cast, &[0]), "username={variant}");
        let body = gql_profiles(&app, &format!("(filter: {{username: \"{variant}\"}})")).await;
        assert_eq!(node_ids(gql_data(&body, "profiles")), ids(&cast, &[0]));
    }
    // A prefix is not the username.
    let prefix = &alice[..alice.len() - 1];
    let r = app
        .get(&format!("/api/profiles/?username={prefix}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(result_ids(&r.body), Vec::<String>::new());
    let r = app.get("/api/profiles/?username=nobody", None).await;
    assert_eq!(result_ids(&r.body), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_matches_every_term_in_username_or_display_name() {
    let app = TestApp::spawn().await;
    let cast = cast(&app).await;
    let cases: [(&str, &[usize]); 8] = [
        ("alice", &[0]),
        ("WONDER", &[2]),
        // Terms may match different fields: "bob" the username, "builder" the name.
        ("bob builder", &[1]),
        ("  robert   BUILDER ", &[1]),
        // Usernames end in hex digits, which hold neither "l", "i" nor "o".
        ("li", &[0]),
        ("o", &[2, 1]),
        ("alice builder", &[]),
        ("%", &[]),
    ];
    for (search, expected) in cases {
        let q: String = form_urlencoded(search);
        let r = app.get(&format!("/api/profiles/?search={q}"), None).await;
        assert_eq!(r.status, 200, "search={search:?}: {r:?}");
        assert_eq!(
            result_ids(&r.body),
            ids(&cast, expected),
            "search={search:?}"
        );
        let body = app
            .gql(
                "query($s: String) { profiles(filter: {search: $s}) { nodes { id } totalCount } }",
                json!({"s": search}),
                None,
            )
            .await;
        let conn = gql_data(&body, "profiles");
        assert_eq!(
            node_ids(conn),
            ids(&cast, expected),
            "GraphQL search={search:?}"
        );
        assert_eq!(
            conn["totalCount"],
            expected.len(),
            "totalCount for {search:?}"
        );
    }
    // Filters combine with search.
    let bob = &cast[1].0.username;
    let r = app
        .get(&format!("/api/profiles/?search=o&username={bob}"), None)
        .await;
    assert_eq!(result_ids(&r.body), ids(&cast, &[1]));
}

/// Percent-encodes a query value.
fn form_urlencoded(value: &str) -> String {
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
async fn list_parameters_are_validated() {
    let app = TestApp::spawn().await;
    cast(&app).await;
    let cases = [
        (
            "page_size=abc",
            json!({"page_size": [rmsg::NOT_AN_INTEGER]}),
        ),
        ("page_size=0", json!({"page_size": [rmsg::AT_LEAST_1]})),
        ("cursor=garbage", json!({"cursor": [rmsg::INVALID_CURSOR]})),
        (
            "ordering=username",
            json!({"ordering": [rmsg::INVALID_ORDERING]}),
        ),
    ];
    for (query, expected) in cases {
        let r = app.get(&format!("/api/profiles/?{query}"), None).await;
        assert_invalid(&r, expected);
    }
    let body = gql_profiles(&app, "(first: -1)").await;
    assert_gql_code(&body, "BAD_USER_INPUT");
}
