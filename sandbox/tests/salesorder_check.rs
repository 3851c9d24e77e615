//! The Salesorder import checker on small workbooks written here with `rust_xlsxwriter`:
//! a good set is accepted; each rule broken once gives exactly its refusal, with its row.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use ledgerlink_sandbox::salesorder_check::{CheckReport, Refusal, Rule, check_dir};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// A cell to write.
#[derive(Clone, Debug)]
enum C {
    S(&'static str),
    N(f64),
    D(u16, u8, u8),
    E,
}
use C::{D, E, N, S};

type Rows = Vec<Vec<C>>;

fn write(path: &Path, sheets: &[(&str, &Rows)]) {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("0.00");
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r).unwrap();
            for (c, cell) in row.iter().enumerate() {
                let c = u16::try_from(c).unwrap();
                match cell {
                    S(s) => {
                        sheet.write_string(r, c, *s).unwrap();
                    }
                    N(n) => {
                        sheet.write_number_with_format(r, c, *n, &money).unwrap();
                    }
                    D(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        sheet.write_datetime_with_format(r, c, &dt, &date).unwrap();
                    }
                    E => {}
                }
            }
        }
    }
    book.save(path).unwrap();
}

/// One export's worth of files, as data the tests break one rule at a time.
struct Set {
    customers: Rows,
    invoices: Rows,
    orders: Rows,
    journals: Rows,
    readme: String,
}

const CUSTOMERS: &str = "ledgerlink-0001-customers.xlsx";
const TRANSACTIONS: &str = "ledgerlink-0001-upload-transactions.xlsx";
const JOURNALS: &str = "ledgerlink-0001-upload-journals.xlsx";

fn good() -> Set {
    let customers = vec![
        vec![S("Customer Name"), S("Account Number"), S("Currency")],
        vec![S("Harbour Plumbing Ltd"), S("1001"), S("NZD")],
        vec![S("Kea Electrical"), S("1002"), S("NZD")],
    ];
    let invoices = vec![
        [
            "Ref #",
            "Customer",
            "Date",
            "Due Date",
            "Status",
            "Currency",
            "Tax Mode",
            "Description",
            "Quantity",
            "Unit Price",
            "Line Tax",
            "Line Amount",
            "Subtotal",
            "Tax Total",
            "Total",
            "Amount Paid",
            "Amount Due",
        ]
        .map(S)
        .to_vec(),
        // J5001, two lines: 100.00 + 50.50 = 150.50; tax 15.00 + 7.58; total 173.08, unpaid.
        vec![
            S("J5001"),
            S("Harbour Plumbing Ltd"),
            D(2026, 11, 2),
            D(2026, 11, 20),
            S("Historical"),
            S("NZD"),
            S("exclusive"),
            S("Service call"),
            N(1.0),
            N(100.0),
            N(15.0),
            N(100.0),
            N(150.5),
            N(22.58),
            N(173.08),
            N(0.0),
            N(173.08),
        ],
        vec![
            S("J5001"),
            S("Harbour Plumbing Ltd"),
            D(2026, 11, 2),
            D(2026, 11, 20),
            S("Historical"),
            S("NZD"),
            S("exclusive"),
            S("Parts"),
            N(1.0),
            N(50.5),
            N(7.58),
            N(50.5),
            N(150.5),
            N(22.58),
            N(173.08),
            N(0.0),
            N(173.08),
        ],
        // J5002, paid: 200.00 + 30.00 tax = 230.00.
        vec![
            S("J5002"),
            S("Kea Electrical"),
            D(2026, 11, 3),
            E,
            S("Historical"),
            S("NZD"),
            S("exclusive"),
            S("Rewire"),
            N(2.0),
            N(100.0),
            N(30.0),
            N(200.0),
            N(200.0),
            N(30.0),
            N(230.0),
            N(230.0),
            N(0.0),
        ],
    ];
    let orders = vec![
        [
            "Ref #",
            "Customer",
            "Date",
            "Status",
            "Description",
            "Quantity",
            "Unit Price",
            "Line Amount",
            "Subtotal",
            "Tax Total",
            "Total",
        ]
        .map(S)
        .to_vec(),
        vec![
            S("J5004"),
            S("Kea Electrical"),
            D(2026, 11, 4),
            S("Open"),
            S("Heat pump install"),
            N(2.0),
            N(60.0),
            N(120.0),
            N(120.0),
            N(18.0),
            N(138.0),
        ],
    ];
    let journals = vec![
        [
            "Journal Ref",
            "Date",
            "Currency",
            "Account",
            "Customer",
            "Debit",
            "Credit",
            "Memo",
        ]
        .map(S)
        .to_vec(),
        vec![
            S("LL-OB-0001-NZD"),
            D(2026, 11, 30),
            S("NZD"),
            S("Accounts Receivable"),
            S("Harbour Plumbing Ltd"),
            N(173.08),
            E,
            S("Opening balance of Harbour Plumbing Ltd: 1 invoice(s) J5001"),
        ],
        vec![
            S("LL-OB-0001-NZD"),
            D(2026, 11, 30),
            S("NZD"),
            S("Migration Control"),
            E,
            E,
            N(173.08),
            S("Opening balance of Harbour Plumbing Ltd: 1 invoice(s) J5001"),
        ],
    ];
    let readme = format!(
        "Upload each export's files in this order:\n\
         Export 1:\n  1. {CUSTOMERS}: 2 customer(s)\n  2. {TRANSACTIONS}: 2 sales invoice(s), 1 sales order(s)\n  \
         3. {JOURNALS}: 1 journal(s)\n       LL-OB-0001-NZD (NZD): debits 173.08 = credits 173.08\n"
    );
    Set {
        customers,
        invoices,
        orders,
        journals,
        readme,
    }
}

