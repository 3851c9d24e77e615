//! The OrderTrac web connector through the real binary: a generated book (20 customers, 200
//! closed jobs, 30 contract invoices, open jobs) pushed as an import package, read back with
//! the `csv` crate and checked row by row against figures computed here: per-line tax, the
//! "Migration total difference adjustment" line exactly on the orders whose per-line rounding
//! misses Tracker Pro's total, with its amount. Then quotes converted without duplicates,
//! preview and production kept apart, bad input refused per record, and reconciliation from
//! the CSV reports the independent checker (`ledgerlink sandbox ordertrac-check`) writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;

use ledgerlink::store::DataDir;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

const ADJUSTMENT: &str = "Migration total difference adjustment";

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

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        crate::support::succeeded(args, self.run(args))
    }

    /// Fails; returns stdout + stderr.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    fn folder(&self, connection: &str) -> PathBuf {
        DataDir::new(&self.data).connection_files(connection)
    }

    fn import(&self, book: &Value) {
        let path = self.data.parent().unwrap().join("book.json");
        std::fs::write(&path, book.to_string()).unwrap();
        self.ok(&["home", "import", path.to_str().unwrap()]);
    }

    fn add(&self, name: &str, settings: &[&str]) {
        let mut args = vec!["connections", "add", name, "--connector", "ordertrac"];
        for s in settings {
            args.extend(["--set", s]);
        }
        self.ok(&args);
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn cents(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// A job with `lines` (quantity, unit price). Document-taxed jobs carry each line's rate but
/// no line tax, and tax the subtotal once (Tracker Pro's, and OrderTrac Classic's, way);
/// the others carry per-line tax.
fn job(n: usize, customer: usize, lines: &[(&str, &str)], document_taxed: bool) -> Value {
    let mut subtotal = Decimal::ZERO;
    let mut line_tax_sum = Decimal::ZERO;
    let lines: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(k, (q, p))| {
            let amount = cents(dec(q) * dec(p));
            subtotal += amount;
            let tax = cents(amount * dec("0.15"));
            line_tax_sum += tax;
            let mut l = json!({"description": format!("Work item {k} of J{n}"), "quantity": q,
                "unit_price": p, "amount": amount.to_string(), "tax_rate": "15", "tax_code": "GST"});
            if !document_taxed {
                l["tax_amount"] = tax.to_string().into();
            }
            l
        })
        .collect();
    let tax = if document_taxed {
        cents(subtotal * dec("0.15"))
    } else {
        line_tax_sum
    };
    json!({
        "id": format!("TP-JOB-{n}"), "number": format!("J{n}"),
        "customer_id": format!("TP-CUST-{customer}"), "status": "closed",
        "ready_for_invoice_1": true, "ready_for_invoice_2": true,
        "invoice_date": "2026-11-05", "due_date": "2026-11-30", "currency": "NZD", "tax_mode": "exclusive",
        "subtotal": subtotal.to_string(), "tax_total": tax.to_string(),
        "total": (subtotal + tax).to_string(), "amount_paid": if n.is_multiple_of(5) { "10.00" } else { "0" },
        "lines": lines,
    })
}

/// 20 customers, 200 closed jobs (every 4th taxed per document, with line amounts whose
/// per-line rounding misses the document's tax by construction), 30 contract invoices (tax
/// code only: the rate comes from the connection's tax-rates setting), 3 open jobs.
fn book() -> Value {
    let customers: Vec<Value> = (0..20)
        .map(|c| {
            json!({"id": format!("TP-CUST-{c}"), "name": format!("Customer {c:02} Ltd"),
            "email": format!("c{c}@example.test"), "currency": "NZD", "active": true,
            "flagged_for_integration": true})
        })
        .collect();
    let mut jobs: Vec<Value> = (0..200)
        .map(|i: usize| {
            let n = 6000 + i;
            let price = format!("{}.{:02}", 10 + i % 17, (i * 7) % 100);
            // Document-taxed jobs: two lines of 10.10 (1.515 of tax each, 1.52 per line) make
            // per-line rounding miss the tax computed once on the subtotal.
            let lines: Vec<(&str, String)> = if i.is_multiple_of(4) {
                vec![
                    ("1", "10.10".into()),
                    ("1", "10.10".into()),
                    ("1", price.clone()),
                ]
            } else {
                vec![("2", price.clone()), ("1.5", "33.30".into())]
            };
            let lines: Vec<(&str, &str)> = lines.iter().map(|(q, p)| (*q, p.as_str())).collect();
            job(n, i % 20, &lines, i.is_multiple_of(4))
        })
        .collect();
    for (n, c) in [(7001, 1), (7002, 2), (7003, 3)] {
        let mut j = job(n, c, &[("1", "99.95")], false);
        j["status"] = "open".into();
        j["ready_for_invoice_1"] = false.into();
        j["ready_for_invoice_2"] = false.into();
        jobs.push(j);
    }
    let contracts: Vec<Value> = (0..30)
        .map(|k| {
            json!({"id": format!("TP-CON-{k}"), "number": format!("SC-{k}"),
            "customer_id": format!("TP-CUST-{}", k % 20), "description": "Service"})
        })
        .collect();
    let contract_invoices: Vec<Value> = (0..30)
        .map(|k| {
            let amount = dec("120.00") + Decimal::from(k);
            let tax = cents(amount * dec("0.15"));
            json!({"id": format!("TP-SVC-{k}"), "number": format!("S{}", 9100 + k),
                "contract_id": format!("TP-CON-{k}"), "customer_id": format!("TP-CUST-{}", k % 20),
                "status": "generated", "ready_for_invoice_1": true, "ready_for_invoice_2": true,
                "invoice_date": "2026-11-02", "currency": "NZD", "tax_mode": "exclusive",
                "subtotal": amount.to_string(), "tax_total": tax.to_string(),
                "total": (amount + tax).to_string(),
                "lines": [{"description": "Quarterly service", "quantity": "1",
                    "unit_price": amount.to_string(), "amount": amount.to_string(), "tax_code": "OUTPUT2"}]})
        })
        .collect();
    json!({"version": 1, "customers": customers, "jobs": jobs, "contracts": contracts,
        "contract_invoices": contract_invoices})
}

/// Every job and contract invoice of the book that is due, by number: its lines and total.
fn due(book: &Value) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    for list in ["jobs", "contract_invoices"] {
        for i in book[list].as_array().unwrap() {
            if i["status"] == "open" {
                continue;
            }
            out.insert(i["number"].as_str().unwrap().to_owned(), i);
        }
    }
    out
}

