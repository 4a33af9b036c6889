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
//! - the codes of validation failures and the `null` reshaping (`nulls.rs`).
//!
//! Every distinct query text is parsed once: the parsed document is kept under
//! its SHA-256 (the key APQ uses too) in an LRU bounded by the texts' total
//! size, and each request executes a copy of it.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{
    Data, Executor, Request, Response, ServerError, Value,
    parser::{parse_query, types::ExecutableDocument},
};
use futures_util::stream::{self, BoxStream, StreamExt};
use lru::LruCache;
use sha2::{Digest, Sha256};

use super::{
    limits::{MAX_ALIASES, MAX_QUERY_BYTES, code_of, coded, count_aliases},
    nulls::{holds_null, reshape},
    schema::{AppSchema, build_schema},
};
use crate::domain::Ctx;

/// The schema, with the domain's context, behind the engine both transports use.
pub fn build_engine(ctx: Ctx) -> Engine {
    Engine::new(build_schema(ctx))
}

/// Distinct documents kept at most.
const MAX_DOCUMENTS: usize = 1024;
/// Their query texts' total size at most; a parsed document takes a few
/// times its text (so the cache stays within a few MiB).
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Texts longer than this are parsed each time rather than crowd the cache.
const MAX_CACHED_TEXT: usize = 16 * 1024;

/// A query text, parsed and checked against the limits.
struct Parsed {
    doc: ExecutableDocument,
    /// The text's length (its weight in the cache).
    bytes: usize,
    /// The text holds `null` somewhere (a literal the validation may refuse).
    mentions_null: bool,
    /// Registered through APQ: clients may send just its hash.
    persisted: bool,
}

struct Documents {
    lru: LruCache<[u8; 32], Arc<Parsed>>,
    bytes: usize,
}

impl Documents {
    fn get(&mut self, key: &[u8; 32]) -> Option<Arc<Parsed>> {
        self.lru.get(key).cloned()
    }

    fn put(&mut self, key: [u8; 32], parsed: Arc<Parsed>) {
        self.bytes += parsed.bytes;
        // `push` hands back what leaves: the entry replaced, or the one
        // evicted for room (`put` would drop the latter silently).
        if let Some((_, old)) = self.lru.push(key, parsed) {
            self.bytes -= old.bytes;
        }
        while self.bytes > MAX_DOCUMENT_BYTES || self.lru.len() > MAX_DOCUMENTS {
            match self.lru.pop_lru() {
                Some((_, old)) => self.bytes -= old.bytes,
                None => break,
            }
        }
    }
}

/// The schema with its document cache; cheap to clone (shared).
#[derive(Clone)]
pub struct Engine {
    schema: AppSchema,
    documents: Arc<Mutex<Documents>>,
}

/// What `finish` needs to know about a prepared request.
struct Prepared {
    parsed: Arc<Parsed>,
    /// The variables, kept only when they or the text hold a `null`.
    variables_with_nulls: Option<async_graphql::Variables>,
}

impl Engine {
    pub fn new(schema: AppSchema) -> Self {
        Self {
            schema,
            documents: Arc::new(Mutex::new(Documents {
                lru: LruCache::new(NonZeroUsize::new(MAX_DOCUMENTS).expect("non-zero")),
                bytes: 0,
            })),
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

impl Executor for Engine {
    async fn execute(&self, request: Request) -> Response {
        match self.prepare(request) {
            Ok((request, prepared)) => finish(self.schema.execute(request).await, &prepared),
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
    use std::{num::NonZeroUsize, sync::Arc};

    use async_graphql::parser::parse_query;
    use lru::LruCache;

    use super::{Documents, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, Parsed, hex_key};

    fn parsed(bytes: usize) -> Arc<Parsed> {
        Arc::new(Parsed {
            doc: parse_query("{ __typename }").expect("parses"),
            bytes,
            mentions_null: false,
            persisted: false,
        })
    }

    /// The cache stays within its count and its bytes, least recently used
    /// out first, and its byte total follows what it holds.
    #[test]
    fn documents_stay_within_their_bounds() {
        let mut docs = Documents {
            lru: LruCache::new(NonZeroUsize::new(MAX_DOCUMENTS).expect("non-zero")),
            bytes: 0,
        };
        let key = |i: usize| {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64).to_le_bytes());
            k
        };
        let size = 10 * 1024;
        for i in 0..300 {
            docs.put(key(i), parsed(size));
            assert!(
                docs.bytes <= MAX_DOCUMENT_BYTES,
                "{} bytes kept",
                docs.bytes
            );
        }
        let kept = MAX_DOCUMENT_BYTES / size;
        assert_eq!(docs.lru.len(), kept);
        assert_eq!(docs.bytes, kept * size);
        assert!(docs.get(&key(0)).is_none(), "the oldest went first");
        assert!(docs.get(&key(299)).is_some());
        // Replacing an entry does not count it twice.
        docs.put(key(299), parsed(size));
        assert_eq!(docs.bytes, kept * size);
        for i in 1000..1000 + 2 * MAX_DOCUMENTS {
            docs.put(key(i), parsed(1));
        }
        assert_eq!(docs.lru.len(), MAX_DOCUMENTS);
        assert_eq!(docs.bytes, MAX_DOCUMENTS);
    }

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
