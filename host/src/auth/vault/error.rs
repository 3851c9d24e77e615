//! The one error type of the vault. Every message says what failed, where, and what to do;
//! none ever contains a secret value or a vault key (only names, paths and lengths).

use std::path::PathBuf;

use super::master_key::{ENV_VAULT_KEY, ENV_VAULT_KEY_FILE};
use super::select::ENV_VAULT;

/// Why a vault operation or the choice of a vault failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A connection or item name is not a valid part of a [`super::SecretKey`].
    #[error(
        "invalid {part} {value:?}: {problem}; use 1 to 64 characters from a-z, 0-9, '.', '_' and '-'"
    )]
    InvalidKeyPart {
        /// "connection name" or "item name".
        part: &'static str,
        /// The rejected name (names are not secret).
        value: String,
        /// What is wrong with it.
        problem: String,
    },

    /// `LEDGERLINK_VAULT` holds something other than auto, keyring, file or database.
    #[error("{ENV_VAULT}={value:?} is not a vault choice; use auto, keyring, file or database")]
    InvalidPreference {
        /// The rejected value.
        value: String,
    },

    /// Both ways of giving the file vault its key are set.
    #[error(
        "both {ENV_VAULT_KEY} and {ENV_VAULT_KEY_FILE} are set; unset one of them so that it is clear which key opens the vault"
    )]
    KeyConflict,

    /// `LEDGERLINK_VAULT=file` but no key was given.
    #[error(
        "{ENV_VAULT}=file but no vault key is set; set {ENV_VAULT_KEY} to the output of `ledgerlink vault init-key`, or {ENV_VAULT_KEY_FILE} to a 0600 file holding it"
    )]
    NoVaultKey,

    /// `LEDGERLINK_VAULT=database` but no key was given.
    #[error(
        "{ENV_VAULT}=database but no vault key is set; give every ledgerlink process sharing the database the same key: {ENV_VAULT_KEY} set to the output of `ledgerlink vault init-key`, or {ENV_VAULT_KEY_FILE} naming a 0600 file holding it"
    )]
    NoDatabaseVaultKey,

    /// `LEDGERLINK_VAULT=database`, but the caller has not opened the store's database.
    #[error(
        "{ENV_VAULT}=database keeps the vault in the store's database, which is not open here; fix the database first (`ledgerlink doctor` says what is wrong with it)"
    )]
    DatabaseNotOpen,

    /// The key material is not base64 of 32 bytes.
    #[error(
        "{origin} does not hold a vault key: {problem}; set it to the output of `ledgerlink vault init-key` (base64 of 32 random bytes)"
    )]
    BadVaultKey {
        /// Where the key came from, e.g. "LEDGERLINK_VAULT_KEY" or "the vault key file /etc/x".
        origin: String,
        /// What is wrong with it (never the value).
        problem: String,
    },

    /// The key file could not be read.
    #[error(
        "cannot read the vault key file {path} (from {ENV_VAULT_KEY_FILE}): {source}; point {ENV_VAULT_KEY_FILE} at a readable file holding the key"
    )]
    KeyFileUnreadable {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The key file can be read by users other than its owner.
    #[error(
        "the vault key file {path} has permissions {mode:04o}, so other users may read it; run `chmod 600 {path}` and try again"
    )]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The configured key is not the key the vault file was created with.
    #[error(
        "the vault key does not decrypt {path}: {origin} is not the key this vault was created with; set the original key (the file was left unchanged)"
    )]
    WrongKey {
        /// The vault file.
        path: PathBuf,
        /// Where the key came from, e.g. "LEDGERLINK_VAULT_KEY".
        origin: String,
    },

    /// The key is right but one entry does not authenticate: the file was edited, or
    /// ciphertexts were moved between entries.
    #[error(
        "the entry {key} in {path} does not decrypt although the vault key is right: the file was modified or entries were swapped; restore the file from a backup or set this secret again"
    )]
    EntryTampered {
        /// The vault file.
        path: PathBuf,
        /// The entry, as "connection/item".
        key: String,
    },

    /// The configured key is not the key the database vault was sealed with.
    #[error(
        "the vault key does not decrypt the vault in the database {database}: {origin} is not the key its entries were sealed with; give every ledgerlink process the fleet's vault key (nothing was changed)"
    )]
    DatabaseWrongKey {
        /// user@host:port/database, or the SQLite file.
        database: String,
        /// Where the key came from, e.g. "LEDGERLINK_VAULT_KEY".
        origin: String,
    },

    /// The key is right but one entry in the database does not authenticate.
    #[error(
        "the entry {key} in the vault in the database {database} does not decrypt although the vault key is right: its row was modified or moved from another entry; set this secret again"
    )]
    DatabaseEntryTampered {
        /// user@host:port/database, or the SQLite file.
        database: String,
        /// The entry, as "connection/item".
        key: String,
    },

    /// The database holding the vault failed.
    #[error("the vault in the database {database} could not be used: {detail}")]
    Database {
        /// user@host:port/database, or the SQLite file.
        database: String,
        /// The database's error (never a password: see `store::sql`).
        detail: String,
    },

    /// `vault rotate-key` was given the key already in use.
    #[error(
        "the new vault key is the key already in use; make one with `ledgerlink vault init-key`"
    )]
    SameKey,

    /// `vault rotate-key` on a vault that has no key of ledgerlink's.
    #[error(
        "the {kind} vault has no ledgerlink key to rotate (the OS keychain protects its own entries); rotate-key works on the file vault and the vault in the database"
    )]
    NothingToRotate {
        /// "keyring" or "memory".
        kind: &'static str,
    },

    /// The vault file is not a vault this version can read.
    #[error(
        "{path} is not a readable ledgerlink vault ({detail}); restore it from a backup, or move it away to start an empty vault"
    )]
    CorruptFile {
        /// The vault file.
        path: PathBuf,
        /// What could not be read (never secret: the file holds only ciphertext).
        detail: String,
    },

    /// A decrypted or stored secret is not UTF-8 text.
    #[error("the secret {key} in {location} is not UTF-8 text; set it again")]
    NotText {
        /// The entry, as "connection/item".
        key: String,
        /// The vault it is in.
        location: String,
    },

    /// A file system operation on the vault failed.
    #[error(
        "cannot {action} {path}: {source}; check that the data folder is writable by this user"
    )]
    Io {
        /// What was being done, e.g. "write the vault file".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// Encryption itself failed (only possible for absurdly large values).
    #[error("cannot encrypt the secret {key}: the value is too large")]
    Encrypt {
        /// The entry, as "connection/item".
        key: String,
    },

    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {detail}")]
    Random {
        /// The getrandom error.
        detail: String,
    },

    /// The OS keychain cannot be used at all.
    #[error(
        "the OS keychain could not be reached: {detail}; on a server without a desktop session use the file vault: set {ENV_VAULT_KEY} to the output of `ledgerlink vault init-key`"
    )]
    KeyringUnavailable {
        /// Why (the platform's own error text, or a timeout).
        detail: String,
    },

    /// The OS keychain was reached but refused one operation.
    #[error(
        "the OS keychain failed to {action} {key}: {detail}; check that the keychain is unlocked"
    )]
    Keyring {
        /// "read", "store" or "delete".
        action: &'static str,
        /// The entry, as "connection/item".
        key: String,
        /// The platform's error text.
        detail: String,
    },

    /// Automatic selection found neither a keychain nor a vault key.
    #[error(
        "no secure vault is available: no OS keychain could be reached ({keyring_reason}) and no vault key is set; set {ENV_VAULT_KEY} to the output of `ledgerlink vault init-key`, or {ENV_VAULT_KEY_FILE} to a 0600 file holding it"
    )]
    NoVaultAvailable {
        /// Why the keychain probe failed.
        keyring_reason: String,
    },
}
