//! Input values as both doors hand them over: a field is absent, `null`, or
//! given; and DRF's common text checks on them.

use serde::{Deserialize, Deserializer};

pub const REQUIRED: &str = "This field is required.";
pub const NOT_NULL: &str = "This field may not be null.";
pub const BLANK: &str = "This field may not be blank.";
pub const NUL: &str = "Null characters are not allowed.";

/// One field of an input. REST bodies deserialize into it (with
/// `#[serde(default)]`, so a missing key is `Absent`); GraphQL converts from
/// `MaybeUndefined`. Only nullable fields accept `Null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    pub fn as_deref(&self) -> Field<&T::Target>
    where
        T: std::ops::Deref,
    {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(f(v)),
        }
    }

    /// The given value of a field that may not be null: `Ok(None)` when absent.
    pub fn non_null(self) -> Result<Option<T>, Vec<String>> {
        match self {
            Field::Absent => Ok(None),
            Field::Null => Err(vec![NOT_NULL.into()]),
            Field::Value(v) => Ok(Some(v)),
        }
    }
}

impl<T> From<Option<T>> for Field<T> {
    /// A value or absent (GraphQL's non-null arguments, the CLI).
    fn from(value: Option<T>) -> Self {
        value.map_or(Field::Absent, Field::Value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|v| v.map_or(Field::Null, Field::Value))
    }
}

/// A present, non-null value without NUL characters, or the messages saying why not.
pub fn present(value: Field<&str>) -> Result<&str, Vec<String>> {
    match value {
        Field::Absent => Err(vec![REQUIRED.into()]),
        Field::Null => Err(vec![NOT_NULL.into()]),
        Field::Value(v) if v.contains('\0') => Err(vec![NUL.into()]),
        Field::Value(v) => Ok(v),
    }
}

/// Like [`present`], and not empty (whitespace counts: passwords are not trimmed).
pub fn non_empty(value: Field<&str>) -> Result<&str, Vec<String>> {
    let v = present(value)?;
    if v.is_empty() {
        return Err(vec![BLANK.into()]);
    }
    Ok(v)
}

/// Like [`present`], trimmed and not blank.
pub fn non_blank(value: Field<&str>) -> Result<&str, Vec<String>> {
    let v = present(value)?.trim();
    if v.is_empty() {
        return Err(vec![BLANK.into()]);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        title: Field<String>,
    }

    #[test]
    fn absent_null_and_given_are_told_apart() {
        let parse = |s: &str| serde_json::from_str::<Body>(s).unwrap().title;
        assert_eq!(parse("{}"), Field::Absent);
        assert_eq!(parse(r#"{"title": null}"#), Field::Null);
        assert_eq!(parse(r#"{"title": "x"}"#), Field::Value("x".to_string()));
        assert!(serde_json::from_str::<Body>(r#"{"title": 5}"#).is_err());
    }

    #[test]
    fn text_checks() {
        assert_eq!(present(Field::Absent), Err(vec![REQUIRED.to_string()]));
        assert_eq!(present(Field::Null), Err(vec![NOT_NULL.to_string()]));
        assert_eq!(non_blank(Field::Value("  ")), Err(vec![BLANK.to_string()]));
        assert_eq!(non_blank(Field::Value(" a ")), Ok("a"));
        assert_eq!(non_empty(Field::Value(" ")), Ok(" "));
        assert_eq!(
            Field::<String>::Null.non_null(),
            Err(vec![NOT_NULL.to_string()])
        );
        assert_eq!(Field::<String>::Absent.non_null(), Ok(None));
    }
}
