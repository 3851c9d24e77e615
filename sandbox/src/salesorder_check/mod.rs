//! An independent checker of Salesorder upload-template workbooks: what Salesorder's
//! `Setup > Import Data` would accept and refuse in a folder of them.
//!
//! Built from `docs/salesorder-templates.md`, Salesorder's *Transaction Migration Primer*
//! and the public notes in `specs/salesorder/README.md` only. Like the Xero emulator, it
//! shares no code with the connector (`plugins/salesorder`) that writes the files: it finds
//! the columns by their header names, as an importer would.
//!
//! Rules applied (each refusal names the file, sheet and row):
//! - every required column is present (Customers: Customer Name; Sales Invoices and Sales
//!   Orders: Ref #, Customer, Date, Status; Journals: Journal Ref, Date, Account) and holds
//!   data on every row (yellow columns are mandatory);
//! - dates are date cells; amounts are numeric cells with at most 2 decimals (quantities,
//!   prices and rates numeric, with at most 4);
//! - a sales invoice's Status is `Historical`; a sales order's `Open` or `Pending`;
//! - every document's and journal line's customer is in a customers workbook of the same or
//!   an earlier export, or in `salesorder-customers-export.xlsx`;
//! - a document's rows agree on its customer, date, status and totals, and its lines add up
//!   to its totals to the cent (Σ Line Amount = Subtotal, or = Total when tax inclusive;
//!   Subtotal + Tax Total = Total; Σ Line Tax = Tax Total when every line has one; Amount
//!   Paid + Amount Due = Total);
//! - every journal (Journal Ref and Currency) balances: debits = credits to the cent, and
//!   each line has a debit or a credit, not both;
//! - no Ref # is two documents: not twice in one sheet, and a sales invoice (Historical,
//!   imported once) not in two workbooks; a journal ref not in two workbooks. A sales order
//!   sent again in a later export is an update, which Salesorder's import allows;
//! - `README.txt` lists every export's files in the upload order (customers, then
//!   upload-transactions, then upload-journals; exports in number order), and the journal
//!   totals it states are the workbooks'.

mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use calamine::Data;
use rust_decimal::Decimal;

use read::{Amount, Column, Row, Sheet, amount, is_date};

/// Why the folder could not be checked at all (a file Salesorder would refuse is a
/// [`Refusal`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The path given is not a folder.
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    /// The folder or its README could not be read.
    #[error("could not read {path}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The rule a refusal breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Not a workbook Salesorder can open.
    Unreadable,
    /// A template's sheet is missing (Customers, Sales Invoices / Sales Orders, Journals).
    MissingSheet,
    /// A required column is not in the header row.
    MissingColumn,
    /// A required cell is empty (or a journal line has neither or both of Debit and Credit).
    MissingValue,
    /// A date that is not a date cell.
    DateFormat,
    /// An amount that is not a numeric cell, or has more decimals than the column allows.
    AmountFormat,
    /// Not Historical on a sales invoice; not Open or Pending on a sales order.
    Status,
    /// A customer in no customers workbook (of this or an earlier export) nor the export.
    UnknownCustomer,
    /// A document's rows disagree on a document column.
    Inconsistent,
    /// A document's lines do not add up to its totals.
    Totals,
    /// A journal's debits are not its credits.
    Unbalanced,
    /// A Ref # (or journal ref) that is already another document.
    DuplicateRef,
    /// `README.txt` misses or misorders a file, or states other journal totals.
    UploadOrder,
}

/// One thing Salesorder's import would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file's name in the folder.
    pub file: String,
    /// The sheet, when the refusal is inside one.
    pub sheet: Option<String>,
    /// The spreadsheet row (1-based), or for `README.txt` the line.
    pub row: Option<u32>,
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong, naming the document or journal.
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match (&self.sheet, self.row) {
            (Some(s), Some(r)) => write!(f, " / {s} row {r}")?,
            (Some(s), None) => write!(f, " / {s}")?,
            (None, Some(r)) => write!(f, " line {r}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// One sheet read: how many data rows it has and how many of them would be refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetSummary {
    /// The file's name in the folder.
    pub file: String,
    /// The sheet's name.
    pub sheet: String,
    /// Data rows (below the header row; blank rows not counted).
    pub rows: usize,
    /// Data rows Salesorder would refuse.
    pub refused_rows: usize,
}

/// What the checker found in a folder.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Every sheet checked, in upload order.
    pub sheets: Vec<SheetSummary>,
    /// Everything Salesorder would refuse.
    pub refusals: Vec<Refusal>,
    /// Accepted but worth knowing (a sales order updated by a later export, files skipped).
    pub notes: Vec<String>,
}

