//! Invoices ⇄ rows of the invoice files: one row per invoice line.
//!
//! Each row repeats the invoice's own columns (id, number, customer, dates, totals, …) and
//! adds one line's columns, so a spreadsheet can filter and sum lines without a join. The
//! rows of one invoice are consecutive and agree on the invoice columns. An invoice with no
//! lines is a single row whose line columns are all empty; that cannot be mistaken for a
//! line, because a line always has a quantity, unit price and amount.
//!
//! Rows read from a file pass the same checks as a pushed invoice ([`super::validate`]),
//! with the file and line added to the message.

use std::collections::HashMap;

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{
    ConnectorError, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};
use serde::{Deserialize, Serialize};

use super::{validate_header, validate_line};
use crate::table::{self, Numbered};
use crate::{since, version};

/// The header of an invoices file, in the order the columns are written.
pub const COLUMNS: [&str; 26] = [
    "id",
    "version",
    "number",
    "customer_id",
    "customer_name",
    "issue_date",
    "due_date",
    "currency",
    "tax_mode",
    "subtotal",
    "tax_total",
    "total",
    "reference",
    "memo",
    "status",
    "updated_at",
    "line_description",
    "line_quantity",
    "line_unit_price",
    "line_discount_percent",
    "line_amount",
    "line_item_code",
    "line_account_code",
    "line_tax_code",
    "line_tax_amount",
    "idempotency_key",
];

/// One row of an invoices file, as text: the invoice's columns, then one line's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    id: Option<String>,
    version: Option<String>,
    number: Option<String>,
    customer_id: Option<String>,
    customer_name: Option<String>,
    issue_date: Option<String>,
    due_date: Option<String>,
    currency: Option<String>,
    tax_mode: Option<String>,
    subtotal: Option<String>,
    tax_total: Option<String>,
    total: Option<String>,
    reference: Option<String>,
    memo: Option<String>,
    status: Option<String>,
    updated_at: Option<String>,
    line_description: Option<String>,
    line_quantity: Option<String>,
    line_unit_price: Option<String>,
    line_discount_percent: Option<String>,
    line_amount: Option<String>,
    line_item_code: Option<String>,
    line_account_code: Option<String>,
    line_tax_code: Option<String>,
    line_tax_amount: Option<String>,
    /// The key of the write that last changed the invoice; optional in a file (older files
    /// have no such column).
    #[serde(default)]
    idempotency_key: Option<String>,
}

impl InvoiceRow {
    /// The row with its line columns emptied: what every row of one invoice shares.
    fn invoice_part(&self) -> InvoiceRow {
        InvoiceRow {
            id: self.id.clone(),
            version: self.version.clone(),
            number: self.number.clone(),
            customer_id: self.customer_id.clone(),
            customer_name: self.customer_name.clone(),
            issue_date: self.issue_date.clone(),
            due_date: self.due_date.clone(),
            currency: self.currency.clone(),
            tax_mode: self.tax_mode.clone(),
            subtotal: self.subtotal.clone(),
            tax_total: self.tax_total.clone(),
            total: self.total.clone(),
            reference: self.reference.clone(),
            memo: self.memo.clone(),
            status: self.status.clone(),
            updated_at: self.updated_at.clone(),
            idempotency_key: self.idempotency_key.clone(),
            ..InvoiceRow::default()
        }
    }

    fn has_line(&self) -> bool {
        *self != self.invoice_part()
    }
}

