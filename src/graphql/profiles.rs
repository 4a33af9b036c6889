//! The `Profile` type, profile queries and mutations.

use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, Result,
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
    domain::{
        Timestamp,
        pagination::Ordering,
        profiles::{self, ProfileFilter, ProfileInput, ProfileView},
        users::UserView,
    },
    error::{AppError, GqlResult},
};

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
        let user = Loaders::of(ctx)
            .users
            .load_one(self.0.user_id)
            .await
            .gql()?;
        let user = user.ok_or_else(|| AppError::NotFound.into_graphql())?;
        Ok(User(UserView::for_viewer(&user, actor(ctx))))
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "ProfileFilter")]
pub struct ProfileFilterGql {
    /// Exact username, ignoring case.
    username: Option<String>,
    /// Every whitespace-separated term must occur in the username or display name.
    search: Option<String>,
}

#[derive(InputObject)]
#[graphql(name = "CreateProfileInput")]
pub struct CreateProfileInputGql {
    display_name: Option<String>,
    bio: Option<String>,
    avatar_url: Option<String>,
    location: Option<String>,
    website: Option<String>,
}

/// Only the fields given change; `null` clears `avatarUrl` or `website`.
#[derive(InputObject)]
#[graphql(name = "UpdateProfileInput")]
pub struct UpdateProfileInputGql {
    display_name: Option<String>,
    bio: Option<String>,
    avatar_url: MaybeUndefined<String>,
    location: Option<String>,
    website: MaybeUndefined<String>,
}

fn maybe(v: MaybeUndefined<String>) -> Option<Option<String>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(s) => Some(Some(s)),
    }
}

/// `totalCount` of a profile connection: counted only when selected.
pub struct ProfileCount {
    filter: ProfileFilter,
}

#[Object]
impl ProfileCount {
    /// How many profiles match, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        profiles::count(state(ctx), &self.filter).await.gql()
    }
}

pub type ProfileConnection = Connection<String, Profile, ProfileCount, EmptyFields>;

#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// A profile by id; null when there is none.
    async fn profile(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Profile>> {
        let Some(id) = query_id(&id) else {
            return Ok(None);
        };
        Ok(profiles::get(state(ctx), id).await.gql()?.map(Profile))
    }

    /// Profiles, newest first.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1"
    )]
    async fn profiles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProfileFilterGql>,
    ) -> Result<ProfileConnection> {
        let req = PageArgs {
            first,
            after,
            last,
            before,
        }
        .into_request(Ordering::NewestFirst)?;
        let filter = filter.unwrap_or_default();
        let filter = ProfileFilter {
            username: filter.username,
            search: filter.search,
        };
        let page = profiles::list_with_users(state(ctx), &filter, &req)
            .await
            .gql()?;
        let users = page.items.iter().filter_map(|(_, u)| u.clone()).collect();
        Loaders::of(ctx).prime(users, false).await.gql()?;
        let page = page.map(|(profile, _)| profile);
        Ok(connection(
            page,
            profiles::position,
            Profile,
            ProfileCount { filter },
        ))
    }
}

#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Creates the caller's profile (one per user).
    async fn create_profile(
        &self,
        ctx: &Context<'_>,
        input: CreateProfileInputGql,
    ) -> Result<Profile> {
        let input = ProfileInput {
            display_name: input.display_name,
            bio: input.bio,
            avatar_url: input.avatar_url.map(Some),
            location: input.location,
            website: input.website.map(Some),
        };
        profiles::create(state(ctx), actor(ctx), input)
            .await
            .map(Profile)
            .gql()
    }

    /// Changes the given fields of a profile (owner or staff).
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProfileInputGql,
    ) -> Result<Profile> {
        let id = mutation_id(&id)?;
        let input = ProfileInput {
            display_name: input.display_name,
            bio: input.bio,
            avatar_url: maybe(input.avatar_url),
            location: input.location,
            website: maybe(input.website),
        };
        profiles::update(state(ctx), actor(ctx), id, input)
            .await
            .map(Profile)
            .gql()
    }

    /// Deletes a profile (owner or staff); returns its id.
    async fn delete_profile(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let uuid = mutation_id(&id)?;
        profiles::delete(state(ctx), actor(ctx), uuid).await.gql()?;
        Ok(id)
    }
}
