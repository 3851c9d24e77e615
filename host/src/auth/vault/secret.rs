//! A secret value that cannot be printed by accident and is wiped from memory when dropped.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// What [`Secret`]'s `Debug` and `Display` print instead of the value.
pub const REDACTED: &str = "[redacted]";

/// A secret string (OAuth token set, client secret, API key).
///
/// `Debug` and `Display` print `[redacted]`, so a secret inside a struct that is logged or
/// put in an error message does not leak; the value is zeroized when the `Secret` is dropped.
/// Reach the value only through [`Secret::expose`], at the point where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
}

impl Secret {
    /// Wraps `value`. The `String` is moved in, not copied, so no unwiped copy is left behind.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
        }
    }

    /// The secret decrypted into `plain` (wiped), or [`super::VaultError::NotText`] naming
    /// the entry `key` in `location` when it is not UTF-8 (its bytes wiped too). The bytes
    /// are moved, not copied, so the only copy ends up in the `Secret`.
    pub(super) fn from_plaintext(
        mut plain: zeroize::Zeroizing<Vec<u8>>,
        key: String,
        location: impl FnOnce() -> String,
    ) -> Result<Self, super::VaultError> {
        match String::from_utf8(std::mem::take(&mut *plain)) {
            Ok(text) => Ok(Self::new(text)),
            Err(err) => {
                err.into_bytes().zeroize();
                Err(super::VaultError::NotText {
                    key,
                    location: location(),
                })
            }
        }
    }

    /// The secret value. Do not log it, format it into errors, or keep copies of it.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let secret = Secret::new("sk_live_4242");
        let debug = format!("{:?}", secret);
        let display = format!("{secret}");
        assert_eq!(debug, "[redacted]");
        assert_eq!(display, "[redacted]");
        assert!(!debug.contains("sk_live_4242"));

        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            api_key: Secret,
        }
        let holder = format!(
            "{:?}",
            Holder {
                api_key: "sk_live_4242".into()
            }
        );
        assert_eq!(holder, "Holder { api_key: [redacted] }");
    }

    #[test]
    fn expose_returns_the_value() {
        let secret = Secret::from(String::from("refresh-123"));
        assert_eq!(secret.expose(), "refresh-123");
        assert_eq!(secret.clone(), secret);
    }
}
