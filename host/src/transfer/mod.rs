//! The application layer: what a transfer is, for every surface (the CLI today; the server
//! and web admin later). Each function takes a connection, a record kind and options, owns
//! the rules — what is due, numbering, demo subsets — and returns a report value the
//! surface prints or serializes. Surfaces parse and print only. [`home_book`] is the same
//! for changes to the home book itself (import, flags).
//!
//! Arrows run one way: surfaces → `transfer` → `sync` / `home` / `store` / `runtime`.

pub mod due;
pub mod home_book;
pub mod invoice_plans;
pub mod invoices;
pub mod numbering;
pub mod plan_view;
pub mod reviews;
pub mod session;

pub use session::{Applied, ApplyOptions, Link, Pick, Transfers};

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
    /// The connection is not there or cannot be read.
    #[error(transparent)]
    Connection(#[from] crate::store::connections::ConnectionError),
    /// The connection's component cannot be loaded.
    #[error(transparent)]
    Component(#[from] crate::registry::RegistryError),
    /// The connection's credentials or settings cannot be used.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// Comparing failed.
    #[error(transparent)]
    Compare(#[from] crate::sync::customers::CompareError),
    /// Writing pulled records into the home book failed.
    #[error(transparent)]
    Pull(#[from] crate::sync::pull::PullError),
    /// The request cannot be done as asked (says what and what to do instead).
    #[error("{0}")]
    Refused(String),
    /// No customer-matching review item for that customer on that connection.
    #[error(
        "there is no review item for customer {key:?} on connection {connection:?}; `ledgerlink reviews list` shows them"
    )]
    NoReview {
        /// The connection asked about.
        connection: String,
        /// The home customer asked about.
        key: String,
    },
}
