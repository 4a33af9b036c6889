//! The GraphQL engine both transports run: the schema behind a cache of
//! parsed documents and the request-level rules around it.
//!
//! These rules were async-graphql extensions. An extension that only looks at
//! the parse or the validation still puts every resolved field through the
//! extension chain (a registry lookup, `ResolveInfo` and a chain of futures per
//! field and per list item); a 20-card page resolves hundreds of fields
//! (bench/README.md, issue 14). Here they run once per request instead:
//! - Apollo automatic persisted queries: a document by the SHA-256 of its text;
//! - limits on the text's size and on aliases, and the parse-error codes;
//! - the codes of validation failures and the `null` reshaping (`nulls.rs`);
//! - a caller whose token is only claimed (`sessions::Caller`): its session
//!   is checked before any operation that is not a query runs.
//!
//! Every distinct query text is parsed once: the parsed document is kept under
//! its SHA-256 (the key APQ uses too) in an LRU bounded by the texts' total
//! size, and each request executes a copy of it.

use std::{
    any::TypeId,
    sync::{Arc, Mutex},
};

use async_graphql::{
    Data, Executor, Request, Response, ServerError, Value,
    parser::{
        parse_query,
        types::{DocumentOperations, ExecutableDocument, OperationType},
    },
};
use futures_util::stream::{self, BoxStream, StreamExt};
use sha2::{Digest, Sha256};

use super::{
    documents::{Documents, MAX_CACHED_TEXT, Parsed},
    limits::{MAX_ALIASES, MAX_QUERY_BYTES, code_of, coded, count_aliases},
    nulls::{holds_null, reshape},
    schema::{AppSchema, build_schema},
};
use crate::{
    domain::{Ctx, sessions::Caller},
    error::AppError,
};

/// The schema, with the domain's context, behind the engine both transports use.
pub fn build_engine(ctx: Ctx) -> Engine {
    Engine::new(build_schema(ctx.clone()), ctx)
}

/// The schema with its document cache; cheap to clone (shared).
#[derive(Clone)]
pub struct Engine {
    schema: AppSchema,
    ctx: Ctx,
    documents: Arc<Mutex<Documents>>,
}

/// What `finish` needs to know about a prepared request.
struct Prepared {
    parsed: Arc<Parsed>,
    /// The variables, kept only when they or the text hold a `null`.
    variables_with_nulls: Option<async_graphql::Variables>,
}

impl Engine {
    pub fn new(schema: AppSchema, ctx: Ctx) -> Self {
        Self {
            schema,
            ctx,
            documents: Arc::new(Mutex::new(Documents::new())),
        }
    }

    pub fn schema(&self) -> &AppSchema {
        &self.schema
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Arc<Parsed>> {
        self.documents.lock().ok()?.get(key)
    }

    fn keep(&self, key: [u8; 32], parsed: &Arc<Parsed>) {
        if parsed.bytes <= MAX_CACHED_TEXT
            && let Ok(mut docs) = self.documents.lock()
        {
            docs.put(key, parsed.clone());
        }
    }

    /// The request's document (persisted, cached or parsed now), set on the
    /// request; or the error that refuses the request before it runs.
    fn prepare(&self, mut req: Request) -> Result<(Request, Prepared), ServerError> {
        let parsed = match req.extensions.remove("persistedQuery") {
            Some(value) => self.persisted(&req.query, value)?,
            None => self.document(&req.query, false)?,
        };
        req.query.clear();
        req.set_parsed_query(parsed.doc.clone());
        let variables_with_nulls = (parsed.mentions_null || req.variables.values().any(holds_null))
            .then(|| req.variables.clone());
        Ok((
            req,
            Prepared {
                parsed,
                variables_with_nulls,
            },
        ))
    }

    /// Apollo's automatic persisted queries, with Apollo Server's messages.
    fn persisted(&self, query: &str, extension: Value) -> Result<Arc<Parsed>, ServerError> {
        #[derive(serde::Deserialize)]
        struct PersistedQuery {
            version: i32,
            #[serde(rename = "sha256Hash")]
            sha256_hash: String,
        }
        let pq: PersistedQuery = async_graphql::from_value(extension).map_err(|_| {
            ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None)
        })?;
        if pq.version != 1 {
            return Err(ServerError::new(
                format!(
                    "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{}\".",
                    pq.version
                ),
                None,
            ));
        }
        if query.is_empty() {
            return hex_key(&pq.sha256_hash)
                .and_then(|key| self.cached(&key))
                .filter(|p| p.persisted)
                .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None));
        }
        let digest: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        if hex_key(&pq.sha256_hash) != Some(digest) {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        self.document(query, true)
    }

    /// The parsed document of a query text: from the cache, or parsed and
    /// checked now (and kept, when it passes).
    fn document(&self, query: &str, persist: bool) -> Result<Arc<Parsed>, ServerError> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(coded(
                format!("Query text is longer than {MAX_QUERY_BYTES} bytes."),
                "QUERY_TOO_COMPLEX",
            ));
        }
        let key: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        if let Some(parsed) = self.cached(&key)
            && (parsed.persisted || !persist)
        {
            return Ok(parsed);
        }
        let doc = parse_query(query).map_err(|e| {
            let e = ServerError::from(e);
            // The parser's own nesting limit is the depth limit too.
            let code = if e.message.contains("recursion depth") {
                "QUERY_TOO_COMPLEX"
            } else {
                "GRAPHQL_PARSE_FAILED"
            };
            coded(e.message, code).at(e.locations)
        })?;
        if count_aliases(&doc) > MAX_ALIASES {
            return Err(coded(
                format!("Query uses more than {MAX_ALIASES} aliases."),
                "QUERY_TOO_COMPLEX",
            ));
        }
        let parsed = Arc::new(Parsed {
            doc,
            bytes: query.len(),
            mentions_null: query.contains("null"),
            persisted: persist,
        });
        self.keep(key, &parsed);
        Ok(parsed)
    }
}

