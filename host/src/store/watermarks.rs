//! Delta watermarks: per connection, entity and direction, the instant from which the next
//! delta transfer reads the target (the start of the last complete one). Table `watermarks`
//! (migration 4).

use rusqlite::{OptionalExtension, params};

use super::sync_state::{SyncState, SyncStateError};

impl SyncState {
    /// The watermark of `entity` in `direction` over `connection`: the RFC 3339 instant a
    /// delta transfer reads from; `None` before the first complete transfer.
    pub fn watermark(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
    ) -> Result<Option<String>, SyncStateError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    "SELECT at FROM watermarks WHERE connection = ?1 AND entity = ?2 AND direction = ?3",
                    params![connection, entity, direction],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Moves the watermark to `at` after run `run_id` completed everything it was due.
    pub fn set_watermark(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
        at: &str,
        run_id: i64,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO watermarks (connection, entity, direction, at, run_id) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (connection, entity, direction) DO UPDATE SET at = ?4, run_id = ?5",
                params![connection, entity, direction, at, run_id],
            )?;
            Ok(())
        })
    }
}
