//! What the host knows of a target without asking it again: its customers (for matching
//! home customers locally, at the vendor's call cost) and its documents' numbers (so a
//! create never lands on a number the target already uses), refreshed by delta; and the
//! review items customer matching raised, with the admin's decisions.
//!
//! The directory is a cache: losing it costs one full read of the target, never a wrong
//! link — every link is still checked against the id map when it is made.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::sync_state::{SyncState, SyncStateError};

/// Migration 5: the target directory and customer reviews.
pub const MIGRATION: &str = "
CREATE TABLE target_customers (
    connection TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT,
    tax_number TEXT,
    active     INTEGER NOT NULL,
    PRIMARY KEY (connection, remote_id)
) STRICT;
CREATE TABLE target_documents (
    connection  TEXT NOT NULL,
    entity      TEXT NOT NULL,
    remote_id   TEXT NOT NULL,
    number      TEXT NOT NULL,
    customer_id TEXT,
    PRIMARY KEY (connection, entity, remote_id)
) STRICT;
ALTER TABLE runs ADD COLUMN failure TEXT;
ALTER TABLE runs ADD COLUMN calls INTEGER;
CREATE INDEX target_documents_number ON target_documents (connection, number);
CREATE TABLE customer_reviews (
    connection TEXT NOT NULL,
    home_key   TEXT NOT NULL,
    home_name  TEXT NOT NULL,
    candidates TEXT NOT NULL,
    reason     TEXT NOT NULL,
    run_id     INTEGER NOT NULL,
    decision   TEXT,
    remote_id  TEXT,
    PRIMARY KEY (connection, home_key)
) STRICT;
";

/// A customer as the target holds it: what matching needs, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetCustomer {
    /// Its id in the target.
    pub remote_id: String,
    /// Its name there.
    pub name: String,
    /// Its e-mail there.
    pub email: Option<String>,
    /// Its tax number there.
    pub tax_number: Option<String>,
    /// Archived / inactive customers are `false`.
    pub active: bool,
}

/// A document (invoice) the target holds, by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDocument {
    /// Id-map entity of its kind (`job-invoices`, `contract-invoices`).
    pub entity: String,
    /// Its id in the target.
    pub remote_id: String,
    /// Its document number.
    pub number: String,
    /// The customer it bills, by remote id.
    pub customer_id: Option<String>,
}

/// What an admin decided for a review item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "decision", content = "remote-id")]
pub enum Decision {
    /// Link the home customer to this target customer.
    Link(String),
    /// Create a new customer in the target although one looked like it.
    Create,
    /// Leave the customer (and its invoices) out until decided otherwise.
    Skip,
}

/// A review item: a home customer that looks like a target customer without the evidence
/// to link them (an e-mail or tax number alone, an archived namesake, several namesakes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Review {
    /// The connection.
    pub connection: String,
    /// The home customer.
    pub home_key: String,
    /// Its name.
    pub home_name: String,
    /// The target customers it looks like.
    pub candidates: Vec<TargetCustomer>,
    /// Why it is a review item, in a sentence.
    pub reason: String,
    /// The run that raised it.
    pub run_id: i64,
    /// The decision, once made.
    pub decision: Option<Decision>,
}

