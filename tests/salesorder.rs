//! The Salesorder connector through the real binary: the sample book pushed as upload
//! workbooks, read back with `calamine` (an independent reader) and checked row by row —
//! Historical sales invoices with their lines and totals, open jobs as Open (or Pending)
//! sales orders, and one balanced journal line pair per customer with an outstanding
//! balance, against sums computed here from the book. Then a delta run: only what is new is
//! written, and an edited Historical invoice is reported Locked.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use ledgerlink::store::DataDir;
use rust_decimal::Decimal;
use serde_json::{Value, json};

struct Desk {
    _tmp: tempfile::TempDir,
    data: PathBuf,
}

impl Desk {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let key = ledgerlink::auth::vault::generate_key().unwrap();
        std::fs::write(tmp.path().join("key"), key).unwrap();
        Self { data, _tmp: tmp }
    }

    fn cmd(&self) -> Command {
        let mut c = crate::support::engine::command(&self.data);
        let key = std::fs::read_to_string(self.data.parent().unwrap().join("key")).unwrap();
        c.env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_VAULT_KEY", key)
            .env_remove("LEDGERLINK_LOG");
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        crate::support::succeeded(args, self.cmd().args(args).output().unwrap())
    }

    fn folder(&self, connection: &str) -> PathBuf {
        DataDir::new(&self.data).connection_files(connection)
    }

    fn import(&self, book: &Value) {
        let path = self.data.parent().unwrap().join("book.json");
        std::fs::write(&path, book.to_string()).unwrap();
        self.ok(&["home", "import", path.to_str().unwrap()]);
    }
}

/// The sample book, plus: a second unpaid job for Harbour Plumbing (its balance aggregates
/// two invoices), S9001 paid in full (no journal line), a credit (negative) job for
/// Southern Cross (its balance nets negative: the credit side), and lines on the open job.
fn book() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/home-corpus/good/book.json");
    let mut b: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let job = |id: &str,
               number: &str,
               customer: &str,
               qty: &str,
               total: (&str, &str, &str),
               paid: &str| {
        json!({
            "id": id, "number": number, "customer_id": customer, "status": "closed",
            "ready_for_invoice_1": true, "ready_for_invoice_2": true,
            "invoice_date": "2026-11-05", "currency": "NZD", "tax_mode": "exclusive",
            "subtotal": total.0, "tax_total": total.1, "total": total.2, "amount_paid": paid,
            "lines": [{"description": "Service call", "quantity": qty, "unit_price": "100.00",
                       "amount": total.0, "tax_amount": total.1, "tax_code": "OUTPUT2"}]
        })
    };
    let jobs = b["jobs"].as_array_mut().unwrap();
    jobs.push(job(
        "TP-JOB-5006",
        "J5006",
        "TP-CUST-1001",
        "1",
        ("100.00", "15.00", "115.00"),
        "20.00",
    ));
    jobs.push(job(
        "TP-JOB-5008",
        "J5008",
        "TP-CUST-1003",
        "-0.5",
        ("-50.00", "-7.50", "-57.50"),
        "0",
    ));
    let open = jobs.iter_mut().find(|j| j["number"] == "J5004").unwrap();
    open["subtotal"] = "120.00".into();
    open["tax_total"] = "18.00".into();
    open["total"] = "138.00".into();
    open["lines"] = json!([{"description": "Heat pump install", "quantity": "2", "unit_price": "60.00",
                            "amount": "120.00", "tax_amount": "18.00"}]);
    b["contract_invoices"][0]["amount_paid"] = "1150.00".into();
    b
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// What the test expects to be outstanding per customer name: every closed, ready job and
/// generated, ready contract invoice, total − amount paid, summed independently here.
fn outstanding(book: &Value) -> BTreeMap<String, Decimal> {
    let names: BTreeMap<&str, &str> = book["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    let mut out = BTreeMap::new();
    for (list, posted) in [("jobs", "closed"), ("contract_invoices", "generated")] {
        for i in book[list].as_array().unwrap() {
            if i["status"] != posted
                || i["ready_for_invoice_1"] != true
                || i["ready_for_invoice_2"] != true
            {
                continue;
            }
            let paid = i["amount_paid"].as_str().map_or(Decimal::ZERO, dec);
            let owed = dec(i["total"].as_str().unwrap()) - paid;
            if !owed.is_zero() {
                *out.entry(names[i["customer_id"].as_str().unwrap()].to_owned())
                    .or_default() += owed;
            }
        }
    }
    out
}

/// A sheet as rows of header → cell.
type Rows = Vec<BTreeMap<String, Data>>;

fn sheet(path: &Path, name: &str) -> Rows {
    let bytes = std::fs::read(path).unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let Ok(range) = book.worksheet_range(name) else {
        return Vec::new();
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    rows.map(|r| {
        header
            .iter()
            .cloned()
            .zip(r.iter().cloned())
            .filter(|(_, c)| *c != Data::Empty)
            .collect()
    })
    .collect()
}

/// Every workbook of `stem` in the folder, in file-name order.
fn workbooks(folder: &Path, stem: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .ends_with(&format!("-{stem}.xlsx"))
        })
        .collect();
    v.sort();
    v
}

