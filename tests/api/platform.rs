//! What every request meets whatever its route: health checks, 404/405, body
//! parsing and limits, request ids, the GraphQL endpoint itself, the checked-in
//! schema, the JWT secret file, and the command line.

use std::{os::unix::fs::PermissionsExt, path::Path, process::Command};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, unique};

const SCHEMA_OUT_OF_DATE: &str = "schema.graphql was out of date and has been regenerated; \
     review and commit it (or run `cargo run -- export-schema > schema.graphql`)";

#[track_caller]
fn assert_error(r: &crate::helpers::Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "expected {status} {code}: {r:?}");
    assert_eq!(r.body["code"], code, "{r:?}");
    assert!(
        r.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a detail message is expected: {r:?}"
    );
}

// --- health ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_checks_answer_200() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, 200, "GET {path}: {r:?}");
    }
}

// --- routing -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_are_404_not_found() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::GET, "/api/nope"),
        (Method::GET, "/api/nope/"),
        (Method::GET, "/api/auth/nope/"),
        (Method::POST, "/nope"),
    ] {
        let r = app.request(method.clone(), path, None, None).await;
        assert_eq!(r.status, 404, "{method} {path}: {r:?}");
        assert_eq!(
            r.body,
            json!({"detail": "Not found.", "code": "not_found"}),
            "{method} {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("meth")).await;

    for token in [None, Some(acc.access.as_str())] {
        for path in ["/api/auth/login", "/api/auth/login/"] {
            let r = app.request(Method::DELETE, path, token, None).await;
            assert_eq!(
                r.status,
                405,
                "DELETE {path} (token: {}): {r:?}",
                token.is_some()
            );
            assert_eq!(
                r.body,
                json!({"detail": "Method \"DELETE\" not allowed.", "code": "method_not_allowed"})
            );
            let allow = r.header("allow").unwrap_or_default().to_uppercase();
            assert!(allow.contains("POST"), "Allow: {allow:?}");
        }
    }

    let r = app.get("/api/auth/logout/", Some(&acc.access)).await;
    assert_eq!(r.status, 405, "{r:?}");
    assert_eq!(
        r.body,
        json!({"detail": "Method \"GET\" not allowed.", "code": "method_not_allowed"})
    );
    assert!(
        r.header("allow")
            .unwrap_or_default()
            .to_uppercase()
            .contains("POST")
    );

    let r = app.delete("/api/auth/user/", Some(&acc.access)).await;
    assert_eq!(r.status, 405, "{r:?}");
    let allow = r.header("allow").unwrap_or_default().to_uppercase();
    for method in ["GET", "PUT", "PATCH"] {
        assert!(
            allow.contains(method),
            "Allow for /api/auth/user/ lacks {method}: {allow:?}"
        );
    }

    // The user still exists: the DELETE did nothing.
    assert_eq!(
        app.get("/api/auth/user/", Some(&acc.access)).await.status,
        200
    );
}

// --- request bodies ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_400_parse_error() {
    let app = TestApp::spawn().await;
    // Truncated, invalid, and a valid object followed by trailing garbage.
    for body in ["{not json", "{\"username\": \"a\",", "[\"a\", ", "{}}"] {
        let r = app
            .raw(
                Method::POST,
                "/api/auth/login/",
                Some("application/json"),
                body,
                None,
            )
            .await;
        assert_eq!(r.body["code"], "parse_error", "body {body:?}: {r:?}");
        assert_error(&r, 400, "parse_error");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_a_json_object_is_400() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("shape")).await;
    let (u, p) = (json!(acc.username), json!(PASSWORD));
    let bodies = [
        json!([u, p]),
        json!([u, null, p]),
        json!([u, p, null]),
        json!([null, u, p]),
        json!([]),
        json!("text"),
        json!(5),
        json!(true),
        Value::Null,
    ];
    for body in bodies {
        let r = app
            .raw(
                Method::POST,
                "/api/auth/login/",
                Some("application/json"),
                body.to_string(),
                None,
            )
            .await;
        assert_eq!(r.status, 400, "login with the body {body}: {r:?}");
        assert!(r.body.get("access").is_none(), "{body} logged in: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_json_content_type_is_415() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("ctype")).await;
    let body = json!({"username": acc.username, "password": PASSWORD}).to_string();

    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let r = app
            .raw(
                Method::POST,
                "/api/auth/login/",
                Some(content_type),
                body.clone(),
                None,
            )
            .await;
        assert_error(&r, 415, "unsupported_media_type");
    }

    // A charset parameter is still JSON.
    let r = app
        .raw(
            Method::POST,
            "/api/auth/login/",
            Some("application/json; charset=utf-8"),
            body,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_is_400() {
    let app = TestApp::spawn().await;
    for depth in [65, 100, 100_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!(
            r#"{{"username": {nested}, "email": "deep@example.com", "password1": "{PASSWORD}", "password2": "{PASSWORD}"}}"#
        );
        let r = app
            .raw(
                Method::POST,
                "/api/auth/register/",
                Some("application/json"),
                body,
                None,
            )
            .await;
        assert_eq!(r.status, 400, "nesting depth {depth}: {r:?}");
    }

    // Still serving, and a nested value inside an otherwise valid object of depth
    // 65 is refused even where the field would be ignored.
    assert_eq!(app.get("/healthz", None).await.status, 200);
    let acc = app.register(&unique("deep")).await;
    let nested = format!("{}{}", "[".repeat(65), "]".repeat(65));
    let body = format!(
        r#"{{"username": "{}", "password": "{PASSWORD}", "extra": {nested}}}"#,
        acc.username
    );
    let r = app
        .raw(
            Method::POST,
            "/api/auth/login/",
            Some("application/json"),
            body,
            None,
        )
        .await;
    assert_eq!(r.status, 400, "depth 65 in an ignored field: {r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_json_keys_are_400() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("dup")).await;

    // Both spellings of the body are otherwise a correct login.
    for body in [
        format!(
            r#"{{"username": "{0}", "username": "{0}", "password": "{PASSWORD}"}}"#,
            acc.username
        ),
        format!(
            r#"{{"username": "{}", "username": "someone_else", "password": "{PASSWORD}"}}"#,
            acc.username
        ),
    ] {
        let r = app
            .raw(
                Method::POST,
                "/api/auth/login/",
                Some("application/json"),
                body.clone(),
                None,
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
    }

    let body = format!(
        r#"{{"username": "a_{0}", "username": "b_{0}", "email": "dup@example.com", "password1": "{PASSWORD}", "password2": "{PASSWORD}"}}"#,
        unique("x")
    );
    let r = app
        .raw(
            Method::POST,
            "/api/auth/register/",
            Some("application/json"),
            body,
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(|c| c.body_limit = 1024).await;

    // Under the limit: served as usual.
    let r = app
        .post(
            "/api/auth/register/",
            json!({"username": unique("lim"), "email": format!("{}@example.com", unique("lim")),
                   "password1": PASSWORD, "password2": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");

    let padding = "x".repeat(4096);
    let r = app
        .post(
            "/api/auth/login/",
            json!({"username": "someone", "password": padding}),
            None,
        )
        .await;
    assert_error(&r, 413, "payload_too_large");

    let r = app
        .post(
            "/graphql",
            json!({"query": format!("{{ __typename }} # {padding}")}),
            None,
        )
        .await;
    assert_eq!(r.status, 413, "GraphQL body over the limit: {r:?}");
}

// --- request ids -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    for r in [
        app.get("/healthz", None).await,
        app.get("/healthz", None).await,
        app.get("/api/nope", None).await,
        app.get("/api/auth/user/", None).await,
        app.post("/graphql", json!({"query": "{ __typename }"}), None)
            .await,
    ] {
        let id = r
            .header("x-request-id")
            .unwrap_or_else(|| panic!("no x-request-id on {r:?}"))
            .to_string();
        assert!(!id.is_empty());
        seen.push(id);
    }
    let distinct: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "request ids must differ: {seen:?}"
    );
}

// --- the GraphQL endpoint --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_gets_graphiql() {
    let app = TestApp::spawn().await;
    let r = app
        .get_with_headers("/graphql", &[("accept", "text/html")])
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let content_type = r.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/html"),
        "content-type {content_type:?}"
    );
    let page = r.body.as_str().unwrap_or_default().to_lowercase();
    assert!(
        page.contains("graphiql"),
        "not a GraphiQL page: {page:.300}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_over_get() {
    let app = TestApp::spawn().await;
    let r = app
        .get_with_headers(
            "/graphql?query=%7B__typename%7D",
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, json!({"data": {"__typename": "Query"}}));

    let r = app
        .post("/graphql", json!({"query": "{ __typename }"}), None)
        .await;
    assert_eq!(r.body, json!({"data": {"__typename": "Query"}}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_graphql_is_up_to_date() {
    let sdl = spider_web::graphql::sdl();
    for expected in [
        "type Query",
        "type Mutation",
        "type AuthPayload",
        "input RegisterInput",
    ] {
        assert!(sdl.contains(expected), "the SDL lacks {expected:?}");
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != sdl {
        std::fs::write(&path, &sdl).expect("write schema.graphql");
        panic!("{SCHEMA_OUT_OF_DATE}");
    }
}

// --- the JWT secret --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configured_secret_one_is_generated_and_shared() {
    let app = TestApp::spawn_with(|c| c.jwt_secret = None).await;
    let secret_file = app.data_dir().join("jwt-secret");
    let meta = std::fs::metadata(&secret_file)
        .unwrap_or_else(|e| panic!("{} missing: {e}", secret_file.display()));
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "jwt-secret must be readable by its owner only"
    );
    let secret = std::fs::read(&secret_file).unwrap();
    assert!(
        secret.len() >= 32,
        "a secret of {} bytes is too short",
        secret.len()
    );

    let acc = app.register(&unique("jwt")).await;
    let other = app.sibling().await;
    assert_eq!(
        std::fs::read(&secret_file).unwrap(),
        secret,
        "the secret must not change"
    );

    let r = other.get("/api/auth/user/", Some(&acc.access)).await;
    assert_eq!(
        r.status, 200,
        "the second instance must accept the first's token: {r:?}"
    );
    assert_eq!(r.body["id"], acc.id.as_str());

    let r = other.login(&acc.username, PASSWORD).await;
    assert_eq!(r.status, 200, "{r:?}");
    let token = r.body["access"].as_str().unwrap();
    assert_eq!(app.get("/api/auth/user/", Some(token)).await.status, 200);
}

// --- the command line --------------------------------------------------------------------------------

/// Runs the binary off the async runtime, in an empty folder of its own.
async fn run_cli(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let cwd = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_spider-web"));
        cmd.args(&args)
            .current_dir(cwd.path())
            .env("DATA_DIR", cwd.path().join("data"))
            .stdin(std::process::Stdio::null());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.output().expect("run spider-web")
    })
    .await
    .expect("CLI thread")
}

fn describe(out: &std::process::Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_help_lists_the_subcommands() {
    let out = run_cli(&["--help"], &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "export-schema", "create-admin"] {
        assert!(help.contains(sub), "--help lacks {sub}:\n{help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_export_schema_prints_the_sdl() {
    let out = run_cli(&["export-schema"], &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    let printed = String::from_utf8(out.stdout).expect("UTF-8 SDL");
    assert_eq!(
        printed,
        spider_web::graphql::sdl(),
        "`export-schema > schema.graphql` must produce exactly what the drift test compares"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_create_admin_makes_a_staff_user() {
    let app = TestApp::spawn().await;
    let username = unique("admin");
    let email = format!("{username}@example.com");
    let password = "admin-horse-battery-1";
    let database_url = app.config.effective_database_url();

    let out = run_cli(
        &["create-admin", "--username", &username, "--email", &email],
        &[
            ("ADMIN_PASSWORD", password.to_string()),
            ("DATABASE_URL", database_url),
            ("DATA_DIR", app.data_dir().display().to_string()),
            (
                "JWT_SECRET",
                app.config.jwt_secret.clone().unwrap_or_default(),
            ),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(password)
            && !String::from_utf8_lossy(&out.stderr).contains(password),
        "the password must not be echoed"
    );

    let r = app.login(&username, password).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user"]["is_staff"], true, "{}", r.body);
    assert_eq!(r.body["user"]["email"], email.as_str());
    let me = app.get("/api/auth/user/", r.body["access"].as_str()).await;
    assert_eq!(me.body["is_staff"], true, "{me:?}");
    assert_eq!(
        me.body["email_verified"], true,
        "create-admin users are verified: {me:?}"
    );
}

/// The bundled SQLite is built with the query-planner stability guarantee
/// (`.cargo/config.toml`): without it every statement with a bound `LIMIT ?`
/// is re-parsed on each execution (bench/README.md). Checked on any backend:
/// the library is linked either way.
#[tokio::test]
async fn bundled_sqlite_has_the_query_planner_stability_guarantee() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("qpsg.db").display());
    let config = spider_web::config::Config::new(Some(url), dir.path().join("data"));
    let db = spider_web::db::connect(&config).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA compile_options",
        ))
        .await
        .unwrap();
    let options: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(
        options.iter().any(|o| o == "ENABLE_QPSG"),
        "compile options: {options:?}"
    );
}
