//! A connector written by an attacker (`tests/fixtures/hostile`), installed the way an admin
//! installs one, against the host's defences at the sync level (issue 14, cases 6, 7 and
//! 10 to 13): bounded pulls, oversized and poisoned records refused per record and never
//! printed raw or stored, push results checked against the batch — with what ends up in
//! the database and the terminal asserted.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ledgerlink::store::sync_state::SyncState;
use serde_json::{Value, json};

use crate::support;

struct Desk {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
}

impl Desk {
    /// A data folder with the hostile plugin installed and a connection `h` using it with
    /// `behaviour`.
    fn new(behaviour: &str, extra: &[&str]) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(data.join("plugins")).unwrap();
        std::fs::copy(
            support::fixture("hostile"),
            data.join("plugins/hostile.wasm"),
        )
        .unwrap();
        let desk = Desk {
            _tmp: tmp,
            data,
            key: ledgerlink::auth::vault::generate_key().unwrap(),
        };
        let setting = format!("behaviour={behaviour}");
        let mut args = vec![
            "connections",
            "add",
            "h",
            "--connector",
            "hostile",
            "--set",
            &setting,
        ];
        for e in extra {
            args.extend(["--set", e]);
        }
        desk.ok(&args);
        desk
    }

    fn cmd(&self) -> Command {
        let mut c = support::engine::command(&self.data);
        c.env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_VAULT_KEY", &self.key)
            .env_remove("LEDGERLINK_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        crate::support::succeeded(args, self.run(args))
    }

    /// Runs `args`, which must fail; returns stderr.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "{args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn state(&self) -> SyncState {
        support::engine::sync_state(&self.data)
    }

    fn import(&self, book: &Value) {
        let path = self.data.join("book.json");
        std::fs::write(&path, book.to_string()).unwrap();
        self.ok(&["home", "import", path.to_str().unwrap()]);
    }

    fn no_run_left_running(&self) {
        for run in self.state().runs().unwrap() {
            assert_ne!(run.status, "running", "{run:?}");
        }
    }
}

#[test]
fn pulls_are_bounded_and_a_failed_pull_leaves_no_plan() {
    for (behaviour, extra, expected) in [
        (
            "pull-page-too-large",
            vec![],
            "error: the target's customers could not be read: connector hostile returned 20000 records in one page, more than the 5000 a page may hold; the pull was stopped and nothing from it was used (raise max-page-records with `ledgerlink connections set` only if the vendor really pages that large)\n",
        ),
        (
            "pull-same-cursor",
            vec![],
            "error: the target's customers could not be read: connector hostile returned the cursor \"again\" a second time, which would page forever; the pull was stopped and nothing from it was used — report it to the connector's author\n",
        ),
        (
            "pull-cursor-forever",
            vec!["max-pull-pages=50"],
            "error: the target's customers could not be read: connector hostile was still paging after 50 pages; the pull was stopped and nothing from it was used (raise max-pull-pages with `ledgerlink connections set` only if the target really holds that many records)\n",
        ),
    ] {
        let desk = Desk::new(behaviour, &extra);
        let started = Instant::now();
        let err = desk.refused(&["compare", "customers", "--connection", "h", "--pull"]);
        assert_eq!(err, expected, "{behaviour}");
        assert!(started.elapsed() < Duration::from_secs(60), "{behaviour}");
        // No plan was written from the failed pull: the first plan made afterwards is 1.
        desk.ok(&["connections", "set", "h", "behaviour=quiet"]);
        let out = desk.ok(&[
            "compare",
            "customers",
            "--connection",
            "h",
            "--pull",
            "--json",
        ]);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["plan"], 1, "{behaviour}");
    }
}

