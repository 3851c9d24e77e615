//! `Idempotency-Key` (at most 128 characters), per tenant: a write repeated
//! with the same key and the same request gets the first response again
//! (status and body) and changes nothing; the same key with a different
//! request is refused with 400. Only successful (200) responses are kept, so
//! a client can fix a refused request and retry it under the same key.

use std::collections::HashMap;

use axum::http::StatusCode;
use sha2::{Digest as _, Sha256};

/// Longest key Xero accepts.
pub(crate) const MAX_KEY_LEN: usize = 128;

/// A response kept for replay.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

/// What a key says about a new request.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Never seen: handle the request, then [`Idempotency::keep`] its response.
    New,
    /// Seen with the same request: answer this.
    Replay(Kept),
    /// Seen with a different request.
    Conflict,
}

/// One tenant's keys.
#[derive(Debug, Default, Clone)]
pub(crate) struct Idempotency {
    keys: HashMap<String, ([u8; 32], Kept)>,
}

/// Digest of what makes two requests "the same": method, path, query, body.
pub(crate) fn fingerprint(method: &str, path: &str, query: &str, body: &[u8]) -> [u8; 32] {
    let mut digest = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes(), body] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    digest.finalize().into()
}

impl Idempotency {
    pub(crate) fn lookup(&self, key: &str, fingerprint: &[u8; 32]) -> Lookup {
        match self.keys.get(key) {
            None => Lookup::New,
            Some((seen, kept)) if seen == fingerprint => Lookup::Replay(kept.clone()),
            Some(_) => Lookup::Conflict,
        }
    }

    pub(crate) fn keep(&mut self, key: &str, fingerprint: [u8; 32], kept: Kept) {
        if kept.status == StatusCode::OK {
            self.keys.insert(key.to_owned(), (fingerprint, kept));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_request_replays_and_another_conflicts() {
        let mut keys = Idempotency::default();
        let first = fingerprint("PUT", "/Contacts", "", b"{}");
        assert!(matches!(keys.lookup("k", &first), Lookup::New));
        keys.keep(
            "k",
            first,
            Kept {
                status: StatusCode::OK,
                body: b"{\"Contacts\":[]}".to_vec(),
            },
        );
        match keys.lookup("k", &first) {
            Lookup::Replay(kept) => assert_eq!(kept.body, b"{\"Contacts\":[]}"),
            other => panic!("{other:?}"),
        }
        let other = fingerprint("PUT", "/Contacts", "", b"{ }");
        assert!(matches!(keys.lookup("k", &other), Lookup::Conflict));
    }
}
