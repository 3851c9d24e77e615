//! The application layer: what a transfer is, for every surface (the CLI today; the server
//! and web admin later). Each function takes a connection, a record kind and options, owns
//! the rules — what is due, numbering, demo subsets — and returns a report value the
//! surface prints or serializes. Surfaces parse and print only.
//!
//! Arrows run one way: surfaces → `transfer` → `sync` / `home` / `store` / `runtime`.

pub mod due;
pub mod invoice_plans;
pub mod invoices;
pub mod numbering;

use crate::store::home::HomeStoreError;
use crate::store::sync_state::SyncStateError;
use crate::sync::apply::ApplyError;

/// Why a transfer could not run.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The home book could not be read.
    #[error(transparent)]
    Home(#[from] HomeStoreError),
    /// The sync state could not be read or written.
    #[error(transparent)]
    State(#[from] SyncStateError),
    /// The home book is empty.
    #[error(
        "the home book has no customers; import Tracker Pro's data with `ledgerlink home import <file>` first"
    )]
    EmptyBook,
    /// The home book refers to a record it does not hold.
    #[error("{0}")]
    Dangling(String),
    /// The transfer itself failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
}