fn all_rows(folder: &Path, stem: &str, sheet_name: &str) -> Rows {
    workbooks(folder, stem)
        .iter()
        .flat_map(|p| sheet(p, sheet_name))
        .collect()
}

fn text(row: &BTreeMap<String, Data>, col: &str) -> String {
    row.get(col).map(|c| c.to_string()).unwrap_or_default()
}

/// A numeric cell as a decimal to the cent; panics on a text cell (amounts must be numbers).
fn money(row: &BTreeMap<String, Data>, col: &str) -> Option<Decimal> {
    match row.get(col)? {
        Data::Float(f) => Some(Decimal::from_str(&format!("{f}")).unwrap().round_dp(2)),
        Data::Int(i) => Some(Decimal::from(*i)),
        other => panic!("{col} is not a numeric cell: {other:?}"),
    }
}

/// Excel's serial number of a date (days since 1899-12-30).
fn serial(y: i64, m: i64, d: i64) -> f64 {
    let days = |y: i64, m: i64, d: i64| {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy
    };
    (days(y, m, d) - days(1899, 12, 30)) as f64
}

/// `ledgerlink sandbox salesorder-check <folder>`: Salesorder's import would accept everything.
fn check_accepts(desk: &Desk, folder: &Path) {
    let out = desk.ok(&["sandbox", "salesorder-check", folder.to_str().unwrap()]);
    assert!(out.contains("Salesorder would accept all"), "{out}");
    assert!(!out.contains("REFUSE"), "{out}");
    for sheet in ["Customers: ", "Sales Invoices: ", "Journals: "] {
        assert!(out.contains(sheet), "{sheet} was checked: {out}");
    }
}

fn push(desk: &Desk, connection: &str, kind: &str) -> String {
    desk.ok(&["push-invoices", "--connection", connection, "--kind", kind])
}

