//! The token set kept in the vault for an OAuth 2.0 connection, and the vault items'
//! names.

use serde::{Deserialize, Serialize};

use super::vault::{Secret, SecretKey, Vault, VaultError};

/// Vault item holding a connection's [`TokenSet`].
pub const TOKENS: &str = "tokens";
/// Vault item holding a connection's OAuth client secret.
pub const CLIENT_SECRET: &str = "client-secret";
/// Vault item holding a connection's API key.
pub const API_KEY: &str = "api-key";

/// Access and refresh tokens, with when they expire (Unix seconds). Stored as one vault
/// entry, so the refresh token and the access token it came with are replaced together.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The bearer token sent with requests.
    pub access_token: String,
    /// When it expires.
    pub access_expires_at: i64,
    /// The refresh token, when the vendor issued one.
    pub refresh_token: Option<String>,
    /// When the refresh token expires, when the vendor said.
    pub refresh_expires_at: Option<i64>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("access_expires_at", &self.access_expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// Read a connection's tokens.
pub fn load(vault: &dyn Vault, connection: &str) -> Result<Option<TokenSet>, VaultError> {
    let key = SecretKey::new(connection, TOKENS)?;
    let Some(secret) = vault.get(&key)? else {
        return Ok(None);
    };
    // A token entry that does not parse is as good as none: the admin reconnects.
    Ok(serde_json::from_str(secret.expose()).ok())
}

/// Replace a connection's tokens.
pub fn save(vault: &dyn Vault, connection: &str, tokens: &TokenSet) -> Result<(), VaultError> {
    let key = SecretKey::new(connection, TOKENS)?;
    // Serialising a struct of strings and integers cannot fail.
    let json = serde_json::to_string(tokens).unwrap_or_default();
    vault.set(&key, &Secret::new(json))
}

/// Read one secret item of a connection.
pub fn secret(
    vault: &dyn Vault,
    connection: &str,
    item: &str,
) -> Result<Option<Secret>, VaultError> {
    vault.get(&SecretKey::new(connection, item)?)
}
