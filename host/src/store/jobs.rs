//! Background jobs (table `jobs`, migration 9): transfers started through the API, run by
//! whichever `ledgerlink serve` process claims them.
//!
//! A claim is ONE conditional `UPDATE ... RETURNING`: the oldest job that is queued, or
//! running under a lease that has expired, on a connection with no other live job. SQLite
//! runs that statement under its write lock, so two processes never claim the same job.
//! On PostgreSQL the same statement's inner `SELECT` gains `FOR UPDATE SKIP LOCKED`
//! (docs/architecture.md, "Jobs"); nothing else changes. The claimer renews `lease_until`
//! (heartbeat); a process that dies stops renewing and the job is claimed again after the
//! lease, and re-run: the outbox makes the re-run finish what was started without writing
//! anything twice.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};

use super::connections::unix;
use super::db::{self, DbError};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Job {
    /// Id.
    pub id: i64,
    /// "apply", "rollback".
    pub kind: String,
    /// The connection it transfers over (one live job per connection).
    pub connection: String,
    /// The host's versioned JSON of what to do.
    pub request: String,
    /// queued, running, succeeded, failed.
    pub status: String,
    /// The user who started it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// How many times a process claimed it (more than 1: it was taken over).
    pub attempts: i64,
    /// Unix seconds.
    pub started_at: Option<i64>,
    /// Unix seconds.
    pub finished_at: Option<i64>,
    /// The step in progress.
    pub progress_what: Option<String>,
    /// Records done in that step.
    pub progress_done: i64,
    /// Records in that step.
    pub progress_total: i64,
    /// Records of that step created so far.
    pub progress_created: i64,
    /// Records of that step updated so far.
    pub progress_updated: i64,
    /// Records of that step that failed so far.
    pub progress_failed: i64,
    /// The vendor wait the job was in at its last progress write: milliseconds left.
    pub progress_wait_ms: Option<i64>,
    /// The connector that wait is for.
    pub progress_wait_vendor: Option<String>,
    /// The run it made.
    pub run_id: Option<i64>,
    /// The engine's summary (JSON), when it finished.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// What a running job reports at each progress write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressRecord {
    /// The step ("sending customers").
    pub what: String,
    /// Records done in that step.
    pub done: i64,
    /// Records in that step.
    pub total: i64,
    /// Of those done: created.
    pub created: i64,
    /// Of those done: updated.
    pub updated: i64,
    /// Of those done: failed.
    pub failed: i64,
    /// The vendor wait now: (milliseconds left, connector).
    pub wait: Option<(i64, String)>,
}

/// Handle on the jobs table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Jobs {
    db: Arc<Mutex<rusqlite::Connection>>,
}

const COLUMNS: &str = "id, kind, connection, request, status, created_by, created_at, attempts, started_at, finished_at, progress_what, progress_done, progress_total, run_id, result, error, progress_created, progress_updated, progress_failed, progress_wait_ms, progress_wait_vendor";

/// The next job to run at time `?1`: the oldest queued job, or running one whose lease ran
/// out, on a connection with no other live job. On PostgreSQL this gains
/// `FOR UPDATE SKIP LOCKED`.
const RUNNABLE: &str = "SELECT j.id FROM jobs j
    WHERE (j.status = 'queued' OR (j.status = 'running' AND j.lease_until < ?1))
      AND NOT EXISTS (
          SELECT 1 FROM jobs o
          WHERE o.connection = j.connection AND o.id <> j.id
            AND o.status = 'running' AND o.lease_until >= ?1)
    ORDER BY j.id LIMIT 1";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        kind: r.get(1)?,
        connection: r.get(2)?,
        request: r.get(3)?,
        status: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
        attempts: r.get(7)?,
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
        progress_what: r.get(10)?,
        progress_done: r.get(11)?,
        progress_total: r.get(12)?,
        run_id: r.get(13)?,
        result: r.get(14)?,
        error: r.get(15)?,
        progress_created: r.get(16)?,
        progress_updated: r.get(17)?,
        progress_failed: r.get(18)?,
        progress_wait_ms: r.get(19)?,
        progress_wait_vendor: r.get(20)?,
    })
}

