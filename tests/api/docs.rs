//! The REST API's documentation page (`/api/docs`) and the GraphiQL page
//! (`GET /graphql` from a browser): each is served whole by the binary, every
//! file it loads included, under a policy that allows this origin only.

use crate::helpers::{Resp, TestApp};

/// What a browser sends when it opens a page.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The paths of the files a page loads: every `<script src>` and `<link href>`.
fn loaded_files(html: &str) -> Vec<String> {
    html.split('<')
        .filter(|tag| tag.starts_with("script ") || tag.starts_with("link "))
        .filter_map(|tag| tag.split('>').next())
        .filter_map(|tag| {
            let (_, rest) = tag
                .split_once(" src=\"")
                .or_else(|| tag.split_once(" href=\""))?;
            rest.split('"').next().map(str::to_string)
        })
        .collect()
}

/// A page under a `'self'`-only policy, loading nothing from elsewhere; its body.
fn assert_self_only_page(r: &Resp, what: &str) -> String {
    assert_eq!(r.status, 200, "{what}: {r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{what}"
    );
    let csp = r.header("content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "connect-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert!(!csp.contains("http"), "{what}: no other host in {csp}");
    let html = r.body.as_str().expect("an HTML page").to_string();
    for external in ["http://", "https://", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(external),
            "{what}: no {external} in the page"
        );
    }
    assert!(!html.contains("<script>"), "{what}: no inline script");
    assert!(!html.contains("<style"), "{what}: no inline style");
    html
}

/// Every file the page loads is served here, with the type it is loaded as;
/// returns the text of each.
async fn assert_files_served(app: &TestApp, html: &str, what: &str) -> Vec<(String, String)> {
    let files = loaded_files(html);
    assert!(files.len() >= 3, "{what}: loads {files:?}");
    let mut texts = Vec::new();
    for path in files {
        assert!(
            path.starts_with('/') && !path.starts_with("//"),
            "{what}: {path} is on this origin"
        );
        let r = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .expect("request sent");
        assert_eq!(r.status(), 200, "{what}: {path}");
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        let expected = match path.rsplit_once('.').map(|(_, ext)| ext) {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            other => panic!("{what}: unexpected file type {other:?} ({path})"),
        };
        assert!(
            content_type.starts_with(expected),
            "{what}: {path} is {content_type}"
        );
        let text = r.text().await.expect("body");
        assert!(!text.is_empty(), "{what}: {path} is empty");
        texts.push((path, text));
    }
    texts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_api_docs_are_swagger_ui_served_from_here() {
    let app = TestApp::spawn().await;
    for path in ["/api/docs/", "/api/docs"] {
        let r = app
            .get_with_headers(path, &[("accept", BROWSER_ACCEPT)])
            .await;
        let html = assert_self_only_page(&r, path);
        assert!(html.contains("swagger-ui"), "{path}: {html:.300}");
        let files = assert_files_served(&app, &html, path).await;
        let init = files
            .iter()
            .find(|(file, _)| file == "/api-docs.js")
            .expect("the page runs /api-docs.js");
        assert!(init.1.contains("url: '/api/openapi.json'"), "{}", init.1);
        assert!(
            files
                .iter()
                .any(|(file, _)| file == "/vendor/swagger-ui/swagger-ui-bundle.js"),
            "{files:?}"
        );
    }
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.body["paths"].get("/api/docs").is_none(),
        "a page, not an API route"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_from_here() {
    let app = TestApp::spawn().await;
    let r = app
        .get_with_headers("/graphql", &[("accept", BROWSER_ACCEPT)])
        .await;
    let html = assert_self_only_page(&r, "GraphiQL");
    let files = assert_files_served(&app, &html, "GraphiQL").await;
    let served: Vec<&str> = files.iter().map(|(file, _)| file.as_str()).collect();
    for file in [
        "/vendor/react/react.production.min.js",
        "/vendor/react/react-dom.production.min.js",
        "/vendor/graphiql/graphiql.min.js",
        "/vendor/graphiql/graphiql.min.css",
        "/playground.js",
    ] {
        assert!(served.contains(&file), "GraphiQL loads {file}: {served:?}");
    }
    let init = &files[served.iter().position(|f| *f == "/playground.js").unwrap()].1;
    assert!(init.contains("url: '/graphql'"), "{init}");
    assert!(init.contains("'/graphql/ws'"), "{init}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendored_licences_are_served_beside_the_code() {
    let app = TestApp::spawn().await;
    for (path, words) in [
        ("/vendor/swagger-ui.LICENSE.txt", "Apache License"),
        ("/vendor/swagger-ui.NOTICE.txt", "SmartBear"),
        ("/vendor/graphiql.LICENSE.txt", "MIT License"),
        ("/vendor/react.LICENSE.txt", "MIT License"),
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{path}"
        );
        assert!(
            r.body.as_str().unwrap_or_default().contains(words),
            "{path}"
        );
    }
}
