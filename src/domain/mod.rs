//! Domain operations: every validation, permission and visibility rule lives
//! here. REST handlers and GraphQL resolvers only translate to and from these.
//!
//! The domain stands on nothing above it: it imports no transport (`http`,
//! `rest`, `graphql`, axum) and takes [`Ctx`] — what rules need — rather than
//! the server's state. Inside it, a file imports items from the file that
//! defines them, so no two files import each other
//! (`tests/api/architecture.rs` checks both).

pub mod accounts;
pub mod actor;
pub mod cards;
pub mod feed;
pub mod input;
pub mod mail;
pub mod pagination;
pub mod profiles;
pub mod reactions;
pub mod replies;
pub mod search;
pub mod sessions;
pub mod time;
pub mod users;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::{password::Passwords, tokens::TokenKeys},
    domain::{feed::bus::EventBus, mail::MailSettings},
    throttle::Throttle,
};

/// What the rules need, and nothing else: cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub db: DatabaseConnection,
    /// The live feed (and the signal that ends it at shutdown).
    pub bus: EventBus,
    /// Password hashing, off the async runtime.
    pub passwords: Passwords,
    /// Access-token signing and checking.
    pub tokens: Arc<TokenKeys>,
    /// Abuse limits.
    pub throttle: Arc<Throttle>,
    /// Mail: templates, links, the verification policy, the outbox's bell.
    pub mail: Arc<MailSettings>,
}

impl Ctx {
    /// A context over `db`; on PostgreSQL its feed starts listening to every
    /// instance's changes.
    pub fn new(
        db: DatabaseConnection,
        tokens: TokenKeys,
        passwords: Passwords,
        throttle: Throttle,
        mail: MailSettings,
    ) -> Self {
        let bus = EventBus::new(&db);
        bus.listen();
        Self {
            db,
            bus,
            passwords,
            tokens: Arc::new(tokens),
            throttle: Arc::new(throttle),
            mail: Arc::new(mail),
        }
    }
}