/// The adjustment OrderTrac's rule gives `doc`, computed here: Tracker Pro's total −
/// Σ (line + its tax at 15 %, rounded on the line).
fn expected_adjustment(doc: &Value) -> Decimal {
    let taxed: Decimal = doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let a = dec(l["amount"].as_str().unwrap());
            a + cents(a * dec("0.15"))
        })
        .sum();
    dec(doc["total"].as_str().unwrap()) - taxed
}

type Row = BTreeMap<String, String>;

fn rows(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn push(desk: &Desk, connection: &str, kind: &str) -> String {
    desk.ok(&["push-invoices", "--connection", connection, "--kind", kind])
}

fn compare(desk: &Desk, connection: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(&desk.ok(&[
        "compare",
        "job-invoices",
        "--connection",
        connection,
        "--json",
    ]))
    .unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["number"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_book_becomes_an_ordertrac_package_with_per_line_tax_adjustments_and_reconciles_from_the_checkers_export()
 {
    let desk = Desk::new();
    let b = book();
    desk.import(&b);
    desk.add("ot", &["tax-rates=OUTPUT2=15"]);
    let mut job_run = String::new();
    for kind in ["job", "contract"] {
        let out = push(&desk, "ot", kind);
        assert!(out.contains("0 failed"), "{kind}: {out}");
        if kind == "job" {
            job_run = run_of(&out);
        }
    }
    let folder = desk.folder("ot");

    // Customers: each once.
    let customers = rows(&folder.join("ordertrac-customers.csv"));
    let names: Vec<&str> = customers.iter().map(|r| r["Name"].as_str()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), 20, "{names:?}");
    assert_eq!(unique.len(), 20);
    let customer_ids: BTreeMap<&str, &str> = customers
        .iter()
        .map(|r| (r["Customer ID"].as_str(), r["Name"].as_str()))
        .collect();

    // Sales orders: 200 jobs and 30 contract invoices, lines, per-line tax and totals.
    let orders = rows(&folder.join("ordertrac-sales-orders.csv"));
    let mut by_ref: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in &orders {
        by_ref.entry(r["Reference"].clone()).or_default().push(r);
    }
    let due = due(&b);
    assert_eq!(due.len(), 230);
    assert_eq!(
        by_ref.keys().cloned().collect::<BTreeSet<_>>(),
        due.keys().cloned().collect::<BTreeSet<_>>()
    );
    let mut adjusted = BTreeMap::new();
    for (number, doc) in &due {
        let got = &by_ref[number];
        let lines = doc["lines"].as_array().unwrap();
        let expected = expected_adjustment(doc);
        let adjustment_rows: Vec<&&Row> = got
            .iter()
            .filter(|r| r["Description"] == ADJUSTMENT)
            .collect();
        if expected.is_zero() {
            assert!(
                adjustment_rows.is_empty(),
                "{number}: no adjustment expected"
            );
            assert_eq!(got.len(), lines.len(), "{number}");
        } else {
            assert_eq!(adjustment_rows.len(), 1, "{number}: exactly one adjustment");
            let a = adjustment_rows[0];
            assert_eq!(dec(&a["Line Amount"]), expected, "{number}");
            assert_eq!(dec(&a["Line Tax"]), Decimal::ZERO);
            assert_eq!(a["Taxable"], "no");
            assert_eq!(got.len(), lines.len() + 1);
            adjusted.insert(number.clone(), expected);
        }
        for (row, line) in got.iter().zip(lines) {
            let amount = dec(line["amount"].as_str().unwrap());
            assert_eq!(row["Description"], line["description"].as_str().unwrap());
            assert_eq!(dec(&row["Line Amount"]), amount, "{number}");
            assert_eq!(dec(&row["Tax Rate"]), dec("15"), "{number}");
            assert_eq!(
                dec(&row["Line Tax"]),
                cents(amount * dec("0.15")),
                "{number}"
            );
        }
        let total = dec(doc["total"].as_str().unwrap());
        let paid = doc["amount_paid"].as_str().map_or(Decimal::ZERO, dec);
        for row in got {
            assert_eq!(dec(&row["Order Total"]), total, "{number}");
            assert_eq!(dec(&row["Balance Due"]), total - paid, "{number}");
            assert_eq!(
                dec(&row["Order Subtotal"]) + dec(&row["Order Tax"]),
                total,
                "{number}"
            );
            assert_eq!(
                customer_ids[row["Customer ID"].as_str()],
                row["Customer Name"],
                "{number}: the customer resolves"
            );
        }
    }
    // The book has adjustment orders by construction (every 4th job taxed per document).
    assert!(adjusted.len() >= 20, "{adjusted:?}");
    assert!(adjusted.keys().all(|n| n.starts_with('J')));

    // The run report names every order that got an adjustment line, with its amount, and
    // no other.
    let report: Value =
        serde_json::from_str(&desk.ok(&["runs", "show", &job_run, "--json"])).unwrap();
    let noted: BTreeMap<String, String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["reason"].as_str().unwrap().contains(ADJUSTMENT))
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        noted.keys().collect::<BTreeSet<_>>(),
        adjusted.keys().collect::<BTreeSet<_>>()
    );
    for (number, amount) in &adjusted {
        let reason = &noted[number.as_str()];
        assert_eq!(
            reason,
            &format!(
                "OrderTrac web (import package) says \"{ADJUSTMENT} line of {amount} added: OrderTrac's per-line tax would otherwise miss Tracker Pro's total\""
            ),
            "{number}"
        );
    }

    // The manifest: counts, per-document totals, checksums of the files beside it.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("ordertrac-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["environment"], "preview");
    assert_eq!(manifest["counts"]["sales_orders"], 230);
    assert_eq!(manifest["counts"]["customers"], 20);
    assert_eq!(manifest["counts"]["adjustment_lines"], adjusted.len());
    assert!(
        manifest["description"]
            .as_str()
            .unwrap()
            .contains("not an OrderTrac-published import format")
    );
    let readme = std::fs::read_to_string(folder.join("README.txt")).unwrap();
    for (number, amount) in &adjusted {
        assert!(
            readme.contains(&format!("- {number}: {amount}")),
            "{readme}"
        );
    }

    // The independent checker accepts it and writes OrderTrac's reports.
    let out = desk.ok(&[
        "sandbox",
        "ordertrac-check",
        folder.to_str().unwrap(),
        "--write-exports",
    ]);
    assert!(
        out.contains("OrderTrac's migration would accept all of it"),
        "{out}"
    );
    assert!(
        out.contains(&format!("Adjustment lines: {}", adjusted.len())),
        "{out}"
    );

    // Reconciliation: every job Unchanged.
    let rows_now = compare(&desk, "ot");
    assert_eq!(rows_now.len(), 200);
    assert!(
        rows_now.iter().all(|(_, a)| a == "unchanged"),
        "{:?}",
        rows_now
            .iter()
            .filter(|(_, a)| a != "unchanged")
            .collect::<Vec<_>>()
    );

    // One edited export row: that order is a Conflict, the rest Unchanged.
    let export = folder.join("exports/ordertrac-sales-orders-report.csv");
    let text = std::fs::read_to_string(&export).unwrap();
    let edited = text.replacen("Work item 0 of J6001,", "Work item 0 of J6001 (edited),", 1);
    assert_ne!(text, edited);
    std::fs::write(&export, edited).unwrap();
    let rows_now = compare(&desk, "ot");
    let conflicts: Vec<&str> = rows_now
        .iter()
        .filter(|(_, a)| a != "unchanged")
        .map(|(n, a)| {
            assert_eq!(a, "conflict", "{n}");
            n.as_str()
        })
        .collect();
    assert_eq!(conflicts, ["J6001"]);

    // An order the export shows as missing is an Add.
    let without: String = text
        .lines()
        .filter(|l| !l.contains(",J6002,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&export, without).unwrap();
    let rows_now = compare(&desk, "ot");
    let not_unchanged: Vec<_> = rows_now.iter().filter(|(_, a)| a != "unchanged").collect();
    assert_eq!(not_unchanged, [&("J6002".to_owned(), "add".to_owned())]);

    // A file in exports/ that is no OrderTrac report is refused, naming the columns.
    std::fs::write(folder.join("exports/notes.csv"), "a,b\n1,2\n").unwrap();
    let err = desk.refused(&["compare", "job-invoices", "--connection", "ot"]);
    assert!(
        err.contains("exports/notes.csv is not an OrderTrac export this connector recognises")
            && err.contains("Order #, Type, Status, Reference, Customer, Date, Item, Description, Qty, Price, Tax Rate, Tax, Total"),
        "{err}"
    );
}

#[test]
fn completed_orders_are_locked_and_never_rewritten() {
    let desk = Desk::new();
    let mut b = book();
    desk.import(&b);
    desk.add("ot", &[]);
    assert!(push(&desk, "ot", "job").contains("0 failed"));
    let folder = desk.folder("ot");
    desk.ok(&[
        "sandbox",
        "ordertrac-check",
        folder.to_str().unwrap(),
        "--write-exports",
        "--status",
        "J6003=Completed",
    ]);
    // Completed there and unchanged here: nothing to send, so nothing to show.
    let rows_now = compare(&desk, "ot");
    assert!(
        rows_now.iter().all(|(_, a)| a == "unchanged"),
        "{rows_now:?}"
    );
    // Edited in Tracker Pro: compare shows it Locked before Start Sync; it is not re-sent
    // and the package keeps what was sent.
    let before = std::fs::read(folder.join("ordertrac-sales-orders.csv")).unwrap();
    let jobs = b["jobs"].as_array_mut().unwrap();
    let j = jobs.iter_mut().find(|j| j["number"] == "J6003").unwrap();
    j["lines"][0]["description"] = "Edited after the migration".into();
    desk.import(&b);
    let rows_now = compare(&desk, "ot");
    let locked: Vec<_> = rows_now.iter().filter(|(_, a)| a != "unchanged").collect();
    assert_eq!(locked, [&("J6003".to_owned(), "locked".to_owned())]);
    let out = push(&desk, "ot", "job");
    assert!(out.contains("1 locked"), "{out}");
    assert_eq!(
        std::fs::read(folder.join("ordertrac-sales-orders.csv")).unwrap(),
        before
    );
}

#[test]
fn open_jobs_go_as_quotes_and_a_closed_job_converts_its_quote_without_a_duplicate() {
    let desk = Desk::new();
    let mut b = book();
    desk.import(&b);
    desk.add("ot", &["open-jobs-as-quotes=yes"]);
    assert!(push(&desk, "ot", "order").contains("0 failed"));
    let folder = desk.folder("ot");
    let quotes = rows(&folder.join("ordertrac-quotes.csv"));
    let refs: Vec<&str> = quotes.iter().map(|r| r["Reference"].as_str()).collect();
    assert_eq!(refs, ["J7001", "J7002", "J7003"]);
    assert!(quotes.iter().all(|r| r["Document Type"] == "Quote"));

    let j = b["jobs"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|j| j["number"] == "J7002")
        .unwrap();
    j["status"] = "closed".into();
    j["ready_for_invoice_1"] = true.into();
    j["ready_for_invoice_2"] = true.into();
    desk.import(&b);
    let out = desk.run(&["push-invoices", "--connection", "ot", "--kind", "job"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}\n{}",
        desk.ok(&["runs", "show", &run_of(&text)])
    );
    // The run report says which quote the sales order converted.
    let report: Value =
        serde_json::from_str(&desk.ok(&["runs", "show", &run_of(&text), "--json"])).unwrap();
    let j7002 = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "J7002")
        .unwrap();
    assert_eq!(j7002["outcome"], "created", "{j7002}");
    assert!(
        j7002["reason"]
            .as_str()
            .unwrap()
            .ends_with("says \"converts quote Q-J7002, which is not sent again\""),
        "{j7002}"
    );
    let quotes = rows(&folder.join("ordertrac-quotes.csv"));
    let refs: Vec<&str> = quotes.iter().map(|r| r["Reference"].as_str()).collect();
    assert_eq!(
        refs,
        ["J7001", "J7003"],
        "the converted quote left the quotes"
    );
    let orders = rows(&folder.join("ordertrac-sales-orders.csv"));
    let j7002: Vec<&Row> = orders
        .iter()
        .filter(|r| r["Reference"] == "J7002")
        .collect();
    assert_eq!(j7002.len(), 1);
    assert_eq!(j7002[0]["Document Type"], "Sales Order");
    assert_eq!(j7002[0]["Converted From Quote"], "J7002");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("ordertrac-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["counts"]["quotes"], 2);
    assert_eq!(manifest["counts"]["sales_orders"], 201);
    let out = desk.ok(&["sandbox", "ordertrac-check", folder.to_str().unwrap()]);
    assert!(out.contains("would accept all"), "{out}");
}

#[test]
fn preview_and_production_are_kept_apart_and_an_environment_with_links_cannot_change() {
    let desk = Desk::new();
    desk.import(&book());
    desk.add("ot-preview", &[]);
    desk.add("ot-prod", &["environment=production"]);
    assert!(push(&desk, "ot-preview", "job").contains("0 failed"));
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(desk.folder("ot-preview").join("ordertrac-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["environment"], "preview");
    assert_eq!(
        manifest["environment_host"],
        "preview.ordertracinventory.com"
    );
    // Production has nothing: every job is still to add there.
    assert!(
        !desk
            .folder("ot-prod")
            .join("ordertrac-manifest.json")
            .exists()
    );
    let prod = compare(&desk, "ot-prod");
    assert_eq!(prod.len(), 200);
    assert!(prod.iter().all(|(_, a)| a == "add"));
    let err = desk.refused(&["connections", "set", "ot-preview", "environment=production"]);
    assert!(
        err.contains("connection ot-preview targets environment (the connector's default) and has")
            && err.contains("its environment cannot change. Make a new connection for production"),
        "{err}"
    );
    // Without links it may change.
    desk.ok(&["connections", "set", "ot-prod", "environment=preview"]);
    let show = desk.ok(&["connections", "show", "ot-preview"]);
    assert!(
        show.contains("preview") || show.contains("environment"),
        "{show}"
    );
}

#[test]
fn bad_input_is_refused_per_record_naming_the_field_and_the_rest_is_written() {
    let desk = Desk::new();
    let mut b = book();
    let jobs = b["jobs"].as_array_mut().unwrap();
    // No rate and no code the connection knows.
    jobs[1]["lines"][0]
        .as_object_mut()
        .unwrap()
        .remove("tax_rate");
    jobs[1]["lines"][0]["tax_code"] = "MYSTERY".into();
    // A unit price with five decimal places.
    jobs[2]["lines"][0]["unit_price"] = "10.12345".into();
    desk.import(&b);
    desk.add("ot", &[]);
    let out = String::from_utf8(
        desk.run(&["push-invoices", "--connection", "ot", "--kind", "job"])
            .stdout,
    )
    .unwrap();
    assert!(out.contains("2 failed"), "{out}");
    let runs = desk.ok(&["runs", "show", &run_of(&out)]);
    assert!(
        runs.contains("J6001: line 1 (\"Work item 0 of J6001\") has no tax rate (tax code MYSTERY is not in the tax-rates setting)"),
        "{runs}"
    );
    assert!(
        runs.contains("J6002: line 1 (\"Work item 0 of J6002\") has unit price 10.12345, with more than the 4 decimal places OrderTrac takes"),
        "{runs}"
    );
    let orders = rows(&desk.folder("ot").join("ordertrac-sales-orders.csv"));
    let refs: BTreeSet<&str> = orders.iter().map(|r| r["Reference"].as_str()).collect();
    assert_eq!(refs.len(), 198);
    assert!(!refs.contains("J6001") && !refs.contains("J6002"));
}

fn run_of(out: &str) -> String {
    let at = out.find("Run ").unwrap() + 4;
    out[at..].chars().take_while(char::is_ascii_digit).collect()
}

#[cfg(unix)]
#[test]
fn a_push_killed_with_sigkill_then_run_again_leaves_every_order_once_and_nothing_partial() {
    let desk = Desk::new();
    let b = book();
    desk.import(&b);
    // Batches of 20: ten package rewrites, so a kill can land between them.
    desk.add("ot", &["push-batch-records=20"]);
    let folder = desk.folder("ot");
    let references = || -> usize {
        let path = folder.join("ordertrac-sales-orders.csv");
        if !path.exists() {
            return 0;
        }
        rows(&path)
            .iter()
            .map(|r| r["Reference"].clone())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let mut seen = Vec::new();
    for delay_ms in [300u64, 700, 1200, 2000, 3000] {
        let mut child = desk
            .cmd()
            .args(["push-invoices", "--connection", "ot", "--kind", "job"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        seen.push(references());
    }
    eprintln!("orders in the package after each kill: {seen:?}");
    let out = desk.run(&["push-invoices", "--connection", "ot", "--kind", "job"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("0 failed"), "{text}");

    // Every job once, each with exactly its lines (+ its adjustment line when it needs one).
    let orders = rows(&folder.join("ordertrac-sales-orders.csv"));
    let mut per_ref: BTreeMap<String, usize> = BTreeMap::new();
    for r in &orders {
        *per_ref.entry(r["Reference"].clone()).or_default() += 1;
    }
    let due = due(&b);
    let jobs: BTreeMap<&String, &&Value> = due.iter().filter(|(n, _)| n.starts_with('J')).collect();
    assert_eq!(per_ref.len(), 200);
    for (number, doc) in jobs {
        let lines = doc["lines"].as_array().unwrap().len()
            + usize::from(!expected_adjustment(doc).is_zero());
        assert_eq!(
            per_ref[number], lines,
            "{number}: no duplicated or missing row"
        );
    }
    // No temporary file is left, and the manifest describes the files beside it.
    let leftovers: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ledgerlink-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let out = desk.ok(&["sandbox", "ordertrac-check", folder.to_str().unwrap()]);
    assert!(out.contains("would accept all"), "{out}");
    assert!(out.contains("Sales orders: 200"), "{out}");
}

#[test]
fn quickstart_writes_the_package_and_says_what_to_do_with_it() {
    let desk = Desk::new();
    let out = desk.ok(&["quickstart", "--target", "ordertrac"]);
    assert!(
        out.contains("The OrderTrac import package for the preview environment (preview.ordertracinventory.com): 50 customers, 230 sales orders, 0 quotes."),
        "{out}"
    );
    assert!(
        out.contains("Orders with a \"Migration total difference adjustment\" line"),
        "{out}"
    );
    assert!(out.contains("ledgerlink sandbox ordertrac-check"), "{out}");
}

/// `compare customers` (`--pull` for OrderTrac → Tracker Pro): the plan id and each row's
/// name, action, remote id and reason.
fn compare_customers(desk: &Desk, pull: bool) -> (String, BTreeMap<String, Value>) {
    let mut args = vec!["compare", "customers", "--connection", "ot", "--json"];
    if pull {
        args.push("--pull");
    }
    let v: Value = serde_json::from_str(&desk.ok(&args)).unwrap();
    let rows = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    (v["plan"].as_i64().unwrap().to_string(), rows)
}

/// OrderTrac's customers report reconciles customers as the sales-order report does orders,
/// matched by name: every customer sent is there unchanged; an e-mail edited in OrderTrac is
/// OrderTrac's side of the compare (an Update from OrderTrac, never overwritten unseen); a
/// changed customer the report lacks is missing (Add); OrderTrac's own customer of a Tracker
/// Pro customer's name is linked to, and the package then carries it under OrderTrac's number
/// (to update, not create).
#[test]
fn the_customers_report_reconciles_customers_and_links_ordertracs_own() {
    let desk = Desk::new();
    let mut b = book();
    b["customers"].as_array_mut().unwrap().push(json!({
        "id": "TP-CUST-WALKIN", "name": "Walk-in Trade Ltd", "email": "desk@walkin.example",
        "currency": "NZD", "active": true, "flagged_for_integration": true}));
    desk.import(&b);
    desk.add("ot", &["tax-rates=OUTPUT2=15"]);
    let out = push(&desk, "ot", "job");
    assert!(out.contains("0 failed"), "{out}");
    let folder = desk.folder("ot");
    desk.ok(&[
        "sandbox",
        "ordertrac-check",
        folder.to_str().unwrap(),
        "--write-exports",
    ]);

    // OrderTrac → Tracker Pro: the 20 customers sent are in OrderTrac's report, unchanged.
    let (_, first) = compare_customers(&desk, true);
    assert_eq!(first.len(), 20, "{first:#?}");
    for (name, row) in &first {
        assert_eq!(row["action"], "unchanged", "{name}: {row}");
    }

    // OrderTrac's report after an e-mail edit, a customer missing, and one of its own.
    let report = folder.join("exports/ordertrac-customers-report.csv");
    let text = std::fs::read_to_string(&report).unwrap();
    let edited = text.replacen(",c3@example.test,", ",accounts@c3.example,", 1);
    assert_ne!(edited, text);
    let mut edited: String = edited
        .lines()
        .filter(|l| !l.contains(",Customer 04 Ltd,"))
        .map(|l| format!("{l}\n"))
        .collect();
    edited.push_str("5999,Walk-in Trade Ltd,,\n");
    std::fs::write(&report, edited).unwrap();

    let (_, pulled) = compare_customers(&desk, true);
    assert_eq!(pulled.len(), 20, "{pulled:#?}");
    let c3 = &pulled["Customer 03 Ltd"];
    assert_eq!(c3["action"], "update", "{c3}");
    assert!(
        c3["diffs"].to_string().contains("accounts@c3.example"),
        "{c3}"
    );
    assert!(!pulled.contains_key("Customer 04 Ltd"));
    let walk_in = &pulled["Walk-in Trade Ltd"];
    assert_eq!(walk_in["remote_id"], "OT-5999", "{walk_in}");
    assert_eq!(walk_in["home_key"], "TP-CUST-WALKIN", "{walk_in}");
    let changed: Vec<&String> = pulled
        .iter()
        .filter(|(_, r)| r["action"] != "unchanged")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(changed, ["Customer 03 Ltd", "Walk-in Trade Ltd"]);

    // Tracker Pro → OrderTrac: Customer 04 changed at home is missing in OrderTrac; the
    // e-mail edited in OrderTrac is not overwritten unseen; Walk-in is linked to OrderTrac's.
    b["customers"][4]["phone"] = json!("+64 9 555 0104");
    desk.import(&b);
    let (plan, pushed) = compare_customers(&desk, false);
    assert_eq!(
        pushed.keys().collect::<Vec<_>>(),
        ["Customer 04 Ltd", "Walk-in Trade Ltd"],
        "{pushed:#?}"
    );
    assert_eq!(pushed["Customer 04 Ltd"]["action"], "add");
    assert_eq!(
        pushed["Customer 04 Ltd"]["reason"],
        "linked, but no longer in the target; it will be created again"
    );
    let walk_in = &pushed["Walk-in Trade Ltd"];
    assert_eq!(walk_in["action"], "update", "{walk_in}");
    assert_eq!(walk_in["remote_id"], "OT-5999");

    // Linking Walk-in writes it into the package under OrderTrac's number.
    let out = desk.ok(&["sync", "--plan", &plan, "--select", "TP-CUST-WALKIN"]);
    assert!(out.contains("0 failed"), "{out}");
    let package = rows(&folder.join("ordertrac-customers.csv"));
    let sent: Vec<&Row> = package
        .iter()
        .filter(|r| r["Name"] == "Walk-in Trade Ltd")
        .collect();
    assert_eq!(sent.len(), 1, "{package:?}");
    assert_eq!(sent[0]["Customer ID"], "OT-5999");
    assert_eq!(sent[0]["Email"], "desk@walkin.example");
    assert_eq!(sent[0]["Tracker Pro Key"], "TP-CUST-WALKIN");
    let (_, last) = compare_customers(&desk, false);
    assert!(!last.contains_key("Walk-in Trade Ltd"), "{last:#?}");
}
