//! A card's thread, live: its replies as they are created, edited and
//! deleted, for as long as the subscriber may read the card. Subscribing to a
//! card the caller may not read fails with `NotFound` before anything is
//! sent; a card that becomes unreadable to them (made private, deleted) ends
//! the subscription with `NotFound`. Revocation, expiry and back-pressure are
//! the feed's ([`Subscription`]).

use std::sync::Arc;

use futures_util::Stream;
use uuid::Uuid;

use super::{
    Follow, Seen, Subscription,
    bus::{BusEvent, ChangeKind},
};
use crate::{
    domain::{
        Ctx,
        actor::Actor,
        cards::{self, view::may_read},
        replies::ReplyView,
    },
    error::{AppError, Result},
};

/// One change of the thread. `reply` is absent for `Deleted`.
#[derive(Debug, Clone)]
pub struct ReplyItem {
    pub kind: ChangeKind,
    pub reply_id: Uuid,
    pub reply: Option<Arc<ReplyView>>,
}

struct Thread {
    card_id: Uuid,
}

impl Follow for Thread {
    type Item = ReplyItem;

    fn see(&mut self, actor: &Actor, event: &BusEvent) -> Seen<ReplyItem> {
        match event {
            BusEvent::Reply(change, reply) if change.card_id == self.card_id => {
                if !may_read(actor, change.owner_id, change.visibility) {
                    return Seen::End(AppError::NotFound);
                }
                let reply = match (change.kind, reply) {
                    (ChangeKind::Deleted, _) => None,
                    (_, Some(reply)) => Some(reply.clone()),
                    // Gone again before it could be loaded: a later event says so.
                    (_, None) => return Seen::Nothing,
                };
                Seen::Item(ReplyItem {
                    kind: change.kind,
                    reply_id: change.reply_id,
                    reply,
                })
            }
            BusEvent::Card(change, _) if change.card_id == self.card_id => {
                match change.after {
                    Some(after) if may_read(actor, change.owner_id, after) => Seen::Nothing,
                    // Deleted, or no longer theirs to read.
                    _ => Seen::End(AppError::NotFound),
                }
            }
            _ => Seen::Nothing,
        }
    }
}

/// The thread of a card the caller may read (`NotFound` otherwise).
pub async fn subscribe(
    ctx: &Ctx,
    actor: Actor,
    card_id: Uuid,
) -> Result<impl Stream<Item = Result<ReplyItem>> + Send + 'static + use<>> {
    // Listen first: nothing between the check and the first event is missed.
    let sub = Subscription::new(ctx, actor, Thread { card_id });
    cards::readable(ctx, sub.actor(), card_id).await?;
    Ok(sub.into_stream())
}
