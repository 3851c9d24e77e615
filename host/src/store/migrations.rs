//! Every schema migration of the database, in order, and the runner that applies them.
//!
//! Each step is one SQL file in `migrations/`, numbered as it is applied. The schema version
//! is SQLite's `PRAGMA user_version`: a database at version N has had steps 1..=N applied.
//! This is the numbering the hand-written runner used before [`rusqlite_migration`] took
//! over, so a database it left at version N continues at step N + 1 (a test below builds
//! such databases with that runner's own loop).
//!
//! Never edit or reorder a released step: append one. The `released_steps_are_unchanged`
//! test pins the text of every released step.

pub(super) mod postgres;

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use super::db::DbError;

/// The steps, in order; step N (1-based) moves the schema from version N - 1 to N.
pub(super) const STEPS: [&str; 16] = [
    include_str!("migrations/001-connections.sql"),
    include_str!("migrations/002-sync-engine.sql"),
    include_str!("migrations/003-home-book.sql"),
    include_str!("migrations/004-watermarks.sql"),
    include_str!("migrations/005-target-directory.sql"),
    include_str!("migrations/006-plugin-components.sql"),
    include_str!("migrations/007-paid-and-line-tax-rate.sql"),
    include_str!("migrations/008-outbox-indexes.sql"),
    include_str!("migrations/009-server.sql"),
    include_str!("migrations/010-schedules.sql"),
    include_str!("migrations/011-support-and-retention.sql"),
    include_str!("migrations/012-plan-bodies-by-blob.sql"),
    include_str!("migrations/013-job-progress-detail.sql"),
    include_str!("migrations/014-vault-entries.sql"),
    include_str!("migrations/015-deferrable-home-book-keys.sql"),
    include_str!("migrations/016-pacer-sends.sql"),
];

/// The schema version this ledgerlink writes.
pub const LATEST: i64 = STEPS.len() as i64;

/// How often a migration that collided with another process's is tried again.
const ATTEMPTS: usize = 3;

fn migrations() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}

/// Bring the database at `path` (open as `db`) to [`LATEST`]; every pending step is applied
/// in one transaction, so a crash mid-migration leaves the previous schema intact.
pub(super) fn run(db: &mut Connection, path: &Path) -> Result<(), DbError> {
    // The write lock is taken when the migration transaction begins (not at its first write),
    // so a second process that opens the database meanwhile waits for the first instead of
    // failing on a stale snapshot.
    db.set_transaction_behavior(TransactionBehavior::Immediate);
    let outcome = to_latest(db, path);
    db.set_transaction_behavior(TransactionBehavior::Deferred);
    outcome
}

