//! QuickBooks `requestid`s from the host's idempotency keys.
//!
//! QuickBooks answers a repeated `requestid` with the first answer instead of writing again,
//! which makes a write safe to retry. Its limits: at most 36 characters on `/batch`, 50 on
//! single-entity requests. The host's keys have no length limit, so a requestid is a hash:
//! SHA-256 over a purpose and the keys (each length-prefixed, so no two key lists hash the
//! same input), shaped as a UUID (36 characters, version 8 "custom"). The same keys always
//! give the same requestid; a different purpose (a re-applied update, a smaller batch) gives
//! a different one, so QuickBooks does not answer it from its cache of the first request.

use sha2::{Digest, Sha256};

/// QuickBooks' limit on a batch `requestid`.
pub const BATCH_MAX: usize = 36;
/// QuickBooks' limit on a single-entity `requestid`.
pub const SINGLE_MAX: usize = 50;

/// A requestid for `keys` written for `purpose` (e.g. "customers/batch").
pub fn derive<'a>(purpose: &'a str, keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Sha256::new();
    for part in std::iter::once(purpose).chain(keys) {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let id = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    // 36 characters: within both of QuickBooks' limits.
    debug_assert!(id.len() <= BATCH_MAX && id.len() <= SINGLE_MAX);
    id
}

/// The requestid of a batch whose items carry `keys`, in order; `None` when any item has no
/// idempotency key (the batch is then not safe to repeat, and is sent without one).
pub fn for_batch(purpose: &str, keys: &[Option<&str>]) -> Option<String> {
    let keys: Option<Vec<&str>> = keys.iter().copied().collect();
    keys.map(|k| derive(purpose, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_uuid_shaped_and_within_both_limits() {
        let a = derive("customers/batch", ["k1", "k2"]);
        assert_eq!(a, derive("customers/batch", ["k1", "k2"]));
        assert_eq!(a.len(), 36);
        assert!(a.len() <= BATCH_MAX && a.len() <= SINGLE_MAX);
        let dashes: Vec<usize> = a.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert_eq!(&a[14..15], "8", "version nibble");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        let long_key = "x".repeat(10_000);
        assert_eq!(derive("p", [long_key.as_str()]).len(), 36);
    }

    #[test]
    fn different_inputs_differ() {
        let base = derive("customers/batch", ["k1", "k2"]);
        assert_ne!(
            base,
            derive("customers/batch", ["k2", "k1"]),
            "order matters"
        );
        assert_ne!(
            base,
            derive("invoices/batch", ["k1", "k2"]),
            "purpose matters"
        );
        assert_ne!(
            base,
            derive("customers/batch", ["k1k2"]),
            "keys are length-prefixed"
        );
        assert_ne!(derive("p", ["ab", "c"]), derive("p", ["a", "bc"]));
    }

    #[test]
    fn a_batch_without_every_key_has_none() {
        assert_eq!(for_batch("p", &[Some("a"), None]), None);
        assert_eq!(
            for_batch("p", &[Some("a"), Some("b")]),
            Some(derive("p", ["a", "b"]))
        );
    }
}
