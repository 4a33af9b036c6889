//! Profile operations through both doors.

use super::*;

fn create_profile(input: Value) -> (String, Value, &'static [&'static str]) {
    (
        format!(
            "mutation($input: CreateProfileInput!) {{ createProfile(input: $input) {{ {PROFILE_FIELDS} }} }}"
        ),
        json!({"input": input}),
        &["createProfile"],
    )
}

fn update_profile(id: &str, input: Value) -> (String, Value, &'static [&'static str]) {
    (
        format!(
            "mutation($id: ID!, $input: UpdateProfileInput!) {{ updateProfile(id: $id, input: $input) {{ {PROFILE_FIELDS} }} }}"
        ),
        json!({"id": id, "input": input}),
        &["updateProfile"],
    )
}

fn delete_profile(id: &str) -> (String, Value, &'static [&'static str]) {
    (
        "mutation($id: ID!) { deleteProfile(id: $id) }".into(),
        json!({"id": id}),
        &["deleteProfile"],
    )
}

fn profile(id: &str) -> (String, Value, &'static [&'static str]) {
    (
        format!("query($id: ID!) {{ profile(id: $id) {{ {PROFILE_FIELDS} }} }}"),
        json!({"id": id}),
        &["profile"],
    )
}

fn profiles(args: &str) -> (String, Value, &'static [&'static str]) {
    (
        format!("{{ profiles{args} {{ nodes {{ {PROFILE_FIELDS} }} }} }}"),
        json!({}),
        &["profiles", "nodes"],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_operations_agree_through_both_doors() {
    let app = TestApp::spawn().await;
    let alice = app.register(&unique("Alice")).await;
    let bob = app.register(&unique("Bob")).await;
    let carol = app.register(&unique("Carol")).await;
    let dave = app.register(&unique("Dave")).await;
    let staff = app.register_staff("Staff").await;
    let pa = id_of(
        &app.create_profile(&alice.access, json!({"display_name": "Alice A"}))
            .await,
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    let p = |id: &str| format!("/api/profiles/{id}/");
    use Method as M;

    let long_url = format!("https://e.com/{}", "a".repeat(490));
    let full = json!({"display_name": "B", "bio": " bio ", "avatar_url": "https://a.example/x.png",
                      "location": "Oslo", "website": ""});
    let cases = vec![
        case(
            "create: bad url",
            Some(&dave),
            rest(
                M::POST,
                "/api/profiles/",
                Some(json!({"avatar_url": "javascript:alert(1)"})),
            ),
            create_profile(json!({"avatarUrl": "javascript:alert(1)"})),
            "BAD_USER_INPUT",
        ),
        case(
            "create: several errors",
            Some(&dave),
            rest(
                M::POST,
                "/api/profiles/",
                Some(
                    json!({"display_name": "d".repeat(101), "website": "ftp://x.com", "bio": "b".repeat(2001)}),
                ),
            ),
            create_profile(
                json!({"displayName": "d".repeat(101), "website": "ftp://x.com", "bio": "b".repeat(2001)}),
            ),
            "BAD_USER_INPUT",
        ),
        case(
            "create: long url",
            Some(&dave),
            rest(
                M::POST,
                "/api/profiles/",
                Some(json!({"website": long_url})),
            ),
            create_profile(json!({"website": long_url})),
            "BAD_USER_INPUT",
        ),
        case(
            "create: NUL",
            Some(&dave),
            rest(
                M::POST,
                "/api/profiles/",
                Some(json!({"location": "\u{0}"})),
            ),
            create_profile(json!({"location": "\u{0}"})),
            "BAD_USER_INPUT",
        ),
        case(
            "create",
            Some(&bob),
            rest(M::POST, "/api/profiles/", Some(full.clone())),
            create_profile(camelize_keys(&full)),
            "OK",
        )
        .gql_as(&carol)
        .compare(PROFILE_MADE_TWICE),
        case(
            "create a second",
            Some(&alice),
            rest(M::POST, "/api/profiles/", Some(json!({}))),
            create_profile(json!({})),
            "CONFLICT",
        ),
        case(
            "create anonymously",
            None,
            rest(M::POST, "/api/profiles/", Some(json!({}))),
            create_profile(json!({})),
            "UNAUTHENTICATED",
        ),
        case("read", None, rest(M::GET, p(&pa), None), profile(&pa), "OK"),
        case(
            "read unknown",
            None,
            rest(M::GET, p(&unknown), None),
            profile(&unknown),
            "NOT_FOUND",
        ),
        case(
            "read malformed id",
            None,
            rest(M::GET, p("nope"), None),
            profile("nope"),
            "NOT_FOUND",
        ),
        case(
            "patch own",
            Some(&alice),
            rest(
                M::PATCH,
                p(&pa),
                Some(json!({"bio": "hi", "website": "http://a.example"})),
            ),
            update_profile(&pa, json!({"bio": "hi", "website": "http://a.example"})),
            "OK",
        )
        .compare(CHANGED_TWICE),
        case(
            "patch own: long bio",
            Some(&alice),
            rest(M::PATCH, p(&pa), Some(json!({"bio": "b".repeat(2001)}))),
            update_profile(&pa, json!({"bio": "b".repeat(2001)})),
            "BAD_USER_INPUT",
        ),
        case(
            "patch own: bad url",
            Some(&alice),
            rest(M::PATCH, p(&pa), Some(json!({"avatar_url": "not a url"}))),
            update_profile(&pa, json!({"avatarUrl": "not a url"})),
            "BAD_USER_INPUT",
        ),
        case(
            "patch other's",
            Some(&bob),
            rest(M::PATCH, p(&pa), Some(json!({"bio": "x"}))),
            update_profile(&pa, json!({"bio": "x"})),
            "FORBIDDEN",
        ),
        case(
            "patch anonymously",
            None,
            rest(M::PATCH, p(&pa), Some(json!({"bio": "x"}))),
            update_profile(&pa, json!({"bio": "x"})),
            "UNAUTHENTICATED",
        ),
        case(
            "patch unknown",
            Some(&alice),
            rest(M::PATCH, p(&unknown), Some(json!({"bio": "x"}))),
            update_profile(&unknown, json!({"bio": "x"})),
            "NOT_FOUND",
        ),
        case(
            "staff patches",
            Some(&staff),
            rest(M::PATCH, p(&pa), Some(json!({"location": "HQ"}))),
            update_profile(&pa, json!({"location": "HQ"})),
            "OK",
        )
        .compare(CHANGED_TWICE),
        case(
            "delete other's",
            Some(&bob),
            rest(M::DELETE, p(&pa), None),
            delete_profile(&pa),
            "FORBIDDEN",
        ),
        case(
            "delete anonymously",
            None,
            rest(M::DELETE, p(&pa), None),
            delete_profile(&pa),
            "UNAUTHENTICATED",
        ),
        case(
            "delete unknown",
            Some(&alice),
            rest(M::DELETE, p(&unknown), None),
            delete_profile(&unknown),
            "NOT_FOUND",
        ),
        case(
            "list",
            None,
            rest(M::GET, "/api/profiles/", None),
            profiles(""),
            "OK",
        ),
        case(
            "list by username",
            None,
            rest(
                M::GET,
                format!("/api/profiles/?username={}", alice.username.to_uppercase()),
                None,
            ),
            profiles(&format!(
                "(filter: {{username: \"{}\"}})",
                alice.username.to_uppercase()
            )),
            "OK",
        ),
        case(
            "search",
            None,
            rest(M::GET, "/api/profiles/?search=alice%20a", None),
            profiles("(filter: {search: \"alice a\"})"),
            "OK",
        ),
    ];
    for c in &cases {
        run(&app, c).await;
    }
    let r = app
        .post(
            "/api/profiles/",
            json!({"website": "ftp://x.com"}),
            Some(&dave.access),
        )
        .await;
    assert_eq!(r.body, json!({"website": [rmsg::BAD_URL]}));
}
