//! The home book through the real `ledgerlink` binary: import (JSON and CSV), export (JSON
//! and CSV) and its round trips, show, flags, and the bad-input corpus
//! (`tests/home-corpus/bad`), each file of which must produce its documented error and leave
//! the book exactly as it was.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use ledgerlink::home::model::RecordKind;
use ledgerlink::store::home::HomeStore;

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/home-corpus")
        .join(sub)
}

/// Run `ledgerlink` on data folder `data`, in folder `cwd`.
fn run(data: &Path, cwd: &Path, args: &[&str]) -> Output {
    crate::support::engine::command(data)
        .env_remove("LEDGERLINK_LOG")
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn import_sample(data: &Path) -> String {
    ok(run(data, &corpus("good"), &["home", "import", "book.json"]))
}

const SAMPLE_IMPORTED: &str = "Imported book.json:
  customers: 4 (4 added, 0 changed, 0 unchanged)
  jobs: 5 (5 added, 0 changed, 0 unchanged)
  contracts: 1 (1 added, 0 changed, 0 unchanged)
  contract invoices: 2 (2 added, 0 changed, 0 unchanged)
";

/// Everything that could change: the export, the counts, and every record's fingerprint
/// and change time.
type Snapshot = (String, String, Vec<(RecordKind, String, String, i64)>);

fn snapshot(data: &Path) -> Snapshot {
    let export = ok(run(data, data, &["home", "export"]));
    let show = ok(run(data, data, &["home", "show", "--json"]));
    let store = crate::support::engine::home(data);
    (export, show, store.fingerprints().unwrap())
}

fn store(data: &Path) -> HomeStore {
    crate::support::engine::home(data)
}

#[test]
fn the_sample_book_imports_with_exact_values() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(import_sample(tmp.path()), SAMPLE_IMPORTED);

    let book = store(tmp.path()).load().unwrap();
    assert_eq!(
        (
            book.customers.len(),
            book.jobs.len(),
            book.contracts.len(),
            book.contract_invoices.len()
        ),
        (4, 5, 1, 2)
    );
    let kea = &book.customers[1];
    assert_eq!(kea.id, "TP-CUST-1002");
    assert_eq!(kea.name, "Kea Electrical, \"North\" branch");
    let billing = kea.billing_address.as_ref().unwrap();
    assert_eq!(billing.city.as_deref(), Some("Whangārei"));
    assert_eq!(billing.postal_code.as_deref(), Some("0110"));
    assert_eq!(billing.region, None);
    assert_eq!(
        kea.shipping_address.as_ref().unwrap().line1.as_deref(),
        Some("Site 14, Port Road")
    );
    let cafe = &book.customers[3];
    assert!(!cafe.active && !cafe.flagged_for_integration);
    assert_eq!(cafe.billing_address, None);

    let j = &book.jobs[0];
    assert_eq!(j.id, "TP-JOB-5001");
    assert_eq!(j.body.lines.len(), 2);
    let labour = &j.body.lines[1];
    assert_eq!(labour.quantity.to_string(), "2.5");
    assert_eq!(labour.unit_price.to_string(), "96.50");
    assert_eq!(labour.amount.to_string(), "241.25");
    assert_eq!(labour.tax_amount.unwrap().to_string(), "36.19");
    assert_eq!(labour.item_code, None);
    assert_eq!(
        (
            j.body.subtotal.to_string(),
            j.body.tax_total.to_string(),
            j.body.total.to_string()
        ),
        ("426.25".into(), "63.94".into(), "490.19".into())
    );
    assert_eq!(j.closed_at.as_deref(), Some("2026-11-01T16:30:00Z"));
    let discounted = &book.jobs[1].body.lines[0];
    assert_eq!(discounted.quantity.to_string(), "0.125");
    assert_eq!(discounted.discount_percent.unwrap().to_string(), "10");
    assert_eq!(discounted.tax_rate.unwrap().to_string(), "15");
    assert_eq!(book.jobs[1].body.amount_paid.to_string(), "50.00");
    assert!(
        book.jobs[0].body.amount_paid.is_zero(),
        "not given: nothing paid"
    );
    assert_eq!(book.jobs[0].body.lines[0].tax_rate, None);
    assert!(book.jobs[3].body.lines.is_empty());
    assert_eq!(book.jobs[4].body.tax_total.to_string(), "0.00");
    let svc = &book.contract_invoices[0];
    assert_eq!(svc.contract_id, "TP-CON-77");
    assert_eq!(svc.body.total.to_string(), "1150.00");
    assert_eq!(svc.body.subtotal.to_string(), "1000.00");

    let show: serde_json::Value = serde_json::from_str(&ok(run(
        tmp.path(),
        tmp.path(),
        &["home", "show", "--json"],
    )))
    .unwrap();
    assert_eq!(
        show,
        serde_json::json!({
            "customers": {"total": 4, "active": 3, "flagged_for_integration": 3},
            "jobs": {"total": 5, "open": 1, "closed": 3, "cancelled": 1, "closed_and_ready": 2},
            "contracts": 1,
            "contract_invoices": {"total": 2, "draft": 1, "generated": 1, "cancelled": 0, "ready": 1}
        })
    );
}

