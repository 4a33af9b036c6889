//! Prometheus metrics, when `METRICS_BIND` is set: the recorder, the
//! middleware that counts and times requests by route template, and the
//! router of the metrics listener, which samples at scrape time what is
//! cheaper to read than to track (database pool, open WebSockets, mail outbox).
//!
//! The recorder is global to the process and installed once: servers sharing
//! a process (the tests start several) share every counter and histogram, and
//! the sampled gauges show the instance scraped last. With `METRICS_BIND`
//! unset no recorder is installed, the middleware is not in the stack, and
//! each `metrics::counter!` elsewhere is a no-op (a thread-local read and an
//! atomic load).

use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::{LazyLock, OnceLock, RwLock},
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::DbBackend;
use tower::{Layer, Service};

use crate::{mail, state::AppState};

const REQUESTS: &str = "spider_web_http_requests_total";
const DURATION: &str = "spider_web_http_request_duration_seconds";
/// Upper bounds of the request-duration buckets, in seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// How often histogram samples are folded into their buckets between scrapes
/// (unscraped, they would pile up).
const UPKEEP: Duration = Duration::from_secs(5);
/// The `route` of a request no route answered (the 404 fallback).
const UNMATCHED: &str = "unmatched";

/// Installs the process's recorder on first use; every later call (another
/// server in the same process) gets the same handle.
pub fn install() -> Result<&'static PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.into()), DURATION_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
            describe();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP);
                        upkeep.run_upkeep();
                    }
                })
                .map_err(|e| format!("cannot start the metrics upkeep thread: {e}"))?;
            Ok(handle)
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
}

/// Every series but the request metrics, with its help line. The counters are
/// incremented where things happen (`metrics::counter!` with these names), the
/// gauges set at scrape time, except the SSE streams', kept by each stream.
#[rustfmt::skip]
const SERIES: &[(Kind, &str, &str)] = &[
    (Kind::Gauge, "spider_web_db_connections_in_use",
        "Database connections lent out of the pool."),
    (Kind::Gauge, "spider_web_db_connections_idle",
        "Database connections idle in the pool."),
    (Kind::Gauge, "spider_web_db_connections_max",
        "Most connections the pool may open (DB_MAX_CONNECTIONS)."),
    (Kind::Gauge, "spider_web_websockets_open",
        "Open GraphQL WebSocket connections."),
    (Kind::Gauge, "spider_web_sse_streams_open",
        "Open Server-Sent Events streams."),
    (Kind::Counter, "spider_web_feed_events_delivered_total",
        "Live-feed events handed to a subscriber (WebSocket or SSE)."),
    (Kind::Counter, "spider_web_feed_events_dropped_total",
        "Bus events missed by subscribers that fell more than 4096 behind (each is then closed)."),
    (Kind::Counter, "spider_web_feed_slow_subscribers_total",
        "Subscribers cut off: reason=lagged (4096 events behind) or stalled (a WebSocket write blocked 10 s)."),
    (Kind::Gauge, "spider_web_mail_outbox_pending",
        "Mails waiting in the outbox (not sent, not given up)."),
    (Kind::Gauge, "spider_web_mail_outbox_failed",
        "Mails kept as failed after their last attempt."),
    (Kind::Counter, "spider_web_mail_sent_total",
        "Mails sent (or written as .eml files)."),
    (Kind::Counter, "spider_web_mail_send_failures_total",
        "Failed mail attempts: outcome=retry (tried again later) or failed (given up)."),
    (Kind::Counter, "spider_web_rate_limit_refusals_total",
        "Requests refused by the abuse limits, by bucket."),
];

/// Help lines, and a zero for each counter known before it happens, so that a
/// dashboard sees 0 rather than nothing.
fn describe() {
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Time to the response head, by method and route template (streams and WebSockets stay open after it)."
    );
    for &(kind, name, help) in SERIES {
        match kind {
            Kind::Counter => describe_counter!(name, help),
            Kind::Gauge => describe_gauge!(name, help),
        }
    }
    counter!("spider_web_feed_events_delivered_total").increment(0);
    counter!("spider_web_feed_events_dropped_total").increment(0);
    for reason in ["lagged", "stalled"] {
        counter!("spider_web_feed_slow_subscribers_total", "reason" => reason).increment(0);
    }
    counter!("spider_web_mail_sent_total").increment(0);
    for outcome in ["retry", "failed"] {
        counter!("spider_web_mail_send_failures_total", "outcome" => outcome).increment(0);
    }
    gauge!("spider_web_sse_streams_open").increment(0.0);
}

