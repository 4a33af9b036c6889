//! Database migrations: one change per file, never edited once applied.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_users;
mod m20261124_000002_create_sessions;
mod m20261124_000003_create_refresh_tokens;
mod m20261124_000004_create_profiles;
mod m20261124_000005_create_cards;
mod m20261124_000006_notify_card_changes;
mod m20261204_000007_add_email_verified;
mod m20261204_000008_create_mail_outbox;
mod m20261204_000009_create_email_keys;
mod m20261204_000010_create_replies;
mod m20261204_000011_count_replies;
mod m20261204_000012_create_reactions;
mod m20261208_000013_create_rate_limits;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_users::Migration),
            Box::new(m20261124_000002_create_sessions::Migration),
            Box::new(m20261124_000003_create_refresh_tokens::Migration),
            Box::new(m20261124_000004_create_profiles::Migration),
            Box::new(m20261124_000005_create_cards::Migration),
            Box::new(m20261124_000006_notify_card_changes::Migration),
            Box::new(m20261204_000007_add_email_verified::Migration),
            Box::new(m20261204_000008_create_mail_outbox::Migration),
            Box::new(m20261204_000009_create_email_keys::Migration),
            Box::new(m20261204_000010_create_replies::Migration),
            Box::new(m20261204_000011_count_replies::Migration),
            Box::new(m20261204_000012_create_reactions::Migration),
            Box::new(m20261208_000013_create_rate_limits::Migration),
        ]
    }
}
