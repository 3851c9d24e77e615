//! Runs and their per-record outcomes. A run ends `finished`, `interrupted` or `failed` with
//! its reason, never stays `running`; finishing or failing one writes its audit line in the
//! same transaction. Tables `runs` (migration 2; `failure` and `calls` from migration 5)
//! and `run_items`.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::audit;
use super::connections::unix;
use super::sql::{self, Row, Tx, Value};
use super::sync_state::{SyncState, SyncStateError};

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
    /// When retention removed its items (Unix seconds); its summary stays
    /// ([`SyncState::purged_items`] has the counts).
    #[serde(default)]
    pub items_purged_at: Option<i64>,
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

impl SyncState {
    /// Start a run.
    pub fn start_run(
        &self,
        plan_id: Option<i64>,
        connection: &str,
        entity: &str,
        direction: &str,
        dry_run: bool,
    ) -> Result<i64, SyncStateError> {
        let id = self.db().query_one(
            "INSERT INTO runs (plan_id, connection, entity, direction, dry_run, started_at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running') RETURNING id",
            &[
                plan_id.into(),
                connection.into(),
                entity.into(),
                direction.into(),
                Value::Int(i64::from(dry_run)),
                Value::Int(unix(SystemTime::now())),
            ],
        )?;
        Ok(id.i64(0)?)
    }

