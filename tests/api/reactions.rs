//! Reactions through both doors: one per user per emoji per card, the
//! summary on every card (sorted, `reacted` per caller), the emoji rule,
//! permissions that follow the card, cascades, counts under concurrency.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_gql_code, assert_gql_fields, assert_not_found, assert_unauthorized, gql_data,
    id_of, unique,
};

const NOT_ONE_EMOJI: &str = "Enter a single emoji: one character (grapheme cluster) of at most 16 bytes, without whitespace or control characters.";

fn reactions_path(card: &str) -> String {
    format!("/api/cards/{card}/reactions/")
}

/// `DELETE /api/cards/{card}/reactions/{emoji}/`, the emoji percent-encoded.
fn reaction_path(card: &str, emoji: &str) -> String {
    let encoded: String = emoji
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/api/cards/{card}/reactions/{encoded}/")
}

async fn react(app: &TestApp, token: &str, card: &str, emoji: &str) -> (u16, Value) {
    let r = app
        .post(&reactions_path(card), json!({"emoji": emoji}), Some(token))
        .await;
    (r.status, r.body)
}

/// The card's `reactions` as `token` sees them (REST).
async fn summary(app: &TestApp, card: &str, token: Option<&str>) -> Value {
    let r = app.get(&format!("/api/cards/{card}/"), token).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["reactions"].clone()
}

#[tokio::test]
async fn reactions_over_rest() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let fan = app.register(&unique("fan")).await;
    let card = id_of(&app.card(&owner.access, "react to me", "public").await);

    assert_eq!(summary(&app, &card, None).await, json!([]));
    let (status, body) = react(&app, &fan.access, &card, "👍").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, json!({"emoji": "👍", "count": 1, "reacted": true}));
    let (status, body) = react(&app, &fan.access, &card, "👍").await;
    assert_eq!(
        (status, &body),
        (200, &json!({"emoji": "👍", "count": 1, "reacted": true})),
        "adding again changes nothing"
    );
    let (status, body) = react(&app, &owner.access, &card, "👍").await;
    assert_eq!((status, body["count"].clone()), (201, json!(2)));
    react(&app, &owner.access, &card, "🎉").await;
    react(&app, &fan.access, &card, "❤️").await;

    // Most used first, then by code points (❤ U+2764 < 🎉 U+1F389).
    assert_eq!(
        summary(&app, &card, Some(&fan.access)).await,
        json!([
            {"emoji": "👍", "count": 2, "reacted": true},
            {"emoji": "❤️", "count": 1, "reacted": true},
            {"emoji": "🎉", "count": 1, "reacted": false},
        ])
    );
    assert_eq!(
        summary(&app, &card, Some(&owner.access)).await,
        json!([
            {"emoji": "👍", "count": 2, "reacted": true},
            {"emoji": "❤️", "count": 1, "reacted": false},
            {"emoji": "🎉", "count": 1, "reacted": true},
        ])
    );
    // Anonymous readers see the counts, never `reacted`.
    let anon = summary(&app, &card, None).await;
    assert!(
        anon.as_array()
            .unwrap()
            .iter()
            .all(|r| r["reacted"] == false),
        "{anon}"
    );
    // The list carries the same summaries.
    let page = app.get("/api/cards/", Some(&fan.access)).await;
    assert_eq!(
        page.body["results"][0]["reactions"],
        summary(&app, &card, Some(&fan.access)).await
    );

    // Removing: 204, also when there is nothing to remove; an emoji nobody has is not listed.
    let r = app
        .delete(&reaction_path(&card, "❤️"), Some(&fan.access))
        .await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = app
        .delete(&reaction_path(&card, "❤️"), Some(&fan.access))
        .await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = app
        .delete(&reaction_path(&card, "🎉"), Some(&fan.access))
        .await;
    assert_eq!(
        r.status, 204,
        "someone else's reaction is not the caller's to remove"
    );
    assert_eq!(
        summary(&app, &card, Some(&fan.access)).await,
        json!([
            {"emoji": "👍", "count": 2, "reacted": true},
            {"emoji": "🎉", "count": 1, "reacted": false},
        ])
    );

    // Anonymous writers: 401; unknown or malformed cards: 404.
    let r = app
        .post(&reactions_path(&card), json!({"emoji": "👍"}), None)
        .await;
    assert_unauthorized(&r, "not_authenticated");
    let r = app.delete(&reaction_path(&card, "👍"), None).await;
    assert_unauthorized(&r, "not_authenticated");
    let missing = uuid::Uuid::now_v7().to_string();
    let (status, _) = react(&app, &fan.access, &missing, "👍").await;
    assert_eq!(status, 404);
    assert_not_found(
        &app.delete(&reaction_path(&missing, "👍"), Some(&fan.access))
            .await,
    );
    assert_not_found(
        &app.post(
            "/api/cards/not-a-uuid/reactions/",
            json!({"emoji": "👍"}),
            Some(&fan.access),
        )
        .await,
    );
}

