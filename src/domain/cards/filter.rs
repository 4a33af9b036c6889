//! What a list or feed of cards is filtered by, as REST query strings and
//! GraphQL's `CardFilter` give it.

use uuid::Uuid;

use super::view::Visibility;
use crate::error::{AppError, Result};

/// List filters (REST query parameters, GraphQL `CardFilter`).
#[derive(Debug, Default, Clone)]
pub struct CardFilter {
    pub owner: Option<Uuid>,
    pub visibility: Option<Visibility>,
    pub search: Option<String>,
}

/// The `owner` filter of a list or feed: a user id, or none when empty.
pub fn parse_owner_filter(raw: Option<&str>) -> Result<Option<Uuid>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Uuid::try_parse(raw)
            .map(Some)
            .map_err(|_| AppError::field("owner", "Enter a valid UUID.")),
    }
}

/// The `visibility` filter of a list or feed (REST query strings).
pub fn parse_visibility_filter(raw: Option<&str>) -> Result<Option<Visibility>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => Visibility::parse(raw).map(Some).ok_or_else(|| {
            AppError::field(
                "visibility",
                format!("Select a valid choice. {raw} is not one of the available choices."),
            )
        }),
    }
}
