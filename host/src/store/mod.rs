//! Where ledgerlink keeps its data: the data folder and its layout.
//!
//! The folder is chosen by `--data-dir`, else `LEDGERLINK_DATA_DIR`, else the platform's data
//! folder (`~/.local/share/ledgerlink` on Linux). Inside it:
//!
//! - `plugins/`: connector plugins (`*.wasm`) an admin dropped in; each is checked and
//!   recorded like `ledgerlink plugins install` when a command first needs plugins by name;
//! - `components/<sha256>.wasm`: every component a connection is pinned to or an admin
//!   installed, by content, so replacing a file in `plugins/` changes no connection;
//! - `cache/components/`: compiled plugins, keyed by content hash and wasmtime version;
//! - `connections/<name>/files/`: each connection's own folder (the `files` import);
//! - `ledgerlink.db`: the SQLite database ([`db`] opens it, [`migrations`] holds every
//!   schema step; [`engine`] opens it or a PostgreSQL database by URL, and [`sql`] is the
//!   facade the ported modules — so far [`jobs`] — run the same SQL through on either): connections ([`connections`]) and their plugin components ([`plugins`]);
//!   the home book ([`home`]); the sync engine's state through the [`sync_state::SyncState`]
//!   handle, one module per concern — [`id_map`], [`plans`], [`runs`], [`outbox`],
//!   [`watermarks`], [`audit`], [`directory`] (what is known of each target) and
//!   [`reviews`] (customer review items); [`retention`] removes what is past its period;
//! - `locks/`: cross-process lock files (one per connection, for token refresh);
//! - `vault/`: the encrypted file vault, when the OS keychain is not used.

pub mod accounts;
pub mod advisory;
pub mod audit;
pub mod connections;
pub mod copy;
pub mod db;
pub mod directory;
pub mod engine;
pub mod home;
pub mod id_map;
pub mod jobs;
pub mod migrations;
pub mod outbox;
pub mod pacing;
pub mod plans;
pub mod plugins;
pub mod retention;
pub mod reviews;
pub mod runs;
pub mod schedules;
pub mod sql;
pub mod sync_state;
pub mod watermarks;

use std::path::{Path, PathBuf};

/// The data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

/// Why no data folder could be chosen.
#[derive(Debug, thiserror::Error)]
#[error(
    "no data folder could be determined (no home directory); pass --data-dir or set LEDGERLINK_DATA_DIR"
)]
pub struct NoDataDir;

impl DataDir {
    /// Use `root` as the data folder.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `explicit` if given (from `--data-dir` or `LEDGERLINK_DATA_DIR`), else the platform default.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, NoDataDir> {
        if let Some(p) = explicit {
            return Ok(Self::new(p));
        }
        directories::ProjectDirs::from("", "", "ledgerlink")
            .map(|d| Self::new(d.data_dir()))
            .ok_or(NoDataDir)
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Installed plugins.
    pub fn plugins(&self) -> PathBuf {
        self.root.join("plugins")
    }

    /// The content-addressed component store.
    pub fn components(&self) -> PathBuf {
        self.root.join("components")
    }

    /// The stored component with this SHA-256 (hex).
    pub fn component(&self, sha256: &str) -> PathBuf {
        self.components().join(format!("{sha256}.wasm"))
    }

    /// Compiled-component cache.
    pub fn component_cache(&self) -> PathBuf {
        self.root.join("cache").join("components")
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.root.join("ledgerlink.db")
    }

    /// Lock files.
    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// A connection's own folder.
    pub fn connection_files(&self, connection: &str) -> PathBuf {
        self.root.join("connections").join(connection).join("files")
    }
}
