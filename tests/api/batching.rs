//! Nested GraphQL fields are batched: a page of cards with their owners and the
//! owners' profiles costs the same, small number of SQL statements whether it
//! holds 10 cards or 100, from one owner or many.

use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, gql_data, id_of, node_ids, unique};

/// The most statements a page of cards with owners and profiles may cost.
const MAX_STATEMENTS: u64 = 8;

const PAGE_WITH_OWNERS: &str = "{ cards(first: 100) { nodes { id ownerUsername owner { username profile { displayName } } } } }";

/// Users with profiles (display name "Name of <username>").
async fn owners(app: &TestApp, n: usize) -> Vec<Account> {
    let mut out = Vec::new();
    for _ in 0..n {
        let acc = app.register(&unique("Own")).await;
        app.create_profile(
            &acc.access,
            json!({"display_name": format!("Name of {}", acc.username)}),
        )
        .await;
        out.push(acc);
    }
    out
}

/// Cards spread round-robin over the owners.
async fn cards(app: &TestApp, owners: &[Account], n: usize) {
    for i in 0..n {
        let acc = &owners[i % owners.len()];
        app.card(&acc.access, &format!("card {i}"), "public").await;
    }
}

/// Runs `query` anonymously and returns its body and the fewest statements it
/// cost over five runs (so a background statement, or a batch split by a busy
/// machine, cannot inflate it).
async fn cost(app: &TestApp, query: &str, vars: Value) -> (Value, u64) {
    let mut best = u64::MAX;
    let mut body = Value::Null;
    for _ in 0..5 {
        let before = app.sql_statements();
        body = app.gql(query, vars.clone(), None).await;
        let spent = app.sql_statements() - before;
        assert!(body.get("errors").is_none(), "{body}");
        best = best.min(spent);
    }
    (body, best)
}

