//! A reply as callers see it, and its lean read: the reply with its author's
//! username, in one statement, unprefixed.

use std::collections::HashMap;

use entity::{reply, user};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, Order, QueryFilter, QuerySelect,
    QueryTrait, RelationTrait, Select, SelectModel, Selector,
    prelude::DateTimeUtc,
    sea_query::{Asterisk, Expr, ExprTrait, Query, WindowStatement},
};
use uuid::Uuid;

use crate::domain::{
    pagination::{Ordering, Page},
    time::Timestamp,
};

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
    shown_columns(select).into_model::<ReplyRow>()
}

/// The columns of a [`ReplyRow`], the author joined.
fn shown_columns(select: Select<reply::Entity>) -> Select<reply::Entity> {
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
}

/// The first `limit` replies of each of these cards in `ordering`, with
/// whether more follow, in one statement (a window over each card's thread).
/// A page of cards with the start of each thread costs one statement, not
/// one per card. The caller has read the cards (no join back to `cards`: it
/// made the planner walk every readable card to find the page's).
pub async fn first_pages(
    db: &sea_orm::DatabaseConnection,
    card_ids: &[Uuid],
    limit: u64,
    ordering: Ordering,
) -> crate::error::Result<HashMap<Uuid, Page<ReplyView>>> {
    if card_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let order = match ordering {
        Ordering::OldestFirst => Order::Asc,
        Ordering::NewestFirst => Order::Desc,
    };
    let mut window = WindowStatement::partition_by((reply::Entity, reply::Column::CardId));
    window
        .order_by((reply::Entity, reply::Column::CreatedAt), order.clone())
        .order_by((reply::Entity, reply::Column::Id), order);
    let select = shown_columns(
        reply::Entity::find().filter(reply::Column::CardId.is_in(card_ids.iter().copied())),
    );
    let mut inner = select.into_query();
    inner.expr_window_as(Expr::cust("ROW_NUMBER()"), window, "rn");
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, "thread")
        // One more than asked: whether more follow.
        .and_where(Expr::col("rn").lte(limit + 1))
        .order_by("rn", Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    let rows = ReplyRow::find_by_statement(statement).all(db).await?;
    let mut by_card: HashMap<Uuid, Vec<ReplyView>> = HashMap::new();
    for row in rows {
        let view = row.into_view();
        by_card.entry(view.card_id).or_default().push(view);
    }
    Ok(by_card
        .into_iter()
        .map(|(card, mut items)| {
            let has_next = items.len() as u64 > limit;
            items.truncate(limit as usize);
            let page = Page {
                items,
                has_next,
                has_previous: false,
            };
            (card, page)
        })
        .collect())
}

/// A reply regardless of who asks (the live thread decides per subscriber).
pub async fn load_view(
    db: &sea_orm::DatabaseConnection,
    id: Uuid,
) -> crate::error::Result<Option<ReplyView>> {
    Ok(shown(reply::Entity::find_by_id(id))
        .one(db)
        .await?
        .map(ReplyRow::into_view))
}
