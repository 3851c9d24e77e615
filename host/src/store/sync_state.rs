//! The sync engine's handle on the database: [`SyncState`] and its error.
//!
//! What the engine remembers is kept one concern per module, each adding its methods to
//! [`SyncState`] and owning its tables' SQL:
//!
//! - [`super::id_map`]: which home record is which remote record, with the fingerprints of
//!   both at the last sync;
//! - [`super::plans`]: stored compares;
//! - [`super::runs`]: runs and their per-record outcomes;
//! - [`super::outbox`]: the writes a push intends, sends and settles;
//! - [`super::watermarks`]: where the next delta transfer reads from;
//! - [`super::audit`]: the audit log;
//! - [`super::directory`] and [`super::reviews`]: what the host knows of each target, and
//!   the customer review items matching raised.
//!
//! The row types are re-exported here, where the engine has always named them.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::db::{self, DbError};

pub use super::id_map::MapEntry;
pub use super::outbox::{Intent, NewIntent, Settlement, WrittenDocument};
pub use super::runs::{Run, RunItem};

/// Errors of the sync state.
#[derive(Debug, thiserror::Error)]
pub enum SyncStateError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No such plan.
    #[error("there is no plan {0}; `ledgerlink compare` makes one")]
    NoPlan(i64),
    /// The plan's body was removed by retention.
    #[error("plan {0} was removed by retention (`ledgerlink purge`); compare again for a new plan")]
    PlanPurged(i64),
    /// No such run.
    #[error("there is no run {0}; `ledgerlink runs list` shows them")]
    NoRun(i64),
    /// A stored document did not parse.
    #[error("stored {what} {id} is unreadable: {reason}")]
    Corrupt {
        /// What.
        what: &'static str,
        /// Which.
        id: i64,
        /// Why.
        reason: String,
    },
}

impl From<rusqlite::Error> for SyncStateError {
    fn from(e: rusqlite::Error) -> Self {
        SyncStateError::Db(DbError::Query(e))
    }
}

/// Handle on the sync tables. Cheap to clone; safe to share between threads.
#[derive(Debug, Clone)]
pub struct SyncState {
    db: Arc<Mutex<rusqlite::Connection>>,
}

impl SyncState {
    /// Open in `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, SyncStateError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(db_path)?))))
    }

    /// Use a connection shared with the other stores (already opened by [`db::open`]), so
    /// one process holds one handle on the database.
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db }
    }

    /// Run `f` on the connection; the concern modules' methods all go through here.
    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<T, SyncStateError>,
    ) -> Result<T, SyncStateError> {
        // SQLite keeps its own consistency; a poisoned mutex only means a panic elsewhere.
        let mut guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}
