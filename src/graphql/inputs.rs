//! Enums and list inputs shared by several roots (cards, users, the feed).

use async_graphql::{Enum, ID, InputObject, Result};

use crate::{
    domain::cards::{self, CardFilter, Visibility, VisibilityChoice},
    error::GqlResult,
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

impl From<VisibilityGql> for VisibilityChoice {
    fn from(v: VisibilityGql) -> Self {
        VisibilityChoice::Valid(v.into())
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
    pub field: OrderField,
    pub direction: OrderDirection,
}

/// Ordering of a thread (default: oldest first).
#[derive(InputObject)]
#[graphql(name = "ReplyOrder")]
pub struct ReplyOrderGql {
    pub field: OrderField,
    pub direction: OrderDirection,
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
