//! A profile as callers see it, and its lean read: the profile with its user
//! (without the password hash) in one statement, unprefixed.

use entity::{profile, user};
use sea_orm::{FromQueryResult, QuerySelect, Select, SelectModel, Selector, prelude::DateTimeUtc};
use uuid::Uuid;

use crate::domain::{actor::User, time::Timestamp};

/// A profile as callers see it.
#[derive(Debug, Clone)]
pub struct ProfileView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub location: String,
    pub website: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ProfileView {
    pub fn new(p: profile::Model, username: String) -> Self {
        Self {
            id: p.id,
            user_id: p.user_id,
            username,
            display_name: p.display_name,
            bio: p.bio,
            avatar_url: p.avatar_url,
            location: p.location,
            website: p.website,
            created_at: p.created_at.into(),
            updated_at: p.updated_at.into(),
        }
    }
}

/// A profile with its user.
#[derive(Debug, FromQueryResult)]
pub struct ProfileRow {
    #[sea_orm(nested)]
    profile: ProfileColumns,
    user_id: Uuid,
    #[sea_orm(nested(prefix = "owner_"))]
    owner: User,
}

impl ProfileRow {
    pub fn split(self) -> (ProfileView, User) {
        let view = self
            .profile
            .into_view(self.user_id, self.owner.username.clone());
        (view, self.owner)
    }
}

/// `select` read as [`ProfileRow`]s.
pub fn with_user(select: Select<profile::Entity>) -> Selector<SelectModel<ProfileRow>> {
    User::owner_columns(select.select_only())
        .columns(ProfileColumns::COLUMNS)
        .column(profile::Column::UserId)
        .column_as(user::Column::Id, "owner_id")
        .inner_join(user::Entity)
        .into_model::<ProfileRow>()
}

/// A profile's own columns: read alone ([`ProfileRow`]) or beside a card
/// under `profile_*` aliases (`cards::rows::with_owner_profile`: a page of
/// cards with their owners' profiles in one statement).
#[derive(Debug, FromQueryResult)]
pub struct ProfileColumns {
    id: Uuid,
    display_name: String,
    bio: String,
    avatar_url: Option<String>,
    location: String,
    website: Option<String>,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
}

impl ProfileColumns {
    /// The columns [`ProfileColumns`] is read from.
    pub const COLUMNS: [profile::Column; 8] = [
        profile::Column::Id,
        profile::Column::DisplayName,
        profile::Column::Bio,
        profile::Column::AvatarUrl,
        profile::Column::Location,
        profile::Column::Website,
        profile::Column::CreatedAt,
        profile::Column::UpdatedAt,
    ];

    /// The profile of user `user_id` (whose username is `username`).
    pub fn into_view(self, user_id: Uuid, username: String) -> ProfileView {
        ProfileView {
            id: self.id,
            user_id,
            username,
            display_name: self.display_name,
            bio: self.bio,
            avatar_url: self.avatar_url,
            location: self.location,
            website: self.website,
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        }
    }
}
