//! What the sync engine remembers: the id map, plans, runs with their per-record outcomes,
//! and the outbox of writes. All SQL of the sync engine lives here.
//!
//! The outbox is what makes a push crash-safe: an intent is recorded (with a deterministic
//! idempotency key) before the write is sent, and settled in the same transaction that
//! records the id map entry and the run item. An intent found pending at start was sent or
//! not; the engine resolves it (looks the record up in the target, or replays it) before
//! anything new is sent.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::connections::unix;
use super::db::{self, DbError};

/// The tables this module owns (appended to the migrations in `db.rs`).
pub const MIGRATION: &str = "
CREATE TABLE id_map (
    connection         TEXT NOT NULL,
    entity             TEXT NOT NULL,
    home_key           TEXT NOT NULL,
    remote_id          TEXT NOT NULL,
    home_fingerprint   TEXT NOT NULL,
    remote_fingerprint TEXT NOT NULL,
    synced_at          INTEGER NOT NULL,
    PRIMARY KEY (connection, entity, home_key),
    UNIQUE (connection, entity, remote_id)
) STRICT;
CREATE TABLE plans (
    id         INTEGER PRIMARY KEY,
    connection TEXT NOT NULL,
    entity     TEXT NOT NULL,
    direction  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body       TEXT NOT NULL
) STRICT;
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER,
    connection  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    direction   TEXT NOT NULL,
    dry_run     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL
) STRICT;
CREATE TABLE run_items (
    run_id    INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    home_key  TEXT,
    remote_id TEXT,
    name      TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT;
CREATE TABLE outbox (
    idempotency_key TEXT PRIMARY KEY,
    run_id          INTEGER NOT NULL,
    connection      TEXT NOT NULL,
    entity          TEXT NOT NULL,
    home_key        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    remote_id       TEXT,
    created_at      INTEGER NOT NULL,
    settled_at      INTEGER
) STRICT;
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
";

/// Migration 4: watermarks. One row per connection, entity and direction: the instant from
/// which the next delta transfer reads the target (the start of the last complete one).
pub const WATERMARKS: &str = "
CREATE TABLE watermarks (
    connection TEXT NOT NULL,
    entity     TEXT NOT NULL,
    direction  TEXT NOT NULL,
    at         TEXT NOT NULL,
    run_id     INTEGER NOT NULL,
    PRIMARY KEY (connection, entity, direction)
) STRICT;
";

/// Errors of the sync state.
#[derive(Debug, thiserror::Error)]
pub enum SyncStateError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No such plan.
    #[error("there is no plan {0}; `ledgerlink compare` makes one")]
    NoPlan(i64),
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

/// An id-map row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapEntry {
    /// Home key.
    pub home_key: String,
    /// Remote id.
    pub remote_id: String,
    /// Home fingerprint at the last sync.
    pub home_fingerprint: String,
    /// Remote fingerprint at the last sync.
    pub remote_fingerprint: String,
    /// When (Unix seconds).
    pub synced_at: i64,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Run {
    /// Id.
    pub id: i64,
    /// The plan it applied.
    pub plan_id: Option<i64>,
    /// Connection.
    pub connection: String,
    /// Entity ("customers").
    pub entity: String,
    /// "push" or "pull".
    pub direction: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Start (Unix seconds).
    pub started_at: i64,
    /// End.
    pub finished_at: Option<i64>,
    /// "running", "finished", "interrupted", "failed".
    pub status: String,
    /// Why a failed run stopped.
    pub failure: Option<String>,
}

/// One record's outcome in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RunItem {
    /// Home key.
    pub home_key: Option<String>,
    /// Remote id.
    pub remote_id: Option<String>,
    /// Display name.
    pub name: String,
    /// created / updated / unchanged / skipped / failed.
    pub outcome: String,
    /// Why, for a person.
    pub reason: String,
}

/// A pending outbox intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// Deterministic key.
    pub idempotency_key: String,
    /// Run that recorded it.
    pub run_id: i64,
    /// Entity.
    pub entity: String,
    /// Home key.
    pub home_key: String,
    /// The record as it was to be sent (JSON).
    pub payload: String,
}

/// Handle on the sync tables.
#[derive(Debug, Clone)]
pub struct SyncState {
    db: Arc<Mutex<rusqlite::Connection>>,
}

