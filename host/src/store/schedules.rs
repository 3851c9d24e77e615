//! Scheduled transfers (table `schedules`, migration 10): a job request queued whenever a
//! cron expression comes due. The cron arithmetic and the job kinds live in
//! `server::schedules`; this module keeps the rows and makes firing safe.
//!
//! Firing is ONE transaction that starts with a conditional `UPDATE ... WHERE next_run_at =
//! <the value read>`: of two processes that saw the same due schedule, only the one whose
//! update changed the row queues a job; the other sees no row changed and queues nothing.
//! Every time is passed in (Unix seconds), so the rules are testable with any clock.

use std::sync::{Arc, Mutex};

use super::db::{self, DbError};
use super::sql::{self, Db, Row, Tx, Value};

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
    db: Db,
}

const COLUMNS: &str = "id, connection, transfer, cron, timezone, paused, next_run_at, last_run_at, last_job_id, created_by, created_at";

fn row(r: &Row) -> Result<Schedule, sql::Error> {
    Ok(Schedule {
        id: r.i64(0)?,
        connection: r.text(1)?,
        transfer: r.text(2)?,
        cron: r.text(3)?,
        timezone: r.text(4)?,
        paused: r.i64(5)? != 0,
        next_run_at: r.i64(6)?,
        last_run_at: r.opt_i64(7)?,
        last_job_id: r.opt_i64(8)?,
        created_by: r.text(9)?,
        created_at: r.i64(10)?,
    })
}

fn audit(tx: &Tx<'_>, at: i64, detail: &str, actor: &str) -> Result<(), sql::Error> {
    tx.execute(
        "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'schedule', ?2, ?3)",
        &[Value::Int(at), detail.into(), actor.into()],
    )?;
    Ok(())
}

fn get_sql() -> String {
    format!("SELECT {COLUMNS} FROM schedules WHERE id = ?1")
}

fn get_in(tx: &Tx<'_>, id: i64) -> Result<Option<Schedule>, sql::Error> {
    tx.query_opt(&get_sql(), &[Value::Int(id)])?
        .as_ref()
        .map(row)
        .transpose()
}

