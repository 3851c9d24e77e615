//! The customer review items matching raised — a home customer that looks like a target
//! customer without the evidence to link them — and the admin's decisions on them. A
//! decision is written with its audit line. Table `customer_reviews` (migration 5).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit;
use super::directory::TargetCustomer;
use super::sync_state::{SyncState, SyncStateError};

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

impl Decision {
    /// The `decision` and `remote_id` columns that store it.
    fn columns(&self) -> (&'static str, Option<&str>) {
        match self {
            Decision::Link(id) => ("link", Some(id.as_str())),
            Decision::Create => ("create", None),
            Decision::Skip => ("skip", None),
        }
    }

    /// The decision those columns hold; `None` while undecided (or when unreadable: the
    /// item is then simply asked again).
    fn from_columns(decision: Option<&str>, remote_id: Option<String>) -> Option<Decision> {
        match (decision?, remote_id) {
            ("link", Some(id)) => Some(Decision::Link(id)),
            ("create", _) => Some(Decision::Create),
            ("skip", _) => Some(Decision::Skip),
            _ => None,
        }
    }
}

impl SyncState {
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
                            decision: Decision::from_columns(decision.as_deref(), remote_id),
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
            Ok(row.and_then(|(decision, id)| Decision::from_columns(decision.as_deref(), id)))
        })
    }

    /// Every decision taken on a review item of `connection`, by home key.
    pub fn review_decisions(
        &self,
        connection: &str,
    ) -> Result<std::collections::HashMap<String, Decision>, SyncStateError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT home_key, decision, remote_id FROM customer_reviews
                 WHERE connection = ?1 AND decision IS NOT NULL",
            )?;
            let rows = stmt
                .query_map(params![connection], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .filter_map(|(key, decision, id)| {
                    Decision::from_columns(decision.as_deref(), id).map(|d| (key, d))
                })
                .collect())
        })
    }

    /// Record the admin's decision on a review item; `false` when there is no such item.
    pub fn decide_review(
        &self,
        connection: &str,
        home_key: &str,
        decision: &Decision,
    ) -> Result<bool, SyncStateError> {
        let (name, id) = decision.columns();
        self.with(|db| {
            let tx = db.transaction()?;
            let n = tx.execute(
                "UPDATE customer_reviews SET decision = ?3, remote_id = ?4 WHERE connection = ?1 AND home_key = ?2",
                params![connection, home_key, name, id],
            )?;
            if n == 1 {
                let detail = format!(
                    "{connection}: customer {home_key}: {name}{}",
                    id.map(|i| format!(" {i}")).unwrap_or_default()
                );
                audit::append(&tx, "review-decided", &detail)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }
}
