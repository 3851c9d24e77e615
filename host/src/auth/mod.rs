//! Credentials the host owns for connections: the vault that keeps them at rest, the OAuth
//! 2.0 connect flow, rotation-safe refresh, and their injection into outbound requests.
//!
//! - [`vault`]: OS keychain or encrypted file.
//! - [`tokens`]: the token set and the vault item names.
//! - [`oauth`]: the token endpoint (oauth2 crate): authorize URL + PKCE, exchange, refresh, revoke.
//! - [`lock`]: single-flight per connection across tasks and processes.
//! - [`refresh`]: [`refresh::TokenManager`], the refresh rules.
//! - [`credentials`]: `net::Credentials` implementations (bearer token, API key).
//! - [`connect`]: the interactive (or headless) connect flow with a loopback listener.
//! - [`context`]: everything a plugin call for a connection needs, assembled.

pub mod connect;
pub mod context;
pub mod credentials;
pub mod lock;
pub mod oauth;
pub mod refresh;
pub mod tokens;
pub mod vault;

use crate::store::connections::ConnectionError;
use vault::VaultError;

/// Why a connection's credentials could not be used. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Never connected (no tokens).
    #[error("connection {connection} is not connected: run `ledgerlink connect {connection}`")]
    NotConnected {
        /// The connection.
        connection: String,
    },
    /// The vendor refused the credentials for good.
    #[error("{message}")]
    NeedsReconnect {
        /// The connection.
        connection: String,
        /// What happened and the command to run.
        message: String,
    },
    /// Renewal failed for a reason that may pass.
    #[error("connection {connection} could not renew its credentials: {reason}")]
    Unavailable {
        /// The connection.
        connection: String,
        /// Why.
        reason: String,
    },
    /// The plugin is not the component the connection is pinned to: its credentials are
    /// not handed to it.
    #[error(
        "connection {connection} is pinned to component sha256 {expected} ({declared}), but was asked to run {found}; its credentials are only used with its own component. Run the command again; `ledgerlink connections upgrade {connection}` moves it to another version"
    )]
    WrongComponent {
        /// The connection.
        connection: String,
        /// The pinned component and version.
        expected: String,
        /// What the pin declared.
        declared: String,
        /// What was offered instead.
        found: String,
    },
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ConnectionError),
    /// Something in the host failed.
    #[error("internal error: {0}")]
    Internal(String),
}