impl CheckReport {
    /// Whether Salesorder would accept everything.
    pub fn accepted(&self) -> bool {
        self.refusals.is_empty()
    }

    /// The refusals of one rule.
    pub fn of(&self, rule: Rule) -> Vec<&Refusal> {
        self.refusals.iter().filter(|r| r.rule == rule).collect()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.sheets {
            let verdict = if s.refused_rows == 0 {
                "ACCEPT"
            } else {
                "REFUSE"
            };
            writeln!(
                f,
                "{verdict} {} / {}: {} row(s), {} refused",
                s.file, s.sheet, s.rows, s.refused_rows
            )?;
        }
        for r in &self.refusals {
            writeln!(f, "  refused: {r}")?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        let rows: usize = self.sheets.iter().map(|s| s.rows).sum();
        let refused: usize = self.sheets.iter().map(|s| s.refused_rows).sum();
        if self.accepted() {
            write!(
                f,
                "Salesorder would accept all {rows} row(s) in {} sheet(s).",
                self.sheets.len()
            )
        } else {
            write!(
                f,
                "Salesorder would refuse {} thing(s): {refused} of {rows} row(s), and the files named above.",
                self.refusals.len()
            )
        }
    }
}

const EXPORT_FILE: &str = "salesorder-customers-export.xlsx";

/// The columns, each by the names a template may give it (the first is ledgerlink's default
/// header; the others are common alternatives an admin's template may use).
mod col {
    use super::Column;
    pub const CUSTOMER_NAME: Column = Column(&[
        "Customer Name",
        "Name",
        "Company Name",
        "Company",
        "Display Name",
    ]);
    pub const ACCOUNT_NUMBER: Column = Column(&[
        "Account Number",
        "Customer Code",
        "Account No",
        "Account #",
        "Code",
    ]);
    pub const REF: Column = Column(&[
        "Ref #",
        "Ref",
        "Reference #",
        "Invoice Number",
        "Order Number",
        "Document Number",
    ]);
    pub const CUSTOMER: Column = Column(&["Customer", "Customer Name", "Trading Partner"]);
    pub const CUSTOMER_ACCOUNT: Column = Column(&["Customer Account Number", "Customer Code"]);
    pub const DATE: Column = Column(&[
        "Date",
        "Invoice Date",
        "Order Date",
        "Transaction Date",
        "Journal Date",
    ]);
    pub const DUE_DATE: Column = Column(&["Due Date"]);
    pub const STATUS: Column = Column(&["Status", "Transaction Status"]);
    pub const TAX_MODE: Column = Column(&["Tax Mode", "Amounts Are"]);
    pub const QUANTITY: Column = Column(&["Quantity", "Qty"]);
    pub const UNIT_PRICE: Column = Column(&["Unit Price", "Price"]);
    pub const DISCOUNT: Column = Column(&["Discount %", "Discount"]);
    pub const TAX_RATE: Column = Column(&["Tax Rate %", "Tax Rate"]);
    pub const LINE_TAX: Column = Column(&["Line Tax", "Tax Amount"]);
    pub const LINE_AMOUNT: Column = Column(&["Line Amount", "Amount", "Line Total"]);
    pub const SUBTOTAL: Column = Column(&["Subtotal", "Sub Total"]);
    pub const TAX_TOTAL: Column = Column(&["Tax Total", "Total Tax"]);
    pub const TOTAL: Column = Column(&["Total", "Grand Total"]);
    pub const AMOUNT_PAID: Column = Column(&["Amount Paid"]);
    pub const AMOUNT_DUE: Column = Column(&["Amount Due"]);
    pub const JOURNAL_REF: Column = Column(&["Journal Ref", "Journal Number", "Journal No"]);
    pub const CURRENCY: Column = Column(&["Currency", "Currency Code", "Currency of values"]);
    pub const ACCOUNT: Column = Column(&["Account", "GL Account", "Nominal Account"]);
    pub const JOURNAL_CUSTOMER: Column =
        Column(&["Customer", "Customer/Supplier", "Trading Partner"]);
    pub const DEBIT: Column = Column(&["Debit", "Dr"]);
    pub const CREDIT: Column = Column(&["Credit", "Cr"]);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Customers,
    Transactions,
    Journals,
}

impl Kind {
    fn stem(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Transactions => "upload-transactions",
            Kind::Journals => "upload-journals",
        }
    }
}

