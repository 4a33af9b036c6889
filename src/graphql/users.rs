//! User queries.

use async_graphql::{Context, ID, Object, Result};

use super::{
    context::{actor, domain, query_id},
    objects::User,
};
use crate::{domain::users, error::GqlResult};

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(actor(ctx).await?.0.as_ref().map(|a| User(users::me(a))))
    }

    /// A user by id; null when there is none.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let Some(id) = query_id(&id) else {
            return Ok(None);
        };
        Ok(users::find(domain(ctx), actor(ctx).await?, id)
            .await
            .gql()?
            .map(User))
    }
}
