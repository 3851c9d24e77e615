//! The encrypted file vault: `<data-dir>/vault/secrets.json`, for servers and CI where no OS
//! keychain can be reached.
//!
//! Every value is sealed (see `sealing.rs`) before it reaches the disk. Writers take an
//! exclusive lock on `secrets.lock`, re-read the file, change one entry and replace the file
//! atomically, so concurrent writers in several threads or processes never lose each other's
//! entries; readers take a shared lock so they never see a half-replaced file on platforms
//! where rename is not atomic for readers. A key that does not open the file is refused
//! before anything is written.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::atomic_file::replace_private;
use super::file_format::VaultDocument;
use super::sealing::Sealer;
use super::{Secret, SecretKey, Vault, VaultError, VaultInfo, VaultKey, VaultKind};

/// The vault's folder inside the data folder.
const VAULT_DIR: &str = "vault";
/// The vault file inside [`VAULT_DIR`].
const FILE_NAME: &str = "secrets.json";
/// The lock file beside it. A separate file, because the vault file is replaced by rename
/// and a lock on a replaced file would protect nothing.
const LOCK_NAME: &str = "secrets.lock";

/// A [`Vault`] in one encrypted file, `<data-dir>/vault/secrets.json`.
pub struct FileVault {
    path: PathBuf,
    lock_path: PathBuf,
    sealer: Sealer,
    /// How errors name the key, e.g. "LEDGERLINK_VAULT_KEY".
    key_origin: String,
    reason: String,
}

#[derive(Clone, Copy)]
enum Lock {
    Shared,
    Exclusive,
}

impl FileVault {
    /// Opens the vault in `<data_dir>/vault/` with `key`, creating the folder (mode 0700 on
    /// Unix) if needed. If the vault file exists, `key` must open it
    /// ([`VaultError::WrongKey`] otherwise), so a wrong key is reported at startup rather than
    /// at the first token refresh. `reason` is why this vault was chosen, for
    /// [`Vault::describe`].
    pub fn open(
        data_dir: &Path,
        key: &VaultKey,
        reason: impl Into<String>,
    ) -> Result<Self, VaultError> {
        let dir = data_dir.join(VAULT_DIR);
        create_private_dir(data_dir, &dir)?;
        let vault = Self {
            path: dir.join(FILE_NAME),
            lock_path: dir.join(LOCK_NAME),
            sealer: Sealer::new(key),
            key_origin: key.source().origin(),
            reason: reason.into(),
        };
        let _lock = vault.lock(Lock::Shared)?;
        vault.load()?;
        Ok(vault)
    }

    /// The vault file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Re-seal every entry and the key check under `new` and replace the file once
    /// (atomically, under the exclusive lock): every entry moves to the new key or none
    /// does. Returns how many entries were re-sealed. A vault with no file yet is given
    /// one under `new`, so the next process with the old key is refused at once.
    pub fn rotate_key(&self, new: &VaultKey) -> Result<usize, VaultError> {
        let next = Sealer::new(new);
        if next.verify_key_check(&self.sealer.seal_key_check()?) {
            return Err(VaultError::SameKey);
        }
        let _lock = self.lock(Lock::Exclusive)?;
        let old = self.load()?;
        let mut doc = VaultDocument::new(&next.seal_key_check()?);
        let mut count = 0;
        if let Some(old) = old {
            for name in old.entry_names() {
                let Some(sealed) = old.entry(&self.path, &name)? else {
                    continue;
                };
                let plain = self.sealer.open_entry(&name, &sealed).ok_or_else(|| {
                    VaultError::EntryTampered {
                        path: self.path.clone(),
                        key: name.clone(),
                    }
                })?;
                let resealed = next.seal_entry(&name, &plain)?;
                doc.insert(name, &resealed);
                count += 1;
            }
        }
        self.store(&doc)?;
        Ok(count)
    }