/// An upload workbook in the folder.
#[derive(Debug)]
struct Upload {
    name: String,
    path: PathBuf,
    kind: Kind,
    /// `ledgerlink-NNNN-…`: the export it belongs to.
    export: Option<u32>,
}

fn classify(name: &str) -> Option<(Kind, Option<u32>)> {
    let lower = name.to_ascii_lowercase().replace(' ', "-");
    let kind = [Kind::Customers, Kind::Transactions, Kind::Journals]
        .into_iter()
        .find(|k| lower.ends_with(&format!("{}.xlsx", k.stem())))?;
    let export = lower
        .strip_prefix("ledgerlink-")
        .and_then(|rest| rest.split('-').next())
        .and_then(|n| n.parse().ok());
    Some((kind, export))
}

/// A customer Salesorder will know by the time a transaction is imported.
#[derive(Debug)]
struct Known {
    name: String,
    account: String,
    /// `None`: already in Salesorder (the customers export).
    export: Option<u32>,
    file: String,
}

/// One journal's rows, debits, credits, and whether every amount could be read.
type JournalRows<'a> = (Vec<&'a Row>, Decimal, Decimal, bool);

/// Totals of one journal, as read from its workbook.
#[derive(Debug, Clone)]
struct JournalTotals {
    debits: Decimal,
    credits: Decimal,
}

#[derive(Default)]
struct Checker {
    report: CheckReport,
    refused_rows: BTreeSet<(String, String, u32)>,
    known: Vec<Known>,
    /// Sales invoice Ref # → where it was first written.
    invoices: BTreeMap<String, (String, u32)>,
    orders: BTreeMap<String, (String, u32)>,
    journal_refs: BTreeMap<String, (String, u32)>,
    /// (Journal Ref, Currency) → its totals; `None` when an amount could not be read.
    journals: BTreeMap<(String, String), Option<JournalTotals>>,
}

/// Check every upload workbook in `dir` (and its `README.txt`) as Salesorder's import would.
pub fn check_dir(dir: &Path) -> Result<CheckReport, CheckError> {
    if !dir.is_dir() {
        return Err(CheckError::NotAFolder(dir.to_owned()));
    }
    let io = |source| CheckError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut uploads = Vec::new();
    let mut export = None;
    let mut c = Checker::default();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !path.is_file()
            || name.starts_with("~$")
            || !name.to_ascii_lowercase().ends_with(".xlsx")
        {
            continue;
        }
        if name.eq_ignore_ascii_case(EXPORT_FILE) {
            export = Some(path);
        } else if let Some((kind, n)) = classify(&name) {
            uploads.push(Upload {
                name,
                path,
                kind,
                export: n,
            });
        } else {
            c.report
                .notes
                .push(format!("{name} is not an upload workbook; skipped"));
        }
    }
    uploads.sort_by(|a, b| {
        (a.export.unwrap_or(u32::MAX), a.kind, &a.name).cmp(&(
            b.export.unwrap_or(u32::MAX),
            b.kind,
            &b.name,
        ))
    });

    if let Some(path) = export {
        c.customers_export(&path);
    }
    let mut read: Vec<(&Upload, Vec<Sheet>)> = Vec::new();
    for u in &uploads {
        match read::sheets(&u.path) {
            Ok(sheets) => read.push((u, sheets)),
            Err(message) => c.refuse(&u.name, None, None, Rule::Unreadable, message),
        }
    }
    for (u, sheets) in read.iter().filter(|(u, _)| u.kind == Kind::Customers) {
        c.customers(u, sheets);
    }
    for (u, sheets) in &read {
        match u.kind {
            Kind::Customers => {}
            Kind::Transactions => c.transactions(u, sheets),
            Kind::Journals => c.journals(u, sheets),
        }
    }
    c.readme(dir, &uploads).map_err(io)?;
    let mut report = c.report;
    for s in &mut report.sheets {
        s.refused_rows = c
            .refused_rows
            .iter()
            .filter(|(f, sh, _)| *f == s.file && *sh == s.sheet)
            .count();
    }
    Ok(report)
}

