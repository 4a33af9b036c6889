//! Database connection and migrations, for SQLite and PostgreSQL alike.

use std::{path::PathBuf, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::config::Config;

/// An arbitrary constant naming the PostgreSQL advisory lock held while migrating.
const MIGRATION_LOCK_KEY: i64 = 0x5370_6964_6572_5765; // "SpiderWe"

/// Opens the pool. SQLite gets WAL, a busy timeout and foreign keys; both
/// backends fail fast (1.5 s) when the database cannot be reached.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    let url = creating(config.effective_database_url());
    if let Some(path) = sqlite_path(&url)
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
    }
    // Opening a new SQLite file switches it to WAL, which needs the file to
    // itself: instances starting together take turns (the migration lock).
    let _turn = match sqlite_path(&url) {
        Some(path) => Some(lock_beside(&path).await?),
        None => None,
    };
    // SQLite runs each connection's queries on a thread of its own: beyond a
    // few, more connections only add context switches (bench/README.md).
    let pool = config
        .db_max_connections
        .unwrap_or(if url.starts_with("sqlite:") { 4 } else { 16 });
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(pool.max(2))
        .min_connections(1)
        // An unreachable database is a 503 within 2 s (the contract), with margin.
        .connect_timeout(Duration::from_millis(1500))
        .acquire_timeout(Duration::from_millis(1500))
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
    Database::connect(opts).await
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
async fn lock_beside(db_path: &std::path::Path) -> Result<std::fs::File, DbErr> {
    let lock_path = db_path.with_extension("migrate-lock");
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
    .map_err(|e| DbErr::Custom(e.to_string()))?
    .map_err(|e| DbErr::Custom(format!("database lock: {e}")))
}

/// Applies pending migrations. Instances starting together take turns: an
/// advisory lock on PostgreSQL, an exclusive file lock beside a SQLite file.
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // The lock lives in a transaction on its own connection, released at commit.
            let guard = db.begin().await?;
            guard
                .execute_unprepared(&format!(
                    "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
                ))
                .await?;
            let result = Migrator::up(db, None).await;
            guard.commit().await?;
            result
        }
        _ => {
            let lock = match sqlite_path(&config.effective_database_url()) {
                Some(path) => Some(lock_beside(&path).await?),
                None => None,
            };
            let result = Migrator::up(db, None).await;
            drop(lock);
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::creating;

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
}