#[test]
fn the_sample_book_becomes_salesorder_upload_workbooks_that_balance_and_a_delta_run_writes_only_what_is_new()
 {
    let desk = Desk::new();
    let mut b = book();
    desk.import(&b);
    // Every push starts its own export, so the two runs' files can be told apart.
    desk.ok(&[
        "connections",
        "add",
        "so",
        "--connector",
        "salesorder",
        "--set",
        "export-window-minutes=0",
    ]);
    for kind in ["job", "contract", "order"] {
        let out = push(&desk, "so", kind);
        assert!(out.contains("0 failed"), "{kind}: {out}");
    }
    let folder = desk.folder("so");

    // Customers: each customer an invoice needs, once.
    let customers: BTreeSet<String> = all_rows(&folder, "customers", "Customers")
        .iter()
        .map(|r| text(r, "Customer Name"))
        .collect();
    assert_eq!(
        customers,
        [
            "Harbour Plumbing Ltd",
            "Kea Electrical, \"North\" branch",
            "Southern Cross Property Management"
        ]
        .map(String::from)
        .into()
    );

    // Sales invoices: every closed, ready invoice, Historical, with its lines and totals.
    let invoices = all_rows(&folder, "upload-transactions", "Sales Invoices");
    let numbers: BTreeSet<String> = invoices.iter().map(|r| text(r, "Ref #")).collect();
    assert_eq!(
        numbers,
        ["J5001", "J5002", "J5006", "J5008", "S9001"]
            .map(String::from)
            .into()
    );
    assert!(invoices.iter().all(|r| text(r, "Status") == "Historical"));
    assert!(
        invoices
            .iter()
            .all(|r| text(r, "Ref #") == text(r, "Tracker Pro Number"))
    );
    for (list, source) in [("jobs", "job"), ("contract_invoices", "contract")] {
        for i in b[list].as_array().unwrap() {
            let number = i["number"].as_str().unwrap();
            let rows: Vec<_> = invoices
                .iter()
                .filter(|r| text(r, "Ref #") == number)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let lines = i["lines"].as_array().unwrap();
            assert_eq!(rows.len(), lines.len(), "{number}: one row per line");
            for (row, line) in rows.iter().zip(lines) {
                assert_eq!(text(row, "Source"), source);
                assert_eq!(
                    money(row, "Total"),
                    Some(dec(i["total"].as_str().unwrap())),
                    "{number}"
                );
                assert_eq!(
                    money(row, "Subtotal"),
                    Some(dec(i["subtotal"].as_str().unwrap()))
                );
                assert_eq!(
                    money(row, "Tax Total"),
                    Some(dec(i["tax_total"].as_str().unwrap()))
                );
                assert_eq!(
                    money(row, "Line Amount"),
                    Some(dec(line["amount"].as_str().unwrap()))
                );
                assert_eq!(
                    text(row, "Description"),
                    line["description"].as_str().unwrap()
                );
                let Some(Data::DateTime(date)) = row.get("Date") else {
                    panic!("{number}: Date is not a date cell: {:?}", row.get("Date"));
                };
                let ymd: Vec<i64> = i["invoice_date"]
                    .as_str()
                    .unwrap()
                    .split('-')
                    .map(|p| p.parse().unwrap())
                    .collect();
                assert_eq!(date.as_f64(), serial(ymd[0], ymd[1], ymd[2]), "{number}");
            }
        }
    }
    assert_eq!(
        money(
            invoices
                .iter()
                .find(|r| text(r, "Ref #") == "J5002")
                .unwrap(),
            "Amount Paid"
        ),
        Some(dec("50.00"))
    );

    // Sales orders: the open job, Open, with its line.
    let orders = all_rows(&folder, "upload-transactions", "Sales Orders");
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(text(&orders[0], "Ref #"), "J5004");
    assert_eq!(text(&orders[0], "Status"), "Open");
    assert_eq!(money(&orders[0], "Total"), Some(dec("138.00")));
    assert_eq!(money(&orders[0], "Quantity"), Some(dec("2")));

    // Journals: one line pair per customer with an outstanding balance, the amount equal to
    // this test's own sum; a negative balance on the credit side; debits = credits.
    let journal = all_rows(&folder, "upload-journals", "Journals");
    let expected = outstanding(&b);
    assert_eq!(
        expected["Harbour Plumbing Ltd"],
        dec("585.19"),
        "490.19 + (115.00 - 20.00)"
    );
    assert_eq!(
        expected["Southern Cross Property Management"],
        dec("-57.50")
    );
    let customer_lines: Vec<_> = journal
        .iter()
        .filter(|r| r.contains_key("Customer"))
        .collect();
    assert_eq!(customer_lines.len(), expected.len(), "{journal:?}");
    for (name, owed) in &expected {
        let line = customer_lines
            .iter()
            .find(|r| &text(r, "Customer") == name)
            .unwrap();
        assert_eq!(text(line, "Account"), "Accounts Receivable");
        let (debit, credit) = (money(line, "Debit"), money(line, "Credit"));
        if owed > &Decimal::ZERO {
            assert_eq!((debit, credit), (Some(*owed), None), "{name}");
        } else {
            assert_eq!((debit, credit), (None, Some(-*owed)), "{name}");
        }
        let pair = journal
            .iter()
            .find(|r| {
                text(r, "Account") == "Migration Control" && text(r, "Memo") == text(line, "Memo")
            })
            .unwrap();
        assert_eq!(
            (money(pair, "Debit"), money(pair, "Credit")),
            (credit, debit),
            "{name}'s pair"
        );
    }
    assert_eq!(journal.len(), 2 * expected.len());
    let sum = |col: &str| {
        journal
            .iter()
            .filter_map(|r| money(r, col))
            .sum::<Decimal>()
    };
    assert_eq!(sum("Debit"), sum("Credit"));
    let readme = std::fs::read_to_string(folder.join("README.txt")).unwrap();
    assert!(
        readme.contains("1. customers") && readme.contains("3. upload-journals"),
        "{readme}"
    );
    // The independent checker accepts every file of the three pushes.
    check_accepts(&desk, &folder);

    // Second run: J5001 edited (Historical: Locked), a new unpaid job for Kea Electrical.
    let before: BTreeMap<PathBuf, Vec<u8>> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    let jobs = b["jobs"].as_array_mut().unwrap();
    jobs.iter_mut().find(|j| j["number"] == "J5001").unwrap()["memo"] =
        "Edited after the migration".into();
    let mut new = jobs
        .iter()
        .find(|j| j["number"] == "J5006")
        .unwrap()
        .clone();
    new["id"] = "TP-JOB-5007".into();
    new["number"] = "J5007".into();
    new["customer_id"] = "TP-CUST-1002".into();
    new["amount_paid"] = "0".into();
    jobs.push(new);
    desk.import(&b);
    // Compare Jobs shows it before Start Sync: the edited Historical invoice Locked (with
    // Salesorder's reason), the new job Add, the rest Unchanged; no file written by a compare.
    let plan: serde_json::Value = serde_json::from_str(&desk.ok(&[
        "compare",
        "job-invoices",
        "--connection",
        "so",
        "--json",
    ]))
    .unwrap();
    let rows: BTreeMap<String, (String, String)> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["home_key"].as_str().unwrap().to_owned(),
                (
                    r["action"].as_str().unwrap().to_owned(),
                    r["reason"].as_str().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect();
    let locked = &rows["TP-JOB-5001"];
    assert_eq!(locked.0, "locked", "{rows:?}");
    assert_eq!(
        locked.1,
        "changed in Tracker Pro, but Salesorder upload templates will not accept a change (Historical in Salesorder, which keeps it read-only: adjust it in Salesorder by hand); it is not sent"
    );
    assert_eq!(rows["TP-JOB-5007"].0, "add", "{rows:?}");
    assert!(
        rows.iter()
            .filter(|(k, _)| !["TP-JOB-5001", "TP-JOB-5007"].contains(&k.as_str()))
            .all(|(_, (action, _))| action == "unchanged"),
        "{rows:?}"
    );
    let out = push(&desk, "so", "job");
    assert!(
        out.contains(": 1 created, 0 updated, 0 unchanged, 1 locked,"),
        "{out}"
    );
    let runs = desk.ok(&["runs", "show", &run_of(&out)]);
    assert!(
        runs.contains("Historical is read-only in Salesorder: adjust it in Salesorder by hand"),
        "{runs}"
    );
    for (path, bytes) in &before {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} was rewritten",
            path.display()
        );
    }
    let added: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx") && !before.contains_key(p))
        .collect();
    assert_eq!(added.len(), 3, "one workbook per template: {added:?}");
    let delta = |stem: &str, name: &str| -> Rows {
        added
            .iter()
            .filter(|p| p.to_str().unwrap().ends_with(&format!("-{stem}.xlsx")))
            .flat_map(|p| sheet(p, name))
            .collect()
    };
    let invoices = delta("upload-transactions", "Sales Invoices");
    assert_eq!(
        invoices
            .iter()
            .map(|r| text(r, "Ref #"))
            .collect::<Vec<_>>(),
        ["J5007"]
    );
    assert!(
        delta("customers", "Customers").is_empty(),
        "Kea Electrical is in Salesorder already"
    );
    let journal = delta("upload-journals", "Journals");
    assert_eq!(journal.len(), 2);
    assert_eq!(money(&journal[0], "Debit"), Some(dec("115.00")));
    assert_eq!(
        text(&journal[0], "Customer"),
        "Kea Electrical, \"North\" branch"
    );
    assert_eq!(money(&journal[1], "Credit"), Some(dec("115.00")));
    // Both exports together: J5007's customer is in export 1's customers workbook.
    check_accepts(&desk, &folder);

    // Nothing new: the locked invoice is reported again, and no file is written.
    let out = push(&desk, "so", "job");
    assert!(
        out.contains(": 0 created, 0 updated, 0 unchanged, 1 locked,"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        before.len() + 3 + 2,
        "+ README.txt and the state file"
    );
}

