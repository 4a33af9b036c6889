//! Profile queries and mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::{
    context::{actor, domain, field, mutation_id, query_id},
    loaders::Loaders,
    objects::{Profile, ProfileConnection, ProfileCount},
    pagination::{PageArgs, connection},
};
use crate::{
    domain::{
        pagination::Ordering,
        profiles::{self, ProfileFilter, ProfileInput},
    },
    error::GqlResult,
};

#[derive(InputObject, Default)]
#[graphql(name = "ProfileFilter")]
pub struct ProfileFilterGql {
    /// Exact username, ignoring case.
    username: Option<String>,
    /// Every whitespace-separated term must occur in the username or display name.
    search: Option<String>,
}

/// Only `avatarUrl` and `website` may be null.
#[derive(InputObject)]
#[graphql(name = "CreateProfileInput")]
pub struct CreateProfileInputGql {
    display_name: MaybeUndefined<String>,
    bio: MaybeUndefined<String>,
    avatar_url: MaybeUndefined<String>,
    location: MaybeUndefined<String>,
    website: MaybeUndefined<String>,
}

/// Only the fields given change; `null` clears `avatarUrl` or `website`, and
/// no other field may be null.
#[derive(InputObject)]
#[graphql(name = "UpdateProfileInput")]
pub struct UpdateProfileInputGql {
    display_name: MaybeUndefined<String>,
    bio: MaybeUndefined<String>,
    avatar_url: MaybeUndefined<String>,
    location: MaybeUndefined<String>,
    website: MaybeUndefined<String>,
}

impl From<CreateProfileInputGql> for ProfileInput {
    fn from(i: CreateProfileInputGql) -> Self {
        ProfileInput {
            display_name: field(i.display_name),
            bio: field(i.bio),
            avatar_url: field(i.avatar_url),
            location: field(i.location),
            website: field(i.website),
        }
    }
}

impl From<UpdateProfileInputGql> for ProfileInput {
    fn from(i: UpdateProfileInputGql) -> Self {
        ProfileInput {
            display_name: field(i.display_name),
            bio: field(i.bio),
            avatar_url: field(i.avatar_url),
            location: field(i.location),
            website: field(i.website),
        }
    }
}

#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// A profile by id; null when there is none.
    async fn profile(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Profile>> {
        let Some(id) = query_id(&id) else {
            return Ok(None);
        };
        Ok(profiles::get(domain(ctx), id).await.gql()?.map(Profile))
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
        let page = profiles::list_with_users(domain(ctx), &filter, &req)
            .await
            .gql()?;
        let users = page.items.iter().map(|(_, u)| u.clone()).collect();
        Loaders::of(ctx).prime(users).await;
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
        profiles::create(domain(ctx), actor(ctx).await?, input.into())
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
        profiles::update(domain(ctx), actor(ctx).await?, id, input.into())
            .await
            .map(Profile)
            .gql()
    }

    /// Deletes a profile (owner or staff); returns its id.
    async fn delete_profile(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let uuid = mutation_id(&id)?;
        profiles::delete(domain(ctx), actor(ctx).await?, uuid)
            .await
            .gql()?;
        Ok(id)
    }
}
