//! From the state to the sheets of one export: the customers, the transactions (Historical
//! sales invoices; Open/Pending sales orders) and the opening-balance journals, each in the
//! columns its template resolved to (see [`crate::layout`]), one row per document line.
//!
//! The journal is built here from the whole export: per currency, per customer, the sum of
//! the outstanding balances of that customer's invoices written in the export, one line
//! against the customer (Accounts Receivable: debit, or credit when it nets negative) and
//! its pair against the Migration Control account. Each journal is checked to balance to
//! the cent before any file is written.

use std::collections::BTreeMap;

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::error;
use ledgerlink_sdk::types::ConnectorError;

use crate::layout::{Layouts, Resolved};
use crate::sheet::{Cell, Sheet};
use crate::state::{KnownCustomer, State, stored_decimal};
use crate::stored::{StoredCustomer, StoredInvoice, StoredLine};

/// The file name of `template` (`customers`, `upload-transactions`, `upload-journals`) in
/// export `n`: `ledgerlink-0001-customers.xlsx`.
pub fn file_name(n: u32, template: &str) -> String {
    format!("ledgerlink-{n:04}-{template}.xlsx")
}

/// The three workbooks, in upload order: (template file stem, sheets).
pub const WORKBOOKS: [(&str, &[&str]); 3] = [
    ("customers", &["customers"]),
    ("upload-transactions", &["sales-invoices", "sales-orders"]),
    ("upload-journals", &["journals"]),
];

/// A customer's aggregated balance and the invoice numbers it sums.
type Owed = (Decimal, Vec<String>);

/// A sheet's tab name and its resolved columns.
pub type SheetColumns = (String, Vec<Resolved>);

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub reference: String,
    pub date: String,
    pub currency: String,
    pub account: String,
    pub customer: Option<String>,
    pub debit: Option<Decimal>,
    pub credit: Option<Decimal>,
    pub memo: String,
}

/// Totals of one journal, for the README and the balance check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalTotal {
    pub reference: String,
    pub currency: String,
    pub debits: Decimal,
    pub credits: Decimal,
}

/// What the journals of export `n` need besides the state.
pub struct JournalSettings<'a> {
    pub date: &'a str,
    pub receivables: &'a str,
    pub control: &'a str,
}

/// The journal lines of export `n`: per currency (one journal each), per customer with a
/// non-zero aggregated outstanding balance, a customer line and its Migration Control pair.
pub fn journal(
    state: &State,
    n: u32,
    js: &JournalSettings<'_>,
) -> Result<(Vec<JournalLine>, Vec<JournalTotal>), ConnectorError> {
    // currency → customer name+id → (sum, numbers)
    let mut by: BTreeMap<String, BTreeMap<(String, String), Owed>> = BTreeMap::new();
    for d in state
        .documents
        .values()
        .filter(|d| d.export == n && d.invoice.kind != "order")
    {
        let owed = stored_decimal(&d.outstanding);
        if owed.is_zero() {
            continue;
        }
        let slot = by
            .entry(d.invoice.currency.to_uppercase())
            .or_default()
            .entry((
                d.invoice.customer_name.clone(),
                d.invoice.customer_id.clone(),
            ))
            .or_default();
        slot.0 += owed;
        slot.1.push(d.invoice.number.clone());
    }
    let mut lines = Vec::new();
    let mut totals = Vec::new();
    for (currency, customers) in by {
        let reference = format!("LL-OB-{n:04}-{currency}");
        let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
        for ((name, _), (sum, numbers)) in customers {
            if sum.is_zero() {
                continue;
            }
            let memo = format!(
                "Opening balance of {name}: {} invoice(s) {}",
                numbers.len(),
                numbers.join(", ")
            );
            let amount = sum.abs();
            let (customer_side, control_side) = if sum > Decimal::ZERO {
                ((Some(amount), None), (None, Some(amount)))
            } else {
                ((None, Some(amount)), (Some(amount), None))
            };
            for (account, customer, (debit, credit)) in [
                (js.receivables, Some(name.clone()), customer_side),
                (js.control, None, control_side),
            ] {
                debits += debit.unwrap_or_default();
                credits += credit.unwrap_or_default();
                lines.push(JournalLine {
                    reference: reference.clone(),
                    date: js.date.to_owned(),
                    currency: currency.clone(),
                    account: account.to_owned(),
                    customer,
                    debit,
                    credit,
                    memo: memo.clone(),
                });
            }
        }
        if debits.round_dp(2) != credits.round_dp(2) {
            return Err(error::validation(format!(
                "journal {reference} does not balance: debits {debits}, credits {credits}; nothing was written"
            )));
        }
        totals.push(JournalTotal {
            reference,
            currency,
            debits,
            credits,
        });
    }
    Ok((lines, totals))
}

