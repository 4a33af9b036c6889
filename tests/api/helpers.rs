//! The test harness: a real server on 127.0.0.1:0 over a fresh database per test
//! (a SQLite file in a temporary folder, or, with `TEST_DATABASE_URL=postgres://…`,
//! a PostgreSQL database of its own that is dropped afterwards).

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use reqwest::{Method, header::HeaderMap};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use spider_web::{Application, config::Config};
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct-horse-battery";

/// A database that lives as long as the tests that use it.
pub struct TestDatabase {
    pub url: String,
    /// For PostgreSQL: the admin URL and the database name to drop.
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // The runtime of the test may be shutting down: use a thread of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(db) = Database::connect(&admin).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestDatabase {
    /// A folder that lives as long as the database (for a server's `DATA_DIR`).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

/// A new, empty database of its own (for tests that run the server binary).
pub async fn create_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            let name = format!("sw_test_{}", uuid::Uuid::now_v7().simple());
            let db = Database::connect(&admin).await.unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
            db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let _ = db.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            let url = format!("{base}/{name}");
            TestDatabase {
                url,
                pg: Some((admin, name)),
                _dir: dir,
            }
        }
        _ => {
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            TestDatabase {
                url,
                pg: None,
                _dir: dir,
            }
        }
    }
}

/// One running server instance and an HTTP client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when `metrics_bind` was set.
    pub metrics_addr: Option<SocketAddr>,
    pub client: reqwest::Client,
    pub config: Config,
    db: Arc<TestDatabase>,
    server: JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    statements: Arc<std::sync::atomic::AtomicU64>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An HTTP response, its body parsed as JSON (`Value::Null` when empty,
/// `Value::String` when not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The result of a user's registration: their tokens and user object.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub email: String,
    pub password: String,
    pub id: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// A new server over a new, empty database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A new server over a new database, with configuration changes.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let db = Arc::new(create_database().await);
        let mut config = Config::new(Some(db.url.clone()), db._dir.path().join("data"));
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.jwt_secret = Some("test-secret-test-secret-test-secret!".into());
        // Tests register many users from one address; the abuse tests turn it on.
        config.rate_limits = false;
        tweak(&mut config);
        Self::start(config, db).await
    }

    /// Several instances started at the same moment on one new database (they
    /// race to migrate it).
    pub async fn spawn_together(n: usize) -> Vec<TestApp> {
        let db = Arc::new(create_database().await);
        let mut config = Config::new(Some(db.url.clone()), db._dir.path().join("data"));
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.jwt_secret = Some("test-secret-test-secret-test-secret!".into());
        config.rate_limits = false;
        let starts = (0..n).map(|_| Self::start(config.clone(), db.clone()));
        futures_util::future::join_all(starts).await
    }

    /// A second server instance sharing this one's database and configuration.
    pub async fn sibling(&self) -> TestApp {
        Self::start(self.config.clone(), self.db.clone()).await
    }

    async fn start(config: Config, db: Arc<TestDatabase>) -> TestApp {
        let app = Application::build(config.clone())
            .await
            .expect("application builds");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let statements = app.state().sql_statements.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = app
                .run(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        TestApp {
            addr,
            metrics_addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            config,
            db,
            server,
            stop: Some(stop),
            statements,
        }
    }

    /// Begins a graceful shutdown (as SIGTERM does) and returns a handle that
    /// finishes when the server has stopped.
    pub fn begin_shutdown(&mut self) -> JoinHandle<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let server = std::mem::replace(&mut self.server, tokio::spawn(async {}));
        tokio::spawn(async move {
            let _ = server.await;
        })
    }

    /// SQL statements this instance has run so far.
    pub fn sql_statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn is_postgres(&self) -> bool {
        self.db.pg.is_some()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Any request; `body` is sent as JSON when given.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        Self::read(resp).await
    }

    /// A request with a raw body and content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::read(req.send().await.expect("request sent")).await
    }

    pub async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Resp {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value, token: Option<&str>) -> Resp {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value, token: Option<&str>) -> Resp {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.request(Method::DELETE, path, token, None).await
    }

    /// A GraphQL operation over `POST /graphql`; returns the whole response body
    /// (`{"data": …, "errors": …}`).
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let r = self
            .post(
                "/graphql",
                json!({"query": query, "variables": variables}),
                token,
            )
            .await;
        r.body
    }

    /// Registers over REST and returns the account; panics unless it is 201.
    pub async fn register(&self, username: &str) -> Account {
        let email = format!("{}@example.com", username.to_lowercase());
        let r = self
            .post(
                "/api/auth/register/",
                json!({"username": username, "email": email,
                       "password1": PASSWORD, "password2": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(r.status, 201, "register {username}: {:?}", r.body);
        Account {
            username: username.to_string(),
            email,
            password: PASSWORD.to_string(),
            id: r.body["user"]["id"].as_str().unwrap().to_string(),
            access: r.body["access"].as_str().unwrap().to_string(),
            refresh: r.body["refresh"].as_str().unwrap().to_string(),
        }
    }

    /// Logs in over REST by username; returns the whole response.
    pub async fn login(&self, username: &str, password: &str) -> Resp {
        self.post(
            "/api/auth/login/",
            json!({"username": username, "password": password}),
            None,
        )
        .await
    }

    /// The error code of the first GraphQL error, if any.
    pub fn gql_code(body: &Value) -> Option<String> {
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_string)
    }
}

/// A unique username for a test.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    format!("{prefix}_{}", &id[id.len() - 8..])
}

