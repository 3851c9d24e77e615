//! The outbox of writes: what makes a push crash-safe. An intent is recorded (with a
//! deterministic idempotency key) before the write is sent, and settled in the same
//! transaction that records the id map entry and the run item. An intent found pending at
//! start, or marked unknown because its answer was lost, was sent or not; the engine
//! resolves it (looks the record up in the target, or replays it) before anything new is
//! sent. Settled intents are also the rollback journal:
//! what a run created, and what was last sent for a record. Table `outbox` (migration 2).
//!
//! The same SQL runs on SQLite and PostgreSQL (docs/architecture.md, "Store engines"), and
//! each batch is one transaction on both: a settle that fails half-way leaves nothing
//! written. Recording an intent is an `INSERT ... ON CONFLICT DO NOTHING` followed, for a
//! key already there, by an `UPDATE` that skips a settled one: two processes recording
//! one key at once both succeed on PostgreSQL (the second waits for the first's row)
//! instead of one failing on the primary key. The one place the engines differ is
//! reading whether a settled write created its record (`created`).

use std::collections::HashSet;
use std::time::SystemTime;

use super::connections::unix;
use super::id_map::{self, MapEntry};
use super::runs::{ItemWriter, RunItem, insert_item};
use super::sql::{self, Engine, Row, Value};
use super::sync_state::{SyncState, SyncStateError};

/// Mark the intents of `written` (key, map entry) settled with their remote ids: one
/// statement per chunk; keys named twice one by one, in order (the last one wins, as it
/// would row by row).
fn settle_written(tx: &sql::Tx<'_>, written: &[(&str, &MapEntry)]) -> Result<(), sql::Error> {
    const ONE: &str = "UPDATE outbox SET state = 'settled', remote_id = ?2, settled_at = ?3 WHERE idempotency_key = ?1";
    let distinct = written
        .iter()
        .map(|(k, _)| *k)
        .collect::<HashSet<_>>()
        .len()
        == written.len();
    if !distinct {
        for (key, entry) in written {
            tx.execute(
                ONE,
                &[
                    (*key).into(),
                    entry.remote_id.as_str().into(),
                    Value::Int(entry.synced_at),
                ],
            )?;
        }
        return Ok(());
    }
    for chunk in written.chunks(sql::ROWS_PER_STATEMENT) {
        let mut params = Vec::with_capacity(chunk.len() * 3);
        for (key, entry) in chunk {
            params.extend([
                (*key).into(),
                entry.remote_id.as_str().into(),
                Value::Int(entry.synced_at),
            ]);
        }
        tx.execute(
            &format!(
                "UPDATE outbox SET state = 'settled', remote_id = v.column2, settled_at = v.column3
                 FROM (VALUES {}) AS v WHERE outbox.idempotency_key = v.column1",
                sql::rows_of("($, $, $)", chunk.len(), 1)
            ),
            &params,
        )?;
    }
    Ok(())
}

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

