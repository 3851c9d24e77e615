//! The audit log: one line per thing an admin or a run changed (connections, plugins,
//! runs, review decisions), appended in the same transaction as the change it records.
//! Table `audit_log` (migration 2); `ledgerlink audit` reads it.

use std::time::SystemTime;

use rusqlite::params;

use super::connections::unix;
use super::sync_state::{SyncState, SyncStateError};

impl SyncState {
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
}

/// Append to the audit log, inside the caller's transaction when it has one.
pub(super) fn append(
    db: &rusqlite::Connection,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO audit_log (at, action, detail) VALUES (?1, ?2, ?3)",
        params![unix(SystemTime::now()), action, detail],
    )?;
    Ok(())
}
