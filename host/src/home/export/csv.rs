//! `ledgerlink home export --format csv`: the whole book as the four CSV files of the import
//! format (`docs/home-format.md`, "CSV"), so that importing them into an empty book gives
//! the same book.
//!
//! - One file per kind: `customers.csv`, `jobs.csv`, `contracts.csv`,
//!   `contract-invoices.csv`, each with a header line; the first column names the kind.
//! - Every column is written, in the order of the documentation's table; addresses are
//!   flattened as `billing_<part>` / `shipping_<part>`.
//! - Jobs and contract invoices take one row per invoice line, in order: the record's own
//!   columns are filled on its first row only (later rows repeat just its id); a record
//!   without lines is one row with empty `line_` cells.
//! - Decimals keep their scale, flags are `true`/`false`, absent values are empty cells.
//! - Records are in the book's order, which is by id as the store loads it.
//! - Standard CSV (RFC 4180) with LF line ends: a value with a comma, quote or line break is
//!   quoted, a quote inside it doubled.

use rust_decimal::Decimal;

use crate::home::model::{
    HomeAddress, HomeBook, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, HomeLine,
    InvoiceBody, Named, RecordKind,
};

/// One file of a CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    /// What it holds.
    pub kind: RecordKind,
    /// Its file name in the export folder ([`file_name`]).
    pub name: &'static str,
    /// Its content: a header line and the rows, each ending with a newline.
    pub text: String,
}

/// The name of a kind's file in a CSV export: `customers.csv`, `jobs.csv`,
/// `contracts.csv` or `contract-invoices.csv`.
pub fn file_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Customer => "customers.csv",
        RecordKind::Job => "jobs.csv",
        RecordKind::Contract => "contracts.csv",
        RecordKind::ContractInvoice => "contract-invoices.csv",
    }
}

const CUSTOMER_COLUMNS: &[&str] = &[
    "customer_id",
    "name",
    "account_number",
    "contact_name",
    "email",
    "phone",
    "tax_number",
    "billing_line1",
    "billing_line2",
    "billing_city",
    "billing_region",
    "billing_postal_code",
    "billing_country",
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_region",
    "shipping_postal_code",
    "shipping_country",
    "currency",
    "active",
    "flagged_for_integration",
    "updated_at",
];

/// A job's own columns (its line columns follow).
const JOB_COLUMNS: &[&str] = &[
    "job_id",
    "number",
    "customer_id",
    "status",
    "ready_for_invoice_1",
    "ready_for_invoice_2",
    "closed_at",
    "invoice_date",
    "due_date",
    "currency",
    "tax_mode",
    "subtotal",
    "tax_total",
    "total",
    "amount_paid",
    "memo",
    "updated_at",
];

const CONTRACT_COLUMNS: &[&str] = &[
    "contract_id",
    "number",
    "customer_id",
    "description",
    "updated_at",
];

/// A contract invoice's own columns (its line columns follow).
const CONTRACT_INVOICE_COLUMNS: &[&str] = &[
    "contract_invoice_id",
    "number",
    "contract_id",
    "customer_id",
    "status",
    "ready_for_invoice_1",
    "ready_for_invoice_2",
    "invoice_date",
    "due_date",
    "currency",
    "tax_mode",
    "subtotal",
    "tax_total",
    "total",
    "amount_paid",
    "memo",
    "updated_at",
];

const LINE_COLUMNS: &[&str] = &[
    "line_description",
    "line_quantity",
    "line_unit_price",
    "line_discount_percent",
    "line_amount",
    "line_item_code",
    "line_account_code",
    "line_tax_code",
    "line_tax_amount",
    "line_tax_rate",
];