    /// Takes the lock; it is released when the returned file is dropped.
    fn lock(&self, mode: Lock) -> Result<File, VaultError> {
        let io = |action| {
            let path = self.lock_path.clone();
            move |source| VaultError::Io {
                action,
                path,
                source,
            }
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&self.lock_path)
            .map_err(io("open the lock file"))?;
        // Called through the trait: std's inherent `File::lock` would otherwise shadow fs4's.
        match mode {
            Lock::Shared => fs4::FileExt::lock_shared(&file),
            Lock::Exclusive => fs4::FileExt::lock(&file),
        }
        .map_err(io("lock"))?;
        Ok(file)
    }

    /// Reads and parses the vault file and proves the key opens it; `None` if there is no
    /// file yet. The caller holds a lock.
    fn load(&self) -> Result<Option<VaultDocument>, VaultError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(VaultError::Io {
                    action: "read the vault file",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let doc = VaultDocument::parse(&self.path, &bytes)?;
        if !self.sealer.verify_key_check(&doc.key_check(&self.path)?) {
            return Err(VaultError::WrongKey {
                path: self.path.clone(),
                origin: self.key_origin.clone(),
            });
        }
        Ok(Some(doc))
    }

    /// Replaces the vault file with `doc`. The caller holds the exclusive lock.
    fn store(&self, doc: &VaultDocument) -> Result<(), VaultError> {
        let bytes = doc.to_bytes().map_err(|err| VaultError::Io {
            action: "serialize the vault for",
            path: self.path.clone(),
            source: err.into(),
        })?;
        replace_private(&self.path, &bytes)
    }
}

impl Vault for FileVault {
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, VaultError> {
        let _lock = self.lock(Lock::Shared)?;
        let Some(doc) = self.load()? else {
            return Ok(None);
        };
        let name = key.to_string();
        let Some(sealed) = doc.entry(&self.path, &name)? else {
            return Ok(None);
        };
        let plain =
            self.sealer
                .open_entry(&name, &sealed)
                .ok_or_else(|| VaultError::EntryTampered {
                    path: self.path.clone(),
                    key: name.clone(),
                })?;
        Secret::from_plaintext(plain, name, || self.path.display().to_string()).map(Some)
    }

    fn set(&self, key: &SecretKey, value: &Secret) -> Result<(), VaultError> {
        let _lock = self.lock(Lock::Exclusive)?;
        let mut doc = match self.load()? {
            Some(doc) => doc,
            None => VaultDocument::new(&self.sealer.seal_key_check()?),
        };
        let name = key.to_string();
        let sealed = self.sealer.seal_entry(&name, value.expose().as_bytes())?;
        doc.insert(name, &sealed);
        self.store(&doc)
    }

    fn delete(&self, key: &SecretKey) -> Result<(), VaultError> {
        let _lock = self.lock(Lock::Exclusive)?;
        let Some(mut doc) = self.load()? else {
            return Ok(());
        };
        if doc.remove(&key.to_string()) {
            self.store(&doc)?;
        }
        Ok(())
    }

    fn rotate_key(&self, new: &VaultKey) -> Result<usize, VaultError> {
        FileVault::rotate_key(self, new)
    }