#[tokio::test]
async fn the_emoji_rule() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("emoji")).await;
    let card = id_of(&app.card(&acc.access, "c", "public").await);
    // One grapheme cluster each, at most 16 bytes: a skin tone, a flag, a
    // ZWJ sequence, a variation selector, a plain letter.
    for ok in ["👍🏽", "🇫🇷", "👩‍💻", "❤️", "a"] {
        let (status, body) = react(&app, &acc.access, &card, ok).await;
        assert_eq!(status, 201, "{ok}: {body}");
        assert_eq!(body["emoji"], ok, "stored as sent");
    }
    // Two clusters, one cluster of 18 bytes, whitespace, control characters.
    for bad in ["👍👍", "ab", "👨‍👩‍👧", " 👍", "👍 ", "\u{3000}", "\n", "\u{7}"]
    {
        let r = app
            .post(
                &reactions_path(&card),
                json!({"emoji": bad}),
                Some(&acc.access),
            )
            .await;
        assert_eq!(r.status, 400, "{bad:?}: {r:?}");
        assert_eq!(r.body, json!({"emoji": [NOT_ONE_EMOJI]}), "{bad:?}");
    }
    let cases = [
        (json!({"emoji": ""}), "This field may not be blank."),
        (
            json!({"emoji": "\u{0}"}),
            "Null characters are not allowed.",
        ),
        (json!({"emoji": null}), "This field may not be null."),
        (json!({}), "This field is required."),
        (json!({"emoji": 7}), "Not a valid string."),
        (json!({"emoji": ["👍"]}), "Not a valid string."),
    ];
    for (body, message) in cases {
        let r = app
            .post(&reactions_path(&card), body.clone(), Some(&acc.access))
            .await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.body, json!({"emoji": [message]}), "{body}");
    }
    // A path emoji that breaks the rule: 400 too.
    let r = app
        .delete(&reaction_path(&card, "👍👍"), Some(&acc.access))
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (400, json!({"emoji": [NOT_ONE_EMOJI]}))
    );
    // GraphQL: the same rule and the same messages.
    let add = "mutation($c: ID!, $e: String!) { addReaction(cardId: $c, emoji: $e) { id } }";
    let body = app
        .gql(add, json!({"c": card, "e": "👍👍"}), Some(&acc.access))
        .await;
    assert_gql_fields(&body, json!({"emoji": [NOT_ONE_EMOJI]}));
    let body = app
        .gql(add, json!({"c": card, "e": null}), Some(&acc.access))
        .await;
    assert_gql_fields(&body, json!({"emoji": ["This field may not be null."]}));
    let body = app
        .gql(
            "mutation($c: ID!) { addReaction(cardId: $c, emoji: \"\") { id } }",
            json!({"c": card}),
            Some(&acc.access),
        )
        .await;
    assert_gql_fields(&body, json!({"emoji": ["This field may not be blank."]}));
    // Nothing invalid was stored.
    let stored = summary(&app, &card, None).await;
    assert_eq!(stored.as_array().unwrap().len(), 5, "{stored}");
}

#[tokio::test]
async fn reactions_over_graphql() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let fan = app.register(&unique("fan")).await;
    let card = id_of(&app.card(&owner.access, "c", "public").await);
    let add = "mutation($c: ID!, $e: String!) { addReaction(cardId: $c, emoji: $e) { id replyCount reactions { emoji count reacted } } }";
    let remove = "mutation($c: ID!, $e: String!) { removeReaction(cardId: $c, emoji: $e) { id reactions { emoji count reacted } } }";

    let body = app
        .gql(add, json!({"c": card, "e": "🎉"}), Some(&fan.access))
        .await;
    let c = gql_data(&body, "addReaction");
    assert_eq!(c["id"], card.as_str());
    assert_eq!(
        c["reactions"],
        json!([{"emoji": "🎉", "count": 1, "reacted": true}])
    );
    let body = app
        .gql(add, json!({"c": card, "e": "🎉"}), Some(&fan.access))
        .await;
    assert_eq!(
        gql_data(&body, "addReaction")["reactions"][0]["count"],
        1,
        "idempotent"
    );
    let body = app
        .gql(add, json!({"c": card, "e": "👍"}), Some(&owner.access))
        .await;
    assert_eq!(
        gql_data(&body, "addReaction")["reactions"],
        // Equal counts: by code points (🎉 U+1F389 < 👍 U+1F44D).
        json!([{"emoji": "🎉", "count": 1, "reacted": false}, {"emoji": "👍", "count": 1, "reacted": true}])
    );

    // Lists and single reads agree with REST, per caller.
    let list = app
        .gql(
            "{ cards(first: 5) { nodes { id reactions { emoji count reacted } } } }",
            json!({}),
            Some(&fan.access),
        )
        .await;
    let nodes = &gql_data(&list, "cards")["nodes"];
    assert_eq!(
        nodes[0]["reactions"],
        summary(&app, &card, Some(&fan.access)).await
    );
    let one = app
        .gql(
            "query($id: ID!) { card(id: $id) { reactions { emoji count reacted } } }",
            json!({"id": card}),
            None,
        )
        .await;
    assert_eq!(
        gql_data(&one, "card")["reactions"],
        summary(&app, &card, None).await
    );

    let body = app
        .gql(remove, json!({"c": card, "e": "🎉"}), Some(&fan.access))
        .await;
    assert_eq!(
        gql_data(&body, "removeReaction")["reactions"],
        json!([{"emoji": "👍", "count": 1, "reacted": false}])
    );
    let body = app
        .gql(remove, json!({"c": card, "e": "🎉"}), Some(&fan.access))
        .await;
    assert!(
        body.get("errors").is_none(),
        "removing nothing is fine: {body}"
    );

    // Anonymous: UNAUTHENTICATED; unknown card: NOT_FOUND.
    let body = app.gql(add, json!({"c": card, "e": "👍"}), None).await;
    assert_gql_code(&body, "UNAUTHENTICATED");
    let body = app
        .gql(
            add,
            json!({"c": uuid::Uuid::now_v7().to_string(), "e": "👍"}),
            Some(&fan.access),
        )
        .await;
    assert_gql_code(&body, "NOT_FOUND");
}