impl Set {
    fn write(&self, dir: &Path) {
        write(&dir.join(CUSTOMERS), &[("Customers", &self.customers)]);
        write(
            &dir.join(TRANSACTIONS),
            &[
                ("Sales Invoices", &self.invoices),
                ("Sales Orders", &self.orders),
            ],
        );
        write(&dir.join(JOURNALS), &[("Journals", &self.journals)]);
        std::fs::write(dir.join("README.txt"), &self.readme).unwrap();
    }

    fn check(&self) -> CheckReport {
        let dir = tempfile::tempdir().unwrap();
        self.write(dir.path());
        check_dir(dir.path()).unwrap()
    }
}

/// The index of a header in a sheet's first row.
fn col(rows: &Rows, header: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| matches!(c, S(h) if *h == header))
        .unwrap()
}

/// Set a cell of data row `row` (1 = the first under the header), by header.
fn set(rows: &mut Rows, row: usize, header: &str, cell: C) {
    let c = col(rows, header);
    rows[row][c] = cell;
}

/// The only refusal, checked to be exactly this.
fn only(
    report: &CheckReport,
    file: &str,
    sheet: Option<&str>,
    row: Option<u32>,
    rule: Rule,
) -> Refusal {
    assert_eq!(report.refusals.len(), 1, "{report}");
    let r = report.refusals[0].clone();
    assert_eq!(
        (r.file.as_str(), r.sheet.as_deref(), r.row, r.rule),
        (file, sheet, row, rule),
        "{report}"
    );
    assert!(!report.accepted());
    r
}

#[test]
fn a_good_set_is_accepted() {
    let report = good().check();
    assert!(report.accepted(), "{report}");
    let rows: Vec<(&str, &str, usize)> = report
        .sheets
        .iter()
        .map(|s| (s.file.as_str(), s.sheet.as_str(), s.rows))
        .collect();
    assert_eq!(
        rows,
        [
            (CUSTOMERS, "Customers", 2),
            (TRANSACTIONS, "Sales Invoices", 3),
            (TRANSACTIONS, "Sales Orders", 1),
            (JOURNALS, "Journals", 2),
        ]
    );
    assert!(
        report
            .to_string()
            .contains("Salesorder would accept all 8 row(s) in 4 sheet(s).")
    );
}

#[test]
fn a_missing_required_column_is_refused_at_the_header_row() {
    let mut s = good();
    let status = col(&s.invoices, "Status");
    for row in &mut s.invoices {
        row.remove(status);
    }
    let report = s.check();
    let r = only(
        &report,
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(1),
        Rule::MissingColumn,
    );
    assert_eq!(r.message, "required column(s) missing: Status");
    assert_eq!(report.sheets[1].refused_rows, 3, "every row goes with it");
}

#[test]
fn an_empty_required_cell_is_refused() {
    let mut s = good();
    set(&mut s.customers, 2, "Customer Name", E);
    // Kea Electrical is then unknown too: give its documents to Harbour Plumbing.
    set(&mut s.invoices, 3, "Customer", S("Harbour Plumbing Ltd"));
    set(&mut s.orders, 1, "Customer", S("Harbour Plumbing Ltd"));
    let r = only(
        &s.check(),
        CUSTOMERS,
        Some("Customers"),
        Some(3),
        Rule::MissingValue,
    );
    assert_eq!(r.message, "required value(s) empty: Customer Name");
}

#[test]
fn a_date_as_text_is_refused() {
    let mut s = good();
    set(&mut s.invoices, 3, "Date", S("2026-11-03"));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(4),
        Rule::DateFormat,
    );
    assert_eq!(r.message, "Date \"2026-11-03\" is not a date cell");
}

