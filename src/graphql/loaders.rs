//! DataLoaders: nested fields of a page load in one query per kind, not per item.
//! List resolvers also prime them (owners come with the page's own join, and
//! profiles are fetched for the whole page at once when selected), so the
//! number of statements does not depend on how the batches happen to be timed.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use uuid::Uuid;

use crate::{
    domain::{
        Ctx,
        actor::User,
        pagination::{Ordering, Page},
        profiles::{self, ProfileView},
        reactions::{self, ReactionSummary},
        replies::{self, ReplyView},
        sessions::Caller,
        users,
    },
    error::AppError,
};

/// Users by id.
pub struct UserLoader(pub Ctx);

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, AppError> {
        users::by_ids(&self.0, keys).await
    }
}

/// Profiles by their user's id; `None` (cached too) for users without one.
pub struct ProfileByUserLoader(pub Ctx);

impl Loader<Uuid> for ProfileByUserLoader {
    type Value = Option<ProfileView>;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Option<ProfileView>>, AppError> {
        let found = profiles::by_users(&self.0, keys).await?;
        // `get`, not `remove`: a key given twice must not lose its profile.
        Ok(keys.iter().map(|k| (*k, found.get(k).cloned())).collect())
    }
}

/// Reaction summaries by card id, as the caller sees them (empty for a card
/// without reactions).
pub struct ReactionLoader(pub Ctx, pub Arc<Caller>);

impl Loader<Uuid> for ReactionLoader {
    type Value = Vec<ReactionSummary>;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<ReactionSummary>>, AppError> {
        let actor = self.1.actor(&self.0).await?;
        let mut found = reactions::summaries(&self.0, actor, keys).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, found.remove(k).unwrap_or_default()))
            .collect())
    }
}

/// The first page of a card's thread: `limit` replies in `ordering`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThreadStart {
    pub card_id: Uuid,
    pub limit: u64,
    pub ordering: Ordering,
}

/// First pages of threads: one statement per distinct (limit, ordering) in a
/// batch, whatever the number of cards.
pub struct ThreadStartLoader(pub Ctx);

impl Loader<ThreadStart> for ThreadStartLoader {
    type Value = Page<ReplyView>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ThreadStart],
    ) -> Result<HashMap<ThreadStart, Page<ReplyView>>, AppError> {
        let mut shapes: HashMap<(u64, Ordering), Vec<Uuid>> = HashMap::new();
        for k in keys {
            shapes
                .entry((k.limit, k.ordering))
                .or_default()
                .push(k.card_id);
        }
        let mut out = HashMap::new();
        for ((limit, ordering), ids) in shapes {
            let mut pages = replies::first_pages(&self.0, &ids, limit, ordering).await?;
            for card_id in ids {
                let page = pages.remove(&card_id).unwrap_or(Page {
                    items: Vec::new(),
                    has_next: false,
                    has_previous: false,
                });
                out.insert(
                    ThreadStart {
                        card_id,
                        limit,
                        ordering,
                    },
                    page,
                );
            }
        }
        Ok(out)
    }
}

/// The loaders of one request (or one WebSocket connection).
#[derive(Clone)]
pub struct Loaders {
    pub users: Arc<DataLoader<UserLoader, HashMapCache>>,
    pub profiles: Arc<DataLoader<ProfileByUserLoader, HashMapCache>>,
    pub reactions: Arc<DataLoader<ReactionLoader, HashMapCache>>,
    pub threads: Arc<DataLoader<ThreadStartLoader, HashMapCache>>,
}

impl Loaders {
    /// Loaders that remember what they loaded for the rest of one request;
    /// `caller` is the caller (reactions and threads are as they see them).
    pub fn new(ctx: &Ctx, caller: &Arc<Caller>) -> Self {
        Self {
            reactions: Arc::new(DataLoader::with_cache(
                ReactionLoader(ctx.clone(), caller.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            threads: Arc::new(DataLoader::with_cache(
                ThreadStartLoader(ctx.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            users: Arc::new(DataLoader::with_cache(
                UserLoader(ctx.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
            profiles: Arc::new(DataLoader::with_cache(
                ProfileByUserLoader(ctx.clone()),
                tokio::spawn,
                HashMapCache::default(),
            )),
        }
    }

    /// Loaders for a long-lived WebSocket connection: batching, no memory
    /// (a cache would serve stale users for the connection's whole life).
    pub fn uncached(ctx: &Ctx, caller: &Arc<Caller>) -> Self {
        let loaders = Self::new(ctx, caller);
        loaders.users.enable_all_cache(false);
        loaders.profiles.enable_all_cache(false);
        loaders.reactions.enable_all_cache(false);
        loaders.threads.enable_all_cache(false);
        loaders
    }

    pub fn of<'a>(ctx: &Context<'a>) -> &'a Loaders {
        ctx.data_unchecked::<Loaders>()
    }

    /// Primes the users cache with users already read (by a page's join).
    pub async fn prime(&self, users: Vec<User>) {
        self.users
            .feed_many(users.into_iter().map(|u| (u.id, u)))
            .await;
    }

    /// Primes the profiles cache with users' profiles already read (`None`:
    /// the user has none).
    pub async fn prime_profiles(&self, profiles: Vec<(Uuid, Option<ProfileView>)>) {
        self.profiles.feed_many(profiles).await;
    }
}
