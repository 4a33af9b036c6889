//! Every REST route × method of `/api/openapi.json`, with generated and
//! malformed bodies (random JSON, wrong types, duplicate keys, huge numbers,
//! nesting past 64 levels, invalid UTF-8, truncated JSON, other content types,
//! empty and oversized bodies, chunked too), ids that exist, do not, or are not
//! UUIDs, and no token, a valid one or a garbage `Authorization` header.
//!
//! The oracle: never 5xx or a dropped connection; every 4xx in the contract's
//! shapes; and the status the contract gives the case — 413 over the body
//! limit, 405 for a method the route lacks, 401 `token_not_valid` for a bad
//! header, 415 for a non-JSON body, 400 (`parse_error`) for broken JSON, 400
//! for wrong types, duplicate keys and NUL in text, 401/403/404 by who may do
//! what, and the route's own successes otherwise. (Where the contract leaves
//! the order of two checks open — a malformed body sent anonymously — either
//! error is accepted.) The routes under a card (its thread and its reactions)
//! are judged in `rest_routes/nested.rs`: the fixture keeps a reply of each
//! user on each card; ids include percent-escapes that are not UTF-8.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use proptest::{collection::vec, prelude::*, sample::select};
use reqwest::{Method, header::HeaderValue};
use serde_json::{Value, json};

use super::{
    Check, Cx, Fuzz, Payload, Reply, Req, Violation, check_rest_shape, encode_segment, exchange,
    fuzz_cases, is_field_map,
    strategies::{self, J},
};
use crate::helpers::{PASSWORD, TestApp, unique};

mod nested;

/// Methods tried on every path (the last one no server knows).
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "PURGE"];

const JSON_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/vnd.api+json",
];

const OTHER_TYPES: &[&str] = &[
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "text/json",
    "application/jsonx",
    "application/octet-stream",
    "text/html; charset=utf-8",
    "json",
];

/// What a route is, for the oracle.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Register,
    Login,
    Logout,
    User,
    PasswordChange,
    TokenRefresh,
    CardList,
    CardItem,
    ProfileList,
    ProfileItem,
    PasswordReset,
    PasswordResetConfirm,
    VerifyEmail,
    ResendEmail,
    ReplyList,
    ReplyItem,
    ReactionAdd,
    ReactionRemove,
    /// A route this test does not know: only the generic checks apply.
    Other,
}

/// A JSON request body of a route, from the OpenAPI document.
#[derive(Clone, Debug, Default)]
struct BodySchema {
    /// Field name → allowed JSON types.
    fields: BTreeMap<String, Vec<String>>,
    /// The body may be left out (`oneOf: [..., null]`).
    optional: bool,
}

#[derive(Debug)]
struct Route {
    template: String,
    kind: Kind,
    methods: Vec<Method>,
    bodies: BTreeMap<String, BodySchema>,
}

impl Route {
    fn body(&self, method: &Method) -> Option<&BodySchema> {
        self.bodies.get(method.as_str())
    }
}

fn kind_of(template: &str) -> Kind {
    match template.trim_end_matches('/') {
        "/api/auth/register" => Kind::Register,
        "/api/auth/login" => Kind::Login,
        "/api/auth/logout" => Kind::Logout,
        "/api/auth/user" => Kind::User,
        "/api/auth/password/change" => Kind::PasswordChange,
        "/api/auth/token/refresh" => Kind::TokenRefresh,
        "/api/cards" => Kind::CardList,
        "/api/cards/{id}" => Kind::CardItem,
        "/api/profiles" => Kind::ProfileList,
        "/api/profiles/{id}" => Kind::ProfileItem,
        "/api/auth/password/reset" => Kind::PasswordReset,
        "/api/auth/password/reset/confirm" => Kind::PasswordResetConfirm,
        "/api/auth/registration/verify-email" => Kind::VerifyEmail,
        "/api/auth/registration/resend-email" => Kind::ResendEmail,
        "/api/cards/{card_id}/replies" => Kind::ReplyList,
        "/api/cards/{card_id}/replies/{id}" => Kind::ReplyItem,
        "/api/cards/{card_id}/reactions" => Kind::ReactionAdd,
        "/api/cards/{card_id}/reactions/{emoji}" => Kind::ReactionRemove,
        _ => Kind::Other,
    }
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or("")],
        None => schema,
    }
}

fn body_schema(doc: &Value, op: &Value) -> Option<BodySchema> {
    let body = op.get("requestBody")?;
    let schema = &body["content"]["application/json"]["schema"];
    let mut optional = body.get("required") == Some(&Value::Bool(false));
    let mut object = schema;
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        for alt in alternatives {
            if alt.get("type") == Some(&json!("null")) {
                optional = true;
            } else {
                object = alt;
            }
        }
    }
    let object = resolve(doc, object);
    let mut fields = BTreeMap::new();
    if let Some(props) = object.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let types = match prop.get("type") {
                Some(Value::String(t)) => vec![t.clone()],
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
                _ => vec!["string".into(), "null".into()],
            };
            fields.insert(name.clone(), types);
        }
    }
    Some(BodySchema { fields, optional })
}

