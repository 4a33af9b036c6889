//! Replies: a card's thread through both doors — permissions that follow the
//! card, validation, paging oldest first, counts, cascades.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_gql_code, assert_gql_fields, id_of, unique};

fn thread(card: &str) -> String {
    format!("/api/cards/{card}/replies/")
}

fn reply_path(card: &str, reply: &str) -> String {
    format!("/api/cards/{card}/replies/{reply}/")
}

async fn reply(app: &TestApp, token: &str, card: &str, body: &str) -> Value {
    let r = app
        .post(&thread(card), json!({"body": body}), Some(token))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
}

#[tokio::test]
async fn a_thread_over_rest() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let other = app.register(&unique("other")).await;
    let card = id_of(&app.card(&owner.access, "public card", "public").await);

    let r = app
        .post(
            &thread(&card),
            json!({"body": "  first  "}),
            Some(&other.access),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["body"], "first", "stored trimmed");
    assert_eq!(r.body["author_username"], other.username.as_str());
    assert_eq!(r.body["card_id"], card.as_str());
    let first = id_of(&r.body);
    assert!(
        r.header("location")
            .unwrap()
            .ends_with(&reply_path(&card, &first))
    );
    let mut keys: Vec<String> = r.body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "author_id",
            "author_username",
            "body",
            "card_id",
            "created_at",
            "id",
            "updated_at"
        ]
    );
    for i in 2..=25 {
        reply(&app, &owner.access, &card, &format!("reply {i}")).await;
    }
    // Oldest first, pages without duplicates; `-created_at` reverses.
    let mut seen = Vec::new();
    let mut next = Some(app.url(&format!("{}?page_size=10", thread(&card))));
    while let Some(url) = next {
        let page = app.get_url(&url, None).await;
        assert_eq!(page.status, 200, "{page:?}");
        for item in page.body["results"].as_array().unwrap() {
            seen.push(item["body"].as_str().unwrap().to_string());
        }
        next = page.body["next"].as_str().map(str::to_string);
    }
    let expected: Vec<String> = std::iter::once("first".to_string())
        .chain((2..=25).map(|i| format!("reply {i}")))
        .collect();
    assert_eq!(seen, expected);
    let newest = app
        .get(
            &format!("{}?ordering=-created_at&page_size=1", thread(&card)),
            None,
        )
        .await;
    assert_eq!(newest.body["results"][0]["body"], "reply 25");
    assert_eq!(
        app.get(&format!("/api/cards/{card}/"), None).await.body["reply_count"],
        25
    );

    // Edit: the author (PATCH, PUT), not the card's owner; delete: the card's owner too.
    let path = reply_path(&card, &first);
    assert_eq!(
        app.patch(&path, json!({"body": "mine"}), Some(&owner.access))
            .await
            .status,
        403
    );
    let r = app
        .patch(&path, json!({"body": "edited"}), Some(&other.access))
        .await;
    assert_eq!((r.status, &r.body["body"]), (200, &json!("edited")));
    let r = app.put(&path, json!({}), Some(&other.access)).await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({"body": ["This field is required."]}))
    );
    assert_eq!(app.get(&path, None).await.body["body"], "edited");
    assert_eq!(app.delete(&path, None).await.status, 401);
    assert_eq!(app.delete(&path, Some(&owner.access)).await.status, 204);
    assert_eq!(app.get(&path, None).await.status, 404);
    assert_eq!(
        app.get(&format!("/api/cards/{card}/"), None).await.body["reply_count"],
        24
    );
    // A reply under another card's path is not found; bad ids are 404.
    let elsewhere = id_of(&app.card(&owner.access, "another", "public").await);
    let some = app.get(&thread(&card), None).await.body["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get(&reply_path(&elsewhere, &some), None).await.status,
        404
    );
    assert_eq!(app.get(&reply_path(&card, "nope"), None).await.status, 404);
    assert_eq!(app.get("/api/cards/nope/replies/", None).await.status, 404);
}

