//! The JSON body extractor of the REST layer: content type, size, depth and
//! shape checked, each failure reported in the contract's terms.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;

use crate::error::{AppError, NON_FIELD_ERRORS};

/// JSON nested deeper than this is refused before it is parsed.
pub const MAX_DEPTH: usize = 64;

/// A request body parsed as JSON into `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !is_json(&content_type) {
            return Err(AppError::UnsupportedMediaType(content_type));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::Parse("Could not read the request body.".into())
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// `application/json` or `application/*+json`, any parameters.
pub fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses a JSON body: syntax errors are `parse_error`, wrong types and
/// duplicate keys are validation errors on the field concerned.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if nesting_depth(bytes) > MAX_DEPTH {
        return Err(AppError::Parse(format!(
            "JSON parse error - nested deeper than {MAX_DEPTH} levels"
        )));
    }
    // The whole document first — syntax, trailing garbage, UTF-8 and duplicate
    // keys, in fields the route reads and in those it ignores alike.
    if let Err(e) = serde_json::from_slice::<StrictJson>(bytes) {
        return Err(AppError::Parse(format!("JSON parse error - {e}")));
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        let got = match first {
            Some(b'[') => "list",
            Some(b'"') => "str",
            Some(b't' | b'f') => "bool",
            Some(b'n') => "NoneType",
            _ => "int",
        };
        return Err(AppError::field(
            NON_FIELD_ERRORS,
            format!("Invalid data. Expected a dictionary, but got {got}."),
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let msg = inner.to_string();
                if path == "." {
                    let message = if msg.starts_with("duplicate field") {
                        "Duplicate key in JSON object."
                    } else {
                        "Invalid data."
                    };
                    AppError::field(NON_FIELD_ERRORS, message)
                } else {
                    AppError::field(&path, type_message(&msg))
                }
            }
            _ => AppError::Parse(format!("JSON parse error - {inner}")),
        }
    })
}

/// Any JSON value, checked for valid strings and unique object keys at every
/// level, and then dropped.
struct StrictJson;

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = StrictJson;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_i64<E>(self, _: i64) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_u64<E>(self, _: u64) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_f64<E>(self, _: f64) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_str<E>(self, _: &str) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }
    fn visit_unit<E>(self) -> Result<StrictJson, E> {
        Ok(StrictJson)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrictJson, A::Error> {
        while seq.next_element::<StrictJson>()?.is_some() {}
        Ok(StrictJson)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StrictJson, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            map.next_value::<StrictJson>()?;
        }
        Ok(StrictJson)
    }
}

/// DRF's wording for a value of the wrong type.
fn type_message(serde_msg: &str) -> &'static str {
    if serde_msg.starts_with("duplicate field") {
        "Duplicate key in JSON object."
    } else if serde_msg.contains("expected a string") {
        "Not a valid string."
    } else if serde_msg.contains("expected a boolean") {
        "Must be a valid boolean."
    } else if serde_msg.contains("expected i") || serde_msg.contains("expected u") {
        "A valid integer is required."
    } else {
        "Invalid value."
    }
}

/// The deepest nesting of arrays and objects, ignoring brackets inside strings.
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::OptionalFromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    /// No body at all (no content type, no length) is `None`; anything else must be JSON.
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, AppError> {
        let headers = req.headers();
        let empty = !headers.contains_key(header::CONTENT_TYPE)
            && headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0")
            && !headers.contains_key(header::TRANSFER_ENCODING);
        if empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_strings() {
        assert_eq!(nesting_depth(br#"{"a": "[[[{{{"}"#), 1);
        assert_eq!(nesting_depth(br#"[[[]]]"#), 3);
        assert_eq!(nesting_depth(br#"{"a": "\"[", "b": [1]}"#), 2);
    }

    #[test]
    fn content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