#[test]
fn export_then_import_into_an_empty_book_is_the_same_book() {
    let first = tempfile::tempdir().unwrap();
    import_sample(first.path());
    let out = first.path().join("export.json");
    ok(run(
        first.path(),
        first.path(),
        &["home", "export", "--out", out.to_str().unwrap()],
    ));
    let exported = std::fs::read_to_string(&out).unwrap();
    // The sample is written the way export writes, so the bytes are the same.
    assert_eq!(
        exported,
        std::fs::read_to_string(corpus("good/book.json")).unwrap()
    );

    let second = tempfile::tempdir().unwrap();
    ok(run(
        second.path(),
        first.path(),
        &["home", "import", "export.json"],
    ));
    assert_eq!(
        store(second.path()).load().unwrap(),
        store(first.path()).load().unwrap()
    );
    let fingerprints = |d: &Path| {
        store(d)
            .fingerprints()
            .unwrap()
            .into_iter()
            .map(|(k, id, fp, _)| (k, id, fp))
            .collect::<Vec<_>>()
    };
    assert_eq!(fingerprints(second.path()), fingerprints(first.path()));
    assert_eq!(fingerprints(first.path()).len(), 12);
    assert_eq!(
        ok(run(second.path(), second.path(), &["home", "export"])),
        exported
    );
}

#[test]
fn the_csv_files_import_the_same_book_as_the_json_document() {
    let tmp = tempfile::tempdir().unwrap();
    // Any order: references are resolved across all files of one import.
    let out = ok(run(
        tmp.path(),
        &corpus("good/csv"),
        &[
            "home",
            "import",
            "contract-invoices.csv",
            "jobs.csv",
            "customers.csv",
            "contracts.csv",
        ],
    ));
    assert_eq!(
        out,
        "Imported contract-invoices.csv, jobs.csv, customers.csv, contracts.csv:
  customers: 4 (4 added, 0 changed, 0 unchanged)
  jobs: 5 (5 added, 0 changed, 0 unchanged)
  contracts: 1 (1 added, 0 changed, 0 unchanged)
  contract invoices: 2 (2 added, 0 changed, 0 unchanged)
"
    );
    assert_eq!(
        ok(run(tmp.path(), tmp.path(), &["home", "export"])),
        std::fs::read_to_string(corpus("good/book.json")).unwrap()
    );
}

/// The files of a folder, sorted.
fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const CSV_FILES: [&str; 4] = [
    "customers.csv",
    "jobs.csv",
    "contracts.csv",
    "contract-invoices.csv",
];

