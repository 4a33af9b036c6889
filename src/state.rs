//! Shared application state: cheap to clone, handed to every handler and resolver.

use std::sync::{Arc, atomic::AtomicU64};

use sea_orm::DatabaseConnection;

use crate::{
    auth::{password::Passwords, tokens::TokenKeys},
    config::Config,
    events::EventBus,
    throttle::Throttle,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
    pub config: Arc<Config>,
    /// The live feed.
    pub bus: EventBus,
    /// Abuse limits.
    pub throttle: Arc<Throttle>,
    /// Set to `true` when the server begins to shut down: live feeds end.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// Open WebSocket connections (bounded by `WS_MAX_CONNECTIONS`).
    pub ws_slots: Arc<tokio::sync::Semaphore>,
    /// SQL statements run since start (tests prove batching with it).
    pub sql_statements: Arc<AtomicU64>,
}
