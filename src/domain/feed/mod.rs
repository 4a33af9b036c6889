//! The live feed as one subscriber sees it: which changes reach them (and as
//! what kind), and when their subscription must end. [`bus`] carries the
//! changes between writers and subscribers (and between instances).

pub mod bus;

use std::sync::Arc;

use futures_util::{Stream, stream};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use self::bus::{BusEvent, CardChange, ChangeKind};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        cards::view::{CardView, Visibility, may_read},
        sessions::session_is_live,
    },
    error::{AppError, Result},
};

/// What a subscriber asked to follow.
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    pub owner: Option<Uuid>,
    pub visibility: Option<Visibility>,
}

/// One event for one subscriber. `card` is absent for `Deleted`.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub kind: ChangeKind,
    pub card_id: Uuid,
    pub card: Option<Arc<CardView>>,
}

/// Is a card with this owner and visibility in the subscriber's view: may
/// they read it ([`may_read`], the one read rule), and does it match their filter?
fn in_view(
    actor: &Actor,
    filter: &FeedFilter,
    owner: Uuid,
    visibility: Option<Visibility>,
) -> bool {
    let Some(visibility) = visibility else {
        return false;
    };
    may_read(actor, owner, visibility)
        && filter.owner.is_none_or(|o| o == owner)
        && filter.visibility.is_none_or(|v| v == visibility)
}

/// What a change looks like to this subscriber: a card entering their view is
/// CREATED, leaving it DELETED, staying in it UPDATED; otherwise nothing.
pub fn view_change(actor: &Actor, filter: &FeedFilter, change: &CardChange) -> Option<ChangeKind> {
    let before = in_view(actor, filter, change.owner_id, change.before);
    let after = in_view(actor, filter, change.owner_id, change.after);
    match (before, after) {
        (false, true) => Some(ChangeKind::Created),
        (true, true) => Some(ChangeKind::Updated),
        (true, false) => Some(ChangeKind::Deleted),
        (false, false) => None,
    }
}

struct Subscription {
    ctx: Ctx,
    actor: Actor,
    filter: FeedFilter,
    rx: tokio::sync::broadcast::Receiver<Arc<BusEvent>>,
    /// When the subscriber's access token expires.
    deadline: Option<tokio::time::Instant>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    done: bool,
}

impl Subscription {
    /// The next item, or the error that ends the subscription, or `None` at the end.
    async fn next(&mut self) -> Option<Result<FeedItem>> {
        if self.done {
            return None;
        }
        loop {
            enum Woke {
                Received(std::result::Result<Arc<BusEvent>, RecvError>),
                Expired,
                ShuttingDown,
            }
            let deadline = self.deadline;
            let shutdown = &mut self.shutdown;
            let woke = tokio::select! {
                r = self.rx.recv() => Woke::Received(r),
                () = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => Woke::Expired,
                () = async {
                    let _ = shutdown.wait_for(|stopping| *stopping).await;
                } => Woke::ShuttingDown,
            };
            let received = match woke {
                Woke::Received(r) => r,
                Woke::Expired => return self.end(AppError::TokenNotValid),
                // The server is shutting down: the feed simply ends.
                Woke::ShuttingDown => return None,
            };
            let event = match received {
                Ok(event) => event,
                Err(RecvError::Lagged(_)) => return self.end(AppError::SlowSubscriber),
                Err(RecvError::Closed) => return None,
            };
            match &*event {
                BusEvent::Card(change, card) => {
                    if let Some(kind) = view_change(&self.actor, &self.filter, change) {
                        let card = if kind == ChangeKind::Deleted {
                            None
                        } else {
                            card.clone()
                        };
                        if kind != ChangeKind::Deleted && card.is_none() {
                            // Gone again before it could be loaded: a later event says so.
                            continue;
                        }
                        return Some(Ok(FeedItem {
                            kind,
                            card_id: change.card_id,
                            card,
                        }));
                    }
                }
                BusEvent::Revoked(r) => {
                    if let Some(me) = &self.actor.0
                        && r.ends(me.user.id, me.session_id)
                    {
                        return self.end(AppError::TokenNotValid);
                    }
                }
                BusEvent::Resync => {
                    if let Some(me) = &self.actor.0 {
                        match session_is_live(&self.ctx, me.session_id).await {
                            Ok(true) => {}
                            Ok(false) => return self.end(AppError::TokenNotValid),
                            // Cannot tell now; the next resync asks again.
                            Err(_) => {}
                        }
                    }
                }
            }
        }
    }

    fn end(&mut self, error: AppError) -> Option<Result<FeedItem>> {
        self.done = true;
        Some(Err(error))
    }
}

/// The caller's feed: every change they may see, until their right to read
/// ends (logout, revocation, token expiry: one `TokenNotValid` error, then the
/// end) or they fall more than [`bus::BUFFER`] events behind (one
/// `SlowSubscriber` error, then the end).
pub fn subscribe(
    ctx: &Ctx,
    actor: Actor,
    filter: FeedFilter,
) -> impl Stream<Item = Result<FeedItem>> + Send + 'static + use<> {
    let deadline = actor.0.as_ref().map(|a| {
        let left = (a.access_expires_at - chrono::Utc::now().timestamp()).max(0) as u64;
        tokio::time::Instant::now() + std::time::Duration::from_secs(left)
    });
    let sub = Subscription {
        rx: ctx.bus.subscribe(),
        shutdown: ctx.bus.closing(),
        ctx: ctx.clone(),
        actor,
        filter,
        deadline,
        done: false,
    };
    stream::unfold(sub, |mut sub| async move {
        sub.next().await.map(|item| (item, sub))
    })
}
