//! The id map: which home record is which record in a target, per connection and entity,
//! with the fingerprints of both sides at the last sync (what compare measures changes
//! against). Table `id_map` (migration 2).

use serde::Serialize;

use super::runs::{RunItem, insert_item};
use super::sql::{self, Row, Tx, Value};
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

fn entry_row(r: &Row) -> Result<MapEntry, sql::Error> {
    Ok(MapEntry {
        home_key: r.text(0)?,
        remote_id: r.text(1)?,
        home_fingerprint: r.text(2)?,
        remote_fingerprint: r.text(3)?,
        synced_at: r.i64(4)?,
    })
}

const SET_REMOTE_FINGERPRINT: &str = "UPDATE id_map SET remote_fingerprint = ?4 WHERE connection = ?1 AND entity = ?2 AND home_key = ?3";

impl SyncState {
    /// The id map of one connection and entity.
    pub fn id_map(&self, connection: &str, entity: &str) -> Result<Vec<MapEntry>, SyncStateError> {
        let order = self.bytewise("home_key");
        let rows = self.db().query(
            &format!(
                "SELECT home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at
                 FROM id_map WHERE connection = ?1 AND entity = ?2 ORDER BY {order}"
            ),
            &[connection.into(), entity.into()],
        )?;
        Ok(rows.iter().map(entry_row).collect::<Result<_, _>>()?)
    }

