//! Bad input, systematically: property-based tests (proptest) that throw generated
//! and malformed requests at every REST route and at `/graphql`, and check that
//! nothing answers 5xx or drops the connection (a panic), and that every answer
//! has the contract's shape and status.
//!
//! Each test spawns one server and runs `FUZZ_CASES` generated cases against it
//! (default 64, so a plain `cargo test` stays fast; CI sets more). Generation is
//! seeded: a failure prints its seed, and `FUZZ_SEED=<seed>` replays the run.
//! A test does not stop at its first violation: it runs every case, shrinks the
//! first example of each kind of violation, prints
//! `fuzz <name>: N cases, R requests, K distinct statuses [...]`, and then fails
//! listing each kind with its smallest example. When every fuzz test of the
//! binary has run, a `fuzz summary:` line adds them up. `FUZZ_TRACE=1` prints
//! every request and its status to stderr.
//!
//! `conversation` is stateful: it follows replies and reactions in a model of
//! the server and checks every answer (and every card's `reply_count` and
//! `reactions`) against it, through both doors.
//!
//! Run: `FUZZ_CASES=2000 cargo test fuzz -- --nocapture` (the counts print on
//! stdout). Timing on the 2-core machine, the whole module alone: 500 cases
//! ≈ 21 s on SQLite and 27–32 s on PostgreSQL; 2000 ≈ 70–75 s and 90–100 s.

use std::{
    collections::BTreeMap,
    fmt::{Debug, Write as _},
    future::Future,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngSeed, TestRunner},
};
use reqwest::{
    Method,
    header::{HeaderMap, HeaderName, HeaderValue},
};
use serde_json::Value;

use crate::helpers::TestApp;

/// Fails the current check with a violation of `kind` unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $kind:expr, $($detail:tt)+) => {
        if !$cond {
            return Err($crate::fuzz::Violation::new($kind, format!($($detail)+)));
        }
    };
}

mod conversation;
mod emoji;
mod graphql;
mod query_strings;
mod rest_routes;
mod strategies;
mod usernames;
mod verbatim;

/// The fuzz tests of this module, for the closing summary.
const ALL_TESTS: &[&str] = &[
    "rest_routes",
    "query_strings",
    "verbatim",
    "graphql",
    "usernames",
    "conversation",
];

/// Generated cases per test: `FUZZ_CASES`, default 64.
pub fn fuzz_cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(64)
}

/// `FUZZ_SEED`, or a fresh random seed.
fn fuzz_seed() -> u64 {
    use std::hash::BuildHasher as _;
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| std::collections::hash_map::RandomState::new().hash_one(Instant::now()))
}

/// Something the server did that the contract forbids.
#[derive(Debug, Clone)]
pub struct Violation {
    /// What kind of violation (used to group and deduplicate).
    pub kind: String,
    /// The request and the response.
    pub detail: String,
}

impl Violation {
    pub fn new(kind: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            detail: detail.into(),
        }
    }
}

pub type Check = Result<(), Violation>;

/// Keeps the start and the end of a long text.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut head = max * 2 / 3;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - max / 3;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}…[{} bytes]…{}",
        &s[..head],
        s.len() - head - (s.len() - tail),
        &s[tail..]
    )
}

// ---------------------------------------------------------------------------
// Requests and replies
// ---------------------------------------------------------------------------

/// How a request body is sent.
#[derive(Clone)]
pub enum Payload {
    None,
    /// With a `Content-Length`.
    Bytes(Vec<u8>),
    /// `Transfer-Encoding: chunked`, in 64 KiB chunks.
    Chunked(Vec<u8>),
}

/// One HTTP request, as sent.
#[derive(Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub payload: Payload,
}

impl Req {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            payload: Payload::None,
        }
    }

    pub fn header(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.push((HeaderName::from_static(name), value));
        self
    }

    pub fn content_type(self, ct: &str) -> Self {
        match HeaderValue::from_str(ct) {
            Ok(v) => self.header("content-type", v),
            Err(_) => self,
        }
    }

    pub fn bearer(self, token: &str) -> Self {
        let v = HeaderValue::from_str(&format!("Bearer {token}")).expect("a token is ASCII");
        self.header("authorization", v)
    }

    pub fn json(self, body: &Value) -> Self {
        self.content_type("application/json")
            .bytes(serde_json::to_vec(body).unwrap())
    }

    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self.payload = Payload::Bytes(body);
        self
    }
}

