//! The `User` type and user queries.

use async_graphql::{Context, ID, Object, Result};

use super::{actor, state};
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
        let Ok(id) = uuid::Uuid::try_parse(&id) else {
            return Ok(None);
        };
        let found: crate::error::Result<_> = users::find(state(ctx), actor(ctx), id).await;
        Ok(found.gql()?.map(User))
    }
}