#[test]
fn an_amount_with_three_decimals_is_refused() {
    let mut s = good();
    set(&mut s.invoices, 2, "Line Amount", N(50.505));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(3),
        Rule::AmountFormat,
    );
    assert_eq!(
        r.message,
        "Line Amount: 50.505 has more than 2 decimal places"
    );
}

#[test]
fn an_amount_as_text_is_refused() {
    let mut s = good();
    set(&mut s.journals, 2, "Credit", S("173.08"));
    let report = s.check();
    let r = only(
        &report,
        JOURNALS,
        Some("Journals"),
        Some(3),
        Rule::AmountFormat,
    );
    assert_eq!(
        r.message,
        "Credit: \"173.08\" is a text cell; amounts must be numeric cells"
    );
}

#[test]
fn a_sales_invoice_not_historical_is_refused() {
    let mut s = good();
    set(&mut s.invoices, 3, "Status", S("Open"));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(4),
        Rule::Status,
    );
    assert_eq!(
        r.message,
        "Status \"Open\": a sales invoice (a posting transaction) must be imported as Historical"
    );
}

#[test]
fn a_sales_order_neither_open_nor_pending_is_refused_and_pending_is_accepted() {
    let mut s = good();
    set(&mut s.orders, 1, "Status", S("Pending"));
    assert!(s.check().accepted());
    set(&mut s.orders, 1, "Status", S("Historical"));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Orders"),
        Some(2),
        Rule::Status,
    );
    assert_eq!(
        r.message,
        "Status \"Historical\": a sales order is imported as Open or Pending"
    );
}

#[test]
fn an_unknown_customer_is_refused_unless_in_the_customers_export() {
    let mut s = good();
    set(&mut s.invoices, 3, "Customer", S("Tui Builders"));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(4),
        Rule::UnknownCustomer,
    );
    assert_eq!(
        r.message,
        "J5002: customer \"Tui Builders\" is in no customers workbook here nor in salesorder-customers-export.xlsx"
    );

    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    let export = vec![
        vec![S("Instructions"), E],
        vec![S("Name"), S("Customer Code")],
        vec![S("Tui Builders"), S("2001")],
    ];
    write(
        &dir.path().join("salesorder-customers-export.xlsx"),
        &[("Export", &export)],
    );
    let report = check_dir(dir.path()).unwrap();
    assert!(report.accepted(), "{report}");
}

#[test]
fn lines_that_do_not_add_up_to_the_totals_are_refused() {
    let mut s = good();
    set(&mut s.invoices, 1, "Subtotal", N(150.51));
    set(&mut s.invoices, 2, "Subtotal", N(150.51));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(2),
        Rule::Totals,
    );
    assert_eq!(
        r.message,
        "J5001 (rows 2-3): the Line Amounts add up to 150.5, Subtotal is 150.51; Subtotal 150.51 + Tax Total 22.58 is not Total 173.08"
    );
}

#[test]
fn a_document_whose_rows_disagree_is_refused() {
    let mut s = good();
    set(&mut s.invoices, 2, "Total", N(173.09));
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(3),
        Rule::Inconsistent,
    );
    assert_eq!(
        r.message,
        "J5001: Total differs from the document's first row (rows 2-3)"
    );
}

#[test]
fn an_unbalanced_journal_is_refused() {
    let mut s = good();
    set(&mut s.journals, 2, "Credit", N(173.07));
    s.readme = s.readme.replace("credits 173.08", "credits 173.07");
    let r = only(
        &s.check(),
        JOURNALS,
        Some("Journals"),
        Some(2),
        Rule::Unbalanced,
    );
    assert_eq!(
        r.message,
        "journal LL-OB-0001-NZD (NZD, rows 2, 3): debits 173.08 ≠ credits 173.07; total debits must equal total credits"
    );
}

#[test]
fn a_journal_line_with_neither_debit_nor_credit_is_refused() {
    let mut s = good();
    let mut line = s.journals[2].clone();
    line[col(&s.journals, "Credit")] = E;
    s.journals.push(line);
    let r = only(
        &s.check(),
        JOURNALS,
        Some("Journals"),
        Some(4),
        Rule::MissingValue,
    );
    assert_eq!(r.message, "a journal line needs a Debit or a Credit");
}

#[test]
fn a_ref_used_twice_in_a_sheet_is_refused() {
    let mut s = good();
    let mut again = s.invoices[1].clone();
    again[col(&s.invoices, "Customer")] = S("Kea Electrical");
    for (h, v) in [
        ("Subtotal", 100.0),
        ("Tax Total", 15.0),
        ("Total", 115.0),
        ("Amount Paid", 0.0),
        ("Amount Due", 115.0),
    ] {
        again[col(&s.invoices, h)] = N(v);
    }
    s.invoices.push(again);
    let r = only(
        &s.check(),
        TRANSACTIONS,
        Some("Sales Invoices"),
        Some(5),
        Rule::DuplicateRef,
    );
    assert_eq!(
        r.message,
        "Ref # J5001 is already a document at row 2: Ref # is a document's unique id"
    );
}

