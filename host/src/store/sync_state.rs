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
//!
//! The handle holds a [`Db`] (docs/architecture.md, "Store engines"): over the SQLite
//! connection the other stores share ([`SyncState::from_shared`]) or any engine
//! ([`SyncState::from_db`]). The modules ported to [`super::sql`] run the same SQL on both.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::db::{self, DbError};
use super::sql::{self, Db, Tx};

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
    /// An operation not yet ported to the engine-neutral store ran on PostgreSQL.
    #[error("{0} is not available on PostgreSQL yet (issue 21); run it on a SQLite database")]
    SqliteOnly(&'static str),
}

impl From<rusqlite::Error> for SyncStateError {
    fn from(e: rusqlite::Error) -> Self {
        SyncStateError::Db(DbError::Query(e))
    }
}

impl From<sql::Error> for SyncStateError {
    fn from(e: sql::Error) -> Self {
        SyncStateError::Db(DbError::Sql(e))
    }
}

/// Handle on the sync tables. Cheap to clone; safe to share between threads.
#[derive(Debug, Clone)]
pub struct SyncState {
    db: Db,
}

impl SyncState {
    /// Open in `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, SyncStateError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(db_path)?))))
    }

    /// Use a connection shared with the other stores (already opened by [`db::open`]), so
    /// one process holds one handle on the database.
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db: Db::sqlite(db) }
    }

    /// Over a database on either engine ([`super::engine::open`]).
    pub fn from_db(db: Db) -> Self {
        Self { db }
    }

    /// The database; the concern modules run their single statements on it.
    pub(super) fn db(&self) -> &Db {
        &self.db
    }

    /// Run `f` in one transaction on either engine: committed when it returns `Ok`, rolled
    /// back when it returns `Err` or panics.
    pub(super) fn transaction<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, SyncStateError>,
    ) -> Result<T, SyncStateError> {
        self.db.transaction(f)
    }

    /// Every row of one query, each read by `row`.
    pub(super) fn query_all<T>(
        &self,
        sql: &str,
        params: &[sql::Value],
        row: impl Fn(&sql::Row) -> Result<T, sql::Error>,
    ) -> Result<Vec<T>, SyncStateError> {
        let rows = self.db.query(sql, params)?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// `column` for an `ORDER BY` that sorts text byte by byte on either engine, as SQLite
    /// does; PostgreSQL would otherwise follow the database's collation.
    pub(super) fn bytewise(&self, column: &str) -> String {
        match self.db.engine() {
            sql::Engine::Sqlite => column.to_owned(),
            sql::Engine::Postgres => format!("{column} COLLATE \"C\""),
        }
    }

    /// Run `f` on the SQLite connection itself: only for [`super::plans`]' incremental blob
    /// I/O, which only SQLite has (on PostgreSQL a plan's body is one text value, and
    /// `plans` branches before calling this). Everything else runs on [`SyncState::db`]. On
    /// PostgreSQL, [`SyncStateError::SqliteOnly`].
    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<T, SyncStateError>,
    ) -> Result<T, SyncStateError> {
        match self.db.sqlite_connection() {
            Some(shared) => {
                // SQLite keeps its own consistency; a poisoned mutex only means a panic
                // elsewhere.
                let mut guard = shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut guard)
            }
            None => Err(SyncStateError::SqliteOnly("a plan's incremental blob I/O")),
        }
    }
}

/// Sync states for the concern modules' tests: SQLite always, PostgreSQL when the test
/// cluster is set ([`super::sql::testing`]).
#[cfg(test)]
pub(super) mod testing {
    use super::SyncState;
    use crate::store::engine::{self, DatabaseUrl};
    use crate::store::sql::testing;

    /// What keeps a test's database alive until the test ends: its folder, or its
    /// PostgreSQL database (dropped with this).
    #[allow(dead_code)]
    pub enum Keep {
        /// The SQLite file's folder.
        Folder(tempfile::TempDir),
        /// The PostgreSQL database.
        Postgres(testing::TestDatabase),
    }

    /// The audit log's details, oldest first.
    pub fn audit_details(s: &SyncState) -> Vec<String> {
        s.audit_log()
            .expect("reads the audit log")
            .into_iter()
            .map(|(_, _, detail)| detail)
            .collect()
    }

    /// A fresh, migrated sync state on each engine under test.
    pub fn each_engine() -> Vec<(Keep, SyncState)> {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sqlite = SyncState::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        let mut all = vec![(Keep::Folder(tmp), sqlite)];
        match testing::fresh_postgres() {
            Some(pg) => {
                let url = DatabaseUrl::parse(pg.url()).expect("a URL");
                let state = SyncState::from_db(engine::open(&url).expect("opens"));
                all.push((Keep::Postgres(pg), state));
            }
            None => testing::sqlite_only(),
        }
        all
    }
}
