//! Keyset (cursor) pagination over `(created_at, id)`: the cost of a page does not
//! grow with the table or with how deep the page is.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{AppError, Result};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which end comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ordering {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

/// A place in the ordering: the sort key of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Position {
    /// The opaque cursor string of this position.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        ))
    }

    pub fn decode(cursor: &str) -> Option<Self> {
        let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let raw = std::str::from_utf8(&raw).ok()?;
        let (micros, id) = raw.split_once(':')?;
        Some(Position {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

/// A page to fetch: Relay's `first/after/last/before`, in the given ordering.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub after: Option<Position>,
    pub before: Option<Position>,
    pub first: Option<u64>,
    pub last: Option<u64>,
    pub ordering: Ordering,
}

/// The items of one page, in display order, and whether more lie either side.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}

/// The size of a REST page from `page_size`: default 20, at least 1, at most 100.
pub fn rest_page_size(raw: Option<&str>) -> Result<u64> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let n: i64 = match digits.parse() {
        Ok(n) => n,
        // An integer too large for 64 bits is still just "more than 100" (DRF
        // parses any integer, then clamps).
        Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => i64::MAX,
        Err(_) => return Err(AppError::field("page_size", "A valid integer is required.")),
    };
    if n < 1 {
        return Err(AppError::field(
            "page_size",
            "Ensure this value is greater than or equal to 1.",
        ));
    }
    Ok((n as u64).min(MAX_PAGE_SIZE))
}

/// `first`/`last` of a connection: non-negative, clamped to 100.
pub fn connection_size(field: &str, value: Option<i32>) -> Result<Option<u64>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(AppError::field(
            field,
            "Ensure this value is greater than or equal to 0.",
        )),
        Some(n) => Ok(Some((n as u64).min(MAX_PAGE_SIZE))),
    }
}

/// A cursor argument: absent or empty is none; anything undecodable is an error
/// on `field`.
pub fn parse_cursor(field: &str, raw: Option<&str>) -> Result<Option<Position>> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(c) => Position::decode(c)
            .map(Some)
            .ok_or_else(|| AppError::field(field, "Invalid cursor.")),
    }
}

/// The columns an entity is paginated by.
pub struct KeyColumns<C> {
    pub created_at: C,
    pub id: C,
}

/// How a page query was shaped, to turn its rows into a [`Page`].
#[derive(Debug, Clone, Copy)]
pub struct PagePlan {
    limit: u64,
    backwards: bool,
    after: bool,
    before: bool,
}

impl PageRequest {
    /// The size of the page when it is the first one (no cursor, read
    /// forwards); `None` for any other page.
    pub fn first_page_size(&self) -> Option<u64> {
        let from_start = self.after.is_none() && self.before.is_none() && self.last.is_none();
        from_start.then(|| self.first.unwrap_or(DEFAULT_PAGE_SIZE))
    }
}

/// Keyset condition "strictly past `p`" in the order `desc` (or ascending).
fn past<C: ColumnTrait + Copy>(keys: &KeyColumns<C>, p: &Position, desc: bool) -> Condition {
    // `t <= T AND (t < T OR id < I)` rather than `t < T OR (t = T AND id < I)`:
    // the same rows, but the first conjunct is an index range both planners
    // start from, so a deep page costs what the first one does.
    let (bound, time, id) = if desc {
        (
            keys.created_at.lte(p.created_at),
            keys.created_at.lt(p.created_at),
            keys.id.lt(p.id),
        )
    } else {
        (
            keys.created_at.gte(p.created_at),
            keys.created_at.gt(p.created_at),
            keys.id.gt(p.id),
        )
    };
    Condition::all()
        .add(bound)
        .add(Condition::any().add(time).add(id))
}

/// Shapes `select` into one page of `req` (filters, order, limit + 1 to learn
/// whether more follow). Run it, then hand the rows to [`PagePlan::finish`].
pub fn plan<E, C>(
    select: Select<E>,
    keys: KeyColumns<C>,
    req: &PageRequest,
) -> (Select<E>, PagePlan)
where
    E: EntityTrait,
    C: ColumnTrait + Copy,
{
    let newest_first = req.ordering == Ordering::NewestFirst;
    let mut select = select;
    if let Some(p) = &req.after {
        select = select.filter(past(&keys, p, newest_first));
    }
    if let Some(p) = &req.before {
        select = select.filter(past(&keys, p, !newest_first));
    }
    // `last` without `first` reads backwards from the end of the range.
    let backwards = req.last.is_some() && req.first.is_none();
    let limit = if backwards { req.last } else { req.first }.unwrap_or(DEFAULT_PAGE_SIZE);
    let order = if newest_first != backwards {
        Order::Desc
    } else {
        Order::Asc
    };
    let select = select
        .order_by(keys.created_at, order.clone())
        .order_by(keys.id, order)
        .limit(limit + 1);
    let plan = PagePlan {
        limit,
        backwards,
        after: req.after.is_some(),
        before: req.before.is_some(),
    };
    (select, plan)
}

impl PagePlan {
    /// The page from the rows the planned query returned.
    pub fn finish<M>(&self, mut items: Vec<M>) -> Page<M> {
        let more = items.len() as u64 > self.limit;
        items.truncate(self.limit as usize);
        if self.backwards {
            items.reverse();
            Page {
                items,
                has_next: self.before,
                has_previous: more,
            }
        } else {
            Page {
                items,
                has_next: more,
                has_previous: self.after,
            }
        }
    }
}
