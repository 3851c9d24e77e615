//! The sync engine: compare, plan, apply, report — once, for every connector.
//!
//! - [`fingerprint`]: what "changed since the last sync" means, as a hash of content.
//! - [`diff`]: field-level differences between two canonical records.
//! - [`compare`]: Add / Update / Unchanged / Conflict for each record, given the id map.

pub mod apply;
pub mod budget;
pub mod compare;
pub mod customers;
pub mod diff;
pub mod directory;
pub mod inspect;
pub mod invoices;
pub mod matching;
pub mod outbox;
pub mod paging;
pub mod plan;
pub mod progress;
pub mod pull;
pub mod readback;
pub mod results;
pub mod rollback;
pub mod run_budget;
pub mod settings;
pub mod verify;
