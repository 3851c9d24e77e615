//! A vault opened on first use, so a command that never touches a secret (a connection whose
//! connector declares no credential, such as csv) works on a machine without a keychain or a
//! vault key.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::store::sql::Db;

use super::{
    Secret, SecretKey, Vault, VaultError, VaultInfo, VaultKey, VaultKind, VaultPreference, open,
};

/// Opens the vault `preference` chooses the first time a secret is read, written or deleted.
/// A failed open is not remembered: the next use tries again and reports the same error.
pub struct LazyVault {
    data_dir: PathBuf,
    database: Db,
    preference: VaultPreference,
    opened: OnceLock<Arc<dyn Vault>>,
}

impl LazyVault {
    /// A vault for `data_dir` and the store's `database` ([`open`]), not opened yet.
    pub fn new(data_dir: impl Into<PathBuf>, database: Db, preference: VaultPreference) -> Self {
        Self {
            data_dir: data_dir.into(),
            database,
            preference,
            opened: OnceLock::new(),
        }
    }

    fn vault(&self) -> Result<&Arc<dyn Vault>, VaultError> {
        if let Some(v) = self.opened.get() {
            return Ok(v);
        }
        let v = open(&self.data_dir, &self.database, self.preference)?;
        // Another thread may have opened it meanwhile; either vault is the same choice.
        Ok(self.opened.get_or_init(|| v))
    }
}

impl Vault for LazyVault {
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, VaultError> {
        self.vault()?.get(key)
    }

    fn set(&self, key: &SecretKey, value: &Secret) -> Result<(), VaultError> {
        self.vault()?.set(key, value)
    }

    fn delete(&self, key: &SecretKey) -> Result<(), VaultError> {
        self.vault()?.delete(key)
    }

    fn rotate_key(&self, new: &VaultKey) -> Result<usize, VaultError> {
        self.vault()?.rotate_key(new)
    }

    fn describe(&self) -> VaultInfo {
        match self.vault() {
            Ok(v) => v.describe(),
            Err(e) => VaultInfo {
                kind: match self.preference {
                    VaultPreference::Keyring => VaultKind::Keyring,
                    VaultPreference::Database => VaultKind::Database,
                    _ => VaultKind::File,
                },
                location: "(not opened)".to_owned(),
                reason: e.to_string(),
            },
        }
    }
}
