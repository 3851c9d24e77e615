//! Stored plans: a compare's result, kept so that `apply` acts on exactly what was shown.
//! The body is the sync engine's own versioned JSON (`sync::plan`). Table `plans`
//! (migration 2).

use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};

use super::connections::unix;
use super::sync_state::{SyncState, SyncStateError};

impl SyncState {
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
            let (connection, entity, direction, body, purged): (_, _, _, _, Option<i64>) = db
                .query_row(
                    "SELECT connection, entity, direction, body, body_purged_at FROM plans WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?
                .ok_or(SyncStateError::NoPlan(id))?;
            if purged.is_some() {
                return Err(SyncStateError::PlanPurged(id));
            }
            Ok((connection, entity, direction, body))
        })
    }

    /// When plan `id` was stored (Unix seconds).
    pub fn plan_created_at(&self, id: i64) -> Result<i64, SyncStateError> {
        self.with(|db| {
            db.query_row(
                "SELECT created_at FROM plans WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(SyncStateError::NoPlan(id))
        })
    }
}
