//! ledgerlink's end-to-end tests: the real binary, the real plugins and the sandbox emulators.
//!
//! Every file in this folder is a module of this one test binary, so the host (and wasmtime)
//! is linked once rather than once per file. Run one area with a filter, e.g.
//! `cargo test -p ledgerlink --test e2e salesorder::`.
//!
//! The store-dependent modules run a second time on PostgreSQL in `e2e_postgres`
//! (tests/e2e_postgres.rs) when `LEDGERLINK_TEST_DATABASE_URL` names a test cluster.
#![allow(clippy::unwrap_used)]

/// The store engine of this binary's data folders (tests/support/engine.rs): SQLite.
mod engine {
    pub const POSTGRES: bool = false;
}

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

/// `e2e_postgres` runs every module of this binary but the ones its doc comment leaves out
/// (each named there with the reason), so a new test file cannot be forgotten on PostgreSQL.
#[test]
fn e2e_postgres_is_e2e_minus_its_documented_exclusions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    let mods = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
            .map(str::to_owned)
            .collect()
    };
    let postgres = read("e2e_postgres.rs");
    let excluded: std::collections::BTreeSet<String> = postgres
        .lines()
        .filter_map(|l| l.strip_prefix("//! - `")?.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect();
    let all = mods(&read("e2e.rs"));
    assert!(
        excluded.is_subset(&all),
        "{excluded:?} names a module e2e does not have"
    );
    let expected: std::collections::BTreeSet<String> = all.difference(&excluded).cloned().collect();
    assert_eq!(mods(&postgres), expected);
    assert!(excluded.contains("database_url") && !expected.is_empty());
}