#[test]
fn poisoned_and_oversized_records_are_refused_never_printed_raw_or_stored() {
    let desk = Desk::new("pull-nasty", &[]);
    let table = desk.ok(&["compare", "customers", "--connection", "h", "--pull"]);
    for raw in ['\u{0}', '\u{7}', '\u{1b}', '\u{202E}'] {
        assert!(!table.contains(raw), "{raw:?} printed raw:\n{table}");
    }
    assert!(
        table.contains("6 record(s) from the target were refused"),
        "{table}"
    );
    let v: Value = serde_json::from_str(&desk.ok(&[
        "compare",
        "customers",
        "--connection",
        "h",
        "--pull",
        "--json",
    ]))
    .unwrap();
    let names: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["First Twice Ltd", "Good Ltd"]);
    let refused: Vec<(Value, String)> = v["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["remote_id"].clone(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let control = |c: &str| {
        format!(
            "refused from connector hostile: name contains the control character U+{c}, which could disturb a terminal or reverse text; correct it in the target"
        )
    };
    assert_eq!(
        refused,
        vec![
            (json!("nul"), control("0000")),
            (json!("bel"), control("0007")),
            (json!("ansi"), control("001B")),
            (json!("rlo"), control("202E")),
            (Value::Null, "refused from connector hostile: its remote id is empty".to_owned()),
            (
                json!("twice"),
                "refused from connector hostile: remote id \"twice\" came twice in one pull; the first record was kept"
                    .to_owned()
            ),
        ]
    );
    // Applied, only the clean records reach the home book.
    let plan = v["plan"].as_i64().unwrap().to_string();
    desk.ok(&["sync", "--plan", &plan, "--all"]);
    let home = support::engine::home(&desk.data);
    let mut names: Vec<String> = home
        .customers()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    assert_eq!(names, vec!["First Twice Ltd", "Good Ltd"]);

    // A 1 MiB name: refused on its own; the plan stays small.
    let desk = Desk::new("pull-huge-name", &[]);
    let v: Value = serde_json::from_str(&desk.ok(&[
        "compare",
        "customers",
        "--connection",
        "h",
        "--pull",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["refused"][0]["reason"],
        "refused from connector hostile: name is 1048576 bytes, more than the 65536 a pulled text may hold"
    );
    let (_, _, _, body) = desk.state().plan(v["plan"].as_i64().unwrap()).unwrap();
    assert!(body.len() < 16 * 1024, "plan of {} bytes", body.len());
    desk.no_run_left_running();
}

/// Three flagged customers with one job each.
fn book() -> Value {
    let customers: Vec<Value> = (0..3)
        .map(|i| json!({"id": format!("C{i}"), "name": format!("Customer {i}"), "flagged_for_integration": true}))
        .collect();
    let jobs: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "id": format!("J{i}"), "number": format!("J{i}"), "customer_id": format!("C{i}"),
                "status": "closed", "ready_for_invoice_1": true, "ready_for_invoice_2": true,
                "invoice_date": "2026-11-20", "currency": "NZD", "tax_mode": "none",
                "subtotal": "10.00", "tax_total": "0", "total": "10.00",
                "lines": [{"description": "Work", "quantity": "1", "unit_price": "10.00", "amount": "10.00"}],
            })
        })
        .collect();
    json!({"version": 1, "customers": customers, "jobs": jobs})
}