/// Every documented route but the endless event stream.
fn routes_from(doc: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.ends_with("/stream") {
            continue;
        }
        let mut methods = Vec::new();
        let mut bodies = BTreeMap::new();
        for m in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(m) {
                let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
                if let Some(schema) = body_schema(doc, op) {
                    bodies.insert(method.to_string(), schema);
                }
                methods.push(method);
            }
        }
        routes.push(Route {
            template: path.clone(),
            kind: kind_of(path),
            methods,
            bodies,
        });
    }
    routes
}

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Target {
    Own,
    OtherPublic,
    OtherPrivate,
    Random(String),
    NotUuid(String),
    /// Percent-escapes as sent, that are not UTF-8 once decoded.
    Raw(&'static str),
}

#[derive(Clone, Debug)]
enum BadAuth {
    Text(String),
    Bytes(Vec<u8>),
    /// The valid token with its signature changed.
    Tampered,
    /// The refresh token sent as a bearer token.
    RefreshAsAccess,
    /// `Bearer <token> <token>`.
    Twice,
}

#[derive(Clone, Debug)]
enum Auth {
    None,
    Valid,
    Bad(BadAuth),
}

#[derive(Clone, Debug)]
enum Body {
    /// No body and no content type.
    Absent,
    Json {
        ct: &'static str,
        doc: J,
    },
    /// The document with bytes that are not UTF-8 spliced in at `at`/65536 of it.
    InvalidUtf8 {
        doc: J,
        at: u16,
        bytes: &'static [u8],
    },
    /// The document cut at `cut`/65536 of its length.
    Truncated {
        doc: J,
        cut: u16,
    },
    /// `[[[...]]]` or `{"a":{"a":...}}`, `depth` levels.
    Bomb {
        depth: usize,
        objects: bool,
    },
    OtherType {
        ct: &'static str,
        doc: J,
    },
    EmptyJson,
    Garbage(Vec<u8>),
    /// Hand-built JSON text that must be refused for `reason`.
    Raw {
        text: Vec<u8>,
        reason: &'static str,
        parse_error: bool,
    },
    /// `{"<field>": "<unit × n>"}` of about `len` bytes.
    Huge {
        field: String,
        len: usize,
        unit: &'static str,
        chunked: bool,
    },
}

#[derive(Clone, Debug)]
struct Case {
    method: Method,
    template: String,
    target: Target,
    auth: Auth,
    body: Body,
    slash: bool,
    /// The reply and the path emoji of the routes under a card.
    nested: nested::Nested,
}

// ---------------------------------------------------------------------------
// The server's state as the oracle knows it
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Fixture {
    username: String,
    password: String,
    token: String,
    refresh: String,
    card: String,
    card_public: bool,
    profile: String,
    other_card: String,
    other_private: String,
    other_profile: String,
    /// B's access token (B writes the other side of the threads).
    b_token: String,
    threads: nested::Threads,
}

struct Env {
    routes: Vec<Route>,
    fx: Mutex<Fixture>,
    limit: usize,
    /// Cases per kind of route, for the closing line.
    ran: Mutex<BTreeMap<String, u64>>,
}

impl Env {
    async fn setup(cx: &Cx<'_>, app: &TestApp, routes: Vec<Route>) -> Env {
        let a = app.register(&unique("fuzz_a")).await;
        let b = app.register(&unique("fuzz_b")).await;
        let card = app
            .card(&a.access, "A's card", "public")
            .await
            .get("id")
            .and_then(Value::as_str)
            .unwrap()
            .to_string();
        let profile = app.create_profile(&a.access, json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let other_card = app.card(&b.access, "B's card", "public").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let other_private = app.card(&b.access, "B's secret", "private").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let other_profile = app.create_profile(&b.access, json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut fx = Fixture {
            username: a.username,
            password: PASSWORD.into(),
            token: a.access,
            refresh: a.refresh,
            card,
            card_public: true,
            profile,
            other_card,
            other_private,
            other_profile,
            b_token: b.access,
            threads: nested::Threads::default(),
        };
        nested::refill(cx, &mut fx)
            .await
            .expect("the fixture's replies");
        Env {
            routes,
            fx: Mutex::new(fx),
            limit: app.config.body_limit,
            ran: Mutex::new(BTreeMap::new()),
        }
    }

    fn route(&self, template: &str) -> &Route {
        self.routes
            .iter()
            .find(|r| r.template == template)
            .expect("a documented route")
    }
}

// ---------------------------------------------------------------------------
// Building a request, and what the contract says about it
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Allowed {
    status: u16,
    code: Option<&'static str>,
    field: Option<String>,
}

fn st(status: u16) -> Allowed {
    Allowed {
        status,
        code: None,
        field: None,
    }
}

fn coded(status: u16, code: &'static str) -> Allowed {
    Allowed {
        status,
        code: Some(code),
        field: None,
    }
}

fn field(name: &str) -> Allowed {
    Allowed {
        status: 400,
        code: None,
        field: Some(name.to_string()),
    }
}

impl Allowed {
    fn matches(&self, reply: &Reply) -> bool {
        if reply.status == super::CUT_OFF {
            // An early error answer the client could not read while uploading.
            return (400..500).contains(&self.status);
        }
        let body = reply.json.as_ref();
        reply.status == self.status
            && self
                .code
                .is_none_or(|c| body.is_some_and(|b| b.get("code") == Some(&json!(c))))
            && self.field.as_ref().is_none_or(|f| {
                body.is_some_and(|b| is_field_map(b) && (f.is_empty() || b.get(f).is_some()))
            })
    }
}

impl std::fmt::Display for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(c) = self.code {
            write!(f, " {c}")?;
        }
        match self.field.as_deref() {
            Some("") => write!(f, " field map"),
            Some(name) => write!(f, " on {name:?}"),
            None => Ok(()),
        }
    }
}

/// What a body is, for the route that reads it.
#[derive(Debug)]
enum Class {
    /// A JSON object with nothing wrong in its syntax or types.
    Valid,
    /// Odd but not clearly wrong (a null for a non-nullable field, a lone
    /// surrogate or a huge number in an ignored field): 400 or the route's outcome.
    Loose,
    /// Must be refused with one of these (the reason names the case).
    Bad(&'static str, Vec<Allowed>),
}

/// The class of a JSON document sent to a route with these fields.
fn analyse(doc: &J, schema: &BodySchema) -> Class {
    if doc.depth() > 64 {
        return Class::Bad("nested deeper than 64", vec![coded(400, "parse_error")]);
    }
    let J::Obj(pairs) = doc else {
        return Class::Bad(
            "not an object",
            vec![field("non_field_errors"), coded(400, "parse_error")],
        );
    };
    let any400 = vec![st(400)];
    // Duplicate keys are refused at any depth, in read and ignored fields alike.
    if doc.has_duplicate_keys() {
        return Class::Bad("duplicate key", any400);
    }
    let mut loose = false;
    for (k, v) in pairs {
        let Some(types) = schema.fields.get(k) else {
            loose |= v.has_odd_escape() || v.has_big_number();
            continue;
        };
        let ty = v.type_name();
        if !types
            .iter()
            .any(|t| t == ty || (t == "number" && ty == "integer"))
        {
            if ty == "null" {
                loose = true;
                continue;
            }
            return Class::Bad("wrong JSON type", any400);
        }
        if v.has_odd_escape() {
            return Class::Bad("lone surrogate in a text field", any400);
        }
        let secret = matches!(k.as_str(), "refresh" | "password" | "old_password");
        if !secret && v.text().is_some_and(|t| t.contains('\0')) {
            return Class::Bad("NUL in a text field", any400);
        }
    }
    if loose { Class::Loose } else { Class::Valid }
}

fn id_for(case: &Case, kind: Kind, fx: &Fixture) -> String {
    let profile = kind == Kind::ProfileItem;
    match &case.target {
        Target::Own if profile => fx.profile.clone(),
        Target::Own => fx.card.clone(),
        Target::OtherPublic | Target::OtherPrivate if profile => fx.other_profile.clone(),
        Target::OtherPublic => fx.other_card.clone(),
        Target::OtherPrivate => fx.other_private.clone(),
        Target::Random(id) => id.clone(),
        Target::NotUuid(s) => encode_segment(s),
        Target::Raw(raw) => raw.to_string(),
    }
}

fn auth_header(auth: &Auth, fx: &Fixture) -> Option<HeaderValue> {
    let text = match auth {
        Auth::None => return None,
        Auth::Valid => format!("Bearer {}", fx.token),
        Auth::Bad(BadAuth::Text(t)) => t.clone(),
        Auth::Bad(BadAuth::Bytes(b)) => {
            let mut v = b"Bearer ".to_vec();
            v.extend_from_slice(b);
            return Some(
                HeaderValue::from_bytes(&v)
                    .unwrap_or_else(|_| HeaderValue::from_static("Bearer not-a-header-value")),
            );
        }
        Auth::Bad(BadAuth::Tampered) => {
            let (head, sig) = fx.token.rsplit_once('.').unwrap_or((&fx.token, ""));
            let flipped: String = sig
                .chars()
                .rev()
                .map(|c| if c == 'A' { 'B' } else { 'A' })
                .collect();
            format!("Bearer {head}.{flipped}")
        }
        Auth::Bad(BadAuth::RefreshAsAccess) => format!("Bearer {}", fx.refresh),
        Auth::Bad(BadAuth::Twice) => format!("Bearer {} {}", fx.token, fx.token),
    };
    Some(
        HeaderValue::from_str(&text)
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer not-a-header-value")),
    )
}

/// The position `frac`/65536 of `len` (0..len).
fn at(frac: u16, len: usize) -> usize {
    (frac as usize * len) / 65536
}

/// The request of a case, the class of its body, and whether it is over the
/// body limit (with a length, or chunked).
fn build(case: &Case, route: &Route, fx: &Fixture, limit: usize) -> (Req, Class, bool, bool) {
    let id = id_for(case, route.kind, fx);
    let mut path = if route.template.contains("{card_id}") {
        nested::path(case, route, fx, &id)
    } else {
        route.template.replace("{id}", &id)
    };
    if case.slash {
        path.push('/');
    }
    let mut req = Req::new(case.method.clone(), path);
    if let Some(h) = auth_header(&case.auth, fx) {
        req = req.header("authorization", h);
    }
    let schema = route.body(&case.method).cloned().unwrap_or_default();
    let json_ct = "application/json";
    let (ct, bytes, class, chunked): (Option<&str>, Option<Vec<u8>>, Class, bool) = match &case.body
    {
        Body::Absent if schema.optional => (None, None, Class::Valid, false),
        Body::Absent => (
            None,
            None,
            Class::Bad(
                "no body",
                vec![st(400), coded(415, "unsupported_media_type")],
            ),
            false,
        ),
        Body::Json { ct, doc } => {
            let text = doc.render();
            (
                Some(*ct),
                Some(text.into_bytes()),
                analyse(doc, &schema),
                false,
            )
        }
        Body::InvalidUtf8 {
            doc,
            at: pos,
            bytes,
        } => {
            let mut text = doc.render().into_bytes();
            let i = at(*pos, text.len() + 1);
            text.splice(i..i, bytes.iter().copied());
            (
                Some(json_ct),
                Some(text),
                Class::Bad("invalid UTF-8", vec![coded(400, "parse_error")]),
                false,
            )
        }
        Body::Truncated { doc, cut } => {
            let text = doc.render().into_bytes();
            let i = at(*cut, text.len());
            let bad = if matches!(doc, J::Obj(_) | J::Arr(_)) {
                vec![coded(400, "parse_error")]
            } else {
                vec![st(400)]
            };
            (
                Some(json_ct),
                Some(text[..i].to_vec()),
                Class::Bad("truncated JSON", bad),
                false,
            )
        }
        Body::Bomb { depth, objects } => {
            let text = if *objects {
                format!("{}1{}", "{\"a\":".repeat(*depth), "}".repeat(*depth))
            } else {
                format!("{}{}", "[".repeat(*depth), "]".repeat(*depth))
            };
            (
                Some(json_ct),
                Some(text.into_bytes()),
                Class::Bad("nested deeper than 64", vec![coded(400, "parse_error")]),
                false,
            )
        }
        Body::OtherType { ct, doc } => (
            Some(*ct),
            Some(doc.render().into_bytes()),
            Class::Bad(
                "non-JSON content type",
                vec![coded(415, "unsupported_media_type")],
            ),
            false,
        ),
        Body::EmptyJson => (
            Some(json_ct),
            Some(Vec::new()),
            if schema.optional {
                Class::Loose
            } else {
                Class::Bad("empty JSON body", vec![st(400)])
            },
            false,
        ),
        Body::Garbage(b) => {
            let object = serde_json::from_slice::<Value>(b).is_ok_and(|v| v.is_object());
            let class = if object {
                Class::Loose
            } else {
                Class::Bad("garbage bytes", vec![st(400)])
            };
            (Some(json_ct), Some(b.clone()), class, false)
        }
        Body::Raw {
            text,
            reason,
            parse_error,
        } => {
            let want = if *parse_error {
                coded(400, "parse_error")
            } else {
                st(400)
            };
            (
                Some(json_ct),
                Some(text.clone()),
                Class::Bad(reason, vec![want]),
                false,
            )
        }
        Body::Huge {
            field,
            len,
            unit,
            chunked,
        } => {
            let n = len / unit.len();
            let doc = J::Obj(vec![(field.clone(), J::Str(unit.repeat(n)))]);
            let class = analyse(&doc, &schema);
            (
                Some(json_ct),
                Some(doc.render().into_bytes()),
                class,
                *chunked,
            )
        }
    };
    if let Some(ct) = ct {
        req = req.content_type(ct);
    }
    let len = bytes.as_ref().map_or(0, Vec::len);
    if let Some(b) = bytes {
        req.payload = if chunked {
            Payload::Chunked(b)
        } else {
            Payload::Bytes(b)
        };
    }
    let over = len > limit;
    (req, class, over && !chunked, over && chunked)
}

/// The route's outcomes for a well-formed body (or a route without one).
fn semantic(route: &Route, case: &Case, fx: &Fixture) -> Vec<Allowed> {
    let signed_in = matches!(case.auth, Auth::Valid);
    let anon = || coded(401, "not_authenticated");
    let m = case.method.as_str();
    match (route.kind, m) {
        (Kind::Register, "POST") => vec![st(201), st(400)],
        (Kind::Login, "POST") => vec![st(200), st(400)],
        (Kind::Logout, "POST") if signed_in => vec![st(200), st(400)],
        (Kind::Logout, "POST") => vec![st(401), st(400)],
        (Kind::TokenRefresh, "POST") => vec![st(200), st(400), coded(401, "token_not_valid")],
        // The same answer for every well-formed address; no reset or key can be guessed.
        (Kind::PasswordReset | Kind::ResendEmail, "POST") => vec![st(200), st(400)],
        (Kind::PasswordResetConfirm, "POST") => vec![st(400)],
        (Kind::VerifyEmail, "POST") => vec![st(400), coded(404, "not_found")],
        (Kind::User, "GET") if signed_in => vec![st(200)],
        (Kind::User, "PUT" | "PATCH") | (Kind::PasswordChange, "POST") if signed_in => {
            vec![st(200), st(400)]
        }
        (Kind::User | Kind::PasswordChange, _) => vec![anon()],
        (Kind::CardList | Kind::ProfileList, "GET") => vec![st(200)],
        (Kind::CardList, "POST") if signed_in => vec![st(201), st(400)],
        // The caller already has a profile.
        (Kind::ProfileList, "POST") if signed_in => vec![coded(409, "conflict"), st(400)],
        (Kind::CardList | Kind::ProfileList, _) => vec![anon()],
        (Kind::CardItem | Kind::ProfileItem, _) => {
            let profile = route.kind == Kind::ProfileItem;
            let exists_readable = match case.target {
                Target::Own => profile || signed_in || fx.card_public,
                Target::OtherPublic => true,
                Target::OtherPrivate => profile,
                Target::Random(_) | Target::NotUuid(_) | Target::Raw(_) => false,
            };
            let not_found = coded(404, "not_found");
            if m == "GET" {
                return vec![if exists_readable { st(200) } else { not_found }];
            }
            if !signed_in {
                return if exists_readable {
                    vec![anon()]
                } else {
                    vec![anon(), not_found]
                };
            }
            match case.target {
                Target::Own if m == "DELETE" => vec![st(204)],
                Target::Own => vec![st(200), st(400)],
                _ if exists_readable => vec![coded(403, "permission_denied")],
                _ => vec![not_found],
            }
        }
        (Kind::ReplyList | Kind::ReplyItem | Kind::ReactionAdd | Kind::ReactionRemove, _) => {
            nested::semantic(route.kind, case, fx)
        }
        _ => vec![],
    }
}

fn auth_label(auth: &Auth) -> &'static str {
    match auth {
        Auth::None => "anonymous",
        Auth::Valid => "signed in",
        Auth::Bad(_) => "bad Authorization",
    }
}

/// The allowed answers, and the reason (for grouping violations).
fn expected(
    route: &Route,
    case: &Case,
    fx: &Fixture,
    class: Class,
    over: bool,
    over_chunked: bool,
) -> (Vec<Allowed>, &'static str) {
    let (mut allowed, reason) = expected_in_limit(route, case, fx, class, over, over_chunked);
    // A chunked body over the limit may be refused (413) wherever it is read.
    if over_chunked && !allowed.is_empty() {
        allowed.push(coded(413, "payload_too_large"));
    }
    (allowed, reason)
}

fn expected_in_limit(
    route: &Route,
    case: &Case,
    fx: &Fixture,
    class: Class,
    over: bool,
    over_chunked: bool,
) -> (Vec<Allowed>, &'static str) {
    if over {
        return (vec![coded(413, "payload_too_large")], "body over the limit");
    }
    let bad_auth = matches!(case.auth, Auth::Bad(_));
    if !route.methods.contains(&case.method) {
        let mut v = vec![coded(405, "method_not_allowed")];
        if bad_auth {
            v.push(coded(401, "token_not_valid"));
        }
        return (v, "method the route does not have");
    }
    if bad_auth {
        return (
            vec![coded(401, "token_not_valid")],
            "bad Authorization header",
        );
    }
    let sem = semantic(route, case, fx);
    if sem.is_empty() {
        // A route the oracle does not know: the generic checks only.
        return (Vec::new(), "unknown route");
    }
    let reads_body = route.body(&case.method).is_some();
    let gates = |mut v: Vec<Allowed>| {
        v.extend(
            sem.iter()
                .filter(|a| matches!(a.status, 401 | 403 | 404 | 409))
                .cloned(),
        );
        v
    };
    if over_chunked {
        return if reads_body {
            (
                gates(vec![coded(413, "payload_too_large")]),
                "chunked body over the limit",
            )
        } else {
            (sem, "chunked body over the limit")
        };
    }
    if !reads_body {
        return (sem, "route's outcome");
    }
    match class {
        Class::Valid => (sem, "well-formed body"),
        Class::Loose => {
            let mut v = sem.clone();
            v.push(st(400));
            (v, "odd body")
        }
        Class::Bad(reason, v) => (gates(v), reason),
    }
}

/// Runs one case: send, check the shape and the status, follow the state.
async fn run_case(cx: &Cx<'_>, env: &Env, case: &Case) -> Check {
    let fx = env.fx.lock().unwrap().clone();
    let route = env.route(&case.template);
    *env.ran
        .lock()
        .unwrap()
        .entry(format!("{:?}", route.kind))
        .or_default() += 1;
    let (req, class, over, over_chunked) = build(case, route, &fx, env.limit);
    let reply = cx.send(&req).await?;
    let shape = check_rest_shape(&req, &reply).map_err(|v| {
        let kind = if v.kind.contains(" answers ") {
            v.kind
        } else {
            format!("{} {}: {}", case.method, route.template, v.kind)
        };
        Violation::new(kind, v.detail)
    });
    let verdict = shape.and_then(|()| {
        let (allowed, reason) = expected(route, case, &fx, class, over, over_chunked);
        if allowed.is_empty() || allowed.iter().any(|a| a.matches(&reply)) {
            return Ok(());
        }
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        Err(Violation::new(
            format!(
                "{} {} ({reason}, {}): {} instead of [{}]",
                case.method,
                route.template,
                auth_label(&case.auth),
                reply.status,
                list.join(", ")
            ),
            exchange(&req, &reply),
        ))
    });
    let verdict = verdict.and_then(|()| nested::check_cards(case, route, &req, &reply));
    // Follow what the request changed even when it should not have succeeded.
    let followed = follow(cx, env, case, route, &req, &reply).await;
    verdict.and(followed)
}

/// Keeps the fixture in step with what a successful request changed.
async fn follow(
    cx: &Cx<'_>,
    env: &Env,
    case: &Case,
    route: &Route,
    req: &Req,
    reply: &Reply,
) -> Check {
    if !matches!(case.auth, Auth::Valid) || !(200..300).contains(&reply.status) {
        return Ok(());
    }
    let body = reply.json.clone().unwrap_or(Value::Null);
    let sent: Value = match &req.payload {
        Payload::Bytes(b) | Payload::Chunked(b) => serde_json::from_slice(b).unwrap_or_default(),
        Payload::None => Value::Null,
    };
    let own = matches!(case.target, Target::Own);
    let mut fx = env.fx.lock().unwrap().clone();
    match (route.kind, case.method.as_str()) {
        (Kind::Logout, _) => {
            let r = cx
                .send(
                    &Req::new(Method::POST, "/api/auth/login/")
                        .json(&json!({"username": fx.username, "password": fx.password})),
                )
                .await?;
            let (Some(access), Some(refresh)) = (
                r.json.as_ref().and_then(|b| b["access"].as_str()),
                r.json.as_ref().and_then(|b| b["refresh"].as_str()),
            ) else {
                return Err(Violation::new(
                    "cannot sign in again after a logout",
                    format!("{r:?}"),
                ));
            };
            fx.token = access.to_string();
            fx.refresh = refresh.to_string();
        }
        (Kind::User, "PUT" | "PATCH") => {
            if let Some(name) = body["username"].as_str() {
                fx.username = name.to_string();
            }
        }
        (Kind::PasswordChange, _) => {
            if let Some(p) = sent["new_password1"].as_str() {
                fx.password = p.to_string();
            }
        }
        (Kind::CardItem, "PUT" | "PATCH") if own => {
            fx.card_public = body["visibility"] == "public";
            nested::refill(cx, &mut fx).await?;
        }
        (Kind::ReplyItem, "DELETE") => {
            nested::forget(case, &mut fx);
            nested::refill(cx, &mut fx).await?;
        }
        (Kind::CardItem, "DELETE") if own => {
            let r = cx
                .send(
                    &Req::new(Method::POST, "/api/cards/")
                        .bearer(&fx.token)
                        .json(&json!({"title": "A's card again"})),
                )
                .await?;
            let Some(id) = r.json.as_ref().and_then(|b| b["id"].as_str()) else {
                return Err(Violation::new(
                    "cannot create a card again",
                    format!("{r:?}"),
                ));
            };
            fx.card = id.to_string();
            fx.card_public = true;
            fx.threads.own = nested::Thread::default();
            nested::refill(cx, &mut fx).await?;
        }
        (Kind::ProfileItem, "DELETE") if own => {
            let r = cx
                .send(
                    &Req::new(Method::POST, "/api/profiles/")
                        .bearer(&fx.token)
                        .json(&json!({})),
                )
                .await?;
            let Some(id) = r.json.as_ref().and_then(|b| b["id"].as_str()) else {
                return Err(Violation::new(
                    "cannot create a profile again",
                    format!("{r:?}"),
                ));
            };
            fx.profile = id.to_string();
        }
        (Kind::ProfileList, "POST") => {
            if let Some(id) = body["id"].as_str() {
                fx.profile = id.to_string();
            }
        }
        _ => return Ok(()),
    }
    *env.fx.lock().unwrap() = fx;
    Ok(())
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

fn not_uuid() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{1,40}",
        "[0-9]{1,30}",
        strategies::nasty_string(),
        select(
            &[
                "not-a-uuid",
                "00000000-0000-0000-0000-00000000000g",
                "../../etc/passwd",
                "%00",
                "1e400",
                "-1",
                "0",
                "ℵ",
                "01a20e0e-3d1f-776e-8d29-9797dbf5b415x",
            ][..]
        )
        .prop_map(str::to_string),
        (1usize..5000).prop_map(|n| "x".repeat(n)),
    ]
    .prop_filter("a path segment that names an item", |s| {
        !s.is_empty() && s != "stream" && !s.chars().all(|c| c == '.')
    })
}