/// The sheets of workbook `stem` of export `n`, each in its resolved columns.
pub fn sheets(
    stem: &str,
    state: &State,
    n: u32,
    columns: &dyn Fn(&str) -> Result<SheetColumns, ConnectorError>,
    known: &[KnownCustomer],
    journal_lines: &[JournalLine],
) -> Result<Vec<Sheet>, ConnectorError> {
    let mut out = Vec::new();
    for (_, ids) in WORKBOOKS.iter().filter(|(s, _)| *s == stem) {
        for id in *ids {
            let (name, cols) = columns(id)?;
            let headers = cols.iter().map(|c| c.header.clone()).collect();
            let rows: Vec<Vec<Cell>> = match *id {
                "customers" => state
                    .customers
                    .iter()
                    .filter(|(_, e)| e.export == n)
                    .map(|(cid, e)| row(&cols, |f| customer_cell(f, cid, &e.key, &e.customer)))
                    .collect(),
                "sales-invoices" | "sales-orders" => {
                    let want_order = *id == "sales-orders";
                    let mut rows = Vec::new();
                    for d in state
                        .documents
                        .values()
                        .filter(|d| d.export == n && (d.invoice.kind == "order") == want_order)
                    {
                        let account = state
                            .customer(&d.invoice.customer_id, known)
                            .and_then(|c| c.account_number.clone());
                        rows.extend(document_rows(
                            &d.invoice,
                            &d.status,
                            account.as_deref(),
                            &cols,
                        ));
                    }
                    rows
                }
                _ => journal_lines
                    .iter()
                    .map(|l| row(&cols, |f| journal_cell(f, l)))
                    .collect(),
            };
            out.push(Sheet {
                name,
                headers,
                rows,
            });
        }
    }
    Ok(out)
}

fn row(cols: &[Resolved], cell: impl Fn(&str) -> Cell) -> Vec<Cell> {
    cols.iter()
        .map(|c| c.field.as_deref().map_or(Cell::Empty, &cell))
        .collect()
}

/// A document's rows: one per line, the document's own columns repeated on each (one row
/// with empty line cells when it has no lines).
pub fn document_rows(
    doc: &StoredInvoice,
    status: &str,
    account: Option<&str>,
    cols: &[Resolved],
) -> Vec<Vec<Cell>> {
    if doc.lines.is_empty() {
        return vec![row(cols, |f| document_cell(f, doc, status, account, None))];
    }
    doc.lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            row(cols, |f| {
                document_cell(f, doc, status, account, Some((n, l)))
            })
        })
        .collect()
}

/// Refuse a document any of whose cells cannot be written (a number no spreadsheet cell
/// holds exactly, a bad date): per record, before anything is written.
pub fn check_document(doc: &StoredInvoice, status: &str) -> Result<(), ConnectorError> {
    let layouts = Layouts::shipped().map_err(|e| error::validation(e.to_string()))?;
    let id = if doc.kind == "order" {
        "sales-orders"
    } else {
        "sales-invoices"
    };
    let cols = layouts
        .resolve(id, None)
        .map_err(|e| error::validation(e.to_string()))?;
    let sheet = Sheet {
        name: String::new(),
        headers: Vec::new(),
        rows: document_rows(doc, status, None, &cols),
    };
    crate::sheet::check(&[sheet]).map_err(|e| error::validation(format!("{}: {e}", doc.number)))
}

