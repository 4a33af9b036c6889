//! The live feed as one subscriber sees it: which changes reach them (and as
//! what kind), and when their subscription must end. [`bus`] carries the
//! changes between writers and subscribers (and between instances).

pub mod bus;
pub mod thread;

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

/// How one bus event looks to one subscriber of a kind of subscription.
pub enum Seen<T> {
    /// Not for them.
    Nothing,
    Item(T),
    /// Their subscription ends with this error.
    End(AppError),
}

/// What a subscription follows: the items it makes of the bus's events.
/// Revocation, token expiry, back-pressure and shutdown are the same for
/// every kind ([`Subscription`]).
pub trait Follow: Send + 'static {
    type Item: Send + 'static;
    fn see(&mut self, actor: &Actor, event: &BusEvent) -> Seen<Self::Item>;
}

/// The cards of the feed, filtered.
struct Cards(FeedFilter);

impl Follow for Cards {
    type Item = FeedItem;

    fn see(&mut self, actor: &Actor, event: &BusEvent) -> Seen<FeedItem> {
        let BusEvent::Card(change, card) = event else {
            return Seen::Nothing;
        };
        let Some(kind) = view_change(actor, &self.0, change) else {
            return Seen::Nothing;
        };
        let card = match (kind, card) {
            (ChangeKind::Deleted, _) => None,
            (_, Some(card)) => Some(card.for_reader(actor.user_id())),
            // Gone again before it could be loaded: a later event says so.
            (_, None) => return Seen::Nothing,
        };
        Seen::Item(FeedItem {
            kind,
            card_id: change.card_id,
            card,
        })
    }
}

pub struct Subscription<F> {
    ctx: Ctx,
    actor: Actor,
    follow: F,
    rx: tokio::sync::broadcast::Receiver<Arc<BusEvent>>,
    /// When the subscriber's access token expires.
    deadline: Option<tokio::time::Instant>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    done: bool,
}

impl<F: Follow> Subscription<F> {
    /// Starts listening now (before any check the caller makes, so that
    /// nothing between the check and the first event is missed).
    pub fn new(ctx: &Ctx, actor: Actor, follow: F) -> Self {
        let deadline = actor.0.as_ref().map(|a| {
            let left = (a.access_expires_at - chrono::Utc::now().timestamp()).max(0) as u64;
            tokio::time::Instant::now() + std::time::Duration::from_secs(left)
        });
        Subscription {
            rx: ctx.bus.subscribe(),
            shutdown: ctx.bus.closing(),
            ctx: ctx.clone(),
            actor,
            follow,
            deadline,
            done: false,
        }
    }

    /// Who subscribed.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The next item, or the error that ends the subscription, or `None` at the end.
    async fn next(&mut self) -> Option<Result<F::Item>> {
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
                Err(RecvError::Lagged(missed)) => {
                    metrics::counter!("spider_web_feed_events_dropped_total").increment(missed);
                    metrics::counter!("spider_web_feed_slow_subscribers_total", "reason" => "lagged")
                        .increment(1);
                    return self.end(AppError::SlowSubscriber);
                }
                Err(RecvError::Closed) => return None,
            };
            match &*event {
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
                event => match self.follow.see(&self.actor, event) {
                    Seen::Nothing => {}
                    Seen::Item(item) => {
                        metrics::counter!("spider_web_feed_events_delivered_total").increment(1);
                        return Some(Ok(item));
                    }
                    Seen::End(error) => return self.end(error),
                },
            }
        }
    }

    fn end(&mut self, error: AppError) -> Option<Result<F::Item>> {
        self.done = true;
        Some(Err(error))
    }

    /// The subscription as a stream of items, ending after its first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<F::Item>> + Send + 'static {
        stream::unfold(self, |mut sub| async move {
            sub.next().await.map(|item| (item, sub))
        })
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
    Subscription::new(ctx, actor, Cards(filter)).into_stream()
}