/// Parse the contents of an invoices file holding invoices of `kind`, checking every row.
pub fn parse_table(
    bytes: &[u8],
    file: &str,
    kind: InvoiceKind,
) -> Result<Vec<Invoice>, ConnectorError> {
    let rows: Vec<Numbered<InvoiceRow>> = table::parse(bytes, file, &COLUMNS)?;
    let mut invoices = Vec::new();
    let mut number_first_seen: HashMap<String, (String, u64)> = HashMap::new();
    for group in group_rows(rows, file)? {
        let line = group[0].line;
        let invoice = from_rows(&group, file, kind)?;
        let id = invoice.remote_id.clone().unwrap_or_default();
        if let Some((other, other_line)) =
            number_first_seen.insert(invoice.number.clone(), (id, line))
        {
            return Err(table::invalid_row(
                file,
                line,
                format!(
                    "invoice number {} is also used by {other} on line {other_line}; \
                     invoice numbers must be unique",
                    invoice.number
                ),
            ));
        }
        invoices.push(invoice);
    }
    Ok(invoices)
}

/// Serialize invoices as the contents of an invoices file.
pub fn serialize_table(invoices: &[Invoice]) -> Result<Vec<u8>, ConnectorError> {
    let rows: Vec<InvoiceRow> = invoices.iter().flat_map(to_rows).collect();
    table::serialize(&COLUMNS, &rows)
}

/// Split rows into one group per invoice, checking the groups are consecutive and agree.
pub(super) fn group_rows(
    rows: Vec<Numbered<InvoiceRow>>,
    file: &str,
) -> Result<Vec<Vec<Numbered<InvoiceRow>>>, ConnectorError> {
    let mut groups: Vec<Vec<Numbered<InvoiceRow>>> = Vec::new();
    let mut started: HashMap<String, u64> = HashMap::new();
    for numbered in rows {
        let Some(id) = numbered.row.id.clone() else {
            return Err(table::invalid_row(
                file,
                numbered.line,
                "id is empty; every row needs its invoice's id",
            ));
        };
        if let Some(group) = groups.last_mut()
            && group[0].row.id.as_deref() == Some(id.as_str())
        {
            if numbered.row.invoice_part() != group[0].row.invoice_part() {
                return Err(table::invalid_row(
                    file,
                    numbered.line,
                    format!(
                        "the invoice columns of {id} differ from its first row on line {}; \
                         every row of an invoice repeats the same invoice columns",
                        group[0].line
                    ),
                ));
            }
            group.push(numbered);
            continue;
        }
        if let Some(first) = started.insert(id.clone(), numbered.line) {
            return Err(table::invalid_row(
                file,
                numbered.line,
                format!(
                    "invoice {id} started on line {first}; the rows of one invoice must be consecutive"
                ),
            ));
        }
        groups.push(vec![numbered]);
    }
    Ok(groups)
}

/// The invoice one group of rows holds.
pub(super) fn from_rows(
    group: &[Numbered<InvoiceRow>],
    file: &str,
    kind: InvoiceKind,
) -> Result<Invoice, ConnectorError> {
    let Some(first) = group.first() else {
        return Err(error::validation(format!(
            "{file}: an invoice with no rows"
        )));
    };
    let at_first = |e: ConnectorError| table::invalid_row_error(file, first.line, &e);
    let mut invoice = header_from_row(&first.row, kind).map_err(at_first)?;

    let only_row_is_empty = group.len() == 1 && !first.row.has_line();
    if !only_row_is_empty {
        for (index, numbered) in group.iter().enumerate() {
            if !numbered.row.has_line() {
                return Err(table::invalid_row(
                    file,
                    numbered.line,
                    "this row has no line columns but its invoice has other rows; only an \
                     invoice without lines has a row with empty line columns",
                ));
            }
            let line = validate_line(index, line_from_row(&numbered.row))
                .map_err(|e| table::invalid_row_error(file, numbered.line, &e))?;
            invoice.lines.push(line);
        }
    }
    validate_header(&mut invoice).map_err(at_first)?;
    Ok(invoice)
}