fn money(v: &str) -> Cell {
    Cell::Money(stored_decimal(v))
}

fn number(v: &str) -> Cell {
    Cell::Number(stored_decimal(v))
}

fn opt(v: &Option<String>, f: fn(&str) -> Cell) -> Cell {
    v.as_deref().map_or(Cell::Empty, f)
}

fn document_cell(
    field: &str,
    d: &StoredInvoice,
    status: &str,
    account: Option<&str>,
    line: Option<(usize, &StoredLine)>,
) -> Cell {
    let l = line.map(|(_, l)| l);
    match field {
        "doc.ref" | "doc.tracker-pro-number" => Cell::Text(d.number.clone()),
        "doc.customer" => Cell::Text(d.customer_name.clone()),
        "doc.customer-account" => Cell::text(account),
        "doc.date" => Cell::Date(d.issue_date.clone()),
        "doc.due-date" => d.due_date.clone().map_or(Cell::Empty, Cell::Date),
        "doc.status" => Cell::Text(status.to_owned()),
        "doc.currency" => Cell::Text(d.currency.clone()),
        "doc.reference" => Cell::text(d.reference.as_deref()),
        "doc.memo" => Cell::text(d.memo.as_deref()),
        "doc.tax-mode" => Cell::Text(d.tax_mode.clone()),
        "doc.subtotal" => money(&d.subtotal),
        "doc.tax-total" => money(&d.tax_total),
        "doc.total" => money(&d.total),
        "doc.amount-paid" => opt(&d.amount_paid, money),
        "doc.amount-due" => opt(&d.amount_due, money),
        "doc.source" => Cell::Text(d.kind.clone()),
        "line.number" => line.map_or(Cell::Empty, |(n, _)| Cell::Number(Decimal::from(n + 1))),
        "line.item" => l.map_or(Cell::Empty, |l| Cell::text(l.item_code.as_deref())),
        "line.description" => l.map_or(Cell::Empty, |l| Cell::Text(l.description.clone())),
        "line.quantity" => l.map_or(Cell::Empty, |l| number(&l.quantity)),
        "line.unit-price" => l.map_or(Cell::Empty, |l| number(&l.unit_price)),
        "line.discount" => l.map_or(Cell::Empty, |l| opt(&l.discount_percent, number)),
        "line.account" => l.map_or(Cell::Empty, |l| Cell::text(l.account_code.as_deref())),
        "line.tax-code" => l.map_or(Cell::Empty, |l| Cell::text(l.tax_code.as_deref())),
        "line.tax-rate" => l.map_or(Cell::Empty, |l| opt(&l.tax_rate, number)),
        "line.tax-amount" => l.map_or(Cell::Empty, |l| opt(&l.tax_amount, money)),
        "line.amount" => l.map_or(Cell::Empty, |l| money(&l.amount)),
        _ => Cell::Empty,
    }
}

fn customer_cell(field: &str, _id: &str, key: &str, c: &StoredCustomer) -> Cell {
    let part = |a: &Option<crate::stored::StoredAddress>,
                f: fn(&crate::stored::StoredAddress) -> &Option<String>| {
        a.as_ref()
            .map_or(Cell::Empty, |a| Cell::text(f(a).as_deref()))
    };
    match field {
        "customer.name" => Cell::Text(c.name.clone()),
        "customer.account-number" => Cell::text(c.account_number.as_deref()),
        "customer.currency" => Cell::text(c.currency.as_deref()),
        "customer.contact-name" => Cell::text(c.contact_name.as_deref()),
        "customer.email" => Cell::text(c.email.as_deref()),
        "customer.phone" => Cell::text(c.phone.as_deref()),
        "customer.tax-number" => Cell::text(c.tax_number.as_deref()),
        "customer.active" => Cell::Text(if c.active { "Yes" } else { "No" }.to_owned()),
        "customer.tracker-pro-id" => Cell::Text(key.to_owned()),
        "customer.billing.line1" => part(&c.billing_address, |a| &a.line1),
        "customer.billing.line2" => part(&c.billing_address, |a| &a.line2),
        "customer.billing.city" => part(&c.billing_address, |a| &a.city),
        "customer.billing.region" => part(&c.billing_address, |a| &a.region),
        "customer.billing.postal-code" => part(&c.billing_address, |a| &a.postal_code),
        "customer.billing.country" => part(&c.billing_address, |a| &a.country),
        "customer.shipping.line1" => part(&c.shipping_address, |a| &a.line1),
        "customer.shipping.line2" => part(&c.shipping_address, |a| &a.line2),
        "customer.shipping.city" => part(&c.shipping_address, |a| &a.city),
        "customer.shipping.region" => part(&c.shipping_address, |a| &a.region),
        "customer.shipping.postal-code" => part(&c.shipping_address, |a| &a.postal_code),
        "customer.shipping.country" => part(&c.shipping_address, |a| &a.country),
        _ => Cell::Empty,
    }
}