/// The codes of a request refused by the validation (no `data`, no error
/// with a path): a `null` refused where a value is needed is the field's
/// `BAD_USER_INPUT`; too deep (either check) or too complex is
/// `QUERY_TOO_COMPLEX`; any
/// other failure `GRAPHQL_VALIDATION_FAILED`.
fn finish(mut resp: Response, prepared: &Prepared) -> Response {
    let refused = resp.data == Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty());
    if !refused {
        return resp;
    }
    resp.errors = std::mem::take(&mut resp.errors)
        .into_iter()
        .map(|e| {
            let e = match &prepared.variables_with_nulls {
                Some(vars) => reshape(e, &prepared.parsed.doc, vars),
                None => e,
            };
            if code_of(&e).is_some() {
                return e;
            }
            // async-graphql checks the document's nesting again (before
            // validating): that is the depth limit too.
            let code = if e.message.contains("too complex")
                || e.message.contains("nested too deep")
                || e.message.contains("recursion depth")
            {
                "QUERY_TOO_COMPLEX"
            } else {
                "GRAPHQL_VALIDATION_FAILED"
            };
            coded(e.message, code).at(e.locations)
        })
        .collect();
    resp
}

/// A SHA-256 in lowercase or uppercase hex.
fn hex_key(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// An error's locations, kept when the error is re-coded.
trait At {
    fn at(self, locations: Vec<async_graphql::Pos>) -> Self;
}

impl At for ServerError {
    fn at(mut self, locations: Vec<async_graphql::Pos>) -> Self {
        self.locations = locations;
        self
    }
}

/// A response with one error, for a request refused by its caller's token.
pub(super) fn request_error(e: AppError) -> Response {
    let err = e.into_graphql();
    let mut server_error = ServerError::new(err.message, None);
    server_error.extensions = err.extensions;
    Response::from_errors(vec![server_error])
}

/// The type of the operation a request selects (none: no such operation).
pub(super) fn operation_type(
    doc: &ExecutableDocument,
    operation: Option<&str>,
) -> Option<OperationType> {
    let selected = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    selected.map(|op| op.node.ty)
}

impl Engine {
    /// A request whose caller is only claimed may start a query (its reads
    /// check the session, and the transport checks it before answering); any
    /// other operation runs only once the session is checked.
    async fn may_run(&self, request: &Request, prepared: &Prepared) -> Result<(), AppError> {
        let caller = request
            .data
            .get(&TypeId::of::<Arc<Caller>>())
            .and_then(|d| d.downcast_ref::<Arc<Caller>>());
        match caller {
            Some(caller)
                if caller.unchecked().is_some()
                    && operation_type(&prepared.parsed.doc, request.operation_name.as_deref())
                        != Some(OperationType::Query) =>
            {
                caller.actor(&self.ctx).await.map(|_| ())
            }
            _ => Ok(()),
        }
    }
}

impl Executor for Engine {
    async fn execute(&self, request: Request) -> Response {
        match self.prepare(request) {
            Ok((request, prepared)) => match self.may_run(&request, &prepared).await {
                Ok(()) => finish(self.schema.execute(request).await, &prepared),
                Err(refused) => request_error(refused),
            },
            Err(refused) => Response::from_errors(vec![refused]),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.prepare(request) {
            Ok((request, prepared)) => self
                .schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default())
                .map(move |resp| finish(resp, &prepared))
                .boxed(),
            Err(refused) => {
                stream::once(async move { Response::from_errors(vec![refused]) }).boxed()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::hex_key;

    #[test]
    fn hex_keys() {
        let hex = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38";
        let key = hex_key(hex).expect("valid");
        assert_eq!(key[0], 0xec);
        assert_eq!(key[31], 0x38);
        assert_eq!(hex_key(&hex.to_uppercase()), Some(key));
        assert_eq!(hex_key("ecf4"), None);
        assert_eq!(hex_key(&"zz".repeat(32)), None);
        assert_eq!(hex_key(&"é".repeat(32)), None);
    }
}