impl Debug for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, clip(&self.path, 300))?;
        for (name, value) in &self.headers {
            let v = String::from_utf8_lossy(value.as_bytes());
            write!(f, "\n  {name}: {}", clip(&v, 120))?;
        }
        match &self.payload {
            Payload::None => Ok(()),
            Payload::Bytes(b) | Payload::Chunked(b) => {
                let kind = if matches!(self.payload, Payload::Chunked(_)) {
                    " (chunked)"
                } else {
                    ""
                };
                write!(
                    f,
                    "\n  body{kind} [{} bytes]: {}",
                    b.len(),
                    clip(&String::from_utf8_lossy(b), 400)
                )
            }
        }
    }
}

/// The pseudo-status of an oversized upload that the server cut off by
/// answering and closing the connection while the client was still sending
/// (hyper's client then reports a broken pipe instead of the early 413). It
/// stands for a 413: without a body limit the server would have read the body.
pub const CUT_OFF: u16 = 0;

/// A failure to write the request (the server closed the connection early).
fn is_write_error(e: &reqwest::Error) -> bool {
    let text = format!("{e:?}");
    e.is_request()
        && (text.contains("BodyWrite")
            || text.contains("BrokenPipe")
            || text.contains("ConnectionReset"))
}

/// One HTTP response.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON (None when empty or not JSON).
    pub json: Option<Value>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn is_json_type(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("application/json")
                || ct.starts_with("application/graphql-response+json")
        })
    }
}

impl Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        for name in ["content-type", "www-authenticate", "allow", "location"] {
            if let Some(v) = self.header(name) {
                write!(f, "\n  {name}: {v}")?;
            }
        }
        write!(f, "\n  body: {}", clip(&self.text, 600))
    }
}

/// Request and response, for a violation's detail.
pub fn exchange(req: &Req, reply: &Reply) -> String {
    format!("request: {req:?}\nresponse: {reply:?}")
}

/// The client side of a fuzz test: sends requests to one server and counts them.
pub struct Cx<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    requests: AtomicU64,
    statuses: Mutex<BTreeMap<u16, u64>>,
    /// `FUZZ_TRACE=1`: print every request and its status to stderr.
    trace: bool,
}

