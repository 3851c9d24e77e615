//! Secrets of the server's own: argon2id password hashes, and the random values of session
//! cookies, CSRF tokens and API tokens (kept in the store only as SHA-256).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short to resist guessing.
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// The system's random source failed.
    #[error("no random bytes for a salt: {0}")]
    Random(String),
    /// argon2 failed.
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// Shorter passwords are refused.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// argon2id with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string of `password`'s argon2id hash with a fresh salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordError::Hash(e.to_string()))?
        .to_string())
}

/// Whether `password` matches `phc`. An unreadable hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spend the time a real check takes, for a name that has no user, so that the answer's
/// timing does not tell which names exist.
pub fn verify_nobody(password: &str) {
    // A fixed hash of a random password nobody knows (argon2id, default parameters).
    const NOBODY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2A1Wv8nIlvsd6cAP6J0oJbO8XZfU3t0e1bUqKqyV1SY";
    let _ = verify(password, NOBODY);
}

/// A new random secret: 32 bytes, base64url, behind `prefix` (which says what it is when
/// one turns up somewhere it should not).
pub fn random_secret(prefix: &str) -> Result<String, PasswordError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PasswordError::Random(e.to_string()))?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// SHA-256 of `secret`, hex: how session ids and API tokens are stored and looked up.
pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compare two secrets without an early exit on the first differing byte.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let h = hash("correct horse battery").expect("hashes");
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert_ne!(h, hash("correct horse battery").expect("hashes"), "salted");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
    }

    #[test]
    fn secrets_are_random_and_compared_whole() {
        let a = random_secret("llk_").expect("random");
        assert!(a.starts_with("llk_") && a.len() > 40);
        assert_ne!(a, random_secret("llk_").expect("random"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &a[..a.len() - 1]));
        assert_eq!(digest("x").len(), 64);
    }
}
