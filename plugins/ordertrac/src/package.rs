//! The file layer, in one module: the import package ledgerlink writes for OrderTrac's
//! migration service (CSV files, `README.txt`, `ordertrac-manifest.json`) and the OrderTrac
//! CSV exports it reads back for reconciliation. A future OrderTrac API replaces this module
//! only. The layout is ledgerlink's (docs/ordertrac-package.md), not an OrderTrac format.
//!
//! Pure: bytes in, bytes out; `lib.rs` does the host calls.

use std::collections::BTreeMap;

use ledgerlink_sdk::Decimal;
use serde::Serialize;

use crate::state::{DocType, State, sha256_hex};
use crate::tax::ADJUSTMENT;

pub const CUSTOMERS_FILE: &str = "ordertrac-customers.csv";
pub const ORDERS_FILE: &str = "ordertrac-sales-orders.csv";
pub const QUOTES_FILE: &str = "ordertrac-quotes.csv";
pub const MANIFEST_FILE: &str = "ordertrac-manifest.json";
pub const README_FILE: &str = "README.txt";
/// Where the admin drops the CSV reports downloaded from OrderTrac.
pub const EXPORTS_FOLDER: &str = "exports";

pub const DESCRIPTION: &str = "An import package for OrderTrac web's migration service, written by ledgerlink. The layout is ledgerlink's (docs/ordertrac-package.md), prepared for OrderTrac's migration staff; it is not an OrderTrac-published import format.";

pub const CUSTOMER_COLUMNS: [&str; 15] = [
    "Customer ID",
    "Name",
    "Contact",
    "Email",
    "Phone",
    "Tax Number",
    "Address Line 1",
    "Address Line 2",
    "City",
    "Region",
    "Postal Code",
    "Country",
    "Currency",
    "Active",
    "Tracker Pro Key",
];

pub const ORDER_COLUMNS: [&str; 26] = [
    "Document Type",
    "Reference",
    "Converted From Quote",
    "Customer ID",
    "Customer Name",
    "Order Date",
    "Due Date",
    "Currency",
    "Memo",
    "Line No",
    "Item Code",
    "Description",
    "Quantity",
    "Unit Price",
    "Line Amount",
    "Tax Code",
    "Tax Rate",
    "Line Tax",
    "Taxable",
    "Order Subtotal",
    "Order Tax",
    "Order Total",
    "Amount Paid",
    "Balance Due",
    "Tracker Pro Kind",
    "Tracker Pro Key",
];

/// The columns of OrderTrac's sales-order report export this connector reads.
pub const EXPORT_ORDER_COLUMNS: [&str; 13] = [
    "Order #",
    "Type",
    "Status",
    "Reference",
    "Customer",
    "Date",
    "Item",
    "Description",
    "Qty",
    "Price",
    "Tax Rate",
    "Tax",
    "Total",
];

/// The columns of OrderTrac's customers report export this connector reads (customers are
/// matched to the package's by name, as OrderTrac's migration matches them).
pub const EXPORT_CUSTOMER_COLUMNS: [&str; 4] = ["Customer #", "Name", "Email", "Phone"];

/// A written file of the package, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    pub name: String,
    pub rows: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestDocument {
    pub document_type: &'static str,
    pub reference: String,
    pub customer_id: String,
    pub converted_from_quote: Option<String>,
    /// Tracker Pro's tax mode: `exclusive`, `inclusive` (Line Tax is the tax inside the
    /// gross amount) or `none`.
    pub tax_mode: String,
    pub lines: usize,
    pub source_subtotal: String,
    pub source_tax: String,
    pub subtotal: String,
    pub tax: String,
    pub adjustment: Option<String>,
    pub total: String,
    pub amount_paid: String,
    pub balance_due: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: u32,
    pub description: &'static str,
    pub environment: String,
    pub environment_host: String,
    pub files: Vec<FileEntry>,
    pub counts: BTreeMap<&'static str, usize>,
    pub totals: BTreeMap<String, String>,
    pub adjustments: Vec<(String, String)>,
    pub documents: Vec<ManifestDocument>,
}