impl Checker {
    fn refuse(
        &mut self,
        file: &str,
        sheet: Option<&str>,
        row: Option<u32>,
        rule: Rule,
        message: String,
    ) {
        if let (Some(s), Some(r)) = (sheet, row) {
            self.refused_rows.insert((file.to_owned(), s.to_owned(), r));
        }
        self.report.refusals.push(Refusal {
            file: file.to_owned(),
            sheet: sheet.map(str::to_owned),
            row,
            rule,
            message,
        });
    }

    /// Refuse a block of rows (a document, a journal) at its first row.
    fn refuse_block(
        &mut self,
        file: &str,
        sheet: &str,
        rows: &[&Row],
        rule: Rule,
        message: String,
    ) {
        let first = rows.first().map(|r| r.number);
        self.refuse(file, Some(sheet), first, rule, message);
        self.refuse_rows(file, sheet, rows);
    }

    fn refuse_rows(&mut self, file: &str, sheet: &str, rows: &[&Row]) {
        for r in rows {
            self.refused_rows
                .insert((file.to_owned(), sheet.to_owned(), r.number));
        }
    }

    fn summary(&mut self, file: &str, sheet: &Sheet) {
        self.report.sheets.push(SheetSummary {
            file: file.to_owned(),
            sheet: sheet.name.clone(),
            rows: sheet.rows.len(),
            refused_rows: 0,
        });
    }

    /// Refuse a sheet lacking a required column (every row with it); `true` when all present.
    fn required_columns(&mut self, file: &str, sheet: &Sheet, columns: &[Column]) -> bool {
        let missing: Vec<&str> = columns
            .iter()
            .filter(|c| sheet.find(**c).is_none())
            .map(|c| c.label())
            .collect();
        if missing.is_empty() {
            return true;
        }
        // At the header row, which is not a data row: pushed directly, not counted.
        self.report.refusals.push(Refusal {
            file: file.to_owned(),
            sheet: Some(sheet.name.clone()),
            row: (sheet.header_row > 0).then_some(sheet.header_row),
            rule: Rule::MissingColumn,
            message: format!("required column(s) missing: {}", missing.join(", ")),
        });
        let rows: Vec<&Row> = sheet.rows.iter().collect();
        self.refuse_rows(file, &sheet.name, &rows);
        false
    }

    /// Refuse a row whose required cells are empty; `true` when all hold data.
    fn required_values(
        &mut self,
        file: &str,
        sheet: &Sheet,
        row: &Row,
        columns: &[Column],
    ) -> bool {
        let empty: Vec<&str> = columns
            .iter()
            .filter(|c| row.text(sheet.find(**c)).is_empty())
            .map(|c| c.label())
            .collect();
        if empty.is_empty() {
            return true;
        }
        self.refuse(
            file,
            Some(&sheet.name),
            Some(row.number),
            Rule::MissingValue,
            format!("required value(s) empty: {}", empty.join(", ")),
        );
        false
    }

    fn date(&mut self, file: &str, sheet: &Sheet, row: &Row, column: Column, required: bool) {
        let cell = row.cell(sheet.find(column));
        if matches!(cell, Data::Empty) && !required {
            return;
        }
        if !matches!(cell, Data::Empty) && !is_date(cell) {
            self.refuse(
                file,
                Some(&sheet.name),
                Some(row.number),
                Rule::DateFormat,
                format!(
                    "{} {:?} is not a date cell",
                    column.label(),
                    row.text(sheet.find(column))
                ),
            );
        }
    }

    /// An amount cell; refused (and `Err`) when not numeric or with too many decimals.
    fn amount(
        &mut self,
        file: &str,
        sheet: &Sheet,
        row: &Row,
        column: Column,
        places: u32,
    ) -> Result<Option<Decimal>, ()> {
        match amount(row.cell(sheet.find(column)), places) {
            Amount::Empty => Ok(None),
            Amount::Value(v) => Ok(Some(v)),
            Amount::Bad(why) => {
                self.refuse(
                    file,
                    Some(&sheet.name),
                    Some(row.number),
                    Rule::AmountFormat,
                    format!("{}: {why}", column.label()),
                );
                Err(())
            }
        }
    }

