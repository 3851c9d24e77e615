//! Minting, hashing and checking the secrets the sandbox hands out:
//! authorization codes, access tokens, refresh tokens, PKCE verifiers.
//!
//! The sandbox keeps only SHA-256 digests of the tokens it issues, as a real
//! authorization server should; a short prefix of the digest is the only form
//! of a token that ever reaches the request log.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// Random bytes in a freshly minted token (256 bits of entropy).
const TOKEN_BYTES: usize = 32;

/// A new unguessable token: 32 random bytes, base64url without padding.
pub(crate) fn mint() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 digest of a token, under which the sandbox stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenKey([u8; 32]);

impl TokenKey {
    /// The key of `token`.
    pub(crate) fn of(token: &str) -> TokenKey {
        TokenKey(Sha256::digest(token.as_bytes()).into())
    }

    /// The first 4 bytes of the digest in hex: enough to tell tokens apart in
    /// a log, useless to an attacker.
    pub(crate) fn fingerprint(&self) -> String {
        self.0[..4]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// Whether `value` is a well-formed PKCE code verifier or S256 challenge
/// alphabet-wise (RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`).
pub(crate) fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

/// Whether an S256 `challenge` is exactly what RFC 7636 §4.2 derives from a
/// verifier: a 32-byte digest, base64url without padding, so 43 characters.
pub(crate) fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && URL_SAFE_NO_PAD
            .decode(challenge)
            .is_ok_and(|digest| digest.len() == 32)
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(ASCII(verifier))) == challenge`.
pub(crate) fn s256_matches(verifier: &str, challenge: &str) -> bool {
    is_pkce_value(verifier)
        && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        assert!(s256_matches(verifier, challenge));
        assert!(!s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            challenge
        ));
    }

    #[test]
    fn verifier_alphabet_and_length_are_enforced() {
        assert!(!is_pkce_value("short"));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(42))));
        assert!(is_pkce_value(&"a~._-".repeat(9)));
    }

    #[test]
    fn minted_tokens_are_distinct_and_fingerprints_short() {
        let (first, second) = (mint(), mint());
        assert_ne!(first, second);
        assert_eq!(first.len(), 43);
        let fingerprint = TokenKey::of(&first).fingerprint();
        assert_eq!(fingerprint.len(), 8);
        assert!(fingerprint.bytes().all(|byte| byte.is_ascii_hexdigit()));
    }
}
