//! PostgreSQL: every committed change to `cards` announces itself on the
//! live feed's channel, from a trigger, in the writing transaction. Before,
//! the server sent `SELECT pg_notify(..)` after each write: one more round
//! trip per write, and a change made by hand (or by a cascade from a deleted
//! user) was never announced. The payload is the server's own
//! `{"t":"card", kind, card_id, owner_id, before, after}` (src/events.rs).
//! SQLite has no NOTIFY: nothing to do there.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE OR REPLACE FUNCTION spider_web_notify_card() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('spider_web_events', json_build_object(
        't', 'card',
        'kind', CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
        'card_id', COALESCE(NEW.id, OLD.id),
        'owner_id', COALESCE(NEW.owner_id, OLD.owner_id),
        'before', CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.visibility END,
        'after', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.visibility END
    )::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cards_notify AFTER INSERT OR UPDATE OR DELETE ON cards
    FOR EACH ROW EXECUTE FUNCTION spider_web_notify_card();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS cards_notify ON cards;
DROP FUNCTION IF EXISTS spider_web_notify_card();
"#;

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