/// A connector's note (`written.note`) reaches the run report quoted, attributed, with its
/// control and direction characters escaped, and cut: it cannot pass for ledgerlink's words,
/// rewrite the terminal or flood the report.
#[test]
fn a_connectors_note_is_shown_quoted_escaped_and_cut() {
    let desk = Desk::new("results-note", &[]);
    desk.import(&book());
    let out = desk.run(&["push-invoices", "--connection", "h", "--kind", "job"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = desk.state();
    let runs = state.runs().unwrap();
    let push = runs.iter().find(|r| r.entity == "job-invoices").unwrap();
    let (_, items) = state.run(push.id).unwrap();
    // Three customers created first, then their three jobs.
    assert_eq!(items.len(), 6, "{items:?}");
    let said = format!(
        "Hostile fixture says \"ok\\u{{202e}}\\n\\u{{1b}}[2Jledgerlink: all good{}\" (cut: 4728 more characters)",
        "!".repeat(272)
    );
    for item in items {
        assert_eq!(item.outcome, "created");
        let host_says = if item.home_key.as_deref().unwrap().starts_with('C') {
            "customer created automatically for its invoices; "
        } else {
            ""
        };
        assert_eq!(item.reason, format!("{host_says}{said}"));
    }
}

#[test]
fn push_results_are_checked_against_the_batch() {
    let rule = |r: &str| {
        format!(
            "connector hostile broke the contract: {r}; nothing was recorded for this record — report it to the connector's author and run again"
        )
    };
    for (behaviour, expect) in [
        (
            "results-none",
            vec![Some(rule("it returned no result for this record")); 3],
        ),
        (
            "results-short",
            vec![
                None,
                Some(rule("it returned no result for this record")),
                Some(rule("it returned no result for this record")),
            ],
        ),
        (
            "results-same-id",
            vec![
                Some(rule(
                    "it returned remote id \"SAME\" for more than one record of the batch"
                ));
                3
            ],
        ),
        (
            "results-empty-id",
            vec![Some(rule("it returned an empty remote id")); 3],
        ),
        (
            "results-huge-id",
            vec![
                Some(rule(
                    "it returned a remote id of 4194304 bytes, more than 255"
                ));
                3
            ],
        ),
        ("results-reversed", vec![None, None, None]),
    ] {
        let desk = Desk::new(behaviour, &[]);
        desk.import(&book());
        let out = desk.run(&["push-invoices", "--connection", "h", "--kind", "job"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("database error"), "{behaviour}: {stderr}");
        let state = desk.state();
        // Every customer's outcome, and the id map holds only honest links.
        let runs = state.runs().unwrap();
        let push = runs.iter().find(|r| r.entity == "job-invoices").unwrap();
        let (_, items) = state.run(push.id).unwrap();
        let map: std::collections::HashMap<String, String> = state
            .id_map("h", "customers")
            .unwrap()
            .into_iter()
            .map(|e| (e.home_key, e.remote_id))
            .collect();
        for (i, expected) in expect.iter().enumerate() {
            let key = format!("C{i}");
            let item = items
                .iter()
                .find(|it| it.home_key.as_deref() == Some(key.as_str()))
                .unwrap_or_else(|| panic!("{behaviour}: no item for {key}: {items:?}"));
            match expected {
                Some(reason) => {
                    assert_eq!(item.outcome, "failed", "{behaviour} {key}");
                    assert_eq!(&item.reason, reason, "{behaviour} {key}");
                    assert!(!map.contains_key(&key), "{behaviour}: {key} linked");
                }
                None => {
                    assert_eq!(
                        item.outcome, "created",
                        "{behaviour} {key}: {}",
                        item.reason
                    );
                    assert_eq!(map.get(&key), Some(&format!("c-{key}")), "{behaviour}");
                }
            }
        }
        // The outbox holds nothing pending, no run is left running, and the CLI said so.
        assert!(
            state.pending("h", "customers").unwrap().is_empty(),
            "{behaviour}"
        );
        assert!(
            state.pending("h", "job-invoices").unwrap().is_empty(),
            "{behaviour}"
        );
        desk.no_run_left_running();
        if expect.iter().any(Option::is_some) {
            assert!(!out.status.success(), "{behaviour}: {stdout}");
        } else {
            assert!(out.status.success(), "{behaviour}: {stdout}{stderr}");
            // Invoices too were matched by key.
            let inv: std::collections::HashMap<String, String> = state
                .id_map("h", "job-invoices")
                .unwrap()
                .into_iter()
                .map(|e| (e.home_key, e.remote_id))
                .collect();
            for i in 0..3 {
                assert_eq!(inv.get(&format!("J{i}")), Some(&format!("i-J{i}")));
            }
        }
    }
}

#[test]
fn a_run_has_an_overall_budget() {
    // A connector paging politely forever, one quick call at a time, under a page bound
    // too large to matter: the run budget stops it.
    let desk = Desk::new(
        "pull-cursor-forever",
        &["max-pull-pages=100000000", "run-budget-seconds=3"],
    );
    let started = Instant::now();
    let err = desk.refused(&["compare", "customers", "--connection", "h", "--pull"]);
    assert_eq!(
        err,
        "error: the compare was stopped: it went past its budget of 3 seconds (connection setting run-budget-seconds) and was stopped; writes in flight are checked on the next run, so nothing is duplicated — raise the budget if the transfer really needs longer\n"
    );
    assert!(started.elapsed() < Duration::from_secs(3 + 20));
}

#[test]
fn a_customer_plan_push_checks_results_too() {
    // `sync --plan` (the customers' Start Sync) goes through the same checks as invoice
    // pushes: no result, one result, the same id for all — each record failed, nothing
    // linked, nothing left pending, no run left running.
    for behaviour in ["results-none", "results-short", "results-same-id"] {
        let desk = Desk::new(behaviour, &[]);
        desk.import(&book());
        let v: Value = serde_json::from_str(&desk.ok(&[
            "compare",
            "customers",
            "--connection",
            "h",
            "--json",
        ]))
        .unwrap();
        let plan = v["plan"].as_i64().unwrap().to_string();
        let out = desk.run(&["sync", "--plan", &plan, "--all"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let state = desk.state();
        let runs = state.runs().unwrap();
        let run = runs.iter().find(|r| r.plan_id.is_some()).unwrap();
        let (_, items) = state.run(run.id).unwrap();
        let failed = items.iter().filter(|i| i.outcome == "failed").count();
        let expected_failed = if behaviour == "results-short" { 2 } else { 3 };
        assert_eq!(failed, expected_failed, "{behaviour}: {stdout} {items:?}");
        for i in items.iter().filter(|i| i.outcome == "failed") {
            assert!(
                i.reason
                    .starts_with("connector hostile broke the contract: "),
                "{behaviour}: {}",
                i.reason
            );
        }
        let linked = state.id_map("h", "customers").unwrap();
        assert_eq!(linked.len(), 3 - expected_failed, "{behaviour}");
        assert!(
            linked
                .iter()
                .all(|e| e.remote_id == format!("c-{}", e.home_key))
        );
        assert!(
            state.pending("h", "customers").unwrap().is_empty(),
            "{behaviour}"
        );
        desk.no_run_left_running();
    }
}