/// Every node's owner and profile agree with the card.
#[track_caller]
fn check_nodes(body: &Value, expected: usize) {
    let nodes = gql_data(body, "cards")["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), expected);
    for n in nodes {
        let username = n["ownerUsername"].as_str().unwrap();
        assert_eq!(n["owner"]["username"], username);
        assert_eq!(
            n["owner"]["profile"]["displayName"],
            format!("Name of {username}"),
            "{n}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_cards_with_owners_costs_constant_statements() {
    let app = TestApp::spawn().await;
    let first_owners = owners(&app, 2).await;
    cards(&app, &first_owners, 10).await;
    let (body, small) = cost(&app, PAGE_WITH_OWNERS, json!({})).await;
    check_nodes(&body, 10);

    let mut all_owners = first_owners;
    all_owners.extend(owners(&app, 8).await);
    cards(&app, &all_owners, 90).await;
    let (body, large) = cost(&app, PAGE_WITH_OWNERS, json!({})).await;
    check_nodes(&body, 100);
    let distinct: std::collections::BTreeSet<&str> = gql_data(&body, "cards")["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["ownerUsername"].as_str().unwrap())
        .collect();
    assert_eq!(distinct.len(), 10, "ten different owners on the page");

    assert!(small > 0, "the statement counter counts");
    assert_eq!(
        small, large,
        "10 cards from 2 owners vs 100 cards from 10 owners"
    );
    assert!(large <= MAX_STATEMENTS, "{large} statements for one page");
    assert_eq!(
        large, 1,
        "the page, its owners and their profiles: one statement"
    );

    // Cards only, and cards with owners only, cost no more.
    let (_, bare) = cost(
        &app,
        "{ cards(first: 100) { nodes { id title } } }",
        json!({}),
    )
    .await;
    let (_, with_owner) = cost(
        &app,
        "{ cards(first: 100) { nodes { id owner { id username } } } }",
        json!({}),
    )
    .await;
    assert!(
        bare <= with_owner && with_owner <= large,
        "{bare} <= {with_owner} <= {large}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_without_profiles_are_batched_too() {
    let app = TestApp::spawn().await;
    let mut many = Vec::new();
    for _ in 0..12 {
        many.push(app.register(&unique("Np")).await);
    }
    cards(&app, &many[..1], 10).await;
    let q = "{ cards(first: 100) { nodes { owner { username profile { displayName } } } } }";
    let (body, one_owner) = cost(&app, q, json!({})).await;
    assert!(gql_data(&body, "cards")["nodes"][0]["owner"]["profile"].is_null());
    cards(&app, &many, 90).await;
    let (body, twelve) = cost(&app, q, json!({})).await;
    let nodes = gql_data(&body, "cards")["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 100);
    assert!(nodes.iter().all(|n| n["owner"]["profile"].is_null()));
    assert_eq!(
        one_owner, twelve,
        "10 cards of 1 owner vs 100 cards of 12 owners, none with a profile"
    );
    assert!(twelve <= MAX_STATEMENTS, "{twelve}");

    // One owner gets a profile: theirs shows, the others' stay null.
    app.create_profile(&many[0].access, json!({"display_name": "First"}))
        .await;
    let (body, mixed) = cost(&app, q, json!({})).await;
    assert_eq!(mixed, twelve, "{body}");
    for n in gql_data(&body, "cards")["nodes"].as_array().unwrap() {
        let profile = &n["owner"]["profile"];
        if n["owner"]["username"] == many[0].username.as_str() {
            assert_eq!(profile["displayName"], "First", "{n}");
        } else {
            assert!(profile.is_null(), "{n}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_with_users_cost_constant_statements() {
    let app = TestApp::spawn().await;
    let q =
        "{ profiles(first: 100) { nodes { id displayName user { username profile { id } } } } }";
    owners(&app, 3).await;
    let (body, few) = cost(&app, q, json!({})).await;
    assert_eq!(
        gql_data(&body, "profiles")["nodes"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    owners(&app, 12).await;
    let (body, many) = cost(&app, q, json!({})).await;
    let nodes = gql_data(&body, "profiles")["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 15);
    for n in nodes {
        assert_eq!(
            n["displayName"],
            format!("Name of {}", n["user"]["username"].as_str().unwrap())
        );
        assert_eq!(n["user"]["profile"]["id"], n["id"]);
    }
    assert_eq!(few, many, "3 profiles vs 15 profiles, with their users");
    assert!(many <= MAX_STATEMENTS, "{many}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_user_cards_profile_and_profile_user_resolve() {
    let app = TestApp::spawn().await;
    let owner = owners(&app, 1).await.remove(0);
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(id_of(
            &app.card(&owner.access, &format!("c{i}"), "public").await,
        ));
    }
    ids.reverse();
    let body = app
        .gql(
            "query($id: ID!) { user(id: $id) { username cards(first: 5) { nodes { id owner { id } } pageInfo { hasNextPage } } profile { id displayName user { id } } } }",
            json!({"id": owner.id}),
            None,
        )
        .await;
    let user = gql_data(&body, "user");
    assert_eq!(user["username"], owner.username.as_str());
    assert_eq!(node_ids(&user["cards"]), ids[..5]);
    assert_eq!(user["cards"]["pageInfo"]["hasNextPage"], true);
    assert!(
        user["cards"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["owner"]["id"] == owner.id.as_str())
    );
    assert_eq!(
        user["profile"]["displayName"],
        format!("Name of {}", owner.username)
    );
    assert_eq!(user["profile"]["user"]["id"], owner.id.as_str());

    let profile_id = user["profile"]["id"].as_str().unwrap().to_string();
    let body = app
        .gql(
            "query($id: ID!) { profile(id: $id) { id user { username cards(first: 2) { nodes { id } } } } }",
            json!({"id": profile_id}),
            None,
        )
        .await;
    let p = gql_data(&body, "profile");
    assert_eq!(p["user"]["username"], owner.username.as_str());
    assert_eq!(node_ids(&p["user"]["cards"]), ids[..2]);

    // `user.cards` across a page of cards answers per user.
    let other = owners(&app, 1).await.remove(0);
    let theirs = id_of(&app.card(&other.access, "theirs", "public").await);
    let body = app
        .gql("{ cards(first: 20) { nodes { ownerId owner { cards(first: 10) { nodes { ownerId } } } } } }", json!({}), None)
        .await;
    let nodes = gql_data(&body, "cards")["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 8);
    for n in nodes {
        let theirs_count = n["owner"]["cards"]["nodes"].as_array().unwrap().len();
        assert!(
            n["owner"]["cards"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["ownerId"] == n["ownerId"])
        );
        let expected = if n["ownerId"] == other.id.as_str() {
            1
        } else {
            7
        };
        assert_eq!(theirs_count, expected, "{n}");
    }
    assert!(!theirs.is_empty());
}

/// A page of cards with their conversation: reply counts, reactions and the
/// first three replies of each with their authors.
const PAGE_WITH_THREADS: &str = "{ cards(first: 100) { nodes { id replyCount reactions { emoji count reacted } replies(first: 3) { nodes { body author { username } } pageInfo { hasNextPage } } } } }";

/// `n` cards by `owner`, each with four replies (by the owner and `talker`,
/// alternating) and a 👍 from each of them.
async fn conversations(app: &TestApp, owner: &Account, talker: &Account, n: usize) {
    for i in 0..n {
        let card = id_of(
            &app.card(&owner.access, &format!("talk {i}"), "public")
                .await,
        );
        for j in 0..4 {
            let who = if j % 2 == 0 { owner } else { talker };
            let r = app
                .post(
                    &format!("/api/cards/{card}/replies/"),
                    json!({"body": format!("{i}.{j}")}),
                    Some(&who.access),
                )
                .await;
            assert_eq!(r.status, 201);
        }
        for who in [owner, talker] {
            let r = app
                .post(
                    &format!("/api/cards/{card}/reactions/"),
                    json!({"emoji": "👍"}),
                    Some(&who.access),
                )
                .await;
            assert_eq!(r.status, 201);
        }
    }
}

#[track_caller]
fn check_threads(body: &Value, expected: usize, owner: &Account, talker: &Account) {
    let nodes = gql_data(body, "cards")["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), expected);
    for n in nodes {
        assert_eq!(n["replyCount"], 4, "{n}");
        assert_eq!(
            n["reactions"],
            json!([{"emoji": "👍", "count": 2, "reacted": false}])
        );
        let replies = n["replies"]["nodes"].as_array().unwrap();
        let bodies: Vec<&str> = replies
            .iter()
            .map(|r| r["body"].as_str().unwrap())
            .collect();
        let prefix = bodies[0].split('.').next().unwrap();
        assert_eq!(
            bodies,
            [0, 1, 2].map(|j| format!("{prefix}.{j}")),
            "the first three, oldest first, of this card only"
        );
        let authors: Vec<&str> = replies
            .iter()
            .map(|r| r["author"]["username"].as_str().unwrap())
            .collect();
        assert_eq!(
            authors,
            [&owner.username, &talker.username, &owner.username]
        );
        assert_eq!(n["replies"]["pageInfo"]["hasNextPage"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_conversations_costs_constant_statements() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("Talk")).await;
    let talker = app.register(&unique("Back")).await;
    conversations(&app, &owner, &talker, 10).await;
    let (body, small) = cost(&app, PAGE_WITH_THREADS, json!({})).await;
    check_threads(&body, 10, &owner, &talker);

    conversations(&app, &owner, &talker, 90).await;
    let (body, large) = cost(&app, PAGE_WITH_THREADS, json!({})).await;
    check_threads(&body, 100, &owner, &talker);
    assert_eq!(small, large, "10 conversations vs 100");
    assert!(large <= MAX_STATEMENTS, "{large} statements for one page");

    // REST: the page and its reaction summaries, whatever the page size.
    // The fewest statements over five runs, as `cost` does: a background
    // statement (the outbox's poll, a pool ping) must not count.
    let rest_cost = |path: &'static str| {
        let app = &app;
        async move {
            let mut best = u64::MAX;
            let mut last = None;
            for _ in 0..5 {
                let before = app.sql_statements();
                let r = app.get(path, None).await;
                assert_eq!(r.status, 200);
                best = best.min(app.sql_statements() - before);
                last = Some(r);
            }
            (last.unwrap(), best)
        }
    };
    let (few, few_cost) = rest_cost("/api/cards/?page_size=10").await;
    let (all, all_cost) = rest_cost("/api/cards/?page_size=100").await;
    assert_eq!(few.body["results"].as_array().unwrap().len(), 10);
    assert_eq!(all.body["results"][99]["reactions"][0]["count"], 2);
    assert_eq!(all.body["results"][99]["reply_count"], 4);
    assert_eq!(few_cost, all_cost, "REST pages of 10 and 100");
    assert!(all_cost <= 3, "{all_cost}");
}
