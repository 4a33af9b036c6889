//! Domain operations: every validation, permission and visibility rule lives here.
//! REST handlers and GraphQL resolvers only translate to and from these.

pub mod auth;
pub mod cards;
pub mod feed;
pub mod pagination;
pub mod profiles;
pub mod search;
pub mod users;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

/// A UTC instant, shown as RFC 3339 with microseconds and a `Z` (as DRF does),
/// identically over REST and GraphQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Timestamp(value)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

/// The current time at the precision both databases keep (microseconds), so a
/// value reads back exactly as it was written.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Common text checks: DRF's "required", "null characters" and "blank" rules.
pub(crate) mod text {
    pub const REQUIRED: &str = "This field is required.";
    pub const BLANK: &str = "This field may not be blank.";
    pub const NUL: &str = "Null characters are not allowed.";

    /// A present value without NUL characters, or the messages saying why not.
    pub fn present(value: Option<&str>) -> Result<&str, Vec<String>> {
        match value {
            None => Err(vec![REQUIRED.into()]),
            Some(v) if v.contains('\0') => Err(vec![NUL.into()]),
            Some(v) => Ok(v),
        }
    }

    /// Like [`present`], and not empty (whitespace counts: passwords are not trimmed).
    pub fn non_empty(value: Option<&str>) -> Result<&str, Vec<String>> {
        let v = present(value)?;
        if v.is_empty() {
            return Err(vec![BLANK.into()]);
        }
        Ok(v)
    }

    /// Like [`present`], trimmed and not blank.
    pub fn non_blank(value: Option<&str>) -> Result<&str, Vec<String>> {
        let v = present(value)?.trim();
        if v.is_empty() {
            return Err(vec![BLANK.into()]);
        }
        Ok(v)
    }
}