impl SyncState {
    /// The target's customers as last read over `connection`.
    pub fn target_customers(
        &self,
        connection: &str,
    ) -> Result<Vec<TargetCustomer>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT remote_id, name, email, tax_number, active FROM target_customers
                 WHERE connection = ?1 ORDER BY remote_id",
            )?;
            let rows = stmt
                .query_map(params![connection], |r| {
                    Ok(TargetCustomer {
                        remote_id: r.get(0)?,
                        name: r.get(1)?,
                        email: r.get(2)?,
                        tax_number: r.get(3)?,
                        active: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Record target customers read (or created) over `connection`, in one transaction.
    pub fn upsert_target_customers(
        &self,
        connection: &str,
        customers: &[TargetCustomer],
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            {
                let mut stmt = tx.prepare(
                    "INSERT INTO target_customers (connection, remote_id, name, email, tax_number, active)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (connection, remote_id) DO UPDATE SET name = excluded.name,
                       email = excluded.email, tax_number = excluded.tax_number, active = excluded.active",
                )?;
                for c in customers {
                    stmt.execute(params![
                        connection,
                        c.remote_id,
                        c.name,
                        c.email,
                        c.tax_number,
                        c.active
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// The target's documents as last read over `connection`, every kind.
    pub fn target_documents(
        &self,
        connection: &str,
    ) -> Result<Vec<TargetDocument>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT entity, remote_id, number, customer_id FROM target_documents
                 WHERE connection = ?1 ORDER BY entity, remote_id",
            )?;
            let rows = stmt
                .query_map(params![connection], |r| {
                    Ok(TargetDocument {
                        entity: r.get(0)?,
                        remote_id: r.get(1)?,
                        number: r.get(2)?,
                        customer_id: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Record target documents read (or written) over `connection`, in one transaction.
    pub fn upsert_target_documents(
        &self,
        connection: &str,
        documents: &[TargetDocument],
    ) -> Result<(), SyncStateError> {
        self.with(|db| {
            let tx = db.transaction()?;
            {
                let mut stmt = tx.prepare(
                    "INSERT INTO target_documents (connection, entity, remote_id, number, customer_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (connection, entity, remote_id) DO UPDATE SET
                       number = excluded.number, customer_id = excluded.customer_id",
                )?;
                for d in documents {
                    stmt.execute(params![
                        connection,
                        d.entity,
                        d.remote_id,
                        d.number,
                        d.customer_id
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Raise (or refresh) a review item; a decision already made is kept.
    pub fn raise_review(&self, review: &Review) -> Result<(), SyncStateError> {
        let candidates =
            serde_json::to_string(&review.candidates).map_err(|e| SyncStateError::Corrupt {
                what: "review",
                id: review.run_id,
                reason: e.to_string(),
            })?;
        self.with(|db| {
            db.execute(
                "INSERT INTO customer_reviews (connection, home_key, home_name, candidates, reason, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (connection, home_key) DO UPDATE SET home_name = excluded.home_name,
                   candidates = excluded.candidates, reason = excluded.reason, run_id = excluded.run_id",
                params![
                    review.connection,
                    review.home_key,
                    review.home_name,
                    candidates,
                    review.reason,
                    review.run_id
                ],
            )?;
            Ok(())
        })
    }

    /// Every review item, open and decided, of `connection` (all with `None`).
    pub fn reviews(&self, connection: Option<&str>) -> Result<Vec<Review>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT connection, home_key, home_name, candidates, reason, run_id, decision, remote_id
                 FROM customer_reviews WHERE ?1 IS NULL OR connection = ?1
                 ORDER BY connection, home_key",
            )?;
            let rows = stmt
                .query_map(params![connection], |r| {
                    let candidates: String = r.get(3)?;
                    let decision: Option<String> = r.get(6)?;
                    let remote_id: Option<String> = r.get(7)?;
                    Ok((
                        Review {
                            connection: r.get(0)?,
                            home_key: r.get(1)?,
                            home_name: r.get(2)?,
                            candidates: Vec::new(),
                            reason: r.get(4)?,
                            run_id: r.get(5)?,
                            decision: match (decision.as_deref(), remote_id) {
                                (Some("link"), Some(id)) => Some(Decision::Link(id)),
                                (Some("create"), _) => Some(Decision::Create),
                                (Some("skip"), _) => Some(Decision::Skip),
                                _ => None,
                            },
                        },
                        candidates,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(mut review, candidates)| {
                    review.candidates = serde_json::from_str(&candidates).map_err(|e| {
                        SyncStateError::Corrupt {
                            what: "review",
                            id: review.run_id,
                            reason: e.to_string(),
                        }
                    })?;
                    Ok(review)
                })
                .collect()
        })
    }

    /// The decision made for `home_key`'s review over `connection`, if any.
    pub fn review_decision(
        &self,
        connection: &str,
        home_key: &str,
    ) -> Result<Option<Decision>, SyncStateError> {
        self.with(|db| {
            let row: Option<(Option<String>, Option<String>)> = db
                .query_row(
                    "SELECT decision, remote_id FROM customer_reviews WHERE connection = ?1 AND home_key = ?2",
                    params![connection, home_key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(match row {
                Some((Some(d), id)) if d == "link" => id.map(Decision::Link),
                Some((Some(d), _)) if d == "create" => Some(Decision::Create),
                Some((Some(d), _)) if d == "skip" => Some(Decision::Skip),
                _ => None,
            })
        })
    }

    /// Record the admin's decision on a review item; `false` when there is no such item.
    pub fn decide_review(
        &self,
        connection: &str,
        home_key: &str,
        decision: &Decision,
    ) -> Result<bool, SyncStateError> {
        let (name, id) = match decision {
            Decision::Link(id) => ("link", Some(id.as_str())),
            Decision::Create => ("create", None),
            Decision::Skip => ("skip", None),
        };
        self.with(|db| {
            let n = db.execute(
                "UPDATE customer_reviews SET decision = ?3, remote_id = ?4 WHERE connection = ?1 AND home_key = ?2",
                params![connection, home_key, name, id],
            )?;
            db.execute(
                "INSERT INTO audit_log (at, action, detail) VALUES (?1, 'review-decided', ?2)",
                params![super::connections::unix(std::time::SystemTime::now()), format!("{connection}: customer {home_key}: {name}{}", id.map(|i| format!(" {i}")).unwrap_or_default())],
            )?;
            Ok(n == 1)
        })
    }

    /// Record how many vendor API calls run `run_id` made.
    pub fn record_calls(&self, run_id: i64, calls: u64) -> Result<(), SyncStateError> {
        self.with(|db| {
            db.execute(
                "UPDATE runs SET calls = ?2 WHERE id = ?1",
                params![run_id, i64::try_from(calls).unwrap_or(i64::MAX)],
            )?;
            Ok(())
        })
    }

    /// Vendor API calls the runs of `connection` made since `since` (Unix seconds), and over
    /// all its runs that counted calls: (records written or refused, calls).
    pub fn call_usage(
        &self,
        connection: &str,
        since: i64,
    ) -> Result<(u64, u64, u64), SyncStateError> {
        self.with(|db| {
            let recent: i64 = db.query_row(
                "SELECT COALESCE(SUM(calls), 0) FROM runs WHERE connection = ?1 AND started_at >= ?2",
                params![connection, since],
                |r| r.get(0),
            )?;
            let (records, calls): (i64, i64) = db.query_row(
                "SELECT
                   COALESCE((SELECT COUNT(*) FROM run_items i JOIN runs r ON r.id = i.run_id
                     WHERE r.connection = ?1 AND r.calls > 0
                       AND i.outcome IN ('created', 'updated', 'conflict', 'failed')), 0),
                   COALESCE((SELECT SUM(calls) FROM runs WHERE connection = ?1 AND calls > 0), 0)",
                params![connection],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let u = |n: i64| u64::try_from(n).unwrap_or(0);
            Ok((u(recent), u(records), u(calls)))
        })
    }

    /// The home customer `remote_id` is linked to over `connection`, if any.
    pub fn linked_home_key(
        &self,
        connection: &str,
        entity: &str,
        remote_id: &str,
    ) -> Result<Option<String>, SyncStateError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    "SELECT home_key FROM id_map WHERE connection = ?1 AND entity = ?2 AND remote_id = ?3",
                    params![connection, entity, remote_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }
}
