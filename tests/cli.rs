//! The `ledgerlink` binary as a user runs it.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn ledgerlink(data: &std::path::Path) -> Command {
    let mut cmd = crate::support::engine::assert_command(data);
    cmd.env_remove("LEDGERLINK_LOG");
    cmd
}

#[test]
fn version_names_the_product() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ledgerlink(tmp.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("ledgerlink {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn inspect_prints_the_csv_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ledgerlink(tmp.path())
        .args(["plugins", "inspect", "csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "csv",
        "CSV files",
        "ledgerlink:connector@0.2.0",
        "push-customers",
        "pull-invoices",
        "customers-file",
    ] {
        assert!(table.contains(expected), "missing {expected:?} in\n{table}");
    }
}

#[test]
fn inspect_json_is_the_manifest_and_load_facts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ledgerlink(tmp.path())
        .args(["plugins", "inspect", "csv", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["manifest"]["name"], "csv");
    assert_eq!(v["manifest"]["contract"], "0.2.0");
    assert_eq!(v["manifest"]["auth"]["kind"], "none");
    assert_eq!(v["manifest"]["allowed-hosts"], serde_json::json!([]));
    assert_eq!(v["load"]["sha256"].as_str().unwrap().len(), 64);
    // The first load compiled and cached; the second is served from the cache.
    assert_eq!(v["load"]["cache"], "miss");
    let again = ledgerlink(tmp.path())
        .args(["plugins", "inspect", "csv", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["load"]["cache"], "hit");
}

#[test]
fn inspect_on_a_text_file_is_one_clear_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "not a plugin\n").unwrap();
    let out = ledgerlink(tmp.path())
        .args(["plugins", "inspect"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "error: {} is not a WebAssembly file; pass a connector built with `cargo build --target wasm32-wasip2`\n",
            file.display()
        )
    );
}

#[test]
fn inspect_on_an_unknown_name_says_what_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ledgerlink(tmp.path())
        .args(["plugins", "inspect", "sage"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: sage is neither a file nor a built-in plugin; pass a path to a .wasm connector or one of: csv, ordertrac, quickbooks, salesorder, xero\n"
    );
}

#[test]
fn list_shows_built_in_and_installed_plugins_and_explains_broken_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("LEDGERLINK_FIXTURES_DIR")).join("probe.wasm"),
        plugins.join("probe.wasm"),
    )
    .unwrap();
    std::fs::write(plugins.join("broken.wasm"), "oops").unwrap();

    let out = ledgerlink(tmp.path())
        .args(["plugins", "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 7);
    for (row, name) in rows
        .iter()
        .zip(["csv", "ordertrac", "quickbooks", "salesorder", "xero"])
    {
        assert_eq!(row["name"], name);
        assert_eq!(row["source"], "built-in");
    }
    let rows = &rows[5..];
    assert_eq!(rows[0]["name"], "broken");
    assert_eq!(
        rows[0]["error"],
        format!(
            "{} is not a WebAssembly file; pass a connector built with `cargo build --target wasm32-wasip2`",
            plugins.join("broken.wasm").display()
        )
    );
    assert_eq!(rows[1]["name"], "probe");
    assert_eq!(rows[1]["manifest"]["version"], "0.1.0");
}

#[test]
fn a_bad_flag_value_is_explained_not_panicked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ledgerlink(tmp.path())
        .args(["--deadline", "soon", "plugins", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: invalid value 'soon' for '--deadline <SECONDS>': \"soon\" is not a number of seconds between 0 and 3600"),
        "{err}"
    );
}

#[test]
fn quickstart_csv_runs_the_whole_transfer_through_the_engine_and_reads_it_back() {
    let tmp = tempfile::tempdir().unwrap();
    // Twice: every run starts from an empty quickstart folder.
    for run in 0..2 {
        let out = ledgerlink(tmp.path())
            .args(["quickstart", "--target", "csv"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "run {run}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in [
            "1. Imported the sample Tracker Pro book: 50 customers, 200 closed jobs, 30 service contracts with 30 contract invoices",
            "3. Compared customers (plan 1): 50 to add, 0 to update, 0 unchanged, 0 in conflict.",
            "5. Read back from CSV files: 50 customers, 230 invoices.",
        ] {
            assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
        }
    }
    // The files hold each record once: 50 customers, 200 job and 30 contract invoices.
    let files = tmp.path().join("quickstart/connections/csv/files");
    let distinct = |file: &str, column: &str| {
        let mut reader = csv::Reader::from_path(files.join(file)).unwrap();
        let at = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("{file} has no {column} column"));
        let values: std::collections::BTreeSet<String> = reader
            .records()
            .map(|r| r.unwrap()[at].to_owned())
            .collect();
        values.len()
    };
    assert_eq!(distinct("customers.csv", "name"), 50);
    assert_eq!(distinct("job-invoices.csv", "number"), 200);
    assert_eq!(distinct("contract-invoices.csv", "number"), 30);
}

#[test]
fn quickstart_runs_the_whole_transfer_against_the_sandbox_xero() {
    let tmp = tempfile::tempdir().unwrap();
    // Twice: every run starts from an empty quickstart folder and a fresh sandbox.
    for run in 0..2 {
        let out = ledgerlink(tmp.path()).arg("quickstart").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "run {run}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in [
            "1. Imported the sample Tracker Pro book: 50 customers, 200 closed jobs, 30 service contracts with 30 contract invoices",
            "organisation Demo Company (NZ)",
            "3. Compared customers (plan 1): 50 to add, 0 to update, 0 unchanged, 0 in conflict.",
            "5. Read back from Xero: 50 customers, 230 invoices.",
        ] {
            assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
        }
        let row = |what: &str, created: usize| {
            stdout.lines().any(|l| {
                let cells: Vec<&str> = l
                    .trim()
                    .trim_matches('│')
                    .split('┆')
                    .map(str::trim)
                    .collect();
                cells.len() == 7
                    && cells[1] == what
                    && cells[2] == created.to_string()
                    && cells[3..] == ["0", "0", "0", "0"][..]
            })
        };
        assert!(row("customers", 50), "{stdout}");
        assert!(row("job invoices", 200), "{stdout}");
        assert!(row("contract invoices", 30), "{stdout}");
    }
    // The quickstart's own data folder holds the id map and reports, for `runs show`, in its
    // own SQLite file whatever the store's engine.
    let data = tmp.path().join("quickstart");
    let quickstart = format!("sqlite:{}", data.join("ledgerlink.db").display());
    let out = ledgerlink(&data)
        .args(["--database", &quickstart, "runs", "show", "2", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = shown["items"].as_array().unwrap();
    assert_eq!(items.len(), 200);
    assert!(items.iter().all(|i| i["outcome"] == "created"), "{shown}");
}

#[test]
fn quickstart_runs_the_whole_transfer_against_the_sandbox_quickbooks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ledgerlink(tmp.path())
        .args(["quickstart", "--target", "quickbooks"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "2. Connected QuickBooks Online through the sandbox's OAuth consent page (approved for you): Connected to Sandbox Company_US_1",
        "3. Compared customers (plan 1): 50 to add, 0 to update, 0 unchanged, 0 in conflict.",
        "5. Read back from QuickBooks Online: 50 customers, 230 invoices.",
        "Done: every customer and invoice is in the sandbox QuickBooks Online",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}
