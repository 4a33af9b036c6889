//! `spider-web backup FILE`: on SQLite an online copy of the live database,
//! taken while writers keep writing; on PostgreSQL the `pg_dump` command to
//! run, and exit code 3 (nothing written here).

use std::{
    collections::HashSet,
    path::Path,
    process::Output,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, create_database, unique};

/// Runs `spider-web backup FILE` against a database URL.
async fn run_backup(database_url: &str, data_dir: &Path, file: &Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_spider-web"))
        .arg("backup")
        .arg(file)
        .env("DATABASE_URL", database_url)
        .env("DATA_DIR", data_dir)
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run spider-web backup")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writers create cards over HTTP without pause; the ids acknowledged (201)
/// before the backup starts must all be in the copy, which must pass
/// SQLite's integrity check, and the writers must go on being answered while
/// the copy is made. (On PostgreSQL `backup` copies nothing: see the next test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_sqlite_database_is_copied_under_write_load() {
    let app = TestApp::spawn().await;
    if app.is_postgres() {
        eprintln!("skipped on PostgreSQL: backup prints the pg_dump command there");
        return;
    }
    let token = app.register(&unique("backup")).await.access;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, url, token) = (app.client.clone(), app.url("/api/cards/"), token.clone());
            let (acked, refused, stop) = (acked.clone(), refused.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body =
                        json!({"title": format!("writer {w} card {n}"), "body": "x".repeat(500)});
                    let sent = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 201 => {
                            let card: Value = r.json().await.expect("card JSON");
                            let id = card["id"].as_str().expect("card id").to_string();
                            acked.lock().unwrap().push(id);
                        }
                        Ok(r) => refused.lock().unwrap().push(format!("{}", r.status())),
                        Err(e) => refused.lock().unwrap().push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    let count = || acked.lock().unwrap().len();
    tokio::time::timeout(Duration::from_secs(60), async {
        while count() < 200 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the writers got going");

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let database_url = app.config.database_url.clone().expect("a SQLite URL");
    let before: Vec<String> = acked.lock().unwrap().clone();
    let out = run_backup(&database_url, &app.data_dir(), &copy).await;
    let during = count() - before.len();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    assert!(out.status.success(), "backup: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let size = std::fs::metadata(&copy).expect("the copy exists").len();
    assert_eq!(
        stdout.trim(),
        format!("backed up to {} ({size} bytes)", copy.display())
    );
    assert!(
        refused.lock().unwrap().is_empty(),
        "every write during the backup was answered 201: {:?}",
        refused.lock().unwrap()
    );
    assert!(
        during > 0,
        "writes were acknowledged while the copy was made"
    );
    assert!(
        count() > before.len() + during,
        "the server went on writing after the backup"
    );

    let db = Database::connect(format!("sqlite://{}?mode=rw", copy.display()))
        .await
        .expect("open the copy");
    let check = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    let ids: HashSet<uuid::Uuid> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT id FROM cards",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<uuid::Uuid>(0).unwrap())
        .collect();
    let _ = db.close().await;
    let missing: Vec<&String> = before
        .iter()
        .filter(|id| !ids.contains(&id.parse::<uuid::Uuid>().unwrap()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} cards acknowledged before the backup are missing from the copy: {missing:?}",
        missing.len(),
        before.len()
    );

    // A second backup to the same file is refused, in one line, and the copy is kept.
    let again = run_backup(&database_url, &app.data_dir(), &copy).await;
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert!(last.starts_with("spider-web: backup "), "{stderr}");
    assert!(last.contains("already exists; not overwritten"), "{stderr}");
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), size);
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no partial copies are left behind");
}

/// A backup of a SQLite file that does not exist fails, naming the setting,
/// and creates neither the database nor the copy; a copy into a missing
/// folder fails too (the folder is not created).
#[tokio::test]
async fn backup_refuses_a_missing_database_or_folder() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent.db");
    let copy = dir.path().join("copy.db");
    let out = run_backup(&format!("sqlite://{}", absent.display()), dir.path(), &copy).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.trim().starts_with("spider-web: DATABASE_URL "),
        "{stderr}"
    );
    assert!(stderr.contains("no SQLite database at"), "{stderr}");
    assert!(!absent.exists() && !copy.exists());

    let db = create_database().await;
    if db.url.starts_with("sqlite") {
        let config = spider_web::Config::new(Some(db.url.clone()), db.dir().join("data"));
        let conn = spider_web::db::connect(&config).await.unwrap();
        spider_web::db::migrate(&conn, &config).await.unwrap();
        let _ = conn.close().await;
        let nested = dir.path().join("no-such-folder").join("copy.db");
        let out = run_backup(&db.url, dir.path(), &nested).await;
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("no folder"), "{stderr}");
        assert!(!nested.parent().unwrap().exists());
    }
}

/// On PostgreSQL `backup` prints the `pg_dump` line (and the `pg_restore`
/// one) without the password, writes nothing, and exits with code 3. Run on
/// either harness: on SQLite with a made-up URL (nothing connects). When
/// `pg_dump` is installed and the database is real, the printed line works.
#[tokio::test]
async fn on_postgresql_backup_prints_the_pg_dump_command() {
    let db = create_database().await;
    let real = db.url.starts_with("postgres");
    let url = match real {
        true => db.url.clone(),
        false => "postgres://app:secret@127.0.0.1:1/web?sslmode=disable".to_string(),
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.dump");
    let out = run_backup(&url, dir.path(), &file).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(!file.exists(), "nothing is written here");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let shown = match real {
        true => url.clone(),
        false => "postgres://app@127.0.0.1:1/web?sslmode=disable".to_string(),
    };
    assert_eq!(
        lines[0],
        format!(
            "pg_dump --format=custom --file='{}' '{shown}'",
            file.display()
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "pg_restore --no-owner --dbname='{shown}' '{}'",
            file.display()
        )
    );
    assert!(!stdout.contains("secret"));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("pg_dump"), "{stderr}");

    let has_pg_dump = std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if real && has_pg_dump {
        let dumped = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(lines[0])
            .output()
            .await
            .unwrap();
        assert!(dumped.status.success(), "{}", text(&dumped.stderr));
        assert!(std::fs::metadata(&file).unwrap().len() > 0);
    }
}
