//! `--database URL` / `LEDGERLINK_DATABASE_URL` through the real binary: a bad URL is a usage
//! error that touches nothing; a SQLite file of the user's choosing holds everything; on
//! PostgreSQL (when `LEDGERLINK_TEST_DATABASE_URL` names a test cluster) the whole csv
//! transfer runs with no SQLite file made; a URL's password never reaches the output.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ledgerlink::store::DataDir;

use crate::support::postgres;

const UNSUPPORTED: &str = "error: unsupported database URL `mysql://root:***@db/books`: use sqlite:PATH (or sqlite://PATH) for a SQLite file, or postgres://USER@HOST:PORT/DATABASE for PostgreSQL";

struct Desk {
    tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
}

impl Desk {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let key = ledgerlink::auth::vault::generate_key().unwrap();
        Self { data, tmp, key }
    }

    /// The binary on this desk's data folder, with no database named.
    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ledgerlink"));
        c.env("LEDGERLINK_DATA_DIR", &self.data)
            .env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_VAULT_KEY", &self.key)
            .env_remove("LEDGERLINK_DATABASE_URL")
            .env_remove("LEDGERLINK_LOG");
        c
    }

    fn run(&self, database: Option<&str>, args: &[&str]) -> Output {
        let mut c = self.cmd();
        if let Some(url) = database {
            c.env("LEDGERLINK_DATABASE_URL", url);
        }
        c.args(args).output().unwrap()
    }

    fn ok(&self, database: Option<&str>, args: &[&str]) -> String {
        crate::support::succeeded(args, self.run(database, args))
    }

    fn default_database(&self) -> PathBuf {
        DataDir::new(&self.data).database()
    }

    fn files(&self, name: &str) -> String {
        std::fs::read_to_string(
            DataDir::new(&self.data)
                .connection_files("books")
                .join(name),
        )
        .unwrap()
    }
}

fn sample_book() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/home-corpus/good/book.json")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The sample book imported, a csv connection added, its customers compared and synced
/// and its job invoices pushed, on `database`; the sync's and the push's output.
fn first_transfer(desk: &Desk, database: Option<&str>) -> (String, String) {
    desk.ok(
        database,
        &["home", "import", sample_book().to_str().unwrap()],
    );
    desk.ok(
        database,
        &["connections", "add", "books", "--connector", "csv"],
    );
    let compare: serde_json::Value = serde_json::from_str(&desk.ok(
        database,
        &["compare", "customers", "--connection", "books", "--json"],
    ))
    .unwrap();
    let plan = compare["plan"].as_i64().unwrap().to_string();
    let synced = desk.ok(database, &["sync", "--plan", &plan, "--all"]);
    let pushed = desk.ok(
        database,
        &["push-invoices", "--connection", "books", "--kind", "job"],
    );
    (synced, pushed)
}

/// A dry run of the job-invoice push on `database` has nothing to send.
fn assert_nothing_due(desk: &Desk, database: Option<&str>) {
    let again = desk.ok(
        database,
        &[
            "push-invoices",
            "--connection",
            "books",
            "--kind",
            "job",
            "--dry-run",
        ],
    );
    assert!(
        again.contains("Dry run: 0 invoice(s) would be sent"),
        "{again}"
    );
}

