//! The end-to-end tests that use the store, run a second time with every data folder's store
//! on PostgreSQL: the same files as `e2e`'s modules (tests/e2e.rs), compiled with
//! `engine::POSTGRES` true, so `support::engine` gives each data folder a database of its own
//! on the cluster `LEDGERLINK_TEST_DATABASE_URL` names and points the binary at it.
//!
//! Compiled only when that variable is set at build time (host/build.rs sets `cfg(e2e_postgres)`):
//! without a cluster this is an empty binary with 0 tests, rather than hundreds of tests that
//! would each have to skip. Setting or clearing the variable rebuilds the host. A binary built
//! with it but run without it fails, saying so.
//!
//! Left out (the exclusions the `e2e_postgres_is_e2e_minus_its_documented_exclusions` test in
//! `e2e` reads, one per line):
//! - `csv_connector`: the csv plugin through the runtime and a connection folder; no store.
//! - `database_url`: already runs on both engines itself (its own fresh PostgreSQL database).
//! - `fleet`: PostgreSQL only by nature; `e2e` runs it on its own fresh database.
//! - `outbound_http`: the HTTP policy against local servers; no store.
//! - `quickbooks_connector`: the QuickBooks plugin through the runtime against the sandbox; no store.
//! - `sandbox`: the guest sandbox with the probe fixture; no store.
#![cfg(e2e_postgres)]
#![allow(clippy::unwrap_used)]

/// The store engine of this binary's data folders (tests/support/engine.rs): PostgreSQL.
mod engine {
    pub const POSTGRES: bool = true;
}

mod support;
mod vendor_world;

mod auth;
mod cli;
mod conformance;
mod home;
mod hostile;
mod invoice_compare;
mod money;
mod money_properties;
mod new_connector;
mod ordertrac;
mod plugin_identity;
mod salesorder;
mod schedules;
mod serve;
mod serve_admin;
mod serve_reads;
mod support_access;
mod sync;
mod transfers;
mod vendor_transfers;
mod web_admin;
mod worker;
mod xero_connector;
