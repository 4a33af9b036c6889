use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Profiles::Table)
                    .if_not_exists()
                    .col(uuid(Profiles::Id).primary_key())
                    // Unique: at most one profile per user.
                    .col(uuid_uniq(Profiles::UserId))
                    .col(string_len(Profiles::DisplayName, 100).default(""))
                    // Lowercased (Unicode) copy that search matches against.
                    .col(string(Profiles::DisplayNameFolded).default(""))
                    .col(text(Profiles::Bio).default(""))
                    .col(string_len_null(Profiles::AvatarUrl, 500))
                    .col(string_len(Profiles::Location, 100).default(""))
                    .col(string_len_null(Profiles::Website, 500))
                    .col(timestamp_with_time_zone(Profiles::CreatedAt))
                    .col(timestamp_with_time_zone(Profiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profiles_user")
                            .from(Profiles::Table, Profiles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Keyset pagination walks (created_at, id).
        manager
            .create_index(
                Index::create()
                    .name("idx_profiles_created")
                    .table(Profiles::Table)
                    .col(Profiles::CreatedAt)
                    .col(Profiles::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Profiles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Profiles {
    Table,
    Id,
    UserId,
    DisplayName,
    DisplayNameFolded,
    Bio,
    AvatarUrl,
    Location,
    Website,
    CreatedAt,
    UpdatedAt,
}
