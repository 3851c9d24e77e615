//! What an import is checked against besides its own files: the ids and invoice numbers
//! already in the book (read by the store, `store::home::read_known_ids`).

use std::collections::HashSet;

/// The ids other records may refer to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownIds {
    /// Customer ids.
    pub customers: HashSet<String>,
    /// Contract ids.
    pub contracts: HashSet<String>,
    /// Invoice numbers already used by jobs and contract invoices (one numbering space,
    /// see `docs/home-format.md`): the number as written → which record holds it.
    pub invoice_numbers: Vec<NumberHolder>,
}

/// A document that holds an invoice number in the home book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHolder {
    /// The number as written.
    pub number: String,
    /// `"job"` or `"contract invoice"`.
    pub kind: &'static str,
    /// The record's id.
    pub id: String,
}