#[tokio::test]
async fn a_private_cards_reactions_are_invisible_to_others() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let other = app.register(&unique("other")).await;
    let staff = app.register_staff("staff").await;
    let card = id_of(&app.card(&owner.access, "secret", "private").await);

    let (status, _) = react(&app, &owner.access, &card, "👍").await;
    assert_eq!(status, 201, "the owner reacts to their own private card");
    let (status, _) = react(&app, &staff.access, &card, "👀").await;
    assert_eq!(status, 201, "staff read every card");
    let r = app
        .post(
            &reactions_path(&card),
            json!({"emoji": "👍"}),
            Some(&other.access),
        )
        .await;
    assert_not_found(&r);
    assert_not_found(
        &app.delete(&reaction_path(&card, "👍"), Some(&other.access))
            .await,
    );
    let body = app
        .gql(
            "mutation($c: ID!) { addReaction(cardId: $c, emoji: \"👍\") { id } }",
            json!({"c": card}),
            Some(&other.access),
        )
        .await;
    assert_gql_code(&body, "NOT_FOUND");
    assert_eq!(
        summary(&app, &card, Some(&owner.access))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Made public, the summary shows; made private again, it hides again.
    app.patch(
        &format!("/api/cards/{card}/"),
        json!({"visibility": "public"}),
        Some(&owner.access),
    )
    .await;
    assert_eq!(
        summary(&app, &card, Some(&other.access))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn deleting_a_user_or_a_card_deletes_their_reactions() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let fan = app.register(&unique("fan")).await;
    let card = id_of(&app.card(&owner.access, "c", "public").await);
    react(&app, &owner.access, &card, "👍").await;
    react(&app, &fan.access, &card, "👍").await;
    react(&app, &fan.access, &card, "🎉").await;
    app.delete_user(&fan.id).await;
    assert_eq!(
        summary(&app, &card, Some(&owner.access)).await,
        json!([{"emoji": "👍", "count": 1, "reacted": true}])
    );
    assert_eq!(
        app.delete(&format!("/api/cards/{card}/"), Some(&owner.access))
            .await
            .status,
        204
    );
    let db = app.connect_db().await;
    use sea_orm::{ConnectionTrait, Statement};
    let left = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM reactions",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        left.try_get::<i64>("", "n").unwrap(),
        0,
        "the card's reactions went with it"
    );
}

/// Many users reacting at once (some twice, some removing), through both
/// doors: the final counts are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reactions_are_counted_exactly() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let card = id_of(&app.card(&owner.access, "popular", "public").await);
    let mut users = Vec::new();
    for i in 0..24 {
        users.push(app.register(&unique(&format!("u{i}"))).await);
    }
    let add = "mutation($c: ID!, $e: String!) { addReaction(cardId: $c, emoji: $e) { id } }";
    let (app_ref, card_ref) = (&app, &card);
    // Everyone adds 👍 twice at once (REST and GraphQL) and 🎉 once; every
    // third user removes their 🎉 again. All users at the same time.
    let everyone = users.iter().enumerate().map(|(i, u)| async move {
        let token = u.access.as_str();
        let path = reactions_path(card_ref);
        let a = app_ref.post(&path, json!({"emoji": "👍"}), Some(token));
        let b = app_ref.gql(add, json!({"c": card_ref, "e": "👍"}), Some(token));
        let c = app_ref.post(&path, json!({"emoji": "🎉"}), Some(token));
        let (a, b, c) = tokio::join!(a, b, c);
        assert!(matches!(a.status, 200 | 201), "{a:?}");
        assert!(b.get("errors").is_none(), "{b}");
        assert!(matches!(c.status, 200 | 201), "{c:?}");
        if i % 3 == 0 {
            let r = app_ref
                .delete(&reaction_path(card_ref, "🎉"), Some(token))
                .await;
            assert_eq!(r.status, 204);
        }
    });
    futures_util::future::join_all(everyone).await;
    assert_eq!(
        summary(&app, &card, None).await,
        json!([
            {"emoji": "👍", "count": 24, "reacted": false},
            {"emoji": "🎉", "count": 16, "reacted": false},
        ])
    );
}
