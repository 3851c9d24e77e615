//! Scheduled transfers (table `schedules`, migration 10): a job request queued whenever a
//! cron expression comes due. The cron arithmetic and the job kinds live in
//! `server::schedules`; this module keeps the rows and makes firing safe.
//!
//! Firing is ONE transaction that starts with a conditional `UPDATE ... WHERE next_run_at =
//! <the value read>`: of two processes that saw the same due schedule, only the one whose
//! update changed the row queues a job; the other sees no row changed and queues nothing.
//! Every time is passed in (Unix seconds), so the rules are testable with any clock.

use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension, params};

use super::db::{self, DbError};

/// A schedule as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Schedule {
    /// Id.
    pub id: i64,
    /// The connection its jobs run over.
    pub connection: String,
    /// The job request to queue (the host's versioned JSON, as in `jobs.request`).
    pub transfer: String,
    /// The cron expression.
    pub cron: String,
    /// The IANA time zone the expression is read in ("UTC" by default).
    pub timezone: String,
    /// Paused: never fires.
    pub paused: bool,
    /// Unix seconds: when it is next due.
    pub next_run_at: i64,
    /// Unix seconds: when it last queued a job.
    pub last_run_at: Option<i64>,
    /// The job it last queued.
    pub last_job_id: Option<i64>,
    /// Who made it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A new schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSchedule<'a> {
    /// The connection.
    pub connection: &'a str,
    /// The job request (versioned JSON).
    pub transfer: &'a str,
    /// The cron expression (already checked).
    pub cron: &'a str,
    /// The zone.
    pub timezone: &'a str,
    /// The first time it is due (Unix seconds).
    pub next_run_at: i64,
    /// Who makes it (a server user; the CLI's user otherwise).
    pub created_by: &'a str,
}

/// What firing a due schedule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fired {
    /// A job was queued.
    Queued {
        /// The job.
        job: i64,
    },
    /// The job it queued last time has not ended yet; this tick is skipped (the schedule
    /// moved on, and the live job does the work).
    StillRunning {
        /// The live job.
        job: i64,
    },
    /// Another process fired this tick first, or the schedule was paused or removed
    /// meanwhile: nothing was queued here.
    Lost,
}

/// Handle on the schedules table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Schedules {
    db: Arc<Mutex<rusqlite::Connection>>,
}

const COLUMNS: &str = "id, connection, transfer, cron, timezone, paused, next_run_at, last_run_at, last_job_id, created_by, created_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Schedule> {
    Ok(Schedule {
        id: r.get(0)?,
        connection: r.get(1)?,
        transfer: r.get(2)?,
        cron: r.get(3)?,
        timezone: r.get(4)?,
        paused: r.get::<_, i64>(5)? != 0,
        next_run_at: r.get(6)?,
        last_run_at: r.get(7)?,
        last_job_id: r.get(8)?,
        created_by: r.get(9)?,
        created_at: r.get(10)?,
    })
}

fn audit(db: &rusqlite::Connection, at: i64, detail: &str, actor: &str) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'schedule', ?2, ?3)",
        params![at, detail, actor],
    )?;
    Ok(())
}

fn get_in(db: &rusqlite::Connection, id: i64) -> rusqlite::Result<Option<Schedule>> {
    db.query_row(
        &format!("SELECT {COLUMNS} FROM schedules WHERE id = ?1"),
        params![id],
        row,
    )
    .optional()
}

impl Schedules {
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

