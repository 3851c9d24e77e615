//! Runs and their per-record outcomes. A run ends `finished`, `interrupted` or `failed` with
//! its reason, never stays `running`; finishing or failing one writes its audit line in the
//! same transaction. Tables `runs` (migration 2; `failure` and `calls` from migration 5)
//! and `run_items`.

use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit;
use super::connections::unix;
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
            audit::append(&tx, "run", &detail)?;
            tx.commit()?;
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
            audit::append(&tx, "run", &format!("run {run_id}: failed: {reason}"))?;
            tx.commit()?;
            Ok(())
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

    /// Record a run item that involves no write (skipped, unchanged, failed before sending).
    pub fn record_item(&self, run_id: i64, item: &RunItem) -> Result<(), SyncStateError> {
        self.with(|db| {
            insert_item(db, run_id, item)?;
            Ok(())
        })
    }

    /// [`Self::record_item`] for many items, in order, in one transaction.
    pub fn record_items(&self, run_id: i64, items: &[RunItem]) -> Result<(), SyncStateError> {
        if items.is_empty() {
            return Ok(());
        }
        self.with(|db| {
            let tx = db.transaction()?;
            {
                let mut writer = ItemWriter::new(&tx, run_id)?;
                for item in items {
                    writer.push(item)?;
                }
            }
            tx.commit()?;
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

    /// One page of run `id`'s items, in order: those after the item numbered `after` (from
    /// the start when `None`), at most `limit`, each with its number, and whether more
    /// follow. Read by key from the store, so a page of a long run costs the page, not the run.
    pub fn run_items_page(
        &self,
        id: i64,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<(i64, RunItem)>, bool), SyncStateError> {
        self.with(|db| {
            db.query_row("SELECT 1 FROM runs WHERE id = ?1", params![id], |_| Ok(()))
                .optional()?
                .ok_or(SyncStateError::NoRun(id))?;
            let mut stmt = db.prepare_cached(
                "SELECT seq, home_key, remote_id, name, outcome, reason FROM run_items
                 WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let wanted = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
            let mut items = stmt
                .query_map(params![id, after.unwrap_or(i64::MIN), wanted], |r| {
                    Ok((
                        r.get(0)?,
                        RunItem {
                            home_key: r.get(1)?,
                            remote_id: r.get(2)?,
                            name: r.get(3)?,
                            outcome: r.get(4)?,
                            reason: r.get(5)?,
                        },
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let more = items.len() > limit;
            items.truncate(limit);
            Ok((items, more))
        })
    }

    /// Record how many vendor API calls run `run_id` made.
    pub fn record_calls(&self, run_id: i64, calls: u64) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "UPDATE runs SET calls = ?2 WHERE id = ?1",
                params![run_id, i64::try_from(calls).unwrap_or(i64::MAX)],
            )?;
            Ok(())
        })
    }

    /// Vendor API calls the runs of `connection` made since `since` (Unix seconds), and over
    /// all its runs that counted calls: (records written or refused, calls).
    pub fn call_usage(
        &self,
        connection: &str,
        since: i64,
    ) -> Result<(u64, u64, u64), SyncStateError> {
        self.with(|db| {
            let recent: i64 = db.query_row(
                "SELECT COALESCE(SUM(calls), 0) FROM runs WHERE connection = ?1 AND started_at >= ?2",
                params![connection, since],
                |r| r.get(0),
            )?;
            let (records, calls): (i64, i64) = db.query_row(
                "SELECT
                   COALESCE((SELECT COUNT(*) FROM run_items i JOIN runs r ON r.id = i.run_id
                     WHERE r.connection = ?1 AND r.calls > 0
                       AND i.outcome IN ('created', 'updated', 'conflict', 'failed')), 0),
                   COALESCE((SELECT SUM(calls) FROM runs WHERE connection = ?1 AND calls > 0), 0)",
                params![connection],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let u = |n: i64| u64::try_from(n).unwrap_or(0);
            Ok((u(recent), u(records), u(calls)))
        })
    }
}

const RUN_SELECT: &str = "SELECT id, plan_id, connection, entity, direction, dry_run, started_at, finished_at, status, failure, items_purged_at FROM runs";

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
        items_purged_at: r.get(10)?,
    })
}

/// Append `item` to run `run_id` (inside the caller's transaction when it has one).
pub(super) fn insert_item(
    db: &rusqlite::Connection,
    run_id: i64,
    item: &RunItem,
) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO run_items (run_id, seq, home_key, remote_id, name, outcome, reason)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_items WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![run_id, item.home_key, item.remote_id, item.name, item.outcome, item.reason])?;
    Ok(())
}

/// Appends many items to one run inside the caller's transaction, with one prepared
/// statement. The run's items are written only by the process running it, so the next
/// sequence number is read once.
pub(super) struct ItemWriter<'c> {
    insert: rusqlite::CachedStatement<'c>,
    run_id: i64,
    next: i64,
}

impl<'c> ItemWriter<'c> {
    /// For run `run_id`, inside the transaction `db` is in.
    pub(super) fn new(db: &'c rusqlite::Connection, run_id: i64) -> rusqlite::Result<Self> {
        let next: i64 = db
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM run_items WHERE run_id = ?1")?
            .query_row(params![run_id], |r| r.get(0))?;
        let insert = db.prepare_cached(
            "INSERT INTO run_items (run_id, seq, home_key, remote_id, name, outcome, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        Ok(Self {
            insert,
            run_id,
            next,
        })
    }

    /// Append `item`.
    pub(super) fn push(&mut self, item: &RunItem) -> rusqlite::Result<()> {
        self.insert.execute(params![
            self.run_id,
            self.next,
            item.home_key,
            item.remote_id,
            item.name,
            item.outcome,
            item.reason
        ])?;
        self.next += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = SyncState::open(&tmp.path().join("state.db")).expect("store call");
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
}
