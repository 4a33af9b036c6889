//! The OpenAPI document: it parses, it is OpenAPI 3.1, it lists exactly the REST
//! routes of the contract, and every route it lists is served.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The REST routes of the contract, as (method, path template).
const CONTRACT_ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/user"),
    ("put", "/api/auth/user"),
    ("patch", "/api/auth/user"),
    ("post", "/api/auth/password/change"),
    ("post", "/api/auth/token/refresh"),
    ("post", "/api/auth/password/reset"),
    ("post", "/api/auth/password/reset/confirm"),
    ("post", "/api/auth/registration/verify-email"),
    ("post", "/api/auth/registration/resend-email"),
    ("get", "/api/cards"),
    ("post", "/api/cards"),
    ("get", "/api/cards/stream"),
    ("get", "/api/cards/{card_id}/replies"),
    ("post", "/api/cards/{card_id}/replies"),
    ("get", "/api/cards/{card_id}/replies/stream"),
    ("get", "/api/cards/{card_id}/replies/{id}"),
    ("put", "/api/cards/{card_id}/replies/{id}"),
    ("patch", "/api/cards/{card_id}/replies/{id}"),
    ("delete", "/api/cards/{card_id}/replies/{id}"),
    ("post", "/api/cards/{card_id}/reactions"),
    ("delete", "/api/cards/{card_id}/reactions/{emoji}"),
    ("get", "/api/cards/{id}"),
    ("put", "/api/cards/{id}"),
    ("patch", "/api/cards/{id}"),
    ("delete", "/api/cards/{id}"),
    ("get", "/api/profiles"),
    ("post", "/api/profiles"),
    ("get", "/api/profiles/{id}"),
    ("put", "/api/profiles/{id}"),
    ("patch", "/api/profiles/{id}"),
    ("delete", "/api/profiles/{id}"),
];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_every_rest_route() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/openapi.json", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
    let doc = r.body;
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let expected: BTreeSet<(String, String)> = CONTRACT_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented(&doc), expected);
    assert_eq!(
        serde_json::to_value(spider_web::rest::openapi_document()).unwrap(),
        doc,
        "the served document is the generated one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_is_served() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json", None).await.body;
    let acc = app.register("openapi_user").await;
    let card = app
        .post("/api/cards/", json!({"title": "t"}), Some(&acc.access))
        .await;
    let profile = app
        .post("/api/profiles/", json!({}), Some(&acc.access))
        .await;
    assert_eq!((card.status, profile.status), (201, 201));
    let reply = app
        .post(
            &format!("/api/cards/{}/replies/", card.body["id"].as_str().unwrap()),
            json!({"body": "r"}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    // Deletes (nested ones first) and the logout last, so ids and token stay
    // valid for the rest.
    let mut routes: Vec<(String, String)> = documented(&doc).into_iter().collect();
    routes.sort_by_key(|(m, p)| {
        (
            m == "delete",
            p.ends_with("/logout"),
            std::cmp::Reverse(p.len()),
        )
    });
    for (method, template) in routes {
        let id = if template.starts_with("/api/cards") {
            card.body["id"].as_str().unwrap()
        } else {
            profile.body["id"].as_str().unwrap()
        };
        let path = template
            .replace(
                "/replies/{id}",
                &format!("/replies/{}", reply.body["id"].as_str().unwrap()),
            )
            .replace("{card_id}", card.body["id"].as_str().unwrap())
            .replace("{emoji}", "%F0%9F%91%8D")
            .replace("{id}", id);
        if path.ends_with("/stream") {
            // An endless event stream: the status line is enough.
            let resp = app.client.get(app.url(&path)).send().await.expect("stream");
            assert_eq!(resp.status(), 200, "{path}");
            continue;
        }
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let r = app
            .request(method.clone(), &path, Some(&acc.access), body)
            .await;
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path} is documented but not served: {r:?}"
        );
    }
}