fn journal_cell(field: &str, l: &JournalLine) -> Cell {
    match field {
        "journal.ref" => Cell::Text(l.reference.clone()),
        "journal.date" => Cell::Date(l.date.clone()),
        "journal.currency" => Cell::Text(l.currency.clone()),
        "journal.account" => Cell::Text(l.account.clone()),
        "journal.customer" => Cell::text(l.customer.as_deref()),
        "journal.debit" => l.debit.map_or(Cell::Empty, Cell::Money),
        "journal.credit" => l.credit.map_or(Cell::Empty, Cell::Money),
        "journal.memo" => Cell::Text(l.memo.clone()),
        _ => Cell::Empty,
    }
}

/// `README.txt`: every export, its files in upload order, what each holds, and the journals'
/// totals.
pub fn readme(
    state: &State,
    journals: &BTreeMap<u32, Vec<JournalTotal>>,
    templates_note: &str,
) -> String {
    let mut t = String::from(
        "Salesorder upload files written by ledgerlink\n\
         =============================================\n\n\
         Upload each export's files in Salesorder (Setup > Import Data) in this order:\n\
         \x20 1. customers            -> the Customers template\n\
         \x20 2. upload-transactions  -> Upload Transactions (Sales Invoices: Status Historical;\n\
         \x20                            Sales Orders: Status Open or Pending)\n\
         \x20 3. upload-journals      -> Upload Journals (opening balances per customer;\n\
         \x20                            each journal's debits equal its credits)\n\
         Upload exports in number order. Try a couple of rows first and check them in Salesorder.\n\
         Historical invoices are read-only in Salesorder and do not post to the General Ledger:\n\
         their outstanding balances move by the journals.\n\n",
    );
    t.push_str(templates_note);
    t.push('\n');
    for e in &state.exports {
        let n = e.number;
        let customers = state.customers.values().filter(|c| c.export == n).count();
        let invoices = state
            .documents
            .values()
            .filter(|d| d.export == n && d.invoice.kind != "order")
            .count();
        let orders = state
            .documents
            .values()
            .filter(|d| d.export == n && d.invoice.kind == "order")
            .count();
        t.push_str(&format!("Export {n} (started {}):\n", e.started_at));
        t.push_str(&format!(
            "  1. {}: {customers} customer(s)\n",
            file_name(n, "customers")
        ));
        t.push_str(&format!(
            "  2. {}: {invoices} sales invoice(s), {orders} sales order(s)\n",
            file_name(n, "upload-transactions")
        ));
        let totals = journals.get(&n).map(Vec::as_slice).unwrap_or_default();
        t.push_str(&format!(
            "  3. {}: {} journal(s)\n",
            file_name(n, "upload-journals"),
            totals.len()
        ));
        for j in totals {
            t.push_str(&format!(
                "       {} ({}): debits {} = credits {}\n",
                j.reference,
                j.currency,
                j.debits.round_dp(2),
                j.credits.round_dp(2)
            ));
        }
        t.push('\n');
    }
    t
}
