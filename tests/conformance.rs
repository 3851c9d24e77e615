//! `ledgerlink conformance` run by the real binary: the first-party connectors pass every
//! applicable check against the sandbox emulators (csv in a folder), a deliberately broken
//! connector fails exactly the checks it should, and `--json` says the same as the table.
#![allow(clippy::unwrap_used)]

use crate::vendor_world;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use serde_json::Value;
use vendor_world::{Vendor, World};

/// The verdict of every check in a `--json` report, by name.
fn verdicts(json: &[u8]) -> BTreeMap<String, String> {
    let report: Value = serde_json::from_slice(json)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(json)));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The reasons of the failed checks, for assertion messages.
fn reasons(json: &[u8]) -> String {
    let report: Value = serde_json::from_slice(json).unwrap();
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| format!("{} {}: {}\n", c["name"], c["status"], c["reason"]))
        .collect()
}

/// Every check must have run, and none failed; the leftovers are `leftovers` (each said by
/// a text it contains).
fn assert_conformant(out: &Output, expected_not_applicable: &[&str], leftovers: &[&str]) {
    let v = verdicts(&out.stdout);
    let names: BTreeSet<&str> = v.keys().map(String::as_str).collect();
    let all: Vec<String> = ledgerlink::conformance::check_names();
    assert_eq!(
        names,
        all.iter().map(String::as_str).collect(),
        "every check runs"
    );
    let failed: Vec<&String> = v
        .iter()
        .filter(|(_, s)| *s == "fail")
        .map(|(n, _)| n)
        .collect();
    assert!(
        failed.is_empty(),
        "failed: {failed:?}\n{}\n{}",
        reasons(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let not_applicable: BTreeSet<&str> = v
        .iter()
        .filter(|(_, s)| *s == "not-applicable")
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        not_applicable,
        expected_not_applicable.iter().copied().collect(),
        "{}",
        reasons(&out.stdout)
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let left: Vec<&str> = report["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(left.len(), leftovers.len(), "{left:?}");
    for (l, expected) in left.iter().zip(leftovers) {
        assert!(l.contains(expected), "{l}");
    }
}

fn folder_cli(data: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = crate::support::engine::assert_command(data);
    cmd.env_remove("LEDGERLINK_LOG");
    cmd
}

#[test]
fn the_csv_connector_passes_every_applicable_check_and_the_table_agrees_with_json() {
    let tmp = tempfile::tempdir().unwrap();
    folder_cli(tmp.path())
        .args([
            "connections",
            "add",
            "books",
            "--connector",
            "csv",
            "--set",
            "page-size=7",
        ])
        .assert()
        .success();
    let out = folder_cli(tmp.path())
        .args(["conformance", "csv", "--connection", "books", "--json"])
        .output()
        .unwrap();
    // No payment state and one name may be used twice in a folder of files.
    assert_conformant(
        &out,
        &[
            "customers.duplicate-name",
            "invoices.job.locked",
            "invoices.contract.locked",
            "invoices.order.locked",
        ],
        &[],
    );
    let json = verdicts(&out.stdout);
    let table = folder_cli(tmp.path())
        .args(["conformance", "csv", "--connection", "books"])
        .output()
        .unwrap();
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8(table.stdout).unwrap();
    for (name, status) in &json {
        let row = text
            .lines()
            .find(|l| l.split(['│', '┆']).nth(1).is_some_and(|c| c.trim() == name))
            .unwrap_or_else(|| panic!("no row for {name} in\n{text}"));
        assert!(row.contains(&status.replace('-', " ")), "{name}: {row}");
    }
    assert!(
        text.contains("passed, 0 failed, 4 not applicable."),
        "{text}"
    );
}

#[test]
fn the_broken_connector_fails_exactly_replays_and_per_document_tax() {
    let tmp = tempfile::tempdir().unwrap();
    let wasm = std::path::Path::new(env!("LEDGERLINK_FIXTURES_DIR")).join("broken-connector.wasm");
    folder_cli(tmp.path())
        .args(["plugins", "install"])
        .arg(&wasm)
        .assert()
        .success();
    folder_cli(tmp.path())
        .args([
            "connections",
            "add",
            "broken",
            "--connector",
            "broken-connector",
            "--set",
            "page-size=7",
        ])
        .assert()
        .success();
    let out = folder_cli(tmp.path())
        .args(["conformance"])
        .arg(&wasm)
        .args(["--connection", "broken", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", reasons(&out.stdout));
    let v = verdicts(&out.stdout);
    let failed: BTreeSet<&str> = v
        .iter()
        .filter(|(_, s)| *s == "fail")
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        failed,
        BTreeSet::from([
            "customers.idempotent-replay",
            "invoices.job.read-back",
            "invoices.job.replay",
        ]),
        "{}",
        reasons(&out.stdout)
    );
    // The rest pass, or do not apply (it takes job invoices only).
    for (name, status) in &v {
        if !failed.contains(name.as_str()) {
            assert!(
                status == "pass" || status == "not-applicable",
                "{name}: {status}"
            );
        }
    }
    assert_eq!(v["invoices.contract.create"], "not-applicable");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: 3 of 31 checks failed: customers.idempotent-replay, invoices.job.read-back, invoices.job.replay"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "invoices.job.read-back")
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.starts_with("tax-total sent 4.50, read back 4.51"),
        "{reason}"
    );
}

/// Salesorder (upload workbooks in a folder) passes every check that applies to a file target:
/// its invoices are imported Historical, read-only, so their updates do not apply (orders
/// update), and it has no payment state.
#[test]
fn the_salesorder_connector_passes_every_check_that_applies_to_a_file_target() {
    let tmp = tempfile::tempdir().unwrap();
    folder_cli(tmp.path())
        .args(["connections", "add", "so", "--connector", "salesorder"])
        .assert()
        .success();
    let out = folder_cli(tmp.path())
        .args(["conformance", "salesorder", "--connection", "so", "--json"])
        .output()
        .unwrap();
    assert_conformant(
        &out,
        &[
            "invoices.job.update-lines",
            "invoices.contract.update-lines",
            "invoices.job.locked",
            "invoices.contract.locked",
            "invoices.order.locked",
        ],
        &[],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "invoices.job.update-lines")
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.starts_with("the target keeps these documents write-once: locked")
            && why.contains("Historical is read-only in Salesorder"),
        "{why}"
    );
}

/// OrderTrac web's connector writes an import package (files, no API): every check applies
/// but `locked`, which needs a payment the contract cannot record (OrderTrac's own read-only
/// state, completed or picked, comes from its exports: `tests/ordertrac.rs`).
#[test]
fn the_ordertrac_connector_passes_every_check_that_applies_to_a_file_target() {
    let tmp = tempfile::tempdir().unwrap();
    folder_cli(tmp.path())
        .args([
            "connections",
            "add",
            "ot",
            "--connector",
            "ordertrac",
            "--set",
            "tax-rates=OUTPUT2=15",
        ])
        .assert()
        .success();
    let out = folder_cli(tmp.path())
        .args(["conformance", "ordertrac", "--connection", "ot", "--json"])
        .output()
        .unwrap();
    assert_conformant(
        &out,
        &[
            "invoices.job.locked",
            "invoices.contract.locked",
            "invoices.order.locked",
        ],
        &[],
    );
}

/// A connector built against the frozen contract 0.1.0 (`tests/fixtures/ledger-v0-1`) passes
/// the suite on this host through the 0.1 surface: what 0.1 cannot express (orders) does not
/// apply, and it has no payment state.
#[test]
fn a_contract_0_1_connector_passes_on_this_host() {
    let tmp = tempfile::tempdir().unwrap();
    let wasm = std::path::Path::new(env!("LEDGERLINK_FIXTURES_DIR")).join("ledger-v0-1.wasm");
    folder_cli(tmp.path())
        .args(["plugins", "install"])
        .arg(&wasm)
        .assert()
        .success();
    folder_cli(tmp.path())
        .args([
            "connections",
            "add",
            "old",
            "--connector",
            "ledger-v0-1",
            "--set",
            "page-size=7",
        ])
        .assert()
        .success();
    let out = folder_cli(tmp.path())
        .args(["conformance"])
        .arg(&wasm)
        .args(["--connection", "old", "--json"])
        .output()
        .unwrap();
    let orders: Vec<String> = ledgerlink::conformance::check_names()
        .into_iter()
        .filter(|n| n.starts_with("invoices.order."))
        .collect();
    let mut not_applicable: Vec<&str> = orders.iter().map(String::as_str).collect();
    not_applicable.extend(["invoices.job.locked", "invoices.contract.locked"]);
    assert_conformant(&out, &not_applicable, &[]);
}

#[test]
fn a_plugin_other_than_the_connections_component_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    folder_cli(tmp.path())
        .args(["connections", "add", "books", "--connector", "csv"])
        .assert()
        .success();
    let probe = std::path::Path::new(env!("LEDGERLINK_FIXTURES_DIR")).join("probe.wasm");
    let out = folder_cli(tmp.path())
        .args(["conformance"])
        .arg(&probe)
        .args(["--connection", "books"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: connection books runs csv "),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// Runs the suite on `vendor`'s sandbox: only `not_applicable` (and orders, which neither
/// takes) do not apply, and only the paid documents of the `locked` checks are left (the
/// sandboxes cannot delete a payment).
async fn vendor(vendor: Vendor, settings: &[(&str, &str)], not_applicable: &[&str]) {
    let w = World::with_settings(vendor, 0, settings).await;
    let name = vendor.connector();
    let out = w
        .cli()
        .args(["conformance", name, "--connection", name, "--json"])
        .output()
        .unwrap();
    let mut expected = vec![
        "invoices.order.create",
        "invoices.order.read-back",
        "invoices.order.update-lines",
        "invoices.order.replay",
        "invoices.order.locked",
        "invoices.order.batch-one-bad",
    ];
    expected.extend(not_applicable);
    assert_conformant(&out, &expected, &["locked error", "locked error"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xero_passes_every_applicable_check() {
    // Xero contacts have no concurrency token.
    vendor(
        Vendor::Xero,
        &[("page-size", "25")],
        &["customers.stale-update"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickbooks_passes_every_applicable_check() {
    vendor(Vendor::QuickBooks, &[], &[]).await;
}
