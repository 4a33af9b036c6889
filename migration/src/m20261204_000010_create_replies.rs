use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Replies::Table)
                    .if_not_exists()
                    .col(uuid(Replies::Id).primary_key())
                    .col(uuid(Replies::CardId))
                    .col(uuid(Replies::AuthorId))
                    .col(text(Replies::Body))
                    .col(timestamp_with_time_zone(Replies::CreatedAt))
                    .col(timestamp_with_time_zone(Replies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_replies_card")
                            .from(Replies::Table, Replies::CardId)
                            .to(Cards::Table, Cards::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_replies_author")
                            .from(Replies::Table, Replies::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A thread is walked by (created_at, id) within its card; counting a
        // card's replies reads the same index.
        manager
            .create_index(
                Index::create()
                    .name("idx_replies_card_created")
                    .table(Replies::Table)
                    .col(Replies::CardId)
                    .col(Replies::CreatedAt)
                    .col(Replies::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_replies_author")
                    .table(Replies::Table)
                    .col(Replies::AuthorId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Replies::Table).to_owned())
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
}

#[derive(DeriveIden)]
enum Replies {
    Table,
    Id,
    CardId,
    AuthorId,
    Body,
    CreatedAt,
    UpdatedAt,
}
