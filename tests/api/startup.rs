//! Starting and stopping: instances racing to migrate one database, the
//! zero-configuration default, and graceful shutdown on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use crate::helpers::{PASSWORD, TestApp, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once_and_share_data() {
    let apps = TestApp::spawn_together(3).await;
    let name = unique("race");
    let acc = apps[0].register(&name).await;
    for app in &apps {
        let r = app.login(&name, PASSWORD).await;
        assert_eq!(r.status, 200, "{r:?}");
        let me = app.get("/api/auth/user/", Some(&acc.access)).await;
        assert_eq!(me.body["id"], acc.id.as_str());
    }
    // A later start finds nothing left to apply and serves the same data.
    let late = apps[0].sibling().await;
    assert_eq!(late.login(&name, PASSWORD).await.status, 200);
}

/// `serve` with no configuration at all, in an empty folder: it creates
/// `./data/` with the SQLite file and a private secret, answers, and on SIGTERM
/// finishes cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_no_configuration_then_sigterm() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spider-web"))
        .current_dir(cwd.path())
        // Port 0: the default 8000 may be taken on the test machine.
        .env("BIND", "127.0.0.1:0")
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET")
        .env_remove("DATA_DIR")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start spider-web");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server logs that it listens");
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };

    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(health.status(), 200);
    let reg = client
        .post(format!("http://{addr}/api/auth/register"))
        .json(
            &serde_json::json!({"username": "first", "email": "first@example.com",
                                  "password1": PASSWORD, "password2": PASSWORD}),
        )
        .send()
        .await
        .expect("register");
    assert_eq!(reg.status(), 201);

    let data = cwd.path().join("data");
    assert!(
        data.join("spider-web.db").is_file(),
        "SQLite file in ./data"
    );
    let secret = std::fs::metadata(data.join("jwt-secret")).expect("secret kept");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .expect("wait");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

/// A graceful shutdown lets in-flight requests finish, closes WebSockets with
/// a close frame (1001) and ends SSE streams, then stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_and_closes_feeds() {
    use crate::ws_client::{CARD_EVENTS, GqlWs, Incoming, MODERN};
    use futures_util::StreamExt;

    let mut app = TestApp::spawn().await;
    let mut ws = GqlWs::connect(&app, MODERN, None).await.unwrap();
    ws.subscribe("1", CARD_EVENTS, serde_json::json!({})).await;
    let sse = app
        .client
        .get(app.url("/api/cards/stream/"))
        .send()
        .await
        .unwrap();
    let mut sse = sse.bytes_stream();

    // Eight registrations are in flight: each needs an argon2 hash, and the
    // hashing pool works through them a few at a time.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let in_flight: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            let url = app.url("/api/auth/register/");
            let name = unique(&format!("inflight{i}"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&serde_json::json!({"username": name, "email": format!("{name}@example.com"),
                                              "password1": PASSWORD, "password2": PASSWORD}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(40)).await;
    let stopped = app.begin_shutdown();

    for request in in_flight {
        assert_eq!(request.await.unwrap().expect("answered"), 201);
    }
    // The subscription completes, then the socket closes with 1001 (going away).
    loop {
        match ws.next(Duration::from_secs(10)).await {
            Incoming::Json(m) if m["type"] == "complete" => continue,
            Incoming::Closed(code) => {
                assert_eq!(code, Some(1001));
                break;
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
    // The SSE stream ends (after its opening comment).
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = sse.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the SSE stream ended");
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the server stopped")
        .unwrap();
}

/// Headers must arrive within 10 s: a client that never finishes them is cut off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the connection");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
}

/// `DATABASE_URL=sqlite://path/file.db`, without `?mode=rwc`, creates the file
/// (and its folder) as the default database does.
#[tokio::test]
async fn a_sqlite_url_without_mode_creates_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("nested").join("named.db");
    let out = Command::new(env!("CARGO_BIN_EXE_spider-web"))
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", file.display()))
        .env("DATA_DIR", dir.path())
        .env_remove("JWT_SECRET")
        .output()
        .expect("run spider-web migrate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.is_file(), "the database file was created");
}
