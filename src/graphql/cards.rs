//! Card queries and mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::{
    context::{actor, caller, domain, field, mutation_id, query_id},
    inputs::{CardFilterGql, CardOrderGql, VisibilityGql},
    loaders::Loaders,
    objects::{Card, CardConnection, card_connection},
    pagination::PageArgs,
};
use crate::{
    domain::{
        cards::{self, CardInput},
        input::Field,
    },
    error::GqlResult,
};

#[derive(InputObject)]
#[graphql(name = "CreateCardInput")]
pub struct CreateCardInputGql {
    title: String,
    body: MaybeUndefined<String>,
    visibility: MaybeUndefined<VisibilityGql>,
}

/// Only the fields given change; none of them may be null.
#[derive(InputObject)]
#[graphql(name = "UpdateCardInput")]
pub struct UpdateCardInputGql {
    title: MaybeUndefined<String>,
    body: MaybeUndefined<String>,
    visibility: MaybeUndefined<VisibilityGql>,
}

#[derive(Default)]
pub struct CardQuery;

#[Object]
impl CardQuery {
    /// A card by id; null when it does not exist or the caller may not read it.
    async fn card(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Card>> {
        let Some(id) = query_id(&id) else {
            return Ok(None);
        };
        let found = match caller(ctx) {
            Some(caller) => cards::get_as(domain(ctx), caller, id).await.gql()?.1,
            None => cards::get_with_owner(domain(ctx), actor(ctx).await?, id)
                .await
                .gql()?,
        };
        let Some((card, owner)) = found else {
            return Ok(None);
        };
        Loaders::of(ctx).prime(owner.into_iter().collect()).await;
        Ok(Some(Card(card)))
    }

    /// The cards the caller may read, newest first by default.
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
        let filter = filter.unwrap_or_default().into_domain()?;
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
pub struct CardMutation;

#[Object]
impl CardMutation {
    /// Posts a card as the caller.
    async fn create_card(&self, ctx: &Context<'_>, input: CreateCardInputGql) -> Result<Card> {
        let input = CardInput {
            title: Field::Value(input.title),
            body: field(input.body),
            visibility: field(input.visibility),
        };
        cards::create(domain(ctx), actor(ctx).await?, input)
            .await
            .map(Card)
            .gql()
    }

    /// Changes the given fields of a card (owner or staff).
    async fn update_card(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCardInputGql,
    ) -> Result<Card> {
        let id = mutation_id(&id)?;
        let input = CardInput {
            title: field(input.title),
            body: field(input.body),
            visibility: field(input.visibility),
        };
        cards::update(domain(ctx), actor(ctx).await?, id, input, false)
            .await
            .map(Card)
            .gql()
    }

    /// Deletes a card (owner or staff); returns its id.
    async fn delete_card(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let uuid = mutation_id(&id)?;
        cards::delete(domain(ctx), actor(ctx).await?, uuid)
            .await
            .gql()?;
        Ok(id)
    }
}