impl SyncState {
    /// Open in `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, SyncStateError> {
        Ok(Self {
            db: Arc::new(Mutex::new(db::open(db_path)?)),
        })
    }

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

    /// The id map of one connection and entity.
    pub fn id_map(&self, connection: &str, entity: &str) -> Result<Vec<MapEntry>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at
                 FROM id_map WHERE connection = ?1 AND entity = ?2 ORDER BY home_key",
            )?;
            let rows = stmt
                .query_map(params![connection, entity], |r| {
                    Ok(MapEntry {
                        home_key: r.get(0)?,
                        remote_id: r.get(1)?,
                        home_fingerprint: r.get(2)?,
                        remote_fingerprint: r.get(3)?,
                        synced_at: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Store a plan (its body is the engine's JSON); returns its id.
    pub fn save_plan(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
        body: &str,
    ) -> Result<i64, SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO plans (connection, entity, direction, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![connection, entity, direction, unix(SystemTime::now()), body],
            )?;
            Ok(db.last_insert_rowid())
        })
    }

    /// A plan's (connection, entity, direction, body).
    pub fn plan(&self, id: i64) -> Result<(String, String, String, String), SyncStateError> {
        self.with(|db| {
            db.query_row(
                "SELECT connection, entity, direction, body FROM plans WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or(SyncStateError::NoPlan(id))
        })
    }

    /// Start a run.
    pub fn start_run(
        &self,
        plan_id: Option<i64>,
        connection: &str,
        entity: &str,
        direction: &str,
        dry_run: bool,
    ) -> Result<i64, SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO runs (plan_id, connection, entity, direction, dry_run, started_at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running')",
                params![plan_id, connection, entity, direction, dry_run, unix(SystemTime::now())],
            )?;
            Ok(db.last_insert_rowid())
        })
    }

    /// Finish a run, and record it in the audit log with its outcome counts.
    pub fn finish_run(&self, run_id: i64) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "UPDATE runs SET status = 'finished', finished_at = ?2 WHERE id = ?1",
                params![run_id, unix(SystemTime::now())],
            )?;
            let (connection, entity, direction, dry_run): (String, String, String, bool) = tx.query_row(
                "SELECT connection, entity, direction, dry_run FROM runs WHERE id = ?1",
                params![run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let mut stmt = tx.prepare("SELECT outcome, COUNT(*) FROM run_items WHERE run_id = ?1 GROUP BY outcome ORDER BY outcome")?;
            let counts = stmt
                .query_map(params![run_id], |r| Ok(format!("{} {}", r.get::<_, i64>(1)?, r.get::<_, String>(0)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            drop(stmt);
            let detail = format!(
                "run {run_id}: {direction} {entity} on {connection}{}: {}",
                if dry_run { " (dry run)" } else { "" },
                if counts.is_empty() { "nothing to do".to_owned() } else { counts.join(", ") }
            );
            tx.execute(
                "INSERT INTO audit_log (at, action, detail) VALUES (?1, 'run', ?2)",
                params![unix(SystemTime::now()), detail],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The record last sent for `home_key` (the payload of its newest settled write).
    pub fn last_sent(
        &self,
        connection: &str,
        entity: &str,
        home_key: &str,
    ) -> Result<Option<String>, SyncStateError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    "SELECT payload FROM outbox WHERE connection = ?1 AND entity = ?2 AND home_key = ?3
                     AND state = 'settled' ORDER BY settled_at DESC, created_at DESC LIMIT 1",
                    params![connection, entity, home_key],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Record the fingerprint of the target's version of a record, as read back after it
    /// was written: a later difference means someone changed it there.
    pub fn set_remote_fingerprint(
        &self,
        connection: &str,
        entity: &str,
        home_key: &str,
        fingerprint: &str,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "UPDATE id_map SET remote_fingerprint = ?4 WHERE connection = ?1 AND entity = ?2 AND home_key = ?3",
                params![connection, entity, home_key, fingerprint],
            )?;
            Ok(())
        })
    }

    /// End a run that stopped on an error (the connector broke a rule, the database
    /// failed): it is `failed` with `reason`, never left `running`.
    pub fn fail_run(&self, run_id: i64, reason: &str) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "UPDATE runs SET status = 'failed', failure = ?3, finished_at = ?2 WHERE id = ?1",
                params![run_id, unix(SystemTime::now()), reason],
            )?;
            tx.execute(
                "INSERT INTO audit_log (at, action, detail) VALUES (?1, 'run', ?2)",
                params![
                    unix(SystemTime::now()),
                    format!("run {run_id}: failed: {reason}")
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Record a run item that involves no write (skipped, unchanged, failed before sending).
    pub fn record_item(&self, run_id: i64, item: &RunItem) -> Result<(), SyncStateError> {
        self.with(|db| {
            insert_item(db, run_id, item)?;
            Ok(())
        })
    }

    /// Change the outcome of the items of `home_key` in `run_id` (a created invoice whose
    /// totals did not read back the same becomes `failed`, with the reason).
    pub fn amend_item(
        &self,
        run_id: i64,
        home_key: &str,
        outcome: &str,
        reason: &str,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "UPDATE run_items SET outcome = ?3, reason = ?4 WHERE run_id = ?1 AND home_key = ?2",
                params![run_id, home_key, outcome, reason],
            )?;
            Ok(())
        })
    }

    /// Record an intent before sending. Returns `false` when an intent with this key was
    /// already settled (the write happened in an earlier run: do not send again).
    pub fn record_intent(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        home_key: &str,
        key: &str,
        payload: &str,
    ) -> Result<bool, SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let state: Option<String> = tx
                .query_row("SELECT state FROM outbox WHERE idempotency_key = ?1", params![key], |r| r.get(0))
                .optional()?;
            let fresh = match state.as_deref() {
                Some("settled") => false,
                Some(_) => {
                    tx.execute("UPDATE outbox SET run_id = ?2, state = 'pending' WHERE idempotency_key = ?1", params![key, run_id])?;
                    true
                }
                None => {
                    tx.execute(
                        "INSERT INTO outbox (idempotency_key, run_id, connection, entity, home_key, payload, state, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
                        params![key, run_id, connection, entity, home_key, payload, unix(SystemTime::now())],
                    )?;
                    true
                }
            };
            tx.commit()?;
            Ok(fresh)
        })
    }

    /// Settle a successful write: outbox, id map and run item in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn settle(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        key: &str,
        entry: &MapEntry,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "UPDATE outbox SET state = 'settled', remote_id = ?2, settled_at = ?3 WHERE idempotency_key = ?1",
                params![key, entry.remote_id, entry.synced_at],
            )?;
            upsert_map(&tx, connection, entity, entry)?;
            insert_item(&tx, run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Record a link found (not created) by the engine, e.g. a customer matched in the target.
    pub fn link(
        &self,
        connection: &str,
        entity: &str,
        entry: &MapEntry,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (connection, entity, home_key) DO UPDATE SET remote_id = excluded.remote_id",
                params![connection, entity, entry.home_key, entry.remote_id, entry.home_fingerprint, entry.remote_fingerprint, entry.synced_at],
            )?;
            Ok(())
        })
    }

    /// Record a local write (a pull into the home book): id map and run item together.
    pub fn record_pulled(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        entry: &MapEntry,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            upsert_map(&tx, connection, entity, entry)?;
            insert_item(&tx, run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Records a run created (not updated) in the target, newest first: (entity, home key,
    /// remote id). Read from the outbox: a creation is a settled intent whose payload had
    /// no remote id.
    pub fn created_in_run(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, String, String)>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT entity, home_key, remote_id FROM outbox
                 WHERE run_id = ?1 AND state = 'settled' AND remote_id IS NOT NULL
                   AND json_extract(payload, '$.remote_id') IS NULL
                 ORDER BY settled_at DESC, rowid DESC",
            )?;
            let rows = stmt
                .query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Forget a record rolled back from the target: its id-map entry goes, its intent is
    /// marked rolled back, and the rollback run records it.
    pub fn forget(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        remote_id: &str,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "DELETE FROM id_map WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                params![connection, entity, remote_id],
            )?;
            tx.execute(
                "UPDATE outbox SET state = 'rolled-back' WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                params![connection, entity, remote_id],
            )?;
            insert_item(&tx, run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Mark an intent failed (the target refused it; nothing was written).
    pub fn fail_intent(
        &self,
        run_id: i64,
        key: &str,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "UPDATE outbox SET state = 'failed' WHERE idempotency_key = ?1",
                params![key],
            )?;
            insert_item(&tx, run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Intents left pending by an interrupted run of this connection and entity.
    pub fn pending(&self, connection: &str, entity: &str) -> Result<Vec<Intent>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT idempotency_key, run_id, entity, home_key, payload FROM outbox
                 WHERE connection = ?1 AND entity = ?2 AND state = 'pending' ORDER BY created_at, idempotency_key",
            )?;
            let rows = stmt
                .query_map(params![connection, entity], |r| {
                    Ok(Intent { idempotency_key: r.get(0)?, run_id: r.get(1)?, entity: r.get(2)?, home_key: r.get(3)?, payload: r.get(4)? })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Mark a run that stopped without finishing (its process died) as interrupted.
    pub fn mark_interrupted(&self, run_id: i64) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "UPDATE runs SET status = 'interrupted' WHERE id = ?1 AND status = 'running'",
                params![run_id],
            )?;
            Ok(())
        })
    }

    /// Runs, newest first.
    pub fn runs(&self) -> Result<Vec<Run>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(&format!("{RUN_SELECT} ORDER BY id DESC"))?;
            let rows = stmt
                .query_map([], run_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// One run and its items, in order.
    pub fn run(&self, id: i64) -> Result<(Run, Vec<RunItem>), SyncStateError> {
        self.with(|db| {
            let run = db
                .query_row(&format!("{RUN_SELECT} WHERE id = ?1"), params![id], run_row)
                .optional()?
                .ok_or(SyncStateError::NoRun(id))?;
            let mut stmt = db.prepare("SELECT home_key, remote_id, name, outcome, reason FROM run_items WHERE run_id = ?1 ORDER BY seq")?;
            let items = stmt
                .query_map(params![id], |r| {
                    Ok(RunItem { home_key: r.get(0)?, remote_id: r.get(1)?, name: r.get(2)?, outcome: r.get(3)?, reason: r.get(4)? })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((run, items))
        })
    }

    /// The watermark of `entity` in `direction` over `connection`: the RFC 3339 instant a
    /// delta transfer reads from; `None` before the first complete transfer.
    pub fn watermark(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
    ) -> Result<Option<String>, SyncStateError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    "SELECT at FROM watermarks WHERE connection = ?1 AND entity = ?2 AND direction = ?3",
                    params![connection, entity, direction],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Moves the watermark to `at` after run `run_id` completed everything it was due.
    pub fn set_watermark(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
        at: &str,
        run_id: i64,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO watermarks (connection, entity, direction, at, run_id) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (connection, entity, direction) DO UPDATE SET at = ?4, run_id = ?5",
                params![connection, entity, direction, at, run_id],
            )?;
            Ok(())
        })
    }

    /// The audit log, oldest first: (Unix seconds, action, detail).
    pub fn audit_log(&self) -> Result<Vec<(i64, String, String)>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare("SELECT at, action, detail FROM audit_log ORDER BY id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Append to the audit log.
    pub fn audit(&self, action: &str, detail: &str) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO audit_log (at, action, detail) VALUES (?1, ?2, ?3)",
                params![unix(SystemTime::now()), action, detail],
            )?;
            Ok(())
        })
    }
}