    /// Store a new schedule at time `now`, with its audit line.
    pub fn add(&self, new: &NewSchedule<'_>, now: i64) -> Result<Schedule, DbError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "INSERT INTO schedules (connection, transfer, cron, timezone, next_run_at, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    new.connection,
                    new.transfer,
                    new.cron,
                    new.timezone,
                    new.next_run_at,
                    new.created_by,
                    now
                ],
            )?;
            let id = tx.last_insert_rowid();
            audit(
                &tx,
                now,
                &format!(
                    "schedule {id} added: {} on {} at {:?} ({})",
                    new.transfer, new.connection, new.cron, new.timezone
                ),
                new.created_by,
            )?;
            let added = tx.query_row(
                &format!("SELECT {COLUMNS} FROM schedules WHERE id = ?1"),
                params![id],
                row,
            )?;
            tx.commit()?;
            Ok(added)
        })
    }

    /// Every schedule, oldest first.
    pub fn list(&self) -> Result<Vec<Schedule>, DbError> {
        self.with(|db| {
            let mut stmt = db.prepare(&format!("SELECT {COLUMNS} FROM schedules ORDER BY id"))?;
            stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()
        })
    }

    /// Schedule `id`.
    pub fn get(&self, id: i64) -> Result<Option<Schedule>, DbError> {
        self.with(|db| get_in(db, id))
    }

    /// Pause or resume schedule `id` for `actor`; a resumed schedule is next due at
    /// `next_run_at` (its next time from now, so a long pause does not fire at once).
    /// `None` when there is no such schedule.
    pub fn set_paused(
        &self,
        id: i64,
        paused: bool,
        next_run_at: Option<i64>,
        actor: &str,
        now: i64,
    ) -> Result<Option<Schedule>, DbError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let n = tx.execute(
                "UPDATE schedules SET paused = ?2, next_run_at = coalesce(?3, next_run_at) WHERE id = ?1",
                params![id, i64::from(paused), next_run_at],
            )?;
            if n == 0 {
                return Ok(None);
            }
            let what = if paused { "paused" } else { "resumed" };
            audit(&tx, now, &format!("schedule {id} {what}"), actor)?;
            let changed = get_in(&tx, id)?;
            tx.commit()?;
            Ok(changed)
        })
    }

    /// Remove schedule `id` for `actor`; false when there was none. Jobs it queued stay.
    pub fn remove(&self, id: i64, actor: &str, now: i64) -> Result<bool, DbError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let n = tx.execute("DELETE FROM schedules WHERE id = ?1", params![id])?;
            if n == 1 {
                audit(&tx, now, &format!("schedule {id} removed"), actor)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    /// The unpaused schedules due at `now`.
    pub fn due(&self, now: i64) -> Result<Vec<Schedule>, DbError> {
        self.with(|db| {
            let mut stmt = db.prepare(&format!(
                "SELECT {COLUMNS} FROM schedules WHERE paused = 0 AND next_run_at <= ?1 ORDER BY next_run_at, id"
            ))?;
            stmt.query_map(params![now], row)?
                .collect::<Result<Vec<_>, _>>()
        })
    }

    /// Fire `due` (as read by [`Schedules::due`]) at `now`: move it to `next_run_at`, and
    /// queue job `kind` with its request unless the job it queued last is still queued or
    /// running. The move is the conditional UPDATE described at the top of this module, so
    /// of two processes firing the same tick only one queues a job.
    pub fn fire(
        &self,
        due: &Schedule,
        kind: &str,
        next_run_at: i64,
        now: i64,
    ) -> Result<Fired, DbError> {
        // Not `with`: the job is queued by `jobs::insert`, already on the engine-neutral
        // facade (store/sql.rs), whose errors are not rusqlite's.
        let mut db = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let claimed = tx.execute(
                "UPDATE schedules SET next_run_at = ?3
                 WHERE id = ?1 AND next_run_at = ?2 AND paused = 0",
                params![due.id, due.next_run_at, next_run_at],
            )?;
            if claimed == 0 {
                return Ok(Fired::Lost);
            }
            let live: Option<i64> = tx
                .query_row(
                    "SELECT j.id FROM schedules s JOIN jobs j ON j.id = s.last_job_id
                     WHERE s.id = ?1 AND j.status IN ('queued', 'running')",
                    params![due.id],
                    |r| r.get(0),
                )
                .optional()?;
            let fired = match live {
                Some(job) => Fired::StillRunning { job },
                None => {
                    let by = format!("schedule {}", due.id);
                    let job = super::jobs::insert(
                        &super::sql::Tx::Sqlite(&tx),
                        kind,
                        &due.connection,
                        &due.transfer,
                        &by,
                    )?;
                    tx.execute(
                        "UPDATE schedules SET last_run_at = ?2, last_job_id = ?3 WHERE id = ?1",
                        params![due.id, now, job],
                    )?;
                    Fired::Queued { job }
                }
            };
            tx.commit()?;
            Ok(fired)
        }
    }
}
