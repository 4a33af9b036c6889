//! DataLoaders: nested fields of a page load in one query per kind, not per item.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, Loader},
};
use entity::user;
use uuid::Uuid;

use crate::{
    domain::{
        profiles::{self, ProfileView},
        users,
    },
    error::AppError,
    state::AppState,
};

/// Users by id.
pub struct UserLoader(pub AppState);

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, user::Model>, AppError> {
        users::by_ids(&self.0, keys).await
    }
}

/// Profiles by their user's id.
pub struct ProfileByUserLoader(pub AppState);

impl Loader<Uuid> for ProfileByUserLoader {
    type Value = ProfileView;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, ProfileView>, AppError> {
        profiles::by_users(&self.0, keys).await
    }
}

/// The per-request loaders, added to each GraphQL request.
#[derive(Clone)]
pub struct Loaders {
    pub users: Arc<DataLoader<UserLoader>>,
    pub profiles: Arc<DataLoader<ProfileByUserLoader>>,
}

impl Loaders {
    pub fn new(state: &AppState) -> Self {
        Self {
            users: Arc::new(DataLoader::new(UserLoader(state.clone()), tokio::spawn)),
            profiles: Arc::new(DataLoader::new(
                ProfileByUserLoader(state.clone()),
                tokio::spawn,
            )),
        }
    }

    pub fn of<'a>(ctx: &Context<'a>) -> &'a Loaders {
        ctx.data_unchecked::<Loaders>()
    }
}
