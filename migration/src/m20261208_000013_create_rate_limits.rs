//! PostgreSQL: the abuse limits' sliding windows, shared by every instance.
//! One row per (bucket, subject) — `login_ip` and an address, or
//! `login_failures` and an account — holding the times of the requests
//! admitted within the window (at most the limit's count: each update drops
//! the expired ones). `expires_at` is when the newest of them leaves the
//! window; the server deletes rows past it about once a minute.
//! SQLite serves one instance, which keeps its windows in memory: nothing to
//! do there.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE IF NOT EXISTS rate_limits (
    bucket text NOT NULL,
    subject text NOT NULL,
    hits timestamptz[] NOT NULL,
    admitted boolean NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (bucket, subject)
);
CREATE INDEX IF NOT EXISTS rate_limits_expires_at ON rate_limits (expires_at);
"#;

const DOWN: &str = "DROP TABLE IF EXISTS rate_limits;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