impl Schedules {
    /// Open the SQLite database at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self, DbError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(path)?))))
    }

    /// Over a SQLite connection shared with the other stores.
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db: Db::sqlite(db) }
    }

    /// Over a database on either engine ([`super::engine::open`]).
    pub fn from_db(db: Db) -> Self {
        Self { db }
    }

    /// Store a new schedule at time `now`, with its audit line.
    pub fn add(&self, new: &NewSchedule<'_>, now: i64) -> Result<Schedule, DbError> {
        self.db.transaction(|tx| {
            let added = row(&tx.query_one(
                &format!(
                    "INSERT INTO schedules (connection, transfer, cron, timezone, next_run_at, created_by, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     RETURNING {COLUMNS}"
                ),
                &[
                    new.connection.into(),
                    new.transfer.into(),
                    new.cron.into(),
                    new.timezone.into(),
                    Value::Int(new.next_run_at),
                    new.created_by.into(),
                    Value::Int(now),
                ],
            )?)?;
            audit(
                tx,
                now,
                &format!(
                    "schedule {} added: {} on {} at {:?} ({})",
                    added.id, new.transfer, new.connection, new.cron, new.timezone
                ),
                new.created_by,
            )?;
            Ok(added)
        })
    }

    /// Every schedule, oldest first.
    pub fn list(&self) -> Result<Vec<Schedule>, DbError> {
        let rows = self
            .db
            .query(&format!("SELECT {COLUMNS} FROM schedules ORDER BY id"), &[])?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Schedule `id`.
    pub fn get(&self, id: i64) -> Result<Option<Schedule>, DbError> {
        let found = self.db.query_opt(&get_sql(), &[Value::Int(id)])?;
        Ok(found.as_ref().map(row).transpose()?)
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
        self.db.transaction(|tx| {
            let n = tx.execute(
                "UPDATE schedules SET paused = ?2, next_run_at = coalesce(?3, next_run_at) WHERE id = ?1",
                &[Value::Int(id), Value::Int(i64::from(paused)), next_run_at.into()],
            )?;
            if n == 0 {
                return Ok(None);
            }
            let what = if paused { "paused" } else { "resumed" };
            audit(tx, now, &format!("schedule {id} {what}"), actor)?;
            Ok(get_in(tx, id)?)
        })
    }

    /// Remove schedule `id` for `actor`; false when there was none. Jobs it queued stay.
    pub fn remove(&self, id: i64, actor: &str, now: i64) -> Result<bool, DbError> {
        self.db.transaction(|tx| {
            let n = tx.execute("DELETE FROM schedules WHERE id = ?1", &[Value::Int(id)])?;
            if n == 1 {
                audit(tx, now, &format!("schedule {id} removed"), actor)?;
            }
            Ok(n == 1)
        })
    }

    /// The unpaused schedules due at `now`.
    pub fn due(&self, now: i64) -> Result<Vec<Schedule>, DbError> {
        let rows = self.db.query(
            &format!(
                "SELECT {COLUMNS} FROM schedules WHERE paused = 0 AND next_run_at <= ?1 ORDER BY next_run_at, id"
            ),
            &[Value::Int(now)],
        )?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Fire `due` (as read by [`Schedules::due`]) at `now`: move it to `next_run_at`, and
    /// queue job `kind` with its request unless the job it queued last is still queued or
    /// running. The move is the conditional UPDATE described at the top of this module, so
    /// of two processes firing the same tick only one queues a job: on SQLite the second
    /// waits for the write lock and then finds `next_run_at` moved; on PostgreSQL (READ
    /// COMMITTED) its UPDATE waits for the first one's row lock, then re-checks the row as
    /// committed and changes nothing.
    pub fn fire(
        &self,
        due: &Schedule,
        kind: &str,
        next_run_at: i64,
        now: i64,
    ) -> Result<Fired, DbError> {
        self.db.transaction(|tx| {
            let claimed = tx.execute(
                "UPDATE schedules SET next_run_at = ?3
                 WHERE id = ?1 AND next_run_at = ?2 AND paused = 0",
                &[
                    Value::Int(due.id),
                    Value::Int(due.next_run_at),
                    Value::Int(next_run_at),
                ],
            )?;
            if claimed == 0 {
                return Ok(Fired::Lost);
            }
            let live = tx.query_opt(
                "SELECT j.id FROM schedules s JOIN jobs j ON j.id = s.last_job_id
                 WHERE s.id = ?1 AND j.status IN ('queued', 'running')",
                &[Value::Int(due.id)],
            )?;
            if let Some(live) = live {
                return Ok(Fired::StillRunning { job: live.i64(0)? });
            }
            let by = format!("schedule {}", due.id);
            let job = super::jobs::insert(tx, kind, &due.connection, &due.transfer, &by)?;
            tx.execute(
                "UPDATE schedules SET last_run_at = ?2, last_job_id = ?3 WHERE id = ?1",
                &[Value::Int(due.id), Value::Int(now), Value::Int(job)],
            )?;
            Ok(Fired::Queued { job })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::jobs::Jobs;
    use crate::store::sql::each_engine::{TestDb, each_engine};

    /// The stores on a new connection to `store` (another process, as far as the database
    /// can tell).
    fn open(store: &TestDb) -> (Schedules, Jobs, Db) {
        let db = store.open();
        (
            Schedules::from_db(db.clone()),
            Jobs::from_db(db.clone()),
            db,
        )
    }

    fn new<'a>(connection: &'a str, next_run_at: i64) -> NewSchedule<'a> {
        NewSchedule {
            connection,
            transfer: "{\"v\":1,\"kind\":\"push-invoices\"}",
            cron: "*/15 * * * *",
            timezone: "UTC",
            next_run_at,
            created_by: "ann",
        }
    }

    fn audit_lines(db: &Db) -> Vec<(String, String)> {
        db.query(
            "SELECT detail, actor FROM audit_log WHERE action = 'schedule' ORDER BY id",
            &[],
        )
        .expect("reads")
        .iter()
        .map(|r| (r.text(0).expect("detail"), r.text(1).expect("actor")))
        .collect()
    }

    #[test]
    fn add_pause_resume_remove_with_their_audit_lines() {
        for store in each_engine() {
            let (s, _j, db) = open(&store);
            let a = s.add(&new("xero", 900), 100).expect("adds");
            let b = s.add(&new("qbo", 1800), 101).expect("adds");
            assert_eq!(
                (a.connection.as_str(), a.paused, a.next_run_at, a.created_at),
                ("xero", false, 900, 100)
            );
            assert_eq!(b.id, a.id + 1, "ids come from the database");
            assert_eq!(s.list().expect("lists"), vec![a.clone(), b.clone()]);
            let paused = s
                .set_paused(a.id, true, None, "bob", 200)
                .expect("pauses")
                .expect("there");
            assert!(paused.paused);
            assert_eq!(paused.next_run_at, 900);
            assert_eq!(s.due(5000).expect("due"), vec![b.clone()]);
            let resumed = s
                .set_paused(a.id, false, Some(2700), "bob", 300)
                .expect("resumes")
                .expect("there");
            assert_eq!((resumed.paused, resumed.next_run_at), (false, 2700));
            assert_eq!(s.set_paused(999, true, None, "bob", 300).expect("ok"), None);
            assert!(s.remove(b.id, "bob", 400).expect("removes"));
            assert!(!s.remove(b.id, "bob", 400).expect("nothing to remove"));
            assert_eq!(s.get(b.id).expect("get"), None);
            assert_eq!(s.get(a.id).expect("get"), Some(resumed));
            let expected = vec![
                (
                    format!(
                        "schedule {} added: {{\"v\":1,\"kind\":\"push-invoices\"}} on xero at \"*/15 * * * *\" (UTC)",
                        a.id
                    ),
                    "ann".to_owned(),
                ),
                (
                    format!(
                        "schedule {} added: {{\"v\":1,\"kind\":\"push-invoices\"}} on qbo at \"*/15 * * * *\" (UTC)",
                        b.id
                    ),
                    "ann".to_owned(),
                ),
                (format!("schedule {} paused", a.id), "bob".to_owned()),
                (format!("schedule {} resumed", a.id), "bob".to_owned()),
                (format!("schedule {} removed", b.id), "bob".to_owned()),
            ];
            assert_eq!(audit_lines(&db), expected);
        }
    }

    #[test]
    fn fires_once_and_skips_while_its_job_is_live() {
        for store in each_engine() {
            let (s, j, _db) = open(&store);
            let sched = s.add(&new("xero", 900), 100).expect("adds");
            assert_eq!(s.due(899).expect("due"), vec![]);
            let due = s.due(900).expect("due");
            assert_eq!(due, vec![sched.clone()]);
            let fired = s.fire(&due[0], "push-invoices", 1800, 900).expect("fires");
            let jobs = j.page(None, 10).expect("jobs");
            assert_eq!(jobs.len(), 1);
            assert_eq!(fired, Fired::Queued { job: jobs[0].id });
            assert_eq!(
                (jobs[0].kind.as_str(), jobs[0].connection.as_str()),
                ("push-invoices", "xero")
            );
            assert_eq!(jobs[0].created_by, format!("schedule {}", sched.id));
            let after = s.get(sched.id).expect("get").expect("there");
            assert_eq!(
                (after.next_run_at, after.last_run_at, after.last_job_id),
                (1800, Some(900), Some(jobs[0].id))
            );
            // The same tick again: moved on already.
            assert_eq!(
                s.fire(&due[0], "push-invoices", 1800, 900).expect("fires"),
                Fired::Lost
            );
            // The next tick while the job is still queued: nothing more.
            let due = s.due(1800).expect("due");
            assert_eq!(
                s.fire(&due[0], "push-invoices", 2700, 1800).expect("fires"),
                Fired::StillRunning { job: jobs[0].id }
            );
            assert_eq!(j.page(None, 10).expect("jobs").len(), 1);
            assert_eq!(
                s.get(sched.id).expect("get").expect("there").next_run_at,
                2700
            );
        }
    }

    /// Engine-dependent: four processes fire the same due tick at the same moment, each on
    /// its own connection; SQLite's write lock or PostgreSQL's row lock lets one queue a job.
    #[test]
    fn four_processes_firing_one_tick_at_once_queue_one_job() {
        for store in each_engine() {
            let (s, j, _db) = open(&store);
            let sched = s.add(&new("xero", 900), 100).expect("adds");
            let due = s.due(900).expect("due");
            let others: Vec<Schedules> = (0..4).map(|_| open(&store).0).collect();
            let barrier = std::sync::Barrier::new(others.len());
            let fired: Vec<Fired> = std::thread::scope(|scope| {
                let handles: Vec<_> = others
                    .iter()
                    .map(|other| {
                        let (barrier, due) = (&barrier, &due[0]);
                        scope.spawn(move || {
                            barrier.wait();
                            other.fire(due, "push-invoices", 1800, 900).expect("fires")
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("joins"))
                    .collect()
            });
            let jobs = j.page(None, 10).expect("jobs");
            assert_eq!(jobs.len(), 1, "{:?}", store.engine());
            let queued: Vec<_> = fired
                .iter()
                .filter(|f| matches!(f, Fired::Queued { .. }))
                .collect();
            assert_eq!(queued, vec![&Fired::Queued { job: jobs[0].id }]);
            assert_eq!(
                fired.iter().filter(|f| **f == Fired::Lost).count(),
                3,
                "{fired:?}"
            );
            let after = s.get(sched.id).expect("get").expect("there");
            assert_eq!(after.last_job_id, Some(jobs[0].id));
        }
    }
}