fn run_of(out: &str) -> String {
    let at = out.find("Run ").unwrap() + 4;
    out[at..].chars().take_while(char::is_ascii_digit).collect()
}

#[test]
fn open_jobs_go_as_pending_sales_orders_when_the_setting_says_so() {
    let desk = Desk::new();
    desk.import(&book());
    desk.ok(&[
        "connections",
        "add",
        "so",
        "--connector",
        "salesorder",
        "--set",
        "order-status=Pending",
    ]);
    let out = push(&desk, "so", "order");
    assert!(out.contains("0 failed"), "{out}");
    let orders = all_rows(&desk.folder("so"), "upload-transactions", "Sales Orders");
    assert_eq!(orders.len(), 1);
    assert_eq!(text(&orders[0], "Status"), "Pending");
    assert!(
        all_rows(&desk.folder("so"), "upload-journals", "Journals").is_empty(),
        "an order posts nothing"
    );
}

#[test]
fn an_admin_template_sets_the_columns_and_a_customers_export_is_matched_not_duplicated() {
    let desk = Desk::new();
    desk.import(&book());
    desk.ok(&["connections", "add", "so", "--connector", "salesorder"]);
    let folder = desk.folder("so");
    std::fs::create_dir_all(folder.join("templates")).unwrap();
    // A blank Customers template as downloaded, and a customers export holding Harbour Plumbing.
    let workbook = |sheet: &str, rows: &[&[&str]]| {
        let mut wb = rust_xlsxwriter_free::Book::default();
        wb.sheet(sheet, rows);
        wb.bytes()
    };
    std::fs::write(
        folder.join("templates/Customers.xlsx"),
        workbook(
            "Customers",
            &[
                &["Instructions: fill one row per customer", ""],
                &["Company Name*", "Customer Code", "E-mail"],
            ],
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("salesorder-customers-export.xlsx"),
        workbook(
            "Export",
            &[
                &["Name", "Account Number"],
                &["Harbour Plumbing Ltd", "1001"],
            ],
        ),
    )
    .unwrap();
    let out = push(&desk, "so", "job");
    assert!(out.contains("0 failed"), "{out}");
    let rows = all_rows(&folder, "customers", "Customers");
    let names: Vec<String> = rows.iter().map(|r| text(r, "Company Name*")).collect();
    assert_eq!(
        names,
        [
            "Kea Electrical, \"North\" branch",
            "Southern Cross Property Management"
        ],
        "Harbour Plumbing is matched from the export, not written again"
    );
    assert_eq!(text(&rows[0], "Customer Code"), "1002");
    assert_eq!(text(&rows[0], "$Currency"), "NZD");
    assert_eq!(text(&rows[0], "Tracker Pro ID"), "TP-CUST-1002");
    let invoices = all_rows(&folder, "upload-transactions", "Sales Invoices");
    let j5001 = invoices
        .iter()
        .find(|r| text(r, "Ref #") == "J5001")
        .unwrap();
    assert_eq!(text(j5001, "Customer"), "Harbour Plumbing Ltd");
    // The admin's headers are found by name; Harbour Plumbing resolves from the export.
    check_accepts(&desk, &folder);
    // Without the export, J5001's customer is in no workbook: refused, with its file and
    // row, and the command fails.
    std::fs::remove_file(folder.join("salesorder-customers-export.xlsx")).unwrap();
    let out = desk
        .cmd()
        .args(["sandbox", "salesorder-check", folder.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "refused: ledgerlink-0001-upload-transactions.xlsx / Sales Invoices row 2: J5001: customer \"Harbour Plumbing Ltd\" is in no customers workbook"
        ),
        "{stdout}"
    );
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("would refuse"),
        "the error names the refusals"
    );
}