fn header_from_row(row: &InvoiceRow, kind: InvoiceKind) -> Result<Invoice, ConnectorError> {
    if let Some(v) = &row.version {
        version::parse(v)?;
    }
    if let Some(at) = &row.updated_at {
        since::parse(at, "updated_at")?;
    }
    let text = |cell: &Option<String>| cell.clone().unwrap_or_default();
    Ok(Invoice {
        key: String::new(),
        remote_id: row.id.clone(),
        version: row.version.clone(),
        idempotency_key: row.idempotency_key.clone(),
        kind,
        number: text(&row.number),
        customer: CustomerRef {
            remote_id: row.customer_id.clone(),
            name: text(&row.customer_name),
        },
        issue_date: text(&row.issue_date),
        due_date: row.due_date.clone(),
        currency: text(&row.currency),
        tax_mode: parse_tax_mode(row.tax_mode.as_deref())?,
        lines: Vec::new(),
        subtotal: text(&row.subtotal),
        tax_total: text(&row.tax_total),
        total: text(&row.total),
        reference: row.reference.clone(),
        memo: row.memo.clone(),
        status: parse_status(row.status.as_deref())?,
        // The file keeps no payments.
        amount_paid: None,
        amount_due: None,
        locked: None,
        updated_at: row.updated_at.clone(),
    })
}

fn line_from_row(row: &InvoiceRow) -> InvoiceLine {
    let text = |cell: &Option<String>| cell.clone().unwrap_or_default();
    InvoiceLine {
        description: text(&row.line_description),
        quantity: text(&row.line_quantity),
        unit_price: text(&row.line_unit_price),
        discount_percent: row.line_discount_percent.clone(),
        amount: text(&row.line_amount),
        item_code: row.line_item_code.clone(),
        account_code: row.line_account_code.clone(),
        tax_code: row.line_tax_code.clone(),
        tax_amount: row.line_tax_amount.clone(),
        tax_rate: None,
    }
}

/// The rows an invoice is written as: one per line, or one with empty line columns.
pub fn to_rows(invoice: &Invoice) -> Vec<InvoiceRow> {
    let header = InvoiceRow {
        id: cell(&invoice.remote_id),
        version: cell(&invoice.version),
        number: text_cell(&invoice.number),
        customer_id: cell(&invoice.customer.remote_id),
        customer_name: text_cell(&invoice.customer.name),
        issue_date: text_cell(&invoice.issue_date),
        due_date: cell(&invoice.due_date),
        currency: text_cell(&invoice.currency),
        tax_mode: Some(tax_mode_text(invoice.tax_mode).to_owned()),
        subtotal: text_cell(&invoice.subtotal),
        tax_total: text_cell(&invoice.tax_total),
        total: text_cell(&invoice.total),
        reference: cell(&invoice.reference),
        memo: cell(&invoice.memo),
        status: Some(status_text(invoice.status).to_owned()),
        updated_at: cell(&invoice.updated_at),
        idempotency_key: cell(&invoice.idempotency_key),
        ..InvoiceRow::default()
    };
    if invoice.lines.is_empty() {
        return vec![header];
    }
    invoice
        .lines
        .iter()
        .map(|line| InvoiceRow {
            line_description: text_cell(&line.description),
            line_quantity: text_cell(&line.quantity),
            line_unit_price: text_cell(&line.unit_price),
            line_discount_percent: cell(&line.discount_percent),
            line_amount: text_cell(&line.amount),
            line_item_code: cell(&line.item_code),
            line_account_code: cell(&line.account_code),
            line_tax_code: cell(&line.tax_code),
            line_tax_amount: cell(&line.tax_amount),
            ..header.clone()
        })
        .collect()
}

/// An optional text field as a cell; empty text reads back as `None`, so it is `None` here.
fn cell(value: &Option<String>) -> Option<String> {
    value.clone().filter(|s| !s.is_empty())
}

fn text_cell(value: &str) -> Option<String> {
    Some(value.to_owned()).filter(|s| !s.is_empty())
}

fn tax_mode_text(mode: TaxMode) -> &'static str {
    match mode {
        TaxMode::Exclusive => "exclusive",
        TaxMode::Inclusive => "inclusive",
        TaxMode::None => "none",
    }
}

