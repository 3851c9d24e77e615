//! Background jobs (table `jobs`, migration 9): transfers started through the API, run by
//! whichever `ledgerlink serve` process claims them.
//!
//! A claim is ONE conditional `UPDATE ... RETURNING`: the oldest job that is queued, or
//! running under a lease that has expired, on a connection with no other live job. SQLite
//! runs that statement under its write lock, so two processes never claim the same job.
//! On PostgreSQL (docs/architecture.md, "Jobs") the same statement's inner `SELECT` gains
//! `FOR UPDATE SKIP LOCKED`, and it runs in a transaction that first takes a
//! transaction-scoped advisory lock ([`CLAIM_LOCK`]): `SKIP LOCKED` alone keeps two claimers
//! off one row, but each would still see the other's job as queued and could start a second
//! job on the same connection. Claims are one short statement each, so taking them in turn
//! costs little; the rest of the module is the same SQL on both engines. The claimer renews `lease_until`
//! (heartbeat); a process that dies stops renewing and the job is claimed again after the
//! lease, and re-run: the outbox makes the re-run finish what was started without writing
//! anything twice.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::connections::unix;
use super::db::{self, DbError};
use super::sql::{self, Db, Engine, Row, Tx, Value};

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
    db: Db,
}

const COLUMNS: &str = "id, kind, connection, request, status, created_by, created_at, attempts, started_at, finished_at, progress_what, progress_done, progress_total, run_id, result, error, progress_created, progress_updated, progress_failed, progress_wait_ms, progress_wait_vendor";

/// The next job to run at time `?1`: the oldest queued job, or running one whose lease ran
/// out, on a connection with no other live job. On PostgreSQL this gains
/// `FOR UPDATE OF j SKIP LOCKED` ([`claim_sql`]).
const RUNNABLE: &str = "SELECT j.id FROM jobs j
    WHERE (j.status = 'queued' OR (j.status = 'running' AND j.lease_until < ?1))
      AND NOT EXISTS (
          SELECT 1 FROM jobs o
          WHERE o.connection = j.connection AND o.id <> j.id
            AND o.status = 'running' AND o.lease_until >= ?1)
    ORDER BY j.id LIMIT 1";

/// The PostgreSQL advisory lock claims are taken under, one at a time ("ll_jobs!" as ASCII).
pub const CLAIM_LOCK: i64 = 0x6c6c_5f6a_6f62_7321;

/// The claim statement on `engine`.
fn claim_sql(engine: Engine) -> String {
    let lock = match engine {
        Engine::Sqlite => "",
        Engine::Postgres => " FOR UPDATE OF j SKIP LOCKED",
    };
    format!(
        "UPDATE jobs SET status = 'running', owner = ?2, lease_until = ?1 + ?3,
             attempts = attempts + 1, started_at = coalesce(started_at, ?1)
         WHERE id = ({RUNNABLE}{lock})
         RETURNING {COLUMNS}"
    )
}

fn row(r: &Row) -> Result<Job, sql::Error> {
    Ok(Job {
        id: r.i64(0)?,
        kind: r.text(1)?,
        connection: r.text(2)?,
        request: r.text(3)?,
        status: r.text(4)?,
        created_by: r.text(5)?,
        created_at: r.i64(6)?,
        attempts: r.i64(7)?,
        started_at: r.opt_i64(8)?,
        finished_at: r.opt_i64(9)?,
        progress_what: r.opt_text(10)?,
        progress_done: r.i64(11)?,
        progress_total: r.i64(12)?,
        run_id: r.opt_i64(13)?,
        result: r.opt_text(14)?,
        error: r.opt_text(15)?,
        progress_created: r.i64(16)?,
        progress_updated: r.i64(17)?,
        progress_failed: r.i64(18)?,
        progress_wait_ms: r.opt_i64(19)?,
        progress_wait_vendor: r.opt_text(20)?,
    })
}

fn one(r: Option<Row>) -> Result<Option<Job>, sql::Error> {
    r.as_ref().map(row).transpose()
}

