//! Relay connections over the domain's keyset pages, shared by every list.

use async_graphql::{
    ObjectType, OutputType, Result,
    connection::{Connection, Edge, EmptyFields},
};

use crate::{
    domain::pagination::{Ordering, Page, PageRequest, Position, connection_size, parse_cursor},
    error::GqlResult,
};

/// Relay arguments of a list.
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn into_request(self, ordering: Ordering) -> Result<PageRequest> {
        Ok(PageRequest {
            first: connection_size("first", self.first).gql()?,
            last: connection_size("last", self.last).gql()?,
            after: parse_cursor("after", self.after.as_deref()).gql()?,
            before: parse_cursor("before", self.before.as_deref()).gql()?,
            ordering,
        })
    }
}

/// A page as a connection: each item's cursor is its position; `fields` adds
/// the connection's own fields (`totalCount`).
pub fn connection<T, N, F>(
    page: Page<T>,
    position: impl Fn(&T) -> Position,
    node: impl Fn(T) -> N,
    fields: F,
) -> Connection<String, N, F, EmptyFields>
where
    N: OutputType,
    F: ObjectType,
{
    let mut conn = Connection::with_additional_fields(page.has_previous, page.has_next, fields);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(position(&item).encode(), node(item))),
    );
    conn
}