#[test]
fn a_bad_url_is_a_usage_error_that_hides_the_password_and_touches_nothing() {
    let desk = Desk::new();
    let url = "mysql://root:topsecret@db/books";
    let by_flag = desk
        .cmd()
        .args(["--database", url, "connections", "list"])
        .output()
        .unwrap();
    let by_env = desk.run(Some(url), &["connections", "list"]);
    for out in [by_flag, by_env] {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().next(), Some(UNSUPPORTED), "{stderr}");
        assert!(!stderr.contains("topsecret"), "{stderr}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    }
    assert!(!desk.data.exists(), "the data folder was created");

    // The help names the variable but never shows its value.
    let help = desk.run(Some("postgres://ll:topsecret@db/books"), &["--help"]);
    let help = text(&help.stdout);
    assert!(help.contains("LEDGERLINK_DATABASE_URL"), "{help}");
    assert!(!help.contains("topsecret"), "{help}");
}

#[test]
fn a_sqlite_file_of_ones_choosing_holds_everything() {
    let desk = Desk::new();
    let other = desk.tmp.path().join("other.db");
    let flag = format!("sqlite:{}", other.display());
    desk.ok(
        None,
        &[
            "--database",
            &flag,
            "connections",
            "add",
            "books",
            "--connector",
            "csv",
        ],
    );
    assert!(other.is_file());
    assert!(
        !desk.default_database().exists(),
        "the data folder's database was created"
    );

    let names = |database: Option<&str>, flag: Option<&str>| -> Vec<String> {
        let mut args = Vec::new();
        if let Some(f) = flag {
            args.extend(["--database", f]);
        }
        args.extend(["connections", "list", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&desk.ok(database, &args)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(None, Some(&flag)), ["books"]);
    assert_eq!(names(Some(&flag), None), ["books"], "through the variable");
    assert!(
        names(None, None).is_empty(),
        "the default database is another"
    );

    let doctor = desk.ok(None, &["--database", &flag, "doctor"]);
    assert!(
        doctor.contains(&format!(
            "database: sqlite:{} (1 connections)",
            other.display()
        )),
        "{doctor}"
    );
    assert!(
        doctor.contains("\ndatabase transport: a local file\n"),
        "{doctor}"
    );
}

#[test]
fn a_password_in_the_url_never_reaches_the_output() {
    let desk = Desk::new();
    // Port 1 on loopback: the connection is refused at once.
    let url = "postgres://ll:topsecret@127.0.0.1:1/books";
    let out = desk.run(Some(url), &["connections", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: database error: could not connect to PostgreSQL at ll@127.0.0.1:1/books: "
        ) && stderr.lines().count() == 1,
        "{stderr}"
    );
    let doctor = desk.run(Some(url), &["-vv", "doctor"]);
    let stdout = text(&doctor.stdout);
    assert!(
        stdout.contains("database: postgres://ll:***@127.0.0.1:1/books: PROBLEM: database error: could not connect to PostgreSQL at ll@127.0.0.1:1/books: "),
        "{stdout}"
    );
    for shown in [stderr, stdout, text(&doctor.stderr)] {
        assert!(!shown.contains("topsecret"), "{shown}");
    }
    assert!(!desk.default_database().exists());
}

#[test]
fn the_csv_transfer_runs_on_postgresql_with_no_sqlite_file() {
    let Some(pg) = postgres::TestDatabase::fresh() else {
        println!("LEDGERLINK_TEST_DATABASE_URL is not set: nothing to run on PostgreSQL");
        return;
    };
    let desk = Desk::new();
    let db = Some(pg.url.as_str());
    let (out, pushed) = first_transfer(&desk, db);
    assert!(
        out.contains(": 3 created, 0 updated, 0 unchanged, 0 locked, 0 for review, 0 in conflict, 0 unknown, 0 skipped, 0 failed."),
        "{out}"
    );
    let out = pushed;
    assert!(
        out.contains(": 2 created, 0 updated, 0 unchanged, 0 locked, 0 for review, 0 in conflict, 0 unknown, 0 skipped, 0 failed"),
        "{out}"
    );

    // The records in the target files.
    let customers = desk.files("customers.csv");
    let rows: Vec<&str> = customers.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{customers}");
    assert!(
        rows[0].starts_with("C-000001,1,Harbour Plumbing Ltd,"),
        "{customers}"
    );
    assert!(
        rows[1].starts_with("C-000002,1,\"Kea Electrical, \"\"North\"\" branch\","),
        "{customers}"
    );
    assert!(
        rows[2].starts_with("C-000003,1,Southern Cross Property Management,"),
        "{customers}"
    );
    let jobs = desk.files("job-invoices.csv");
    let rows: Vec<&str> = jobs.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "J5001 has two lines, J5002 one:\n{jobs}");
    assert!(
        rows[0].starts_with("J-000001,1,J5001,C-000001,Harbour Plumbing Ltd,"),
        "{jobs}"
    );
    assert!(rows[2].starts_with("J-000002,1,J5002,C-000002,"), "{jobs}");
    assert!(rows[2].contains(",155.25,"), "{jobs}");

    // The ids in the map, read back through the CLI: both runs' reports.
    let runs: serde_json::Value =
        serde_json::from_str(&desk.ok(db, &["runs", "list", "--json"])).unwrap();
    let report = |run: &serde_json::Value| -> Vec<(String, String, String)> {
        let id = run["id"].as_i64().unwrap().to_string();
        let v: serde_json::Value =
            serde_json::from_str(&desk.ok(db, &["runs", "show", &id, "--json"])).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["home-key"].as_str().unwrap().to_owned(),
                    i["outcome"].as_str().unwrap().to_owned(),
                    i["remote-id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let owned = |rows: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect()
    };
    assert_eq!(
        report(&runs[1]),
        owned(&[
            ("TP-CUST-1001", "created", "C-000001"),
            ("TP-CUST-1002", "created", "C-000002"),
            ("TP-CUST-1003", "created", "C-000003"),
        ])
    );
    assert_eq!(
        report(&runs[0]),
        owned(&[
            ("TP-JOB-5001", "created", "J-000001"),
            ("TP-JOB-5002", "created", "J-000002")
        ])
    );

    // Nothing is due twice, and nothing went into a SQLite file.
    assert_nothing_due(&desk, db);
    assert!(
        !desk.default_database().exists(),
        "a SQLite file was made in the data folder"
    );

    // The accounts live on PostgreSQL too: the token list reads them there (none yet), and a
    // token for a user who does not exist is refused by name.
    let out = desk.run(db, &["tokens", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = desk.run(db, &["tokens", "create", "--user", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nobody"),
        "{}",
        text(&out.stderr)
    );
}

/// `ledgerlink store copy`: a SQLite installation with a finished transfer moved to
/// PostgreSQL; there the same runs are listed, and nothing is due again (the id map and
/// fingerprints came across). A second copy into it is refused.
#[test]
fn store_copy_moves_an_installation_to_postgresql() {
    let Some(pg) = postgres::TestDatabase::fresh() else {
        println!("LEDGERLINK_TEST_DATABASE_URL is not set: nothing to run on PostgreSQL");
        return;
    };
    let desk = Desk::new();
    first_transfer(&desk, None);
    let runs_before = desk.ok(None, &["runs", "list", "--json"]);

    let from = format!("sqlite:{}", desk.default_database().display());
    let out = desk.ok(None, &["store", "copy", "--from", &from, "--to", &pg.url]);
    assert!(
        out.contains("every table verified (row count and SHA-256 read back from the target)"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("id_map ")),
        "{out}"
    );

    let db = Some(pg.url.as_str());
    assert_eq!(desk.ok(db, &["runs", "list", "--json"]), runs_before);
    assert_nothing_due(&desk, db);

    let out = desk.run(None, &["store", "copy", "--from", &from, "--to", &pg.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not empty (1 row(s) in connections); copy into a new, empty database — nothing was copied"),
        "{}",
        text(&out.stderr)
    );
}
