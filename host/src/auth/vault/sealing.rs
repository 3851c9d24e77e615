//! Authenticated encryption of vault entries: XChaCha20-Poly1305 with a fresh random 192-bit
//! nonce per write (random nonces of that size never repeat in practice), and the entry's name
//! as associated data so a ciphertext only opens under the name it was sealed for.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{VaultError, VaultKey};

/// Nonce length of XChaCha20-Poly1305.
pub(super) const NONCE_LEN: usize = 24;

/// Associated-data prefix; the version lets a future format refuse old bindings cleanly.
const AAD_PREFIX: &str = "ledgerlink-vault/v1/";

/// The known plaintext sealed into every vault file so a wrong key is told apart from a
/// tampered entry before any entry is touched. It is not secret.
const KEY_CHECK_PLAINTEXT: &[u8] = b"ledgerlink vault key check";

/// One sealed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sealed {
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

/// Seals and opens values under one vault key. The cipher zeroizes its key copy on drop.
pub(super) struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn new(key: &VaultKey) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.bytes().into()),
        }
    }

    /// Encrypts the secret stored under `entry` ("connection/item").
    pub fn seal_entry(&self, entry: &str, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        self.seal(&entry_aad(entry), plaintext, entry)
    }

    /// Decrypts the secret stored under `entry`; `None` if it does not authenticate (wrong
    /// key, edited bytes, or a ciphertext sealed for another entry).
    pub fn open_entry(&self, entry: &str, sealed: &Sealed) -> Option<Zeroizing<Vec<u8>>> {
        self.open(&entry_aad(entry), sealed)
    }

    /// A fresh key-check record for a new vault file.
    pub fn seal_key_check(&self) -> Result<Sealed, VaultError> {
        self.seal(&key_check_aad(), KEY_CHECK_PLAINTEXT, "key check")
    }

    /// Whether `sealed` is a key-check record made with this key.
    pub fn verify_key_check(&self, sealed: &Sealed) -> bool {
        self.open(&key_check_aad(), sealed)
            .is_some_and(|plain| plain.as_slice() == KEY_CHECK_PLAINTEXT)
    }

    fn seal(&self, aad: &[u8], msg: &[u8], label: &str) -> Result<Sealed, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|err| VaultError::Random {
            detail: err.to_string(),
        })?;
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad })
            // The only failure is a message beyond the cipher's ~256 GiB limit.
            .map_err(|_| VaultError::Encrypt {
                key: label.to_owned(),
            })?;
        Ok(Sealed { nonce, ciphertext })
    }

    fn open(&self, aad: &[u8], sealed: &Sealed) -> Option<Zeroizing<Vec<u8>>> {
        self.cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

fn entry_aad(entry: &str) -> Vec<u8> {
    format!("{AAD_PREFIX}entry/{entry}").into_bytes()
}

fn key_check_aad() -> Vec<u8> {
    format!("{AAD_PREFIX}key-check").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::vault::KeySource;
    use crate::auth::vault::generate_key;

    fn sealer() -> Sealer {
        let text = generate_key().expect("rng");
        Sealer::new(&VaultKey::from_base64(&text, KeySource::Supplied).expect("valid"))
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let s = sealer();
        let a = s.seal_entry("acme-xero/tokens", b"secret-1").expect("seal");
        let b = s.seal_entry("acme-xero/tokens", b"secret-1").expect("seal");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(
            s.open_entry("acme-xero/tokens", &a)
                .expect("opens")
                .as_slice(),
            b"secret-1"
        );
    }

    #[test]
    fn a_ciphertext_does_not_open_under_another_name_or_key() {
        let s = sealer();
        let sealed = s.seal_entry("acme-xero/tokens", b"secret-1").expect("seal");
        assert!(s.open_entry("acme-xero/client-secret", &sealed).is_none());
        assert!(sealer().open_entry("acme-xero/tokens", &sealed).is_none());
        let mut edited = sealed.clone();
        edited.ciphertext[0] ^= 1;
        assert!(s.open_entry("acme-xero/tokens", &edited).is_none());
    }

    #[test]
    fn key_check_tells_keys_apart() {
        let s = sealer();
        let check = s.seal_key_check().expect("seal");
        assert!(s.verify_key_check(&check));
        assert!(!sealer().verify_key_check(&check));
    }
}