impl<'a> Cx<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            // No connection reuse: a connection the server closes after an
            // early answer must not fail the next, unrelated request.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(40))
                .build()
                .unwrap(),
            requests: AtomicU64::new(0),
            statuses: Mutex::new(BTreeMap::new()),
            trace: std::env::var_os("FUZZ_TRACE").is_some(),
        }
    }

    fn build(&self, req: &Req) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .request(req.method.clone(), self.app.url(&req.path));
        for (name, value) in &req.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        match &req.payload {
            Payload::None => builder,
            Payload::Bytes(b) => builder.body(b.clone()),
            Payload::Chunked(b) => {
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    b.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
                builder.body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks,
                )))
            }
        }
    }

    fn count(&self, status: u16) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        *self.statuses.lock().unwrap().entry(status).or_default() += 1;
    }

    /// Sends a request and reads the whole response. A connection the server
    /// drops (a panic in a handler) or a hang is a violation.
    pub async fn send(&self, req: &Req) -> Result<Reply, Violation> {
        let resp = match self.build(req).send().await {
            Ok(resp) => resp,
            // Also a large body the route refused before reading it (a 405 or
            // 401 answered early): the server may close while it is still sent.
            Err(e) if (self.oversized(req) || self.large(req)) && is_write_error(&e) => {
                // The server answered (413) and closed the connection before
                // the client finished uploading: the upload was cut off.
                self.count(CUT_OFF);
                return Ok(Reply {
                    status: CUT_OFF,
                    headers: HeaderMap::new(),
                    text: String::new(),
                    json: None,
                });
            }
            Err(e) => {
                self.requests.fetch_add(1, Ordering::Relaxed);
                return Err(Violation::new(
                    "no response (connection dropped: a panic?, or a hang)",
                    format!("request: {req:?}\nerror: {e:?}"),
                ));
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                self.count(status);
                return Err(Violation::new(
                    "response body cut off (a panic while streaming?)",
                    format!("request: {req:?}\nstatus {status}, error: {e:?}"),
                ));
            }
        };
        self.count(status);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if self.trace {
            eprintln!("{req:?}\n  -> {status} {}", clip(&text, 200));
        }
        let json = serde_json::from_slice(&bytes).ok();
        Ok(Reply {
            status,
            headers,
            text,
            json,
        })
    }

    /// Sends a request and reads only the status line and headers (for the
    /// endless event stream).
    pub async fn send_head_only(&self, req: &Req) -> Result<(u16, HeaderMap), Violation> {
        match self.build(req).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                self.count(status);
                Ok((status, resp.headers().clone()))
            }
            Err(e) => {
                self.requests.fetch_add(1, Ordering::Relaxed);
                Err(Violation::new(
                    "no response (connection dropped: a panic?, or a hang)",
                    format!("request: {req:?}\nerror: {e:?}"),
                ))
            }
        }
    }

    fn large(&self, req: &Req) -> bool {
        match &req.payload {
            Payload::None => false,
            Payload::Bytes(b) | Payload::Chunked(b) => b.len() > 256 * 1024,
        }
    }

    fn oversized(&self, req: &Req) -> bool {
        match &req.payload {
            Payload::None => false,
            Payload::Bytes(b) | Payload::Chunked(b) => b.len() > self.app.config.body_limit,
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn statuses(&self) -> BTreeMap<u16, u64> {
        self.statuses.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------
// Contract shapes shared by the REST tests
// ---------------------------------------------------------------------------

/// The `detail` the contract fixes for a `{"detail", "code"}` error code.
fn fixed_detail(code: &str) -> Option<&'static str> {
    Some(match code {
        "not_authenticated" => "Authentication credentials were not provided.",
        "token_not_valid" => "Given token not valid for any token type",
        "permission_denied" => "You do not have permission to perform this action.",
        "not_found" => "Not found.",
        _ => return None,
    })
}

/// The `code` a `{"detail", "code"}` body must carry for a status (400 may also
/// be a field map).
fn code_for_status(status: u16) -> Option<&'static [&'static str]> {
    Some(match status {
        400 => &["parse_error"],
        401 => &["not_authenticated", "token_not_valid"],
        403 => &["permission_denied"],
        404 => &["not_found"],
        405 => &["method_not_allowed"],
        409 => &["conflict"],
        413 => &["payload_too_large"],
        415 => &["unsupported_media_type"],
        429 => &["throttled"],
        _ => return None,
    })
}

/// Is this a validation body: `{"field": ["message", ...], ...}`?
pub fn is_field_map(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.values().all(|msgs| {
                msgs.as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
            })
    })
}

/// Markers of internals that must never reach a client (unless the request
/// itself carried them, as echoed input).
const LEAKS: &[&str] = &[
    "panicked at",
    "RUST_BACKTRACE",
    "DbErr",
    "sqlx",
    "SqlxError",
    "SQLSTATE",
    "RecordNotFound",
    "stack backtrace",
    "InvalidRequest(",
    "src/",
];