/// The router of the metrics listener: `GET /metrics`.
pub fn router(state: AppState, handle: &'static PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { state, handle })
}

#[derive(Clone)]
struct Scrape {
    state: AppState,
    handle: &'static PrometheusHandle,
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    sample(&scrape.state).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
        .into_response()
}

/// Sets the gauges read at scrape time from this instance.
async fn sample(state: &AppState) {
    let db = &state.domain.db;
    let pool = match db.get_database_backend() {
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            Some((p.size(), p.num_idle(), p.options().get_max_connections()))
        }
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            Some((p.size(), p.num_idle(), p.options().get_max_connections()))
        }
        _ => None,
    };
    if let Some((size, idle, max)) = pool {
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        gauge!("spider_web_db_connections_in_use").set(size.saturating_sub(idle));
        gauge!("spider_web_db_connections_idle").set(idle);
        gauge!("spider_web_db_connections_max").set(max);
    }
    let open = state
        .config
        .ws_max_connections
        .saturating_sub(state.ws_slots.available_permits());
    gauge!("spider_web_websockets_open").set(open as f64);
    // A database that does not answer leaves the outbox gauges as they were.
    match tokio::time::timeout(Duration::from_secs(2), mail::outbox_backlog(db)).await {
        Ok(Ok(backlog)) => {
            gauge!("spider_web_mail_outbox_pending").set(backlog.pending as f64);
            gauge!("spider_web_mail_outbox_failed").set(backlog.failed as f64);
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: cannot count the mail outbox"),
        Err(_) => tracing::warn!("metrics: counting the mail outbox timed out"),
    }
}

/// Counts and times every request by method, route template and status.
#[derive(Clone, Copy, Default)]
pub struct TrackRequests;

impl<S> Layer<S> for TrackRequests {
    type Service = Tracked<S>;

    fn layer(&self, inner: S) -> Tracked<S> {
        Tracked { inner }
    }
}

#[derive(Clone)]
pub struct Tracked<S> {
    inner: S,
}

impl<S> Service<Request> for Tracked<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The router has matched by now (this layer wraps each route): the
        // template is known, and interned, so labels cost no allocation.
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, |p| intern(p.as_str()));
        TrackedFuture {
            method: method_label(req.method()),
            route,
            started: Instant::now(),
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        method: &'static str,
        route: &'static str,
        started: Instant,
    }
}

impl<F, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            let (method, route) = (*this.method, *this.route);
            let status = status_label(response.status());
            counter!(REQUESTS, "method" => method, "route" => route, "status" => status)
                .increment(1);
            histogram!(DURATION, "method" => method, "route" => route)
                .record(this.started.elapsed().as_secs_f64());
        }
        Poll::Ready(result)
    }
}

/// The route templates seen so far, kept for the process's life (there are as
/// many as the router has routes).
fn intern(route: &str) -> &'static str {
    static ROUTES: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
    if let Some(known) = ROUTES.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return known;
    }
    let mut routes = ROUTES.write().unwrap_or_else(|e| e.into_inner());
    match routes.get(route) {
        Some(known) => known,
        None => {
            let leaked: &'static str = Box::leak(route.into());
            routes.insert(leaked);
            leaked
        }
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// `"200"` for 200 and so on, without formatting each time.
fn status_label(status: StatusCode) -> &'static str {
    // Every code a `StatusCode` can hold (100–999), three digits each.
    static CODES: LazyLock<String> = LazyLock::new(|| (100..1000).map(|c| c.to_string()).collect());
    let at = (usize::from(status.as_u16()).clamp(100, 999) - 100) * 3;
    &CODES[at..at + 3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_static_and_exact() {
        assert_eq!(status_label(StatusCode::OK), "200");
        assert_eq!(status_label(StatusCode::TOO_MANY_REQUESTS), "429");
        assert_eq!(status_label(StatusCode::from_u16(999).unwrap()), "999");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(
            method_label(&Method::from_bytes(b"PURGE").unwrap()),
            "OTHER"
        );
        let a = intern("/api/cards/{id}");
        let b = intern(&String::from("/api/cards/{id}"));
        assert!(std::ptr::eq(a, b));
    }
}