/// A minimal xlsx writer for the test's own input files (admin templates, a Salesorder
/// export), independent of the plugin's writer: the fewest parts Excel and calamine accept.
mod rust_xlsxwriter_free {
    use std::io::Write;

    #[derive(Default)]
    pub struct Book {
        sheets: Vec<(String, String)>,
    }

    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    impl Book {
        pub fn sheet(&mut self, name: &str, rows: &[&[&str]]) {
            let mut xml = String::from(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
            );
            for (r, row) in rows.iter().enumerate() {
                xml += &format!(r#"<row r="{}">"#, r + 1);
                for (c, v) in row.iter().enumerate() {
                    if v.is_empty() {
                        continue;
                    }
                    let col = (b'A' + u8::try_from(c).unwrap()) as char;
                    xml += &format!(
                        r#"<c r="{col}{}" t="inlineStr"><is><t>{}</t></is></c>"#,
                        r + 1,
                        esc(v)
                    );
                }
                xml += "</row>";
            }
            xml += "</sheetData></worksheet>";
            self.sheets.push((name.to_owned(), xml));
        }

        pub fn bytes(&self) -> Vec<u8> {
            let mut zip = ZipWriter::default();
            let overrides: String = (1..=self.sheets.len())
                .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
                .collect();
            zip.file("[Content_Types].xml", &format!(r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#));
            zip.file("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#);
            let sheets: String = self
                .sheets
                .iter()
                .enumerate()
                .map(|(i, (n, _))| {
                    format!(
                        r#"<sheet name="{}" sheetId="{}" r:id="rId{}"/>"#,
                        esc(n),
                        i + 1,
                        i + 1
                    )
                })
                .collect();
            zip.file("xl/workbook.xml", &format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#));
            let rels: String = (1..=self.sheets.len()).map(|i| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#)).collect();
            zip.file("xl/_rels/workbook.xml.rels", &format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#));
            for (i, (_, xml)) in self.sheets.iter().enumerate() {
                zip.file(&format!("xl/worksheets/sheet{}.xml", i + 1), xml);
            }
            zip.finish()
        }
    }

    /// A stored (uncompressed) zip archive.
    #[derive(Default)]
    struct ZipWriter {
        out: Vec<u8>,
        central: Vec<u8>,
        count: u16,
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    impl ZipWriter {
        fn file(&mut self, name: &str, text: &str) {
            let data = text.as_bytes();
            let crc = crc32(data);
            let size = u32::try_from(data.len()).unwrap();
            let offset = u32::try_from(self.out.len()).unwrap();
            let name_len = u16::try_from(name.len()).unwrap();
            let mut local = Vec::new();
            local.write_all(&0x0403_4b50u32.to_le_bytes()).unwrap();
            local.write_all(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
            local.write_all(&crc.to_le_bytes()).unwrap();
            local.write_all(&size.to_le_bytes()).unwrap();
            local.write_all(&size.to_le_bytes()).unwrap();
            local.write_all(&name_len.to_le_bytes()).unwrap();
            local.write_all(&0u16.to_le_bytes()).unwrap();
            local.write_all(name.as_bytes()).unwrap();
            self.out.extend_from_slice(&local);
            self.out.extend_from_slice(data);
            let c = &mut self.central;
            c.write_all(&0x0201_4b50u32.to_le_bytes()).unwrap();
            c.write_all(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0])
                .unwrap();
            c.write_all(&crc.to_le_bytes()).unwrap();
            c.write_all(&size.to_le_bytes()).unwrap();
            c.write_all(&size.to_le_bytes()).unwrap();
            c.write_all(&name_len.to_le_bytes()).unwrap();
            c.write_all(&[0; 12]).unwrap();
            c.write_all(&offset.to_le_bytes()).unwrap();
            c.write_all(name.as_bytes()).unwrap();
            self.count += 1;
        }

        fn finish(mut self) -> Vec<u8> {
            let start = u32::try_from(self.out.len()).unwrap();
            let size = u32::try_from(self.central.len()).unwrap();
            self.out.extend_from_slice(&self.central);
            self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
            self.out.extend_from_slice(&[0, 0, 0, 0]);
            self.out.extend_from_slice(&self.count.to_le_bytes());
            self.out.extend_from_slice(&self.count.to_le_bytes());
            self.out.extend_from_slice(&size.to_le_bytes());
            self.out.extend_from_slice(&start.to_le_bytes());
            self.out.extend_from_slice(&[0, 0]);
            self.out
        }
    }
}

/// `ledgerlink quickstart --target salesorder`, as a newcomer runs it: the sample book's
/// customers and invoices in one set of workbooks, in upload order, that the independent
/// checker accepts; every invoice once, with Tracker Pro's totals to the cent.
#[test]
fn quickstart_salesorder_writes_the_sample_book_as_workbooks_salesorder_would_accept() {
    let desk = Desk::new();
    // Twice: every run starts from an empty quickstart folder.
    for run in 0..2 {
        let out = desk
            .cmd()
            .args(["quickstart", "--target", "salesorder"])
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
            "5. Read back from Salesorder upload templates: 50 customers, 230 invoices.",
            "     1. ledgerlink-0001-customers.xlsx",
            "     2. ledgerlink-0001-upload-transactions.xlsx",
            "     3. ledgerlink-0001-upload-journals.xlsx",
        ] {
            assert!(
                stdout.contains(line),
                "run {run}: missing {line:?} in\n{stdout}"
            );
        }
    }
    let folder = desk.data.join("quickstart/connections/salesorder/files");
    check_accepts(&desk, &folder);
    let customers = all_rows(&folder, "customers", "Customers");
    let names: BTreeSet<String> = customers.iter().map(|r| text(r, "Customer Name")).collect();
    assert_eq!((customers.len(), names.len()), (50, 50));
    let invoices = all_rows(&folder, "upload-transactions", "Sales Invoices");
    let refs: BTreeSet<String> = invoices.iter().map(|r| text(r, "Ref #")).collect();
    assert_eq!(refs.len(), 230, "every job and contract invoice once");
    assert!(invoices.iter().all(|r| text(r, "Status") == "Historical"));
    // Every journal balances, and the journals carry exactly what is owed: the sample
    // book's invoices minus what was paid, summed here from the quickstart's own book.
    let journal = all_rows(&folder, "upload-journals", "Journals");
    let sum = |col: &str| {
        journal
            .iter()
            .filter_map(|r| money(r, col))
            .sum::<Decimal>()
    };
    assert_eq!(sum("Debit"), sum("Credit"));
    // The quickstart keeps its book in its own SQLite file whatever the store's engine.
    let quickstart = format!(
        "sqlite:{}",
        desk.data.join("quickstart/ledgerlink.db").display()
    );
    let exported: Value = serde_json::from_str(&desk.ok(&[
        "--data-dir",
        desk.data.join("quickstart").to_str().unwrap(),
        "--database",
        &quickstart,
        "home",
        "export",
        "--format",
        "json",
    ]))
    .unwrap();
    let owed: Decimal = outstanding(&exported).values().sum();
    let net: Decimal = journal
        .iter()
        .filter(|r| !text(r, "Customer").is_empty())
        .map(|r| money(r, "Debit").unwrap_or_default() - money(r, "Credit").unwrap_or_default())
        .sum();
    assert_eq!(net, owed);
}

/// A push of 240 invoices in calls of 10, each call its own export (window 0: the harshest
/// case, where a call's rows left out of its workbooks would have to be written by a later
/// call), killed with SIGKILL until kills have landed mid-push (see the loop) and run again: every invoice is in exactly one
/// workbook, every customer in exactly one, the journals carry every outstanding balance
/// exactly once, and the independent checker accepts the whole folder.
#[cfg(unix)]
#[test]
fn a_salesorder_push_killed_at_any_point_completes_on_rerun_with_every_row_once() {
    const N: usize = 240;
    let desk = Desk::new();
    let customers: Vec<Value> = (1..=8)
        .map(|i| json!({"id": format!("C{i}"), "name": format!("Customer {i}"), "flagged_for_integration": true}))
        .collect();
    let jobs: Vec<Value> = (1..=N)
        .map(|i| {
            // Every third paid in full, every third part-paid, the rest unpaid.
            let paid = ["115.58", "15.58", "0"][i % 3];
            json!({
                "id": format!("JOB-{i:04}"), "number": format!("J{i:04}"), "customer_id": format!("C{}", i % 8 + 1),
                "status": "closed", "ready_for_invoice_1": true, "ready_for_invoice_2": true,
                "invoice_date": "2026-11-02", "currency": "NZD", "tax_mode": "exclusive",
                "subtotal": "100.50", "tax_total": "15.08", "total": "115.58", "amount_paid": paid,
                "lines": [{"description": "Service", "quantity": "1", "unit_price": "100.50", "amount": "100.50", "tax_amount": "15.08"}]
            })
        })
        .collect();
    let book = json!({"version": 1, "customers": customers, "jobs": jobs, "contract_invoices": []});
    desk.import(&book);
    desk.ok(&[
        "connections",
        "add",
        "so",
        "--connector",
        "salesorder",
        "--set",
        "export-window-minutes=0",
        "--set",
        "push-batch-records=10",
    ]);
    let folder = desk.folder("so");
    let rows = || {
        if !folder.exists() {
            return 0;
        }
        all_rows(&folder, "upload-transactions", "Sales Invoices").len()
    };
    let push = ["push-invoices", "--connection", "so", "--kind", "job"];
    // The kills adapt to the machine: on a loaded one the process takes seconds to write its
    // first row, so while no row is in the delay grows by a quarter; once rows appear it
    // grows by 25 ms, so kills keep landing between batches. Stop after three kills landed
    // mid-push (or one did and the push then finished), at most 40 kills.
    let mut seen = Vec::new();
    let mut delay_ms = 60u64;
    while seen.len() < 40 {
        let mut child = desk.cmd().args(push).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let n = rows();
        seen.push(n);
        let mid = seen.iter().filter(|n| **n > 0 && **n < N).count();
        if mid >= 3 || (n == N && mid >= 1) {
            break;
        }
        delay_ms = if n == 0 {
            delay_ms * 5 / 4 + 10
        } else {
            delay_ms + 25
        };
    }
    eprintln!("invoice rows after each kill: {seen:?}");
    assert!(
        seen.iter().any(|n| *n > 0 && *n < N),
        "at least one kill landed mid-push: {seen:?}"
    );
    desk.ok(&push);
    let due = desk.ok(&[
        "push-invoices",
        "--connection",
        "so",
        "--kind",
        "job",
        "--dry-run",
    ]);
    assert!(due.contains("Dry run: 0 invoice(s) would be sent"), "{due}");

    let invoices = all_rows(&folder, "upload-transactions", "Sales Invoices");
    let mut refs: Vec<String> = invoices.iter().map(|r| text(r, "Ref #")).collect();
    refs.sort();
    let expected: Vec<String> = (1..=N).map(|i| format!("J{i:04}")).collect();
    assert_eq!(refs, expected, "every invoice in exactly one workbook");
    for r in &invoices {
        assert_eq!(money(r, "Total"), Some(dec("115.58")), "{r:?}");
    }
    let mut names: Vec<String> = all_rows(&folder, "customers", "Customers")
        .iter()
        .map(|r| text(r, "Customer Name"))
        .collect();
    names.sort();
    let expected: Vec<String> = (1..=8).map(|i| format!("Customer {i}")).collect();
    assert_eq!(names, expected, "every customer in exactly one workbook");
    // Per customer, the journals' AR lines net to what is owed, summed independently.
    let journal = all_rows(&folder, "upload-journals", "Journals");
    let mut net: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in journal.iter().filter(|r| !text(r, "Customer").is_empty()) {
        *net.entry(text(r, "Customer")).or_default() +=
            money(r, "Debit").unwrap_or_default() - money(r, "Credit").unwrap_or_default();
    }
    assert_eq!(net, outstanding(&book));
    check_accepts(&desk, &folder);
    let state = crate::support::engine::sync_state(&desk.data);
    assert!(state.pending("so", "job-invoices").unwrap().is_empty());
}
