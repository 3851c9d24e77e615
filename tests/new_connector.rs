//! `ledgerlink new connector` end to end, the way a connector author goes: scaffold a crate
//! with the real binary, build it for wasm32-wasip2 against this workspace's SDK, run its
//! generated native tests, fill in its mapping for the sandbox's Notes CRM (a prepared
//! `src/vendor.rs` of fewer than 150 lines, `tests/new_connector/`), rebuild, install it in
//! the host, and push customers and invoices through it into Notes.
//!
//! The scaffolded crate is built by a nested `cargo` into `<target>/scaffolded-connector`, so
//! reruns are warm; the first build of its dependencies takes a few minutes.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ledgerlink_sandbox::{NOTES_API_KEY, SandboxConfig, SandboxHandle};
use serde_json::Value;

/// Lines of Rust the Notes mapping may take: fewer than this.
const MAPPING_LINES_BUDGET: usize = 150;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// This build's target folder: the test runs as `<target>/debug/deps/new_connector-…`.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .unwrap()
        .to_owned()
}

fn show(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `cargo <args>` in the scaffolded crate, as its author would run it (no settings of the
/// outer build leak in).
fn cargo(dir: &Path, args: &[&str]) {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.args(args).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let outer_cargo = key.starts_with("CARGO_") && key != "CARGO_HOME";
        let outer_rust = key.starts_with("RUST") && !key.starts_with("RUSTUP_");
        if outer_cargo || outer_rust {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.env(
        "CARGO_TARGET_DIR",
        target_dir().join("scaffolded-connector"),
    );
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}",
        show(&out)
    );
}

/// The Rust lines of a file that count: neither blank nor only a comment.
fn rust_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

/// A data folder with a file vault, and the binary run on it.
struct Desk {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
}

impl Desk {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let key = ledgerlink::auth::vault::generate_key().unwrap();
        Self {
            _tmp: tmp,
            data,
            key,
        }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = crate::support::engine::command(&self.data);
        c.args(args)
            .env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_VAULT_KEY", &self.key)
            .env_remove("LEDGERLINK_LOG");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, &[])
    }

    fn ok_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        if !out.status.success() {
            // What failed, per record, is in the run's report: show it with the failure.
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let run = stdout
                .split("Run ")
                .nth(1)
                .and_then(|s| s.split(':').next())
                .map(str::to_owned);
            let report = run.map_or_else(String::new, |id| {
                show(&self.run(&["runs", "show", &id], &[]))
            });
            panic!("{args:?}:\n{}\n{report}", show(&out));
        }
        String::from_utf8(out.stdout).unwrap()
    }
}

