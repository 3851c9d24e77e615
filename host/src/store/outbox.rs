//! The outbox of writes: what makes a push crash-safe. An intent is recorded (with a
//! deterministic idempotency key) before the write is sent, and settled in the same
//! transaction that records the id map entry and the run item. An intent found pending at
//! start, or marked unknown because its answer was lost, was sent or not; the engine
//! resolves it (looks the record up in the target, or replays it) before anything new is
//! sent. Settled intents are also the rollback journal:
//! what a run created, and what was last sent for a record. Table `outbox` (migration 2).

use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};

use super::connections::unix;
use super::id_map::{self, MapEntry};
use super::runs::{ItemWriter, RunItem, insert_item};
use super::sql::Tx;
use super::sync_state::{SyncState, SyncStateError};

/// A pending outbox intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// Deterministic key.
    pub idempotency_key: String,
    /// Run that recorded it.
    pub run_id: i64,
    /// Entity.
    pub entity: String,
    /// Home key.
    pub home_key: String,
    /// The record as it was to be sent (JSON).
    pub payload: String,
}

/// An intent to record ([`SyncState::record_intents`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntent<'a> {
    /// Home key.
    pub home_key: &'a str,
    /// Its idempotency key.
    pub key: &'a str,
    /// The record as it is to be sent (JSON).
    pub payload: String,
}

/// How one sent write ended, to record ([`SyncState::settle_all`]).
#[derive(Debug, Clone, Copy)]
pub enum Settlement<'a> {
    /// Written: the intent is settled, the id map links the record, the run item says so.
    Written {
        /// The intent's key.
        key: &'a str,
        /// The link.
        entry: &'a MapEntry,
        /// The run item.
        item: &'a RunItem,
    },
    /// Refused by the target: the intent failed, nothing was written.
    Failed {
        /// The intent's key.
        key: &'a str,
        /// The run item.
        item: &'a RunItem,
    },
    /// Sent, answer lost: the intent stays to be resolved by reading the target.
    Unknown {
        /// The intent's key.
        key: &'a str,
        /// The run item.
        item: &'a RunItem,
    },
}

/// One document a run wrote — created or updated in the target, not one the target called
/// unchanged — as the read-back compares it ([`SyncState::written_after`],
/// [`SyncState::written_among`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenDocument {
    /// Its run item's sequence number in the run (the order it was written).
    pub seq: i64,
    /// Home key.
    pub home_key: String,
    /// Its id in the target.
    pub remote_id: String,
    /// `created` or `updated`, as its run item says.
    pub outcome: String,
    /// The record as it was sent (JSON, the outbox payload).
    pub payload: String,
}

/// A written document is a settled intent of the run and entity whose run item (same run,
/// home key and target id) says `created` or `updated`.
const WRITTEN: &str = "SELECT ri.seq, ri.home_key, ri.remote_id, ri.outcome, o.payload
     FROM run_items ri
     JOIN outbox o ON o.connection = ?2 AND o.entity = ?3 AND o.home_key = ri.home_key
      AND o.run_id = ri.run_id AND o.state = 'settled' AND o.remote_id = ri.remote_id
     WHERE ri.run_id = ?1 AND ri.seq > ?4 AND ri.outcome IN ('created', 'updated')
     ORDER BY ri.seq LIMIT ?5";

impl SyncState {
    /// Record an intent before sending. Returns `false` when an intent with this key was
    /// already settled (the write happened in an earlier run: do not send again).
    pub fn record_intent(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        home_key: &str,
        key: &str,
        payload: &str,
    ) -> Result<bool, SyncStateError> {
        let fresh = self.record_intents(
            run_id,
            connection,
            entity,
            &[NewIntent {
                home_key,
                key,
                payload: payload.to_owned(),
            }],
        )?;
        Ok(fresh.first().copied().unwrap_or(false))
    }

