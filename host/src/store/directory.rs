//! What the host knows of a target without asking it again: its customers (for matching
//! home customers locally, at the vendor's call cost) and its documents' numbers (so a
//! create never lands on a number the target already uses), refreshed by delta. Tables
//! `target_customers` and `target_documents` (migration 5).
//!
//! The directory is a cache: losing it costs one full read of the target, never a wrong
//! link — every link is still checked against the id map when it is made.

use rusqlite::params;
use serde::{Deserialize, Serialize};

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
}