fn ledgerlink_new(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ledgerlink"))
        .args(["new", "connector"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_names_and_used_folders_are_refused_with_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("x");
    let dir = dir.to_str().unwrap();
    for (name, says) in [
        (
            "Acme Books",
            "it may hold only lowercase letters a-z, digits and '-', not 'A'; try \"acme-books\"",
        ),
        ("9acme", "it must start with a letter"),
        ("acme-", "a '-' must stand between two letters or digits"),
        ("xero", "a connector built into ledgerlink already has it"),
    ] {
        let out = ledgerlink_new(&[name, "--dir", dir]);
        assert!(!out.status.success(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{name:?} is not a valid connector name: {says}")),
            "{name}: {err}"
        );
    }
    assert!(!Path::new(dir).exists(), "nothing was written");

    std::fs::create_dir_all(Path::new(dir).join("src")).unwrap();
    std::fs::write(Path::new(dir).join("src/lib.rs"), "// mine").unwrap();
    let out = ledgerlink_new(&["acme", "--dir", dir]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("already exists and is not empty; nothing was written"),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read_to_string(Path::new(dir).join("src/lib.rs")).unwrap(),
        "// mine"
    );

    let out = ledgerlink_new(&[
        "acme",
        "--dir",
        &format!("{dir}-2"),
        "--sdk-path",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no readable Cargo.toml in it"));
}

#[test]
fn a_scaffolded_connector_builds_tests_and_after_its_mapping_pushes_into_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let crate_dir = tmp.path().join("notes");
    let sdk = workspace().join("sdk");

    // 1. Scaffold.
    let out = ledgerlink_new(&[
        "notes",
        "--auth",
        "api-key",
        "--dir",
        crate_dir.to_str().unwrap(),
        "--sdk-path",
        sdk.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Created connector notes in"), "{said}");
    assert!(
        said.contains("cargo test") && said.contains("ledgerlink conformance"),
        "{said}"
    );
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap();
    for step in [
        "1. **Fill in the mapping**",
        "2. **Test it natively**: `cargo test`",
        "ledgerlink plugins install",
        "ledgerlink conformance",
    ] {
        assert!(readme.contains(step), "README lacks {step:?}:\n{readme}");
    }
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("\n[workspace]\n"),
        "its own workspace:\n{manifest}"
    );

    // 2. It builds for wasm32-wasip2 as it stands and its generated native tests pass. The
    // workspace's lock file pins the same dependency versions, so nothing is fetched.
    std::fs::copy(workspace().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    let build = [
        "build",
        "--offline",
        "--target",
        "wasm32-wasip2",
        "--release",
    ];
    cargo(&crate_dir, &build);
    cargo(&crate_dir, &["test", "--offline"]);
    let wasm = target_dir()
        .join("scaffolded-connector/wasm32-wasip2/release/ledgerlink_plugin_notes.wasm");
    let wasm_arg = wasm.to_str().unwrap();

    // The placeholder loads, and honestly claims nothing.
    let desk = Desk::new();
    let inspected: Value =
        serde_json::from_str(&desk.ok(&["plugins", "inspect", wasm_arg, "--json"])).unwrap();
    assert_eq!(inspected["manifest"]["name"], "notes", "{inspected}");
    assert_eq!(
        inspected["manifest"]["capabilities"],
        serde_json::json!([]),
        "{inspected}"
    );

    // 3. Fill in the mapping: the prepared Notes mapping and its tests replace the placeholders.
    let prepared = workspace().join("tests/new_connector");
    let mapping = prepared.join("vendor.rs");
    let lines = rust_lines(&mapping);
    assert!(
        lines < MAPPING_LINES_BUDGET,
        "the Notes mapping takes {lines} lines of Rust"
    );
    std::fs::copy(&mapping, crate_dir.join("src/vendor.rs")).unwrap();
    std::fs::copy(prepared.join("tests.rs"), crate_dir.join("src/tests.rs")).unwrap();
    cargo(&crate_dir, &["test", "--offline"]);
    cargo(&crate_dir, &build);

    // 4. Install it and connect it to Notes in the sandbox.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(SandboxHandle::start(SandboxConfig::default()))
        .unwrap();
    let installed = desk.ok(&["plugins", "install", wasm_arg]);
    assert!(installed.contains("Installed notes"), "{installed}");
    desk.ok(&[
        "connections",
        "add",
        "crm",
        "--connector",
        "notes",
        "--sandbox",
        &sandbox.base_url(),
    ]);
    desk.ok_with(
        &["connections", "set-key", "crm"],
        &[("LEDGERLINK_API_KEY", NOTES_API_KEY)],
    );
    let check = desk.ok(&["connections", "check", "crm"]);
    assert!(
        check.contains("crm: Connected to \"Notes sandbox account\" (0 customers)"),
        "{check}"
    );

    // 5. Push customers and invoices from a small home book through the host.
    let book = workspace().join("tests/home-corpus/good/book.json");
    desk.ok(&["home", "import", book.to_str().unwrap()]);
    let compare: Value =
        serde_json::from_str(&desk.ok(&["compare", "customers", "--connection", "crm", "--json"]))
            .unwrap();
    let plan = compare["plan"].as_i64().unwrap().to_string();
    let synced = desk.ok(&["sync", "--plan", &plan, "--all"]);
    assert!(synced.contains(": 3 created, 0 updated"), "{synced}");
    let push = |kind: &str, dry_run: bool| {
        let args = [
            "push-invoices",
            "--connection",
            "crm",
            "--kind",
            kind,
            "--dry-run",
        ];
        desk.ok(&args[..if dry_run { 6 } else { 5 }])
    };
    let jobs = push("job", false);
    assert!(jobs.contains(": 2 created, 0 updated"), "{jobs}");
    assert!(jobs.contains("0 failed"), "{jobs}");
    let contracts = push("contract", false);
    assert!(contracts.contains(": 1 created, 0 updated"), "{contracts}");

    // 6. The records are in Notes, as the home book has them.
    let control = |what: &str| -> Vec<Value> {
        let url = sandbox.url(&format!("/_sandbox/notes/{NOTES_API_KEY}/{what}"));
        let body: Value =
            rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() });
        body["data"].as_array().unwrap().clone()
    };
    let customers = control("customers");
    let id_of = |name: &str| {
        customers
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} is in Notes: {customers:?}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(customers.len(), 3, "{customers:?}");
    let harbour = customers
        .iter()
        .find(|c| c["name"] == "Harbour Plumbing Ltd")
        .unwrap();
    assert_eq!(harbour["email"], "accounts@harbourplumbing.example");
    assert_eq!(harbour["billing_address"]["postal_code"], "1010");
    assert_eq!(harbour["tax_number"], "123-456-789");
    let invoices = control("invoices");
    let mut found: Vec<(String, String, String, String)> = invoices
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap().to_owned();
            (
                text("number"),
                text("kind"),
                text("customer_id"),
                text("total"),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "J5001".to_owned(),
                "job".to_owned(),
                id_of("Harbour Plumbing Ltd"),
                "490.19".to_owned()
            ),
            (
                "J5002".to_owned(),
                "job".to_owned(),
                id_of("Kea Electrical, \"North\" branch"),
                "155.25".to_owned()
            ),
            (
                "S9001".to_owned(),
                "contract".to_owned(),
                id_of("Southern Cross Property Management"),
                "1150.00".to_owned()
            ),
        ]
    );
    let j5001 = invoices.iter().find(|i| i["number"] == "J5001").unwrap();
    assert_eq!(j5001["lines"][1]["quantity"], "2.5");
    assert_eq!(j5001["lines"][1]["tax_amount"], "36.19");
    assert_eq!(j5001["status"], "open");

    // Nothing is due twice: the host read back what it wrote, through the connector.
    let again = push("job", true);
    assert!(
        again.contains("Dry run: 0 invoice(s) would be sent"),
        "{again}"
    );

    // 7. The conformance suite against the same connection: every applicable check passes.
    let report: Value =
        serde_json::from_str(&desk.ok(&["conformance", wasm_arg, "--connection", "crm", "--json"]))
            .unwrap();
    let checks = report["checks"].as_array().unwrap();
    let verdict = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {report}"))["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for c in checks {
        assert!(
            c["status"] == "pass" || c["status"] == "not-applicable",
            "{} {}: {}",
            c["name"],
            c["status"],
            c["reason"]
        );
    }
    // What Notes does, the suite proved: versions, replays, duplicates, totals, paging.
    for name in [
        "customers.stale-update",
        "customers.idempotent-replay",
        "customers.duplicate-name",
        "invoices.job.read-back",
        "invoices.contract.replay",
        "paging.customers",
        "delta.since",
        "rollback.delete",
    ] {
        assert_eq!(verdict(name), "pass", "{name}: {report}");
    }
    rt.block_on(sandbox.shutdown());
}
