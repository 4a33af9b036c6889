//! The `User` type and user queries.

use async_graphql::{Context, ID, Object, Result};

use super::{
    actor,
    cards::{CardConnection, CardFilterGql, CardOrderGql, card_connection},
    loaders::Loaders,
    pagination::PageArgs,
    profiles::Profile,
    state,
};
use crate::{
    domain::{Timestamp, users},
    error::GqlResult,
};

/// A registered person.
pub struct User(pub users::UserView);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn username(&self) -> &str {
        &self.0.username
    }

    /// Visible only to the user themself and to staff; null otherwise.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn is_staff(&self) -> bool {
        self.0.is_staff
    }

    async fn date_joined(&self) -> Timestamp {
        self.0.date_joined
    }

    async fn last_login(&self) -> Option<Timestamp> {
        self.0.last_login
    }

    /// The user's profile, if they made one (batched).
    async fn profile(&self, ctx: &Context<'_>) -> Result<Option<Profile>> {
        Ok(Loaders::of(ctx)
            .profiles
            .load_one(self.0.id)
            .await
            .gql()?
            .flatten()
            .map(Profile))
    }

    /// The user's cards that the caller may read, newest first by default.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1"
    )]
    async fn cards(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CardFilterGql>,
        order_by: Option<CardOrderGql>,
    ) -> Result<CardConnection> {
        let mut filter = filter.unwrap_or_default().into_domain()?;
        filter.owner = Some(self.0.id);
        card_connection(
            ctx,
            PageArgs {
                first,
                after,
                last,
                before,
            },
            filter,
            order_by,
        )
        .await
    }
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        actor(ctx).0.as_ref().map(|a| User(users::me(a)))
    }

    /// A user by id; null when there is none.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let Some(id) = super::query_id(&id) else {
            return Ok(None);
        };
        let found: crate::error::Result<_> = users::find(state(ctx), actor(ctx), id).await;
        Ok(found.gql()?.map(User))
    }
}
