//! One error type for the whole service, rendered as the contract's DRF bodies over
//! REST and as `extensions.code` over GraphQL.
//!
//! `AppError` deliberately does not implement `Display`/`std::error::Error`:
//! async-graphql converts any `Display` error into a GraphQL error without a code,
//! so a bare `?` in a resolver would silently drop the code. Without `Display`
//! that mistake does not compile; resolvers go through [`GqlResult::gql`].

use std::collections::BTreeMap;

use async_graphql::ErrorExtensions;
use axum::{
    Json,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use sea_orm::DbErr;
use serde_json::json;

/// Validation errors: field name (REST, snake_case) → messages.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The key under which errors not tied to one field are reported.
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Any error of start-up and the command line.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

mod startup;
pub use startup::{StartupError, io_cause};

#[derive(Debug, Clone)]
pub enum AppError {
    /// 400 with a field → messages map.
    Validation(FieldErrors),
    /// 400 for a body that is not valid JSON.
    Parse(String),
    /// 415: the body is not JSON.
    UnsupportedMediaType(String),
    /// 401: no credentials where they are needed.
    NotAuthenticated,
    /// 401: an `Authorization` header or refresh token that is not valid.
    TokenNotValid,
    /// 403.
    PermissionDenied,
    /// 404.
    NotFound,
    /// 405 (the router adds `Allow`).
    MethodNotAllowed(Method),
    /// 409.
    Conflict(String),
    /// 413.
    PayloadTooLarge,
    /// 408: the request took longer than the server allows.
    Timeout,
    /// 429 with the seconds until a retry may succeed.
    Throttled(u64),
    /// 503: the database cannot be reached.
    Unavailable,
    /// A live-feed subscriber fell too far behind and was cut off.
    SlowSubscriber,
    /// 500: the cause is logged here and never shown to the client.
    Internal(String),
}

impl AppError {
    /// A single validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut map = FieldErrors::new();
        map.insert(field.to_string(), vec![message.into()]);
        AppError::Validation(map)
    }

    /// Validation errors on one field.
    pub fn field_messages(field: &str, messages: Vec<String>) -> Self {
        AppError::Validation(FieldErrors::from([(field.to_string(), messages)]))
    }

    /// An internal error: logs the cause once, server-side.
    pub fn internal(cause: impl std::fmt::Debug) -> Self {
        tracing::error!(?cause, "internal error");
        AppError::Internal(format!("{cause:?}"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation(_) | AppError::Parse(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotAuthenticated | AppError::TokenNotValid => StatusCode::UNAUTHORIZED,
            AppError::PermissionDenied => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable | AppError::SlowSubscriber => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The DRF-style `code` of a `{"detail", "code"}` body.
    pub fn rest_code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "invalid",
            AppError::Parse(_) => "parse_error",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::NotAuthenticated => "not_authenticated",
            AppError::TokenNotValid => "token_not_valid",
            AppError::PermissionDenied => "permission_denied",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Timeout => "timeout",
            AppError::Throttled(_) => "throttled",
            AppError::Unavailable => "unavailable",
            AppError::SlowSubscriber => "slow_subscriber",
            AppError::Internal(_) => "internal",
        }
    }

    /// The human message shown to clients (never internals).
    pub fn detail(&self) -> String {
        match self {
            AppError::Validation(_) => "Invalid input.".into(),
            AppError::Parse(msg) => msg.clone(),
            AppError::UnsupportedMediaType(ct) => {
                format!("Unsupported media type \"{ct}\" in request.")
            }
            AppError::NotAuthenticated => "Authentication credentials were not provided.".into(),
            AppError::TokenNotValid => "Given token not valid for any token type".into(),
            AppError::PermissionDenied => {
                "You do not have permission to perform this action.".into()
            }
            AppError::NotFound => "Not found.".into(),
            AppError::MethodNotAllowed(m) => format!("Method \"{m}\" not allowed."),
            AppError::Conflict(msg) => msg.clone(),
            AppError::PayloadTooLarge => "Request body is too large.".into(),
            AppError::Timeout => "Request timed out.".into(),
            AppError::Throttled(secs) => {
                format!("Request was throttled. Expected available in {secs} seconds.")
            }
            AppError::Unavailable => "Service temporarily unavailable.".into(),
            AppError::SlowSubscriber => {
                "The subscriber fell too far behind the feed; reconnect to resume.".into()
            }
            AppError::Internal(_) => "Internal server error.".into(),
        }
    }

    /// The GraphQL `extensions.code`.
    pub fn graphql_code(&self) -> &'static str {
        match self {
            AppError::Validation(_) | AppError::Parse(_) | AppError::UnsupportedMediaType(_) => {
                "BAD_USER_INPUT"
            }
            AppError::NotAuthenticated | AppError::TokenNotValid => "UNAUTHENTICATED",
            AppError::PermissionDenied => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::MethodNotAllowed(_) => "BAD_REQUEST",
            AppError::Conflict(_) => "CONFLICT",
            AppError::PayloadTooLarge | AppError::Timeout => "BAD_REQUEST",
            AppError::Throttled(_) => "RATE_LIMITED",
            AppError::Unavailable => "SERVICE_UNAVAILABLE",
            AppError::SlowSubscriber => "SLOW_SUBSCRIBER",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The close code of a WebSocket whose subscription ended with this
    /// error: 1013 (try again later) for a slow subscriber, else 4401.
    pub fn ws_close_code(&self) -> u16 {
        match self {
            AppError::SlowSubscriber => 1013,
            _ => 4401,
        }
    }

    /// Converts into a GraphQL error carrying `extensions.code` (and `fields`).
    pub fn into_graphql(self) -> async_graphql::Error {
        let message = match &self {
            AppError::Validation(_) => "Invalid input.".to_string(),
            other => other.detail(),
        };
        let code = self.graphql_code();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let AppError::Validation(fields) = &self {
                let map: async_graphql::indexmap::IndexMap<
                    async_graphql::Name,
                    async_graphql::Value,
                > = fields
                    .iter()
                    .map(|(k, v)| {
                        (
                            async_graphql::Name::new(snake_to_camel(k)),
                            async_graphql::Value::List(
                                v.iter()
                                    .map(|m| async_graphql::Value::from(m.as_str()))
                                    .collect(),
                            ),
                        )
                    })
                    .collect();
                ext.set("fields", async_graphql::Value::Object(map));
            }
            if let AppError::Throttled(secs) = &self {
                ext.set("retryAfter", *secs);
            }
        })
    }
}

/// `non_field_errors` → `nonFieldErrors`, `display_name` → `displayName`.
pub fn snake_to_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match &self {
            AppError::Validation(fields) => (status, Json(fields)).into_response(),
            other => (
                status,
                Json(json!({"detail": other.detail(), "code": other.rest_code()})),
            )
                .into_response(),
        };
        let headers = response.headers_mut();
        match &self {
            AppError::NotAuthenticated | AppError::TokenNotValid => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"api\""),
                );
            }
            AppError::Throttled(secs) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
            _ => {}
        }
        response
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            AppError::Unavailable
        } else {
            AppError::internal(err)
        }
    }
}

/// Does this error mean the database cannot be reached (rather than a bug)?
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    let runtime = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(e) => match &**e {
            Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed
            | Sqlx::Protocol(_) => true,
            // PostgreSQL shutting down or restarting (class 57P: operator intervention),
            // or not accepting connections yet (57P03, 08xxx connection exceptions).
            Sqlx::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
            _ => false,
        },
        _ => matches!(err, DbErr::Conn(_)),
    }
}

/// Converts domain results into GraphQL results that keep their error code.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(AppError::into_graphql)
    }
}

/// Collects validation errors field by field, DRF-style.
#[derive(Debug, Default)]
pub struct Validator {
    errors: FieldErrors,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn has(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Records the outcome of parsing one field, returning the value when valid.
    pub fn check<T>(
        &mut self,
        field: &str,
        parsed: std::result::Result<T, Vec<String>>,
    ) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(messages) => {
                for m in messages {
                    self.add(field, m);
                }
                None
            }
        }
    }

    /// `Err(Validation)` when anything was recorded.
    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}
