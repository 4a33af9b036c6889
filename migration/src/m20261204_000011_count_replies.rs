//! `cards.reply_count`, kept by triggers on `replies` in the writing
//! transaction, so a card's count is read with the card (no per-read count:
//! that cost 10–17 % of bench S1/S2) and stays right under concurrent writers
//! and through cascades (a deleted user's replies on others' cards). On
//! PostgreSQL the count's update also announces the card as UPDATED on the
//! live feed (the `cards_notify` trigger of migration 6).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &str = r#"
CREATE TRIGGER IF NOT EXISTS replies_count_insert AFTER INSERT ON replies
BEGIN
    UPDATE cards SET reply_count = reply_count + 1 WHERE id = NEW.card_id;
END;
CREATE TRIGGER IF NOT EXISTS replies_count_delete AFTER DELETE ON replies
BEGIN
    UPDATE cards SET reply_count = reply_count - 1 WHERE id = OLD.card_id;
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER IF EXISTS replies_count_insert;
DROP TRIGGER IF EXISTS replies_count_delete;
"#;

const POSTGRES_UP: &str = r#"
CREATE OR REPLACE FUNCTION spider_web_count_replies() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE cards SET reply_count = reply_count + 1 WHERE id = NEW.card_id;
    ELSE
        UPDATE cards SET reply_count = reply_count - 1 WHERE id = OLD.card_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER replies_count AFTER INSERT OR DELETE ON replies
    FOR EACH ROW EXECUTE FUNCTION spider_web_count_replies();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER IF EXISTS replies_count ON replies;
DROP FUNCTION IF EXISTS spider_web_count_replies();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cards::Table)
                    .add_column(integer(Cards::ReplyCount).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE cards SET reply_count = \
             (SELECT COUNT(*) FROM replies WHERE replies.card_id = cards.id)",
        )
        .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_UP).await?,
            _ => db.execute_unprepared(SQLITE_UP).await?,
        };
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_DOWN).await?,
            _ => db.execute_unprepared(SQLITE_DOWN).await?,
        };
        manager
            .alter_table(
                Table::alter()
                    .table(Cards::Table)
                    .drop_column(Cards::ReplyCount)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Cards {
    Table,
    ReplyCount,
}