// ---------------------------------------------------------------------------
// Shared by the auth tests: raw headers, error assertions, small decoders.
// ---------------------------------------------------------------------------

/// Messages of the contract that several test files match on.
pub mod msg {
    pub const REQUIRED: &str = "This field is required.";
    pub const BLANK: &str = "This field may not be blank.";
    pub const NUL: &str = "Null characters are not allowed.";
    pub const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";
    pub const USERNAME_TAKEN: &str = "A user with that username already exists.";
    pub const EMAIL_TAKEN: &str = "A user is already registered with this e-mail address.";
    pub const BAD_EMAIL: &str = "Enter a valid email address.";
    pub const BAD_USERNAME: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
    pub const USERNAME_TOO_SHORT: &str = "Ensure this field has at least 3 characters.";
    pub const USERNAME_TOO_LONG: &str = "Ensure this field has no more than 150 characters.";
    pub const PASSWORD_TOO_SHORT: &str =
        "This password is too short. It must contain at least 8 characters.";
    pub const PASSWORD_TOO_LONG: &str =
        "This password is too long. It must contain at most 128 characters.";
    pub const PASSWORD_NUMERIC: &str = "This password is entirely numeric.";
    pub const PASSWORD_LIKE_USERNAME: &str = "The password is too similar to the username.";
    pub const PASSWORD_LIKE_EMAIL: &str = "The password is too similar to the email address.";
    /// Register: ASCII apostrophe (allauth's wording).
    pub const PASSWORDS_DIFFER: &str = "The two password fields didn't match.";
    /// Password change: typographic apostrophe (Django's SetPasswordForm wording).
    pub const NEW_PASSWORDS_DIFFER: &str = "The two password fields didn\u{2019}t match.";
    pub const WRONG_OLD_PASSWORD: &str =
        "Your old password was entered incorrectly. Please enter it again.";
    pub const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";
    pub const TOKEN_NOT_VALID: &str = "Given token not valid for any token type";
}

impl TestApp {
    /// A request with an arbitrary `Authorization` header value (e.g. `Basic xyz`).
    pub async fn with_authorization(
        &self,
        method: Method,
        path: &str,
        authorization: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("authorization", authorization);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request sent")).await
    }