    fn customers_export(&mut self, path: &Path) {
        let sheets = match read::sheets(path) {
            Ok(s) => s,
            Err(message) => {
                self.refuse(EXPORT_FILE, None, None, Rule::Unreadable, message);
                return;
            }
        };
        let Some(sheet) = sheets.iter().find(|s| s.has_headers()) else {
            self.refuse(
                EXPORT_FILE,
                None,
                None,
                Rule::MissingSheet,
                "no sheet with a header row".into(),
            );
            return;
        };
        let Some(name) = sheet.find(col::CUSTOMER_NAME) else {
            self.refuse(
                EXPORT_FILE,
                Some(&sheet.name),
                Some(sheet.header_row),
                Rule::MissingColumn,
                "no customer name column".into(),
            );
            return;
        };
        let account = sheet.find(col::ACCOUNT_NUMBER);
        for row in &sheet.rows {
            self.known.push(Known {
                name: row.text(Some(name)),
                account: row.text(account),
                export: None,
                file: EXPORT_FILE.into(),
            });
        }
    }

    fn customers(&mut self, u: &Upload, sheets: &[Sheet]) {
        let Some(sheet) = find_sheet(sheets, "Customers") else {
            self.refuse(
                &u.name,
                None,
                None,
                Rule::MissingSheet,
                "no sheet named Customers".into(),
            );
            return;
        };
        self.summary(&u.name, sheet);
        if !self.required_columns(&u.name, sheet, &[col::CUSTOMER_NAME]) {
            return;
        }
        let account = sheet.find(col::ACCOUNT_NUMBER);
        for row in &sheet.rows {
            if self.required_values(&u.name, sheet, row, &[col::CUSTOMER_NAME]) {
                self.known.push(Known {
                    name: row.text(sheet.find(col::CUSTOMER_NAME)),
                    account: row.text(account),
                    export: u.export,
                    file: u.name.clone(),
                });
            }
        }
    }

    /// `Err` with the reason when the customer is not known by `export`'s transactions.
    fn resolve(&self, name: &str, account: &str, export: Option<u32>) -> Result<(), String> {
        let matches: Vec<&Known> = self
            .known
            .iter()
            .filter(|k| k.name == name || (!account.is_empty() && k.account == account))
            .collect();
        if matches.is_empty() {
            return Err(format!(
                "customer {name:?} is in no customers workbook here nor in {EXPORT_FILE}"
            ));
        }
        let in_time = |k: &&Known| match (k.export, export) {
            (None, _) | (_, None) => true,
            (Some(c), Some(t)) => c <= t,
        };
        if matches.iter().any(in_time) {
            return Ok(());
        }
        Err(format!(
            "customer {name:?} is first in {}, an export uploaded after this one",
            matches.first().map_or("", |k| k.file.as_str())
        ))
    }

    fn transactions(&mut self, u: &Upload, sheets: &[Sheet]) {
        let mut any = false;
        for (name, statuses) in [
            ("Sales Invoices", &["Historical"][..]),
            ("Sales Orders", &["Open", "Pending"][..]),
        ] {
            if let Some(sheet) = find_sheet(sheets, name) {
                any = true;
                self.transaction_sheet(u, sheet, statuses);
            }
        }
        if !any {
            self.refuse(
                &u.name,
                None,
                None,
                Rule::MissingSheet,
                "no sheet named Sales Invoices or Sales Orders".into(),
            );
        }
    }

