//! The sandbox emulators' tests: fidelity to Xero's OpenAPI spec and Intuit's XSDs, money,
//! unknown outcomes, the control API and the Salesorder workbook checker.
//!
//! Every file in this folder is a module of this one test binary (one link, not one per file).
//! Run one area with a filter, e.g. `cargo test -p ledgerlink-sandbox --test emulators xero::`.

mod common;
mod qbo_support;
mod xero_support;

mod control;
mod notes;
mod ordertrac_check;
mod qbo_accounting;
mod qbo_money;
mod quickbooks;
mod salesorder_check;
mod unknown_outcomes;
mod xero;
mod xero_accounting;
