//! The OS keychain as a vault, through `keyring-core` and the platform's store crate:
//! Secret Service over D-Bus on Linux and the BSDs, Keychain Services on macOS, Credential
//! Manager on Windows. Every secret is one item with service "ledgerlink" and user
//! "<connection>/<item>".

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use zeroize::Zeroize;

use super::{Secret, SecretKey, Vault, VaultError, VaultInfo, VaultKind};

/// The keychain service name every ledgerlink secret is stored under.
pub const KEYRING_SERVICE: &str = "ledgerlink";

/// How long [`KeyringVault::open_probed`] waits for the keychain. A locked keychain may wait
/// for a password prompt nobody will answer on a server; selection must not hang on it.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`Vault`] in the operating system's keychain.
pub struct KeyringVault {
    store: Arc<CredentialStore>,
    location: String,
    reason: String,
}

impl KeyringVault {
    /// Connects to this platform's keychain without touching any item. On Linux this fails
    /// when there is no D-Bus session bus (a headless server) with
    /// [`VaultError::KeyringUnavailable`]. `reason` is why this vault was chosen.
    pub fn connect(reason: impl Into<String>) -> Result<Self, VaultError> {
        let store = platform_store()?;
        Ok(Self::with_store(store, platform_location(), reason))
    }

    /// A vault over any `keyring-core` store (another platform store, or the mock store in
    /// tests). `location` is what [`Vault::describe`] reports.
    pub fn with_store(
        store: Arc<CredentialStore>,
        location: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            store,
            location: location.into(),
            reason: reason.into(),
        }
    }

    /// [`connect`](Self::connect), then [`probe`](Self::probe), within 10 seconds: the
    /// keychain is usable only if this succeeds.
    pub fn open_probed(reason: impl Into<String>) -> Result<Self, VaultError> {
        let reason = reason.into();
        let (tx, rx) = mpsc::channel();
        // On timeout the thread is left to finish (or hang) on its own; it holds nothing
        // but its own connection, and the receiver being gone makes its send a no-op.
        std::thread::Builder::new()
            .name("ledgerlink-keyring-probe".to_owned())
            .spawn(move || {
                let result = Self::connect(reason).and_then(|vault| vault.probe().map(|()| vault));
                let _ = tx.send(result);
            })
            .map_err(|err| VaultError::KeyringUnavailable {
                detail: format!("cannot start the probe thread: {err}"),
            })?;
        match rx.recv_timeout(PROBE_TIMEOUT) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(VaultError::KeyringUnavailable {
                detail: format!(
                    "it did not answer within {} seconds (is it locked and waiting for a password?)",
                    PROBE_TIMEOUT.as_secs()
                ),
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(VaultError::KeyringUnavailable {
                detail: "the probe thread ended without an answer".to_owned(),
            }),
        }
    }

    /// Writes, reads back and deletes a throw-away item, proving the keychain can be used
    /// (connecting alone succeeds in some setups where every operation then fails).
    pub fn probe(&self) -> Result<(), VaultError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // ':' cannot occur in a SecretKey, so the probe never touches a real secret.
        let user = format!("probe:{}:{nanos}", std::process::id());
        let value = format!("ledgerlink probe {nanos}");
        let unavailable = |what: &str, err: &KeyringError| VaultError::KeyringUnavailable {
            detail: format!("{what} a test item failed: {}", describe_error(err)),
        };
        let entry = self
            .store
            .build(KEYRING_SERVICE, &user, None)
            .map_err(|err| unavailable("naming", &err))?;
        entry
            .set_password(&value)
            .map_err(|err| unavailable("storing", &err))?;
        let read = entry.get_password();
        let deleted = entry.delete_credential();
        match read {
            Ok(back) if back == value => {}
            Ok(_) => {
                return Err(VaultError::KeyringUnavailable {
                    detail: "a test item read back a different value than was stored".to_owned(),
                });
            }
            Err(err) => return Err(unavailable("reading back", &err)),
        }
        deleted.map_err(|err| unavailable("deleting", &err))
    }

    fn entry(&self, key: &SecretKey, action: &'static str) -> Result<Entry, VaultError> {
        self.store
            .build(KEYRING_SERVICE, &key.to_string(), None)
            .map_err(|err| self.error(action, key, &err))
    }

    fn error(&self, action: &'static str, key: &SecretKey, err: &KeyringError) -> VaultError {
        VaultError::Keyring {
            action,
            key: key.to_string(),
            detail: describe_error(err),
        }
    }
}

