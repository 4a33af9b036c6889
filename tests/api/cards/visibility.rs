//! A private card is invisible to everyone but its owner and staff: by id, in
//! lists, in search, in filters, in `user.cards` and in counts.

use super::*;

struct World {
    alice: Account,
    bob: Account,
    staff: Account,
    /// Alice's public card, her private one, Bob's public one (creation order).
    a_pub: String,
    a_priv: String,
    b_pub: String,
}

async fn world(app: &TestApp) -> World {
    let alice = app.register(&unique("Alice")).await;
    let bob = app.register(&unique("Bob")).await;
    let staff = app.register_staff("Staff").await;
    let a_pub = id_of(
        &app.create_card(
            &alice.access,
            json!({"title": "shared news", "body": "hello"}),
        )
        .await,
    );
    let a_priv = id_of(
        &app.create_card(
            &alice.access,
            json!({"title": "secret diary", "body": "shared hello", "visibility": "private"}),
        )
        .await,
    );
    let b_pub = id_of(
        &app.create_card(&bob.access, json!({"title": "bob says", "body": "shared"}))
            .await,
    );
    World {
        alice,
        bob,
        staff,
        a_pub,
        a_priv,
        b_pub,
    }
}

/// Who is asking, and which cards they should see (newest first).
fn viewers(w: &World) -> Vec<(&'static str, Option<&str>, Vec<String>)> {
    let all = vec![w.b_pub.clone(), w.a_priv.clone(), w.a_pub.clone()];
    let public = vec![w.b_pub.clone(), w.a_pub.clone()];
    vec![
        ("anonymous", None, public.clone()),
        ("bob", Some(w.bob.access.as_str()), public),
        ("alice", Some(w.alice.access.as_str()), all.clone()),
        ("staff", Some(w.staff.access.as_str()), all),
    ]
}

fn only(ids: &[String], keep: &[&String]) -> Vec<String> {
    ids.iter().filter(|i| keep.contains(i)).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_id_in_lists_and_counts() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    for (who, token, expected) in viewers(&w) {
        let can_see = expected.contains(&w.a_priv);
        let r = app.get(&card_path(&w.a_priv), token).await;
        if can_see {
            assert_eq!(r.status, 200, "{who}: {r:?}");
        } else {
            assert_not_found(&r);
        }
        let body = gql_card(&app, token, &w.a_priv).await;
        assert_eq!(!gql_data(&body, "card").is_null(), can_see, "{who}: {body}");

        assert_eq!(
            listed(&app, "/api/cards/", token).await,
            expected,
            "{who}: list"
        );
        let body = app
            .gql(
                "{ cards { nodes { id } edges { node { id } } totalCount } }",
                json!({}),
                token,
            )
            .await;
        let conn = gql_data(&body, "cards");
        assert_eq!(node_ids(conn), expected, "{who}: GraphQL list");
        let edge_ids: Vec<&Value> = conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"]["id"])
            .collect();
        assert_eq!(edge_ids.len(), expected.len(), "{who}: edges");
        assert_eq!(conn["totalCount"], expected.len(), "{who}: totalCount");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_search_and_filters() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    for (who, token, expected) in viewers(&w) {
        // "shared" is in all three cards (title or body).
        assert_eq!(
            listed(&app, "/api/cards/?search=shared", token).await,
            expected,
            "{who}: search"
        );
        assert_eq!(
            gql_listed(&app, "(filter: {search: \"SHARED\"})", token).await,
            expected,
            "{who}: GraphQL search"
        );
        let diary = listed(&app, "/api/cards/?search=diary", token).await;
        assert_eq!(diary, only(&expected, &[&w.a_priv]), "{who}: search diary");

        let by_alice = only(&expected, &[&w.a_pub, &w.a_priv]);
        let path = format!("/api/cards/?owner={}", w.alice.id);
        assert_eq!(
            listed(&app, &path, token).await,
            by_alice,
            "{who}: owner filter"
        );
        let args = format!("(filter: {{owner: \"{}\"}})", w.alice.id);
        assert_eq!(
            gql_listed(&app, &args, token).await,
            by_alice,
            "{who}: GraphQL owner"
        );

        let private = only(&expected, &[&w.a_priv]);
        assert_eq!(
            listed(&app, "/api/cards/?visibility=private", token).await,
            private,
            "{who}: visibility filter"
        );
        assert_eq!(
            gql_listed(&app, "(filter: {visibility: PRIVATE})", token).await,
            private,
            "{who}: GraphQL visibility"
        );
        let path = format!(
            "/api/cards/?visibility=private&owner={}&search=diary",
            w.alice.id
        );
        assert_eq!(
            listed(&app, &path, token).await,
            private,
            "{who}: all filters"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_user_cards() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let query =
        "query($id: ID!) { user(id: $id) { username cards { nodes { id ownerId } totalCount } } }";
    for (who, token, expected) in viewers(&w) {
        let body = app.gql(query, json!({"id": w.alice.id}), token).await;
        let user = gql_data(&body, "user");
        assert_eq!(user["username"], w.alice.username.as_str());
        let alice_cards = only(&expected, &[&w.a_pub, &w.a_priv]);
        assert_eq!(node_ids(&user["cards"]), alice_cards, "{who}: user.cards");
        assert_eq!(user["cards"]["totalCount"], alice_cards.len(), "{who}");
        for n in user["cards"]["nodes"].as_array().unwrap() {
            assert_eq!(n["ownerId"], w.alice.id.as_str());
        }
        let body = app
            .gql(
                "query($id: ID!) { user(id: $id) { cards(filter: {visibility: PRIVATE}) { nodes { id } } } }",
                json!({"id": w.alice.id}),
                token,
            )
            .await;
        assert_eq!(
            node_ids(&gql_data(&body, "user")["cards"]),
            only(&expected, &[&w.a_priv]),
            "{who}: user.cards private"
        );
    }
    // `me.cards` for Alice includes her private card.
    let body = app
        .gql(
            "{ me { cards { nodes { id } } } }",
            json!({}),
            Some(&w.alice.access),
        )
        .await;
    assert_eq!(
        node_ids(&gql_data(&body, "me")["cards"]),
        [w.a_priv.clone(), w.a_pub.clone()]
    );
}
