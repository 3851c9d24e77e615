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

    /// The home records `remote_ids` are linked to over `connection` in any of `entities`
    /// (remote id → home key; where one id is linked in several entities, the first of
    /// `entities` names it): one query per chunk of ids.
    pub fn linked_home_keys(
        &self,
        connection: &str,
        entities: &[&str],
        remote_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, SyncStateError> {
        let mut found: std::collections::HashMap<String, (usize, String)> =
            std::collections::HashMap::new();
        if entities.is_empty() {
            return Ok(Default::default());
        }
        for chunk in remote_ids.chunks(sql::ROWS_PER_STATEMENT) {
            let mut params: Vec<Value> = vec![connection.into()];
            params.extend(entities.iter().map(|e| Value::from(*e)));
            params.extend(chunk.iter().map(|id| Value::from(*id)));
            let rows = self.db().query(
                &format!(
                    "SELECT entity, remote_id, home_key FROM id_map
                     WHERE connection = ?1 AND entity IN ({}) AND remote_id IN ({})",
                    sql::rows_of("$", entities.len(), 2),
                    sql::rows_of("$", chunk.len(), 2 + entities.len()),
                ),
                &params,
            )?;
            for r in rows {
                let entity = r.text(0)?;
                let rank = entities
                    .iter()
                    .position(|e| *e == entity)
                    .unwrap_or(usize::MAX);
                let (remote_id, home_key) = (r.text(1)?, r.text(2)?);
                match found.get(&remote_id) {
                    Some((best, _)) if *best <= rank => {}
                    _ => {
                        found.insert(remote_id, (rank, home_key));
                    }
                }
            }
        }
        Ok(found.into_iter().map(|(id, (_, key))| (id, key)).collect())
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
        // One statement per chunk; a home key named twice makes the whole list go one by
        // one (a joined UPDATE would take either), the last one winning as row by row.
        let distinct = fingerprints
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
            == fingerprints.len();
        self.transaction(|tx| {
            if !distinct {
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
                return Ok(());
            }
            for chunk in fingerprints.chunks(sql::ROWS_PER_STATEMENT) {
                let mut params = vec![connection.into(), entity.into()];
                for (home_key, fingerprint) in chunk {
                    params.extend([home_key.as_str().into(), fingerprint.as_str().into()]);
                }
                tx.execute(
                    &format!(
                        "UPDATE id_map SET remote_fingerprint = v.column2 FROM (VALUES {}) AS v
                         WHERE id_map.connection = ?1 AND id_map.entity = ?2 AND id_map.home_key = v.column1",
                        sql::rows_of("($, $)", chunk.len(), 3)
                    ),
                    &params,
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

/// [`upsert`] for many entries: one statement per chunk. Entries naming one home record
/// twice go one by one, in order (one statement may not change a row twice on PostgreSQL).
pub(super) fn upsert_all<'e>(
    tx: &Tx<'_>,
    connection: &str,
    entity: &str,
    entries: impl ExactSizeIterator<Item = &'e MapEntry>,
) -> Result<(), sql::Error> {
    let entries: Vec<&MapEntry> = entries.collect();
    let distinct = entries
        .iter()
        .map(|e| e.home_key.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len()
        == entries.len();
    if !distinct {
        for entry in entries {
            upsert(tx, connection, entity, entry)?;
        }
        return Ok(());
    }
    for chunk in entries.chunks(sql::ROWS_PER_STATEMENT) {
        let mut params = vec![connection.into(), entity.into()];
        for entry in chunk {
            params.extend(entry_params(connection, entity, entry).into_iter().skip(2));
        }
        tx.execute(
            &format!(
                "INSERT INTO id_map (connection, entity, home_key, remote_id, home_fingerprint, remote_fingerprint, synced_at)
                 VALUES {}
                 ON CONFLICT (connection, entity, home_key) DO UPDATE SET
                   remote_id = excluded.remote_id, home_fingerprint = excluded.home_fingerprint,
                   remote_fingerprint = excluded.remote_fingerprint, synced_at = excluded.synced_at",
                sql::rows_of("(?1, ?2, $, $, $, $, $)", chunk.len(), 3)
            ),
            &params,
        )?;
    }
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

    #[test]
    fn the_owners_of_many_remote_ids_are_read_together_the_first_entity_naming_them() {
        for (_keep, s) in each_engine() {
            s.link("books", "job-invoices", &entry("J-1", "R-1", "f"))
                .expect("the store answers");
            s.link("books", "contract-invoices", &entry("C-1", "R-1", "f"))
                .expect("the store answers");
            s.link("books", "contract-invoices", &entry("C-2", "R-2", "f"))
                .expect("the store answers");
            s.link("other", "job-invoices", &entry("J-3", "R-3", "f"))
                .expect("the store answers");
            let owners = s
                .linked_home_keys(
                    "books",
                    &["job-invoices", "contract-invoices"],
                    &["R-1", "R-2", "R-3", "R-9"],
                )
                .expect("the store answers");
            let mut owners: Vec<(String, String)> = owners.into_iter().collect();
            owners.sort();
            assert_eq!(
                owners,
                [
                    ("R-1".to_owned(), "J-1".to_owned()),
                    ("R-2".to_owned(), "C-2".to_owned())
                ],
                "R-3 is another connection's, R-9 nobody's"
            );
            let owners = s
                .linked_home_keys("books", &["contract-invoices", "job-invoices"], &["R-1"])
                .expect("the store answers");
            assert_eq!(owners.get("R-1").map(String::as_str), Some("C-1"));
            // Many ids: one query per chunk, every owner found.
            let many: Vec<String> = (0..600).map(|i| format!("M-{i}")).collect();
            for (i, id) in many.iter().enumerate() {
                s.link("books", "job-invoices", &entry(&format!("H-{i}"), id, "f"))
                    .expect("the store answers");
            }
            let ids: Vec<&str> = many.iter().map(String::as_str).collect();
            let before = s.db().statements();
            let owners = s
                .linked_home_keys("books", &["job-invoices"], &ids)
                .expect("the store answers");
            assert_eq!(s.db().statements() - before, 3);
            assert_eq!(owners.len(), 600);
            assert_eq!(owners.get("M-599").map(String::as_str), Some("H-599"));
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
