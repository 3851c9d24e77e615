//! What the host knows of a target without asking it again: its customers (for matching
//! home customers locally, at the vendor's call cost) and its documents' numbers (so a
//! create never lands on a number the target already uses), refreshed by delta. Tables
//! `target_customers` and `target_documents` (migration 5).
//!
//! The directory is a cache: losing it costs one full read of the target, never a wrong
//! link — every link is still checked against the id map when it is made.

use serde::{Deserialize, Serialize};

use super::sql::{self, Value};
use super::sync_state::{SyncState, SyncStateError};

// Review items live in `reviews`; the sync engine and the CLI name them here too.
pub use super::reviews::{Decision, Review};

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

impl SyncState {
    /// The target's customers as last read over `connection`.
    pub fn target_customers(
        &self,
        connection: &str,
    ) -> Result<Vec<TargetCustomer>, SyncStateError> {
        self.query_all(
            &format!(
                "SELECT remote_id, name, email, tax_number, active FROM target_customers
                 WHERE connection = ?1 ORDER BY {}",
                self.bytewise("remote_id")
            ),
            &[connection.into()],
            |r| {
                Ok(TargetCustomer {
                    remote_id: r.text(0)?,
                    name: r.text(1)?,
                    email: r.opt_text(2)?,
                    tax_number: r.opt_text(3)?,
                    active: r.i64(4)? != 0,
                })
            },
        )
    }

    /// Record target customers read (or created) over `connection`, in one transaction.
    pub fn upsert_target_customers(
        &self,
        connection: &str,
        customers: &[TargetCustomer],
    ) -> Result<(), SyncStateError> {
        self.transaction(|tx| {
            for c in customers {
                tx.execute(
                    "INSERT INTO target_customers (connection, remote_id, name, email, tax_number, active)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (connection, remote_id) DO UPDATE SET name = excluded.name,
                       email = excluded.email, tax_number = excluded.tax_number, active = excluded.active",
                    &[
                        connection.into(),
                        c.remote_id.as_str().into(),
                        c.name.as_str().into(),
                        c.email.clone().into(),
                        c.tax_number.clone().into(),
                        Value::Int(i64::from(c.active)),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// The target's documents as last read over `connection`, every kind.
    pub fn target_documents(
        &self,
        connection: &str,
    ) -> Result<Vec<TargetDocument>, SyncStateError> {
        self.query_all(
            &format!(
                "SELECT entity, remote_id, number, customer_id FROM target_documents
                 WHERE connection = ?1 ORDER BY {}, {}",
                self.bytewise("entity"),
                self.bytewise("remote_id")
            ),
            &[connection.into()],
            |r| {
                Ok(TargetDocument {
                    entity: r.text(0)?,
                    remote_id: r.text(1)?,
                    number: r.text(2)?,
                    customer_id: r.opt_text(3)?,
                })
            },
        )
    }

    /// Record target documents read (or written) over `connection`, in one transaction.
    pub fn upsert_target_documents(
        &self,
        connection: &str,
        documents: &[TargetDocument],
    ) -> Result<(), SyncStateError> {
        const UPSERT: &str = "ON CONFLICT (connection, entity, remote_id) DO UPDATE SET
               number = excluded.number, customer_id = excluded.customer_id";
        let params = |d: &TargetDocument| -> [Value; 4] {
            [
                d.entity.as_str().into(),
                d.remote_id.as_str().into(),
                d.number.as_str().into(),
                d.customer_id.clone().into(),
            ]
        };
        // One statement per chunk; a document named twice (one statement may not change a
        // row twice on PostgreSQL) makes the whole list go one by one, the last one winning.
        let distinct = documents
            .iter()
            .map(|d| (d.entity.as_str(), d.remote_id.as_str()))
            .collect::<std::collections::HashSet<_>>()
            .len()
            == documents.len();
        let chunk_len = if distinct { sql::ROWS_PER_STATEMENT } else { 1 };
        self.transaction(|tx| {
            for chunk in documents.chunks(chunk_len) {
                let mut values = vec![connection.into()];
                for d in chunk {
                    values.extend(params(d));
                }
                tx.execute(
                    &format!(
                        "INSERT INTO target_documents (connection, entity, remote_id, number, customer_id)
                         VALUES {} {UPSERT}",
                        sql::rows_of("(?1, $, $, $, $)", chunk.len(), 2)
                    ),
                    &values,
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::each_engine;
    use super::*;

    fn customer(remote_id: &str, name: &str, active: bool) -> TargetCustomer {
        TargetCustomer {
            remote_id: remote_id.to_owned(),
            name: name.to_owned(),
            email: Some(format!("{name}@example.com")),
            tax_number: None,
            active,
        }
    }

    fn document(entity: &str, remote_id: &str, number: &str) -> TargetDocument {
        TargetDocument {
            entity: entity.to_owned(),
            remote_id: remote_id.to_owned(),
            number: number.to_owned(),
            customer_id: Some("c-1".to_owned()),
        }
    }

    #[test]
    fn customers_and_documents_upsert_and_read_back_in_byte_order() {
        for (_keep, s) in each_engine() {
            s.upsert_target_customers(
                "books",
                &[customer("c-2", "Beta", true), customer("C-9", "Zed", false)],
            )
            .expect("records");
            // Read again later: the row changes, not the count.
            s.upsert_target_customers("books", &[customer("c-2", "Beta Ltd", false)])
                .expect("records");
            s.upsert_target_customers("other", &[customer("x", "Elsewhere", true)])
                .expect("records");
            assert_eq!(
                s.target_customers("books").expect("reads"),
                [
                    customer("C-9", "Zed", false),
                    customer("c-2", "Beta Ltd", false)
                ]
            );

            s.upsert_target_documents(
                "books",
                &[
                    document("job-invoices", "r-1", "INV-1"),
                    document("contract-invoices", "R-2", "CI-2"),
                    document("job-invoices", "R-3", "INV-3"),
                ],
            )
            .expect("records");
            let mut renumbered = document("job-invoices", "r-1", "INV-1b");
            renumbered.customer_id = None;
            s.upsert_target_documents("books", std::slice::from_ref(&renumbered))
                .expect("records");
            assert_eq!(
                s.target_documents("books").expect("reads"),
                [
                    document("contract-invoices", "R-2", "CI-2"),
                    document("job-invoices", "R-3", "INV-3"),
                    renumbered,
                ]
            );
            assert_eq!(s.target_documents("other").expect("reads"), []);
        }
    }
}
