//! Query limits, applied before anything runs: text size, aliases (both in
//! `engine.rs`), depth and complexity (the schema's, with `first`/`last` as
//! multipliers, declared on the list fields). A rejected query is
//! `QUERY_TOO_COMPLEX` and gets no `data`. Parse and validation failures
//! carry Apollo's codes.

use async_graphql::{
    ServerError,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

pub const MAX_QUERY_BYTES: usize = 100 * 1024;
pub const MAX_ALIASES: usize = 100;
pub const MAX_BATCH: usize = 10;

/// Error codes of requests refused before execution (these get no `data`).
pub const REQUEST_ERROR_CODES: &[&str] = &[
    "QUERY_TOO_COMPLEX",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
];

/// An error with a code.
pub fn coded(message: impl Into<String>, code: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

/// The `code` of an error's extensions, if it has one.
pub fn code_of(e: &ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + in_set(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}
