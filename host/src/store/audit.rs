//! The audit log: one line per thing an admin or a run changed (connections, plugins,
//! runs, review decisions), appended in the same transaction as the change it records.
//! Table `audit_log` (migration 2); `ledgerlink audit` reads it.

use std::time::SystemTime;

use super::connections::unix;
use super::sql::{self, Tx, Value};
use super::sync_state::{SyncState, SyncStateError};

impl SyncState {
    /// The audit log, oldest first: (Unix seconds, action, detail).
    pub fn audit_log(&self) -> Result<Vec<(i64, String, String)>, SyncStateError> {
        let rows = self
            .db()
            .query("SELECT at, action, detail FROM audit_log ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.i64(0)?, r.text(1)?, r.text(2)?)))
            .collect::<Result<_, sql::Error>>()?)
    }
}

/// Append to the audit log inside the caller's transaction (or as one statement), on
/// either engine.
pub(super) fn record(tx: &Tx<'_>, action: &str, detail: &str) -> Result<(), sql::Error> {
    tx.execute(
        "INSERT INTO audit_log (at, action, detail) VALUES (?1, ?2, ?3)",
        &[
            Value::Int(unix(SystemTime::now())),
            action.into(),
            detail.into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::each_engine;
    use super::*;

    #[test]
    fn lines_are_read_back_oldest_first_with_what_was_recorded() {
        for (_keep, s) in each_engine() {
            assert_eq!(s.audit_log().expect("reads"), Vec::new());
            s.db()
                .transaction(|tx| -> Result<(), SyncStateError> {
                    record(tx, "run", "run 1: first")?;
                    record(tx, "plugin", "plugin x installed")?;
                    Ok(())
                })
                .expect("records");
            // A line recorded in a transaction that fails is gone with it.
            let failed = s.db().transaction(|tx| -> Result<(), SyncStateError> {
                record(tx, "run", "never kept")?;
                Err(SyncStateError::NoRun(7))
            });
            assert_eq!(
                failed.expect_err("fails").to_string(),
                "there is no run 7; `ledgerlink runs list` shows them"
            );
            let log = s.audit_log().expect("reads");
            let lines: Vec<(&str, &str)> = log
                .iter()
                .map(|(_, a, d)| (a.as_str(), d.as_str()))
                .collect();
            assert_eq!(
                lines,
                [("run", "run 1: first"), ("plugin", "plugin x installed")]
            );
            assert!(log.iter().all(|(at, ..)| *at > 1_600_000_000));
        }
    }
}
