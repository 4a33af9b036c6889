//! Database connection and migrations, for SQLite and PostgreSQL alike.

use std::{path::PathBuf, str::FromStr, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
    TransactionTrait,
    sqlx::{
        self, Connection,
        postgres::{PgConnectOptions, PgConnection},
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
};

use crate::{
    config::{Config, database_backend},
    error::{StartupError, io_cause},
};

pub mod backup;

/// An arbitrary constant naming the PostgreSQL advisory lock held while migrating.
const MIGRATION_LOCK_KEY: i64 = 0x5370_6964_6572_5765; // "SpiderWe"

/// How long connecting may take before start-up gives up (and, while
/// serving, before an unreachable database is a 503: the contract says 2 s).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

/// Opens the pool. SQLite gets WAL, a busy timeout and foreign keys; both
/// backends fail fast (1.5 s) when the database cannot be reached, with an
/// error naming the setting and the cause.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, StartupError> {
    let (setting, shown) = origin(config);
    let fail = |cause: String| StartupError::setting_value(setting, &shown, cause);
    let url = creating(config.effective_database_url());
    let postgres = match database_backend(&url).map_err(&fail)? {
        DbBackend::Postgres => Some(
            PgConnectOptions::from_str(&url)
                .map_err(|e| fail(format!("malformed: {}", sqlx_cause(&e))))?,
        ),
        _ => None,
    };
    if let Some(path) = sqlite_path(&url)
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            let folder = match setting {
                "DATA_DIR" if parent == config.data_dir => String::new(),
                _ => format!(" {}", parent.display()),
            };
            fail(format!("cannot create folder{folder}: {}", io_cause(&e)))
        })?;
    }
    // Opening a new SQLite file switches it to WAL, which needs the file to
    // itself: instances starting together take turns (the migration lock).
    let _turn = match sqlite_path(&url) {
        Some(path) => Some(lock_beside(&path).await.map_err(&fail)?),
        None => None,
    };
    // SQLite runs each connection's queries on a thread of its own: beyond a
    // few, more connections only add context switches (bench/README.md).
    let pool = config
        .db_max_connections
        .unwrap_or(if postgres.is_none() { 4 } else { 16 });
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(pool.max(2))
        .min_connections(1)
        // An unreachable database is a 503 within 2 s (the contract), with margin.
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        // A ping on every checkout is a round trip (a thread hop on SQLite) per
        // query; only a connection idle for a while is checked before use.
        .test_before_acquire_if_idle_for(Duration::from_secs(2))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    match Database::connect(opts).await {
        Ok(db) => Ok(db),
        Err(e) => Err(match postgres {
            Some(pg) => StartupError::setting(
                setting,
                format!(
                    "cannot connect to PostgreSQL at {}:{}: {}",
                    pg.get_host(),
                    pg.get_port(),
                    postgres_cause(&e, &pg).await
                ),
            ),
            None => match sqlite_path(&url) {
                Some(path) => fail(format!(
                    "cannot open SQLite file {}: {}",
                    path.display(),
                    db_cause(&e)
                )),
                None => fail(format!("cannot open SQLite: {}", db_cause(&e))),
            },
        }),
    }
}

/// The setting that places the database, and its value fit to show:
/// `DATABASE_URL` (without a password), else `DATA_DIR` of the default file.
pub fn origin(config: &Config) -> (&'static str, String) {
    match &config.database_url {
        Some(url) if !url.is_empty() => ("DATABASE_URL", redact(url)),
        _ => ("DATA_DIR", config.data_dir.display().to_string()),
    }
}

/// A database URL fit to show: without the password of its user part or
/// of a `password=` parameter.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let rest = match rest.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or("")),
        None => rest.to_string(),
    };
    let params: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("password="))
        .collect();
    match params.is_empty() {
        true => format!("{scheme}://{rest}"),
        false => format!("{scheme}://{rest}?{}", params.join("&")),
    }
}

/// The sqlx error inside a sea-orm one.
fn sqlx_error(e: &DbErr) -> Option<&sqlx::Error> {
    match e {
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => Some(s),
        _ => None,
    }
}

/// A database error as a short cause, without the URL.
pub fn db_cause(e: &DbErr) -> String {
    match sqlx_error(e) {
        Some(s) => sqlx_cause(s),
        None => e.to_string(),
    }
}

