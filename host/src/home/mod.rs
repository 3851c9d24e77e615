//! The home book: Tracker Pro's side of every transfer.
//!
//! Customers (with "flagged for integration"), jobs (status, two Ready-for-Invoice flags,
//! invoice lines), service contracts and the contract invoices they generate.
//!
//! - [`model`]: the records; [`validation`]: the rules they follow;
//!   [`fingerprint`]: their content hashes.
//! - [`import`] (JSON and CSV, all or nothing) and [`export`] (JSON), in the format of
//!   `docs/home-format.md`.
//! - [`eligibility`]: which records the next transfer picks up; [`flags`]: forcing a record
//!   into it; [`summary`]: counts for `ledgerlink home show`.
//! - [`canonical`]: home records ⇄ the contract's canonical `Customer` and `Invoice`.
//!
//! Storage is `store::home`; nothing here writes SQL.

pub mod canonical;
pub mod decimal_serde;
pub mod eligibility;
pub mod export;
pub mod fingerprint;
pub mod flags;
pub mod import;
pub mod model;
pub mod summary;
pub mod validation;

#[cfg(test)]
pub(crate) mod test_book;

pub use model::{
    ContractInvoiceStatus, HomeAddress, HomeBook, HomeContract, HomeContractInvoice, HomeCustomer,
    HomeJob, HomeLine, InvoiceBody, JobStatus, RecordKind, TaxMode,
};