fn to_latest(db: &mut Connection, path: &Path) -> Result<(), DbError> {
    let migrations = migrations();
    let mut attempt = 1;
    loop {
        let before = version(db)?;
        if before > LATEST {
            return Err(DbError::TooNew {
                database: path.display().to_string(),
                found: before,
                known: LATEST,
            });
        }
        match migrations.to_latest(db) {
            Ok(()) => return Ok(()),
            // The library reads the version before it takes the lock: another process that
            // migrated in between makes our first step fail ("table already exists"). Its
            // transaction rolled back; read the version again and apply what is still due.
            Err(_) if attempt < ATTEMPTS && version(db)? != before => attempt += 1,
            Err(source) => {
                return Err(DbError::Migrate {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
}

fn version(db: &Connection) -> Result<i64, DbError> {
    Ok(db.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;
    use sha2::{Digest, Sha256};

    use crate::store::db;

    #[test]
    fn the_steps_are_valid_sql_in_order() {
        migrations().validate().expect("every step applies");
    }

    /// The SHA-256 of each released step. A failure here means a released migration was
    /// edited: undo that and append a new step instead (then add its hash here).
    #[test]
    fn released_steps_are_unchanged() {
        const RELEASED: [&str; 16] = [
            "d2c0a198b560c7c153ce3decf394f572259760b03df810a1d177e94e063d8819",
            "488d47428ae2da68a10c5424af0e563170e8103b9477671fbd77424de74cdce2",
            "bb7d215d5fefa969ad89eacf28b512e1f35da1b9a980ef2c9d5c298d94c54150",
            "6cc284306ced54de242f90a30893d4cef622a58e2763281d8e06152d445e2d30",
            "c7de65ec3e3db6f743851d9f9ef4449ada7de66d33a0c7aabfa217dff0ed92db",
            "fae2710ef3d034033bd01750ccadf1f3b9e504585e91d9565d1624f2a9e4a76e",
            "3628b787c0562d45cc482b18057ef3618b27b71096c7343fe15be8dc67df9a4b",
            "1271452d5f185c8e609f3386a978c5d705f53b62a292665d8223e8e0bcaf77f0",
            "3caa4d4440b03caa771cce1e387f8818cc5404001f675b24c0d6af3c614e31fb",
            "c37e4991cf43fa4d8d76596f85518d0ce0556ed785dba6b09947740961b06644",
            "6f16f42c4757e4c3ff3dff4a7b0d3e1c986dd8ac34e3f675c66cf784e4746fa9",
            "30afd9b8634843d387c6a5a203e54d2c5c4e15bca034940b4ca6a22d22441086",
            "f221561849e7e0cd5866fced7160608f8bdbfc1599f30070ef8947ab1c6bde29",
            "e832e9371f9a8dd904a1750a488198a372054d408aa2d025541fc4168db26d71",
            "e81354f11610143f0ecbf76f57b1156db5fc5e2f1f612bcf1046332e66960b97",
            "565c45f8202c1d2c9d8ee82fffe7e023749073ed893aa3e992fb707c20077dab",
        ];
        assert_eq!(step_hashes(&STEPS), RELEASED);
    }

    /// The SHA-256 (hex) of each step's text.
    pub(super) fn step_hashes(steps: &[&str]) -> Vec<String> {
        steps
            .iter()
            // A checkout with CRLF line ends holds the same step.
            .map(|sql| format!("{:x}", Sha256::digest(sql.replace("\r\n", "\n"))))
            .collect()
    }

    /// The runner ledgerlink used before this module (store/db.rs, schema versions 1 to 6):
    /// one IMMEDIATE transaction per step, `user_version` set to the step's number.
    fn old_runner(db: &mut Connection, up_to: usize) {
        for (done, sql) in STEPS[..up_to].iter().enumerate() {
            let tx = db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .expect("begin");
            let version: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .expect("version");
            assert_eq!(version, done as i64);
            tx.execute_batch(sql).expect("old step");
            tx.pragma_update(None, "user_version", version + 1)
                .expect("set version");
            tx.commit().expect("commit");
        }
    }

    /// A database written by the old runner at each version it could leave behind opens with
    /// this one, is brought to the latest schema, and keeps its rows.
    #[test]
    fn databases_written_by_the_old_runner_open_and_keep_their_rows() {
        for old_version in 1..=STEPS.len() {
            let tmp = tempfile::tempdir().expect("tempdir");
            let path = tmp.path().join("ledgerlink.db");
            {
                let mut old = Connection::open(&path).expect("open");
                old.pragma_update(None, "journal_mode", "WAL").expect("wal");
                old.pragma_update(None, "foreign_keys", "ON").expect("fk");
                old_runner(&mut old, old_version);
                old.execute(
                    "INSERT INTO connections (name, connector, created_at, updated_at)
                     VALUES ('old-xero', 'xero', 1, 1)",
                    [],
                )
                .expect("connection row");
                if old_version >= 2 {
                    old.execute_batch(
                        "INSERT INTO runs (id, connection, entity, direction, dry_run, started_at, status)
                         VALUES (7, 'old-xero', 'customers', 'push', 0, 10, 'finished');
                         INSERT INTO run_items (run_id, seq, home_key, name, outcome, reason)
                         VALUES (7, 1, 'TP-CUST-1', 'Kea Electrical', 'created', '');
                         INSERT INTO id_map VALUES ('old-xero', 'customers', 'TP-CUST-1', 'X-1', 'h', 'r', 10);
                         INSERT INTO audit_log (at, action, detail) VALUES (10, 'run', 'run 7');",
                    )
                    .expect("sync rows");
                }
                if old_version >= 3 {
                    old.execute(
                        "INSERT INTO home_customers (id, name, active, flagged_for_integration,
                             fingerprint, changed_at)
                         VALUES ('TP-CUST-1', 'Kea Electrical', 1, 1, 'fp', 10)",
                        [],
                    )
                    .expect("home row");
                    old.execute_batch(
                        "INSERT INTO home_jobs (id, number, customer_id, status, ready_for_invoice_1,
                             ready_for_invoice_2, invoice_date, currency, tax_mode, subtotal,
                             tax_total, total, fingerprint, changed_at)
                         VALUES ('TP-JOB-1', 'J1', 'TP-CUST-1', 'closed', 1, 1, '2026-11-02', 'NZD',
                             'exclusive', '10.00', '1.50', '11.50', 'fp', 10);
                         INSERT INTO home_job_lines (job_id, position, description, quantity,
                             unit_price, amount, tax_amount)
                         VALUES ('TP-JOB-1', 0, 'Labour', '1', '10.00', '10.00', '1.50');",
                    )
                    .expect("home job");
                }
                if old_version >= 4 {
                    old.execute(
                        "INSERT INTO watermarks VALUES ('old-xero', 'customers', 'pull', '2024-01-01T00:00:00Z', 7)",
                        [],
                    )
                    .expect("watermark row");
                }
            }

            let db = db::open(&path).expect("the new runner opens it");
            assert_eq!(version(&db).expect("version"), LATEST, "from {old_version}");
            let connector: String = db
                .query_row(
                    "SELECT connector FROM connections WHERE name = 'old-xero'",
                    [],
                    |r| r.get(0),
                )
                .expect("connection kept");
            assert_eq!(connector, "xero");
            if old_version >= 2 {
                let (status, failure, items): (String, Option<String>, i64) = db
                    .query_row(
                        "SELECT status, failure, (SELECT COUNT(*) FROM run_items WHERE run_id = 7)
                         FROM runs WHERE id = 7",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .expect("run kept, with the columns of step 5");
                assert_eq!((status.as_str(), failure, items), ("finished", None, 1));
                let remote: String = db
                    .query_row(
                        "SELECT remote_id FROM id_map WHERE home_key = 'TP-CUST-1'",
                        [],
                        |r| r.get(0),
                    )
                    .expect("id map kept");
                assert_eq!(remote, "X-1");
            }
            if old_version >= 3 {
                let name: String = db
                    .query_row(
                        "SELECT name FROM home_customers WHERE id = ?1",
                        params!["TP-CUST-1"],
                        |r| r.get(0),
                    )
                    .expect("home customer kept");
                assert_eq!(name, "Kea Electrical");
                // A job stored before step 7 reads as nothing paid and no line rate.
                let jobs = crate::store::home::read::read_jobs(
                    &crate::store::sql::Tx::Sqlite(&db, &Default::default()),
                    None,
                )
                .expect("jobs read");
                assert_eq!(jobs.len(), 1);
                assert!(jobs[0].body.amount_paid.is_zero());
                assert_eq!(jobs[0].body.lines[0].tax_rate, None);
                assert_eq!(
                    jobs[0].body.lines[0].tax_amount.map(|d| d.to_string()),
                    Some("1.50".into())
                );
            }
            if old_version >= 4 {
                let at: String = db
                    .query_row("SELECT at FROM watermarks", [], |r| r.get(0))
                    .expect("watermark kept");
                assert_eq!(at, "2024-01-01T00:00:00Z");
            }
            // Every table of the latest schema is there, whatever the starting version.
            let pinned: Option<String> = db
                .query_row(
                    "SELECT component_sha256 FROM connections WHERE name = 'old-xero'",
                    [],
                    |r| r.get(0),
                )
                .expect("step 6 column");
            assert_eq!(pinned, None);
            db.execute(
                "INSERT INTO customer_reviews (connection, home_key, home_name, candidates, reason, run_id)
                 VALUES ('old-xero', 'TP-CUST-2', 'Tui', '[]', 'why', 7)",
                [],
            )
            .expect("step 5 table");
        }
    }

    /// A step that fails leaves the database as it was: the steps before it in the same
    /// upgrade are rolled back too, and the error names the file.
    #[test]
    fn a_failing_step_changes_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("ledgerlink.db");
        {
            let mut old = Connection::open(&path).expect("open");
            old_runner(&mut old, 3);
            // Something step 5 creates, already there: step 5 fails.
            old.execute_batch("CREATE TABLE target_customers (x TEXT);")
                .expect("in the way");
        }
        let err = db::open(&path).expect_err("step 5 fails");
        assert!(
            err.to_string().starts_with(&format!(
                "the ledgerlink database {} could not be brought up to date: ",
                path.display()
            )),
            "{err}"
        );
        let db = Connection::open(&path).expect("open");
        assert_eq!(version(&db).expect("version"), 3);
        let watermarks: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'watermarks'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert_eq!(watermarks, 0, "step 4 rolled back with step 5");
    }

    /// Processes that open a new database at the same moment all end up with one schema:
    /// the one that loses the race finds the work done instead of failing.
    #[test]
    fn concurrent_first_opens_all_succeed() {
        for _ in 0..5 {
            let tmp = tempfile::tempdir().expect("tempdir");
            let path = tmp.path().join("ledgerlink.db");
            let barrier = std::sync::Barrier::new(4);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            db::open(&path).map(|db| version(&db).expect("version"))
                        })
                    })
                    .collect();
                for h in handles {
                    let v = h.join().expect("no panic").expect("opens");
                    assert_eq!(v, LATEST);
                }
            });
        }
    }
}