#[test]
fn a_sales_invoice_written_again_by_a_later_export_is_refused_a_sales_order_is_an_update() {
    let s = good();
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    let second = "ledgerlink-0002-upload-transactions.xlsx";
    let j5001: Rows = s.invoices[..3].to_vec();
    write(
        &dir.path().join(second),
        &[("Sales Invoices", &j5001), ("Sales Orders", &s.orders)],
    );
    std::fs::write(
        dir.path().join("README.txt"),
        format!("{}Export 2:\n  2. {second}\n", s.readme),
    )
    .unwrap();
    let report = check_dir(dir.path()).unwrap();
    let r = only(
        &report,
        second,
        Some("Sales Invoices"),
        Some(2),
        Rule::DuplicateRef,
    );
    assert_eq!(
        r.message,
        format!(
            "Ref # J5001 is already a sales invoice in {TRANSACTIONS} row 2: a Historical invoice is imported once"
        )
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("sales order J5004 updates the one in")),
        "{report}"
    );
}

#[test]
fn a_customer_of_a_later_export_is_not_there_yet() {
    let mut s = good();
    s.customers.truncate(2);
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    let later = "ledgerlink-0002-customers.xlsx";
    let kea = vec![
        vec![S("Customer Name"), S("Account Number")],
        vec![S("Kea Electrical"), S("1002")],
    ];
    write(&dir.path().join(later), &[("Customers", &kea)]);
    std::fs::write(
        dir.path().join("README.txt"),
        format!("{}Export 2:\n  1. {later}\n", s.readme),
    )
    .unwrap();
    let report = check_dir(dir.path()).unwrap();
    let refused: Vec<_> = report
        .of(Rule::UnknownCustomer)
        .iter()
        .map(|r| (r.sheet.clone().unwrap(), r.row.unwrap()))
        .collect();
    assert_eq!(
        refused,
        [
            ("Sales Invoices".to_owned(), 4),
            ("Sales Orders".to_owned(), 2)
        ],
        "{report}"
    );
    assert!(
        report.refusals[0].message.ends_with(&format!(
            "is first in {later}, an export uploaded after this one"
        )),
        "{report}"
    );
}

#[test]
fn a_readme_listing_journals_before_transactions_is_refused() {
    let mut s = good();
    s.readme = format!(
        "Export 1:\n  1. {CUSTOMERS}\n  2. {JOURNALS}\n  3. {TRANSACTIONS}\n       LL-OB-0001-NZD (NZD): debits 173.08 = credits 173.08\n"
    );
    let r = only(&s.check(), "README.txt", None, Some(3), Rule::UploadOrder);
    assert_eq!(
        r.message,
        format!(
            "{JOURNALS} is listed before {TRANSACTIONS} (line 4); upload customers, then upload-transactions, then upload-journals, exports in number order"
        )
    );
}

#[test]
fn a_missing_readme_and_a_readme_total_unlike_the_workbook_are_refused() {
    let s = good();
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    std::fs::remove_file(dir.path().join("README.txt")).unwrap();
    let report = check_dir(dir.path()).unwrap();
    let r = only(&report, "README.txt", None, None, Rule::UploadOrder);
    assert_eq!(r.message, "missing: nothing states the upload order");

    let mut s = good();
    s.readme = s.readme.replace("= credits 173.08", "= credits 173.00");
    let r = only(&s.check(), "README.txt", None, Some(6), Rule::UploadOrder);
    assert_eq!(
        r.message,
        "journal LL-OB-0001-NZD (NZD): README says debits 173.08 = credits 173.00, the workbook has 173.08 and 173.08"
    );
}

#[test]
fn an_admin_template_s_headers_are_found_by_name() {
    let mut s = good();
    // An instructions line above the header, `*`-marked and `$`-prefixed headers.
    s.customers[0][0] = S("Company Name*");
    s.customers
        .insert(0, vec![S("Fill one row per customer"), E, E]);
    let status = col(&s.invoices, "Status");
    s.invoices[0][status] = S("$Status");
    let report = s.check();
    assert!(report.accepted(), "{report}");
}

#[test]
fn an_unreadable_workbook_is_refused_and_a_missing_folder_is_an_error() {
    let s = good();
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    std::fs::write(dir.path().join(JOURNALS), b"not a zip").unwrap();
    let report = check_dir(dir.path()).unwrap();
    assert!(
        report
            .refusals
            .iter()
            .any(|r| r.file == JOURNALS && r.rule == Rule::Unreadable),
        "{report}"
    );
    assert!(check_dir(&dir.path().join("nowhere")).is_err());
}
