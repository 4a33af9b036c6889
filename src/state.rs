//! Shared application state: cheap to clone, handed to every handler and resolver.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::{password::Passwords, tokens::TokenKeys},
    config::Config,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
    pub config: Arc<Config>,
}
