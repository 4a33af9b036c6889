//! `Subscription.cardEvents`: the live feed over GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Result, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt};

use super::{
    context::{WsConnection, actor, domain},
    inputs::VisibilityGql,
    objects::Card,
};
use crate::{
    domain::{
        cards::parse_owner_filter,
        feed::{self, FeedFilter, FeedItem, bus::ChangeKind},
    },
    error::GqlResult,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CardEventKind {
    Created,
    Updated,
    Deleted,
}

impl From<ChangeKind> for CardEventKind {
    fn from(k: ChangeKind) -> Self {
        match k {
            ChangeKind::Created => CardEventKind::Created,
            ChangeKind::Updated => CardEventKind::Updated,
            ChangeKind::Deleted => CardEventKind::Deleted,
        }
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "CardEventFilter")]
pub struct CardEventFilterGql {
    /// Only cards of this user.
    owner: Option<ID>,
    visibility: Option<VisibilityGql>,
}

/// A change to a card the subscriber may read. A card entering the
/// subscriber's view arrives as CREATED, one leaving it as DELETED.
#[derive(SimpleObject)]
pub struct CardEvent {
    kind: CardEventKind,
    card_id: ID,
    /// The card after the change; null for DELETED.
    card: Option<Card>,
}

impl From<FeedItem> for CardEvent {
    fn from(item: FeedItem) -> Self {
        CardEvent {
            kind: item.kind.into(),
            card_id: ID(item.card_id.to_string()),
            card: item.card.map(|c| Card(Arc::unwrap_or_clone(c))),
        }
    }
}

#[derive(Default)]
pub struct FeedSubscription;

#[Subscription]
impl FeedSubscription {
    /// Changes to the cards the caller may read, as they happen. Ends with
    /// UNAUTHENTICATED when the caller's session is revoked or its token expires.
    async fn card_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<CardEventFilterGql>,
    ) -> Result<impl Stream<Item = Result<CardEvent>> + use<>> {
        let filter = filter.unwrap_or_default();
        let owner = parse_owner_filter(filter.owner.as_ref().map(|id| id.as_str())).gql()?;
        let filter = FeedFilter {
            owner,
            visibility: filter.visibility.map(Into::into),
        };
        let connection = ctx.data_opt::<WsConnection>().cloned();
        let stream = feed::subscribe(domain(ctx), actor(ctx).await?.clone(), filter);
        Ok(stream.map(move |item| match item {
            Ok(item) => Ok(CardEvent::from(item)),
            Err(e) => {
                // The right to read is gone, or the subscriber is too slow:
                // after this error the socket closes too.
                if let Some(conn) = &connection {
                    conn.close(e.ws_close_code());
                }
                Err(e.into_graphql())
            }
        }))
    }
}