const RUN_SELECT: &str = "SELECT id, plan_id, connection, entity, direction, dry_run, started_at, finished_at, status, failure FROM runs";

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: r.get(0)?,
        plan_id: r.get(1)?,
        connection: r.get(2)?,
        entity: r.get(3)?,
        direction: r.get(4)?,
        dry_run: r.get(5)?,
        started_at: r.get(6)?,
        finished_at: r.get(7)?,
        status: r.get(8)?,
        failure: r.get(9)?,
    })
}

/// Link a home record to a remote one, replacing any earlier link of that home record.
fn upsert_map(
    db: &rusqlite::Connection,
    connection: &str,
    entity: &str,
    entry: &MapEntry,
) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (connection, entity, home_key) DO UPDATE SET
           remote_id = excluded.remote_id, home_fingerprint = excluded.home_fingerprint,
           remote_fingerprint = excluded.remote_fingerprint, synced_at = excluded.synced_at",
        params![connection, entity, entry.home_key, entry.remote_id, entry.home_fingerprint, entry.remote_fingerprint, entry.synced_at],
    )?;
    Ok(())
}

fn insert_item(db: &rusqlite::Connection, run_id: i64, item: &RunItem) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO run_items (run_id, seq, home_key, remote_id, name, outcome, reason)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_items WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6)",
        params![run_id, item.home_key, item.remote_id, item.name, item.outcome, item.reason],
    )?;
    Ok(())
}
