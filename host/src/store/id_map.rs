//! The id map: which home record is which record in a target, per connection and entity,
//! with the fingerprints of both sides at the last sync (what compare measures changes
//! against). Table `id_map` (migration 2).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::runs::{RunItem, insert_item};
use super::sync_state::{SyncState, SyncStateError};

/// An id-map row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapEntry {
    /// Home key.
    pub home_key: String,
    /// Remote id.
    pub remote_id: String,
    /// Home fingerprint at the last sync.
    pub home_fingerprint: String,
    /// Remote fingerprint at the last sync.
    pub remote_fingerprint: String,
    /// When (Unix seconds).
    pub synced_at: i64,
}

impl SyncState {
    /// The id map of one connection and entity.
    pub fn id_map(&self, connection: &str, entity: &str) -> Result<Vec<MapEntry>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at
                 FROM id_map WHERE connection = ?1 AND entity = ?2 ORDER BY home_key",
            )?;
            let rows = stmt
                .query_map(params![connection, entity], |r| {
                    Ok(MapEntry {
                        home_key: r.get(0)?,
                        remote_id: r.get(1)?,
                        home_fingerprint: r.get(2)?,
                        remote_fingerprint: r.get(3)?,
                        synced_at: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// How many records of any entity are linked over `connection`.
    pub fn link_count(&self, connection: &str) -> Result<u64, SyncStateError> {
        self.with(|db| {
            Ok(db.query_row(
                "SELECT COUNT(*) FROM id_map WHERE connection = ?1",
                params![connection],
                |r| r.get(0),
            )?)
        })
    }

    /// The home record `remote_id` is linked to over `connection`, if any.
    pub fn linked_home_key(
        &self,
        connection: &str,
        entity: &str,
        remote_id: &str,
    ) -> Result<Option<String>, SyncStateError> {
        self.with(|db| {
            Ok(db
                .prepare_cached(
                    "SELECT home_key FROM id_map WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                )?
                .query_row(params![connection, entity, remote_id], |r| r.get(0))
                .optional()?)
        })
    }

    /// Record the fingerprint of the target's version of a record, as read back after it
    /// was written: a later difference means someone changed it there.
    pub fn set_remote_fingerprint(
        &self,
        connection: &str,
        entity: &str,
        home_key: &str,
        fingerprint: &str,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "UPDATE id_map SET remote_fingerprint = ?4 WHERE connection = ?1 AND entity = ?2 AND home_key = ?3",
                params![connection, entity, home_key, fingerprint],
            )?;
            Ok(())
        })
    }

    /// [`Self::set_remote_fingerprint`] for many records (`(home key, fingerprint)`), in one
    /// transaction.
    pub fn set_remote_fingerprints(
        &self,
        connection: &str,
        entity: &str,
        fingerprints: &[(String, String)],
    ) -> Result<(), SyncStateError> {
        if fingerprints.is_empty() {
            return Ok(());
        }
        self.with(|db| {
            let tx = db.transaction()?;
            {
                let mut update = tx.prepare_cached(
                    "UPDATE id_map SET remote_fingerprint = ?4 WHERE connection = ?1 AND entity = ?2 AND home_key = ?3",
                )?;
                for (home_key, fingerprint) in fingerprints {
                    update.execute(params![connection, entity, home_key, fingerprint])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Record a link found (not created) by the engine, e.g. a customer matched in the target.
    pub fn link(
        &self,
        connection: &str,
        entity: &str,
        entry: &MapEntry,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (connection, entity, home_key) DO UPDATE SET remote_id = excluded.remote_id",
                params![connection, entity, entry.home_key, entry.remote_id, entry.home_fingerprint, entry.remote_fingerprint, entry.synced_at],
            )?;
            Ok(())
        })
    }

    /// Record a local write (a pull into the home book): id map and run item together.
    pub fn record_pulled(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        entry: &MapEntry,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            upsert(&tx, connection, entity, entry)?;
            insert_item(&tx, run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }
}

/// Link a home record to a remote one, replacing any earlier link of that home record
/// (inside the caller's transaction).
pub(super) fn upsert(
    db: &rusqlite::Connection,
    connection: &str,
    entity: &str,
    entry: &MapEntry,
) -> rusqlite::Result<()> {
    db.prepare_cached(
        "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (connection, entity, home_key) DO UPDATE SET
           remote_id = excluded.remote_id, home_fingerprint = excluded.home_fingerprint,
           remote_fingerprint = excluded.remote_fingerprint, synced_at = excluded.synced_at",
    )?
    .execute(params![connection, entity, entry.home_key, entry.remote_id, entry.home_fingerprint, entry.remote_fingerprint, entry.synced_at])?;
    Ok(())
}

/// Unlink the home record linked to `remote_id` (inside the caller's transaction).
pub(super) fn remove(
    db: &rusqlite::Connection,
    connection: &str,
    entity: &str,
    remote_id: &str,
) -> rusqlite::Result<()> {
    db.execute(
        "DELETE FROM id_map WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
        params![connection, entity, remote_id],
    )?;
    Ok(())
}
