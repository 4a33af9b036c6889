//! `feed-bench`: N concurrent GraphQL-over-WebSocket subscribers of
//! `Subscription.cardEvents` on one server, one writer posting cards over REST.
//!
//! It measures the delivery latency of every `CREATED` event to every
//! subscriber (receive instant minus the instant the POST was sent) and, given
//! `--server-pid`, the server's memory (`VmRSS` / `VmHWM` from
//! `/proc/<pid>/status`).
//!
//! Only loopback addresses are accepted. Every phase is bounded in time and the
//! program stops by itself.
//!
//! Exit status: 0 when the run completed and the targets were met, 2 when it
//! completed but a target was missed, 1 when it could not run.

use std::{
    collections::BTreeMap,
    net::IpAddr,
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    net::TcpStream,
    sync::{Semaphore, watch},
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{
        Message,
        client::IntoClientRequest,
        http::HeaderValue,
        protocol::{WebSocketConfig, frame::coding::CloseCode},
    },
};

const PROTOCOL: &str = "graphql-transport-ws";
const QUERY: &str = "subscription { cardEvents { kind cardId card { id title } } }";

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "feed-bench",
    about = "N concurrent cardEvents subscribers on one server, a writer posting cards; \
             reports delivery latency and the server's memory"
)]
struct Args {
    /// Base URL of the server; must be a loopback address.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    url: String,

    /// Concurrent WebSocket subscribers.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,

    /// Cards the writer posts.
    #[arg(long, default_value_t = 20)]
    events: usize,

    /// Time between two posts, in milliseconds.
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,

    /// Subscriber handshakes (connect, init/ack, subscribe) in flight at once.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,

    /// Pause after the last subscription before the first post, in milliseconds
    /// (lets the server register the last subscriptions).
    #[arg(long, default_value_t = 2_000)]
    settle_ms: u64,

    /// Limit for one subscriber's handshake, in seconds.
    #[arg(long, default_value_t = 30)]
    handshake_timeout_secs: u64,

    /// Limit for the whole connect phase, in seconds; subscribers not ready by
    /// then are abandoned and counted as failed.
    #[arg(long, default_value_t = 300)]
    connect_phase_secs: u64,

    /// After the last post, how long to wait for late deliveries, in seconds.
    #[arg(long, default_value_t = 5)]
    drain_secs: u64,

    /// Pid of the server, to report its memory from /proc/<pid>/status.
    #[arg(long)]
    server_pid: Option<u32>,

    /// Subscribers authenticate with the writer's access token instead of
    /// subscribing anonymously.
    #[arg(long)]
    authenticated: bool,

    /// Target: p99 delivery latency, in milliseconds.
    #[arg(long, default_value_t = 250.0)]
    target_p99_ms: f64,

    /// Target: the server's peak RSS (VmHWM), in MiB.
    #[arg(long, default_value_t = 512)]
    target_rss_mib: u64,
}

/// State shared by the subscriber tasks.
struct Shared {
    ws_url: String,
    /// The title prefix of this run's cards.
    tag: String,
    events: usize,
    init_payload: Value,
    handshake_timeout: Duration,
    /// Set when the connect phase is over: late handshakes give up.
    phase_over: AtomicBool,
    subscribed: AtomicUsize,
    failed: AtomicUsize,
    /// Deliveries of this run's events, over all subscribers.
    delivered: AtomicUsize,
    /// Handshake failures by cause.
    failures: Mutex<BTreeMap<String, usize>>,
}

impl Shared {
    fn fail(&self, cause: String) -> SubResult {
        self.failed.fetch_add(1, Ordering::SeqCst);
        *self.failures.lock().unwrap().entry(cause).or_default() += 1;
        SubResult::default()
    }
}

/// How a subscriber's socket ended, if it ended before the run did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ended {
    /// The server sent a close frame (code).
    Closed(Option<u16>),
    /// The server completed the subscription.
    Completed,
    /// The socket failed or reached EOF without a close frame.
    Dropped(String),
}

