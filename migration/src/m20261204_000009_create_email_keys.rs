use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailKeys::Table)
                    .if_not_exists()
                    .col(uuid(EmailKeys::Id).primary_key())
                    .col(uuid(EmailKeys::UserId))
                    // What the key is for: `verify_email` or `password_reset`.
                    .col(string_len(EmailKeys::Purpose, 32))
                    // The address the mail went to: a key dies when it changes.
                    .col(string_len(EmailKeys::Email, 254))
                    // SHA-256 of the key's secret part; the secret itself is never stored.
                    .col(binary_len(EmailKeys::SecretHash, 32))
                    .col(timestamp_with_time_zone(EmailKeys::CreatedAt))
                    .col(timestamp_with_time_zone(EmailKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailKeys::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_keys_user")
                            .from(EmailKeys::Table, EmailKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_email_keys_user")
                    .table(EmailKeys::Table)
                    .col(EmailKeys::UserId)
                    .col(EmailKeys::Purpose)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EmailKeys {
    Table,
    Id,
    UserId,
    Purpose,
    Email,
    SecretHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
