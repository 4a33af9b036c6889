//! What every resolver reads from its context: the domain, the caller, the
//! client's address, the WebSocket it runs on; and how arguments become the
//! domain's inputs.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::{
        Arc,
        atomic::{AtomicU16, Ordering},
    },
};

use async_graphql::{Context, MaybeUndefined};
use tokio::sync::Notify;

use crate::{
    domain::{Ctx, actor::Actor, input::Field, sessions::Caller},
    error::{AppError, GqlResult},
    http::client_ip::ClientIp,
};

/// The domain's context from a resolver's context.
pub(crate) fn domain<'a>(ctx: &Context<'a>) -> &'a Ctx {
    ctx.data_unchecked::<Ctx>()
}

/// The client's address, as resolved by the HTTP or WebSocket handler.
pub(crate) fn client(ctx: &Context<'_>) -> IpAddr {
    ctx.data_opt::<ClientIp>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0)
}

/// The caller, as the HTTP or WebSocket handler resolved it (anonymous when
/// absent); a claimed token's session is checked on first use.
pub(crate) async fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Actor> {
    static ANONYMOUS: Actor = Actor(None);
    match caller(ctx) {
        Some(caller) => caller.actor(domain(ctx)).await.gql(),
        None => Ok(&ANONYMOUS),
    }
}

/// The request's caller, for reads that check its session in their own
/// statement.
pub(crate) fn caller<'a>(ctx: &Context<'a>) -> Option<&'a Arc<Caller>> {
    ctx.data_opt::<Arc<Caller>>()
}

/// An input field as the domain takes it: absent, `null`, or a value (the
/// domain decides where `null` is allowed).
pub(crate) fn field<T, U: From<T>>(value: MaybeUndefined<T>) -> Field<U> {
    match value {
        MaybeUndefined::Undefined => Field::Absent,
        MaybeUndefined::Null => Field::Null,
        MaybeUndefined::Value(v) => Field::Value(v.into()),
    }
}

/// An id argument of a query: one that is not a UUID names nothing (null).
pub(crate) fn query_id(id: &async_graphql::ID) -> Option<uuid::Uuid> {
    uuid::Uuid::try_parse(id).ok()
}

/// An id argument of a mutation: one that is not a UUID is `NOT_FOUND`.
pub(crate) fn mutation_id(id: &async_graphql::ID) -> async_graphql::Result<uuid::Uuid> {
    query_id(id).ok_or_else(|| AppError::NotFound.into_graphql())
}

/// Lets a subscription close its socket with a code.
#[derive(Clone, Default)]
pub struct WsConnection {
    inner: Arc<ConnectionSignal>,
}

#[derive(Default)]
struct ConnectionSignal {
    code: AtomicU16,
    notify: Notify,
}

impl WsConnection {
    pub fn close(&self, code: u16) {
        self.inner.code.store(code, Ordering::SeqCst);
        self.inner.notify.notify_one();
    }

    pub(crate) async fn closed(&self) -> u16 {
        self.inner.notify.notified().await;
        self.inner.code.load(Ordering::SeqCst)
    }
}