    /// Record the intents of a batch before any of it is sent, in one transaction: each
    /// answer is [`Self::record_intent`]'s for that intent, in order.
    pub fn record_intents(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        intents: &[NewIntent<'_>],
    ) -> Result<Vec<bool>, SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let mut fresh = Vec::with_capacity(intents.len());
            {
                let mut state_of =
                    tx.prepare_cached("SELECT state FROM outbox WHERE idempotency_key = ?1")?;
                // A failed or rolled-back intent sent again carries this payload (its old one
                // may have been removed by retention).
                let mut again = tx.prepare_cached(
                    "UPDATE outbox SET run_id = ?2, state = 'pending', payload = ?3, payload_purged_at = NULL
                     WHERE idempotency_key = ?1",
                )?;
                let mut insert = tx.prepare_cached(
                    "INSERT INTO outbox (idempotency_key, run_id, connection, entity, home_key, payload, state, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
                )?;
                let now = unix(SystemTime::now());
                for i in intents {
                    let state: Option<String> = state_of
                        .query_row(params![i.key], |r| r.get(0))
                        .optional()?;
                    fresh.push(match state.as_deref() {
                        Some("settled") => false,
                        Some(_) => {
                            again.execute(params![i.key, run_id, i.payload])?;
                            true
                        }
                        None => {
                            insert.execute(params![
                                i.key, run_id, connection, entity, i.home_key, i.payload, now
                            ])?;
                            true
                        }
                    });
                }
            }
            tx.commit()?;
            Ok(fresh)
        })
    }

    /// Settle a successful write: outbox, id map and run item in one transaction.
    pub fn settle(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        key: &str,
        entry: &MapEntry,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.settle_all(
            run_id,
            connection,
            entity,
            &[Settlement::Written { key, entry, item }],
        )
    }

    /// Mark an intent failed (the target refused it; nothing was written).
    pub fn fail_intent(
        &self,
        run_id: i64,
        key: &str,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.settle_all(run_id, "", "", &[Settlement::Failed { key, item }])
    }

    /// Mark an intent whose outcome is unknown (the write was sent, its answer was lost):
    /// it stays in the outbox to be resolved by reading the target before anything is
    /// sent again, and the run item says so.
    pub fn mark_unknown(
        &self,
        run_id: i64,
        key: &str,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.settle_all(run_id, "", "", &[Settlement::Unknown { key, item }])
    }

    /// Settle the writes of one sent batch, in one transaction: each as
    /// [`Self::settle`], [`Self::fail_intent`] or [`Self::mark_unknown`] would, in order.
    /// Either all of them are recorded or none (then they stay pending, to be resolved by
    /// reading the target).
    pub fn settle_all(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        settlements: &[Settlement<'_>],
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            {
                let mut settled = tx.prepare_cached(
                    "UPDATE outbox SET state = 'settled', remote_id = ?2, settled_at = ?3 WHERE idempotency_key = ?1",
                )?;
                let mut marked =
                    tx.prepare_cached("UPDATE outbox SET state = ?2 WHERE idempotency_key = ?1")?;
                let sqlite = Tx::Sqlite(&tx);
                let mut items = ItemWriter::new(&sqlite, run_id)?;
                for s in settlements {
                    match s {
                        Settlement::Written { key, entry, item } => {
                            settled.execute(params![key, entry.remote_id, entry.synced_at])?;
                            id_map::upsert(&sqlite, connection, entity, entry)?;
                            items.push(item)?;
                        }
                        Settlement::Failed { key, item } => {
                            marked.execute(params![key, "failed"])?;
                            items.push(item)?;
                        }
                        Settlement::Unknown { key, item } => {
                            marked.execute(params![key, "unknown"])?;
                            items.push(item)?;
                        }
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Intents of this connection and entity whose outcome is not known: left pending by
    /// an interrupted run, or marked unknown when their answer was lost.
    pub fn pending(&self, connection: &str, entity: &str) -> Result<Vec<Intent>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT idempotency_key, run_id, entity, home_key, payload FROM outbox
                 WHERE connection = ?1 AND entity = ?2 AND state IN ('pending', 'unknown') ORDER BY created_at, idempotency_key",
            )?;
            let rows = stmt
                .query_map(params![connection, entity], |r| {
                    Ok(Intent { idempotency_key: r.get(0)?, run_id: r.get(1)?, entity: r.get(2)?, home_key: r.get(3)?, payload: r.get(4)? })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The record last sent for `home_key` (the payload of its newest settled write).
    pub fn last_sent(
        &self,
        connection: &str,
        entity: &str,
        home_key: &str,
    ) -> Result<Option<String>, SyncStateError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    "SELECT payload FROM outbox WHERE connection = ?1 AND entity = ?2 AND home_key = ?3
                     AND state = 'settled' ORDER BY settled_at DESC, created_at DESC LIMIT 1",
                    params![connection, entity, home_key],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Records a run created (not updated) in the target, newest first: (entity, home key,
    /// remote id). Read from the outbox: a creation is a settled intent whose payload had
    /// no remote id.
    pub fn created_in_run(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, String, String)>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT entity, home_key, remote_id FROM outbox
                 WHERE run_id = ?1 AND state = 'settled' AND remote_id IS NOT NULL
                   AND json_extract(payload, '$.remote_id') IS NULL
                 ORDER BY settled_at DESC, rowid DESC",
            )?;
            let rows = stmt
                .query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The documents of `entity` run `run_id` wrote over `connection`, in the order written:
    /// at most `limit` of them, after the one whose run item is `after` (0: from the first).
    pub fn written_after(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<WrittenDocument>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare_cached(WRITTEN)?;
            let rows = stmt
                .query_map(
                    params![run_id, connection, entity, after, limit as i64],
                    written_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Of the target documents `remote_ids` (one page of a read-back), the ones `entity` run
    /// `run_id` wrote over `connection`, in the order written. Each is found through the id
    /// map and its record's intents (indexed); the run's items are read once for the page.
    pub fn written_among(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        remote_ids: &[&str],
    ) -> Result<Vec<WrittenDocument>, SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            // (home key, target id) → payload, for the page's documents this run settled.
            let mut sent: std::collections::HashMap<(String, String), String> =
                std::collections::HashMap::new();
            {
                let mut find = tx.prepare_cached(
                    "SELECT o.home_key, o.payload FROM id_map m
                     JOIN outbox o ON o.connection = m.connection AND o.entity = m.entity
                      AND o.home_key = m.home_key
                     WHERE m.connection = ?1 AND m.entity = ?2 AND m.remote_id = ?3
                       AND o.run_id = ?4 AND o.state = 'settled' AND o.remote_id = ?3",
                )?;
                for id in remote_ids {
                    let rows = find.query_map(params![connection, entity, id, run_id], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })?;
                    for row in rows {
                        let (home_key, payload) = row?;
                        sent.insert((home_key, (*id).to_owned()), payload);
                    }
                }
            }
            let mut found = Vec::with_capacity(sent.len());
            if !sent.is_empty() {
                let mut items = tx.prepare_cached(
                    "SELECT seq, home_key, remote_id, outcome FROM run_items
                     WHERE run_id = ?1 AND outcome IN ('created', 'updated') ORDER BY seq",
                )?;
                let rows = items.query_map(params![run_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?;
                for row in rows {
                    let (seq, home_key, remote_id, outcome) = row?;
                    let (Some(home_key), Some(remote_id)) = (home_key, remote_id) else {
                        continue;
                    };
                    let key = (home_key, remote_id);
                    if let Some(payload) = sent.remove(&key) {
                        let (home_key, remote_id) = key;
                        found.push(WrittenDocument {
                            seq,
                            home_key,
                            remote_id,
                            outcome,
                            payload,
                        });
                    }
                }
            }
            tx.commit()?;
            Ok(found)
        })
    }

    /// Forget a record rolled back from the target: its id-map entry goes, its intent is
    /// marked rolled back, and the rollback run records it.
    pub fn forget(
        &self,
        run_id: i64,
        connection: &str,
        entity: &str,
        remote_id: &str,
        item: &RunItem,
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            id_map::remove(&Tx::Sqlite(&tx), connection, entity, remote_id)?;
            tx.execute(
                "UPDATE outbox SET state = 'rolled-back' WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                params![connection, entity, remote_id],
            )?;
            insert_item(&Tx::Sqlite(&tx), run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }
}

fn written_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WrittenDocument> {
    Ok(WrittenDocument {
        seq: r.get(0)?,
        home_key: r.get(1)?,
        remote_id: r.get(2)?,
        outcome: r.get(3)?,
        payload: r.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(home_key: &str, remote_id: &str) -> MapEntry {
        MapEntry {
            home_key: home_key.to_owned(),
            remote_id: remote_id.to_owned(),
            home_fingerprint: "fp".to_owned(),
            remote_fingerprint: "fp".to_owned(),
            synced_at: 1,
        }
    }

    fn item(home_key: &str, remote_id: &str, outcome: &str) -> RunItem {
        RunItem {
            home_key: Some(home_key.to_owned()),
            remote_id: Some(remote_id.to_owned()),
            name: home_key.to_owned(),
            outcome: outcome.to_owned(),
            reason: String::new(),
        }
    }

    /// Records and settles one write of `entity` in `run`: `Some(outcome)` written with that
    /// run item, `None` refused.
    fn write(
        state: &SyncState,
        run: i64,
        entity: &str,
        home_key: &str,
        remote_id: &str,
        outcome: Option<&str>,
    ) {
        let key = format!("{entity}/{home_key}/{run}");
        state
            .record_intent(
                run,
                "books",
                entity,
                home_key,
                &key,
                &format!("sent {home_key}"),
            )
            .unwrap();
        let e = entry(home_key, remote_id);
        let settlement = match outcome {
            Some(outcome) => Settlement::Written {
                key: &key,
                entry: &e,
                item: &item(home_key, remote_id, outcome),
            },
            None => Settlement::Failed {
                key: &key,
                item: &item(home_key, remote_id, "failed"),
            },
        };
        state
            .settle_all(run, "books", entity, &[settlement])
            .unwrap();
    }

    #[test]
    fn what_a_run_wrote_is_its_created_and_updated_documents_of_the_entity() {
        let tmp = tempfile::tempdir().unwrap();
        let state = SyncState::open(&tmp.path().join("state.db")).unwrap();
        let run = state
            .start_run(None, "books", "job-invoices", "push", false)
            .unwrap();
        let earlier = state
            .start_run(None, "books", "job-invoices", "push", false)
            .unwrap();
        // A customer created for the invoices in the same run, under a key an invoice has too.
        write(&state, run, "customers", "J9", "CUS-9", Some("created"));
        write(&state, run, "job-invoices", "J1", "R-1", Some("created"));
        write(&state, run, "job-invoices", "J2", "R-2", Some("updated"));
        write(&state, run, "job-invoices", "J3", "R-3", Some("unchanged"));
        write(&state, run, "job-invoices", "J4", "R-4", None);
        write(
            &state,
            earlier,
            "job-invoices",
            "J5",
            "R-5",
            Some("created"),
        );
        write(&state, run, "job-invoices", "J9", "R-9", Some("created"));

        let all = state
            .written_after(run, "books", "job-invoices", 0, 100)
            .unwrap();
        let seen: Vec<(&str, &str, &str, &str)> = all
            .iter()
            .map(|d| {
                (
                    d.home_key.as_str(),
                    d.remote_id.as_str(),
                    d.outcome.as_str(),
                    d.payload.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("J1", "R-1", "created", "sent J1"),
                ("J2", "R-2", "updated", "sent J2"),
                ("J9", "R-9", "created", "sent J9"),
            ]
        );
        // Paged by run item, without gaps or repeats.
        let first = state
            .written_after(run, "books", "job-invoices", 0, 2)
            .unwrap();
        let rest = state
            .written_after(run, "books", "job-invoices", first[1].seq, 2)
            .unwrap();
        assert_eq!(
            first
                .iter()
                .chain(&rest)
                .map(|d| d.home_key.as_str())
                .collect::<Vec<_>>(),
            ["J1", "J2", "J9"]
        );

        // A page of target documents: only the ones this run created or updated.
        let among = state
            .written_among(
                run,
                "books",
                "job-invoices",
                &["R-9", "R-3", "R-4", "R-5", "CUS-9", "elsewhere", "R-2"],
            )
            .unwrap();
        assert_eq!(
            among
                .iter()
                .map(|d| (d.home_key.as_str(), d.payload.as_str()))
                .collect::<Vec<_>>(),
            [("J2", "sent J2"), ("J9", "sent J9")]
        );
    }
}
