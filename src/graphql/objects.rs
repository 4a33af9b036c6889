//! The object types that refer to one another — `Card`, `User`, `Profile`,
//! `Reply` — and their connections. They live together because a card has an
//! owner and replies, a user has cards and a profile, a profile has a user,
//! and a reply has an author and a card.

use async_graphql::{
    Context, ID, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};

use super::{
    context::{actor, domain},
    inputs::{CardFilterGql, CardOrderGql, OrderDirection, ReplyOrderGql, VisibilityGql},
    loaders::Loaders,
    pagination::{PageArgs, connection},
    threads::{self, ReactionSummaryGql, reactions_of, replies_of},
};
use crate::{
    domain::{
        actor::Actor,
        cards::{self, CardFilter, CardView},
        pagination::Ordering,
        profiles::{self, ProfileFilter, ProfileView},
        replies::{self, ReplyView},
        time::Timestamp,
        users::UserView,
    },
    error::{AppError, GqlResult},
};

/// A user by id as the caller may see them, through the request's users
/// loader (batched across a page).
async fn user(ctx: &Context<'_>, id: uuid::Uuid) -> Result<User> {
    let found = Loaders::of(ctx).users.load_one(id).await.gql()?;
    let found = found.ok_or_else(|| AppError::NotFound.into_graphql())?;
    Ok(User(UserView::for_viewer(&found, actor(ctx).await?)))
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

    /// How many replies the thread holds.
    async fn reply_count(&self) -> u64 {
        self.0.reply_count
    }

    /// The thread, oldest first by default.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1"
    )]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<ReplyOrderGql>,
    ) -> Result<ReplyConnection> {
        let ordering = match order_by.map(|o| o.direction) {
            Some(OrderDirection::Desc) => Ordering::NewestFirst,
            _ => Ordering::OldestFirst,
        };
        let req = PageArgs {
            first,
            after,
            last,
            before,
        }
        .into_request(ordering)?;
        let page = replies_of(ctx, &self.0, &req).await?;
        let count = ReplyCount {
            total_count: self.0.reply_count,
        };
        Ok(connection(page, replies::position, Reply, count))
    }

    /// The reactions, most used first, then by the emoji's code points
    /// (batched across a page).
    async fn reactions(&self, ctx: &Context<'_>) -> Result<Vec<ReactionSummaryGql>> {
        reactions_of(ctx, &self.0).await
    }

    /// The author (batched across a page).
    async fn owner(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.owner_id).await
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
        cards::count(domain(ctx), &self.actor, &self.filter)
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
    let actor = actor(ctx).await?.clone();
    let look = ctx.look_ahead();
    let with_profiles = look.field("nodes").field("owner").field("profile").exists()
        || look
            .field("edges")
            .field("node")
            .field("owner")
            .field("profile")
            .exists();
    let loaders = Loaders::of(ctx);
    let page = if with_profiles {
        // The owners' profiles come in the page's own statement.
        let page = cards::list_with_owner_profiles(domain(ctx), &actor, &filter, &req)
            .await
            .gql()?;
        let mut owners = Vec::new();
        let mut profiles = Vec::new();
        for (card, owner, profile) in &page.items {
            owners.extend(owner.clone());
            profiles.push((card.owner_id, profile.clone()));
        }
        loaders.prime(owners).await;
        loaders.prime_profiles(profiles).await;
        page.map(|(card, _, _)| card)
    } else {
        let page = cards::list_with_owners(domain(ctx), &actor, &filter, &req)
            .await
            .gql()?;
        let owners = page.items.iter().filter_map(|(_, u)| u.clone()).collect();
        loaders.prime(owners).await;
        page.map(|(card, _)| card)
    };
    threads::prime(ctx, &page.items).await?;
    Ok(connection(
        page,
        cards::position,
        Card,
        CardCount { actor, filter },
    ))
}

/// A registered person.
pub struct User(pub UserView);

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

    /// Whether the owner verified `email`; like `email`, null unless self or staff.
    async fn email_verified(&self) -> Option<bool> {
        self.0.email_verified
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

/// A user's public profile.
pub struct Profile(pub ProfileView);

#[Object]
impl Profile {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }

    async fn username(&self) -> &str {
        &self.0.username
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn bio(&self) -> &str {
        &self.0.bio
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    async fn location(&self) -> &str {
        &self.0.location
    }

    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The user this profile belongs to (batched).
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.user_id).await
    }
}

/// `totalCount` of a profile connection: counted only when selected.
pub struct ProfileCount {
    pub filter: ProfileFilter,
}

#[Object]
impl ProfileCount {
    /// How many profiles match, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        profiles::count(domain(ctx), &self.filter).await.gql()
    }
}

pub type ProfileConnection = Connection<String, Profile, ProfileCount, EmptyFields>;

/// A reply in a card's thread.
pub struct Reply(pub ReplyView);

#[Object]
impl Reply {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn card_id(&self) -> ID {
        ID(self.0.card_id.to_string())
    }

    async fn author_id(&self) -> ID {
        ID(self.0.author_id.to_string())
    }

    async fn author_username(&self) -> &str {
        &self.0.author_username
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// Who wrote it (batched).
    async fn author(&self, ctx: &Context<'_>) -> Result<User> {
        user(ctx, self.0.author_id).await
    }

    /// The card it answers.
    async fn card(&self, ctx: &Context<'_>) -> Result<Card> {
        cards::get(domain(ctx), actor(ctx).await?, self.0.card_id)
            .await
            .gql()?
            .map(Card)
            .ok_or_else(|| AppError::NotFound.into_graphql())
    }
}

/// `totalCount` of a thread: the card's reply count (no statement).
#[derive(SimpleObject)]
pub struct ReplyCount {
    /// How many replies the thread holds, across all pages.
    total_count: u64,
}

pub type ReplyConnection = Connection<String, Reply, ReplyCount, EmptyFields>;