    /// A GET with extra request headers.
    pub async fn get_with_headers(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.client.get(self.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        Self::read(req.send().await.expect("request sent")).await
    }
}

/// The messages listed under `field` of a validation body (empty when absent).
pub fn messages(body: &Value, field: &str) -> Vec<String> {
    body[field]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A 400 whose body lists `message` under `field`.
#[track_caller]
pub fn assert_field_error(r: &Resp, field: &str, message: &str) {
    assert_eq!(
        r.status, 400,
        "expected 400 with {field}: {message:?}; got {r:?}"
    );
    assert!(
        messages(&r.body, field).iter().any(|m| m == message),
        "expected {field}: [{message:?}] in {}",
        r.body
    );
}

/// A 401 with the given DRF code and a `WWW-Authenticate: Bearer…` challenge.
#[track_caller]
pub fn assert_unauthorized(r: &Resp, code: &str) {
    assert_eq!(r.status, 401, "expected 401 {code}; got {r:?}");
    assert_eq!(r.body["code"], code, "401 body: {}", r.body);
    let detail = match code {
        "not_authenticated" => msg::NOT_AUTHENTICATED,
        _ => msg::TOKEN_NOT_VALID,
    };
    assert_eq!(r.body["detail"], detail, "401 body: {}", r.body);
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer"),
        "WWW-Authenticate should start with Bearer, got {challenge:?}"
    );
}

/// `old_password` -> `oldPassword`, `non_field_errors` -> `nonFieldErrors`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The same object with its top-level keys in camelCase (a REST body as a
/// GraphQL input, or a REST validation map as `extensions.fields`).
pub fn camelize_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (camel_case(k), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Parses an RFC 3339 UTC timestamp, panicking with the value when it is not one.
#[track_caller]
pub fn timestamp(v: &Value) -> chrono::DateTime<chrono::Utc> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a timestamp string, got {v}"));
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"));
    assert_eq!(t.offset().local_minus_utc(), 0, "{s:?} is not UTC");
    t.with_timezone(&chrono::Utc)
}

/// The claims of a JWT (its payload, not verified).
#[track_caller]
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token:?}");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .expect("JWT payload is base64url");
    serde_json::from_slice(&bytes).expect("JWT payload is JSON")
}

/// The same JWT with one claim changed and the original signature kept.
pub fn tampered_jwt(token: &str, claim: &str, value: Value) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims = jwt_claims(token);
    claims[claim] = value;
    let parts: Vec<&str> = token.split('.').collect();
    let payload = engine.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{}.{}", parts[0], payload, parts[2])
}

// ---------------------------------------------------------------------------
// Shared by the profile and card tests: direct database changes, resource
// helpers, DRF error assertions and GraphQL decoders.
// ---------------------------------------------------------------------------

/// Messages of the profile and card rules.
pub mod rmsg {
    pub const NOT_A_STRING: &str = "Not a valid string.";
    pub const BAD_URL: &str = "Enter a valid URL.";
    pub const TITLE_TOO_LONG: &str = "Ensure this field has no more than 200 characters.";
    pub const BODY_TOO_LONG: &str = "Ensure this field has no more than 10000 characters.";
    pub const MAX_100: &str = "Ensure this field has no more than 100 characters.";
    pub const MAX_500: &str = "Ensure this field has no more than 500 characters.";
    pub const MAX_2000: &str = "Ensure this field has no more than 2000 characters.";
    pub const HAS_PROFILE: &str = "You already have a profile.";
    pub const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";
    pub const NOT_FOUND: &str = "Not found.";
    pub const BAD_UUID: &str = "Enter a valid UUID.";
    pub const INVALID_CURSOR: &str = "Invalid cursor.";
    pub const INVALID_ORDERING: &str = "Invalid ordering.";
    pub const NOT_AN_INTEGER: &str = "A valid integer is required.";
    pub const AT_LEAST_1: &str = "Ensure this value is greater than or equal to 1.";
}

/// The fields of a card over GraphQL.
pub const CARD_FIELDS: &str = "id ownerId ownerUsername title body visibility createdAt updatedAt replyCount reactions { emoji count reacted }";
/// The fields of a profile over GraphQL.
pub const PROFILE_FIELDS: &str =
    "id userId username displayName bio avatarUrl location website createdAt updatedAt";

impl TestApp {
    /// A connection of the test's own to the instance's database.
    pub async fn connect_db(&self) -> sea_orm::DatabaseConnection {
        let url = self
            .config
            .database_url
            .clone()
            .expect("the test database URL is set");
        Database::connect(&url).await.expect("connect to test db")
    }