/// The package: each file's name and bytes, manifest last.
pub fn render(state: &State, host: &str) -> Vec<(String, Vec<u8>)> {
    let mut customers = Vec::with_capacity(state.customers.len());
    for (id, e) in &state.customers {
        let c = &e.customer;
        let mut row = vec![
            id.clone(),
            c.name.clone(),
            opt(&c.contact),
            opt(&c.email),
            opt(&c.phone),
            opt(&c.tax_number),
        ];
        for i in 0..6 {
            row.push(c.address.get(i).cloned().flatten().unwrap_or_default());
        }
        row.push(opt(&c.currency));
        row.push(if c.active { "yes" } else { "no" }.into());
        row.push(e.key.clone());
        customers.push(row);
    }
    let mut orders = Vec::new();
    let mut quotes = Vec::new();
    let mut docs = Vec::new();
    let mut adjustments = Vec::new();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for (_, e) in state.live() {
        let d = &e.document;
        let m = &d.money;
        let rows = if d.doc_type == DocType::Quote {
            &mut quotes
        } else {
            &mut orders
        };
        let head = |line_no: usize| -> Vec<String> {
            vec![
                d.doc_type.label().to_owned(),
                d.number.clone(),
                e.converted_from
                    .as_ref()
                    .map(|_| d.number.clone())
                    .unwrap_or_default(),
                d.customer_id.clone(),
                d.customer_name.clone(),
                d.issue_date.clone(),
                opt(&d.due_date),
                d.currency.clone(),
                opt(&d.memo),
                line_no.to_string(),
            ]
        };
        let tail = || -> Vec<String> {
            vec![
                m.subtotal.clone(),
                m.tax.clone(),
                m.total.clone(),
                m.amount_paid.clone(),
                m.balance_due.clone(),
                d.kind.clone(),
                e.key.clone(),
            ]
        };
        for (n, l) in m.lines.iter().enumerate() {
            let mut row = head(n + 1);
            row.extend([
                opt(&l.item_code),
                l.description.clone(),
                l.quantity.clone(),
                l.unit_price.clone(),
                l.net.clone(),
                opt(&l.tax_code),
                l.rate.clone(),
                l.tax.clone(),
                "yes".into(),
            ]);
            row.extend(tail());
            rows.push(row);
        }
        if let Some(a) = &m.adjustment {
            let mut row = head(m.lines.len() + 1);
            row.extend([
                String::new(),
                ADJUSTMENT.to_owned(),
                "1".into(),
                a.clone(),
                a.clone(),
                String::new(),
                "0".into(),
                "0.00".into(),
                "no".into(),
            ]);
            row.extend(tail());
            rows.push(row);
            adjustments.push((d.number.clone(), a.clone()));
        }
        *totals
            .entry(format!("{} {}", d.doc_type.label(), d.currency))
            .or_default() += dec(&m.total);
        docs.push(ManifestDocument {
            document_type: d.doc_type.label(),
            reference: d.number.clone(),
            customer_id: d.customer_id.clone(),
            converted_from_quote: e.converted_from.clone(),
            tax_mode: d.tax_mode.clone(),
            lines: m.lines.len() + usize::from(m.adjustment.is_some()),
            source_subtotal: d.source_subtotal.clone(),
            source_tax: d.source_tax.clone(),
            subtotal: m.subtotal.clone(),
            tax: m.tax.clone(),
            adjustment: m.adjustment.clone(),
            total: m.total.clone(),
            amount_paid: m.amount_paid.clone(),
            balance_due: m.balance_due.clone(),
        });
    }
    let files = vec![
        (
            CUSTOMERS_FILE,
            csv_bytes(&CUSTOMER_COLUMNS, &customers),
            customers.len(),
        ),
        (
            ORDERS_FILE,
            csv_bytes(&ORDER_COLUMNS, &orders),
            orders.len(),
        ),
        (
            QUOTES_FILE,
            csv_bytes(&ORDER_COLUMNS, &quotes),
            quotes.len(),
        ),
    ];
    let mut counts = BTreeMap::new();
    counts.insert("customers", customers.len());
    counts.insert(
        "sales_orders",
        docs.iter()
            .filter(|d| d.document_type == "Sales Order")
            .count(),
    );
    counts.insert(
        "quotes",
        docs.iter().filter(|d| d.document_type == "Quote").count(),
    );
    counts.insert("adjustment_lines", adjustments.len());
    let readme = readme(state, host, &counts, &adjustments);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut entries = Vec::new();
    for (name, bytes, rows) in files {
        entries.push(FileEntry {
            name: name.to_owned(),
            rows,
            sha256: sha256_hex(&bytes),
        });
        out.push((name.to_owned(), bytes));
    }
    entries.push(FileEntry {
        name: README_FILE.to_owned(),
        rows: 0,
        sha256: sha256_hex(readme.as_bytes()),
    });
    out.push((README_FILE.to_owned(), readme.into_bytes()));
    let manifest = Manifest {
        format: 1,
        description: DESCRIPTION,
        environment: state.environment.clone(),
        environment_host: host.to_owned(),
        files: entries,
        counts,
        totals: totals
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        adjustments,
        documents: docs,
    };
    // Plain structs of strings and numbers always serialize.
    out.push((
        MANIFEST_FILE.to_owned(),
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    ));
    out
}

