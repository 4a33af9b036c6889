//! `reactions`: a user's emoji on a card, one row per (card, emoji, user) —
//! the key makes adding twice a no-op and groups a card's emoji for the
//! summary. `cards.reaction_count`, kept by triggers in the writing
//! transaction (as `reply_count` is), says whether a card has any reaction,
//! so a card without (most of them) costs no summary statement. On
//! PostgreSQL the count's update announces the card as UPDATED (the
//! `cards_notify` trigger of migration 6), and a trigger on `replies`
//! announces each reply created, edited or deleted on its card's thread
//! (`{"t":"reply", kind, card_id, reply_id, owner_id, visibility}`, the card's
//! owner and visibility deciding who may hear it). A card already gone (a
//! cascade) announces nothing: its own DELETED event ends its threads.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &str = r#"
CREATE TRIGGER IF NOT EXISTS reactions_count_insert AFTER INSERT ON reactions
BEGIN
    UPDATE cards SET reaction_count = reaction_count + 1 WHERE id = NEW.card_id;
END;
CREATE TRIGGER IF NOT EXISTS reactions_count_delete AFTER DELETE ON reactions
BEGIN
    UPDATE cards SET reaction_count = reaction_count - 1 WHERE id = OLD.card_id;
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER IF EXISTS reactions_count_insert;
DROP TRIGGER IF EXISTS reactions_count_delete;
"#;

const POSTGRES_UP: &str = r#"
CREATE OR REPLACE FUNCTION spider_web_count_reactions() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE cards SET reaction_count = reaction_count + 1 WHERE id = NEW.card_id;
    ELSE
        UPDATE cards SET reaction_count = reaction_count - 1 WHERE id = OLD.card_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reactions_count AFTER INSERT OR DELETE ON reactions
    FOR EACH ROW EXECUTE FUNCTION spider_web_count_reactions();

CREATE OR REPLACE FUNCTION spider_web_notify_reply() RETURNS trigger AS $$
DECLARE
    c RECORD;
BEGIN
    SELECT id, owner_id, visibility INTO c FROM cards WHERE id = COALESCE(NEW.card_id, OLD.card_id);
    IF FOUND THEN
        PERFORM pg_notify('spider_web_events', json_build_object(
            't', 'reply',
            'kind', CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
            'card_id', c.id, 'reply_id', COALESCE(NEW.id, OLD.id),
            'owner_id', c.owner_id, 'visibility', c.visibility
        )::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER replies_notify AFTER INSERT OR UPDATE OR DELETE ON replies
    FOR EACH ROW EXECUTE FUNCTION spider_web_notify_reply();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER IF EXISTS replies_notify ON replies;
DROP FUNCTION IF EXISTS spider_web_notify_reply();
DROP TRIGGER IF EXISTS reactions_count ON reactions;
DROP FUNCTION IF EXISTS spider_web_count_reactions();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reactions::Table)
                    .if_not_exists()
                    .col(uuid(Reactions::CardId))
                    .col(string_len(Reactions::Emoji, 16))
                    .col(uuid(Reactions::UserId))
                    .col(timestamp_with_time_zone(Reactions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Reactions::CardId)
                            .col(Reactions::Emoji)
                            .col(Reactions::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reactions_card")
                            .from(Reactions::Table, Reactions::CardId)
                            .to(Cards::Table, Cards::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reactions_user")
                            .from(Reactions::Table, Reactions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A deleted user's reactions are found (and cascaded) by user.
        manager
            .create_index(
                Index::create()
                    .name("idx_reactions_user")
                    .table(Reactions::Table)
                    .col(Reactions::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cards::Table)
                    .add_column(integer(Cards::ReactionCount).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
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
                    .drop_column(Cards::ReactionCount)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Reactions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Cards {
    Table,
    Id,
    ReactionCount,
}

#[derive(DeriveIden)]
enum Reactions {
    Table,
    CardId,
    Emoji,
    UserId,
    CreatedAt,
}
