//! The `Card` type, card queries and mutations.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result,
    connection::{Connection, EmptyFields},
};

use super::{
    actor,
    loaders::Loaders,
    mutation_id,
    pagination::{PageArgs, connection},
    query_id, state,
    users::User,
};
use crate::{
    auth::Actor,
    domain::{
        Timestamp,
        cards::{self, CardFilter, CardInput, CardView, Visibility},
        pagination::Ordering,
        users::UserView,
    },
    error::{AppError, GqlResult},
};

/// Who may read a card: everyone, or only its owner and staff.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Visibility")]
pub enum VisibilityGql {
    Public,
    Private,
}

impl From<Visibility> for VisibilityGql {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Public => VisibilityGql::Public,
            Visibility::Private => VisibilityGql::Private,
        }
    }
}

impl From<VisibilityGql> for Visibility {
    fn from(v: VisibilityGql) -> Self {
        match v {
            VisibilityGql::Public => Visibility::Public,
            VisibilityGql::Private => Visibility::Private,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrderField {
    CreatedAt,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

/// Ordering of a card list (default: newest first).
#[derive(InputObject)]
#[graphql(name = "CardOrder")]
pub struct CardOrderGql {
    field: OrderField,
    direction: OrderDirection,
}

#[derive(InputObject, Default)]
#[graphql(name = "CardFilter")]
pub struct CardFilterGql {
    /// Cards of this user.
    owner: Option<ID>,
    visibility: Option<VisibilityGql>,
    /// Every whitespace-separated term must occur in the title or the body (case-insensitive).
    search: Option<String>,
}

impl CardFilterGql {
    pub fn into_domain(self) -> Result<CardFilter> {
        let owner = cards::parse_owner_filter(self.owner.as_ref().map(|id| id.as_str())).gql()?;
        Ok(CardFilter {
            owner,
            visibility: self.visibility.map(Into::into),
            search: self.search,
        })
    }
}

#[derive(InputObject)]
#[graphql(name = "CreateCardInput")]
pub struct CreateCardInputGql {
    title: String,
    body: Option<String>,
    visibility: Option<VisibilityGql>,
}

#[derive(InputObject)]
#[graphql(name = "UpdateCardInput")]
pub struct UpdateCardInputGql {
    title: Option<String>,
    body: Option<String>,
    visibility: Option<VisibilityGql>,
}

fn visibility_str(v: Option<VisibilityGql>) -> Option<String> {
    v.map(|v| Visibility::from(v).as_str().to_string())
}

/// A short titled post.
pub struct Card(pub CardView);

#[Object]
impl Card {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn owner_id(&self) -> ID {
        ID(self.0.owner_id.to_string())
    }

    async fn owner_username(&self) -> &str {
        &self.0.owner_username
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn visibility(&self) -> VisibilityGql {
        self.0.visibility.into()
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The author (batched across a page).
    async fn owner(&self, ctx: &Context<'_>) -> Result<User> {
        let user = Loaders::of(ctx)
            .users
            .load_one(self.0.owner_id)
            .await
            .gql()?;
        let user = user.ok_or_else(|| AppError::NotFound.into_graphql())?;
        Ok(User(UserView::for_viewer(&user, actor(ctx))))
    }
}

/// `totalCount` of a card connection: counted only when selected.
pub struct CardCount {
    actor: Actor,
    filter: CardFilter,
}

#[Object]
impl CardCount {
    /// How many cards match, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        cards::count(state(ctx), &self.actor, &self.filter)
            .await
            .gql()
    }
}

pub type CardConnection = Connection<String, Card, CardCount, EmptyFields>;

/// One page of cards as a connection.
pub async fn card_connection(
    ctx: &Context<'_>,
    args: PageArgs,
    filter: CardFilter,
    order: Option<CardOrderGql>,
) -> Result<CardConnection> {
    let ordering = match order.map(|o| o.direction) {
        Some(OrderDirection::Asc) => Ordering::OldestFirst,
        _ => Ordering::NewestFirst,
    };
    let req = args.into_request(ordering)?;
    let actor = actor(ctx).clone();
    let page = cards::list_with_owners(state(ctx), &actor, &filter, &req)
        .await
        .gql()?;
    let look = ctx.look_ahead();
    let with_profiles = look.field("nodes").field("owner").field("profile").exists()
        || look
            .field("edges")
            .field("node")
            .field("owner")
            .field("profile")
            .exists();
    let owners = page.items.iter().filter_map(|(_, u)| u.clone()).collect();
    Loaders::of(ctx).prime(owners, with_profiles).await.gql()?;
    let page = page.map(|(card, _)| card);
    Ok(connection(
        page,
        cards::position,
        Card,
        CardCount { actor, filter },
    ))
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
        let Some((card, owner)) = cards::get_with_owner(state(ctx), actor(ctx), id)
            .await
            .gql()?
        else {
            return Ok(None);
        };
        Loaders::of(ctx)
            .prime(owner.into_iter().collect(), false)
            .await
            .gql()?;
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
            title: Some(input.title),
            body: input.body,
            visibility: visibility_str(input.visibility),
        };
        cards::create(state(ctx), actor(ctx), input)
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
            title: input.title,
            body: input.body,
            visibility: visibility_str(input.visibility),
        };
        cards::update(state(ctx), actor(ctx), id, input, false)
            .await
            .map(Card)
            .gql()
    }

    /// Deletes a card (owner or staff); returns its id.
    async fn delete_card(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let uuid = mutation_id(&id)?;
        cards::delete(state(ctx), actor(ctx), uuid).await.gql()?;
        Ok(id)
    }
}
