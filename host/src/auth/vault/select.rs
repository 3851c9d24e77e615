//! Choosing the vault: `LEDGERLINK_VAULT` = auto (default) | keyring | file | database.
//!
//! In auto mode an explicitly configured vault key wins (whoever set it meant the file
//! vault); otherwise the OS keychain is used if a probe (write, read back, delete) succeeds;
//! otherwise the host refuses to start rather than keep secrets somewhere unsafe. `database`
//! keeps the sealed entries in the store's database, for several processes sharing it; it
//! is never chosen automatically (moving secrets between vaults is the admin's decision).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use super::master_key::{ENV_VAULT_KEY, ENV_VAULT_KEY_FILE};
use super::{DatabaseVault, FileVault, KeyringVault, Vault, VaultError, VaultKey};
use crate::store::sql::Db;

/// Environment variable choosing the vault: auto, keyring, file or database.
pub const ENV_VAULT: &str = "LEDGERLINK_VAULT";

/// Which vault the administrator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VaultPreference {
    /// The file vault if a vault key is set, else the OS keychain if it answers, else an error.
    #[default]
    Auto,
    /// The OS keychain, or an error.
    Keyring,
    /// The encrypted file vault, or an error if no vault key is set.
    File,
    /// The sealed entries in the store's database, or an error if no vault key is set.
    Database,
}

impl VaultPreference {
    /// Parses the value of `LEDGERLINK_VAULT`; unset or empty means [`VaultPreference::Auto`].
    pub fn parse(value: Option<&str>) -> Result<Self, VaultError> {
        match value.map(str::trim) {
            None | Some("") => Ok(Self::Auto),
            Some(text) => text.parse(),
        }
    }

    /// Reads `LEDGERLINK_VAULT` from the process environment.
    pub fn from_env() -> Result<Self, VaultError> {
        Self::parse(std::env::var(ENV_VAULT).ok().as_deref())
    }
}

impl FromStr for VaultPreference {
    type Err = VaultError;

    fn from_str(text: &str) -> Result<Self, VaultError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "keyring" => Ok(Self::Keyring),
            "file" => Ok(Self::File),
            "database" => Ok(Self::Database),
            _ => Err(VaultError::InvalidPreference {
                value: text.to_owned(),
            }),
        }
    }
}

/// Opens the vault `preference` asks for, reading the vault key settings from the process
/// environment. The vault file, if chosen, is `<data_dir>/vault/secrets.json`; the vault in
/// the database, if chosen, is in `database` (the process's one handle on the store's
/// database, whichever engine it is on).
pub fn open(
    data_dir: &Path,
    database: &Db,
    preference: VaultPreference,
) -> Result<Arc<dyn Vault>, VaultError> {
    open_with_env(data_dir, database, preference, &|name| {
        std::env::var(name).ok()
    })
}

