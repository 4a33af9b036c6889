//! Card operations through both doors.

use super::*;

// --- GraphQL operations -----------------------------------------------------------

fn create_card(input: Value) -> (String, Value, &'static [&'static str]) {
    (
        format!(
            "mutation($input: CreateCardInput!) {{ createCard(input: $input) {{ {CARD_FIELDS} }} }}"
        ),
        json!({"input": input}),
        &["createCard"],
    )
}

fn update_card(id: &str, input: Value) -> (String, Value, &'static [&'static str]) {
    (
        format!(
            "mutation($id: ID!, $input: UpdateCardInput!) {{ updateCard(id: $id, input: $input) {{ {CARD_FIELDS} }} }}"
        ),
        json!({"id": id, "input": input}),
        &["updateCard"],
    )
}

fn delete_card(id: &str) -> (String, Value, &'static [&'static str]) {
    (
        "mutation($id: ID!) { deleteCard(id: $id) }".into(),
        json!({"id": id}),
        &["deleteCard"],
    )
}

fn card(id: &str) -> (String, Value, &'static [&'static str]) {
    (
        format!("query($id: ID!) {{ card(id: $id) {{ {CARD_FIELDS} }} }}"),
        json!({"id": id}),
        &["card"],
    )
}

fn cards(args: &str) -> (String, Value, &'static [&'static str]) {
    (
        format!("{{ cards{args} {{ nodes {{ {CARD_FIELDS} }} }} }}"),
        json!({}),
        &["cards", "nodes"],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_operations_agree_through_both_doors() {
    let app = TestApp::spawn().await;
    let alice = app.register(&unique("Alice")).await;
    let bob = app.register(&unique("Bob")).await;
    let staff = app.register_staff("Staff").await;
    let a_pub = id_of(
        &app.create_card(&alice.access, json!({"title": "public news", "body": "x"}))
            .await,
    );
    let a_priv = id_of(&app.card(&alice.access, "private news", "private").await);
    let doomed_rest = id_of(&app.card(&alice.access, "doomed 1", "public").await);
    let doomed_gql = id_of(&app.card(&alice.access, "doomed 2", "private").await);
    app.card(&bob.access, "bob news", "public").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let p = |id: &str| format!("/api/cards/{id}/");
    use Method as M;

    let long_title = "t".repeat(201);
    let long_body = "b".repeat(10_001);
    let cases = vec![
        case(
            "create",
            Some(&alice),
            rest(
                M::POST,
                "/api/cards/",
                Some(json!({"title": " Hi ", "body": " b ", "visibility": "private"})),
            ),
            create_card(json!({"title": " Hi ", "body": " b ", "visibility": "PRIVATE"})),
            "OK",
        )
        .compare(MADE_TWICE),
        case(
            "create with defaults",
            Some(&alice),
            rest(M::POST, "/api/cards", Some(json!({"title": "d"}))),
            create_card(json!({"title": "d"})),
            "OK",
        )
        .compare(MADE_TWICE),
        case(
            "create: blank title",
            Some(&alice),
            rest(M::POST, "/api/cards/", Some(json!({"title": "  "}))),
            create_card(json!({"title": "  "})),
            "BAD_USER_INPUT",
        ),
        case(
            "create: long title",
            Some(&alice),
            rest(M::POST, "/api/cards/", Some(json!({"title": long_title}))),
            create_card(json!({"title": long_title})),
            "BAD_USER_INPUT",
        ),
        case(
            "create: long body",
            Some(&alice),
            rest(
                M::POST,
                "/api/cards/",
                Some(json!({"title": "t", "body": long_body})),
            ),
            create_card(json!({"title": "t", "body": long_body})),
            "BAD_USER_INPUT",
        ),
        case(
            "create: NUL",
            Some(&alice),
            rest(M::POST, "/api/cards/", Some(json!({"title": "a\u{0}"}))),
            create_card(json!({"title": "a\u{0}"})),
            "BAD_USER_INPUT",
        ),
        case(
            "create: two errors",
            Some(&alice),
            rest(
                M::POST,
                "/api/cards/",
                Some(json!({"title": "", "body": long_body})),
            ),
            create_card(json!({"title": "", "body": long_body})),
            "BAD_USER_INPUT",
        ),
        case(
            "create anonymously",
            None,
            rest(M::POST, "/api/cards/", Some(json!({"title": "x"}))),
            create_card(json!({"title": "x"})),
            "UNAUTHENTICATED",
        ),
        case(
            "read public anonymously",
            None,
            rest(M::GET, p(&a_pub), None),
            card(&a_pub),
            "OK",
        ),
        case(
            "read private as other",
            Some(&bob),
            rest(M::GET, p(&a_priv), None),
            card(&a_priv),
            "NOT_FOUND",
        ),
        case(
            "read private anonymously",
            None,
            rest(M::GET, p(&a_priv), None),
            card(&a_priv),
            "NOT_FOUND",
        ),
        case(
            "read private as owner",
            Some(&alice),
            rest(M::GET, p(&a_priv), None),
            card(&a_priv),
            "OK",
        ),
        case(
            "read private as staff",
            Some(&staff),
            rest(M::GET, p(&a_priv), None),
            card(&a_priv),
            "OK",
        ),
        case(
            "read unknown",
            None,
            rest(M::GET, p(&unknown), None),
            card(&unknown),
            "NOT_FOUND",
        ),
        case(
            "read malformed id",
            None,
            rest(M::GET, p("xyz"), None),
            card("xyz"),
            "NOT_FOUND",
        ),
        case(
            "patch own",
            Some(&alice),
            rest(M::PATCH, p(&a_pub), Some(json!({"body": "new"}))),
            update_card(&a_pub, json!({"body": "new"})),
            "OK",
        )
        .compare(CHANGED_TWICE),
        case(
            "patch own: blank title",
            Some(&alice),
            rest(M::PATCH, p(&a_pub), Some(json!({"title": ""}))),
            update_card(&a_pub, json!({"title": ""})),
            "BAD_USER_INPUT",
        ),
        case(
            "patch own: long body",
            Some(&alice),
            rest(M::PATCH, p(&a_pub), Some(json!({"body": long_body}))),
            update_card(&a_pub, json!({"body": long_body})),
            "BAD_USER_INPUT",
        ),
        case(
            "patch other's public",
            Some(&bob),
            rest(M::PATCH, p(&a_pub), Some(json!({"title": "x"}))),
            update_card(&a_pub, json!({"title": "x"})),
            "FORBIDDEN",
        ),
        case(
            "patch other's private",
            Some(&bob),
            rest(M::PATCH, p(&a_priv), Some(json!({"title": "x"}))),
            update_card(&a_priv, json!({"title": "x"})),
            "NOT_FOUND",
        ),
        case(
            "patch anonymously",
            None,
            rest(M::PATCH, p(&a_pub), Some(json!({"title": "x"}))),
            update_card(&a_pub, json!({"title": "x"})),
            "UNAUTHENTICATED",
        ),
        case(
            "patch unknown",
            Some(&alice),
            rest(M::PATCH, p(&unknown), Some(json!({"title": "x"}))),
            update_card(&unknown, json!({"title": "x"})),
            "NOT_FOUND",
        ),
        case(
            "staff patches private",
            Some(&staff),
            rest(M::PATCH, p(&a_priv), Some(json!({"title": "moderated"}))),
            update_card(&a_priv, json!({"title": "moderated"})),
            "OK",
        )
        .compare(CHANGED_TWICE),
        case(
            "delete other's public",
            Some(&bob),
            rest(M::DELETE, p(&a_pub), None),
            delete_card(&a_pub),
            "FORBIDDEN",
        ),
        case(
            "delete other's private",
            Some(&bob),
            rest(M::DELETE, p(&a_priv), None),
            delete_card(&a_priv),
            "NOT_FOUND",
        ),
        case(
            "delete anonymously",
            None,
            rest(M::DELETE, p(&a_pub), None),
            delete_card(&a_pub),
            "UNAUTHENTICATED",
        ),
        case(
            "delete unknown",
            Some(&alice),
            rest(M::DELETE, p(&unknown), None),
            delete_card(&unknown),
            "NOT_FOUND",
        ),
        case(
            "delete own",
            Some(&alice),
            rest(M::DELETE, p(&doomed_rest), None),
            delete_card(&doomed_gql),
            "OK",
        )
        .compare(Compare::Success),
        case(
            "list anonymously",
            None,
            rest(M::GET, "/api/cards/", None),
            cards(""),
            "OK",
        ),
        case(
            "list as staff",
            Some(&staff),
            rest(M::GET, "/api/cards/?page_size=3", None),
            cards("(first: 3)"),
            "OK",
        ),
        case(
            "list oldest first",
            Some(&alice),
            rest(M::GET, "/api/cards/?ordering=created_at", None),
            cards("(orderBy: {field: CREATED_AT, direction: ASC})"),
            "OK",
        ),
        case(
            "search",
            None,
            rest(M::GET, "/api/cards/?search=NEWS%20public", None),
            cards("(filter: {search: \"NEWS public\"})"),
            "OK",
        ),
        case(
            "filter owner",
            Some(&bob),
            rest(M::GET, format!("/api/cards/?owner={}", alice.id), None),
            cards(&format!("(filter: {{owner: \"{}\"}})", alice.id)),
            "OK",
        ),
        case(
            "filter private as staff",
            Some(&staff),
            rest(M::GET, "/api/cards/?visibility=private", None),
            cards("(filter: {visibility: PRIVATE})"),
            "OK",
        ),
        case(
            "filter malformed owner",
            None,
            rest(M::GET, "/api/cards/?owner=abc", None),
            cards("(filter: {owner: \"abc\"})"),
            "BAD_USER_INPUT",
        ),
    ];
    for c in &cases {
        run(&app, c).await;
    }
    // A check on the table itself: the field maps are the contract's.
    let r = app
        .post("/api/cards/", json!({"title": ""}), Some(&alice.access))
        .await;
    assert_eq!(r.body, json!({"title": [msg::BLANK]}));
}