impl Jobs {
    /// Open the database at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self, DbError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(path)?))))
    }

    /// Over a connection shared with the other stores.
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, DbError> {
        // SQLite keeps its own consistency; a poisoned mutex only means a panic elsewhere.
        let mut guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(f(&mut guard)?)
    }

    /// Queue a job; with an idempotency key already used by `created_by`, the job that key
    /// started instead. Returns (job, whether it is new).
    pub fn enqueue(
        &self,
        kind: &str,
        connection: &str,
        request: &str,
        created_by: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(Job, bool), DbError> {
        self.with(|db| {
            let tx = db.transaction()?;
            if let Some(key) = idempotency_key {
                let found = tx
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM jobs WHERE created_by = ?1 AND idempotency_key = ?2"),
                        params![created_by, key],
                        row,
                    )
                    .optional()?;
                if let Some(job) = found {
                    return Ok((job, false));
                }
            }
            let id = insert(&tx, kind, connection, request, created_by, idempotency_key)?;
            let job = tx.query_row(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), params![id], row)?;
            tx.commit()?;
            Ok((job, true))
        })
    }

    /// Job `id`.
    pub fn get(&self, id: i64) -> Result<Option<Job>, DbError> {
        self.with(|db| {
            db.query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
        })
    }

    /// Jobs newest first, below id `before` when given, at most `limit`.
    pub fn page(&self, before: Option<i64>, limit: i64) -> Result<Vec<Job>, DbError> {
        self.with(|db| {
            let mut stmt = db.prepare(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            stmt.query_map(params![before, limit], row)?
                .collect::<Result<Vec<_>, _>>()
        })
    }

    /// Claim the next runnable job for `owner`, leased for `lease_secs`: the single
    /// conditional UPDATE described at the top of this module.
    pub fn claim(&self, owner: &str, lease_secs: i64) -> Result<Option<Job>, DbError> {
        self.with(|db| {
            let t = now();
            // Look before writing: an idle process polls with reads only, so it never
            // invalidates the snapshot of another process's transaction (SQLite answers a
            // stale read-then-write with "database is locked", without waiting).
            let any: bool =
                db.query_row(&format!("SELECT EXISTS ({RUNNABLE})"), params![t], |r| {
                    r.get(0)
                })?;
            if !any {
                return Ok(None);
            }
            db.query_row(
                &format!(
                    "UPDATE jobs SET status = 'running', owner = ?2, lease_until = ?1 + ?3,
                         attempts = attempts + 1, started_at = coalesce(started_at, ?1)
                     WHERE id = ({RUNNABLE})
                     RETURNING {COLUMNS}"
                ),
                params![t, owner, lease_secs],
                row,
            )
            .optional()
        })
    }

    /// Renew `owner`'s lease on job `id` and record progress; false when the lease was lost
    /// (another process took the job over), and the caller must stop.
    pub fn heartbeat(
        &self,
        id: i64,
        owner: &str,
        lease_secs: i64,
        progress: &ProgressRecord,
    ) -> Result<bool, DbError> {
        let (wait_ms, wait_vendor) = match &progress.wait {
            Some((ms, vendor)) => (Some(*ms), Some(vendor.as_str())),
            None => (None, None),
        };
        self.with(|db| {
            let n = db.execute(
                "UPDATE jobs SET lease_until = ?3 + ?4, progress_what = ?5, progress_done = ?6, progress_total = ?7,
                        progress_created = ?8, progress_updated = ?9, progress_failed = ?10,
                        progress_wait_ms = ?11, progress_wait_vendor = ?12
                 WHERE id = ?1 AND owner = ?2 AND status = 'running'",
                params![
                    id,
                    owner,
                    now(),
                    lease_secs,
                    progress.what,
                    progress.done,
                    progress.total,
                    progress.created,
                    progress.updated,
                    progress.failed,
                    wait_ms,
                    wait_vendor
                ],
            )?;
            Ok(n == 1)
        })
    }

    /// `owner` finished job `id`: it made run `run_id` (when it got that far), with the
    /// engine's summary `result`; `error` says why it did not complete (then it failed).
    /// False when `owner` no longer holds the job.
    pub fn finish(
        &self,
        id: i64,
        owner: &str,
        run_id: Option<i64>,
        result: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool, DbError> {
        self.with(|db| {
            let status = if error.is_none() { "succeeded" } else { "failed" };
            let tx = db.transaction()?;
            let n = tx.execute(
                "UPDATE jobs SET status = ?3, finished_at = ?4, run_id = coalesce(?5, run_id), result = ?6, error = ?7, lease_until = NULL, progress_wait_ms = NULL, progress_wait_vendor = NULL
                 WHERE id = ?1 AND owner = ?2 AND status = 'running'",
                params![id, owner, status, now(), run_id, result, error],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'job', ?2, NULL)",
                    params![now(), format!("job {id} {status}")],
                )?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    /// `owner` stops job `id` without finishing it (a graceful shutdown): it is queued
    /// again, to be resumed by the next process at once rather than after its lease.
    pub fn release(&self, id: i64, owner: &str) -> Result<(), DbError> {
        self.with(|db| {
            db.execute(
                "UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL
                 WHERE id = ?1 AND owner = ?2 AND status = 'running'",
                params![id, owner],
            )?;
            Ok(())
        })
    }
}

/// Queue a job inside the caller's transaction, with its audit line; its id.
pub(super) fn insert(
    tx: &rusqlite::Transaction<'_>,
    kind: &str,
    connection: &str,
    request: &str,
    created_by: &str,
    idempotency_key: Option<&str>,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO jobs (kind, connection, request, status, created_by, idempotency_key, created_at)
         VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6)",
        params![kind, connection, request, created_by, idempotency_key, now()],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'job', ?2, ?3)",
        params![
            now(),
            format!("job {id} queued: {kind} on {connection}"),
            created_by
        ],
    )?;
    Ok(id)
}

