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
