//! A vault in process memory, for tests of the modules that use a vault.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{Secret, SecretKey, Vault, VaultError, VaultInfo, VaultKind};

/// A [`Vault`] that keeps secrets in a map in memory and forgets them when dropped.
#[derive(Default)]
pub struct MemoryVault {
    entries: Mutex<HashMap<SecretKey, Secret>>,
}

impl MemoryVault {
    /// An empty vault.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many secrets it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds no secret.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretKey, Secret>> {
        // A panic while holding the lock cannot leave the map half-updated (each operation
        // is a single insert/remove/clone), so a poisoned lock is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Vault for MemoryVault {
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, VaultError> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &SecretKey, value: &Secret) -> Result<(), VaultError> {
        self.lock().insert(key.clone(), value.clone());
        Ok(())
    }

    fn delete(&self, key: &SecretKey) -> Result<(), VaultError> {
        self.lock().remove(key);
        Ok(())
    }

    fn describe(&self) -> VaultInfo {
        VaultInfo {
            kind: VaultKind::Memory,
            location: "process memory".to_owned(),
            reason: "an in-memory vault for tests; secrets are lost when the process ends"
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_delete() {
        let vault = MemoryVault::new();
        let key = SecretKey::new("acme-xero", "tokens").expect("valid key");
        assert_eq!(vault.get(&key).expect("get"), None);
        vault.set(&key, &Secret::new("t1")).expect("set");
        vault.set(&key, &Secret::new("t2")).expect("set");
        assert_eq!(
            vault.get(&key).expect("get").expect("present").expose(),
            "t2"
        );
        assert_eq!(vault.len(), 1);
        vault.delete(&key).expect("delete");
        vault
            .delete(&key)
            .expect("deleting a missing entry is fine");
        assert!(vault.is_empty());
        assert_eq!(
            vault.describe().to_string(),
            "memory vault at process memory: an in-memory vault for tests; secrets are lost when the process ends"
        );
    }
}