impl Vault for KeyringVault {
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, VaultError> {
        match self.entry(key, "read")?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(KeyringError::BadEncoding(mut bytes)) => {
                bytes.zeroize();
                Err(VaultError::NotText {
                    key: key.to_string(),
                    location: self.location.clone(),
                })
            }
            Err(err) => Err(self.error("read", key, &err)),
        }
    }

    fn set(&self, key: &SecretKey, value: &Secret) -> Result<(), VaultError> {
        self.entry(key, "store")?
            .set_password(value.expose())
            .map_err(|err| self.error("store", key, &err))
    }

    fn delete(&self, key: &SecretKey) -> Result<(), VaultError> {
        match self.entry(key, "delete")?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(err) => Err(self.error("delete", key, &err)),
        }
    }

    fn describe(&self) -> VaultInfo {
        VaultInfo {
            kind: VaultKind::Keyring,
            location: self.location.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// The error's text without any stored bytes: `BadEncoding` and `BadDataFormat` carry the
/// raw secret, and their `Debug` would print it.
fn describe_error(err: &KeyringError) -> String {
    match err {
        KeyringError::BadEncoding(_) => "the stored value is not UTF-8 text".to_owned(),
        KeyringError::BadDataFormat(_, inner) => format!("the stored value is malformed: {inner}"),
        KeyringError::Ambiguous(items) => format!(
            "{} keychain items match this name; delete the duplicates",
            items.len()
        ),
        other => other.to_string(),
    }
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(err) => Err(VaultError::KeyringUnavailable {
            detail: format!(
                "the Secret Service cannot be reached over the D-Bus session bus: {}",
                describe_error(&err)
            ),
        }),
    }
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    match apple_native_keyring_store::keychain::Store::new() {
        Ok(store) => Ok(store),
        Err(err) => Err(VaultError::KeyringUnavailable {
            detail: describe_error(&err),
        }),
    }
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    match windows_native_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(err) => Err(VaultError::KeyringUnavailable {
            detail: describe_error(&err),
        }),
    }
}

#[cfg(not(any(
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ),
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    Err(VaultError::KeyringUnavailable {
        detail: "ledgerlink supports no OS keychain on this platform".to_owned(),
    })
}

fn platform_location() -> String {
    let keychain = if cfg!(target_os = "macos") {
        "the macOS login keychain"
    } else if cfg!(target_os = "windows") {
        "the Windows Credential Manager"
    } else {
        "the Secret Service (D-Bus session bus)"
    };
    format!("{keychain}, service \"{KEYRING_SERVICE}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring_core::api::CredentialStoreApi as _;

    fn mock_vault() -> KeyringVault {
        let store = keyring_core::mock::Store::new().expect("mock store");
        KeyringVault::with_store(store, "the mock keychain", "test")
    }

    fn key(connection: &str, item: &str) -> SecretKey {
        SecretKey::new(connection, item).expect("valid key")
    }

    #[test]
    fn set_get_delete_through_a_keyring_store() {
        let vault = mock_vault();
        let tokens = key("acme-xero", "tokens");
        assert_eq!(vault.get(&tokens).expect("get"), None);
        vault.set(&tokens, &Secret::new("t1")).expect("set");
        vault.set(&tokens, &Secret::new("t2")).expect("set");
        assert_eq!(
            vault.get(&tokens).expect("get").expect("present").expose(),
            "t2"
        );
        vault.delete(&tokens).expect("delete");
        vault
            .delete(&tokens)
            .expect("deleting a missing entry is fine");
        assert_eq!(vault.get(&tokens).expect("get"), None);
        assert!(vault.probe().is_ok());
    }

    #[test]
    fn items_are_named_service_ledgerlink_user_connection_slash_item() {
        let store = keyring_core::mock::Store::new().expect("mock store");
        let vault = KeyringVault::with_store(store.clone(), "m", "test");
        vault
            .set(&key("ordertrac-1", "api-key"), &Secret::new("k"))
            .expect("set");
        let entry = store
            .build("ledgerlink", "ordertrac-1/api-key", None)
            .expect("build");
        assert_eq!(entry.get_password().expect("stored under that name"), "k");
    }

    #[test]
    fn platform_errors_are_reported_without_stored_bytes() {
        let vault = mock_vault();
        let tokens = key("acme-xero", "tokens");
        let entry = vault.entry(&tokens, "read").expect("entry");
        entry.set_password("x").expect("set");
        let mock: &keyring_core::mock::Cred = entry.as_any().downcast_ref().expect("mock cred");
        mock.set_error(KeyringError::BadEncoding(b"hunter2".to_vec()));
        let err = vault.get(&tokens).expect_err("bad encoding");
        assert_eq!(
            err.to_string(),
            "the secret acme-xero/tokens in the mock keychain is not UTF-8 text; set it again"
        );
        mock.set_error(KeyringError::BadDataFormat(
            b"hunter2".to_vec(),
            "truncated".into(),
        ));
        let err = vault.get(&tokens).expect_err("bad data");
        assert_eq!(
            err.to_string(),
            "the OS keychain failed to read acme-xero/tokens: the stored value is malformed: truncated; check that the keychain is unlocked"
        );
        assert!(!format!("{err:?}").contains("hunter2"));
    }

    #[test]
    fn location_names_the_service() {
        assert!(platform_location().ends_with(", service \"ledgerlink\""));
    }

    /// Runs against the real keychain only where one answers (a desktop session); on a
    /// headless machine the probe's failure is the expected outcome and is checked in
    /// `select.rs`.
    #[test]
    fn real_keychain_round_trip_when_available() {
        let Ok(vault) = KeyringVault::open_probed("test") else {
            return;
        };
        let k = key("ledgerlink-test", &format!("probe-{}", std::process::id()));
        vault
            .set(&k, &Secret::new("real-keychain-value"))
            .expect("set");
        let got = vault.get(&k).expect("get");
        vault.delete(&k).expect("delete");
        assert_eq!(
            got.as_ref().map(Secret::expose),
            Some("real-keychain-value")
        );
        assert_eq!(vault.get(&k).expect("get"), None);
    }
}
