//! What writing records into the home book did to them: per record ([`Change`]), per kind
//! ([`ChangeCounts`]) and per import ([`ImportCounts`]). The store reports these; the
//! surfaces print them.

use serde::Serialize;

/// What writing one record did to its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// It was not in the book.
    Added,
    /// Its content (fingerprint) changed.
    Changed,
    /// Same content; flags and `updated_at` were still taken from the new record.
    Unchanged,
}

/// Per-kind counts of an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    /// New records.
    pub added: usize,
    /// Records whose content changed.
    pub changed: usize,
    /// Records whose content stayed the same.
    pub unchanged: usize,
}

impl ChangeCounts {
    /// Count one record written.
    pub fn count(&mut self, c: Change) {
        match c {
            Change::Added => self.added += 1,
            Change::Changed => self.changed += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }

    /// Records written.
    pub fn total(&self) -> usize {
        self.added + self.changed + self.unchanged
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Customers.
    pub customers: ChangeCounts,
    /// Jobs.
    pub jobs: ChangeCounts,
    /// Service contracts.
    pub contracts: ChangeCounts,
    /// Contract invoices.
    pub contract_invoices: ChangeCounts,
}