#[derive(Default)]
struct SubResult {
    subscribed: bool,
    handshake: Duration,
    /// (event sequence number, receive instant).
    received: Vec<(u32, Instant)>,
    duplicates: u32,
    errors: u32,
    unexpected: u32,
    ended: Option<Ended>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("feed-bench: error: {e}");
            ExitCode::from(1)
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn run(args: Args) -> Result<ExitCode, BoxError> {
    let base = reqwest::Url::parse(&args.url)?;
    let host = base.host_str().ok_or("--url has no host")?;
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| format!("--url must use a loopback IP address, not {host:?}"))?;
    if !ip.is_loopback() {
        return Err(format!("--url must point at a loopback address, not {ip}").into());
    }
    if args.subscribers == 0 || args.events == 0 || args.connect_concurrency == 0 {
        return Err("--subscribers, --events and --connect-concurrency must be positive".into());
    }
    let port = base.port_or_known_default().ok_or("--url has no port")?;
    let authority = match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    let ws_url = format!("ws://{authority}/graphql/ws");
    let api = format!("http://{authority}");

    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()?;

    println!(
        "feed-bench: {} subscribers, {} events every {} ms, server {api}{}",
        args.subscribers,
        args.events,
        args.interval_ms,
        match args.server_pid {
            Some(pid) => format!(" (pid {pid})"),
            None => String::new(),
        }
    );

    // (1) The writer.
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis()
        % 10_000_000_000;
    let username = format!("feedbench{run_id}");
    let resp = http
        .post(format!("{api}/api/auth/register"))
        .json(&json!({
            "username": username,
            "email": format!("{username}@bench.invalid"),
            "password1": "feed-bench-Pa55word",
            "password2": "feed-bench-Pa55word",
        }))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status.as_u16() != 201 {
        return Err(format!("registering the writer: HTTP {status}: {body}").into());
    }
    let token = body["access"]
        .as_str()
        .ok_or("register answered without an access token")?
        .to_string();

    let baseline = args.server_pid.and_then(proc_mem);
    let me = std::process::id();
    let cpu_connect = (args.server_pid.and_then(proc_cpu), proc_cpu(me));

    // (2) The subscribers.
    let shared = Arc::new(Shared {
        ws_url,
        tag: format!("feed-bench {run_id}"),
        events: args.events,
        init_payload: if args.authenticated {
            json!({"Authorization": format!("Bearer {token}")})
        } else {
            json!({})
        },
        handshake_timeout: Duration::from_secs(args.handshake_timeout_secs),
        phase_over: AtomicBool::new(false),
        subscribed: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        delivered: AtomicUsize::new(0),
        failures: Mutex::new(BTreeMap::new()),
    });
    let permits = Arc::new(Semaphore::new(args.connect_concurrency));
    let (stop_tx, stop_rx) = watch::channel(false);