    fn transaction_sheet(&mut self, u: &Upload, sheet: &Sheet, statuses: &[&str]) {
        let file = u.name.as_str();
        self.summary(file, sheet);
        let required = [col::REF, col::CUSTOMER, col::DATE, col::STATUS];
        if !self.required_columns(file, sheet, &required) {
            return;
        }
        let invoices = statuses.contains(&"Historical");
        // Documents: consecutive rows with one Ref #.
        let mut docs: Vec<(String, Vec<&Row>, bool)> = Vec::new();
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for row in &sheet.rows {
            let ok = self.required_values(file, sheet, row, &required);
            self.date(file, sheet, row, col::DATE, true);
            self.date(file, sheet, row, col::DUE_DATE, false);
            let status = row.text(sheet.find(col::STATUS));
            if !status.is_empty() && !statuses.contains(&status.as_str()) {
                let kind = if invoices {
                    "a sales invoice (a posting transaction) must be imported as Historical"
                } else {
                    "a sales order is imported as Open or Pending"
                };
                self.refuse(
                    file,
                    Some(&sheet.name),
                    Some(row.number),
                    Rule::Status,
                    format!("Status {status:?}: {kind}"),
                );
            }
            let reference = row.text(sheet.find(col::REF));
            if !ok && reference.is_empty() {
                continue;
            }
            match docs.last_mut() {
                Some((r, rows, _)) if *r == reference => rows.push(row),
                _ => {
                    let duplicate = seen.get(&reference).copied();
                    if let Some(first) = duplicate {
                        self.refuse(
                            file,
                            Some(&sheet.name),
                            Some(row.number),
                            Rule::DuplicateRef,
                            format!(
                                "Ref # {reference} is already a document at row {first}: Ref # is a document's unique id"
                            ),
                        );
                    }
                    seen.entry(reference.clone()).or_insert(row.number);
                    docs.push((reference, vec![row], duplicate.is_some()));
                }
            }
        }
        for (reference, rows, duplicate) in docs {
            let first = rows.first().map_or(0, |r| r.number);
            if duplicate {
                self.refuse_rows(file, &sheet.name, &rows);
            }
            if invoices {
                if let Some((f, r)) = earlier(&mut self.invoices, &reference, file, first) {
                    let message = format!(
                        "Ref # {reference} is already a sales invoice in {f} row {r}: a Historical invoice is imported once"
                    );
                    self.refuse_block(file, &sheet.name, &rows, Rule::DuplicateRef, message);
                }
            } else if let Some((f, _)) = earlier(&mut self.orders, &reference, file, first) {
                self.report.notes.push(format!(
                    "{file} / {} row {first}: sales order {reference} updates the one in {f}",
                    sheet.name
                ));
            }
            self.document(u, sheet, &reference, &rows);
        }
    }