    fn describe(&self) -> VaultInfo {
        VaultInfo {
            kind: VaultKind::File,
            location: self.path.display().to_string(),
            reason: self.reason.clone(),
        }
    }
}

/// Creates the data folder if needed, and the vault folder inside it readable by the owner
/// only (on Unix; an existing folder is left as it is).
fn create_private_dir(data_dir: &Path, dir: &Path) -> Result<(), VaultError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| VaultError::Io {
            action: "create the folder",
            path,
            source,
        }
    };
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(err) => Err(io(dir)(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::vault::KeySource;
    use crate::auth::vault::generate_key;

    fn new_key() -> VaultKey {
        VaultKey::from_base64(&generate_key().expect("rng"), KeySource::Environment)
            .expect("valid key")
    }

    fn key(connection: &str, item: &str) -> SecretKey {
        SecretKey::new(connection, item).expect("valid key")
    }

    fn open(dir: &Path, vault_key: &VaultKey) -> FileVault {
        FileVault::open(dir, vault_key, "LEDGERLINK_VAULT_KEY is set").expect("open")
    }

    #[test]
    fn round_trip_overwrite_and_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let k = new_key();
        let vault = open(dir.path(), &k);
        let tokens = key("acme-xero", "tokens");
        assert_eq!(vault.get(&tokens).expect("get"), None, "no file yet");
        vault
            .set(&tokens, &Secret::new("{\"refresh\":\"r1\"}"))
            .expect("set");
        vault
            .set(&key("acme-xero", "client-secret"), &Secret::new("cs"))
            .expect("set");
        assert_eq!(
            vault.get(&tokens).expect("get").expect("present").expose(),
            "{\"refresh\":\"r1\"}"
        );
        vault
            .set(&tokens, &Secret::new("{\"refresh\":\"r2\"}"))
            .expect("set");
        // A second instance (as another process would) sees the same entries.
        let again = open(dir.path(), &k);
        assert_eq!(
            again.get(&tokens).expect("get").expect("present").expose(),
            "{\"refresh\":\"r2\"}"
        );
        assert_eq!(
            again
                .get(&key("acme-xero", "client-secret"))
                .expect("get")
                .expect("present")
                .expose(),
            "cs"
        );
        assert_eq!(
            again.get(&key("ordertrac-1", "api-key")).expect("get"),
            None
        );
        assert_eq!(
            vault.describe().to_string(),
            format!(
                "file vault at {}: LEDGERLINK_VAULT_KEY is set",
                dir.path().join("vault").join("secrets.json").display()
            )
        );
    }

    #[test]
    fn the_file_on_disk_holds_no_plaintext() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = open(dir.path(), &new_key());
        let value = "refresh-token-7f3a9c-PLAINTEXT-MARKER";
        vault
            .set(&key("acme-xero", "tokens"), &Secret::new(value))
            .expect("set");
        let bytes = std::fs::read(vault.path()).expect("read");
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!contains(value.as_bytes()));
        assert!(!contains(b"PLAINTEXT-MARKER"));
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(value);
        assert!(!contains(encoded.as_bytes()));
        // The entry name is visible (it is not secret); the value is not.
        assert!(contains(b"\"acme-xero/tokens\""));
        assert!(!dir.path().join("vault/secrets.json.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_vault_folder_and_file_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = open(dir.path(), &new_key());
        vault.set(&key("a", "b"), &Secret::new("v")).expect("set");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("vault")), 0o700);
        assert_eq!(mode(vault.path()), 0o600);
        assert_eq!(mode(&dir.path().join("vault/secrets.lock")), 0o600);
    }

    #[test]
    fn a_wrong_key_is_refused_and_the_file_is_left_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let right = new_key();
        let wrong = new_key();
        // Opened before the file exists, so `open` cannot catch the mismatch yet.
        let early = open(dir.path(), &wrong);
        let vault = open(dir.path(), &right);
        vault
            .set(&key("acme-xero", "tokens"), &Secret::new("t"))
            .expect("set");
        let before = std::fs::read(vault.path()).expect("read");
        let expected = format!(
            "the vault key does not decrypt {}: LEDGERLINK_VAULT_KEY is not the key this vault was created with; set the original key (the file was left unchanged)",
            vault.path().display()
        );

        let err = FileVault::open(dir.path(), &wrong, "x")
            .err()
            .expect("wrong key");
        assert_eq!(err.to_string(), expected);
        let err = early
            .set(&key("acme-xero", "tokens"), &Secret::new("evil"))
            .expect_err("wrong key");
        assert_eq!(err.to_string(), expected);
        let err = early
            .delete(&key("acme-xero", "tokens"))
            .expect_err("wrong key");
        assert_eq!(err.to_string(), expected);
        let err = early
            .get(&key("acme-xero", "tokens"))
            .expect_err("wrong key");
        assert_eq!(err.to_string(), expected);

        assert_eq!(std::fs::read(vault.path()).expect("read"), before);
        assert_eq!(
            vault
                .get(&key("acme-xero", "tokens"))
                .expect("get")
                .expect("present")
                .expose(),
            "t"
        );
    }

    #[test]
    fn swapped_ciphertexts_do_not_decrypt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = open(dir.path(), &new_key());
        vault
            .set(&key("acme-xero", "tokens"), &Secret::new("xero-tokens"))
            .expect("set");
        vault
            .set(&key("ordertrac-1", "api-key"), &Secret::new("ot-key"))
            .expect("set");

        let text = std::fs::read_to_string(vault.path()).expect("read");
        let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let entries = json["entries"].as_object_mut().expect("entries");
        let a = entries["acme-xero/tokens"].clone();
        let b = entries["ordertrac-1/api-key"].clone();
        entries.insert("acme-xero/tokens".into(), b);
        entries.insert("ordertrac-1/api-key".into(), a);
        std::fs::write(vault.path(), serde_json::to_vec(&json).expect("json")).expect("write");

        let err = vault.get(&key("acme-xero", "tokens")).expect_err("swapped");
        assert_eq!(
            err.to_string(),
            format!(
                "the entry acme-xero/tokens in {} does not decrypt although the vault key is right: the file was modified or entries were swapped; restore the file from a backup or set this secret again",
                vault.path().display()
            )
        );
        assert!(matches!(
            vault.get(&key("ordertrac-1", "api-key")),
            Err(VaultError::EntryTampered { .. })
        ));
        // Setting the secret again repairs the entry.
        vault
            .set(&key("acme-xero", "tokens"), &Secret::new("fresh"))
            .expect("set");
        assert_eq!(
            vault
                .get(&key("acme-xero", "tokens"))
                .expect("get")
                .expect("present")
                .expose(),
            "fresh"
        );
    }

    #[test]
    fn delete_removes_one_entry_and_missing_entries_are_fine() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = open(dir.path(), &new_key());
        vault
            .delete(&key("acme-xero", "tokens"))
            .expect("no file yet is fine");
        assert!(!vault.path().exists(), "a delete must not create the file");
        vault
            .set(&key("acme-xero", "tokens"), &Secret::new("t"))
            .expect("set");
        vault
            .set(&key("acme-xero", "client-secret"), &Secret::new("c"))
            .expect("set");
        vault.delete(&key("acme-xero", "tokens")).expect("delete");
        vault.delete(&key("acme-xero", "tokens")).expect("again");
        assert_eq!(vault.get(&key("acme-xero", "tokens")).expect("get"), None);
        assert_eq!(
            vault
                .get(&key("acme-xero", "client-secret"))
                .expect("get")
                .expect("present")
                .expose(),
            "c"
        );
        let text = std::fs::read_to_string(vault.path()).expect("read");
        assert!(!text.contains("acme-xero/tokens"));
    }

    #[test]
    fn concurrent_writers_in_threads_lose_no_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = generate_key().expect("rng");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let dir = dir.path().to_owned();
                let text = text.clone();
                std::thread::spawn(move || {
                    let k = VaultKey::from_base64(&text, KeySource::Environment).expect("key");
                    // One instance per thread, as separate processes would have.
                    let vault = open(&dir, &k);
                    for i in 0..10 {
                        vault
                            .set(
                                &key(&format!("conn-{t}"), &format!("item-{i}")),
                                &Secret::new(format!("v{t}-{i}")),
                            )
                            .expect("set");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("writer thread");
        }
        let vault = open(
            dir.path(),
            &VaultKey::from_base64(&text, KeySource::Environment).expect("key"),
        );
        for t in 0..8 {
            for i in 0..10 {
                let got = vault
                    .get(&key(&format!("conn-{t}"), &format!("item-{i}")))
                    .expect("get");
                assert_eq!(
                    got.as_ref().map(Secret::expose),
                    Some(format!("v{t}-{i}").as_str())
                );
            }
        }
    }

    const CHILD_ENV: &str = "LEDGERLINK_VAULT_TEST_CHILD";
    const CHILD_TEST: &str = "auth::vault::file_vault::tests::child_process_writer";

    #[test]
    fn concurrent_writer_processes_lose_no_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = generate_key().expect("rng");
        let exe = std::env::current_exe().expect("test binary");
        let children: Vec<_> = (0..4)
            .map(|p| {
                std::process::Command::new(&exe)
                    .args([
                        CHILD_TEST,
                        "--exact",
                        "--ignored",
                        "--test-threads=1",
                        "--quiet",
                    ])
                    .env(CHILD_ENV, format!("{}\n{text}\n{p}", dir.path().display()))
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn child")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("child");
            assert!(
                out.status.success(),
                "child failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("1 passed"),
                "child ran its test"
            );
        }
        let vault = open(
            dir.path(),
            &VaultKey::from_base64(&text, KeySource::Environment).expect("key"),
        );
        for p in 0..4 {
            for i in 0..15 {
                let got = vault
                    .get(&key(&format!("proc-{p}"), &format!("item-{i}")))
                    .expect("get");
                assert_eq!(
                    got.as_ref().map(Secret::expose),
                    Some(format!("p{p}-{i}").as_str())
                );
            }
        }
    }

    /// Run only as a child of `concurrent_writer_processes_lose_no_entry`.
    #[test]
    #[ignore = "helper process for concurrent_writer_processes_lose_no_entry"]
    fn child_process_writer() {
        let spec =
            std::env::var(CHILD_ENV).expect("run by concurrent_writer_processes_lose_no_entry");
        let mut parts = spec.split('\n');
        let (Some(dir), Some(text), Some(p)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("bad {CHILD_ENV}");
        };
        let k = VaultKey::from_base64(text, KeySource::Environment).expect("key");
        let vault = open(Path::new(dir), &k);
        for i in 0..15 {
            vault
                .set(
                    &key(&format!("proc-{p}"), &format!("item-{i}")),
                    &Secret::new(format!("p{p}-{i}")),
                )
                .expect("set");
        }
    }

    #[test]
    fn rotating_the_key_reseals_every_entry_and_the_old_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let old = new_key();
        let vault = open(dir.path(), &old);
        vault
            .set(&key("acme-xero", "tokens"), &Secret::new("t-acme"))
            .expect("set");
        vault
            .set(&key("kea-qbo", "client-secret"), &Secret::new("cs-kea"))
            .expect("set");
        let before = std::fs::read(vault.path()).expect("read");
        let new = new_key();
        assert_eq!(vault.rotate_key(&new).expect("rotates"), 2);
        assert_ne!(std::fs::read(vault.path()).expect("read"), before);
        let rotated = open(dir.path(), &new);
        assert_eq!(
            rotated
                .get(&key("kea-qbo", "client-secret"))
                .expect("get")
                .expect("present")
                .expose(),
            "cs-kea"
        );
        let err = FileVault::open(dir.path(), &old, "test")
            .err()
            .expect("old key refused");
        assert!(matches!(err, VaultError::WrongKey { .. }), "{err}");
        assert!(matches!(
            rotated.rotate_key(
                &VaultKey::from_base64(
                    &base64::Engine::encode(
                        &base64::engine::general_purpose::STANDARD,
                        new.bytes()
                    ),
                    KeySource::Supplied
                )
                .expect("valid")
            ),
            Err(VaultError::SameKey)
        ));
    }
}
