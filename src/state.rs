//! The server's state: the domain's context plus what only the transports
//! need. Cheap to clone, handed to every handler; handlers that need only the
//! domain take `State<Ctx>` ([`FromRef`]).

use std::sync::{Arc, atomic::AtomicU64};

use axum::extract::FromRef;

use crate::{config::Config, domain::Ctx};

#[derive(Clone)]
pub struct AppState {
    /// What the rules need.
    pub domain: Ctx,
    pub config: Arc<Config>,
    /// Open WebSocket connections (bounded by `WS_MAX_CONNECTIONS`).
    pub ws_slots: Arc<tokio::sync::Semaphore>,
    /// SQL statements run since start (tests prove batching with it).
    pub sql_statements: Arc<AtomicU64>,
}

impl FromRef<AppState> for Ctx {
    fn from_ref(state: &AppState) -> Ctx {
        state.domain.clone()
    }
}
