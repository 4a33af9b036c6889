//! `spider-web backup FILE`: a consistent copy of a live SQLite database, or,
//! on PostgreSQL, the `pg_dump` command that makes one.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};

use super::{CONNECT_TIMEOUT, db_cause, origin, redact, sqlite_path};
use crate::{
    config::{Config, database_backend},
    error::{StartupError, io_cause},
};

/// What `backup` did.
#[derive(Debug)]
pub enum Backup {
    /// A copy of the SQLite database was written to `path`.
    Written { path: PathBuf, bytes: u64 },
    /// PostgreSQL is copied by its own tools: the commands to run (the
    /// password left out of the URL: `PGPASSWORD` or `~/.pgpass` supply it).
    UsePgDump { dump: String, restore: String },
}

/// Backs up the configured database (the same `DATABASE_URL`/`DATA_DIR` as
/// `serve`) to `file`, which must not exist yet. Runs no migrations.
pub async fn backup(config: &Config, file: &Path) -> Result<Backup, StartupError> {
    let (setting, shown) = origin(config);
    let url = config.effective_database_url();
    let backend = database_backend(&url)
        .map_err(|cause| StartupError::setting_value(setting, &shown, cause))?;
    if backend == DbBackend::Postgres {
        return Ok(pg_dump(&url, file));
    }
    let Some(source) = sqlite_path(&url) else {
        return Err(StartupError::setting_value(
            setting,
            &shown,
            "an in-memory database has nothing to back up",
        ));
    };
    if !source.is_file() {
        return Err(StartupError::setting_value(
            setting,
            &shown,
            format!("no SQLite database at {}", source.display()),
        ));
    }
    let partial = partial_beside(file)?;
    let copied = vacuum_into(&url, &partial).await;
    let placed = match copied {
        Ok(()) => {
            let (partial, file) = (partial.clone(), file.to_path_buf());
            tokio::task::spawn_blocking(move || place(&partial, &file))
                .await
                .map_err(|e| e.to_string())
                .and_then(|placed| placed)
        }
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&partial);
    let bytes = placed
        .map_err(|cause| StartupError::other(format!("backup {}: {cause}", file.display())))?;
    Ok(Backup::Written {
        path: file.to_path_buf(),
        bytes,
    })
}

/// A free name for the copy in the making, in the folder of `file` (so that it
/// can be linked into place); refuses a `file` that exists or a missing folder.
fn partial_beside(file: &Path) -> Result<PathBuf, StartupError> {
    let refuse = |cause: String| StartupError::other(format!("backup {}: {cause}", file.display()));
    if file.symlink_metadata().is_ok() {
        return Err(refuse("already exists; not overwritten".into()));
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| refuse("not a file name".into()))?;
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(refuse(format!("no folder {}", folder.display())));
    }
    Ok(folder.join(format!(".{name}.partial-{}", uuid::Uuid::now_v7().simple())))
}

/// `VACUUM INTO`: one read transaction copies a consistent snapshot. In WAL
/// mode it does not hold up the server's writers (only the checkpoint waits);
/// the source is opened without creating it and without changing its mode.
async fn vacuum_into(url: &str, target: &Path) -> Result<(), String> {
    let target = target
        .to_str()
        .ok_or_else(|| "the path is not UTF-8".to_string())?;
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(1)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(false)
                .busy_timeout(Duration::from_secs(5))
        });
    let db = Database::connect(opts)
        .await
        .map_err(|e| format!("cannot open the database: {}", db_cause(&e)))?;
    let copied = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [target.into()],
        ))
        .await
        .map_err(|e| format!("cannot copy the database: {}", db_cause(&e)));
    let _ = db.close().await;
    copied.map(|_| ())
}

/// Makes the finished copy durable and links it into place (a link fails
/// rather than replace a file that appeared meanwhile). Returns its size.
fn place(partial: &Path, file: &Path) -> Result<u64, String> {
    let io = |e: std::io::Error| io_cause(&e);
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::hard_link(partial, file).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => "already exists; not overwritten".to_string(),
        _ => io_cause(&e),
    })?;
    if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
    Ok(std::fs::metadata(file).map_err(io)?.len())
}

/// The `pg_dump` and `pg_restore` lines for this database and file.
fn pg_dump(url: &str, file: &Path) -> Backup {
    let url = quote(&redact(url));
    let file = quote(&file.display().to_string());
    Backup::UsePgDump {
        dump: format!("pg_dump --format=custom --file={file} {url}"),
        restore: format!("pg_restore --no-owner --dbname={url} {file}"),
    }
}

/// A word for a POSIX shell, in single quotes.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_the_pg_dump_lines_without_the_password() {
        let Backup::UsePgDump { dump, restore } =
            pg_dump("postgres://app:secret@db:5432/web", Path::new("it's.dump"))
        else {
            panic!("expected the pg_dump lines");
        };
        assert_eq!(
            dump,
            r"pg_dump --format=custom --file='it'\''s.dump' 'postgres://app@db:5432/web'"
        );
        assert_eq!(
            restore,
            r"pg_restore --no-owner --dbname='postgres://app@db:5432/web' 'it'\''s.dump'"
        );
    }
}
