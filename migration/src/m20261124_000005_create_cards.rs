use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cards::Table)
                    .if_not_exists()
                    .col(uuid(Cards::Id).primary_key())
                    .col(uuid(Cards::OwnerId))
                    .col(string_len(Cards::Title, 200))
                    .col(text(Cards::Body).default(""))
                    // Lowercased (Unicode) copies that search matches against,
                    // so SQLite and PostgreSQL fold case alike.
                    .col(text(Cards::TitleFolded).default(""))
                    .col(text(Cards::BodyFolded).default(""))
                    .col(string_len(Cards::Visibility, 16).default("public"))
                    .col(timestamp_with_time_zone(Cards::CreatedAt))
                    .col(timestamp_with_time_zone(Cards::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cards_owner")
                            .from(Cards::Table, Cards::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Keyset pagination of the feed walks (created_at, id); the owner filter
        // and "public or mine" walk the same order within one owner.
        for (name, cols) in [
            ("idx_cards_created", vec![Cards::CreatedAt, Cards::Id]),
            (
                "idx_cards_owner_created",
                vec![Cards::OwnerId, Cards::CreatedAt, Cards::Id],
            ),
            (
                "idx_cards_visibility_created",
                vec![Cards::Visibility, Cards::CreatedAt, Cards::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Cards::Table).if_not_exists();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Cards::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Cards {
    Table,
    Id,
    OwnerId,
    Title,
    Body,
    TitleFolded,
    BodyFolded,
    Visibility,
    CreatedAt,
    UpdatedAt,
}
