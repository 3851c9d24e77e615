//! The credential vault: where the host keeps each connection's OAuth tokens, client secrets
//! and API keys at rest.
//!
//! Two real backends sit behind one [`Vault`] trait:
//!
//! - [`KeyringVault`]: the OS keychain (Secret Service on Linux/BSD, Keychain on macOS,
//!   Credential Manager on Windows) through `keyring-core` and its per-platform stores.
//! - [`FileVault`]: one encrypted file, `<data-dir>/vault/secrets.json`, for headless servers
//!   and CI. Each entry is XChaCha20-Poly1305 ciphertext bound to its name; the 256-bit key
//!   comes from `LEDGERLINK_VAULT_KEY` or a 0600 file named by `LEDGERLINK_VAULT_KEY_FILE`.
//!
//! - [`DatabaseVault`]: the same sealed entries in the store's database (`vault_entries`),
//!   for several ledgerlink processes on several hosts sharing one PostgreSQL database; each
//!   host is given the key as for the file vault.
//!
//! [`open`] picks one (`LEDGERLINK_VAULT` = auto | keyring | file) and says why, in a
//! [`VaultInfo`] that `ledgerlink doctor` prints. [`MemoryVault`] is for tests.
//!
//! The calls block (the keychain talks D-Bus or a system service, the file vault takes file
//! locks): call them from async code through `tokio::task::spawn_blocking`.

mod atomic_file;
mod database_vault;
mod error;
mod file_format;
mod file_vault;
mod key;
mod keyring_vault;
mod lazy;
mod master_key;
mod memory;
mod sealing;
mod secret;
mod select;

use std::fmt;

pub use database_vault::DatabaseVault;
pub use error::VaultError;
pub use file_vault::FileVault;
pub use key::{MAX_KEY_PART_LEN, SecretKey};
pub use keyring_vault::{KEYRING_SERVICE, KeyringVault};
pub use lazy::LazyVault;
pub use master_key::{ENV_VAULT_KEY, ENV_VAULT_KEY_FILE, KeySource, VaultKey, generate_key};
pub use memory::MemoryVault;
pub use secret::{REDACTED, Secret};
pub use select::{ENV_VAULT, VaultPreference, open, open_with_env, open_without_database};

/// A store of connection secrets. Implementations are safe to share between threads.
pub trait Vault: Send + Sync {
    /// The secret stored under `key`, or `None` if there is none.
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, VaultError>;

    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: &SecretKey, value: &Secret) -> Result<(), VaultError>;

    /// Removes the secret under `key`; removing a missing entry is not an error.
    fn delete(&self, key: &SecretKey) -> Result<(), VaultError>;

    /// Which vault this is, where it keeps secrets, and why it was chosen.
    fn describe(&self) -> VaultInfo;

    /// Re-seal every entry under `new`, all or nothing (`ledgerlink vault rotate-key`);
    /// how many entries were re-sealed. Only the vaults that hold ledgerlink's own key
    /// (file, database) can.
    fn rotate_key(&self, new: &VaultKey) -> Result<usize, VaultError> {
        let _ = new;
        Err(VaultError::NothingToRotate {
            kind: self.describe().kind.as_str(),
        })
    }
}

/// The kind of a [`Vault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultKind {
    /// The OS keychain.
    Keyring,
    /// The encrypted file vault.
    File,
    /// The store's database (entries sealed as in the file vault).
    Database,
    /// Process memory (tests only).
    Memory,
}

impl VaultKind {
    /// "keyring", "file" or "memory".
    pub fn as_str(self) -> &'static str {
        match self {
            VaultKind::Keyring => "keyring",
            VaultKind::File => "file",
            VaultKind::Database => "database",
            VaultKind::Memory => "memory",
        }
    }
}

impl fmt::Display for VaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `ledgerlink doctor` says about the vault in use.
///
/// Displays as "file vault at /x/vault/secrets.json: LEDGERLINK_VAULT_KEY is set".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultInfo {
    /// Which backend.
    pub kind: VaultKind,
    /// Where it keeps secrets: a file path, or the keychain and its service name.
    pub location: String,
    /// Why this vault was chosen.
    pub reason: String,
}

impl fmt::Display for VaultInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} vault at {}: {}",
            self.kind, self.location, self.reason
        )
    }
}
