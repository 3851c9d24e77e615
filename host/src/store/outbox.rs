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
                let mut items = ItemWriter::new(&tx, run_id)?;
                for s in settlements {
                    match s {
                        Settlement::Written { key, entry, item } => {
                            settled.execute(params![key, entry.remote_id, entry.synced_at])?;
                            id_map::upsert(&tx, connection, entity, entry)?;
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
            id_map::remove(&tx, connection, entity, remote_id)?;
            tx.execute(
                "UPDATE outbox SET state = 'rolled-back' WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                params![connection, entity, remote_id],
            )?;
            insert_item(&tx, run_id, item)?;
            tx.commit()?;
            Ok(())
        })
    }
}