fn bad_auth() -> impl Strategy<Value = BadAuth> {
    prop_oneof![
        2 => "Bearer [A-Za-z0-9._~+/=-]{0,300}".prop_map(BadAuth::Text),
        1 => "[ -~]{0,100}".prop_map(BadAuth::Text),
        1 => select(&[
            "",
            "Bearer",
            "Bearer ",
            "Token abc",
            "Basic dXNlcjpwYXNz",
            "Bearer a.b.c",
            "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
            "Bearer null",
            "Bearer ' OR '1'='1",
        ][..])
        .prop_map(|s| BadAuth::Text(s.to_string())),
        1 => vec(0x80u8..=0xff, 1..40).prop_map(BadAuth::Bytes),
        1 => Just(BadAuth::Tampered),
        1 => Just(BadAuth::RefreshAsAccess),
        1 => Just(BadAuth::Twice),
    ]
}

/// A body whose field names are still to be chosen for the route.
#[derive(Clone, Debug)]
enum RawBody {
    Body(Body),
    WrongType(u16, J),
    Huge(u16, usize, &'static str, bool),
}

fn raw_body() -> impl Strategy<Value = RawBody> {
    let json = (select(JSON_TYPES), strategies::json_document())
        .prop_map(|(ct, doc)| RawBody::Body(Body::Json { ct, doc }));
    prop_oneof![
        2 => Just(RawBody::Body(Body::Absent)),
        10 => json,
        4 => (any::<u16>(), strategies::json_value()).prop_map(|(f, v)| RawBody::WrongType(f, v)),
        2 => (strategies::json_object(), any::<u16>(), select(strategies::INVALID_UTF8))
            .prop_map(|(doc, at, bytes)| RawBody::Body(Body::InvalidUtf8 { doc, at, bytes })),
        2 => (strategies::json_document(), any::<u16>())
            .prop_map(|(doc, cut)| RawBody::Body(Body::Truncated { doc, cut })),
        1 => (prop_oneof![65usize..=100, 100usize..=200_000], any::<bool>())
            .prop_map(|(depth, objects)| RawBody::Body(Body::Bomb { depth, objects })),
        2 => (select(OTHER_TYPES), strategies::json_object())
            .prop_map(|(ct, doc)| RawBody::Body(Body::OtherType { ct, doc })),
        1 => Just(RawBody::Body(Body::EmptyJson)),
        1 => vec(any::<u8>(), 0..256).prop_map(|b| RawBody::Body(Body::Garbage(b))),
        1 => (
            any::<u16>(),
            prop_oneof![0usize..20_000, 1_040_000usize..1_060_000, 1_000_000usize..2_100_000],
            select(&["a", "é", "😀", "\\"][..]),
            prop::bool::weighted(0.3),
        )
            .prop_map(|(f, len, unit, chunked)| RawBody::Huge(f, len, unit, chunked)),
    ]
}

/// A wrongly typed value for a field that takes `types`.
fn wrong_for(types: &[String], value: J) -> J {
    if types.iter().any(|t| t == value.type_name()) || value.type_name() == "null" {
        J::Arr(vec![value])
    } else {
        value
    }
}

/// What the case strategy needs of a route, owned.
struct RouteShape {
    template: String,
    methods: Vec<Method>,
    /// Method → (field, allowed JSON types).
    fields: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

fn case_strategy(env: Arc<Vec<RouteShape>>) -> impl Strategy<Value = Case> {
    let target = prop_oneof![
        3 => Just(Target::Own),
        1 => Just(Target::OtherPublic),
        1 => Just(Target::OtherPrivate),
        1 => any::<u128>().prop_map(|n| Target::Random(uuid::Uuid::from_u128(n).to_string())),
        2 => not_uuid().prop_map(Target::NotUuid),
        1 => select(nested::NOT_UTF8).prop_map(Target::Raw),
    ];
    let auth = prop_oneof![
        4 => Just(Auth::None),
        4 => Just(Auth::Valid),
        2 => bad_auth().prop_map(Auth::Bad),
    ];
    (
        any::<u16>(),
        prop::bool::weighted(0.85),
        any::<u16>(),
        target,
        auth,
        raw_body(),
        any::<bool>(),
        nested::nested(),
    )
        .prop_map(
            move |(r, documented, m, target, auth, raw, slash, nested)| {
                let shape = &env[r as usize % env.len()];
                let method = if documented {
                    shape.methods[m as usize % shape.methods.len()].clone()
                } else {
                    Method::from_bytes(METHODS[m as usize % METHODS.len()].as_bytes()).unwrap()
                };
                let template = &shape.template;
                let fields = shape
                    .fields
                    .get(method.as_str())
                    .cloned()
                    .unwrap_or_default();
                let pick = |i: u16| -> (String, Vec<String>) {
                    if fields.is_empty() {
                        ("title".into(), vec!["string".into()])
                    } else {
                        fields[i as usize % fields.len()].clone()
                    }
                };
                let body = match raw {
                    RawBody::Body(b) => b,
                    RawBody::WrongType(i, v) => {
                        let (name, types) = pick(i);
                        Body::Json {
                            ct: "application/json",
                            doc: J::Obj(vec![(name, wrong_for(&types, v))]),
                        }
                    }
                    RawBody::Huge(i, len, unit, chunked) => Body::Huge {
                        field: pick(i).0,
                        len,
                        unit,
                        chunked,
                    },
                };
                Case {
                    method,
                    template: template.clone(),
                    target,
                    auth,
                    body,
                    slash,
                    nested,
                }
            },
        )
}

// ---------------------------------------------------------------------------
// The sweep: every route × method × auth × each kind of bad body
// ---------------------------------------------------------------------------

fn fixed_bodies(schema: Option<&BodySchema>) -> Vec<Body> {
    let json = |doc: J| Body::Json {
        ct: "application/json",
        doc,
    };
    let s = |v: &str| J::Str(v.to_string());
    let first = schema
        .and_then(|s| s.fields.keys().next().cloned())
        .unwrap_or_else(|| "title".into());
    let mut bodies = vec![
        Body::Absent,
        Body::EmptyJson,
        json(J::Obj(vec![])),
        Body::Truncated {
            doc: J::Obj(vec![(first.clone(), s("x"))]),
            cut: 60000,
        },
        Body::InvalidUtf8 {
            doc: J::Obj(vec![(first.clone(), s("ab"))]),
            at: 65535 / 2,
            bytes: b"\xff",
        },
        // Not UTF-8 inside a field the route ignores.
        Body::Raw {
            text: [
                format!("{{\"{first}\": \"x\", \"zz\": \"a").as_bytes(),
                b"\xc3",
                b"b\"}",
            ]
            .concat(),
            reason: "invalid UTF-8",
            parse_error: true,
        },
        // A key the route ignores, twice.
        Body::Raw {
            text: br#"{"zz": 1, "zz": 2}"#.to_vec(),
            reason: "duplicate key",
            parse_error: false,
        },
        Body::Bomb {
            depth: 65,
            objects: false,
        },
        Body::Bomb {
            depth: 80,
            objects: true,
        },
        Body::Bomb {
            depth: 150_000,
            objects: false,
        },
        json(J::nested(J::Obj(vec![]), 64, false)),
        json(J::Arr(vec![s("x")])),
        json(J::Num("1e400".into())),
        json(J::Null),
        Body::OtherType {
            ct: "text/plain",
            doc: J::Obj(vec![]),
        },
        Body::OtherType {
            ct: "application/x-www-form-urlencoded",
            doc: J::Obj(vec![]),
        },
        Body::Garbage(b"\x00\x01\x02".to_vec()),
        Body::Huge {
            field: first.clone(),
            len: 2 * 1024 * 1024,
            unit: "a",
            chunked: false,
        },
        Body::Huge {
            field: first.clone(),
            len: 2 * 1024 * 1024,
            unit: "a",
            chunked: true,
        },
    ];
    for (name, types) in schema.map(|s| s.fields.clone()).unwrap_or_default() {
        let wrong = [
            J::Num("18446744073709551616".into()),
            J::Num("1e400".into()),
            J::Num("-0".into()),
            J::Bool(true),
            J::Arr(vec![]),
            J::Obj(vec![("a".into(), J::Null)]),
            s("x"),
        ];
        for value in wrong {
            if types.iter().any(|t| t == value.type_name()) {
                continue;
            }
            bodies.push(json(J::Obj(vec![(name.clone(), value)])));
        }
        bodies.push(json(J::Obj(vec![
            (name.clone(), s("a")),
            (name.clone(), s("b")),
        ])));
        if types.iter().any(|t| t == "string")
            && !matches!(name.as_str(), "refresh" | "password" | "old_password")
        {
            bodies.push(json(J::Obj(vec![(name.clone(), s("nul\u{0}here"))])));
        }
    }
    bodies
}

fn sweep(env: &Env) -> Vec<Case> {
    let mut cases = Vec::new();
    let auths = [
        Auth::None,
        Auth::Valid,
        Auth::Bad(BadAuth::Text("Bearer garbage".into())),
    ];
    let mut rotate = 0usize;
    for route in &env.routes {
        let targets: Vec<Target> =
            if route.template.contains("{id}") || route.template.contains("{card_id}") {
                vec![
                    Target::Own,
                    Target::OtherPublic,
                    Target::OtherPrivate,
                    Target::Random(uuid::Uuid::now_v7().to_string()),
                    Target::NotUuid("not-a-uuid".into()),
                    Target::Raw("%FF"),
                ]
            } else {
                vec![Target::Own]
            };
        for name in METHODS {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            let bodies = fixed_bodies(route.body(&method));
            let documented = route.methods.contains(&method);
            for target in &targets {
                for auth in &auths {
                    // Every method with a small body; documented ones also with
                    // one of the bad bodies in turn.
                    let mut chosen = vec![Body::Json {
                        ct: "application/json",
                        doc: J::Obj(vec![]),
                    }];
                    if documented {
                        rotate += 1;
                        chosen.push(bodies[rotate % bodies.len()].clone());
                    }
                    for body in chosen {
                        cases.push(Case {
                            method: method.clone(),
                            template: route.template.clone(),
                            target: target.clone(),
                            auth: auth.clone(),
                            body,
                            slash: rotate.is_multiple_of(2),
                            nested: nested::Nested::default(),
                        });
                    }
                }
            }
            // Signed in, on the caller's own item: every bad body.
            if documented && route.body(&method).is_some() {
                for body in bodies {
                    cases.push(Case {
                        method: method.clone(),
                        template: route.template.clone(),
                        target: Target::Own,
                        auth: Auth::Valid,
                        body,
                        slash: true,
                        nested: nested::Nested::default(),
                    });
                }
            }
        }
    }
    let templates: Vec<(String, Kind)> = env
        .routes
        .iter()
        .map(|r| (r.template.clone(), r.kind))
        .collect();
    cases.extend(nested::sweep(&templates));
    cases
}

/// The event stream: only its status line and headers are read.
async fn stream_answers(cx: &Cx<'_>, env: &Env, fuzz: &mut Fuzz) {
    let fx = env.fx.lock().unwrap().clone();
    let token = fx.token.clone();
    let thread = |card: &str| format!("/api/cards/{card}/replies/stream/");
    let cases: Vec<(String, Option<String>, u16)> = vec![
        ("/api/cards/stream".into(), None, 200),
        (
            "/api/cards/stream/".into(),
            Some(format!("Bearer {token}")),
            200,
        ),
        (
            "/api/cards/stream".into(),
            Some("Bearer garbage".into()),
            401,
        ),
        ("/api/cards/stream?visibility=everything".into(), None, 400),
        ("/api/cards/stream?owner=%27%20OR%201%3D1".into(), None, 400),
        // A card's thread: as readable as the card.
        (thread(&fx.other_card), None, 200),
        (thread(&fx.card), Some(format!("Bearer {token}")), 200),
        (
            thread(&fx.card),
            None,
            if fx.card_public { 200 } else { 404 },
        ),
        (
            thread(&fx.other_private),
            Some(format!("Bearer {token}")),
            404,
        ),
        (thread(&fx.other_card), Some("Bearer garbage".into()), 401),
        (thread("not-a-uuid"), None, 404),
        (thread(&uuid::Uuid::now_v7().to_string()), None, 404),
    ];
    for (path, auth, want) in cases {
        let mut req = Req::new(Method::GET, path.clone());
        if let Some(a) = &auth {
            req = req.header("authorization", HeaderValue::from_str(a).unwrap());
        }
        let outcome = match cx.send_head_only(&req).await {
            Err(v) => Err(v),
            Ok((status, headers)) => {
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let ok = status == want
                    && if want == 200 {
                        ct.starts_with("text/event-stream")
                    } else {
                        ct.starts_with("application/json")
                    };
                if ok {
                    Ok(())
                } else {
                    let route = if path.contains("/replies/") {
                        "/api/cards/{card_id}/replies/stream"
                    } else {
                        "/api/cards/stream"
                    };
                    Err(Violation::new(
                        format!("GET {route}: {status} ({ct}) instead of {want}"),
                        format!("request: {req:?}"),
                    ))
                }
            }
        };
        fuzz.fixed(&req, outcome);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rest_route_survives_generated_requests() {
    let app = TestApp::spawn().await;
    let cx = Cx::new(&app);
    let doc = app.get("/api/openapi.json", None).await.body;
    let routes = routes_from(&doc);
    let known: std::collections::BTreeSet<String> = routes
        .iter()
        .filter(|r| r.kind != Kind::Other)
        .map(|r| format!("{:?}", r.kind))
        .collect();
    assert_eq!(
        known.len(),
        18,
        "the OpenAPI document lists the contract's routes: {routes:?}"
    );
    let shapes: Vec<RouteShape> = routes
        .iter()
        .map(|r| RouteShape {
            template: r.template.clone(),
            methods: r.methods.clone(),
            fields: r
                .bodies
                .iter()
                .map(|(m, s)| (m.clone(), s.fields.clone().into_iter().collect()))
                .collect(),
        })
        .collect();
    let env = Env::setup(&cx, &app, routes).await;
    let mut fuzz = Fuzz::new("rest_routes");

    for case in sweep(&env) {
        let outcome = run_case(&cx, &env, &case).await;
        fuzz.fixed(&case, outcome);
    }
    stream_answers(&cx, &env, &mut fuzz).await;

    let (cx_ref, env_ref) = (&cx, &env);
    fuzz.run(
        fuzz_cases(),
        case_strategy(Arc::new(shapes)),
        move |case| async move { run_case(cx_ref, env_ref, &case).await },
    )
    .await;

    // Still serving, and the fixture's user can still read their own things.
    let fx = env.fx.lock().unwrap().clone();
    let me = cx
        .send(&Req::new(Method::GET, "/api/auth/user/").bearer(&fx.token))
        .await;
    fuzz.fixed(
        "GET /api/auth/user/ after the run",
        me.and_then(|r| {
            if r.status == 200 {
                Ok(())
            } else {
                Err(Violation::new(
                    "the fixture's session broke",
                    format!("{r:?}"),
                ))
            }
        }),
    );
    let ran: Vec<String> = env
        .ran
        .lock()
        .unwrap()
        .iter()
        .map(|(kind, n)| format!("{kind}×{n}"))
        .collect();
    println!("fuzz rest_routes cases: {}", ran.join(", "));
    fuzz.finish(&cx);
}