impl Jobs {
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
        self.db.transaction(|tx| {
            match queue(tx, kind, connection, request, created_by, idempotency_key)? {
                Some(id) => {
                    let job = tx.query_one(
                        &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                        &[Value::Int(id)],
                    )?;
                    Ok((row(&job)?, true))
                }
                // The key was used before, or by another process a moment ago: on
                // PostgreSQL the insert waited for that one to commit, and this statement
                // reads it (a new snapshot each statement, at READ COMMITTED).
                None => {
                    let job = tx.query_one(
                        &format!(
                            "SELECT {COLUMNS} FROM jobs WHERE created_by = ?1 AND idempotency_key = ?2"
                        ),
                        &[created_by.into(), idempotency_key.into()],
                    )?;
                    Ok((row(&job)?, false))
                }
            }
        })
    }

    /// Job `id`.
    pub fn get(&self, id: i64) -> Result<Option<Job>, DbError> {
        let found = self.db.query_opt(
            &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
            &[Value::Int(id)],
        )?;
        Ok(one(found)?)
    }

    /// Jobs newest first, below id `before` when given, at most `limit`.
    pub fn page(&self, before: Option<i64>, limit: i64) -> Result<Vec<Job>, DbError> {
        let rows = self.db.query(
            &format!(
                "SELECT {COLUMNS} FROM jobs WHERE CAST(?1 AS BIGINT) IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2"
            ),
            &[before.into(), Value::Int(limit)],
        )?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Claim the next runnable job for `owner`, leased for `lease_secs`: the single
    /// conditional UPDATE described at the top of this module.
    pub fn claim(&self, owner: &str, lease_secs: i64) -> Result<Option<Job>, DbError> {
        let t = now();
        // Look before writing: an idle process polls with reads only, so it never
        // invalidates the snapshot of another process's transaction (SQLite answers a
        // stale read-then-write with "database is locked", without waiting), nor waits for
        // the claim lock on PostgreSQL.
        let any = self
            .db
            .query_one(&format!("SELECT EXISTS ({RUNNABLE})"), &[Value::Int(t)])?
            .i64(0)?;
        if any == 0 {
            return Ok(None);
        }
        let params = [Value::Int(t), owner.into(), Value::Int(lease_secs)];
        let claimed = match self.db.engine() {
            Engine::Sqlite => self.db.query_opt(&claim_sql(Engine::Sqlite), &params)?,
            Engine::Postgres => self.db.transaction(|tx| {
                tx.execute(
                    "SELECT pg_advisory_xact_lock(?1)",
                    &[Value::Int(CLAIM_LOCK)],
                )?;
                tx.query_opt(&claim_sql(Engine::Postgres), &params)
            })?,
        };
        Ok(one(claimed)?)
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
        let n = self.db.execute(
            "UPDATE jobs SET lease_until = ?3 + ?4, progress_what = ?5, progress_done = ?6, progress_total = ?7,
                    progress_created = ?8, progress_updated = ?9, progress_failed = ?10,
                    progress_wait_ms = ?11, progress_wait_vendor = ?12
             WHERE id = ?1 AND owner = ?2 AND status = 'running'",
            &[
                Value::Int(id),
                owner.into(),
                Value::Int(now()),
                Value::Int(lease_secs),
                progress.what.as_str().into(),
                Value::Int(progress.done),
                Value::Int(progress.total),
                Value::Int(progress.created),
                Value::Int(progress.updated),
                Value::Int(progress.failed),
                wait_ms.into(),
                wait_vendor.into(),
            ],
        )?;
        Ok(n == 1)
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
        let status = if error.is_none() {
            "succeeded"
        } else {
            "failed"
        };
        self.db.transaction(|tx| {
            let n = tx.execute(
                "UPDATE jobs SET status = ?3, finished_at = ?4, run_id = coalesce(?5, run_id), result = ?6, error = ?7, lease_until = NULL, progress_wait_ms = NULL, progress_wait_vendor = NULL
                 WHERE id = ?1 AND owner = ?2 AND status = 'running'",
                &[
                    Value::Int(id),
                    owner.into(),
                    status.into(),
                    Value::Int(now()),
                    run_id.into(),
                    result.into(),
                    error.into(),
                ],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'job', ?2, NULL)",
                    &[Value::Int(now()), format!("job {id} {status}").into()],
                )?;
            }
            Ok(n == 1)
        })
    }

    /// `owner` stops job `id` without finishing it (a graceful shutdown): it is queued
    /// again, to be resumed by the next process at once rather than after its lease.
    pub fn release(&self, id: i64, owner: &str) -> Result<(), DbError> {
        self.db.execute(
            "UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL
             WHERE id = ?1 AND owner = ?2 AND status = 'running'",
            &[Value::Int(id), owner.into()],
        )?;
        Ok(())
    }
}

