//! Shared application state: cheap to clone, handed to every handler and resolver.

use std::sync::{Arc, atomic::AtomicU64};

use sea_orm::DatabaseConnection;

use crate::{
    auth::{password::Passwords, tokens::TokenKeys},
    config::Config,
    events::EventBus,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
    pub config: Arc<Config>,
    /// The live feed.
    pub bus: EventBus,
    /// SQL statements run since start (tests prove batching with it).
    pub sql_statements: Arc<AtomicU64>,
}