#[test]
fn csv_export_then_import_into_an_empty_book_is_the_same_book() {
    let first = tempfile::tempdir().unwrap();
    import_sample(first.path());
    // A folder that does not exist yet, two levels deep.
    let folder = first.path().join("exports/csv");
    let out = ok(run(
        first.path(),
        first.path(),
        &[
            "home",
            "export",
            "--format",
            "csv",
            "--out",
            folder.to_str().unwrap(),
        ],
    ));
    assert_eq!(out, "");
    let mut expected: Vec<String> = CSV_FILES.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(files_in(&folder), expected, "the four files, no temporary");
    // The sample CSV files have every column too; they differ only where a spreadsheet
    // wrote a flag as FALSE and a line end as CRLF.
    for name in CSV_FILES {
        assert_eq!(
            std::fs::read_to_string(folder.join(name)).unwrap(),
            std::fs::read_to_string(corpus("good/csv").join(name))
                .unwrap()
                .replace("FALSE", "false")
                .replace("\r\n", "\n"),
            "{name}"
        );
    }

    let second = tempfile::tempdir().unwrap();
    let imported = ok(run(
        second.path(),
        &folder,
        &[
            "home",
            "import",
            "customers.csv",
            "jobs.csv",
            "contracts.csv",
            "contract-invoices.csv",
        ],
    ));
    assert!(imported.contains("jobs: 5 (5 added"), "{imported}");
    assert_eq!(
        ok(run(second.path(), second.path(), &["home", "export"])),
        ok(run(first.path(), first.path(), &["home", "export"]))
    );
    let fingerprints = |d: &Path| {
        store(d)
            .fingerprints()
            .unwrap()
            .into_iter()
            .map(|(k, id, fp, _)| (k, id, fp))
            .collect::<Vec<_>>()
    };
    assert_eq!(fingerprints(second.path()), fingerprints(first.path()));

    // Exporting again into the same folder replaces the files with the same content.
    let before: Vec<String> = CSV_FILES
        .iter()
        .map(|f| std::fs::read_to_string(folder.join(f)).unwrap())
        .collect();
    ok(run(
        second.path(),
        second.path(),
        &[
            "home",
            "export",
            "--format",
            "csv",
            "--out",
            folder.to_str().unwrap(),
        ],
    ));
    let after: Vec<String> = CSV_FILES
        .iter()
        .map(|f| std::fs::read_to_string(folder.join(f)).unwrap())
        .collect();
    assert_eq!(after, before);
}