    let connect_start = Instant::now();
    let mut tasks = Vec::with_capacity(args.subscribers);
    for _ in 0..args.subscribers {
        tasks.push(tokio::spawn(subscriber(
            shared.clone(),
            permits.clone(),
            stop_rx.clone(),
        )));
    }
    let phase_deadline = connect_start + Duration::from_secs(args.connect_phase_secs);
    let mut last_report = Instant::now();
    loop {
        let ok = shared.subscribed.load(Ordering::SeqCst);
        let failed = shared.failed.load(Ordering::SeqCst);
        if ok + failed >= args.subscribers {
            break;
        }
        if Instant::now() >= phase_deadline {
            eprintln!(
                "feed-bench: connect phase limit ({} s) reached with {ok} subscribed, {failed} failed",
                args.connect_phase_secs
            );
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            eprintln!(
                "feed-bench: connecting... {ok} subscribed, {failed} failed ({:.1} s)",
                connect_start.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Whoever is not subscribed by now gives up.
    shared.phase_over.store(true, Ordering::SeqCst);
    permits.close();
    let connect_time = connect_start.elapsed();
    let subscribed = shared.subscribed.load(Ordering::SeqCst);
    eprintln!(
        "feed-bench: {subscribed} subscribed in {:.2} s; settling {} ms",
        connect_time.as_secs_f64(),
        args.settle_ms
    );
    let cpu_connected = (args.server_pid.and_then(proc_cpu), proc_cpu(me));
    tokio::time::sleep(Duration::from_millis(args.settle_ms)).await;
    let idle = args.server_pid.and_then(proc_mem);
    let cpu_events = (args.server_pid.and_then(proc_cpu), proc_cpu(me));
    let events_start = Instant::now();

    // (3) The writer posts, on a fixed schedule.
    let interval = Duration::from_millis(args.interval_ms);
    let mut sent: Vec<Option<Instant>> = vec![None; args.events];
    let mut post_ms: Vec<f64> = Vec::with_capacity(args.events);
    let mut post_errors: Vec<String> = Vec::new();
    let posts_start = tokio::time::Instant::now();
    for (seq, slot) in sent.iter_mut().enumerate() {
        tokio::time::sleep_until(posts_start + interval * seq as u32).await;
        let t0 = Instant::now();
        let result = http
            .post(format!("{api}/api/cards/"))
            .bearer_auth(&token)
            .json(&json!({
                "title": format!("{} #{seq}", shared.tag),
                "body": "Posted by the subscriber benchmark.",
                "visibility": "public",
            }))
            .send()
            .await;
        let took = t0.elapsed();
        match result {
            Ok(r) if r.status().as_u16() == 201 => {
                *slot = Some(t0);
                post_ms.push(ms(took));
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                post_errors.push(format!("event {seq}: HTTP {status}: {text}"));
            }
            Err(e) => post_errors.push(format!("event {seq}: {e}")),
        }
    }
    let posted = sent.iter().filter(|s| s.is_some()).count();

    // (4) Wait for the last deliveries, at most --drain-secs.
    let drain_deadline = Instant::now() + Duration::from_secs(args.drain_secs);
    let expected = subscribed * posted;
    while shared.delivered.load(Ordering::SeqCst) < expected && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let end = args.server_pid.and_then(proc_mem);
    let cpu_end = (args.server_pid.and_then(proc_cpu), proc_cpu(me));
    let events_time = events_start.elapsed();

    // (5) Stop everyone and gather.
    let _ = stop_tx.send(true);
    let mut results = Vec::with_capacity(tasks.len());
    let gather_deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut lost_tasks = 0usize;
    for task in tasks {
        match tokio::time::timeout_at(gather_deadline, task).await {
            Ok(Ok(r)) => results.push(r),
            Ok(Err(_)) => lost_tasks += 1,
            Err(_) => lost_tasks += 1,
        }
    }

    // Report.
    let mut latencies_us: Vec<u64> = Vec::with_capacity(expected);
    let mut per_event: Vec<Vec<u64>> = vec![Vec::new(); args.events];
    let mut handshakes_us: Vec<u64> = Vec::with_capacity(subscribed);
    let (mut duplicates, mut errors, mut unexpected) = (0u64, 0u64, 0u64);
    let mut ended: BTreeMap<Ended, usize> = BTreeMap::new();
    for r in &results {
        duplicates += u64::from(r.duplicates);
        errors += u64::from(r.errors);
        unexpected += u64::from(r.unexpected);
        if !r.subscribed {
            continue;
        }
        handshakes_us.push(r.handshake.as_micros() as u64);
        if let Some(e) = &r.ended {
            *ended.entry(e.clone()).or_default() += 1;
        }
        for &(seq, at) in &r.received {
            if let Some(Some(t0)) = sent.get(seq as usize) {
                let us = at.saturating_duration_since(*t0).as_micros() as u64;
                latencies_us.push(us);
                per_event[seq as usize].push(us);
            }
        }
    }
    latencies_us.sort_unstable();
    handshakes_us.sort_unstable();
    let received = latencies_us.len();
    let missing = expected.saturating_sub(received);
    let failed = shared.failed.load(Ordering::SeqCst);

    println!();
    println!("== feed-bench results ==");
    println!(
        "subscribers:      {subscribed} subscribed of {} requested ({failed} failed)",
        args.subscribers
    );
    for (cause, n) in shared.failures.lock().unwrap().iter() {
        println!("  failed: {n} x {cause}");
    }
    println!(
        "connect time:     {:.2} s for all handshakes ({} in flight); handshake p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        connect_time.as_secs_f64(),
        args.connect_concurrency,
        pct(&handshakes_us, 50.0),
        pct(&handshakes_us, 99.0),
        pct(&handshakes_us, 100.0),
    );
    println!(
        "events:           {posted} posted of {} (every {} ms); POST p50 {:.1} ms, max {:.1} ms",
        args.events,
        args.interval_ms,
        median(&mut post_ms.clone()),
        post_ms.iter().copied().fold(0.0, f64::max),
    );
    for e in &post_errors {
        println!("  post failed: {e}");
    }
    println!(
        "deliveries:       {received} received of {expected} expected, {missing} missing \
         ({duplicates} duplicates, {errors} error payloads, {unexpected} other messages)"
    );
    for (how, n) in &ended {
        println!("  sockets ended early: {n} x {how:?}");
    }
    if lost_tasks > 0 {
        println!("  subscriber tasks lost (panicked or stuck): {lost_tasks}");
    }
    println!(
        "latency (ms):     p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        pct(&latencies_us, 50.0),
        pct(&latencies_us, 90.0),
        pct(&latencies_us, 99.0),
        pct(&latencies_us, 100.0),
    );
    println!("per event (ms):   seq  received   first     p50     p99     max");
    for (seq, lat) in per_event.iter_mut().enumerate() {
        lat.sort_unstable();
        println!(
            "                  {seq:>3} {:>9} {:>7.1} {:>7.1} {:>7.1} {:>7.1}",
            lat.len(),
            pct(lat, 0.0),
            pct(lat, 50.0),
            pct(lat, 99.0),
            pct(lat, 100.0),
        );
    }
    let mib = |kb: u64| kb as f64 / 1024.0;
    if let Some(pid) = args.server_pid {
        let show = |label: &str, m: Option<Mem>| match m {
            Some(m) => println!(
                "server {label} VmRSS {:.1} MiB, VmHWM {:.1} MiB, {} threads, {} fds",
                mib(m.rss_kb),
                mib(m.hwm_kb),
                m.threads,
                m.fds.map_or("?".to_string(), |n| n.to_string()),
            ),
            None => println!("server {label} unreadable (/proc/{pid}/status)"),
        };
        show("before subscribers:", baseline);
        show("all subscribed:    ", idle);
        show("after the events:  ", end);
    }
    let cpu = |who: &str, a: Option<Duration>, b: Option<Duration>, wall: Duration| {
        if let (Some(a), Some(b)) = (a, b) {
            let used = b.saturating_sub(a);
            println!(
                "{who} {:.2} s CPU in {:.2} s ({:.0}% of one core)",
                used.as_secs_f64(),
                wall.as_secs_f64(),
                100.0 * used.as_secs_f64() / wall.as_secs_f64().max(1e-9),
            );
        }
    };
    cpu(
        "cpu, connect phase: server",
        cpu_connect.0,
        cpu_connected.0,
        connect_time,
    );
    cpu(
        "                    client",
        cpu_connect.1,
        cpu_connected.1,
        connect_time,
    );
    cpu(
        "cpu, event phase:   server",
        cpu_events.0,
        cpu_end.0,
        events_time,
    );
    cpu(
        "                    client",
        cpu_events.1,
        cpu_end.1,
        events_time,
    );
    if let (Some(a), Some(b)) = (cpu_events.0, cpu_end.0)
        && received > 0
    {
        println!(
            "server CPU per delivery: {:.1} us",
            b.saturating_sub(a).as_secs_f64() * 1e6 / received as f64
        );
    }
    if let Some(me) = proc_mem(me) {
        println!(
            "client (this bench): VmRSS {:.1} MiB, VmHWM {:.1} MiB",
            mib(me.rss_kb),
            mib(me.hwm_kb)
        );
    }

    // Verdict.
    let p99 = pct(&latencies_us, 99.0);
    let peak = end.or(idle).map(|m| m.hwm_kb);
    let mut misses = Vec::new();
    if subscribed < args.subscribers {
        misses.push(format!(
            "only {subscribed} of {} subscribed",
            args.subscribers
        ));
    }
    if posted < args.events {
        misses.push(format!("only {posted} of {} events posted", args.events));
    }
    if missing > 0 {
        misses.push(format!("{missing} deliveries missing"));
    }
    if p99 >= args.target_p99_ms || latencies_us.is_empty() {
        misses.push(format!(
            "p99 {p99:.1} ms is not under {} ms",
            args.target_p99_ms
        ));
    }
    match peak {
        Some(kb) if mib(kb) >= args.target_rss_mib as f64 => misses.push(format!(
            "server peak RSS {:.1} MiB is not under {} MiB",
            mib(kb),
            args.target_rss_mib
        )),
        Some(_) => {}
        None => misses.push("server RSS not measured (no --server-pid)".to_string()),
    }
    println!();
    if misses.is_empty() {
        println!(
            "targets: MET (all {expected} deliveries, p99 < {} ms, server peak RSS < {} MiB)",
            args.target_p99_ms, args.target_rss_mib
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("targets: NOT MET: {}", misses.join("; "));
        Ok(ExitCode::from(2))
    }
}

/// One subscriber: handshake under a permit, then read until told to stop.
async fn subscriber(
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> SubResult {
    let Ok(permit) = permits.acquire().await else {
        return shared.fail("not started before the connect phase limit".to_string());
    };
    let started = Instant::now();
    let mut ws = match tokio::time::timeout(shared.handshake_timeout, handshake(&shared)).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(cause)) => return shared.fail(cause),
        Err(_) => return shared.fail("handshake timed out".to_string()),
    };
    drop(permit);
    if shared.phase_over.load(Ordering::SeqCst) {
        return shared.fail("subscribed after the connect phase limit".to_string());
    }
    let mut result = SubResult {
        subscribed: true,
        handshake: started.elapsed(),
        received: Vec::with_capacity(shared.events),
        ..SubResult::default()
    };
    shared.subscribed.fetch_add(1, Ordering::SeqCst);
    let mut seen = vec![false; shared.events];

    loop {
        let msg = tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = ws.next() => msg,
        };
        let at = Instant::now();
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(frame))) => {
                result.ended = Some(Ended::Closed(frame.map(|f| u16::from(f.code))));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                result.ended = Some(Ended::Dropped(e.to_string()));
                break;
            }
            None => {
                result.ended = Some(Ended::Dropped("end of stream".to_string()));
                break;
            }
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            result.unexpected += 1;
            continue;
        };
        match v["type"].as_str() {
            Some("next") => {
                let payload = &v["payload"];
                if !payload["errors"].is_null() {
                    result.errors += 1;
                    continue;
                }
                let event = &payload["data"]["cardEvents"];
                if event["kind"] != "CREATED" {
                    continue;
                }
                let Some(seq) = event["card"]["title"]
                    .as_str()
                    .and_then(|t| t.strip_prefix(shared.tag.as_str()))
                    .and_then(|t| t.strip_prefix(" #"))
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|&n| (n as usize) < shared.events)
                else {
                    // Someone else's card.
                    continue;
                };
                if std::mem::replace(&mut seen[seq as usize], true) {
                    result.duplicates += 1;
                } else {
                    result.received.push((seq, at));
                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            Some("ping") => {
                let pong = json!({"type": "pong"}).to_string();
                if ws.send(Message::Text(pong.into())).await.is_err() {
                    result.ended = Some(Ended::Dropped("pong failed".to_string()));
                    break;
                }
            }
            Some("pong") | Some("ka") => {}
            Some("error") => result.errors += 1,
            Some("complete") => {
                result.ended = Some(Ended::Completed);
                break;
            }
            _ => result.unexpected += 1,
        }
    }
    // Close politely but without waiting long: the run is over.
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    result
}