    /// Finish a run, and record it in the audit log with its outcome counts.
    pub fn finish_run(&self, run_id: i64) -> Result<(), SyncStateError> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE runs SET status = 'finished', finished_at = ?2 WHERE id = ?1",
                &[Value::Int(run_id), Value::Int(unix(SystemTime::now()))],
            )?;
            let run = tx.query_one(
                "SELECT connection, entity, direction, dry_run FROM runs WHERE id = ?1",
                &[Value::Int(run_id)],
            )?;
            let (connection, entity, direction, dry_run) =
                (run.text(0)?, run.text(1)?, run.text(2)?, run.i64(3)? != 0);
            // Outcomes are ASCII words: any engine's text order is the same for them.
            let counts = tx
                .query(
                    "SELECT outcome, COUNT(*) FROM run_items WHERE run_id = ?1 GROUP BY outcome ORDER BY outcome",
                    &[Value::Int(run_id)],
                )?
                .iter()
                .map(|r| Ok(format!("{} {}", r.i64(1)?, r.text(0)?)))
                .collect::<Result<Vec<_>, sql::Error>>()?;
            let detail = format!(
                "run {run_id}: {direction} {entity} on {connection}{}: {}",
                if dry_run { " (dry run)" } else { "" },
                if counts.is_empty() {
                    "nothing to do".to_owned()
                } else {
                    counts.join(", ")
                }
            );
            audit::record(tx, "run", &detail)?;
            Ok(())
        })
    }

    /// End a run that stopped on an error (the connector broke a rule, the database
    /// failed): it is `failed` with `reason`, never left `running`.
    pub fn fail_run(&self, run_id: i64, reason: &str) -> Result<(), SyncStateError> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE runs SET status = 'failed', failure = ?3, finished_at = ?2 WHERE id = ?1",
                &[
                    Value::Int(run_id),
                    Value::Int(unix(SystemTime::now())),
                    reason.into(),
                ],
            )?;
            audit::record(tx, "run", &format!("run {run_id}: failed: {reason}"))?;
            Ok(())
        })
    }

    /// Mark a run that stopped without finishing (its process died) as interrupted.
    pub fn mark_interrupted(&self, run_id: i64) -> Result<(), SyncStateError> {
        self.db().execute(
            "UPDATE runs SET status = 'interrupted' WHERE id = ?1 AND status = 'running'",
            &[Value::Int(run_id)],
        )?;
        Ok(())
    }

    /// Record a run item that involves no write (skipped, unchanged, failed before sending).
    pub fn record_item(&self, run_id: i64, item: &RunItem) -> Result<(), SyncStateError> {
        self.db()
            .execute(INSERT_ITEM, &item_params(run_id, None, item))?;
        Ok(())
    }

    /// [`Self::record_item`] for many items, in order, in one transaction.
    pub fn record_items(&self, run_id: i64, items: &[RunItem]) -> Result<(), SyncStateError> {
        if items.is_empty() {
            return Ok(());
        }
        self.transaction(|tx| {
            ItemWriter::new(tx, run_id)?.push_all(items.iter())?;
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
        self.db().execute(
            "UPDATE run_items SET outcome = ?3, reason = ?4 WHERE run_id = ?1 AND home_key = ?2",
            &[
                Value::Int(run_id),
                home_key.into(),
                outcome.into(),
                reason.into(),
            ],
        )?;
        Ok(())
    }

    /// Runs, newest first.
    pub fn runs(&self) -> Result<Vec<Run>, SyncStateError> {
        let rows = self
            .db()
            .query(&format!("{RUN_SELECT} ORDER BY id DESC"), &[])?;
        Ok(rows.iter().map(run_row).collect::<Result<_, _>>()?)
    }

    /// One run and its items, in order.
    pub fn run(&self, id: i64) -> Result<(Run, Vec<RunItem>), SyncStateError> {
        let db = self.db();
        let run = db
            .query_opt(&format!("{RUN_SELECT} WHERE id = ?1"), &[Value::Int(id)])?
            .ok_or(SyncStateError::NoRun(id))?;
        let items = db.query(
            "SELECT home_key, remote_id, name, outcome, reason FROM run_items WHERE run_id = ?1 ORDER BY seq",
            &[Value::Int(id)],
        )?;
        Ok((
            run_row(&run)?,
            items
                .iter()
                .map(|r| item_row(r, 0))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// One page of run `id`'s items, in order: those after the item numbered `after` (from
    /// the start when `None`), at most `limit`, each with its number, and whether more
    /// follow. Read by key from the store, so a page of a long run costs the page, not the run.
    pub fn run_items_page(
        &self,
        id: i64,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<(i64, RunItem)>, bool), SyncStateError> {
        let db = self.db();
        db.query_opt("SELECT 1 FROM runs WHERE id = ?1", &[Value::Int(id)])?
            .ok_or(SyncStateError::NoRun(id))?;
        let wanted = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let rows = db.query(
            "SELECT seq, home_key, remote_id, name, outcome, reason FROM run_items
             WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            &[
                Value::Int(id),
                Value::Int(after.unwrap_or(i64::MIN)),
                Value::Int(wanted),
            ],
        )?;
        let mut items = rows
            .iter()
            .map(|r| Ok((r.i64(0)?, item_row(r, 1)?)))
            .collect::<Result<Vec<_>, sql::Error>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        Ok((items, more))
    }

    /// Record how many vendor API calls run `run_id` made.
    pub fn record_calls(&self, run_id: i64, calls: u64) -> Result<(), SyncStateError> {
        self.db().execute(
            "UPDATE runs SET calls = ?2 WHERE id = ?1",
            &[
                Value::Int(run_id),
                Value::Int(i64::try_from(calls).unwrap_or(i64::MAX)),
            ],
        )?;
        Ok(())
    }

    /// Vendor API calls the runs of `connection` made since `since` (Unix seconds), and over
    /// all its runs that counted calls: (records written or refused, calls).
    pub fn call_usage(
        &self,
        connection: &str,
        since: i64,
    ) -> Result<(u64, u64, u64), SyncStateError> {
        // PostgreSQL's SUM of BIGINT is NUMERIC: cast back, so both engines answer integers.
        let recent = self
            .db()
            .query_one(
                "SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT) FROM runs WHERE connection = ?1 AND started_at >= ?2",
                &[connection.into(), Value::Int(since)],
            )?
            .i64(0)?;
        let totals = self.db().query_one(
            "SELECT
               COALESCE((SELECT COUNT(*) FROM run_items i JOIN runs r ON r.id = i.run_id
                 WHERE r.connection = ?1 AND r.calls > 0
                   AND i.outcome IN ('created', 'updated', 'conflict', 'failed')), 0),
               CAST(COALESCE((SELECT SUM(calls) FROM runs WHERE connection = ?1 AND calls > 0), 0) AS BIGINT)",
            &[connection.into()],
        )?;
        let u = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok((u(recent), u(totals.i64(0)?), u(totals.i64(1)?)))
    }
}

const RUN_SELECT: &str = "SELECT id, plan_id, connection, entity, direction, dry_run, started_at, finished_at, status, failure, items_purged_at FROM runs";

fn run_row(r: &Row) -> Result<Run, sql::Error> {
    Ok(Run {
        id: r.i64(0)?,
        plan_id: r.opt_i64(1)?,
        connection: r.text(2)?,
        entity: r.text(3)?,
        direction: r.text(4)?,
        dry_run: r.i64(5)? != 0,
        started_at: r.i64(6)?,
        finished_at: r.opt_i64(7)?,
        status: r.text(8)?,
        failure: r.opt_text(9)?,
        items_purged_at: r.opt_i64(10)?,
    })
}

/// The run item in columns `at`.. of `r`: home_key, remote_id, name, outcome, reason.
fn item_row(r: &Row, at: usize) -> Result<RunItem, sql::Error> {
    Ok(RunItem {
        home_key: r.opt_text(at)?,
        remote_id: r.opt_text(at + 1)?,
        name: r.text(at + 2)?,
        outcome: r.text(at + 3)?,
        reason: r.text(at + 4)?,
    })
}

fn item_params(run_id: i64, seq: Option<i64>, item: &RunItem) -> Vec<Value> {
    let mut params = vec![Value::Int(run_id)];
    params.extend(seq.map(Value::Int));
    params.extend([
        item.home_key.clone().into(),
        item.remote_id.clone().into(),
        item.name.as_str().into(),
        item.outcome.as_str().into(),
        item.reason.as_str().into(),
    ]);
    params
}

/// Appends one item after the run's last (parameters: [`item_params`] without a `seq`).
const INSERT_ITEM: &str = "INSERT INTO run_items (run_id, seq, home_key, remote_id, name, outcome, reason)
     VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_items WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6)";

/// Append `item` to run `run_id` (inside the caller's transaction).
pub(super) fn insert_item(tx: &Tx<'_>, run_id: i64, item: &RunItem) -> Result<(), sql::Error> {
    tx.execute(INSERT_ITEM, &item_params(run_id, None, item))?;
    Ok(())
}

/// Appends many items to one run inside the caller's transaction. The run's items are
/// written only by the process running it, so the next sequence number is read once.
pub(super) struct ItemWriter<'t, 'c> {
    tx: &'t Tx<'c>,
    run_id: i64,
    next: i64,
}

impl<'t, 'c> ItemWriter<'t, 'c> {
    /// For run `run_id`, inside the transaction `tx`.
    pub(super) fn new(tx: &'t Tx<'c>, run_id: i64) -> Result<Self, sql::Error> {
        let next = tx
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM run_items WHERE run_id = ?1",
                &[Value::Int(run_id)],
            )?
            .i64(0)?;
        Ok(Self { tx, run_id, next })
    }

    /// Append `items`, in order: one statement per [`sql::ROWS_PER_STATEMENT`] items.
    pub(super) fn push_all<'i>(
        &mut self,
        items: impl ExactSizeIterator<Item = &'i RunItem>,
    ) -> Result<(), sql::Error> {
        let items: Vec<&RunItem> = items.collect();
        for chunk in items.chunks(sql::ROWS_PER_STATEMENT) {
            let mut params = vec![Value::Int(self.run_id)];
            for item in chunk {
                params.extend(
                    item_params(self.run_id, Some(self.next), item)
                        .into_iter()
                        .skip(1),
                );
                self.next += 1;
            }
            self.tx.execute(
                &format!(
                    "INSERT INTO run_items (run_id, seq, home_key, remote_id, name, outcome, reason)
                     VALUES {}",
                    sql::rows_of("(?1, $, $, $, $, $, $)", chunk.len(), 2)
                ),
                &params,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::{audit_details, each_engine};
    use super::*;

    fn item(i: usize) -> RunItem {
        RunItem {
            home_key: Some(format!("TP-{i}")),
            remote_id: Some(format!("R-{i}")),
            name: format!("Customer {i}"),
            outcome: "created".to_owned(),
            reason: String::new(),
        }
    }

    #[test]
    fn run_items_page_walks_a_run_by_key_without_gaps_or_repeats() {
        for (_keep, state) in each_engine() {
            run_items_page_walks_a_run(&state);
        }
    }

    fn run_items_page_walks_a_run(state: &SyncState) {
        let run = state
            .start_run(None, "books", "customers", "push", false)
            .expect("store call");
        let other = state
            .start_run(None, "books", "customers", "push", false)
            .expect("store call");
        state
            .record_items(run, &(0..7).map(item).collect::<Vec<_>>())
            .expect("store call");
        state.record_items(other, &[item(99)]).expect("store call");

        let mut names = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let (page, more) = state.run_items_page(run, after, 3).expect("store call");
            pages += 1;
            assert!(page.len() <= 3);
            after = page.last().map(|(seq, _)| *seq);
            names.extend(page.into_iter().map(|(_, i)| i.name));
            if !more {
                break;
            }
        }
        assert_eq!(pages, 3, "7 items at 3 a page");
        let expected: Vec<String> = (0..7).map(|i| format!("Customer {i}")).collect();
        assert_eq!(names, expected, "another run's items never leak in");

        // An exact multiple says there is no more on the last full page.
        let (page, more) = state.run_items_page(run, None, 7).expect("store call");
        assert_eq!((page.len(), more), (7, false));

        assert!(matches!(
            state.run_items_page(12345, None, 3),
            Err(SyncStateError::NoRun(12345))
        ));
    }

    #[test]
    fn a_finished_run_is_audited_with_its_counts_and_calls_add_up_as_integers() {
        for (_keep, s) in each_engine() {
            let run = s
                .start_run(Some(4), "books", "customers", "push", true)
                .expect("starts");
            let failed = s
                .start_run(None, "books", "customers", "push", false)
                .expect("starts");
            assert!(failed > run, "ids are the database's, in order");
            let mut skipped = item(1);
            skipped.outcome = "skipped".to_owned();
            s.record_items(run, &[item(0), skipped, item(2)])
                .expect("records");
            s.record_item(run, &item(3)).expect("records");
            s.amend_item(run, "TP-3", "failed", "totals differ")
                .expect("amends");
            s.record_calls(run, 5).expect("counts");
            s.record_calls(failed, 7).expect("counts");
            s.finish_run(run).expect("finishes");
            s.fail_run(failed, "the connector broke a rule")
                .expect("fails");

            let (back, items) = s.run(run).expect("reads");
            assert_eq!(
                (back.plan_id, back.dry_run, back.status.as_str()),
                (Some(4), true, "finished")
            );
            assert!(back.finished_at.is_some());
            assert_eq!(
                items
                    .iter()
                    .map(|i| (i.name.as_str(), i.outcome.as_str(), i.reason.as_str()))
                    .collect::<Vec<_>>(),
                [
                    ("Customer 0", "created", ""),
                    ("Customer 1", "skipped", ""),
                    ("Customer 2", "created", ""),
                    ("Customer 3", "failed", "totals differ"),
                ]
            );
            let runs = s.runs().expect("reads");
            assert_eq!(
                runs.iter()
                    .map(|r| (r.id, r.status.as_str(), r.failure.as_deref()))
                    .collect::<Vec<_>>(),
                [
                    (failed, "failed", Some("the connector broke a rule")),
                    (run, "finished", None)
                ]
            );
            assert_eq!(
                audit_details(&s),
                [
                    format!(
                        "run {run}: push customers on books (dry run): 2 created, 1 failed, 1 skipped"
                    ),
                    format!("run {failed}: failed: the connector broke a rule"),
                ]
            );
            // 12 calls since the start; 3 records written or refused over 12 calls.
            assert_eq!(s.call_usage("books", 0).expect("sums"), (12, 3, 12));
            assert_eq!(s.call_usage("elsewhere", 0).expect("sums"), (0, 0, 0));
            s.mark_interrupted(failed).expect("marks");
            assert_eq!(s.run(failed).expect("reads").0.status, "failed");
            assert!(matches!(s.run(999), Err(SyncStateError::NoRun(999))));
        }
    }
}