    /// Makes a user staff, directly in the database. The server loads the user
    /// on every request, so tokens already issued see it at once.
    pub async fn make_staff(&self, username: &str) {
        assert!(
            username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "@.+-_".contains(c)),
            "a plain username: {username:?}"
        );
        let db = self.connect_db().await;
        let done = db
            .execute_unprepared(&format!(
                "UPDATE users SET is_staff = true WHERE username_key = '{}'",
                username.to_lowercase()
            ))
            .await
            .expect("make staff");
        assert_eq!(done.rows_affected(), 1, "make_staff({username})");
        let _ = db.close().await;
    }

    /// Registers a user and makes them staff.
    pub async fn register_staff(&self, prefix: &str) -> Account {
        let acc = self.register(&unique(prefix)).await;
        self.make_staff(&acc.username).await;
        acc
    }

    /// Deletes a user row directly (as an administrator would); the database
    /// cascades to their profile, cards and sessions.
    pub async fn delete_user(&self, id: &str) {
        use sea_orm::{DbBackend, Statement};
        let id = uuid::Uuid::parse_str(id).expect("a user id is a UUID");
        let db = self.connect_db().await;
        let backend = db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => "DELETE FROM users WHERE id = $1",
            _ => "DELETE FROM users WHERE id = ?",
        };
        let done = db
            .execute_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
            .await
            .expect("delete user");
        assert_eq!(done.rows_affected(), 1, "delete_user({id})");
        let _ = db.close().await;
    }

    /// `POST /api/cards/`; panics unless 201. Returns the card.
    pub async fn create_card(&self, token: &str, body: Value) -> Value {
        let r = self.post("/api/cards/", body.clone(), Some(token)).await;
        assert_eq!(r.status, 201, "create card {body}: {r:?}");
        r.body
    }

    /// A card with the given title and visibility (`"public"`/`"private"`).
    pub async fn card(&self, token: &str, title: &str, visibility: &str) -> Value {
        self.create_card(token, json!({"title": title, "visibility": visibility}))
            .await
    }

    /// `POST /api/profiles/`; panics unless 201. Returns the profile.
    pub async fn create_profile(&self, token: &str, body: Value) -> Value {
        let r = self.post("/api/profiles/", body.clone(), Some(token)).await;
        assert_eq!(r.status, 201, "create profile {body}: {r:?}");
        r.body
    }

    /// A GET of an absolute URL such as a page's `next` link.
    pub async fn get_url(&self, url: &str, token: Option<&str>) -> Resp {
        let mut req = self.client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::read(req.send().await.expect("request sent")).await
    }
}

/// A DRF error with the given status, `code` and `detail`.
#[track_caller]
pub fn assert_detail(r: &Resp, status: u16, code: &str, detail: &str) {
    assert_eq!(r.status, status, "expected {status} {code}; got {r:?}");
    assert_eq!(
        r.body,
        json!({"detail": detail, "code": code}),
        "{status} body"
    );
}

/// 404 `{"detail": "Not found.", "code": "not_found"}`.
#[track_caller]
pub fn assert_not_found(r: &Resp) {
    assert_detail(r, 404, "not_found", rmsg::NOT_FOUND);
}

/// 403 `permission_denied`.
#[track_caller]
pub fn assert_forbidden(r: &Resp) {
    assert_detail(r, 403, "permission_denied", rmsg::PERMISSION_DENIED);
}

/// A 400 whose body is exactly `expected`.
#[track_caller]
pub fn assert_invalid(r: &Resp, expected: Value) {
    assert_eq!(r.status, 400, "expected 400 {expected}; got {r:?}");
    assert_eq!(r.body, expected, "400 body");
}

/// The `id`s of a REST page's `results`.
#[track_caller]
pub fn result_ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap_or_else(|| panic!("a page has results: {page}"))
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect()
}

/// The `id`s of a GraphQL connection's `nodes`.
#[track_caller]
pub fn node_ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("a connection has nodes: {connection}"))
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect()
}

/// The id of a REST or GraphQL object.
#[track_caller]
pub fn id_of(object: &Value) -> String {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an object with an id: {object}"))
        .to_string()
}

/// `data.<field>` of a GraphQL response that has no errors.
#[track_caller]
pub fn gql_data<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    &body["data"][field]
}

/// A GraphQL response whose first error carries `code`.
#[track_caller]
pub fn assert_gql_code(body: &Value, code: &str) {
    assert_eq!(
        TestApp::gql_code(body).as_deref(),
        Some(code),
        "expected {code}: {body}"
    );
}

/// A `BAD_USER_INPUT` error whose `extensions.fields` is exactly `fields`.
#[track_caller]
pub fn assert_gql_fields(body: &Value, fields: Value) {
    assert_gql_code(body, "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"], fields,
        "extensions.fields of {body}"
    );
}