fn parse_tax_mode(text: Option<&str>) -> Result<TaxMode, ConnectorError> {
    match text {
        Some("exclusive") => Ok(TaxMode::Exclusive),
        Some("inclusive") => Ok(TaxMode::Inclusive),
        Some("none") => Ok(TaxMode::None),
        other => Err(error::validation(format!(
            "tax_mode must be exclusive, inclusive or none, got {:?}",
            other.unwrap_or("")
        ))),
    }
}

fn status_text(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Draft => "draft",
        InvoiceStatus::Authorised => "authorised",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Voided => "voided",
    }
}

fn parse_status(text: Option<&str>) -> Result<InvoiceStatus, ConnectorError> {
    match text {
        Some("draft") => Ok(InvoiceStatus::Draft),
        Some("authorised") => Ok(InvoiceStatus::Authorised),
        Some("paid") => Ok(InvoiceStatus::Paid),
        Some("voided") => Ok(InvoiceStatus::Voided),
        other => Err(error::validation(format!(
            "status must be draft, authorised, paid or voided, got {:?}",
            other.unwrap_or("")
        ))),
    }
}

/// The rows without the columns the store owns, for "would the file change?".
pub fn content(invoice: &Invoice) -> Vec<InvoiceRow> {
    to_rows(invoice)
        .into_iter()
        .map(|row| InvoiceRow {
            id: None,
            version: None,
            updated_at: None,
            idempotency_key: None,
            ..row
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::invoices::tests::{invoice, line, three_lines};
    use ledgerlink_sdk::error::ConnectorErrorExt;

    /// Compare invoices through their rows: the SDK types have no `PartialEq`.
    fn assert_same(a: &[Invoice], b: &[Invoice]) {
        let rows = |v: &[Invoice]| v.iter().flat_map(to_rows).collect::<Vec<_>>();
        assert_eq!(rows(a), rows(b));
    }

    #[test]
    fn columns_are_the_row_fields_in_order() {
        assert_eq!(
            table::serde_header(&InvoiceRow::default()),
            COLUMNS.join(",")
        );
    }

    #[test]
    fn a_multi_line_invoice_survives_the_file_exactly() {
        let original = vec![
            invoice(Some("J-000001"), "INV-1", three_lines()),
            invoice(Some("J-000002"), "INV-2", vec![]),
        ];
        let bytes = serialize_table(&original).unwrap();
        let header = "J-000001,1,INV-1,C-000001,\"Smith, \"\"Bob\"\" & Sons\",2026-11-22,2026-12-20,\
                      NZD,exclusive,1231.525,184.73,1416.255,JOB-42,\"Thanks,\nsee you \"\"soon\"\"\",\
                      authorised,2026-11-22T01:21:27Z";
        let empty_header = header.replace("J-000001,1,INV-1", "J-000002,1,INV-2");
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!(
                "{columns}\n\
                 {header},Labour,2,617.25,,1234.50,,200,OUTPUT2,185.175,\n\
                 {header},\"Screws, brass\",0.125,1.00,10.0,0.125,SCR-B,200,OUTPUT2,,\n\
                 {header},\"Credit: \"\"goodwill\"\"\",1,-3.10,,-3.10,,200,OUTPUT2,,\n\
                 {empty_header},,,,,,,,,,\n",
                columns = COLUMNS.join(",")
            )
        );

        let back = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap();
        assert_same(&back, &original);
        let lines = &back[0].lines;
        assert_eq!(
            lines
                .iter()
                .map(|l| (
                    l.quantity.as_str(),
                    l.unit_price.as_str(),
                    l.amount.as_str()
                ))
                .collect::<Vec<_>>(),
            [
                ("2", "617.25", "1234.50"),
                ("0.125", "1.00", "0.125"),
                ("1", "-3.10", "-3.10")
            ]
        );
        assert_eq!(lines[1].discount_percent.as_deref(), Some("10.0"));
        assert_eq!(back[0].memo.as_deref(), Some("Thanks,\nsee you \"soon\""));
        assert!(back[1].lines.is_empty());
        assert_eq!(back[1].kind, InvoiceKind::Job);
    }

    /// A file of `rows`, each a one-line row of invoice J-000001 ("INV-1") with the given
    /// cells replaced. Rows start on line 2 and take one line each.
    fn file_of(rows: &[&[(&str, &str)]]) -> Vec<u8> {
        let mut base = invoice(
            Some("J-000001"),
            "INV-1",
            vec![line("Labour", "1", "10", "10")],
        );
        base.memo = None;
        let base = table::serialize(&COLUMNS, &to_rows(&base)).unwrap();
        let cells = csv::Reader::from_reader(base.as_slice())
            .records()
            .next()
            .unwrap()
            .unwrap();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(COLUMNS).unwrap();
        for row in rows {
            let mut record: Vec<&str> = cells.iter().collect();
            for (column, value) in row.iter() {
                let i = COLUMNS.iter().position(|c| c == column).unwrap();
                record[i] = value;
            }
            writer.write_record(&record).unwrap();
        }
        writer.into_inner().unwrap()
    }

    #[test]
    fn a_bad_decimal_in_the_file_names_its_row() {
        let bytes = file_of(&[&[], &[("line_amount", "12.5.0")]]);
        let e = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap_err();
        assert_eq!(
            e.message(),
            "job-invoices.csv line 3: lines[1].amount must be a decimal number like \"1234.50\", \
             got \"12.5.0\". Correct the file and try again"
        );
        assert_eq!(e.field(), Some("lines[1].amount"));
    }

    #[test]
    fn rows_of_an_invoice_must_agree_on_the_invoice_columns() {
        let bytes = file_of(&[&[], &[("total", "99.00")]]);
        let e = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap_err();
        assert_eq!(
            e.message(),
            "job-invoices.csv line 3: the invoice columns of J-000001 differ from its first row on \
             line 2; every row of an invoice repeats the same invoice columns. Correct the file and \
             try again"
        );
    }

    #[test]
    fn rows_of_an_invoice_must_be_consecutive() {
        let bytes = file_of(&[&[], &[("id", "J-000002"), ("number", "INV-2")], &[]]);
        let e = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap_err();
        assert_eq!(
            e.message(),
            "job-invoices.csv line 4: invoice J-000001 started on line 2; the rows of one invoice \
             must be consecutive. Correct the file and try again"
        );
    }

    #[test]
    fn an_empty_line_row_among_lines_is_refused() {
        let empty_line: Vec<(&str, &str)> = COLUMNS[16..].iter().map(|c| (*c, "")).collect();
        let bytes = file_of(&[&[], &empty_line]);
        let e = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap_err();
        assert_eq!(
            e.message(),
            "job-invoices.csv line 3: this row has no line columns but its invoice has other rows; \
             only an invoice without lines has a row with empty line columns. Correct the file and \
             try again"
        );
    }

    #[test]
    fn numbers_in_the_file_must_be_unique() {
        let bytes = file_of(&[&[], &[("id", "J-000002")]]);
        let e = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap_err();
        assert_eq!(
            e.message(),
            "job-invoices.csv line 3: invoice number INV-1 is also used by J-000001 on line 2; \
             invoice numbers must be unique. Correct the file and try again"
        );
    }

    #[test]
    fn an_unknown_status_is_refused() {
        let bytes = file_of(&[&[("status", "approved")]]);
        let e = parse_table(&bytes, "job-invoices.csv", InvoiceKind::Job).unwrap_err();
        assert_eq!(
            e.message(),
            "job-invoices.csv line 2: status must be draft, authorised, paid or voided, got \
             \"approved\". Correct the file and try again"
        );
    }
}