/// [`open`], reading `LEDGERLINK_VAULT_KEY` and `LEDGERLINK_VAULT_KEY_FILE` through `env`
/// instead of the process environment (for tests and embedding).
pub fn open_with_env(
    data_dir: &Path,
    database: &Db,
    preference: VaultPreference,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Vault>, VaultError> {
    choose(data_dir, Some(database), preference, env, &|reason| {
        KeyringVault::open_probed(reason).map(|vault| Arc::new(vault) as Arc<dyn Vault>)
    })
}

/// [`open`] for a caller that has not opened the store's database (and should not, for a
/// vault that does not live there: `vault rotate-key` on the file vault, `doctor` when the
/// database cannot be reached). `LEDGERLINK_VAULT=database` is refused with
/// [`VaultError::DatabaseNotOpen`].
pub fn open_without_database(
    data_dir: &Path,
    preference: VaultPreference,
) -> Result<Arc<dyn Vault>, VaultError> {
    choose(
        data_dir,
        None,
        preference,
        &|name| std::env::var(name).ok(),
        &|reason| KeyringVault::open_probed(reason).map(|vault| Arc::new(vault) as Arc<dyn Vault>),
    )
}

/// The selection rules, with the keychain behind `keyring` (called with the reason to
/// report) so tests can stand in for a present or absent keychain.
fn choose(
    data_dir: &Path,
    database: Option<&Db>,
    preference: VaultPreference,
    env: &dyn Fn(&str) -> Option<String>,
    keyring: &dyn Fn(String) -> Result<Arc<dyn Vault>, VaultError>,
) -> Result<Arc<dyn Vault>, VaultError> {
    let vault = match preference {
        VaultPreference::Keyring => {
            let key_set = [ENV_VAULT_KEY, ENV_VAULT_KEY_FILE]
                .into_iter()
                .find(|name| env(name).is_some_and(|v| !v.trim().is_empty()));
            keyring(match key_set {
                Some(name) => format!("{ENV_VAULT}=keyring ({name} is set but not used)"),
                None => format!("{ENV_VAULT}=keyring"),
            })?
        }
        VaultPreference::File => {
            let key = VaultKey::from_env(env)?.ok_or(VaultError::NoVaultKey)?;
            let reason = format!("{ENV_VAULT}=file and {}", key.source().reason());
            Arc::new(FileVault::open(data_dir, &key, reason)?)
        }
        VaultPreference::Database => {
            let key = VaultKey::from_env(env)?.ok_or(VaultError::NoDatabaseVaultKey)?;
            let database = database.ok_or(VaultError::DatabaseNotOpen)?;
            let reason = format!("{ENV_VAULT}=database and {}", key.source().reason());
            Arc::new(DatabaseVault::open(database.clone(), &key, reason)?)
        }
        VaultPreference::Auto => match VaultKey::from_env(env)? {
            Some(key) => {
                let reason = key.source().reason();
                Arc::new(FileVault::open(data_dir, &key, reason)?)
            }
            None => keyring("no vault key is set and the OS keychain answered a probe".to_owned())
                .map_err(|err| VaultError::NoVaultAvailable {
                    keyring_reason: match err {
                        VaultError::KeyringUnavailable { detail } => detail,
                        other => other.to_string(),
                    },
                })?,
        },
    };
    tracing::info!(vault = %vault.describe(), "credential vault selected");
    Ok(vault)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::vault::{Secret, SecretKey, VaultKind, generate_key};
    use crate::store::engine::DatabaseUrl;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const NO_VAULT: &str = "no secure vault is available: no OS keychain could be reached (";
    const NO_VAULT_TAIL: &str = ") and no vault key is set; set LEDGERLINK_VAULT_KEY to the output of `ledgerlink vault init-key`, or LEDGERLINK_VAULT_KEY_FILE to a 0600 file holding it";

    /// [`super::choose`] with the store's database in `data_dir`, as the CLI's default.
    fn choose(
        data_dir: &Path,
        preference: VaultPreference,
        env: &dyn Fn(&str) -> Option<String>,
        keyring: &dyn Fn(String) -> Result<Arc<dyn Vault>, VaultError>,
    ) -> Result<Arc<dyn Vault>, VaultError> {
        super::choose(
            data_dir,
            Some(&sqlite_in(data_dir)),
            preference,
            env,
            keyring,
        )
    }

    fn sqlite_in(data_dir: &Path) -> Db {
        let url = DatabaseUrl::Sqlite(data_dir.join("ledgerlink.db"));
        crate::store::engine::open(&url).expect("opens")
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    /// A keychain stand-in that works, counting calls.
    fn working_keyring(
        calls: &AtomicUsize,
    ) -> impl Fn(String) -> Result<Arc<dyn Vault>, VaultError> + '_ {
        move |reason| {
            calls.fetch_add(1, Ordering::SeqCst);
            let store = keyring_core::mock::Store::new().expect("mock store");
            Ok(
                Arc::new(KeyringVault::with_store(store, "the mock keychain", reason))
                    as Arc<dyn Vault>,
            )
        }
    }

    fn absent_keyring(reason: String) -> Result<Arc<dyn Vault>, VaultError> {
        let _ = reason;
        Err(VaultError::KeyringUnavailable {
            detail: "no D-Bus session bus".to_owned(),
        })
    }

    #[test]
    fn preference_values() {
        assert_eq!(
            VaultPreference::parse(None).expect("unset"),
            VaultPreference::Auto
        );
        assert_eq!(
            VaultPreference::parse(Some(" ")).expect("empty"),
            VaultPreference::Auto
        );
        assert_eq!(
            VaultPreference::parse(Some("auto")).expect("auto"),
            VaultPreference::Auto
        );
        assert_eq!(
            VaultPreference::parse(Some("Keyring")).expect("keyring"),
            VaultPreference::Keyring
        );
        assert_eq!(
            VaultPreference::parse(Some("file\n")).expect("file"),
            VaultPreference::File
        );
        let err = VaultPreference::parse(Some("vault")).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "LEDGERLINK_VAULT=\"vault\" is not a vault choice; use auto, keyring, file or database"
        );
    }

    #[test]
    fn auto_with_a_vault_key_uses_the_file_vault_without_probing_the_keychain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let calls = AtomicUsize::new(0);
        let key = generate_key().expect("rng");
        let vault = choose(
            dir.path(),
            VaultPreference::Auto,
            &env_of(&[(ENV_VAULT_KEY, &key)]),
            &working_keyring(&calls),
        )
        .expect("file vault");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(
            vault.describe().to_string(),
            format!(
                "file vault at {}: LEDGERLINK_VAULT_KEY is set",
                dir.path().join("vault/secrets.json").display()
            )
        );
        let k = SecretKey::new("acme-xero", "tokens").expect("valid");
        vault.set(&k, &Secret::new("t")).expect("set");
        assert!(dir.path().join("vault/secrets.json").is_file());
    }

    #[cfg(unix)]
    #[test]
    fn auto_with_a_key_file_names_it_and_refuses_a_loose_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let key_path = dir.path().join("vault.key");
        std::fs::write(&key_path, generate_key().expect("rng")).expect("write");
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let env = env_of(&[(ENV_VAULT_KEY_FILE, key_path.to_str().expect("utf-8"))]);
        let calls = AtomicUsize::new(0);
        let vault = choose(
            dir.path(),
            VaultPreference::Auto,
            &env,
            &working_keyring(&calls),
        )
        .expect("file vault");
        assert_eq!(vault.describe().kind, VaultKind::File);
        assert_eq!(
            vault.describe().reason,
            format!("LEDGERLINK_VAULT_KEY_FILE is set ({})", key_path.display())
        );

        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = choose(
            dir.path(),
            VaultPreference::Auto,
            &env,
            &working_keyring(&calls),
        )
        .err()
        .expect("loose key file");
        assert_eq!(
            err.to_string(),
            format!(
                "the vault key file {0} has permissions 0644, so other users may read it; run `chmod 600 {0}` and try again",
                key_path.display()
            )
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "a broken key must not fall back"
        );
    }

    #[test]
    fn auto_without_a_key_uses_a_keychain_that_answers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let calls = AtomicUsize::new(0);
        let vault = choose(
            dir.path(),
            VaultPreference::Auto,
            &env_of(&[(ENV_VAULT_KEY, "")]),
            &working_keyring(&calls),
        )
        .expect("keyring");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            vault.describe().to_string(),
            "keyring vault at the mock keychain: no vault key is set and the OS keychain answered a probe"
        );
        assert!(
            !dir.path().join("vault").exists(),
            "no file vault was created"
        );
    }

    #[test]
    fn auto_without_key_or_keychain_is_an_error_that_says_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = choose(
            dir.path(),
            VaultPreference::Auto,
            &env_of(&[]),
            &absent_keyring,
        )
        .err()
        .expect("nothing available");
        assert_eq!(
            err.to_string(),
            format!("{NO_VAULT}no D-Bus session bus{NO_VAULT_TAIL}")
        );
    }

    #[test]
    fn auto_with_a_malformed_key_does_not_fall_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let calls = AtomicUsize::new(0);
        let err = choose(
            dir.path(),
            VaultPreference::Auto,
            &env_of(&[(ENV_VAULT_KEY, "c2hvcnQ=")]),
            &working_keyring(&calls),
        )
        .err()
        .expect("malformed key");
        assert_eq!(
            err.to_string(),
            "LEDGERLINK_VAULT_KEY does not hold a vault key: it decodes to 5 bytes, not 32; set it to the output of `ledgerlink vault init-key` (base64 of 32 random bytes)"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn file_preference_needs_a_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let calls = AtomicUsize::new(0);
        let err = choose(
            dir.path(),
            VaultPreference::File,
            &env_of(&[]),
            &working_keyring(&calls),
        )
        .err()
        .expect("no key");
        assert_eq!(
            err.to_string(),
            "LEDGERLINK_VAULT=file but no vault key is set; set LEDGERLINK_VAULT_KEY to the output of `ledgerlink vault init-key`, or LEDGERLINK_VAULT_KEY_FILE to a 0600 file holding it"
        );
        let key = generate_key().expect("rng");
        let vault = choose(
            dir.path(),
            VaultPreference::File,
            &env_of(&[(ENV_VAULT_KEY, &key)]),
            &working_keyring(&calls),
        )
        .expect("file vault");
        assert_eq!(
            vault.describe().reason,
            "LEDGERLINK_VAULT=file and LEDGERLINK_VAULT_KEY is set"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn file_preference_with_the_wrong_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let calls = AtomicUsize::new(0);
        let first = generate_key().expect("rng");
        let vault = choose(
            dir.path(),
            VaultPreference::File,
            &env_of(&[(ENV_VAULT_KEY, &first)]),
            &working_keyring(&calls),
        )
        .expect("file vault");
        vault
            .set(&SecretKey::new("a", "b").expect("valid"), &Secret::new("v"))
            .expect("set");
        let other = generate_key().expect("rng");
        let err = choose(
            dir.path(),
            VaultPreference::File,
            &env_of(&[(ENV_VAULT_KEY, &other)]),
            &working_keyring(&calls),
        )
        .err()
        .expect("wrong key");
        assert_eq!(
            err.to_string(),
            format!(
                "the vault key does not decrypt {}: LEDGERLINK_VAULT_KEY is not the key this vault was created with; set the original key (the file was left unchanged)",
                dir.path().join("vault/secrets.json").display()
            )
        );
    }

    #[test]
    fn without_the_database_the_file_vault_opens_and_the_database_vault_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = generate_key().expect("rng");
        let calls = AtomicUsize::new(0);
        let vault = super::choose(
            dir.path(),
            None,
            VaultPreference::File,
            &env_of(&[(ENV_VAULT_KEY, &key)]),
            &working_keyring(&calls),
        )
        .expect("the file vault needs no database");
        assert_eq!(vault.describe().kind, VaultKind::File);
        assert!(
            !dir.path().join("ledgerlink.db").exists(),
            "no store was made"
        );
        let err = super::choose(
            dir.path(),
            None,
            VaultPreference::Database,
            &env_of(&[(ENV_VAULT_KEY, &key)]),
            &working_keyring(&calls),
        )
        .err()
        .expect("refused");
        assert_eq!(
            err.to_string(),
            "LEDGERLINK_VAULT=database keeps the vault in the store's database, which is not open here; fix the database first (`ledgerlink doctor` says what is wrong with it)"
        );
    }

    #[test]
    fn database_preference_keeps_entries_in_the_database_it_is_given() {
        for t in crate::store::sql::each_engine::each_engine() {
            let db = t.open();
            let dir = tempfile::tempdir().expect("tempdir");
            let key = generate_key().expect("rng");
            let calls = AtomicUsize::new(0);
            let vault = super::choose(
                dir.path(),
                Some(&db),
                VaultPreference::Database,
                &env_of(&[(ENV_VAULT_KEY, &key)]),
                &working_keyring(&calls),
            )
            .expect("database vault");
            assert_eq!(vault.describe().kind, VaultKind::Database);
            vault
                .set(
                    &SecretKey::new("kea-xero", "tokens").expect("valid"),
                    &Secret::new("t"),
                )
                .expect("set");
            let count = db
                .query_one("SELECT COUNT(*) FROM vault_entries", &[])
                .expect("counts");
            assert_eq!(count.i64(0).expect("a count"), 1, "{:?}", t.engine());
            // Nothing in the data folder: no file vault, no SQLite file of its own.
            assert_eq!(
                std::fs::read_dir(dir.path()).expect("lists").count(),
                0,
                "{:?}",
                t.engine()
            );
            assert_eq!(calls.load(Ordering::SeqCst), 0);
        }
    }

    #[test]
    fn keyring_preference_uses_the_keychain_even_with_a_key_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let calls = AtomicUsize::new(0);
        let key = generate_key().expect("rng");
        let vault = choose(
            dir.path(),
            VaultPreference::Keyring,
            &env_of(&[(ENV_VAULT_KEY, &key)]),
            &working_keyring(&calls),
        )
        .expect("keyring");
        assert_eq!(
            vault.describe().reason,
            "LEDGERLINK_VAULT=keyring (LEDGERLINK_VAULT_KEY is set but not used)"
        );
        let err = choose(
            dir.path(),
            VaultPreference::Keyring,
            &env_of(&[]),
            &absent_keyring,
        )
        .err()
        .expect("no keychain");
        assert_eq!(
            err.to_string(),
            "the OS keychain could not be reached: no D-Bus session bus; on a server without a desktop session use the file vault: set LEDGERLINK_VAULT_KEY to the output of `ledgerlink vault init-key`"
        );
    }

    #[test]
    fn logs_name_the_vault_but_never_a_secret_or_the_key() {
        use std::sync::Mutex;
        #[derive(Clone, Default)]
        struct Capture(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Capture {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("capture").extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let dir = tempfile::tempdir().expect("tempdir");
        let vault_key = generate_key().expect("rng");
        let calls = AtomicUsize::new(0);
        keep_every_callsite_interesting();
        tracing::subscriber::with_default(subscriber, || {
            let vault = choose(
                dir.path(),
                VaultPreference::Auto,
                &env_of(&[(ENV_VAULT_KEY, &vault_key)]),
                &working_keyring(&calls),
            )
            .expect("file vault");
            let k = SecretKey::new("acme-xero", "client-secret").expect("valid");
            vault
                .set(&k, &Secret::new("cs-LOGCHECK-4711"))
                .expect("set");
            let got = vault.get(&k).expect("get").expect("present");
            tracing::info!(secret = ?got, "a careless caller logs the Secret");
            let wrong = generate_key().expect("rng");
            let _ = choose(
                dir.path(),
                VaultPreference::Auto,
                &env_of(&[(ENV_VAULT_KEY, &wrong)]),
                &working_keyring(&calls),
            );
        });
        let logs = String::from_utf8(capture.0.lock().expect("capture").clone()).expect("utf-8");
        assert!(logs.contains("credential vault selected"), "{logs}");
        assert!(logs.contains("LEDGERLINK_VAULT_KEY is set"), "{logs}");
        assert!(logs.contains("secret=[redacted]"), "{logs}");
        assert!(!logs.contains("LOGCHECK"), "{logs}");
        assert!(!logs.contains(&vault_key), "{logs}");
    }

    /// tracing caches whether a callsite is wanted once per process, computed on the thread
    /// that first reaches it: another test's thread reaching "credential vault selected"
    /// with no subscriber caches it as never wanted, and a scoped subscriber never sees it
    /// (re-asking with `rebuild_interest_cache` still loses to a later registration). A
    /// global subscriber that wants everything and keeps nothing holds every callsite open;
    /// each event still goes to its thread's own (scoped) subscriber.
    fn keep_every_callsite_interesting() {
        struct Keeper;
        impl tracing::Subscriber for Keeper {
            fn register_callsite(
                &self,
                _: &'static tracing::Metadata<'static>,
            ) -> tracing::subscriber::Interest {
                tracing::subscriber::Interest::always()
            }
            fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
                false
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, _: &tracing::Event<'_>) {}
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // Only this test sets a global subscriber; a second call is a no-op by `Once`.
            let _ = tracing::dispatcher::set_global_default(tracing::Dispatch::new(Keeper));
        });
    }

    /// The real keychain: where it answers, auto picks it; where it does not (a headless
    /// machine, CI), auto must refuse with the instructions, never silently fall back.
    #[test]
    fn auto_against_the_real_keychain() {
        let dir = tempfile::tempdir().expect("tempdir");
        match open_with_env(
            dir.path(),
            &sqlite_in(dir.path()),
            VaultPreference::Auto,
            &env_of(&[]),
        ) {
            Ok(vault) => {
                let info = vault.describe();
                assert_eq!(info.kind, VaultKind::Keyring);
                assert_eq!(
                    info.reason,
                    "no vault key is set and the OS keychain answered a probe"
                );
            }
            Err(err) => {
                let text = err.to_string();
                assert!(text.starts_with(NO_VAULT), "{text}");
                assert!(text.ends_with(NO_VAULT_TAIL), "{text}");
                #[cfg(target_os = "linux")]
                if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
                    && std::env::var_os("XDG_RUNTIME_DIR").is_none()
                {
                    assert!(
                        text.contains(
                            "the Secret Service cannot be reached over the D-Bus session bus: "
                        ),
                        "{text}"
                    );
                }
            }
        }
        assert!(!dir.path().join("vault").exists());
    }
}