#[test]
fn csv_export_writes_into_a_folder_or_says_why_not() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    import_sample(data);
    let refused = |args: &[&str]| {
        let out = run(data, data, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        String::from_utf8(out.stderr).unwrap()
    };

    assert_eq!(
        refused(&["home", "export", "--format", "csv"]),
        "error: a CSV export is four files; pass --out <folder> to say where to write them\n"
    );

    let file = data.join("book.csv");
    std::fs::write(&file, "keep me").unwrap();
    assert_eq!(
        refused(&[
            "home",
            "export",
            "--format",
            "csv",
            "--out",
            file.to_str().unwrap()
        ]),
        format!(
            "error: {} is not a folder; pass --out with a folder (it is created if missing) for \
             the CSV files\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");

    // A folder that cannot be created (its parent is a file).
    let under_file = file.join("csv");
    let err = refused(&[
        "home",
        "export",
        "--format",
        "csv",
        "--out",
        under_file.to_str().unwrap(),
    ]);
    assert!(
        err.starts_with(&format!(
            "error: could not create the folder {}: ",
            under_file.display()
        )) && err.ends_with("; pass --out with a folder you can write to\n"),
        "{err}"
    );

    // JSON still wants a file.
    assert_eq!(
        refused(&["home", "export", "--out", data.to_str().unwrap()]),
        format!(
            "error: {} is a folder; pass --out with a file name for the JSON document (or --format csv \
             to write CSV files into a folder)\n",
            data.display()
        )
    );

    // Files of the export's names are replaced; other files are left alone.
    let folder = data.join("out");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("jobs.csv"), "old").unwrap();
    std::fs::write(folder.join("notes.txt"), "mine").unwrap();
    ok(run(
        data,
        data,
        &[
            "home",
            "export",
            "--format",
            "csv",
            "--out",
            folder.to_str().unwrap(),
        ],
    ));
    assert!(
        std::fs::read_to_string(folder.join("jobs.csv"))
            .unwrap()
            .starts_with("job_id,number,")
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(files_in(&folder).len(), 5);
}

#[test]
fn reimport_and_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    import_sample(data);
    assert_eq!(
        import_sample(data),
        "Imported book.json:
  customers: 4 (0 added, 0 changed, 4 unchanged)
  jobs: 5 (0 added, 0 changed, 5 unchanged)
  contracts: 1 (0 added, 0 changed, 1 unchanged)
  contract invoices: 2 (0 added, 0 changed, 2 unchanged)
"
    );

    // TP-JOB-5003 is closed with one flag: forcing it makes three jobs ready.
    assert_eq!(
        ok(run(
            data,
            data,
            &["home", "flags", "set", "job", "TP-JOB-5003"]
        )),
        "job TP-JOB-5003: both Ready-for-Invoice flags set\n"
    );
    // A draft contract invoice keeps its flags but still does not go; the admin is told why.
    assert_eq!(
        ok(run(
            data,
            data,
            &[
                "home",
                "flags",
                "set",
                "contract-invoice",
                "TP-SVC-9002",
                "--ready"
            ]
        )),
        "contract invoice TP-SVC-9002: both Ready-for-Invoice flags set\n\
         note: contract invoice TP-SVC-9002 is draft: it goes in a transfer once it is generated\n"
    );
    assert_eq!(
        ok(run(
            data,
            data,
            &[
                "home",
                "flags",
                "set",
                "customer",
                "TP-CUST-1004",
                "--integration"
            ]
        )),
        "customer TP-CUST-1004: flagged for integration set\n"
    );
    assert_eq!(
        ok(run(
            data,
            data,
            &["home", "flags", "clear", "job", "TP-JOB-5001"]
        )),
        "job TP-JOB-5001: both Ready-for-Invoice flags cleared\n"
    );
    let s = store(data);
    let job = s.job("TP-JOB-5003").unwrap().unwrap();
    assert!(job.ready_for_invoice_1 && job.ready_for_invoice_2);
    let job = s.job("TP-JOB-5001").unwrap().unwrap();
    assert!(!job.ready_for_invoice_1 && !job.ready_for_invoice_2);
    assert!(
        s.customer("TP-CUST-1004")
            .unwrap()
            .unwrap()
            .flagged_for_integration
    );
    let show: serde_json::Value =
        serde_json::from_str(&ok(run(data, data, &["home", "show", "--json"]))).unwrap();
    assert_eq!(show["jobs"]["closed_and_ready"], 2);
    assert_eq!(show["customers"]["flagged_for_integration"], 4);
    assert_eq!(show["contract_invoices"]["ready"], 1);

    let refused = |args: &[&str]| {
        let out = run(data, data, args);
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    assert_eq!(
        refused(&[
            "home",
            "flags",
            "set",
            "job",
            "TP-JOB-5001",
            "--integration"
        ]),
        "error: job has no integration flag; use --ready\n"
    );
    assert_eq!(
        refused(&["home", "flags", "set", "customer", "TP-CUST-0000"]),
        "error: there is no customer with id \"TP-CUST-0000\" in the home book; \
         `ledgerlink home export` lists every record\n"
    );
}

/// Each file of the corpus and the exact error it produces (docs/home-format.md shows the
/// same text).
const BAD: &[(&str, &str)] = &[
    (
        "malformed.json",
        "malformed.json:4: not valid JSON: expected `,` or `]` (column 5); fix the syntax",
    ),
    (
        "unbalanced-quote.csv",
        "unbalanced-quote.csv:3: a quoted value starts here and is never closed; add the closing \"",
    ),
    (
        "wrong-columns.csv",
        "wrong-columns.csv:3: 5 values where the first line names 4 columns; check for a missing or extra comma, \
         and put quotes around a value that contains a comma\n  \
         wrong-columns.csv:4: 3 values where the first line names 4 columns; check for a missing or extra comma, \
         and put quotes around a value that contains a comma",
    ),
    (
        "bad-decimal.csv",
        "bad-decimal.csv:2: line_unit_price: \"1,000.00\" is not a decimal number; write digits with an optional \
         leading - and one ., without thousands separators, spaces or exponents, e.g. \"1000.00\"",
    ),
    (
        "float-money.json",
        "float-money.json:13: jobs[0].total: 10.5 is a JSON number; write it as a string, \"10.5\": amounts and \
         quantities are decimal strings, never numbers",
    ),
    (
        "exponent.json",
        "exponent.json:15: jobs[0].lines[0].quantity: \"1e3\" is not a decimal number; write digits with an \
         optional leading - and one ., without thousands separators, spaces or exponents, e.g. \"1000.00\"",
    ),
    (
        "unknown-customer.json",
        "unknown-customer.json:9: jobs[0].customer_id: no customer \"TP-CUST-9999\" in this import or in the home \
         book; import that customer too, or correct the id",
    ),
    (
        "duplicate-ids.json",
        "duplicate-ids.json:5: customers[2].id: \"TP-CUST-2004\" is already the id of the customer on line 3; \
         give each customer its own id",
    ),
    (
        "duplicate-numbers.json",
        "duplicate-numbers.json:22: jobs[1].number: invoice number \"j5001 \" is already used by job \"TP-JOB-5001\" \
         in the home book; jobs and contract invoices share one numbering in the accounting system, so give each \
         document its own number\n  \
         duplicate-numbers.json:41: contract_invoices[0].number: invoice number \"J6101\" is already used by job \
         \"TP-JOB-6101\" on line 5; jobs and contract invoices share one numbering in the accounting system, so \
         give each document its own number",
    ),
    (
        "too-many-digits.json",
        "too-many-digits.json:17: jobs[0].lines[0].quantity: \"1.0000000000000000000000000001\" has more digits \
         than ledgerlink can hold (28 significant digits at most)",
    ),
    (
        "long-name.json",
        "long-name.json:4: customers[1].name: 256 characters, more than the limit of 255; shorten it",
    ),
    (
        "nameless-customer.json",
        "nameless-customer.json:4: customers[1].name: required but only spaces; fill it in",
    ),
    (
        "latin1.csv",
        "latin1.csv:3: not UTF-8 at byte 87; save the file as UTF-8",
    ),
    (
        "totals-mismatch.json",
        "totals-mismatch.json:13: jobs[0].subtotal: 300.00 is not the sum of the line amounts, 298.25; correct \
         the lines or the subtotal\n  \
         totals-mismatch.json:14: jobs[0].tax_total: 45.00 is not the sum of the line tax amounts, 44.74; correct \
         the lines or the tax total",
    ),
    (
        "payment-and-rate.json",
        "payment-and-rate.json:14: jobs[0].amount_paid: 120.00 is not between 0 and the total 115.00; \
         write what the customer has paid so far\n  \
         payment-and-rate.json:16: jobs[0].lines[0].tax_rate: 1500 is not a tax rate between 0 and 100 \
         (a percentage: write 15 for 15 %)",
    ),
];

fn expected_stderr(problems: &str) -> String {
    let n = problems.matches("\n  ").count() + 1;
    format!(
        "error: the import has {n} problem{}; nothing was imported:\n  {problems}\n",
        if n == 1 { "" } else { "s" }
    )
}

#[test]
fn every_bad_input_is_refused_with_its_documented_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    import_sample(data);
    let before = snapshot(data);
    let bad = corpus("bad");
    let mut files: Vec<String> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut covered: Vec<String> = BAD.iter().map(|(f, _)| (*f).to_owned()).collect();
    covered.sort();
    assert_eq!(files, covered, "every corpus file has an expected error");

    for (file, problems) in BAD {
        let out = run(data, &bad, &["home", "import", file]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            expected_stderr(problems),
            "{file}"
        );
        assert!(out.stdout.is_empty(), "{file}");
        assert_eq!(snapshot(data), before, "{file} changed the book");
    }

    // A good file imported together with a bad one is refused with it.
    let out = run(
        data,
        &bad,
        &[
            "home",
            "import",
            "../good/csv/customers.csv",
            "long-name.json",
        ],
    );
    assert!(!out.status.success());
    assert_eq!(snapshot(data), before);
}

#[test]
fn the_documentation_shows_every_corpus_error() {
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/home-format.md"),
    )
    .unwrap();
    for (file, problems) in BAD {
        for line in problems.split("\n  ") {
            assert!(
                docs.contains(line),
                "docs/home-format.md lacks the error of {file}: {line}"
            );
        }
    }
}
