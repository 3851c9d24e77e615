//! The file vault's 256-bit key: making one, and reading it from `LEDGERLINK_VAULT_KEY` or
//! from the owner-only file named by `LEDGERLINK_VAULT_KEY_FILE`.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::{Zeroize, Zeroizing};

use super::VaultError;

/// Environment variable holding the vault key (base64 of 32 bytes).
pub const ENV_VAULT_KEY: &str = "LEDGERLINK_VAULT_KEY";
/// Environment variable naming a file (mode 0600 or stricter) that holds the vault key.
pub const ENV_VAULT_KEY_FILE: &str = "LEDGERLINK_VAULT_KEY_FILE";

/// Key length in bytes (XChaCha20-Poly1305 takes 256-bit keys).
const KEY_LEN: usize = 32;

/// Where a [`VaultKey`] came from; named in errors and in [`super::VaultInfo::reason`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `LEDGERLINK_VAULT_KEY`.
    Environment,
    /// The file named by `LEDGERLINK_VAULT_KEY_FILE`.
    File(PathBuf),
    /// Handed over by the program itself (tests, a future `vault rekey`).
    Supplied,
}

impl KeySource {
    /// How error messages name the key: "LEDGERLINK_VAULT_KEY", "the key in <path>
    /// (LEDGERLINK_VAULT_KEY_FILE)", "the supplied key".
    pub fn origin(&self) -> String {
        match self {
            KeySource::Environment => ENV_VAULT_KEY.to_owned(),
            KeySource::File(path) => {
                format!("the key in {} ({ENV_VAULT_KEY_FILE})", path.display())
            }
            KeySource::Supplied => "the supplied key".to_owned(),
        }
    }

    /// Why a vault with this key was chosen: "LEDGERLINK_VAULT_KEY is set", ...
    pub fn reason(&self) -> String {
        match self {
            KeySource::Environment => format!("{ENV_VAULT_KEY} is set"),
            KeySource::File(path) => format!("{ENV_VAULT_KEY_FILE} is set ({})", path.display()),
            KeySource::Supplied => "a key was supplied by the program".to_owned(),
        }
    }
}

/// The file vault's 256-bit key. Its `Debug` never shows the bytes; they are zeroized on drop.
pub struct VaultKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    source: KeySource,
}

impl VaultKey {
    /// Decodes base64 of 32 bytes (surrounding whitespace, such as a file's final newline, is
    /// ignored). The error names `source` and the problem, never the text itself.
    pub fn from_base64(text: &str, source: KeySource) -> Result<Self, VaultError> {
        let bad = |problem: String| VaultError::BadVaultKey {
            origin: match &source {
                KeySource::File(path) => format!("the key file {}", path.display()),
                other => other.origin(),
            },
            problem,
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(bad("it is empty".to_owned()));
        }
        let mut decoded = BASE64.decode(text).map_err(|_| {
            bad(format!(
                "it is not standard base64 ({} characters; a key is 44)",
                text.chars().count()
            ))
        })?;
        let result = if decoded.len() == KEY_LEN {
            let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
            bytes.copy_from_slice(&decoded);
            Ok(Self { bytes, source })
        } else {
            Err(bad(format!(
                "it decodes to {} bytes, not {KEY_LEN}",
                decoded.len()
            )))
        };
        decoded.zeroize();
        result
    }

