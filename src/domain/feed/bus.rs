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

use crate::{
    domain::{
        cards::{
            rows::load_view,
            view::{CardView, Visibility},
        },
        reactions::summary::CardReactions,
        replies::rows::{self as reply_rows, ReplyView},
    },
    error::Result,
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

/// What happened to a reply, with what decides who may hear it: its card's
/// owner and visibility at the time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplyChange {
    pub kind: ChangeKind,
    pub card_id: Uuid,
    pub reply_id: Uuid,
    pub owner_id: Uuid,
    pub visibility: Visibility,
}

/// A card as the feed carries it: one shared view (its summary as an
/// anonymous reader sees it) and every reaction, so that each subscriber gets
/// its own `reacted` without a statement per subscriber.
#[derive(Debug, Clone)]
pub struct LiveCard {
    shared: Arc<CardView>,
    reactions: CardReactions,
}

impl LiveCard {
    pub fn new(mut view: CardView, reactions: CardReactions) -> Self {
        view.reactions = Some(reactions.summary_for(None));
        Self {
            shared: Arc::new(view),
            reactions,
        }
    }

    /// The card and its reactions, now.
    pub async fn load(db: &DatabaseConnection, id: Uuid) -> Result<Option<Self>> {
        let Some(view) = load_view(db, id).await? else {
            return Ok(None);
        };
        let reactions = if view.reaction_count == 0 {
            CardReactions::default()
        } else {
            CardReactions::load(db, id).await?
        };
        Ok(Some(Self::new(view, reactions)))
    }

    /// The card as `reader` sees it (shared unless they reacted to it).
    pub fn for_reader(&self, reader: Option<Uuid>) -> Arc<CardView> {
        match reader {
            Some(me) if self.reactions.has_any(me) => {
                let mut view = CardView::clone(&self.shared);
                view.reactions = Some(self.reactions.summary_for(Some(me)));
                Arc::new(view)
            }
            _ => self.shared.clone(),
        }
    }
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
    Card(CardChange, Option<LiveCard>),
    /// A reply changed; `reply` is its state after the change (none once deleted).
    Reply(ReplyChange, Option<Arc<ReplyView>>),
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
    Reply(ReplyChange),
    Revoked(Revocation),
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<BusEvent>>,
    db: DatabaseConnection,
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
            db: db.clone(),
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
        // On PostgreSQL the `cards_notify` trigger (migration 6) has announced
        // it, in the writing transaction. Nobody listening: nothing to load.
        if self.notify.is_some() || self.tx.receiver_count() == 0 {
            return;
        }
        let card = match card {
            Some(view) if view.reaction_count == 0 => {
                Some(LiveCard::new(view, CardReactions::default()))
            }
            Some(view) => match CardReactions::load(&self.db, view.id).await {
                Ok(reactions) => Some(LiveCard::new(view, reactions)),
                Err(e) => {
                    return tracing::warn!(error = ?e, "cannot load a changed card's reactions");
                }
            },
            None => None,
        };
        self.local(BusEvent::Card(change, card));
    }

    /// Announces that a card's replies or reactions changed: an UPDATED card
    /// (after the change was committed).
    pub async fn card_touched(&self, card_id: Uuid) {
        // On PostgreSQL triggers on `replies` and `reactions` announce it.
        if self.notify.is_some() || self.tx.receiver_count() == 0 {
            return;
        }
        match LiveCard::load(&self.db, card_id).await {
            Ok(Some(card)) => {
                let visibility = Some(card.shared.visibility);
                let change = CardChange {
                    kind: ChangeKind::Updated,
                    card_id,
                    owner_id: card.shared.owner_id,
                    before: visibility,
                    after: visibility,
                };
                self.local(BusEvent::Card(change, Some(card)));
            }
            // Deleted meanwhile: its DELETED event says so.
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e, "cannot load a touched card"),
        }
    }

    /// Announces a reply change (after it was committed).
    pub async fn reply_changed(&self, change: ReplyChange, reply: Option<ReplyView>) {
        // On PostgreSQL the `replies_notify` trigger (migration 12) has announced it.
        if self.notify.is_none() {
            self.local(BusEvent::Reply(change, reply.map(Arc::new)));
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
                    Some(_) => LiveCard::load(db, change.card_id).await.ok().flatten(),
                    None => None,
                };
                self.local(BusEvent::Card(change, card));
            }
            Ok(Wire::Reply(change)) => {
                let reply = match change.kind {
                    ChangeKind::Deleted => None,
                    _ => reply_rows::load_view(db, change.reply_id)
                        .await
                        .ok()
                        .flatten()
                        .map(Arc::new),
                };
                self.local(BusEvent::Reply(change, reply));
            }
            Ok(Wire::Revoked(r)) => self.local(BusEvent::Revoked(r)),
            Err(e) => tracing::warn!(error = %e, "ignoring a malformed feed notification"),
        }
    }
}
