//! Delta watermarks: per connection, entity and direction, the instant from which the next
//! delta transfer reads the target (the start of the last complete one). Table `watermarks`
//! (migration 4).

use super::sql::Value;
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
        let row = self.db().query_opt(
            "SELECT at FROM watermarks WHERE connection = ?1 AND entity = ?2 AND direction = ?3",
            &[connection.into(), entity.into(), direction.into()],
        )?;
        Ok(row.map(|r| r.text(0)).transpose()?)
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
        self.db().execute(
            "INSERT INTO watermarks (connection, entity, direction, at, run_id) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (connection, entity, direction) DO UPDATE SET at = excluded.at, run_id = excluded.run_id",
            &[
                connection.into(),
                entity.into(),
                direction.into(),
                at.into(),
                Value::Int(run_id),
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::each_engine;

    #[test]
    fn a_watermark_is_none_until_set_then_moves_per_connection_entity_and_direction() {
        for (_keep, s) in each_engine() {
            assert_eq!(
                s.watermark("books", "customers", "push").expect("reads"),
                None
            );
            s.set_watermark("books", "customers", "push", "2024-01-01T00:00:00Z", 1)
                .expect("sets");
            // The same key again moves it (the upsert's conflict path on both engines).
            s.set_watermark("books", "customers", "push", "2024-02-01T00:00:00Z", 2)
                .expect("moves");
            s.set_watermark("books", "customers", "pull", "2023-12-31T00:00:00Z", 3)
                .expect("sets");
            assert_eq!(
                s.watermark("books", "customers", "push").expect("reads"),
                Some("2024-02-01T00:00:00Z".to_owned())
            );
            assert_eq!(
                s.watermark("books", "customers", "pull").expect("reads"),
                Some("2023-12-31T00:00:00Z".to_owned())
            );
            assert_eq!(
                s.watermark("other", "customers", "push").expect("reads"),
                None
            );
        }
    }
}