    /// Reads the key from `path`, refusing (on Unix) a file that anyone but its owner may read
    /// or write, with the `chmod` that fixes it.
    pub fn from_file(path: &Path) -> Result<Self, VaultError> {
        let unreadable = |source| VaultError::KeyFileUnreadable {
            path: path.to_owned(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        if !metadata.is_file() {
            return Err(unreadable(std::io::Error::other(
                "it is not a regular file",
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(VaultError::KeyFilePermissions {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(unreadable)?);
        Self::from_base64(&text, KeySource::File(path.to_owned()))
    }

    /// The key configured in the environment, read through `env`: `LEDGERLINK_VAULT_KEY`, or
    /// the file named by `LEDGERLINK_VAULT_KEY_FILE`; `None` if neither is set (an empty value
    /// counts as unset, as CI systems expand a missing secret to ""). Setting both is an error.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, VaultError> {
        let non_empty = |name| env(name).filter(|v: &String| !v.trim().is_empty());
        let inline = non_empty(ENV_VAULT_KEY).map(Zeroizing::new);
        let file = non_empty(ENV_VAULT_KEY_FILE);
        match (inline, file) {
            (Some(_), Some(_)) => Err(VaultError::KeyConflict),
            (Some(text), None) => Self::from_base64(&text, KeySource::Environment).map(Some),
            (None, Some(path)) => Self::from_file(Path::new(path.trim())).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// Where the key came from.
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    pub(super) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultKey")
            .field("source", &self.source)
            .field("bytes", &super::REDACTED)
            .finish()
    }
}

/// A new vault key: base64 of 32 bytes from the operating system's random number generator,
/// for `ledgerlink vault init-key`.
pub fn generate_key() -> Result<String, VaultError> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|err| VaultError::Random {
        detail: err.to_string(),
    })?;
    Ok(BASE64.encode(bytes.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[cfg(unix)]
    fn write_key_file(dir: &Path, mode: u32, contents: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("vault.key");
        // Remove first: a 0400 file from an earlier step cannot be overwritten by its owner.
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, contents).expect("write key file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[test]
    fn generated_keys_are_44_chars_of_base64_and_differ() {
        let a = generate_key().expect("rng");
        let b = generate_key().expect("rng");
        assert_eq!(a.len(), 44);
        assert_ne!(a, b);
        let key = VaultKey::from_base64(&a, KeySource::Supplied).expect("valid");
        assert_eq!(BASE64.encode(key.bytes()), a);
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let text = generate_key().expect("rng");
        let key = VaultKey::from_base64(&text, KeySource::Environment).expect("valid");
        let debug = format!("{key:?}");
        assert_eq!(
            debug,
            "VaultKey { source: Environment, bytes: \"[redacted]\" }"
        );
        assert!(!debug.contains(&text));
    }

    #[test]
    fn malformed_keys_are_refused_without_echoing_them() {
        let err = VaultKey::from_base64("not base64 at all!", KeySource::Environment)
            .expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            "LEDGERLINK_VAULT_KEY does not hold a vault key: it is not standard base64 (18 characters; a key is 44); set it to the output of `ledgerlink vault init-key` (base64 of 32 random bytes)"
        );
        let short = BASE64.encode([7u8; 16]);
        let err =
            VaultKey::from_base64(&short, KeySource::Environment).expect_err("must be refused");
        assert_eq!(
            err.to_string(),
            "LEDGERLINK_VAULT_KEY does not hold a vault key: it decodes to 16 bytes, not 32; set it to the output of `ledgerlink vault init-key` (base64 of 32 random bytes)"
        );
        assert!(!err.to_string().contains(&short));
    }

    #[test]
    fn env_lookup_handles_unset_empty_and_conflicting_settings() {
        assert!(
            VaultKey::from_env(&env_of(&[]))
                .expect("nothing set is fine")
                .is_none()
        );
        assert!(
            VaultKey::from_env(&env_of(&[(ENV_VAULT_KEY, ""), (ENV_VAULT_KEY_FILE, " ")]))
                .expect("empty counts as unset")
                .is_none()
        );
        let key = generate_key().expect("rng");
        let found = VaultKey::from_env(&env_of(&[(ENV_VAULT_KEY, &format!("{key}\n"))]))
            .expect("valid")
            .expect("set");
        assert_eq!(found.source(), &KeySource::Environment);
        let err = VaultKey::from_env(&env_of(&[
            (ENV_VAULT_KEY, &key),
            (ENV_VAULT_KEY_FILE, "/etc/ledgerlink/vault.key"),
        ]))
        .expect_err("both set is ambiguous");
        assert_eq!(
            err.to_string(),
            "both LEDGERLINK_VAULT_KEY and LEDGERLINK_VAULT_KEY_FILE are set; unset one of them so that it is clear which key opens the vault"
        );
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_is_refused_with_the_chmod_to_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_key_file(dir.path(), 0o644, &generate_key().expect("rng"));
        let err = VaultKey::from_file(&path).expect_err("0644 must be refused");
        assert_eq!(
            err.to_string(),
            format!(
                "the vault key file {0} has permissions 0644, so other users may read it; run `chmod 600 {0}` and try again",
                path.display()
            )
        );
        let path = write_key_file(dir.path(), 0o640, &generate_key().expect("rng"));
        assert!(matches!(
            VaultKey::from_file(&path),
            Err(VaultError::KeyFilePermissions { mode: 0o640, .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn key_file_0600_or_0400_is_accepted_through_the_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = generate_key().expect("rng");
        for mode in [0o600, 0o400] {
            let path = write_key_file(dir.path(), mode, &format!("{text}\n"));
            let env = env_of(&[(ENV_VAULT_KEY_FILE, path.to_str().expect("utf-8 path"))]);
            let key = VaultKey::from_env(&env).expect("accepted").expect("set");
            assert_eq!(BASE64.encode(key.bytes()), text);
            assert_eq!(key.source(), &KeySource::File(path.clone()));
            assert_eq!(
                key.source().reason(),
                format!("LEDGERLINK_VAULT_KEY_FILE is set ({})", path.display())
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn key_file_with_garbage_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_key_file(dir.path(), 0o600, "hunter2\n");
        let err = VaultKey::from_file(&path).expect_err("garbage");
        assert_eq!(
            err.to_string(),
            format!(
                "the key file {} does not hold a vault key: it is not standard base64 (7 characters; a key is 44); set it to the output of `ledgerlink vault init-key` (base64 of 32 random bytes)",
                path.display()
            )
        );
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn missing_key_file_says_which_variable_points_at_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("absent.key");
        let err = VaultKey::from_file(&path).expect_err("missing");
        assert!(
            err.to_string().starts_with(&format!(
                "cannot read the vault key file {} (from LEDGERLINK_VAULT_KEY_FILE): ",
                path.display()
            )),
            "{err}"
        );
    }
}