/// The book as its four CSV files, in [`RecordKind::ALL`] order.
pub fn to_csv(book: &HomeBook) -> Result<Vec<CsvFile>, ::csv::Error> {
    let customers: Vec<Vec<String>> = book.customers.iter().map(customer).collect();
    let contracts: Vec<Vec<String>> = book.contracts.iter().map(contract).collect();
    let mut jobs = Vec::new();
    for j in &book.jobs {
        invoice_rows(job(j), &j.body.lines, &mut jobs);
    }
    let mut contract_invoices = Vec::new();
    for ci in &book.contract_invoices {
        invoice_rows(contract_invoice(ci), &ci.body.lines, &mut contract_invoices);
    }
    let with_lines = |own: &[&'static str]| [own, LINE_COLUMNS].concat();
    Ok(vec![
        write(RecordKind::Customer, CUSTOMER_COLUMNS, &customers)?,
        write(RecordKind::Job, &with_lines(JOB_COLUMNS), &jobs)?,
        write(RecordKind::Contract, CONTRACT_COLUMNS, &contracts)?,
        write(
            RecordKind::ContractInvoice,
            &with_lines(CONTRACT_INVOICE_COLUMNS),
            &contract_invoices,
        )?,
    ])
}

fn write(kind: RecordKind, header: &[&str], rows: &[Vec<String>]) -> Result<CsvFile, ::csv::Error> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        debug_assert_eq!(row.len(), header.len(), "{kind:?} row width");
        w.write_record(row)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))?;
    // Every cell is a `str`, so the output is UTF-8.
    let text = String::from_utf8(bytes)
        .map_err(|e| ::csv::Error::from(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    Ok(CsvFile {
        kind,
        name: file_name(kind),
        text,
    })
}

/// The rows of a job or contract invoice: its own cells and its first line, then one row
/// per further line with only the id and the line's cells.
fn invoice_rows(own: Vec<String>, lines: &[HomeLine], rows: &mut Vec<Vec<String>>) {
    let mut continuation = vec![String::new(); own.len()];
    continuation[0].clone_from(&own[0]);
    let mut first = own;
    first.extend(line(lines.first()));
    rows.push(first);
    for l in lines.iter().skip(1) {
        let mut row = continuation.clone();
        row.extend(line(Some(l)));
        rows.push(row);
    }
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn decimal(d: Decimal) -> String {
    d.to_string()
}

fn opt_decimal(d: Option<Decimal>) -> String {
    d.map(decimal).unwrap_or_default()
}

fn flag(b: bool) -> String {
    (if b { "true" } else { "false" }).to_owned()
}

fn address(a: &Option<HomeAddress>) -> [String; 6] {
    let a = a.as_ref();
    let part = |f: fn(&HomeAddress) -> &Option<String>| a.map(|a| text(f(a))).unwrap_or_default();
    [
        part(|a| &a.line1),
        part(|a| &a.line2),
        part(|a| &a.city),
        part(|a| &a.region),
        part(|a| &a.postal_code),
        part(|a| &a.country),
    ]
}

fn customer(c: &HomeCustomer) -> Vec<String> {
    let mut row = vec![
        c.id.clone(),
        c.name.clone(),
        text(&c.account_number),
        text(&c.contact_name),
        text(&c.email),
        text(&c.phone),
        text(&c.tax_number),
    ];
    row.extend(address(&c.billing_address));
    row.extend(address(&c.shipping_address));
    row.extend([
        text(&c.currency),
        flag(c.active),
        flag(c.flagged_for_integration),
        text(&c.updated_at),
    ]);
    row
}

/// `invoice_date` … `memo`.
fn body(b: &InvoiceBody) -> [String; 9] {
    [
        b.invoice_date.clone(),
        text(&b.due_date),
        b.currency.clone(),
        b.tax_mode.name().to_owned(),
        decimal(b.subtotal),
        decimal(b.tax_total),
        decimal(b.total),
        // Nothing paid (the default) stays an empty cell.
        if b.amount_paid.is_zero() {
            String::new()
        } else {
            decimal(b.amount_paid)
        },
        text(&b.memo),
    ]
}

fn job(j: &HomeJob) -> Vec<String> {
    let mut row = vec![
        j.id.clone(),
        j.number.clone(),
        j.customer_id.clone(),
        j.status.name().to_owned(),
        flag(j.ready_for_invoice_1),
        flag(j.ready_for_invoice_2),
        text(&j.closed_at),
    ];
    row.extend(body(&j.body));
    row.push(text(&j.updated_at));
    row
}

fn contract(c: &HomeContract) -> Vec<String> {
    vec![
        c.id.clone(),
        c.number.clone(),
        c.customer_id.clone(),
        text(&c.description),
        text(&c.updated_at),
    ]
}

fn contract_invoice(ci: &HomeContractInvoice) -> Vec<String> {
    let mut row = vec![
        ci.id.clone(),
        ci.number.clone(),
        ci.contract_id.clone(),
        ci.customer_id.clone(),
        ci.status.name().to_owned(),
        flag(ci.ready_for_invoice_1),
        flag(ci.ready_for_invoice_2),
    ];
    row.extend(body(&ci.body));
    row.push(text(&ci.updated_at));
    row
}

/// The `line_` cells of a line; all empty for none.
fn line(l: Option<&HomeLine>) -> Vec<String> {
    let Some(l) = l else {
        return vec![String::new(); LINE_COLUMNS.len()];
    };
    vec![
        l.description.clone(),
        decimal(l.quantity),
        decimal(l.unit_price),
        opt_decimal(l.discount_percent),
        decimal(l.amount),
        text(&l.item_code),
        text(&l.account_code),
        text(&l.tax_code),
        opt_decimal(l.tax_amount),
        opt_decimal(l.tax_rate),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::import::{Format, KnownIds, SourceText, csv::column_names, parse};
    use crate::home::test_book::sample_book;

    fn reimport(files: &[CsvFile]) -> HomeBook {
        let sources: Vec<SourceText<'_>> = files
            .iter()
            .map(|f| SourceText {
                name: f.name.to_owned(),
                bytes: f.text.as_bytes(),
                format: Format::Csv,
                kind: None,
            })
            .collect();
        parse(&sources, &KnownIds::default()).unwrap_or_else(|e| panic!("re-imports: {e}"))
    }

    fn file(files: &[CsvFile], kind: RecordKind) -> &str {
        &files
            .iter()
            .find(|f| f.kind == kind)
            .unwrap_or_else(|| panic!("{kind:?} file"))
            .text
    }

    #[test]
    fn export_then_import_is_the_same_book() {
        let book = sample_book();
        let files = to_csv(&book).expect("writes");
        assert_eq!(
            files.iter().map(|f| f.name).collect::<Vec<_>>(),
            [
                "customers.csv",
                "jobs.csv",
                "contracts.csv",
                "contract-invoices.csv"
            ]
        );
        assert_eq!(reimport(&files), book);
    }

    #[test]
    fn awkward_text_survives_the_round_trip() {
        let mut book = sample_book();
        let c = &mut book.customers[0];
        c.name = "Smith, \"Jones\" & Sons\nLtd".into();
        c.contact_name = Some("  Ngā Tāne  ".into());
        c.phone = Some("\"".into());
        c.billing_address
            .as_mut()
            .expect("sample customer has a billing address")
            .line2 = Some("Level 2,\r\nTower \"B\"".into());
        book.customers[1].email = Some("a,b@example.com".into());
        let j = &mut book.jobs[0];
        j.body.memo = Some("Thank you,\n\"valued\" customer — ¡gracias!\n".into());
        j.body.lines[1].description = "Labour,\n\"after hours\"".into();
        book.contracts[0].description = Some("\"\"".into());
        book.contract_invoices[0].body.lines[0].description = "Ünïcødé, 日本語".into();
        let files = to_csv(&book).expect("writes");
        assert!(
            file(&files, RecordKind::Customer)
                .contains("\"Smith, \"\"Jones\"\" & Sons\nLtd\",1001,  Ngā Tāne  ,"),
            "{}",
            file(&files, RecordKind::Customer)
        );
        assert_eq!(reimport(&files), book);
    }

    #[test]
    fn invoice_rows_fill_their_own_columns_once() {
        let files = to_csv(&sample_book()).expect("writes");
        let jobs = file(&files, RecordKind::Job);
        let lines: Vec<&str> = jobs.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "job_id,number,customer_id,status,ready_for_invoice_1,ready_for_invoice_2,closed_at,\
                 invoice_date,due_date,currency,tax_mode,subtotal,tax_total,total,amount_paid,memo,\
                 updated_at,line_description,line_quantity,line_unit_price,line_discount_percent,\
                 line_amount,line_item_code,line_account_code,line_tax_code,line_tax_amount,\
                 line_tax_rate",
                "TP-JOB-5001,J5001,TP-CUST-1001,closed,true,true,2026-11-01T16:30:00Z,2026-11-02,\
                 2026-11-20,NZD,exclusive,426.25,63.94,490.19,,Thank you for your business,\
                 2026-11-01T16:31:00Z,Replace hot water cylinder valve,1,185.00,,185.00,VALVE-TPR,200,\
                 OUTPUT2,27.75,",
                "TP-JOB-5001,,,,,,,,,,,,,,,,,\"Labour, call-out rate\",2.5,96.50,,241.25,,200,OUTPUT2,36.19,",
            ]
        );
        // TP-JOB-5004 has no lines: one row, its line cells empty.
        let no_lines: Vec<&&str> = lines
            .iter()
            .filter(|l| l.starts_with("TP-JOB-5004,"))
            .collect();
        assert_eq!(no_lines.len(), 1);
        assert!(no_lines[0].ends_with(",,,,,,,,,,"), "{}", no_lines[0]);
        assert!(jobs.ends_with('\n') && !jobs.contains('\r'));
    }

    #[test]
    fn every_file_has_every_column_of_its_kind() {
        let files = to_csv(&HomeBook::default()).expect("writes");
        for f in &files {
            let mut header: Vec<String> = f.text.trim_end().split(',').map(str::to_owned).collect();
            assert_eq!(f.text.lines().count(), 1, "an empty book is headers only");
            header.sort();
            let mut expected = column_names(f.kind);
            expected.sort();
            assert_eq!(header, expected, "{}", f.name);
        }
        assert_eq!(reimport(&files), HomeBook::default());
    }
}