fn readme(
    state: &State,
    host: &str,
    counts: &BTreeMap<&'static str, usize>,
    adjustments: &[(String, String)],
) -> String {
    let mut s = format!(
        "OrderTrac web import package — for the {env} environment ({host})\n\
         =====================================================================\n\n\
         {DESCRIPTION}\n\n\
         Send this folder's files to OrderTrac's migration service and ask them to load it into\n\
         your {env} account ({host}). Test first on preview; make a new ledgerlink connection\n\
         with environment=production for the real migration.\n\n\
         Files\n\
         - {CUSTOMERS_FILE}: {c} customer(s), one row each.\n\
         - {ORDERS_FILE}: {o} sales order(s), one row per line, the order's fields repeated.\n\
         - {QUOTES_FILE}: {q} quote(s) (open jobs), same layout.\n\
         - {MANIFEST_FILE}: counts, totals per document, SHA-256 of every file.\n\n\
         Tax: every line is taxed with its own rate and rounded on the line, as OrderTrac web does.\n\
         Where that does not give Tracker Pro's total, the order has one untaxed line\n\
         \"{ADJUSTMENT}\" so its subtotal and balance due equal Tracker Pro's.\n",
        env = state.environment,
        c = counts["customers"],
        o = counts["sales_orders"],
        q = counts["quotes"],
    );
    s += &format!("\nOrders with an adjustment line: {}\n", adjustments.len());
    for (r, a) in adjustments {
        s += &format!("- {r}: {a}\n");
    }
    s += &format!(
        "\nAfter the import: download the Sales Orders report from OrderTrac as CSV and drop it into\n\
         {EXPORTS_FOLDER}/ here; `ledgerlink compare-invoices` then shows what arrived.\n"
    );
    s
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or(Decimal::ZERO)
}

fn csv_bytes<const N: usize>(header: &[&str; N], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// One line of an order as OrderTrac's export shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLine {
    pub item: String,
    pub description: String,
    pub qty: String,
    pub price: String,
    pub rate: String,
    pub tax: String,
    pub total: String,
}

/// An order (or quote) as OrderTrac's sales-order export shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOrder {
    pub order_no: String,
    pub doc_type: String,
    pub status: String,
    pub reference: String,
    pub customer: String,
    pub date: String,
    pub lines: Vec<ExportLine>,
    /// Where it was read (file, first row), for messages.
    pub at: String,
}

/// Why an export cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError(pub String);

/// A customer as OrderTrac's customers report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCustomer {
    /// OrderTrac's own customer number (`Customer #`).
    pub number: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// Where it was read (file and row), for messages.
    pub at: String,
}

/// One report read from `exports/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Orders(Vec<ExportOrder>),
    Customers(Vec<ExportCustomer>),
}

/// A CSV's header, trimmed (and without a byte-order mark), and where each wanted column is.
struct Columns {
    header: Vec<String>,
}

impl Columns {
    fn position(&self, column: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column))
    }

    /// Where each of `wanted` is, or the ones missing.
    fn find<'a>(&self, wanted: &[&'a str]) -> Result<BTreeMap<&'a str, usize>, Vec<&'a str>> {
        let mut at = BTreeMap::new();
        let mut missing = Vec::new();
        for c in wanted {
            match self.position(c) {
                Some(i) => {
                    at.insert(*c, i);
                }
                None => missing.push(*c),
            }
        }
        if missing.is_empty() {
            Ok(at)
        } else {
            Err(missing)
        }
    }
}

/// Read one export: a sales-order report or a customers report, told apart by their
/// columns; any other CSV is refused, naming the columns it lacks and those expected.
pub fn read_report(name: &str, bytes: &[u8]) -> Result<Report, ExportError> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let columns = Columns {
        header: r
            .headers()
            .map_err(|e| ExportError(format!("{name}: not a CSV file: {e}")))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect(),
    };
    let at = match columns.find(&EXPORT_ORDER_COLUMNS) {
        Ok(at) => at,
        Err(missing) => {
            return match columns.find(&EXPORT_CUSTOMER_COLUMNS) {
                Ok(at) => read_customers(name, r, &at).map(Report::Customers),
                Err(_) => Err(ExportError(format!(
                    "{name} is not an OrderTrac export this connector recognises: it lacks {}; expected a sales-order report with the columns {} or a customers report with the columns {} (download it from OrderTrac as CSV, or move the file out of {EXPORTS_FOLDER}/)",
                    missing.join(", "),
                    EXPORT_ORDER_COLUMNS.join(", "),
                    EXPORT_CUSTOMER_COLUMNS.join(", ")
                ))),
            };
        }
    };
    let mut orders: Vec<ExportOrder> = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| ExportError(format!("{name} row {}: {e}", n + 2)))?;
        let get = |c: &str| rec.get(at[c]).unwrap_or("").trim().to_owned();
        let line = ExportLine {
            item: get("Item"),
            description: get("Description"),
            qty: get("Qty"),
            price: get("Price"),
            rate: get("Tax Rate"),
            tax: get("Tax"),
            total: get("Total"),
        };
        let order_no = get("Order #");
        match orders.last_mut() {
            Some(o) if o.order_no == order_no => o.lines.push(line),
            _ => orders.push(ExportOrder {
                order_no,
                doc_type: get("Type"),
                status: get("Status"),
                reference: get("Reference"),
                customer: get("Customer"),
                date: get("Date"),
                lines: vec![line],
                at: format!("{name} row {}", n + 2),
            }),
        }
    }
    Ok(Report::Orders(orders))
}

