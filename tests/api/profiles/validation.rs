//! Each profile rule, with its exact error body, through both doors and on both
//! create and update.

use super::*;

/// Bad inputs and the exact REST validation body each one gets.
fn bad_inputs() -> Vec<(&'static str, Value, Value)> {
    let long_url = format!("https://example.com/{}", "a".repeat(481));
    assert_eq!(long_url.len(), 501);
    let mut cases = vec![
        (
            "display_name over 100",
            json!({"display_name": "d".repeat(101)}),
            json!({"display_name": [rmsg::MAX_100]}),
        ),
        (
            "location over 100",
            json!({"location": "é".repeat(101)}),
            json!({"location": [rmsg::MAX_100]}),
        ),
        (
            "bio over 2000",
            json!({"bio": "b".repeat(2001)}),
            json!({"bio": [rmsg::MAX_2000]}),
        ),
        (
            "NUL in display_name",
            json!({"display_name": "a\u{0}b"}),
            json!({"display_name": [msg::NUL]}),
        ),
        (
            "NUL in bio",
            json!({"bio": "\u{0}"}),
            json!({"bio": [msg::NUL]}),
        ),
        (
            "NUL in location",
            json!({"location": "x\u{0}"}),
            json!({"location": [msg::NUL]}),
        ),
        (
            "avatar_url over 500",
            json!({"avatar_url": long_url}),
            json!({"avatar_url": [rmsg::MAX_500]}),
        ),
        (
            "website over 500",
            json!({"website": long_url}),
            json!({"website": [rmsg::MAX_500]}),
        ),
        (
            "two bad fields at once",
            json!({"display_name": "d".repeat(101), "website": "nope"}),
            json!({"display_name": [rmsg::MAX_100], "website": [rmsg::BAD_URL]}),
        ),
    ];
    for bad in [
        "ftp://x.com",
        "javascript:alert(1)",
        "not a url",
        "http://",
        "https:// spaces .com",
    ] {
        cases.push((
            "bad avatar_url",
            json!({"avatar_url": bad}),
            json!({"avatar_url": [rmsg::BAD_URL]}),
        ));
        cases.push((
            "bad website",
            json!({"website": bad}),
            json!({"website": [rmsg::BAD_URL]}),
        ));
    }
    cases
}

/// Bad JSON types, which only REST can send.
fn wrong_types() -> Vec<(Value, Value)> {
    vec![
        (
            json!({"display_name": 5}),
            json!({"display_name": [rmsg::NOT_A_STRING]}),
        ),
        (json!({"bio": ["x"]}), json!({"bio": [rmsg::NOT_A_STRING]})),
        (
            json!({"website": {"a": 1}}),
            json!({"website": [rmsg::NOT_A_STRING]}),
        ),
        (
            json!({"location": true}),
            json!({"location": [rmsg::NOT_A_STRING]}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_each_bad_field_through_both_doors() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Val")).await;
    for (name, body, expected) in bad_inputs() {
        let r = app
            .post("/api/profiles/", body.clone(), Some(&acc.access))
            .await;
        assert_eq!(r.status, 400, "{name}: {r:?}");
        assert_eq!(r.body, expected, "{name}");

        let gql = gql_create(
            &app,
            Some(&acc.access),
            crate::helpers::camelize_keys(&body),
        )
        .await;
        assert_gql_fields(&gql, crate::helpers::camelize_keys(&expected));
        assert!(gql["data"].is_null(), "{name}: no data on failure: {gql}");
    }
    for (body, expected) in wrong_types() {
        let r = app
            .post("/api/profiles/", body.clone(), Some(&acc.access))
            .await;
        assert_invalid(&r, expected);
    }
    // None of that made a profile.
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(result_ids(&r.body), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_rejects_each_bad_field_through_both_doors() {
    let app = TestApp::spawn().await;
    let (acc, p) = user_with_profile(&app, "ValUp", json!({"display_name": "Keep"})).await;
    let path = profile_path(&id_of(&p));
    for (name, body, expected) in bad_inputs() {
        for method in [Method::PATCH, Method::PUT] {
            let r = app
                .request(method.clone(), &path, Some(&acc.access), Some(body.clone()))
                .await;
            assert_eq!(r.status, 400, "{method} {name}: {r:?}");
            assert_eq!(r.body, expected, "{method} {name}");
        }
        let gql = gql_update(
            &app,
            Some(&acc.access),
            &id_of(&p),
            crate::helpers::camelize_keys(&body),
        )
        .await;
        assert_gql_fields(&gql, crate::helpers::camelize_keys(&expected));
    }
    for (body, expected) in wrong_types() {
        assert_invalid(&app.patch(&path, body, Some(&acc.access)).await, expected);
    }
    // Nothing changed.
    let r = app.get(&path, None).await;
    assert_eq!(r.body, p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_at_the_limits_are_accepted() {
    let app = TestApp::spawn().await;
    let url = format!("https://example.com/{}", "a".repeat(480));
    assert_eq!(url.len(), 500);
    let body = json!({
        "display_name": "d".repeat(100),
        "location": "é".repeat(100),
        "bio": "b".repeat(2000),
        "avatar_url": url,
        "website": "http://example.com/path?q=1#frag",
    });
    let acc = app.register(&unique("Lim")).await;
    let p = app.create_profile(&acc.access, body.clone()).await;
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&p[k], v, "{k}");
    }
    // The same through GraphQL for a second user.
    let other = app.register(&unique("Lim2")).await;
    let gql = gql_create(
        &app,
        Some(&other.access),
        crate::helpers::camelize_keys(&body),
    )
    .await;
    let g = gql_data(&gql, "createProfile");
    assert_eq!(g["bio"], body["bio"]);
    assert_eq!(g["avatarUrl"], body["avatar_url"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_rejected() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("Mal")).await;
    let r = app
        .raw(
            Method::POST,
            "/api/profiles/",
            Some("application/json"),
            "{\"bio\": ",
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body["code"], "parse_error");
    let r = app
        .raw(
            Method::POST,
            "/api/profiles/",
            Some("text/plain"),
            "{}",
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 415, "{r:?}");
    assert_eq!(r.body["code"], "unsupported_media_type");
    let r = app
        .post("/api/profiles/", json!([1, 2]), Some(&acc.access))
        .await;
    assert_eq!(r.status, 400, "a JSON array is not an object: {r:?}");
    assert_field_error(
        &app.post("/api/profiles/", json!({"bio": 1}), Some(&acc.access))
            .await,
        "bio",
        rmsg::NOT_A_STRING,
    );
}