    /// How many records of any entity are linked over `connection`.
    pub fn link_count(&self, connection: &str) -> Result<u64, SyncStateError> {
        let n = self
            .db()
            .query_one(
                "SELECT COUNT(*) FROM id_map WHERE connection = ?1",
                &[connection.into()],
            )?
            .i64(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The home record `remote_id` is linked to over `connection`, if any.
    pub fn linked_home_key(
        &self,
        connection: &str,
        entity: &str,
        remote_id: &str,
    ) -> Result<Option<String>, SyncStateError> {
        let row = self.db().query_opt(
            "SELECT home_key FROM id_map WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
            &[connection.into(), entity.into(), remote_id.into()],
        )?;
        Ok(row.map(|r| r.text(0)).transpose()?)
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
        self.db().execute(
            SET_REMOTE_FINGERPRINT,
            &[
                connection.into(),
                entity.into(),
                home_key.into(),
                fingerprint.into(),
            ],
        )?;
        Ok(())
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
        self.transaction(|tx| {
            for (home_key, fingerprint) in fingerprints {
                tx.execute(
                    SET_REMOTE_FINGERPRINT,
                    &[
                        connection.into(),
                        entity.into(),
                        home_key.as_str().into(),
                        fingerprint.as_str().into(),
                    ],
                )?;
            }
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
        self.db().execute(
            "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (connection, entity, home_key) DO UPDATE SET remote_id = excluded.remote_id",
            &entry_params(connection, entity, entry),
        )?;
        Ok(())
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
        self.transaction(|tx| {
            upsert(tx, connection, entity, entry)?;
            insert_item(tx, run_id, item)?;
            Ok(())
        })
    }
}

fn entry_params(connection: &str, entity: &str, entry: &MapEntry) -> [Value; 7] {
    [
        connection.into(),
        entity.into(),
        entry.home_key.as_str().into(),
        entry.remote_id.as_str().into(),
        entry.home_fingerprint.as_str().into(),
        entry.remote_fingerprint.as_str().into(),
        Value::Int(entry.synced_at),
    ]
}

/// Link a home record to a remote one, replacing any earlier link of that home record
/// (inside the caller's transaction).
pub(super) fn upsert(
    tx: &Tx<'_>,
    connection: &str,
    entity: &str,
    entry: &MapEntry,
) -> Result<(), sql::Error> {
    tx.execute(
        "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (connection, entity, home_key) DO UPDATE SET
           remote_id = excluded.remote_id, home_fingerprint = excluded.home_fingerprint,
           remote_fingerprint = excluded.remote_fingerprint, synced_at = excluded.synced_at",
        &entry_params(connection, entity, entry),
    )?;
    Ok(())
}

/// Unlink the home record linked to `remote_id` (inside the caller's transaction).
pub(super) fn remove(
    tx: &Tx<'_>,
    connection: &str,
    entity: &str,
    remote_id: &str,
) -> Result<(), sql::Error> {
    tx.execute(
        "DELETE FROM id_map WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
        &[connection.into(), entity.into(), remote_id.into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::each_engine;
    use super::*;

    fn entry(home_key: &str, remote_id: &str, fp: &str) -> MapEntry {
        MapEntry {
            home_key: home_key.to_owned(),
            remote_id: remote_id.to_owned(),
            home_fingerprint: fp.to_owned(),
            remote_fingerprint: fp.to_owned(),
            synced_at: 7,
        }
    }

    fn item(home_key: &str) -> RunItem {
        RunItem {
            home_key: Some(home_key.to_owned()),
            remote_id: None,
            name: format!("Name of {home_key}"),
            outcome: "created".to_owned(),
            reason: String::new(),
        }
    }

    #[test]
    fn links_upsert_by_home_key_and_read_back_in_byte_order() {
        for (_keep, s) in each_engine() {
            // Upper case sorts before lower case byte by byte, not in a locale's order.
            s.link("books", "customers", &entry("b-2", "R-2", "f2"))
                .expect("links");
            s.link("books", "customers", &entry("B-1", "R-1", "f1"))
                .expect("links");
            s.link("books", "customers", &entry("a-3", "R-3", "f3"))
                .expect("links");
            // Linking a home key again moves it to the new remote id, fingerprints kept.
            s.link("books", "customers", &entry("a-3", "R-33", "other"))
                .expect("relinks");
            s.link("other", "customers", &entry("X", "R-9", "f9"))
                .expect("links");
            let map = s.id_map("books", "customers").expect("reads");
            let keys: Vec<(&str, &str, &str)> = map
                .iter()
                .map(|e| {
                    (
                        e.home_key.as_str(),
                        e.remote_id.as_str(),
                        e.home_fingerprint.as_str(),
                    )
                })
                .collect();
            assert_eq!(
                keys,
                [
                    ("B-1", "R-1", "f1"),
                    ("a-3", "R-33", "f3"),
                    ("b-2", "R-2", "f2")
                ]
            );
            assert_eq!(s.link_count("books").expect("counts"), 3);
            assert_eq!(
                s.linked_home_key("books", "customers", "R-33")
                    .expect("reads"),
                Some("a-3".to_owned())
            );
            assert_eq!(
                s.linked_home_key("books", "customers", "R-3")
                    .expect("reads"),
                None
            );

            s.set_remote_fingerprint("books", "customers", "B-1", "seen-1")
                .expect("sets");
            s.set_remote_fingerprints(
                "books",
                "customers",
                &[
                    ("b-2".to_owned(), "seen-2".to_owned()),
                    ("nobody".to_owned(), "ignored".to_owned()),
                ],
            )
            .expect("sets");
            let remote: Vec<String> = s
                .id_map("books", "customers")
                .expect("reads")
                .into_iter()
                .map(|e| e.remote_fingerprint)
                .collect();
            assert_eq!(remote, ["seen-1", "f3", "seen-2"]);
        }
    }

    #[test]
    fn a_pull_records_link_and_run_item_together_or_neither() {
        for (_keep, s) in each_engine() {
            let run = s
                .start_run(None, "books", "customers", "pull", false)
                .expect("run");
            s.record_pulled(
                run,
                "books",
                "customers",
                &entry("K1", "R-1", "f"),
                &item("K1"),
            )
            .expect("records");
            // The remote id is taken by K1: the link fails, and the run item written
            // before it in the same transaction goes too, on both engines.
            let err = s
                .transaction(|tx| {
                    insert_item(tx, run, &item("K2"))?;
                    upsert(tx, "books", "customers", &entry("K2", "R-1", "f"))?;
                    Ok(())
                })
                .expect_err("the remote id is linked already");
            assert!(err.to_string().starts_with("database error: "), "{err}");
            let (_, items) = s.run(run).expect("reads");
            assert_eq!(
                items
                    .iter()
                    .map(|i| i.home_key.as_deref())
                    .collect::<Vec<_>>(),
                [Some("K1")]
            );
            assert_eq!(s.link_count("books").expect("counts"), 1);
            s.transaction(|tx| Ok(remove(tx, "books", "customers", "R-1")?))
                .expect("unlinks");
            assert_eq!(s.link_count("books").expect("counts"), 0);
        }
    }
}
