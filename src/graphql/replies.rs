//! Reply mutations and `Subscription.replyEvents` (threads are read through
//! `Card.replies`).

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject, Subscription,
};
use futures_util::{Stream, StreamExt};

use super::{
    context::{WsConnection, actor, domain, field, mutation_id, query_id},
    objects::Reply,
};
use crate::{
    domain::{
        feed::{bus::ChangeKind, thread},
        input::Field,
        replies::{self, ReplyInput},
    },
    error::{AppError, GqlResult},
};

#[derive(InputObject)]
#[graphql(name = "CreateReplyInput")]
pub struct CreateReplyInputGql {
    body: String,
}

/// Only a given body changes; it may not be null.
#[derive(InputObject)]
#[graphql(name = "UpdateReplyInput")]
pub struct UpdateReplyInputGql {
    body: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct ReplyMutation;

#[Object]
impl ReplyMutation {
    /// Replies to a card the caller may read.
    async fn create_reply(
        &self,
        ctx: &Context<'_>,
        card_id: ID,
        input: CreateReplyInputGql,
    ) -> Result<Reply> {
        let card_id = mutation_id(&card_id)?;
        let input = ReplyInput {
            body: Field::Value(input.body),
        };
        replies::create(domain(ctx), actor(ctx).await?, card_id, input)
            .await
            .map(Reply)
            .gql()
    }

    /// Edits a reply (its author or staff).
    async fn update_reply(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateReplyInputGql,
    ) -> Result<Reply> {
        let id = mutation_id(&id)?;
        let input = ReplyInput {
            body: field(input.body),
        };
        replies::update(domain(ctx), actor(ctx).await?, None, id, input, false)
            .await
            .map(Reply)
            .gql()
    }

    /// Deletes a reply (its author, the card's owner, or staff); returns its id.
    async fn delete_reply(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let uuid = mutation_id(&id)?;
        replies::delete(domain(ctx), actor(ctx).await?, None, uuid)
            .await
            .gql()?;
        Ok(id)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReplyEventKind {
    Created,
    Updated,
    Deleted,
}

impl From<ChangeKind> for ReplyEventKind {
    fn from(k: ChangeKind) -> Self {
        match k {
            ChangeKind::Created => ReplyEventKind::Created,
            ChangeKind::Updated => ReplyEventKind::Updated,
            ChangeKind::Deleted => ReplyEventKind::Deleted,
        }
    }
}

/// A change in a card's thread.
#[derive(SimpleObject)]
pub struct ReplyEvent {
    kind: ReplyEventKind,
    reply_id: ID,
    /// The reply after the change; null for DELETED.
    reply: Option<Reply>,
}

#[derive(Default)]
pub struct ReplySubscription;

#[Subscription]
impl ReplySubscription {
    /// The thread of a card the caller may read, as it changes (NOT_FOUND at
    /// once otherwise). Ends with NOT_FOUND when the card is deleted or
    /// becomes unreadable to the caller, and with UNAUTHENTICATED as the card
    /// feed does.
    async fn reply_events(
        &self,
        ctx: &Context<'_>,
        card_id: ID,
    ) -> Result<impl Stream<Item = Result<ReplyEvent>> + use<>> {
        let card_id = query_id(&card_id).ok_or_else(|| AppError::NotFound.into_graphql())?;
        let items = thread::subscribe(domain(ctx), actor(ctx).await?.clone(), card_id)
            .await
            .gql()?;
        let connection = ctx.data_opt::<WsConnection>().cloned();
        Ok(items.map(move |item| match item {
            Ok(item) => Ok(ReplyEvent {
                kind: item.kind.into(),
                reply_id: ID(item.reply_id.to_string()),
                reply: item
                    .reply
                    .map(|r| Reply(std::sync::Arc::unwrap_or_clone(r))),
            }),
            Err(e) => {
                // Only a lost right to read or a slow subscriber closes the
                // socket; the card's own end (NOT_FOUND) ends this subscription.
                if let (Some(conn), AppError::TokenNotValid | AppError::SlowSubscriber) =
                    (&connection, &e)
                {
                    conn.close(e.ws_close_code());
                }
                Err(e.into_graphql())
            }
        }))
    }
}