fn sqlx_cause(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io_cause(io),
        sqlx::Error::Database(d) => d.message().to_string(),
        sqlx::Error::Configuration(c) => c.to_string(),
        sqlx::Error::Tls(t) => format!("TLS: {t}"),
        sqlx::Error::PoolTimedOut => format!("no connection within {CONNECT_TIMEOUT:?}"),
        other => other.to_string(),
    }
}

/// Why PostgreSQL could not be reached. The pool retries a refused connection
/// until its deadline and then reports only a time-out; one direct attempt
/// tells the cause (refused, unknown host, bad password, no such database).
async fn postgres_cause(e: &DbErr, pg: &PgConnectOptions) -> String {
    if !matches!(sqlx_error(e), Some(sqlx::Error::PoolTimedOut)) {
        return db_cause(e);
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(pg)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            db_cause(e)
        }
        Ok(Err(direct)) => sqlx_cause(&direct),
        Err(_) => format!("no answer within {CONNECT_TIMEOUT:?}"),
    }
}

/// A `sqlite:` URL naming a file and no `mode` opens it read-write and
/// creates it (`mode=rwc`), as the default database does; sqlx alone would
/// refuse a missing file ("unable to open database file"). A given `mode`,
/// a memory database and other backends are left as they are.
fn creating(url: String) -> String {
    if sqlite_path(&url).is_none() {
        return url;
    }
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    if query.split('&').any(|p| p.starts_with("mode=")) {
        return url;
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

/// The file of a `sqlite:` URL, if it names one.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// An exclusive lock on a file beside the SQLite database, held until dropped.
async fn lock_beside(db_path: &std::path::Path) -> Result<std::fs::File, String> {
    let lock_path = db_path.with_extension("migrate-lock");
    let shown = lock_path.display().to_string();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot lock {shown}: {}", io_cause(&e)))
}

/// Applies pending migrations. Instances starting together take turns: an
/// advisory lock on PostgreSQL, an exclusive file lock beside a SQLite file.
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> Result<(), StartupError> {
    let (setting, shown) = origin(config);
    let fail = |cause: String| StartupError::setting_value(setting, &shown, cause);
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // The lock lives in a transaction on its own connection, released at commit.
            let migrated = async {
                let guard = db.begin().await?;
                guard
                    .execute_unprepared(&format!(
                        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
                    ))
                    .await?;
                let result = Migrator::up(db, None).await;
                guard.commit().await?;
                result
            };
            migrated
                .await
                .map_err(|e| fail(format!("cannot migrate: {}", db_cause(&e))))
        }
        _ => {
            let lock = match sqlite_path(&config.effective_database_url()) {
                Some(path) => Some(lock_beside(&path).await.map_err(&fail)?),
                None => None,
            };
            let result = Migrator::up(db, None).await;
            drop(lock);
            result.map_err(|e| fail(format!("cannot migrate: {}", db_cause(&e))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{creating, redact};

    #[test]
    fn a_sqlite_file_without_a_mode_is_created() {
        let c = |u: &str| creating(u.to_string());
        assert_eq!(c("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db?mode=rwc");
        assert_eq!(c("sqlite://data/x.db"), "sqlite://data/x.db?mode=rwc");
        assert_eq!(
            c("sqlite:x.db?cache=shared"),
            "sqlite:x.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            c("sqlite:///tmp/x.db?mode=ro"),
            "sqlite:///tmp/x.db?mode=ro"
        );
        assert_eq!(c("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(c("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn passwords_are_left_out_of_shown_urls() {
        assert_eq!(
            redact("postgres://app:s3cret@db.example.com:5432/web?sslmode=require"),
            "postgres://app@db.example.com:5432/web?sslmode=require"
        );
        assert_eq!(
            redact("postgres://app:p@ss@db/web?password=x&application_name=y"),
            "postgres://app@db/web?application_name=y"
        );
        assert_eq!(redact("postgres://app@db/web"), "postgres://app@db/web");
        assert_eq!(
            redact("sqlite://data/x.db?mode=rwc"),
            "sqlite://data/x.db?mode=rwc"
        );
        assert_eq!(redact("nonsense"), "nonsense");
    }
}
