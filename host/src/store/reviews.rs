//! The customer review items matching raised — a home customer that looks like a target
//! customer without the evidence to link them — and the admin's decisions on them. A
//! decision is written with its audit line. Table `customer_reviews` (migration 5).

use serde::{Deserialize, Serialize};

use super::audit;
use super::directory::TargetCustomer;
use super::sql::Value;
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
        self.db().execute(
            "INSERT INTO customer_reviews (connection, home_key, home_name, candidates, reason, run_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (connection, home_key) DO UPDATE SET home_name = excluded.home_name,
               candidates = excluded.candidates, reason = excluded.reason, run_id = excluded.run_id",
            &[
                review.connection.as_str().into(),
                review.home_key.as_str().into(),
                review.home_name.as_str().into(),
                candidates.into(),
                review.reason.as_str().into(),
                Value::Int(review.run_id),
            ],
        )?;
        Ok(())
    }

    /// Every review item, open and decided, of `connection` (all with `None`).
    pub fn reviews(&self, connection: Option<&str>) -> Result<Vec<Review>, SyncStateError> {
        let rows = self.db().query(
            &format!(
                "SELECT connection, home_key, home_name, candidates, reason, run_id, decision, remote_id
                 FROM customer_reviews WHERE CAST(?1 AS TEXT) IS NULL OR connection = ?1
                 ORDER BY {}, {}",
                self.bytewise("connection"),
                self.bytewise("home_key")
            ),
            &[connection.into()],
        )?;
        rows.iter()
            .map(|r| {
                let run_id = r.i64(5)?;
                let candidates =
                    serde_json::from_str(&r.text(3)?).map_err(|e| SyncStateError::Corrupt {
                        what: "review",
                        id: run_id,
                        reason: e.to_string(),
                    })?;
                Ok(Review {
                    connection: r.text(0)?,
                    home_key: r.text(1)?,
                    home_name: r.text(2)?,
                    candidates,
                    reason: r.text(4)?,
                    run_id,
                    decision: Decision::from_columns(r.opt_text(6)?.as_deref(), r.opt_text(7)?),
                })
            })
            .collect()
    }

    /// The decision made for `home_key`'s review over `connection`, if any.
    pub fn review_decision(
        &self,
        connection: &str,
        home_key: &str,
    ) -> Result<Option<Decision>, SyncStateError> {
        let row = self.db().query_opt(
            "SELECT decision, remote_id FROM customer_reviews WHERE connection = ?1 AND home_key = ?2",
            &[connection.into(), home_key.into()],
        )?;
        Ok(match row {
            Some(r) => Decision::from_columns(r.opt_text(0)?.as_deref(), r.opt_text(1)?),
            None => None,
        })
    }

    /// Every decision taken on a review item of `connection`, by home key.
    pub fn review_decisions(
        &self,
        connection: &str,
    ) -> Result<std::collections::HashMap<String, Decision>, SyncStateError> {
        let rows = self.db().query(
            "SELECT home_key, decision, remote_id FROM customer_reviews
             WHERE connection = ?1 AND decision IS NOT NULL",
            &[connection.into()],
        )?;
        let mut decisions = std::collections::HashMap::new();
        for r in &rows {
            if let Some(d) = Decision::from_columns(r.opt_text(1)?.as_deref(), r.opt_text(2)?) {
                decisions.insert(r.text(0)?, d);
            }
        }
        Ok(decisions)
    }

    /// Record the admin's decision on a review item; `false` when there is no such item.
    pub fn decide_review(
        &self,
        connection: &str,
        home_key: &str,
        decision: &Decision,
    ) -> Result<bool, SyncStateError> {
        let (name, id) = decision.columns();
        self.transaction(|tx| {
            let n = tx.execute(
                "UPDATE customer_reviews SET decision = ?3, remote_id = ?4 WHERE connection = ?1 AND home_key = ?2",
                &[connection.into(), home_key.into(), name.into(), id.into()],
            )?;
            if n == 1 {
                let detail = format!(
                    "{connection}: customer {home_key}: {name}{}",
                    id.map(|i| format!(" {i}")).unwrap_or_default()
                );
                audit::record(tx, "review-decided", &detail)?;
            }
            Ok(n == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::{audit_details, each_engine};
    use super::*;

    fn review(connection: &str, home_key: &str, reason: &str) -> Review {
        Review {
            connection: connection.to_owned(),
            home_key: home_key.to_owned(),
            home_name: format!("Name of {home_key}"),
            candidates: vec![TargetCustomer {
                remote_id: "R-1".to_owned(),
                name: "Acme".to_owned(),
                email: Some("a@example.com".to_owned()),
                tax_number: None,
                active: false,
            }],
            reason: reason.to_owned(),
            run_id: 3,
            decision: None,
        }
    }

    #[test]
    fn decisions_are_kept_when_an_item_is_raised_again_and_are_audited() {
        for (_keep, s) in each_engine() {
            s.raise_review(&review("books", "k-2", "an e-mail alone"))
                .expect("raises");
            s.raise_review(&review("books", "K-1", "an archived namesake"))
                .expect("raises");
            s.raise_review(&review("other", "k-3", "several namesakes"))
                .expect("raises");
            assert!(
                s.decide_review("books", "k-2", &Decision::Link("R-1".to_owned()))
                    .expect("decides")
            );
            assert!(
                s.decide_review("books", "K-1", &Decision::Skip)
                    .expect("decides")
            );
            assert!(
                !s.decide_review("books", "nobody", &Decision::Create)
                    .expect("no such item")
            );
            // Raised again by a later run: its text changes, the decision stays.
            s.raise_review(&review("books", "k-2", "an e-mail alone, again"))
                .expect("raises");

            let all = s.reviews(None).expect("reads");
            assert_eq!(
                all.iter()
                    .map(|r| (
                        r.connection.as_str(),
                        r.home_key.as_str(),
                        r.decision.clone()
                    ))
                    .collect::<Vec<_>>(),
                [
                    ("books", "K-1", Some(Decision::Skip)),
                    ("books", "k-2", Some(Decision::Link("R-1".to_owned()))),
                    ("other", "k-3", None),
                ]
            );
            assert_eq!(all[1].reason, "an e-mail alone, again");
            assert_eq!(all[1].candidates, review("books", "k-2", "").candidates);
            assert_eq!(s.reviews(Some("other")).expect("reads").len(), 1);
            assert_eq!(
                s.review_decision("books", "k-2").expect("reads"),
                Some(Decision::Link("R-1".to_owned()))
            );
            assert_eq!(s.review_decision("other", "k-3").expect("reads"), None);
            let decisions = s.review_decisions("books").expect("reads");
            assert_eq!(decisions.len(), 2);
            assert_eq!(decisions.get("K-1"), Some(&Decision::Skip));
            assert_eq!(
                audit_details(&s),
                ["books: customer k-2: link R-1", "books: customer K-1: skip"]
            );
        }
    }
}