#[tokio::test]
async fn reply_bodies_are_validated() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("writer")).await;
    let card = id_of(&app.card(&acc.access, "c", "public").await);
    let cases = [
        (json!({}), "This field is required."),
        (json!({"body": null}), "This field may not be null."),
        (json!({"body": "   "}), "This field may not be blank."),
        (
            json!({"body": "a\u{0}b"}),
            "Null characters are not allowed.",
        ),
        (
            json!({"body": "x".repeat(2001)}),
            "Ensure this field has no more than 2000 characters.",
        ),
    ];
    for (body, message) in cases {
        let r = app
            .post(&thread(&card), body.clone(), Some(&acc.access))
            .await;
        assert_eq!(
            (r.status, r.body),
            (400, json!({"body": [message]})),
            "{body}"
        );
    }
    let r = app
        .post(
            &thread(&card),
            json!({"body": "é".repeat(2000)}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 201, "2000 characters fit");
    let r = app.post(&thread(&card), json!({"body": "x"}), None).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_private_cards_thread_is_invisible_to_others() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let other = app.register(&unique("other")).await;
    let staff = app.register_staff("staff").await;
    let card = id_of(&app.card(&owner.access, "secret", "private").await);
    let mine = id_of(&reply(&app, &owner.access, &card, "note to self").await);
    for token in [None, Some(other.access.as_str())] {
        assert_eq!(app.get(&thread(&card), token).await.status, 404);
        assert_eq!(app.get(&reply_path(&card, &mine), token).await.status, 404);
    }
    let r = app
        .post(&thread(&card), json!({"body": "hi"}), Some(&other.access))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.patch(
            &reply_path(&card, &mine),
            json!({"body": "x"}),
            Some(&other.access)
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.delete(&reply_path(&card, &mine), Some(&other.access))
            .await
            .status,
        404
    );
    let body = app
        .gql(
            "mutation($c: ID!) { createReply(cardId: $c, input: {body: \"hi\"}) { id } }",
            json!({"c": card}),
            Some(&other.access),
        )
        .await;
    assert_gql_code(&body, "NOT_FOUND");
    // Staff read and moderate it.
    assert_eq!(
        app.get(&thread(&card), Some(&staff.access)).await.status,
        200
    );
    let r = app
        .patch(
            &reply_path(&card, &mine),
            json!({"body": "moderated"}),
            Some(&staff.access),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn deleting_a_card_or_an_author_deletes_their_replies() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let talker = app.register(&unique("talker")).await;
    let card = id_of(&app.card(&owner.access, "c", "public").await);
    reply(&app, &owner.access, &card, "from the owner").await;
    let gone = id_of(&reply(&app, &talker.access, &card, "from the talker").await);
    app.delete_user(&talker.id).await;
    assert_eq!(app.get(&reply_path(&card, &gone), None).await.status, 404);
    let card_now = app.get(&format!("/api/cards/{card}/"), None).await.body;
    assert_eq!(card_now["reply_count"], 1, "the count follows the cascade");
    let kept = id_of(&app.get(&thread(&card), None).await.body["results"][0]);
    assert_eq!(
        app.delete(&format!("/api/cards/{card}/"), Some(&owner.access))
            .await
            .status,
        204
    );
    assert_eq!(app.get(&reply_path(&card, &kept), None).await.status, 404);
    assert_eq!(app.get(&thread(&card), None).await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replies_are_all_counted() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let card = id_of(&app.card(&owner.access, "busy", "public").await);
    let mut writers = Vec::new();
    for _ in 0..4 {
        writers.push(app.register(&unique("w")).await);
    }
    let mut tasks = Vec::new();
    for (w, acc) in writers.iter().enumerate() {
        for i in 0..10 {
            let (app_url, token, card) =
                (app.url(&thread(&card)), acc.access.clone(), card.clone());
            let client = app.client.clone();
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(app_url)
                    .bearer_auth(token)
                    .json(&json!({"body": format!("{w}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{card}");
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let c = app.get(&format!("/api/cards/{card}/"), None).await.body;
    assert_eq!(c["reply_count"], 40);
    let body = app
        .gql(
            "query($id: ID!) { card(id: $id) { replyCount } }",
            json!({"id": card}),
            None,
        )
        .await;
    assert_eq!(body["data"]["card"]["replyCount"], 40, "{body}");
}

#[tokio::test]
async fn a_thread_over_graphql() {
    let app = TestApp::spawn().await;
    let owner = app.register(&unique("owner")).await;
    let other = app.register(&unique("other")).await;
    let card = id_of(&app.card(&owner.access, "c", "public").await);
    let create = "mutation($c: ID!, $b: String!) { createReply(cardId: $c, input: {body: $b}) { id body authorUsername cardId author { username } card { id replyCount } } }";
    let body = app
        .gql(create, json!({"c": card, "b": " hi "}), Some(&other.access))
        .await;
    let created = &body["data"]["createReply"];
    assert_eq!(created["body"], "hi", "{body}");
    assert_eq!(created["author"]["username"], other.username.as_str());
    assert_eq!(created["card"]["replyCount"], 1);
    let id = created["id"].as_str().unwrap().to_string();
    app.gql(
        create,
        json!({"c": card, "b": "second"}),
        Some(&owner.access),
    )
    .await;
    let body = app
        .gql(
            "query($id: ID!) { card(id: $id) { replyCount replies(first: 1) { totalCount nodes { body } pageInfo { hasNextPage } } newest: replies(first: 1, orderBy: {field: CREATED_AT, direction: DESC}) { nodes { body } } } }",
            json!({"id": card}),
            None,
        )
        .await;
    assert_eq!(
        body["data"]["card"],
        json!({"replyCount": 2, "replies": {"totalCount": 2, "nodes": [{"body": "hi"}], "pageInfo": {"hasNextPage": true}},
               "newest": {"nodes": [{"body": "second"}]}}),
        "{body}"
    );
    let update =
        "mutation($id: ID!, $i: UpdateReplyInput!) { updateReply(id: $id, input: $i) { body } }";
    let body = app
        .gql(
            update,
            json!({"id": id, "i": {"body": null}}),
            Some(&other.access),
        )
        .await;
    assert_gql_fields(&body, json!({"body": ["This field may not be null."]}));
    let body = app
        .gql(
            update,
            json!({"id": id, "i": {"body": "x"}}),
            Some(&owner.access),
        )
        .await;
    assert_gql_code(&body, "FORBIDDEN");
    let body = app
        .gql(
            update,
            json!({"id": id, "i": {"body": "edited"}}),
            Some(&other.access),
        )
        .await;
    assert_eq!(body["data"]["updateReply"]["body"], "edited", "{body}");
    let body = app
        .gql(
            "mutation($id: ID!) { deleteReply(id: $id) }",
            json!({"id": id}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(body["data"]["deleteReply"], id.as_str(), "{body}");
    let body = app
        .gql(
            "mutation { deleteReply(id: \"nope\") }",
            json!({}),
            Some(&owner.access),
        )
        .await;
    assert_gql_code(&body, "NOT_FOUND");
}
