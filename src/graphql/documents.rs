//! The engine's cache of parsed documents: each distinct query text parsed
//! once, kept under its SHA-256 (the key APQ uses too) in an LRU bounded by
//! the count of documents and by their texts' total size.

use std::{num::NonZeroUsize, sync::Arc};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Distinct documents kept at most.
pub(super) const MAX_DOCUMENTS: usize = 1024;
/// Their query texts' total size at most; a parsed document takes a few
/// times its text (so the cache stays within a few MiB).
pub(super) const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Texts longer than this are parsed each time rather than crowd the cache.
pub(super) const MAX_CACHED_TEXT: usize = 16 * 1024;

/// A query text, parsed and checked against the limits.
pub(super) struct Parsed {
    pub(super) doc: ExecutableDocument,
    /// The text's length (its weight in the cache).
    pub(super) bytes: usize,
    /// The text holds `null` somewhere (a literal the validation may refuse).
    pub(super) mentions_null: bool,
    /// Registered through APQ: clients may send just its hash.
    pub(super) persisted: bool,
}

pub(super) struct Documents {
    lru: LruCache<[u8; 32], Arc<Parsed>>,
    bytes: usize,
}

impl Documents {
    pub(super) fn new() -> Self {
        Self {
            lru: LruCache::new(NonZeroUsize::new(MAX_DOCUMENTS).expect("non-zero")),
            bytes: 0,
        }
    }

    pub(super) fn get(&mut self, key: &[u8; 32]) -> Option<Arc<Parsed>> {
        self.lru.get(key).cloned()
    }

    pub(super) fn put(&mut self, key: [u8; 32], parsed: Arc<Parsed>) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_graphql::parser::parse_query;

    use super::{Documents, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, Parsed};

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
        let mut docs = Documents::new();
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
}