/// Whether a settled intent's payload had no remote id (the write created the record):
/// SQLite's `json_extract` or PostgreSQL's `jsonb` (`->>` is NULL for a JSON null and for
/// no key, as `json_extract` is). Kept in the database so a large run's payloads never
/// leave it.
fn created(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "json_extract(o.payload, '$.remote_id') IS NULL",
        Engine::Postgres => "(CAST(o.payload AS jsonb) ->> 'remote_id') IS NULL",
    }
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
        let now = unix(SystemTime::now());
        // One statement inserts a chunk of new intents; keys already there (sent before)
        // go through `again` one by one. A batch naming one key twice takes the one-by-one
        // path whole, so the later payload wins as it always has.
        let distinct = intents.iter().map(|i| i.key).collect::<HashSet<_>>().len() == intents.len();
        self.transaction(|tx| {
            let mut inserted = HashSet::new();
            if distinct {
                for chunk in intents.chunks(sql::ROWS_PER_STATEMENT) {
                    let mut params = vec![
                        Value::Int(run_id),
                        connection.into(),
                        entity.into(),
                        Value::Int(now),
                    ];
                    for i in chunk {
                        params.extend([
                            i.key.into(),
                            i.home_key.into(),
                            i.payload.as_str().into(),
                        ]);
                    }
                    for row in tx.query(
                        &format!(
                            "INSERT INTO outbox (idempotency_key, run_id, connection, entity, home_key, payload, state, created_at)
                             VALUES {}
                             ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key",
                            sql::rows_of("($, ?1, ?2, ?3, $, $, 'pending', ?4)", chunk.len(), 5)
                        ),
                        &params,
                    )? {
                        inserted.insert(row.text(0)?);
                    }
                }
            }
            let mut fresh = Vec::with_capacity(intents.len());
            for i in intents {
                if inserted.contains(i.key) {
                    fresh.push(true);
                    continue;
                }
                if !distinct {
                    let one = tx.execute(
                        "INSERT INTO outbox (idempotency_key, run_id, connection, entity, home_key, payload, state, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)
                         ON CONFLICT (idempotency_key) DO NOTHING",
                        &[
                            i.key.into(),
                            Value::Int(run_id),
                            connection.into(),
                            entity.into(),
                            i.home_key.into(),
                            i.payload.as_str().into(),
                            Value::Int(now),
                        ],
                    )?;
                    if one == 1 {
                        fresh.push(true);
                        continue;
                    }
                }
                // A failed or rolled-back intent sent again carries this payload (its old
                // one may have been removed by retention); a settled one is never sent again.
                let again = tx.execute(
                    "UPDATE outbox SET run_id = ?2, state = 'pending', payload = ?3, payload_purged_at = NULL
                     WHERE idempotency_key = ?1 AND state <> 'settled'",
                    &[i.key.into(), Value::Int(run_id), i.payload.as_str().into()],
                )?;
                fresh.push(again == 1);
            }
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
        self.transaction(|tx| {
            let mut written = Vec::with_capacity(settlements.len());
            for s in settlements {
                let (key, state) = match s {
                    Settlement::Written { key, entry, .. } => {
                        written.push((*key, *entry));
                        continue;
                    }
                    Settlement::Failed { key, .. } => (key, "failed"),
                    Settlement::Unknown { key, .. } => (key, "unknown"),
                };
                tx.execute(
                    "UPDATE outbox SET state = ?2 WHERE idempotency_key = ?1",
                    &[(*key).into(), state.into()],
                )?;
            }
            settle_written(tx, &written)?;
            id_map::upsert_all(tx, connection, entity, written.iter().map(|(_, e)| *e))?;
            ItemWriter::new(tx, run_id)?.push_all(settlements.iter().map(|s| match s {
                Settlement::Written { item, .. }
                | Settlement::Failed { item, .. }
                | Settlement::Unknown { item, .. } => *item,
            }))?;
            Ok(())
        })
    }

    /// Intents of this connection and entity whose outcome is not known: left pending by
    /// an interrupted run, or marked unknown when their answer was lost.
    pub fn pending(&self, connection: &str, entity: &str) -> Result<Vec<Intent>, SyncStateError> {
        self.query_all(
            &format!(
                "SELECT idempotency_key, run_id, entity, home_key, payload FROM outbox
                 WHERE connection = ?1 AND entity = ?2 AND state IN ('pending', 'unknown')
                 ORDER BY created_at, {}",
                self.bytewise("idempotency_key")
            ),
            &[connection.into(), entity.into()],
            |r| {
                Ok(Intent {
                    idempotency_key: r.text(0)?,
                    run_id: r.i64(1)?,
                    entity: r.text(2)?,
                    home_key: r.text(3)?,
                    payload: r.text(4)?,
                })
            },
        )
    }

    /// The record last sent for `home_key` (the payload of its newest settled write).
    pub fn last_sent(
        &self,
        connection: &str,
        entity: &str,
        home_key: &str,
    ) -> Result<Option<String>, SyncStateError> {
        let row = self.db().query_opt(
            "SELECT payload FROM outbox WHERE connection = ?1 AND entity = ?2 AND home_key = ?3
             AND state = 'settled' ORDER BY settled_at DESC, created_at DESC LIMIT 1",
            &[connection.into(), entity.into(), home_key.into()],
        )?;
        Ok(row.map(|r| r.text(0)).transpose()?)
    }

    /// Records a run created (not updated) in the target, newest first: (entity, home key,
    /// remote id). Read from the outbox: a creation is a settled intent whose payload had
    /// no remote id. Writes settled in the same second are ordered by their run items
    /// (the order they were settled in), then by key: the same order on both engines.
    pub fn created_in_run(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, String, String)>, SyncStateError> {
        self.query_all(
            &format!(
                "SELECT o.entity, o.home_key, o.remote_id,
                   (SELECT MAX(ri.seq) FROM run_items ri
                    WHERE ri.run_id = o.run_id AND ri.home_key = o.home_key
                      AND (ri.remote_id = o.remote_id OR ri.remote_id IS NULL)) AS settled_as
                 FROM outbox o
                 WHERE o.run_id = ?1 AND o.state = 'settled' AND o.remote_id IS NOT NULL
                   AND {}
                 ORDER BY o.settled_at DESC, settled_as DESC NULLS LAST, {} DESC",
                created(self.db().engine()),
                self.bytewise("o.idempotency_key")
            ),
            &[Value::Int(run_id)],
            |r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)),
        )
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
        self.query_all(
            WRITTEN,
            &[
                Value::Int(run_id),
                connection.into(),
                entity.into(),
                Value::Int(after),
                Value::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
            written_row,
        )
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
        self.transaction(|tx| {
            // (home key, target id) → payload, for the page's documents this run settled.
            let mut sent: std::collections::HashMap<(String, String), String> =
                std::collections::HashMap::new();
            for id in remote_ids {
                let rows = tx.query(
                    "SELECT o.home_key, o.payload FROM id_map m
                     JOIN outbox o ON o.connection = m.connection AND o.entity = m.entity
                      AND o.home_key = m.home_key
                     WHERE m.connection = ?1 AND m.entity = ?2 AND m.remote_id = ?3
                       AND o.run_id = ?4 AND o.state = 'settled' AND o.remote_id = ?3",
                    &[
                        connection.into(),
                        entity.into(),
                        (*id).into(),
                        Value::Int(run_id),
                    ],
                )?;
                for r in &rows {
                    sent.insert((r.text(0)?, (*id).to_owned()), r.text(1)?);
                }
            }
            let mut found = Vec::with_capacity(sent.len());
            if sent.is_empty() {
                return Ok(found);
            }
            let items = tx.query(
                "SELECT seq, home_key, remote_id, outcome FROM run_items
                 WHERE run_id = ?1 AND outcome IN ('created', 'updated') ORDER BY seq",
                &[Value::Int(run_id)],
            )?;
            for r in &items {
                let (Some(home_key), Some(remote_id)) = (r.opt_text(1)?, r.opt_text(2)?) else {
                    continue;
                };
                let key = (home_key, remote_id);
                if let Some(payload) = sent.remove(&key) {
                    let (home_key, remote_id) = key;
                    found.push(WrittenDocument {
                        seq: r.i64(0)?,
                        home_key,
                        remote_id,
                        outcome: r.text(3)?,
                        payload,
                    });
                }
            }
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
        self.transaction(|tx| {
            id_map::remove(tx, connection, entity, remote_id)?;
            tx.execute(
                "UPDATE outbox SET state = 'rolled-back' WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                &[connection.into(), entity.into(), remote_id.into()],
            )?;
            insert_item(tx, run_id, item)?;
            Ok(())
        })
    }
}

fn written_row(r: &Row) -> Result<WrittenDocument, sql::Error> {
    Ok(WrittenDocument {
        seq: r.i64(0)?,
        home_key: r.text(1)?,
        remote_id: r.text(2)?,
        outcome: r.text(3)?,
        payload: r.text(4)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::sync_state::testing::{Keep, each_engine};
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
        for (_keep, state) in each_engine() {
            what_a_run_wrote(&state);
        }
    }

    fn what_a_run_wrote(state: &SyncState) {
        let run = state
            .start_run(None, "books", "job-invoices", "push", false)
            .unwrap();
        let earlier = state
            .start_run(None, "books", "job-invoices", "push", false)
            .unwrap();
        // A customer created for the invoices in the same run, under a key an invoice has too.
        write(state, run, "customers", "J9", "CUS-9", Some("created"));
        write(state, run, "job-invoices", "J1", "R-1", Some("created"));
        write(state, run, "job-invoices", "J2", "R-2", Some("updated"));
        write(state, run, "job-invoices", "J3", "R-3", Some("unchanged"));
        write(state, run, "job-invoices", "J4", "R-4", None);
        write(state, earlier, "job-invoices", "J5", "R-5", Some("created"));
        write(state, run, "job-invoices", "J9", "R-9", Some("created"));

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

    fn intent<'a>(home_key: &'a str, key: &'a str, payload: &str) -> NewIntent<'a> {
        NewIntent {
            home_key,
            key,
            payload: payload.to_owned(),
        }
    }

    /// Every intent as "key state", by key.
    fn states(state: &SyncState) -> Vec<String> {
        state
            .query_all(
                &format!(
                    "SELECT idempotency_key, state FROM outbox ORDER BY {}",
                    state.bytewise("idempotency_key")
                ),
                &[],
                |r| Ok(format!("{} {}", r.text(0)?, r.text(1)?)),
            )
            .unwrap()
    }

    /// Settles one batch: k1 written as `e1`, then `k3`, then k2 written as `e2`.
    fn settle_batch(
        state: &SyncState,
        run: i64,
        (e1, e2): (&MapEntry, &MapEntry),
        k3: Settlement<'_>,
    ) -> Result<(), SyncStateError> {
        let (i1, i2) = (
            item("K1", &e1.remote_id, "created"),
            item("K2", &e2.remote_id, "created"),
        );
        state.settle_all(
            run,
            "books",
            "customers",
            &[
                Settlement::Written {
                    key: "k1",
                    entry: e1,
                    item: &i1,
                },
                k3,
                Settlement::Written {
                    key: "k2",
                    entry: e2,
                    item: &i2,
                },
            ],
        )
    }

    /// A batch costs a few statements whatever its size (one per chunk of
    /// [`sql::ROWS_PER_STATEMENT`] rows), on both engines, and lands whole and in order.
    #[test]
    fn a_large_batch_is_recorded_and_settled_in_a_few_statements() {
        let n = 2 * sql::ROWS_PER_STATEMENT + 7;
        for (_keep, state) in each_engine() {
            let run = state
                .start_run(None, "books", "customers", "push", false)
                .unwrap();
            let homes: Vec<String> = (0..n).map(|i| format!("K{i:04}")).collect();
            let keys: Vec<String> = (0..n).map(|i| format!("k{i:04}")).collect();
            let intents: Vec<NewIntent<'_>> =
                (0..n).map(|i| intent(&homes[i], &keys[i], "{}")).collect();
            let before = state.db().statements();
            let fresh = state
                .record_intents(run, "books", "customers", &intents)
                .unwrap();
            assert_eq!(fresh, vec![true; n]);
            // BEGIN, three inserts, COMMIT.
            assert_eq!(state.db().statements() - before, 5);

            let entries: Vec<MapEntry> = (0..n)
                .map(|i| entry(&homes[i], &format!("R-{i}")))
                .collect();
            let items: Vec<RunItem> = (0..n)
                .map(|i| item(&homes[i], &format!("R-{i}"), "created"))
                .collect();
            let settlements: Vec<Settlement<'_>> = (0..n)
                .map(|i| Settlement::Written {
                    key: &keys[i],
                    entry: &entries[i],
                    item: &items[i],
                })
                .collect();
            let before = state.db().statements();
            state
                .settle_all(run, "books", "customers", &settlements)
                .unwrap();
            // BEGIN, three outbox updates, three id map inserts, the next item number,
            // three item inserts, COMMIT.
            assert_eq!(state.db().statements() - before, 12);

            assert_eq!(
                states(&state),
                keys.iter()
                    .map(|k| format!("{k} settled"))
                    .collect::<Vec<_>>()
            );
            assert_eq!(state.link_count("books").unwrap(), n as u64);
            let written = state.run(run).unwrap().1;
            assert_eq!(written, items, "every item, in order");
            assert_eq!(
                state.pending("books", "customers").unwrap(),
                [],
                "nothing left pending"
            );
            // Sent again, every one is settled already: nothing is fresh.
            let again = state
                .record_intents(run, "books", "customers", &intents)
                .unwrap();
            assert_eq!(again, vec![false; n]);
        }
    }

    /// A batch naming one key twice takes the row-by-row path: both are fresh and the later
    /// payload is the one kept, as before batches were written in one statement.
    #[test]
    fn a_batch_naming_one_key_twice_keeps_the_later_payload() {
        for (_keep, state) in each_engine() {
            let run = state
                .start_run(None, "books", "customers", "push", false)
                .unwrap();
            let fresh = state
                .record_intents(
                    run,
                    "books",
                    "customers",
                    &[
                        intent("K1", "k1", "{\"v\":1}"),
                        intent("K1", "k1", "{\"v\":2}"),
                    ],
                )
                .unwrap();
            assert_eq!(fresh, [true, true]);
            let pending = state.pending("books", "customers").unwrap();
            assert_eq!(pending.len(), 1);
            assert_eq!(pending[0].payload, "{\"v\":2}");
        }
    }

    #[test]
    fn a_settle_that_fails_half_way_leaves_nothing_written_on_either_engine() {
        for (_keep, state) in each_engine() {
            let run = state
                .start_run(None, "books", "customers", "push", false)
                .unwrap();
            let fresh = state
                .record_intents(
                    run,
                    "books",
                    "customers",
                    &[
                        intent("K1", "k1", "{}"),
                        intent("K2", "k2", "{}"),
                        intent("K3", "k3", "{}"),
                    ],
                )
                .unwrap();
            assert_eq!(fresh, [true, true, true]);
            let e1 = entry("K1", "R-1");
            let i3 = item("K3", "", "failed");
            // K2 claims K1's remote id: the id map's unique key refuses it after K1 was
            // settled, K3 marked failed and two run items written in the same transaction.
            let err = settle_batch(
                &state,
                run,
                (&e1, &entry("K2", "R-1")),
                Settlement::Failed {
                    key: "k3",
                    item: &i3,
                },
            )
            .unwrap_err();
            let expected = match state.db().engine() {
                Engine::Sqlite => {
                    "database error: UNIQUE constraint failed: id_map.connection, id_map.entity, id_map.remote_id"
                }
                Engine::Postgres => {
                    "database error: ERROR: duplicate key value violates unique constraint \"id_map_connection_entity_remote_id_key\" (Key (connection, entity, remote_id)=(books, customers, R-1) already exists.)"
                }
            };
            assert_eq!(err.to_string(), expected);
            assert_eq!(states(&state), ["k1 pending", "k2 pending", "k3 pending"]);
            assert_eq!(state.link_count("books").unwrap(), 0);
            assert_eq!(state.run(run).unwrap().1, []);
            assert_eq!(state.pending("books", "customers").unwrap().len(), 3);

            // Settled again with K2's own id, the whole batch is recorded.
            settle_batch(
                &state,
                run,
                (&e1, &entry("K2", "R-2")),
                Settlement::Unknown {
                    key: "k3",
                    item: &i3,
                },
            )
            .unwrap();
            assert_eq!(states(&state), ["k1 settled", "k2 settled", "k3 unknown"]);
            assert_eq!(state.link_count("books").unwrap(), 2);
            assert_eq!(state.run(run).unwrap().1.len(), 3);
            let pending = state.pending("books", "customers").unwrap();
            assert_eq!(
                pending
                    .iter()
                    .map(|i| i.idempotency_key.as_str())
                    .collect::<Vec<_>>(),
                ["k3"]
            );
        }
    }

    #[test]
    fn an_intent_is_sent_again_unless_settled_and_rollback_finds_what_a_run_created() {
        for (_keep, state) in each_engine() {
            let run = state
                .start_run(None, "books", "mixed", "push", false)
                .unwrap();
            for (entity, home, key, payload) in [
                ("customers", "C1", "c1", r#"{"remote_id":null}"#),
                // Recorded again before it settled: sent again, with the new payload.
                ("customers", "C1", "c1", r#"{"name":"C1"}"#),
                ("job-invoices", "C1", "j1", r#"{"remote_id":null}"#),
                ("job-invoices", "J2", "j2", r#"{"remote_id":"INV-2"}"#),
                ("job-invoices", "J3", "j3", r#"{"remote_id":null}"#),
            ] {
                let fresh = state.record_intent(run, "books", entity, home, key, payload);
                assert!(fresh.unwrap(), "{key}");
            }
            // The customer is settled before the invoices that bill it, all in one second.
            state
                .settle(
                    run,
                    "books",
                    "customers",
                    "c1",
                    &entry("C1", "CUS-1"),
                    &item("C1", "CUS-1", "created"),
                )
                .unwrap();
            for (key, home, remote, outcome) in [
                ("j1", "C1", "INV-1", "created"),
                ("j2", "J2", "INV-2", "updated"),
            ] {
                state
                    .settle(
                        run,
                        "books",
                        "job-invoices",
                        key,
                        &entry(home, remote),
                        &item(home, remote, outcome),
                    )
                    .unwrap();
            }
            state
                .fail_intent(run, "j3", &item("J3", "", "failed"))
                .unwrap();
            assert_eq!(
                state.last_sent("books", "customers", "C1").unwrap(),
                Some(r#"{"name":"C1"}"#.to_owned())
            );
            // Newest first: the invoice before the customer it bills; the update is no
            // creation, the refused write none at all.
            assert_eq!(
                state.created_in_run(run).unwrap(),
                [
                    (
                        "job-invoices".to_owned(),
                        "C1".to_owned(),
                        "INV-1".to_owned()
                    ),
                    ("customers".to_owned(), "C1".to_owned(), "CUS-1".to_owned()),
                ]
            );
            // Settled: never sent again. Refused: sent again.
            assert!(
                !state
                    .record_intent(run, "books", "customers", "C1", "c1", "{}")
                    .unwrap()
            );
            assert!(
                state
                    .record_intent(run, "books", "job-invoices", "J3", "j3", "{}")
                    .unwrap()
            );

            // A rollback forgets the invoice: link gone, intent rolled back, item recorded.
            let rollback = state
                .start_run(None, "books", "mixed", "rollback", false)
                .unwrap();
            state
                .forget(
                    rollback,
                    "books",
                    "job-invoices",
                    "INV-1",
                    &item("C1", "INV-1", "deleted"),
                )
                .unwrap();
            assert_eq!(
                state
                    .linked_home_key("books", "job-invoices", "INV-1")
                    .unwrap(),
                None
            );
            assert_eq!(
                state.created_in_run(run).unwrap(),
                [("customers".to_owned(), "C1".to_owned(), "CUS-1".to_owned())]
            );
            assert_eq!(state.run(rollback).unwrap().1.len(), 1);
        }
    }

    /// Two processes recording one batch at once (a job taken over while its first owner
    /// still runs): both succeed, and each key is one row. On PostgreSQL the second insert
    /// waits for the first's row instead of failing on the primary key.
    #[test]
    fn two_processes_recording_the_same_intents_at_once_both_succeed() {
        for (keep, state) in each_engine() {
            let other = match &keep {
                Keep::Folder(dir) => SyncState::open(&dir.path().join("ledgerlink.db")).unwrap(),
                Keep::Postgres(pg) => {
                    let url = crate::store::engine::DatabaseUrl::parse(pg.url()).unwrap();
                    SyncState::from_db(crate::store::engine::open(&url).unwrap())
                }
            };
            let run = state
                .start_run(None, "books", "customers", "push", false)
                .unwrap();
            let keys: Vec<String> = (0..200).map(|i| format!("key-{i:03}")).collect();
            let barrier = std::sync::Barrier::new(2);
            let answers: Vec<Vec<bool>> = std::thread::scope(|scope| {
                let workers: Vec<_> = [&state, &other]
                    .into_iter()
                    .map(|s| {
                        let (keys, barrier) = (&keys, &barrier);
                        scope.spawn(move || {
                            let intents: Vec<NewIntent<'_>> =
                                keys.iter().map(|k| intent(k, k, "{}")).collect();
                            barrier.wait();
                            let mut answers = Vec::new();
                            for batch in intents.chunks(20) {
                                answers.extend(
                                    s.record_intents(run, "books", "customers", batch).unwrap(),
                                );
                            }
                            answers
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap()).collect()
            });
            assert!(answers.iter().flatten().all(|fresh| *fresh));
            let rows = states(&state);
            assert_eq!(rows.len(), 200);
            assert!(rows.iter().all(|r| r.ends_with(" pending")), "{rows:?}");
        }
    }
}