/// Queue a job without an idempotency key inside the caller's transaction, with its audit
/// line; its id.
pub(super) fn insert(
    tx: &Tx<'_>,
    kind: &str,
    connection: &str,
    request: &str,
    created_by: &str,
) -> Result<i64, sql::Error> {
    queue(tx, kind, connection, request, created_by, None)?.ok_or_else(|| sql::Error::NoRow {
        // Cannot happen: without a key, no unique index can turn the insert down.
        sql: "INSERT INTO jobs".into(),
    })
}

/// Queue a job inside `tx`, with its audit line: its id, or `None` when `created_by`
/// already used `idempotency_key`. The insert itself settles a race between two requests
/// with one key (`ON CONFLICT` on the `jobs_idempotency` index), on both engines.
fn queue(
    tx: &Tx<'_>,
    kind: &str,
    connection: &str,
    request: &str,
    created_by: &str,
    idempotency_key: Option<&str>,
) -> Result<Option<i64>, sql::Error> {
    let inserted = tx.query_opt(
        "INSERT INTO jobs (kind, connection, request, status, created_by, idempotency_key, created_at)
         VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6)
         ON CONFLICT (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id",
        &[
            kind.into(),
            connection.into(),
            request.into(),
            created_by.into(),
            idempotency_key.into(),
            Value::Int(now()),
        ],
    )?;
    let Some(id) = inserted.map(|r| r.i64(0)).transpose()? else {
        return Ok(None);
    };
    tx.execute(
        "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'job', ?2, ?3)",
        &[
            Value::Int(now()),
            format!("job {id} queued: {kind} on {connection}").into(),
            created_by.into(),
        ],
    )?;
    Ok(Some(id))
}