    /// One document's rows: the customer, the repeated columns, the arithmetic.
    fn document(&mut self, u: &Upload, sheet: &Sheet, reference: &str, rows: &[&Row]) {
        let file = u.name.as_str();
        let Some(head) = rows.first() else { return };
        let span = match rows.last() {
            Some(last) if last.number != head.number => {
                format!("rows {}-{}", head.number, last.number)
            }
            _ => format!("row {}", head.number),
        };
        let customer = head.text(sheet.find(col::CUSTOMER));
        if !customer.is_empty() {
            let account = head.text(sheet.find(col::CUSTOMER_ACCOUNT));
            if let Err(why) = self.resolve(&customer, &account, u.export) {
                let message = format!("{reference}: {why}");
                self.refuse_block(file, &sheet.name, rows, Rule::UnknownCustomer, message);
            }
        }
        let mut bad = false;
        let mut line_sum = Decimal::ZERO;
        let mut tax_sum = Decimal::ZERO;
        let mut every_line_taxed = true;
        let mut doc: BTreeMap<&str, Option<Decimal>> = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            for c in [col::QUANTITY, col::UNIT_PRICE, col::DISCOUNT, col::TAX_RATE] {
                bad |= self.amount(file, sheet, row, c, 4).is_err();
            }
            match self.amount(file, sheet, row, col::LINE_AMOUNT, 2) {
                Ok(v) => line_sum += v.unwrap_or_default(),
                Err(()) => bad = true,
            }
            match self.amount(file, sheet, row, col::LINE_TAX, 2) {
                Ok(Some(v)) => tax_sum += v,
                Ok(None) => every_line_taxed = false,
                Err(()) => bad = true,
            }
            for c in [
                col::SUBTOTAL,
                col::TAX_TOTAL,
                col::TOTAL,
                col::AMOUNT_PAID,
                col::AMOUNT_DUE,
            ] {
                let Ok(v) = self.amount(file, sheet, row, c, 2) else {
                    bad = true;
                    continue;
                };
                if i == 0 {
                    doc.insert(c.label(), v);
                } else if doc.get(c.label()).copied().flatten() != v {
                    bad = true;
                    self.refuse(
                        file,
                        Some(&sheet.name),
                        Some(row.number),
                        Rule::Inconsistent,
                        format!(
                            "{reference}: {} differs from the document's first row ({span})",
                            c.label()
                        ),
                    );
                }
            }
            for c in [col::CUSTOMER, col::DATE, col::STATUS, col::CURRENCY] {
                if i > 0 && row.text(sheet.find(c)) != head.text(sheet.find(c)) {
                    self.refuse(
                        file,
                        Some(&sheet.name),
                        Some(row.number),
                        Rule::Inconsistent,
                        format!(
                            "{reference}: {} differs from the document's first row ({span})",
                            c.label()
                        ),
                    );
                }
            }
        }
        if bad {
            return;
        }
        let get = |c: Column| doc.get(c.label()).copied().flatten();
        let inclusive = head
            .text(sheet.find(col::TAX_MODE))
            .to_ascii_lowercase()
            .contains("inclusive");
        let mut wrong = Vec::new();
        let lines_present = sheet.find(col::LINE_AMOUNT).is_some();
        if lines_present {
            let (target, label) = if inclusive {
                (get(col::TOTAL), "Total (tax inclusive)")
            } else {
                (get(col::SUBTOTAL), "Subtotal")
            };
            if let Some(t) = target
                && t.round_dp(2) != line_sum.round_dp(2)
            {
                wrong.push(format!(
                    "the Line Amounts add up to {line_sum}, {label} is {t}"
                ));
            }
        }
        if let (Some(s), Some(t), Some(total)) =
            (get(col::SUBTOTAL), get(col::TAX_TOTAL), get(col::TOTAL))
            && (s + t).round_dp(2) != total.round_dp(2)
        {
            wrong.push(format!("Subtotal {s} + Tax Total {t} is not Total {total}"));
        }
        if sheet.find(col::LINE_TAX).is_some()
            && every_line_taxed
            && let Some(t) = get(col::TAX_TOTAL)
            && t.round_dp(2) != tax_sum.round_dp(2)
        {
            wrong.push(format!(
                "the Line Tax adds up to {tax_sum}, Tax Total is {t}"
            ));
        }
        if let (Some(p), Some(d), Some(total)) =
            (get(col::AMOUNT_PAID), get(col::AMOUNT_DUE), get(col::TOTAL))
            && (p + d).round_dp(2) != total.round_dp(2)
        {
            wrong.push(format!(
                "Amount Paid {p} + Amount Due {d} is not Total {total}"
            ));
        }
        if !wrong.is_empty() {
            let message = format!("{reference} ({span}): {}", wrong.join("; "));
            self.refuse_block(file, &sheet.name, rows, Rule::Totals, message);
        }
    }

    fn journals(&mut self, u: &Upload, sheets: &[Sheet]) {
        let file = u.name.as_str();
        let Some(sheet) = find_sheet(sheets, "Journals") else {
            self.refuse(
                file,
                None,
                None,
                Rule::MissingSheet,
                "no sheet named Journals".into(),
            );
            return;
        };
        self.summary(file, sheet);
        let required = [col::JOURNAL_REF, col::DATE, col::ACCOUNT];
        if !self.required_columns(file, sheet, &required) {
            return;
        }
        // (Journal Ref, Currency) → its rows, debits, credits, and whether every line read.
        let mut journals: BTreeMap<(String, String), JournalRows<'_>> = BTreeMap::new();
        for row in &sheet.rows {
            self.required_values(file, sheet, row, &required);
            self.date(file, sheet, row, col::DATE, true);
            let debit = self.amount(file, sheet, row, col::DEBIT, 2);
            let credit = self.amount(file, sheet, row, col::CREDIT, 2);
            let reference = row.text(sheet.find(col::JOURNAL_REF));
            let currency = row.text(sheet.find(col::CURRENCY));
            let entry = journals
                .entry((reference, currency))
                .or_insert_with(|| (Vec::new(), Decimal::ZERO, Decimal::ZERO, true));
            entry.0.push(row);
            match (debit, credit) {
                (Ok(d), Ok(c)) => {
                    if d.is_some() == c.is_some() {
                        let why = if d.is_some() {
                            "a journal line has a Debit or a Credit, not both"
                        } else {
                            "a journal line needs a Debit or a Credit"
                        };
                        self.refuse(
                            file,
                            Some(&sheet.name),
                            Some(row.number),
                            Rule::MissingValue,
                            why.into(),
                        );
                    }
                    entry.1 += d.unwrap_or_default();
                    entry.2 += c.unwrap_or_default();
                }
                _ => entry.3 = false,
            }
            let customer = row.text(sheet.find(col::JOURNAL_CUSTOMER));
            if !customer.is_empty()
                && let Err(why) = self.resolve(&customer, "", u.export)
            {
                self.refuse(
                    file,
                    Some(&sheet.name),
                    Some(row.number),
                    Rule::UnknownCustomer,
                    why,
                );
            }
        }
        for ((reference, currency), (rows, debits, credits, readable)) in journals {
            let first = rows.first().map_or(0, |r| r.number);
            if let Some((f, r)) = earlier(&mut self.journal_refs, &reference, file, first) {
                let message =
                    format!("journal {reference} is already in {f} row {r}: it would post twice");
                self.refuse_block(file, &sheet.name, &rows, Rule::DuplicateRef, message);
            }
            if readable && debits.round_dp(2) != credits.round_dp(2) {
                let numbers: Vec<String> = rows.iter().map(|r| r.number.to_string()).collect();
                let message = format!(
                    "journal {reference} ({currency}, rows {}): debits {debits} ≠ credits {credits}; total debits must equal total credits",
                    numbers.join(", ")
                );
                self.refuse_block(file, &sheet.name, &rows, Rule::Unbalanced, message);
            }
            self.journals.insert(
                (reference, currency),
                readable.then_some(JournalTotals { debits, credits }),
            );
        }
    }

    /// `README.txt`: every export's files listed in upload order; its journal totals.
    fn readme(&mut self, dir: &Path, uploads: &[Upload]) -> std::io::Result<()> {
        let numbered: Vec<&Upload> = uploads.iter().filter(|u| u.export.is_some()).collect();
        if numbered.is_empty() {
            return Ok(());
        }
        let path = dir.join("README.txt");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.refuse(
                    "README.txt",
                    None,
                    None,
                    Rule::UploadOrder,
                    "missing: nothing states the upload order".into(),
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let lines: Vec<&str> = text.lines().collect();
        let line_of = |name: &str| {
            lines
                .iter()
                .position(|l| l.contains(name))
                .and_then(|i| u32::try_from(i + 1).ok())
        };
        // `numbered` is sorted by export, then customers, transactions, journals.
        let mut previous: Option<(&str, u32)> = None;
        for u in numbered {
            match line_of(&u.name) {
                None => self.refuse(
                    "README.txt",
                    None,
                    None,
                    Rule::UploadOrder,
                    format!("{} is not listed in the upload order", u.name),
                ),
                Some(line) => {
                    if let Some((before, at)) = previous
                        && at > line
                    {
                        self.refuse(
                            "README.txt",
                            None,
                            Some(line),
                            Rule::UploadOrder,
                            format!(
                                "{} is listed before {before} (line {at}); upload customers, then upload-transactions, then upload-journals, exports in number order",
                                u.name
                            ),
                        );
                    }
                    previous = Some((&u.name, line));
                }
            }
        }
        for (i, l) in lines.iter().enumerate() {
            let Some((reference, currency, debits, credits)) = readme_totals(l) else {
                continue;
            };
            let line = u32::try_from(i + 1).ok();
            let message = match self.journals.get(&(reference.clone(), currency.clone())) {
                None => format!("journal {reference} ({currency}) is in no journals workbook"),
                Some(None) => continue,
                Some(Some(t))
                    if t.debits.round_dp(2) != debits || t.credits.round_dp(2) != credits =>
                {
                    format!(
                        "journal {reference} ({currency}): README says debits {debits} = credits {credits}, the workbook has {} and {}",
                        t.debits, t.credits
                    )
                }
                Some(Some(_)) => continue,
            };
            self.refuse("README.txt", None, line, Rule::UploadOrder, message);
        }
        Ok(())
    }
}

/// Where `reference` was first seen in another file; records it when it was not.
fn earlier(
    seen: &mut BTreeMap<String, (String, u32)>,
    reference: &str,
    file: &str,
    row: u32,
) -> Option<(String, u32)> {
    match seen.get(reference) {
        Some((f, r)) if f != file => Some((f.clone(), *r)),
        Some(_) => None,
        None => {
            seen.insert(reference.to_owned(), (file.to_owned(), row));
            None
        }
    }
}

fn find_sheet<'a>(sheets: &'a [Sheet], name: &str) -> Option<&'a Sheet> {
    sheets.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// `LL-OB-0001-NZD (NZD): debits 1.00 = credits 1.00`.
fn readme_totals(line: &str) -> Option<(String, String, Decimal, Decimal)> {
    let (reference, rest) = line.trim().split_once(" (")?;
    let (currency, rest) = rest.split_once("): debits ")?;
    let (debits, credits) = rest.split_once(" = credits ")?;
    Some((
        reference.to_owned(),
        currency.to_owned(),
        debits.trim().parse().ok()?,
        credits.trim().parse().ok()?,
    ))
}
