//! The live-feed bus. On SQLite an in-process broadcast serves the single
//! instance; on PostgreSQL every change goes through `NOTIFY` so that the
//! subscribers of every instance sharing the database hear it. Notifications
//! carry ids only (far below NOTIFY's 8000-byte limit); each instance loads a
//! changed card once and fans it out to its own subscribers.

use std::{sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::domain::cards::{
    rows::load_view,
    view::{CardView, Visibility},
};

/// The PostgreSQL channel of the bus.
const CHANNEL: &str = "spider_web_events";
/// Messages a subscriber may fall behind before it is cut off.
pub const BUFFER: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// What happened to a card: enough to decide, per subscriber, what it saw
/// before and what it sees after.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardChange {
    pub kind: ChangeKind,
    pub card_id: Uuid,
    pub owner_id: Uuid,
    /// Visibility before the change (`None`: the card did not exist).
    pub before: Option<Visibility>,
    /// Visibility after the change (`None`: the card is gone).
    pub after: Option<Visibility>,
}

/// Which sessions lost their right to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revocation {
    pub user_id: Uuid,
    /// Only this session; `None`: every session of the user but `keep`.
    pub session: Option<Uuid>,
    pub keep: Option<Uuid>,
}

impl Revocation {
    /// Does this revocation end `session` of `user`?
    pub fn ends(&self, user: Uuid, session: Uuid) -> bool {
        self.user_id == user
            && match self.session {
                Some(s) => s == session,
                None => self.keep != Some(session),
            }
    }
}

/// A message on the bus as subscribers receive it.
#[derive(Debug, Clone)]
pub enum BusEvent {
    /// A card changed; `card` is its state after the change (none once deleted).
    Card(CardChange, Option<Arc<CardView>>),
    Revoked(Revocation),
    /// Events may have been lost (a dropped database connection): every
    /// subscriber re-checks its session.
    Resync,
}

/// What travels through NOTIFY.
#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
enum Wire {
    Card(CardChange),
    Revoked(Revocation),
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<BusEvent>>,
    /// Set on PostgreSQL: publish through NOTIFY.
    notify: Option<DatabaseConnection>,
    /// `true` once the server begins to shut down: every live feed ends.
    closing: Arc<watch::Sender<bool>>,
}

impl EventBus {
    /// A bus for `db`. On PostgreSQL call [`EventBus::listen`] once to receive.
    pub fn new(db: &DatabaseConnection) -> Self {
        let (tx, _) = broadcast::channel(BUFFER);
        let notify = (db.get_database_backend() == DbBackend::Postgres).then(|| db.clone());
        Self {
            tx,
            notify,
            closing: Arc::new(watch::channel(false).0),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.tx.subscribe()
    }

    /// Ends every live feed (the server is shutting down).
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// Becomes `true` when the feeds end.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn local(&self, event: BusEvent) {
        // No receivers is fine: nobody is listening.
        let _ = self.tx.send(Arc::new(event));
    }

    async fn notify(&self, db: &DatabaseConnection, wire: &Wire) {
        let payload = match serde_json::to_string(wire) {
            Ok(p) => p,
            Err(e) => return tracing::error!(error = %e, "cannot encode feed event"),
        };
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        if let Err(e) = db.execute_raw(stmt).await {
            tracing::error!(error = %e, "cannot publish feed event");
        }
    }

    /// Announces a card change (after it was committed).
    pub async fn card_changed(&self, change: CardChange, card: Option<CardView>) {
        match &self.notify {
            // The `cards_notify` trigger (migration 6) has announced it, in
            // the writing transaction.
            Some(_) => {}
            None => self.local(BusEvent::Card(change, card.map(Arc::new))),
        }
    }

    /// Announces that sessions were revoked.
    pub async fn sessions_revoked(&self, revocation: Revocation) {
        match &self.notify {
            Some(db) => self.notify(db, &Wire::Revoked(revocation)).await,
            None => self.local(BusEvent::Revoked(revocation)),
        }
    }

    /// On PostgreSQL: receives every instance's notifications and fans them out
    /// here, loading each changed card once. Reconnects by itself.
    pub fn listen(&self) {
        let Some(db) = self.notify.clone() else {
            return;
        };
        let bus = self.clone();
        tokio::spawn(async move {
            let pool = db.get_postgres_connection_pool().clone();
            let mut backoff = Duration::from_millis(100);
            loop {
                let mut listener =
                    match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::warn!(error = %e, "feed listener cannot connect; retrying");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(5));
                            continue;
                        }
                    };
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "feed listener cannot LISTEN; retrying");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                backoff = Duration::from_millis(100);
                // Anything missed while disconnected is unknown: make subscribers re-check.
                bus.local(BusEvent::Resync);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => bus.deliver(&db, n.payload()).await,
                        Ok(None) => {
                            tracing::warn!(
                                "feed listener lost its database connection; events until it is back are lost"
                            );
                            bus.local(BusEvent::Resync);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "feed listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
        });
    }

    async fn deliver(&self, db: &DatabaseConnection, payload: &str) {
        if self.tx.receiver_count() == 0 {
            // Nobody subscribed here: no card to load.
            return;
        }
        match serde_json::from_str::<Wire>(payload) {
            Ok(Wire::Card(change)) => {
                let card = match change.after {
                    Some(_) => load_view(db, change.card_id)
                        .await
                        .ok()
                        .flatten()
                        .map(Arc::new),
                    None => None,
                };
                self.local(BusEvent::Card(change, card));
            }
            Ok(Wire::Revoked(r)) => self.local(BusEvent::Revoked(r)),
            Err(e) => tracing::warn!(error = %e, "ignoring a malformed feed notification"),
        }
    }
}
