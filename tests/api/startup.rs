//! Starting and stopping: instances racing to migrate one database, the
//! zero-configuration default, graceful shutdown on SIGTERM, and start-up
//! failures told in one line that names the setting.

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

/// Runs the binary with only the given settings (every setting under test
/// removed from the inherited environment) and returns its exit code, its
/// stderr and how long it took; it must stop within 15 s.
async fn run_with(args: &[&str], settings: &[(&str, &str)]) -> (Option<i32>, String, Duration) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_spider-web"));
    command.args(args).kill_on_drop(true);
    for name in [
        "DATABASE_URL",
        "BIND",
        "DATA_DIR",
        "JWT_SECRET",
        "RUST_LOG",
        "ACCESS_TOKEN_TTL",
        "LOG_FORMAT",
    ] {
        command.env_remove(name);
    }
    for (name, value) in settings {
        command.env(name, value);
    }
    let started = std::time::Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(15), command.output())
        .await
        .expect("spider-web stops within 15 s")
        .expect("run spider-web");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr, started.elapsed())
}

/// The error line: the last on stderr, the only one of the program's own, and
/// it names the setting and the cause.
fn error_line<'a>(stderr: &'a str, setting: &str, cause: &str) -> &'a str {
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("spider-web:"))
        .collect();
    assert_eq!(ours.len(), 1, "one error line:\n{stderr}");
    assert_eq!(stderr.lines().last(), Some(ours[0]), "last:\n{stderr}");
    let line = ours[0];
    assert!(
        line.starts_with(&format!("spider-web: {setting}")),
        "names {setting}: {line}"
    );
    assert!(line.contains(cause), "says {cause:?}: {line}");
    line
}

/// An unreachable PostgreSQL: one line naming DATABASE_URL and the refusal,
/// within a few seconds (the pool's deadline, not a 30 s default).
#[tokio::test]
async fn an_unreachable_postgresql_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    for args in [&[][..], &["migrate"][..]] {
        let (code, stderr, took) = run_with(
            args,
            &[
                ("DATABASE_URL", "postgres://postgres:pw@127.0.0.1:1/db"),
                ("BIND", "127.0.0.1:0"),
                ("DATA_DIR", &data),
            ],
        )
        .await;
        assert_eq!(code, Some(1), "{stderr}");
        let line = error_line(
            &stderr,
            "DATABASE_URL",
            "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused",
        );
        assert!(!line.contains("pw"), "no password shown: {line}");
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }
}

/// A data folder that cannot be created (under a regular file, which stops
/// root too): one line naming DATA_DIR.
#[tokio::test]
async fn an_unwritable_data_folder_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "not a folder").unwrap();
    let data = file.join("sub").display().to_string();
    let (code, stderr, _) = run_with(&[], &[("BIND", "127.0.0.1:0"), ("DATA_DIR", &data)]).await;
    assert_eq!(code, Some(1), "{stderr}");
    let line = error_line(&stderr, "DATA_DIR", "not a directory");
    assert_eq!(
        line,
        format!("spider-web: DATA_DIR {data}: cannot create folder: not a directory")
    );
    // The SQLite file named by DATABASE_URL, in such a folder: DATABASE_URL.
    let url = format!("sqlite://{data}/x.db");
    let (code, stderr, _) = run_with(
        &["migrate"],
        &[
            ("DATABASE_URL", &url),
            ("DATA_DIR", &dir.path().display().to_string()),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    error_line(&stderr, "DATABASE_URL", "cannot create folder");
}

/// A port in use: one line naming BIND and the address.
#[tokio::test]
async fn a_port_in_use_is_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, _) = run_with(
        &["serve"],
        &[
            ("BIND", &addr),
            ("DATA_DIR", &dir.path().display().to_string()),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    let line = error_line(&stderr, "BIND", "address already in use");
    assert_eq!(
        line,
        format!("spider-web: BIND {addr}: address already in use")
    );
    drop(taken);
}

/// Malformed settings are refused before anything starts: one line naming the
/// variable, its value and what is wrong, exit code 2.
#[tokio::test]
async fn malformed_settings_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    for (setting, value, cause) in [
        ("BIND", "notanaddress", "invalid socket address syntax"),
        ("ACCESS_TOKEN_TTL", "abc", "invalid digit"),
        ("DATABASE_URL", "mysql://u:pw@x/db", "unsupported database"),
        ("DATABASE_URL", "nonsense", "not a database URL"),
        ("LOG_FORMAT", "xml", "expected one of text, json"),
    ] {
        let (code, stderr, _) = run_with(&[], &[(setting, value), ("DATA_DIR", &data)]).await;
        assert_eq!(code, Some(2), "{setting}={value}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let line = error_line(&stderr, setting, cause);
        assert!(!line.contains("pw"), "no password shown: {line}");
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing was created"
    );
}