fn now() -> i64 {
    unix(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::store::engine::{self, DatabaseUrl};
    use crate::store::sql::testing;

    fn progress(what: &str, done: i64, total: i64) -> ProgressRecord {
        ProgressRecord {
            what: what.to_owned(),
            done,
            total,
            ..ProgressRecord::default()
        }
    }

    /// What keeps a test's database alive: its folder, or its PostgreSQL database (held
    /// only to be dropped at the test's end).
    #[allow(dead_code)]
    enum Keep {
        Folder(tempfile::TempDir),
        Postgres(testing::TestDatabase),
    }

    fn open(url: &str) -> Jobs {
        Jobs::from_db(engine::open(&DatabaseUrl::parse(url).expect("a URL")).expect("opens"))
    }

    /// A fresh jobs store on SQLite, and on PostgreSQL when the test cluster is set.
    fn each_engine() -> Vec<(Keep, Jobs)> {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sqlite = Jobs::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        let mut all = vec![(Keep::Folder(tmp), sqlite)];
        match testing::fresh_postgres() {
            Some(pg) => {
                let j = open(pg.url());
                all.push((Keep::Postgres(pg), j));
            }
            None => testing::sqlite_only(),
        }
        all
    }

    #[test]
    fn one_live_job_per_connection_and_the_same_key_is_the_same_job() {
        for (_keep, j) in each_engine() {
            one_live_job_per_connection(&j);
        }
    }

    fn one_live_job_per_connection(j: &Jobs) {
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
        for (_keep, j) in each_engine() {
            an_expired_lease_is_taken_over(&j);
        }
    }

    fn an_expired_lease_is_taken_over(j: &Jobs) {
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

    #[test]
    fn pages_newest_first_and_progress_is_kept() {
        for (_keep, j) in each_engine() {
            let ids: Vec<i64> = (0..5)
                .map(|i| {
                    j.enqueue("apply", &format!("c{i}"), "{}", "ann", None)
                        .expect("q")
                        .0
                        .id
                })
                .collect();
            let page = |before| -> Vec<i64> {
                j.page(before, 2)
                    .expect("page")
                    .iter()
                    .map(|x| x.id)
                    .collect()
            };
            assert_eq!(page(None), vec![ids[4], ids[3]]);
            assert_eq!(page(Some(ids[3])), vec![ids[2], ids[1]]);
            let job = j.claim("p", 30).expect("claims").expect("a job");
            let record = ProgressRecord {
                what: "sending invoices".into(),
                done: 3,
                total: 9,
                created: 2,
                updated: 1,
                failed: 0,
                wait: Some((1500, "xero".into())),
            };
            assert!(j.heartbeat(job.id, "p", 30, &record).expect("hb"));
            let seen = j.get(job.id).expect("get").expect("there");
            assert_eq!(
                (
                    seen.progress_what.as_deref(),
                    seen.progress_done,
                    seen.progress_total,
                    seen.progress_created,
                    seen.progress_updated,
                    seen.progress_wait_ms,
                    seen.progress_wait_vendor.as_deref()
                ),
                (
                    Some("sending invoices"),
                    3,
                    9,
                    2,
                    1,
                    Some(1500),
                    Some("xero")
                )
            );
            assert!(
                j.finish(job.id, "p", None, None, Some("vendor said no"))
                    .expect("f")
            );
            let done = j.get(job.id).expect("get").expect("there");
            assert_eq!(
                (
                    done.status.as_str(),
                    done.error.as_deref(),
                    done.progress_wait_ms
                ),
                ("failed", Some("vendor said no"), None)
            );
            assert_eq!(j.get(-1).expect("get"), None);
        }
    }

    /// Four workers, each with its own connection to PostgreSQL, claim from 40 jobs on 10
    /// connections until none is left: every job is claimed exactly once, and no connection
    /// ever has two live jobs.
    #[test]
    fn workers_on_postgres_claim_every_job_once_and_one_per_connection() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let setup = open(pg.url());
        // Four jobs in a row per connection: the oldest runnable job is then, most of the
        // time, on the connection another worker is claiming at that moment, where a claim
        // that only skipped locked rows would start a second job.
        for i in 0..40 {
            setup
                .enqueue("apply", &format!("conn-{}", i / 4), "{}", "ann", None)
                .expect("queues");
        }
        let start = std::sync::Barrier::new(4);
        // Who holds each connection now; a second holder is the failure this test looks for.
        let holders: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
        let claimed: Mutex<Vec<i64>> = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for w in 0..4 {
                let (holders, claimed, start) = (&holders, &claimed, &start);
                let url = pg.url().to_owned();
                s.spawn(move || {
                    let jobs = open(&url);
                    let me = format!("worker-{w}");
                    start.wait();
                    let mut idle = 0;
                    while idle < 20 {
                        let Some(job) = jobs.claim(&me, 60).expect("claims") else {
                            idle += 1;
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            continue;
                        };
                        idle = 0;
                        {
                            let mut h = holders.lock().expect("lock");
                            if let Some(other) = h.insert(job.connection.clone(), me.clone()) {
                                panic!("{} has two live jobs ({other} and {me})", job.connection);
                            }
                        }
                        claimed.lock().expect("lock").push(job.id);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        holders.lock().expect("lock").remove(&job.connection);
                        assert!(
                            jobs.finish(job.id, &me, None, Some("{}"), None)
                                .expect("finishes")
                        );
                    }
                });
            }
        });
        let claimed = claimed.into_inner().expect("lock");
        let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
        assert_eq!((claimed.len(), distinct.len()), (40, 40));
        let all = setup.page(None, 100).expect("page");
        assert_eq!(all.len(), 40);
        assert!(
            all.iter()
                .all(|j| j.status == "succeeded" && j.attempts == 1),
            "{all:?}"
        );
    }

    /// The same Idempotency-Key sent by four clients at once makes one job, on both engines.
    #[test]
    fn the_same_key_at_once_is_one_job() {
        for (keep, j) in each_engine() {
            let url = match &keep {
                Keep::Postgres(pg) => Some(pg.url().to_owned()),
                Keep::Folder(_) => None,
            };
            let start = std::sync::Barrier::new(4);
            let outcomes: Vec<(i64, bool)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        let (start, url, j) = (&start, url.clone(), j.clone());
                        s.spawn(move || {
                            // Each client its own connection on PostgreSQL, as separate
                            // processes would have.
                            let jobs = url.as_deref().map_or(j, open);
                            start.wait();
                            let (job, new) = jobs
                                .enqueue("apply", "xero", "{}", "ann", Some("same"))
                                .expect("queues or finds");
                            (job.id, new)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .collect()
            });
            let ids: BTreeSet<i64> = outcomes.iter().map(|o| o.0).collect();
            let new = outcomes.iter().filter(|o| o.1).count();
            assert_eq!((ids.len(), new), (1, 1), "{outcomes:?}");
            assert_eq!(j.page(None, 10).expect("page").len(), 1);
        }
    }
}
