//! A reply as callers see it, and its lean read: the reply with its author's
//! username, in one statement, unprefixed.

use entity::{reply, user};
use sea_orm::{
    FromQueryResult, JoinType, QuerySelect, RelationTrait, Select, SelectModel, Selector,
    prelude::DateTimeUtc,
};
use uuid::Uuid;

use crate::domain::time::Timestamp;

/// A reply as callers see it.
#[derive(Debug, Clone)]
pub struct ReplyView {
    pub id: Uuid,
    pub card_id: Uuid,
    pub author_id: Uuid,
    pub author_username: String,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ReplyView {
    pub fn new(r: reply::Model, author_username: String) -> Self {
        Self {
            id: r.id,
            card_id: r.card_id,
            author_id: r.author_id,
            author_username,
            body: r.body,
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        }
    }
}

/// A reply and its author's username.
#[derive(Debug, FromQueryResult)]
pub struct ReplyRow {
    id: Uuid,
    card_id: Uuid,
    author_id: Uuid,
    author_username: Option<String>,
    body: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
}

impl ReplyRow {
    pub fn into_view(self) -> ReplyView {
        ReplyView {
            id: self.id,
            card_id: self.card_id,
            author_id: self.author_id,
            author_username: self.author_username.unwrap_or_default(),
            body: self.body,
            created_at: self.created_at.into(),
            updated_at: self.updated_at.into(),
        }
    }
}

/// `select` read as [`ReplyRow`]s.
pub fn shown(select: Select<reply::Entity>) -> Selector<SelectModel<ReplyRow>> {
    select
        .select_only()
        .columns([
            reply::Column::Id,
            reply::Column::CardId,
            reply::Column::AuthorId,
            reply::Column::Body,
            reply::Column::CreatedAt,
            reply::Column::UpdatedAt,
        ])
        .column_as(user::Column::Username, "author_username")
        .join(JoinType::LeftJoin, reply::Relation::Author.def())
        .into_model::<ReplyRow>()
}