fn now() -> i64 {
    unix(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(what: &str, done: i64, total: i64) -> ProgressRecord {
        ProgressRecord {
            what: what.to_owned(),
            done,
            total,
            ..ProgressRecord::default()
        }
    }

    fn jobs() -> (tempfile::TempDir, Jobs) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let j = Jobs::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        (tmp, j)
    }

    #[test]
    fn one_live_job_per_connection_and_the_same_key_is_the_same_job() {
        let (_tmp, j) = jobs();
        let (a, new) = j
            .enqueue("apply", "xero", "{}", "ann", Some("k1"))
            .expect("queues");
        assert!(new);
        let (again, new) = j
            .enqueue("apply", "xero", "{}", "ann", Some("k1"))
            .expect("queues");
        assert!(!new);
        assert_eq!(again.id, a.id);
        let (b, _) = j.enqueue("apply", "xero", "{}", "ann", None).expect("q");
        let (c, _) = j.enqueue("apply", "qbo", "{}", "ann", None).expect("q");
        assert_eq!(j.claim("p1", 30).expect("claims").map(|x| x.id), Some(a.id));
        // b waits for a (same connection); c goes.
        assert_eq!(j.claim("p2", 30).expect("claims").map(|x| x.id), Some(c.id));
        assert_eq!(j.claim("p2", 30).expect("claims"), None);
        assert!(j.finish(a.id, "p1", Some(7), Some("{}"), None).expect("f"));
        assert_eq!(j.claim("p2", 30).expect("claims").map(|x| x.id), Some(b.id));
    }

    #[test]
    fn an_expired_lease_is_taken_over_and_the_old_owner_is_told() {
        let (_tmp, j) = jobs();
        let (a, _) = j.enqueue("apply", "xero", "{}", "ann", None).expect("q");
        // A lease that has already run out: the process "died".
        let first = j.claim("dead", -10).expect("claims").expect("a job");
        assert_eq!(first.attempts, 1);
        let second = j.claim("alive", 30).expect("claims").expect("taken over");
        assert_eq!((second.id, second.attempts), (a.id, 2));
        assert!(
            !j.heartbeat(a.id, "dead", 30, &progress("x", 0, 0))
                .expect("hb")
        );
        assert!(!j.finish(a.id, "dead", None, None, Some("late")).expect("f"));
        assert!(
            j.heartbeat(a.id, "alive", 30, &progress("x", 1, 2))
                .expect("hb")
        );
        assert!(j.finish(a.id, "alive", None, Some("{}"), None).expect("f"));
        assert_eq!(j.get(a.id).expect("get").expect("job").status, "succeeded");
    }
}
