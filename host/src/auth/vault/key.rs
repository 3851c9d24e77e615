//! The name of one secret: which connection it belongs to and which item of it it is.

use std::fmt;

use super::VaultError;

/// The longest connection or item name, in characters.
pub const MAX_KEY_PART_LEN: usize = 64;

/// The name of one secret: (connection name, item name), e.g. ("acme-xero", "tokens"),
/// ("acme-xero", "client-secret"), ("ordertrac-1", "api-key").
///
/// Both parts are 1 to 64 characters from `[a-z0-9._-]`, so "connection/item" (the
/// [`Display`](fmt::Display) form, used as the keychain user name and the file vault's entry
/// name) is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretKey {
    connection: String,
    item: String,
}

impl SecretKey {
    /// A key for `item` of `connection`, or [`VaultError::InvalidKeyPart`] naming the bad part.
    pub fn new(connection: &str, item: &str) -> Result<Self, VaultError> {
        validate_part("connection name", connection)?;
        validate_part("item name", item)?;
        Ok(Self {
            connection: connection.to_owned(),
            item: item.to_owned(),
        })
    }

    /// The connection name, e.g. "acme-xero".
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// The item name, e.g. "tokens".
    pub fn item(&self) -> &str {
        &self.item
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.connection, self.item)
    }
}

fn validate_part(part: &'static str, value: &str) -> Result<(), VaultError> {
    let problem = if value.is_empty() {
        Some("it is empty".to_owned())
    } else if value.chars().count() > MAX_KEY_PART_LEN {
        Some(format!(
            "it is {} characters long, more than {MAX_KEY_PART_LEN}",
            value.chars().count()
        ))
    } else {
        value
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-'))
            .map(|c| format!("{c:?} is not allowed"))
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(VaultError::InvalidKeyPart {
            part,
            // A 10 000-character name would drown the message; the start identifies it.
            value: value.chars().take(80).collect(),
            problem,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_keys_display_as_connection_slash_item() {
        let key = SecretKey::new("acme-xero", "client-secret").expect("valid key");
        assert_eq!(key.connection(), "acme-xero");
        assert_eq!(key.item(), "client-secret");
        assert_eq!(key.to_string(), "acme-xero/client-secret");
        assert_eq!(
            SecretKey::new("ordertrac-1", "api-key")
                .expect("valid key")
                .to_string(),
            "ordertrac-1/api-key"
        );
        let longest = "a".repeat(64);
        assert!(SecretKey::new(&longest, "v1.2_x").is_ok());
    }

    #[test]
    fn empty_part_is_refused_with_the_part_named() {
        let err = SecretKey::new("", "tokens").expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            "invalid connection name \"\": it is empty; use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
        );
        let err = SecretKey::new("acme-xero", "").expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            "invalid item name \"\": it is empty; use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
        );
    }

    #[test]
    fn bad_characters_are_refused_with_the_character_named() {
        let err = SecretKey::new("Acme-Xero", "tokens").expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            "invalid connection name \"Acme-Xero\": 'A' is not allowed; use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
        );
        let err = SecretKey::new("acme", "a/b").expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            "invalid item name \"a/b\": '/' is not allowed; use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
        );
        assert!(SecretKey::new("acme xero", "tokens").is_err());
        assert!(SecretKey::new("acmé", "tokens").is_err());
    }

    #[test]
    fn overlong_part_is_refused_with_its_length() {
        let name = "a".repeat(65);
        let err = SecretKey::new("acme", &name).expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            format!(
                "invalid item name \"{name}\": it is 65 characters long, more than 64; use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
            )
        );
    }
}