/// Connect, `connection_init` / `connection_ack`, `subscribe`.
async fn handshake(shared: &Shared) -> Result<Ws, String> {
    let mut req = shared
        .ws_url
        .as_str()
        .into_client_request()
        .map_err(|e| e.to_string())?;
    req.headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_static(PROTOCOL));
    // Small buffers: 10,000 of the default 128 KiB would be 1.25 GiB here.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024);
    let (mut ws, resp) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let offered = resp
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok());
    if offered != Some(PROTOCOL) {
        return Err(format!("server chose subprotocol {offered:?}"));
    }
    let init = json!({"type": "connection_init", "payload": shared.init_payload});
    ws.send(Message::Text(init.to_string().into()))
        .await
        .map_err(|e| format!("send connection_init: {e}"))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).map_err(|e| format!("bad JSON: {e}"))?;
                match v["type"].as_str() {
                    Some("connection_ack") => break,
                    Some("ka") | Some("ping") | Some("pong") => continue,
                    other => return Err(format!("expected connection_ack, got {other:?}")),
                }
            }
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map(|f| f.code).unwrap_or(CloseCode::Status);
                return Err(format!("closed before connection_ack ({code})"));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("before connection_ack: {e}")),
            None => return Err("end of stream before connection_ack".to_string()),
        }
    }
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": QUERY}});
    ws.send(Message::Text(subscribe.to_string().into()))
        .await
        .map_err(|e| format!("send subscribe: {e}"))?;
    Ok(ws)
}

#[derive(Debug, Clone, Copy)]
struct Mem {
    rss_kb: u64,
    hwm_kb: u64,
    threads: u64,
    fds: Option<usize>,
}

/// Memory of a process from /proc/<pid>/status (Linux only).
fn proc_mem(pid: u32) -> Option<Mem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()
        .map(|d| d.count());
    Some(Mem {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
        threads: field("Threads:").unwrap_or(0),
        fds,
    })
}

/// CPU time (user + system, all threads) of a process from /proc/<pid>/stat.
fn proc_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it do not.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds (0 when empty).
fn pct(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted_us.len()) - 1;
    sorted_us[i] as f64 / 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