/// The rows of a customers report. A row without a customer number or a name, or a
/// number given twice, is refused naming the row: a report is OrderTrac's own download, so
/// a damaged one is better downloaded again than half read.
fn read_customers(
    name: &str,
    mut r: csv::Reader<&[u8]>,
    at: &BTreeMap<&str, usize>,
) -> Result<Vec<ExportCustomer>, ExportError> {
    let mut out: Vec<ExportCustomer> = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let row = n + 2;
        let rec = rec.map_err(|e| ExportError(format!("{name} row {row}: {e}")))?;
        let get = |c: &str| rec.get(at[c]).unwrap_or("").trim().to_owned();
        let c = ExportCustomer {
            number: get("Customer #"),
            name: get("Name"),
            email: get("Email"),
            phone: get("Phone"),
            at: format!("{name} row {row}"),
        };
        if c.number.is_empty() || c.name.is_empty() {
            return Err(ExportError(format!(
                "{name} row {row}: a customer needs both Customer # and Name; download the customers report from OrderTrac again"
            )));
        }
        if let Some(first) = out.iter().find(|o| o.number == c.number) {
            return Err(ExportError(format!(
                "{name} row {row}: customer # {} is also on {}; download the customers report from OrderTrac again",
                c.number, first.at
            )));
        }
        out.push(c);
    }
    Ok(out)
}

/// Whether an export status means OrderTrac takes no change to the order.
pub fn is_locked_status(status: &str) -> bool {
    matches!(
        status.trim().to_lowercase().as_str(),
        "completed" | "complete" | "picked"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customers_report_is_read_row_by_row() {
        let csv = "\u{feff}Customer #,Name,Email,Phone,Balance\n5001,Acme Ltd,ap@acme.example,,12.50\n5002, Bolt & Co ,,+64 9 555 0101,0\n";
        let Ok(Report::Customers(rows)) = read_report("exports/c.csv", csv.as_bytes()) else {
            panic!("not read as a customers report");
        };
        assert_eq!(
            rows,
            [
                ExportCustomer {
                    number: "5001".into(),
                    name: "Acme Ltd".into(),
                    email: "ap@acme.example".into(),
                    phone: String::new(),
                    at: "exports/c.csv row 2".into(),
                },
                ExportCustomer {
                    number: "5002".into(),
                    name: "Bolt & Co".into(),
                    email: String::new(),
                    phone: "+64 9 555 0101".into(),
                    at: "exports/c.csv row 3".into(),
                },
            ]
        );
    }

    #[test]
    fn a_damaged_customers_report_is_refused_naming_the_row() {
        let twice = "Customer #,Name,Email,Phone\n5001,Acme Ltd,,\n5001,Acme Two,,\n";
        assert_eq!(
            read_report("exports/c.csv", twice.as_bytes()),
            Err(ExportError(
                "exports/c.csv row 3: customer # 5001 is also on exports/c.csv row 2; download the customers report from OrderTrac again".into()
            ))
        );
        let nameless = "Customer #,Name,Email,Phone\n5001,,a@b.example,\n";
        assert_eq!(
            read_report("exports/c.csv", nameless.as_bytes()),
            Err(ExportError(
                "exports/c.csv row 2: a customer needs both Customer # and Name; download the customers report from OrderTrac again".into()
            ))
        );
    }

    #[test]
    fn an_unknown_csv_is_refused_listing_both_reports_columns() {
        let Err(ExportError(e)) = read_report("exports/x.csv", b"a,b\n1,2\n") else {
            panic!("an unknown CSV was read");
        };
        assert!(
            e.starts_with("exports/x.csv is not an OrderTrac export this connector recognises: it lacks Order #, Type,"),
            "{e}"
        );
        assert!(
            e.contains("a customers report with the columns Customer #, Name, Email, Phone"),
            "{e}"
        );
    }
}
