//! ledgerlink's end-to-end tests: the real binary, the real plugins and the sandbox emulators.
//!
//! Every file in this folder is a module of this one test binary, so the host (and wasmtime)
//! is linked once rather than once per file. Run one area with a filter, e.g.
//! `cargo test -p ledgerlink --test e2e salesorder::`.
#![allow(clippy::unwrap_used)]

mod support;
mod vendor_world;

mod auth;
mod cli;
mod conformance;
mod csv_connector;
mod database_url;
mod fleet;
mod home;
mod hostile;
mod invoice_compare;
mod money;
mod money_properties;
mod new_connector;
mod ordertrac;
mod outbound_http;
mod plugin_identity;
mod quickbooks_connector;
mod salesorder;
mod sandbox;
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