/// Any REST response: never 5xx; 4xx bodies are `{"detail", "code"}` (with the
/// code and detail the contract gives that status) or a field map; 401 carries
/// `WWW-Authenticate: Bearer`, 405 `Allow`; 2xx bodies are JSON, 204 empty.
pub fn check_rest_shape(req: &Req, reply: &Reply) -> Check {
    if reply.status == CUT_OFF {
        return Ok(());
    }
    let x = || exchange(req, reply);
    ensure!(
        reply.status < 500,
        format!(
            "{} {} answers {} (5xx)",
            req.method,
            req.path.split('?').next().unwrap_or_default(),
            reply.status
        ),
        "{}",
        x()
    );
    let sent = match &req.payload {
        Payload::None => String::new(),
        Payload::Bytes(b) | Payload::Chunked(b) => String::from_utf8_lossy(b).into_owned(),
    };
    for leak in LEAKS {
        ensure!(
            !reply.text.contains(leak) || sent.contains(leak) || req.path.contains(leak),
            format!("response leaks internals ({leak:?})"),
            "{}",
            x()
        );
    }
    match reply.status {
        204 => ensure!(reply.text.is_empty(), "204 with a body", "{}", x()),
        200..=299 => {
            ensure!(
                reply.json.is_some() && reply.is_json_type(),
                format!("{} body is not JSON", reply.status),
                "{}",
                x()
            );
        }
        400..=499 => {
            let Some(body) = &reply.json else {
                return Err(Violation::new(
                    format!("{} body is not JSON", reply.status),
                    x(),
                ));
            };
            ensure!(
                reply.is_json_type(),
                format!("{} without a JSON content type", reply.status),
                "{}",
                x()
            );
            let detail_shape = body.as_object().is_some_and(|m| {
                m.len() == 2
                    && m.get("detail").is_some_and(Value::is_string)
                    && m.get("code").is_some_and(Value::is_string)
            });
            if reply.status == 400 && !detail_shape {
                ensure!(
                    is_field_map(body),
                    "400 body is neither {detail, code} nor a field map",
                    "{}",
                    x()
                );
            } else {
                ensure!(
                    detail_shape,
                    format!("{} body is not {{\"detail\", \"code\"}}", reply.status),
                    "{}",
                    x()
                );
                let code = body["code"].as_str().unwrap_or_default();
                if let Some(codes) = code_for_status(reply.status) {
                    ensure!(
                        codes.contains(&code),
                        format!("{} with code {code:?}", reply.status),
                        "{}",
                        x()
                    );
                }
                if let Some(detail) = fixed_detail(code) {
                    ensure!(
                        body["detail"] == detail,
                        format!("{code} with another detail"),
                        "{}",
                        x()
                    );
                }
            }
            if reply.status == 401 {
                ensure!(
                    reply
                        .header("www-authenticate")
                        .is_some_and(|c| c.starts_with("Bearer")),
                    "401 without WWW-Authenticate: Bearer",
                    "{}",
                    x()
                );
            }
            if reply.status == 405 {
                ensure!(
                    reply.header("allow").is_some(),
                    "405 without Allow",
                    "{}",
                    x()
                );
            }
        }
        other => {
            return Err(Violation::new(
                format!("unexpected status class {other}"),
                x(),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------

/// How many inputs a shrink may try, and for how long.
const SHRINK_STEPS: u32 = 48;
const SHRINK_TIME: Duration = Duration::from_secs(20);
/// How many kinds of violation a failing test lists with an example (the
/// others by name only).
const MAX_KINDS_LISTED: usize = 30;

struct Found {
    count: u64,
    input: String,
    detail: String,
}

/// One fuzz test: generates cases with proptest, runs them, collects violations.
pub struct Fuzz {
    name: &'static str,
    seed: u64,
    runner: TestRunner,
    cases: u64,
    started: Instant,
    found: BTreeMap<String, Found>,
}

impl Fuzz {
    pub fn new(name: &'static str) -> Self {
        let seed = fuzz_seed();
        let config = Config {
            cases: fuzz_cases(),
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(seed),
            ..Config::default()
        };
        Self {
            name,
            seed,
            runner: TestRunner::new(config),
            cases: 0,
            started: Instant::now(),
            found: BTreeMap::new(),
        }
    }

    fn record(&mut self, input: String, v: Violation) {
        let entry = self.found.entry(v.kind).or_insert(Found {
            count: 0,
            input,
            detail: v.detail,
        });
        entry.count += 1;
    }

    /// One hand-written case.
    pub fn fixed(&mut self, input: impl Debug, outcome: Check) {
        self.cases += 1;
        if let Err(v) = outcome {
            self.record(format!("{input:?}"), v);
        }
    }

    /// Runs `n` cases drawn from `strategy` through `check`. The first failing
    /// input of each kind of violation is shrunk (proptest's simplify /
    /// complicate) while it keeps failing the same way.
    pub async fn run<S, F, Fut>(&mut self, n: u32, strategy: S, mut check: F)
    where
        S: Strategy,
        S::Value: Debug,
        F: FnMut(S::Value) -> Fut,
        Fut: Future<Output = Check>,
    {
        for _ in 0..n {
            let mut tree = strategy
                .new_tree(&mut self.runner)
                .unwrap_or_else(|e| panic!("fuzz {}: cannot generate: {e}", self.name));
            self.cases += 1;
            let Err(v) = check(tree.current()).await else {
                continue;
            };
            if self.found.contains_key(&v.kind) {
                let input = format!("{:?}", tree.current());
                self.record(clip(&input, 3000), v);
                continue;
            }
            // Shrink: keep simplifying while the same kind of violation shows.
            let (mut best_input, mut best) = (format!("{:?}", tree.current()), v);
            let shrink_start = Instant::now();
            let mut steps = 0;
            let mut can_simplify = tree.simplify();
            while can_simplify && steps < SHRINK_STEPS && shrink_start.elapsed() < SHRINK_TIME {
                steps += 1;
                self.cases += 1;
                match check(tree.current()).await {
                    Err(again) if again.kind == best.kind => {
                        best_input = format!("{:?}", tree.current());
                        best = again;
                        can_simplify = tree.simplify();
                    }
                    _ => can_simplify = tree.complicate(),
                }
            }
            self.record(clip(&best_input, 3000), best);
        }
    }

    /// Prints the counts, adds them to the summary, and fails listing every kind
    /// of violation found.
    pub fn finish(self, cx: &Cx<'_>) {
        let statuses = cx.statuses();
        let list: Vec<String> = statuses
            .iter()
            .map(|(s, n)| match *s {
                CUT_OFF => format!("413(cut off)×{n}"),
                s => format!("{s}×{n}"),
            })
            .collect();
        let violations: u64 = self.found.values().map(|f| f.count).sum();
        println!(
            "fuzz {}: {} cases, {} requests, {} distinct statuses [{}], {} violations, {:.1}s (FUZZ_CASES={}, seed {})",
            self.name,
            self.cases,
            cx.requests(),
            statuses.len(),
            list.join(" "),
            violations,
            self.started.elapsed().as_secs_f64(),
            fuzz_cases(),
            self.seed,
        );
        summary(self.name, self.cases, cx.requests(), violations);
        if self.found.is_empty() {
            return;
        }
        let mut report = format!(
            "fuzz {}: {} kind(s) of contract violation in {} cases (replay with FUZZ_SEED={} FUZZ_CASES={}):",
            self.name,
            self.found.len(),
            self.cases,
            self.seed,
            fuzz_cases()
        );
        for (i, (kind, f)) in self.found.iter().enumerate() {
            if i >= MAX_KINDS_LISTED {
                let _ = write!(report, "\n\n[{}] {kind} ({} case(s))", i + 1, f.count);
                continue;
            }
            let _ = write!(
                report,
                "\n\n[{}] {kind} ({} case(s))\n input: {}\n {}",
                i + 1,
                f.count,
                f.input,
                f.detail.replace('\n', "\n ")
            );
        }
        panic!("{report}");
    }
}

/// Totals across the module's tests; printed once all of them have finished.
fn summary(name: &'static str, cases: u64, requests: u64, violations: u64) {
    static DONE: Mutex<Vec<(&str, u64, u64, u64)>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap();
    done.push((name, cases, requests, violations));
    if ALL_TESTS.iter().all(|t| done.iter().any(|d| d.0 == *t)) {
        let (c, r, v) = done
            .iter()
            .fold((0, 0, 0), |(c, r, v), d| (c + d.1, r + d.2, v + d.3));
        println!(
            "fuzz summary: {} tests, {c} cases, {r} requests, {v} violations (FUZZ_CASES={})",
            done.len(),
            fuzz_cases()
        );
    }
}

/// A path segment with every byte that is not alphanumeric percent-encoded.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A query-string component, form-encoded.
pub fn encode_query(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
