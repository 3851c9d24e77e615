//! `/Invoices` and `/CreditNotes`: the two documents share their record,
//! arithmetic, status rules and endpoints ([`Doc`] says which one a call is
//! about).
//!
//! Status rules (Xero's): a new invoice is DRAFT, SUBMITTED or AUTHORISED;
//! DRAFT and SUBMITTED may move to each other, to AUTHORISED or to DELETED;
//! AUTHORISED may be edited or VOIDED; PAID is reached only through
//! payments, and an invoice with a payment cannot change; DELETED and
//! VOIDED invoices cannot change. ACCREC numbers are unique per tenant (any
//! status) and auto-numbered `INV-0001`... when omitted.
//!
//! Credit notes (`ACCRECCREDIT`, `ACCPAYCREDIT`) follow the same rules: the
//! same statuses and transitions, the same per-line rounding, ACCRECCREDIT
//! `CreditNoteNumber`s unique per tenant (refused with
//! `Credit Note # must be unique.`) and auto-numbered `CN-0001`...; a change to
//! a DELETED or VOIDED credit note is refused with
//! `Document not of valid status for modification`.
//!
//! Totals cannot be negative (Xero's rule: a negative sale is a credit note):
//! an invoice whose `Total` is below zero is refused with
//! `Invoice total cannot be negative. Raise a credit note for a negative amount.`
//! and a credit note with `Credit note total cannot be negative.` (the
//! sandbox's wording; Xero documents the rule, not its message).
//!
//! `CurrencyCode` must be the base currency or one the organisation has added
//! (see [`super::currencies`]); `CurrencyRate` is 1 for the base currency, the
//! rate sent, or the sandbox's fixed rate.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::amounts::{self, LineAmountTypes, Totals};
use super::call::Call;
use super::contacts::{self, Contact};
use super::currencies;
use super::errors::{self, Reply};
use super::{Data, lists, wire, writes};
use crate::state::Core;

/// Xero's refusal to touch an invoice with a payment.
pub(crate) const HAS_PAYMENT: &str =
    "This document cannot be edited as it has a payment or credit note allocated to it.";
/// Xero's refusal to touch a DELETED or VOIDED invoice.
const NOT_MODIFIABLE: &str = "Invoice not of valid status for modification";
/// Xero's refusal to touch a DELETED or VOIDED credit note.
const DOCUMENT_NOT_MODIFIABLE: &str = "Document not of valid status for modification";

/// Which document an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doc {
    Invoice,
    CreditNote,
}

impl Doc {
    /// The collection name: `Invoices`, `CreditNotes`.
    pub(crate) fn collection(self) -> &'static str {
        match self {
            Doc::Invoice => "Invoices",
            Doc::CreditNote => "CreditNotes",
        }
    }

    fn id_field(self) -> &'static str {
        match self {
            Doc::Invoice => "InvoiceID",
            Doc::CreditNote => "CreditNoteID",
        }
    }

    fn number_field(self) -> &'static str {
        match self {
            Doc::Invoice => "InvoiceNumber",
            Doc::CreditNote => "CreditNoteNumber",
        }
    }

    /// The sales type (`ACCREC`, `ACCRECCREDIT`), numbered and unique.
    fn sales(self) -> &'static str {
        match self {
            Doc::Invoice => "ACCREC",
            Doc::CreditNote => "ACCRECCREDIT",
        }
    }

    fn purchases(self) -> &'static str {
        match self {
            Doc::Invoice => "ACCPAY",
            Doc::CreditNote => "ACCPAYCREDIT",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Doc::Invoice => "invoice",
            Doc::CreditNote => "credit note",
        }
    }

    fn not_modifiable(self) -> &'static str {
        match self {
            Doc::Invoice => NOT_MODIFIABLE,
            Doc::CreditNote => DOCUMENT_NOT_MODIFIABLE,
        }
    }

    fn duplicate_number(self) -> &'static str {
        match self {
            Doc::Invoice => "Invoice # must be unique.",
            Doc::CreditNote => "Credit Note # must be unique.",
        }
    }

    fn negative_total(self) -> &'static str {
        match self {
            Doc::Invoice => {
                "Invoice total cannot be negative. Raise a credit note for a negative amount."
            }
            Doc::CreditNote => "Credit note total cannot be negative.",
        }
    }

    fn records(self, data: &Data) -> &Vec<Invoice> {
        match self {
            Doc::Invoice => &data.invoices,
            Doc::CreditNote => &data.credit_notes,
        }
    }

    fn records_mut(self, data: &mut Data) -> &mut Vec<Invoice> {
        match self {
            Doc::Invoice => &mut data.invoices,
            Doc::CreditNote => &mut data.credit_notes,
        }
    }
}

/// One line item, as sent (amounts recomputed on every save).
#[derive(Debug, Clone)]
struct Line {
    id: Uuid,
    description: Option<String>,
    quantity: Decimal,
    unit_amount: Decimal,
    discount_rate: Option<Decimal>,
    item_code: Option<String>,
    account_code: Option<String>,
    tax_type: String,
    line_amount: Decimal,
    tax_amount: Decimal,
}

/// One invoice.
#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    /// An invoice or a credit note.
    doc: Doc,
    pub(crate) id: Uuid,
    /// `ACCREC` or `ACCPAY`.
    pub(crate) kind: &'static str,
    pub(crate) number: String,
    reference: Option<String>,
    pub(crate) contact_id: Uuid,
    date: NaiveDate,
    due_date: Option<NaiveDate>,
    pub(crate) status: &'static str,
    line_amount_types: LineAmountTypes,
    lines: Vec<Line>,
    currency: String,
    /// Units of `currency` per one unit of the base currency.
    currency_rate: Decimal,
    pub(crate) totals: Totals,
    pub(crate) amount_paid: Decimal,
    pub(crate) fully_paid_on: Option<NaiveDate>,
    pub(crate) updated: SystemTime,
}

impl Invoice {
    pub(crate) fn amount_due(&self) -> Decimal {
        self.totals.total - self.amount_paid
    }

    /// The invoice as the API returns it; `unitdp4` keeps unit amounts at 4 dp.
    pub(crate) fn to_json(&self, data: &Data, unitdp4: bool) -> Value {
        let contact = data
            .contacts
            .iter()
            .find(|contact| contact.id == self.contact_id)
            .map_or_else(
                || json!({ "ContactID": self.contact_id.to_string() }),
                Contact::summary_json,
            );
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let unit = if unitdp4 {
                    line.unit_amount
                } else {
                    amounts::money(line.unit_amount)
                };
                let mut json = json!({
                    "LineItemID": line.id.to_string(),
                    "Quantity": wire::number(line.quantity),
                    "UnitAmount": wire::number(unit),
                    "TaxType": line.tax_type,
                    "TaxAmount": wire::number(line.tax_amount),
                    "LineAmount": wire::number(line.line_amount),
                    "Tracking": [],
                });
                for (field, value) in [
                    ("Description", &line.description),
                    ("ItemCode", &line.item_code),
                    ("AccountCode", &line.account_code),
                ] {
                    if let Some(value) = value {
                        json[field] = json!(value);
                    }
                }
                if let Some(rate) = line.discount_rate {
                    json["DiscountRate"] = wire::number(rate);
                }
                json
            })
            .collect();
        if self.doc == Doc::CreditNote {
            return self.credit_note_json(contact, lines);
        }
        let payments: Vec<Value> = data
            .payments
            .iter()
            .filter(|payment| payment.invoice_id == self.id)
            .map(super::payments::Payment::summary_json)
            .collect();
        let mut invoice = json!({
            "Type": self.kind,
            "InvoiceID": self.id.to_string(),
            "InvoiceNumber": self.number,
            "Contact": contact,
            "Date": wire::date(self.date),
            "Status": self.status,
            "LineAmountTypes": self.line_amount_types.as_str(),
            "LineItems": lines,
            "SubTotal": wire::number(self.totals.sub_total),
            "TotalTax": wire::number(self.totals.total_tax),
            "Total": wire::number(self.totals.total),
            "AmountDue": wire::number(self.amount_due()),
            "AmountPaid": wire::number(self.amount_paid),
            "AmountCredited": wire::number(Decimal::ZERO),
            "CurrencyCode": self.currency,
            "CurrencyRate": wire::number(self.currency_rate),
            "UpdatedDateUTC": wire::ms_date(self.updated),
            "Payments": payments,
            "SentToContact": false,
            "IsDiscounted": self.lines.iter().any(|line| line.discount_rate.is_some()),
            "HasAttachments": false,
            "HasErrors": false,
        });
        if let Some(reference) = &self.reference {
            invoice["Reference"] = json!(reference);
        }
        if let Some(due) = self.due_date {
            invoice["DueDate"] = json!(wire::date(due));
        }
        if let Some(paid) = self.fully_paid_on {
            invoice["FullyPaidOnDate"] = json!(wire::date(paid));
        }
        invoice
    }

    /// A credit note as the API returns it (the `CreditNote` schema).
    fn credit_note_json(&self, contact: Value, lines: Vec<Value>) -> Value {
        let mut note = json!({
            "Type": self.kind,
            "CreditNoteID": self.id.to_string(),
            "CreditNoteNumber": self.number,
            "Contact": contact,
            "Date": wire::date(self.date),
            "Status": self.status,
            "LineAmountTypes": self.line_amount_types.as_str(),
            "LineItems": lines,
            "SubTotal": wire::number(self.totals.sub_total),
            "TotalTax": wire::number(self.totals.total_tax),
            "Total": wire::number(self.totals.total),
            "RemainingCredit": wire::number(self.totals.total - self.amount_paid),
            "CurrencyCode": self.currency,
            "CurrencyRate": wire::number(self.currency_rate),
            "UpdatedDateUTC": wire::ms_date(self.updated),
            "Allocations": [],
            "Payments": [],
            "SentToContact": false,
            "HasAttachments": false,
            "HasErrors": false,
        });
        if let Some(reference) = &self.reference {
            note["Reference"] = json!(reference);
        }
        if let Some(due) = self.due_date {
            note["DueDate"] = json!(wire::date(due));
        }
        if let Some(paid) = self.fully_paid_on {
            note["FullyPaidOnDate"] = json!(wire::date(paid));
        }
        note
    }

    /// The short form embedded in a payment.
    pub(crate) fn summary_json(&self) -> Value {
        json!({
            "InvoiceID": self.id.to_string(),
            "InvoiceNumber": self.number,
            "Type": self.kind,
            "Status": self.status,
            "Total": wire::number(self.totals.total),
            "AmountDue": wire::number(self.amount_due()),
            "AmountPaid": wire::number(self.amount_paid),
            "HasErrors": false,
        })
    }

    /// Recomputes every line and the totals from what was sent.
    fn recompute(&mut self, data: &Data) {
        let types = self.line_amount_types;
        for line in &mut self.lines {
            if types == LineAmountTypes::NoTax {
                line.tax_type = "NONE".to_owned();
            }
            let rate = data
                .reference
                .tax_rate(&line.tax_type)
                .map_or(Decimal::ZERO, |rate| rate.percent());
            line.line_amount =
                amounts::line_amount(line.quantity, line.unit_amount, line.discount_rate);
            line.tax_amount = amounts::line_tax(line.line_amount, rate, types);
        }
        let pairs: Vec<(Decimal, Decimal)> = self
            .lines
            .iter()
            .map(|line| (line.line_amount, line.tax_amount))
            .collect();
        self.totals = amounts::totals(&pairs, types);
    }
}

/// Who an element names as its contact.
enum ContactChoice {
    Existing(Uuid),
    New(String),
}

/// A text field: `Ok(None)` when absent or null.
fn text(input: &Map<String, Value>, field: &str, problems: &mut Vec<String>) -> Option<String> {
    match input.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(value)) => Some(value.clone()),
        Some(_) => {
            problems.push(format!("{field} must be text."));
            None
        }
    }
}

fn decimal_field(
    input: &Map<String, Value>,
    field: &str,
    problems: &mut Vec<String>,
) -> Option<Decimal> {
    match input.get(field) {
        None | Some(Value::Null) => None,
        Some(value) => {
            let parsed = wire::decimal(value);
            if parsed.is_none() {
                problems.push(format!("{field} must be a number."));
            }
            parsed
        }
    }
}

fn date_field(
    input: &Map<String, Value>,
    field: &str,
    problems: &mut Vec<String>,
) -> Option<NaiveDate> {
    let value = text(input, field, problems)?;
    let parsed = wire::parse_date(&value);
    if parsed.is_none() {
        problems.push(format!(
            "{field} '{value}' is not a valid date; send YYYY-MM-DD."
        ));
    }
    parsed
}

/// Reads one line item, checking its codes against the reference data.
fn read_line(
    input: &Value,
    data: &Data,
    sales: bool,
    unit_dp: u32,
    problems: &mut Vec<String>,
) -> Line {
    let empty = Map::new();
    let input = input.as_object().unwrap_or(&empty);
    let mut description = text(input, "Description", problems);
    let item_code = text(input, "ItemCode", problems);
    let mut account_code = text(input, "AccountCode", problems);
    let mut unit_amount = decimal_field(input, "UnitAmount", problems);
    if let Some(code) = &item_code {
        match data.reference.item(code) {
            Some(item) => {
                description.get_or_insert_with(|| item.description.to_owned());
                account_code.get_or_insert_with(|| item.account_code.to_owned());
                unit_amount.get_or_insert(item.unit_price);
            }
            None => problems.push(format!("Item code '{code}' is not valid.")),
        }
    }
    let mut default_tax = "NONE".to_owned();
    if let Some(code) = &account_code {
        match data.reference.account(code) {
            Some(account) if !account.is_bank() && account.system_account.is_none() => {
                default_tax = account.tax_type.to_owned();
            }
            _ => problems.push(format!(
                "Account code '{code}' is not a valid code for this document."
            )),
        }
    }
    let tax_type = match text(input, "TaxType", problems) {
        Some(tax_type) => {
            let usable = data
                .reference
                .tax_rate(&tax_type)
                .is_some_and(|rate| if sales { rate.sales } else { rate.purchases });
            if !usable {
                problems.push(format!(
                    "The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."
                ));
            }
            tax_type.to_ascii_uppercase()
        }
        None => default_tax,
    };
    let quantity = decimal_field(input, "Quantity", problems).unwrap_or(Decimal::ONE);
    let discount_rate = decimal_field(input, "DiscountRate", problems);
    if let Some(rate) = discount_rate
        && !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&rate)
    {
        problems.push("DiscountRate must be between 0 and 100.".to_owned());
    }
    let line_amount = decimal_field(input, "LineAmount", problems);
    let unit_amount = match (unit_amount, line_amount) {
        (Some(unit), _) => unit,
        // Xero fills in a missing UnitAmount from LineAmount / Quantity.
        (None, Some(amount)) if !quantity.is_zero() => amount / quantity,
        _ => Decimal::ZERO,
    };
    Line {
        id: Uuid::new_v4(),
        description,
        quantity: amounts::round(quantity, 4),
        unit_amount: amounts::round(unit_amount, unit_dp),
        discount_rate: discount_rate.map(|rate| amounts::round(rate, 2)),
        item_code,
        account_code,
        tax_type,
        line_amount: Decimal::ZERO,
        tax_amount: Decimal::ZERO,
    }
}

/// Whether the status change `from` → `to` is allowed; the refusal otherwise.
fn transition(doc: Doc, from: &str, to: &str) -> Result<(), String> {
    match (from, to) {
        (_, "PAID") if doc == Doc::CreditNote => Err(
            "Status PAID is set when a credit note is fully allocated or refunded.".into(),
        ),
        (_, "PAID") => {
            Err("Status PAID is set by payments: apply a payment with PUT /Payments.".into())
        }
        ("DRAFT" | "SUBMITTED", "VOIDED") if doc == Doc::CreditNote => Err(
            "A DRAFT or SUBMITTED credit note cannot be voided; delete it (Status DELETED) instead."
                .into(),
        ),
        ("AUTHORISED", "DELETED") if doc == Doc::CreditNote => Err(
            "An AUTHORISED credit note cannot be deleted; void it (Status VOIDED) instead.".into(),
        ),
        ("AUTHORISED", "DRAFT" | "SUBMITTED") if doc == Doc::CreditNote => {
            Err(DOCUMENT_NOT_MODIFIABLE.into())
        }
        ("DRAFT" | "SUBMITTED", "DRAFT" | "SUBMITTED" | "AUTHORISED" | "DELETED") => Ok(()),
        ("DRAFT" | "SUBMITTED", "VOIDED") => Err(
            "A DRAFT or SUBMITTED invoice cannot be voided; delete it (Status DELETED) instead."
                .into(),
        ),
        ("AUTHORISED", "AUTHORISED" | "VOIDED") => Ok(()),
        ("AUTHORISED", "DELETED") => {
            Err("An AUTHORISED invoice cannot be deleted; void it (Status VOIDED) instead.".into())
        }
        ("AUTHORISED", _) => Err(NOT_MODIFIABLE.into()),
        _ => Err(format!(
            "Status '{to}' is not one of DRAFT, SUBMITTED, AUTHORISED, DELETED, VOIDED."
        )),
    }
}

fn status_name(text: &str) -> Option<&'static str> {
    [
        "DRAFT",
        "SUBMITTED",
        "AUTHORISED",
        "DELETED",
        "VOIDED",
        "PAID",
    ]
    .into_iter()
    .find(|status| status.eq_ignore_ascii_case(text))
}

/// The next free `INV-nnnn` (`CN-nnnn` for a credit note).
fn next_number(doc: Doc, data: &mut Data) -> String {
    loop {
        let (sequence, prefix) = match doc {
            Doc::Invoice => (&mut data.invoice_sequence, "INV"),
            Doc::CreditNote => (&mut data.credit_note_sequence, "CN"),
        };
        *sequence += 1;
        let number = format!("{prefix}-{:04}", *sequence);
        if !doc
            .records(data)
            .iter()
            .any(|invoice| invoice.number == number)
        {
            return number;
        }
    }
}

/// Saves one element into `draft`; returns the rendered element and its problems.
#[allow(clippy::too_many_arguments)]
fn save_one(
    doc: Doc,
    draft: &mut Data,
    element: &Value,
    creating_only: bool,
    path_id: Option<Uuid>,
    unitdp4: bool,
    now: SystemTime,
) -> Result<(Value, Vec<String>), Reply> {
    let empty = Map::new();
    let input = element.as_object().unwrap_or(&empty);
    let mut problems = Vec::new();
    if !element.is_object() {
        problems.push(format!("Each {} must be a JSON object.", doc.noun()));
    }
    let id_field = doc.id_field();
    let requested_number = text(input, doc.number_field(), &mut problems);
    let id = match (path_id, input.get(id_field)) {
        (Some(id), _) => Some(id),
        (None, Some(Value::String(id))) => match Uuid::parse_str(id) {
            Ok(id) => Some(id),
            Err(_) => {
                problems.push(format!("{id_field} '{id}' is not a valid identifier."));
                None
            }
        },
        _ => None,
    };
    let existing = match id {
        Some(id) => {
            match doc
                .records(draft)
                .iter()
                .position(|invoice| invoice.id == id)
            {
                Some(index) => Some(index),
                None if path_id.is_some() => return Err(Reply::NotFound),
                None => {
                    problems.push(match doc {
                    Doc::Invoice => format!("The invoice with InvoiceID '{id}' could not be found."),
                    Doc::CreditNote => {
                        "An existing Credit Note with the specified CreditNoteID could not be found"
                            .to_owned()
                    }
                });
                    None
                }
            }
        }
        // POST identifies an existing ACCREC invoice (ACCRECCREDIT credit
        // note) by its number, as Xero does.
        None if !creating_only => requested_number.as_ref().and_then(|number| {
            doc.records(draft)
                .iter()
                .position(|invoice| invoice.kind == doc.sales() && &invoice.number == number)
        }),
        None => None,
    };
    let base_currency = draft.reference.currency;
    let mut invoice = match existing {
        Some(index) => doc.records(draft)[index].clone(),
        None => Invoice {
            doc,
            id: Uuid::new_v4(),
            kind: doc.sales(),
            number: String::new(),
            reference: None,
            contact_id: Uuid::nil(),
            date: DateTime::<Utc>::from(now).date_naive(),
            due_date: None,
            status: "DRAFT",
            line_amount_types: LineAmountTypes::Exclusive,
            lines: Vec::new(),
            currency: base_currency.to_owned(),
            currency_rate: Decimal::ONE,
            totals: Totals::default(),
            amount_paid: Decimal::ZERO,
            fully_paid_on: None,
            updated: now,
        },
    };
    if existing.is_some() {
        if invoice.amount_paid > Decimal::ZERO {
            problems.push(HAS_PAYMENT.to_owned());
        } else if matches!(invoice.status, "DELETED" | "VOIDED") {
            problems.push(doc.not_modifiable().to_owned());
        }
    }
    let (sales, purchases) = (doc.sales(), doc.purchases());
    match (text(input, "Type", &mut problems), existing) {
        (Some(kind), _) if kind.eq_ignore_ascii_case(sales) && invoice.kind == sales => {}
        (Some(kind), None) if kind.eq_ignore_ascii_case(purchases) => invoice.kind = purchases,
        (Some(kind), Some(_)) if kind.eq_ignore_ascii_case(invoice.kind) => {}
        (Some(kind), _) => problems.push(match doc {
            Doc::Invoice => format!(
                "Invoice Type '{kind}' is not supported here; send ACCREC (or ACCPAY) and keep an invoice's type."
            ),
            Doc::CreditNote => format!(
                "Credit note Type '{kind}' is not supported here; send ACCRECCREDIT (or ACCPAYCREDIT) and keep a credit note's type."
            ),
        }),
        (None, Some(_)) => {}
        (None, None) => problems.push(match doc {
            Doc::Invoice => "Invoice Type must be specified (ACCREC or ACCPAY).".to_owned(),
            Doc::CreditNote => {
                "Credit note Type must be specified (ACCRECCREDIT or ACCPAYCREDIT).".to_owned()
            }
        }),
    }
    let contact = match input.get("Contact") {
        None | Some(Value::Null) => {
            if existing.is_none() {
                problems
                    .push("A Contact must be specified for this type of transaction".to_owned());
            }
            None
        }
        Some(contact) => {
            let id = contact
                .get("ContactID")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty());
            let name = contact
                .get("Name")
                .and_then(Value::as_str)
                .filter(|name| !name.trim().is_empty());
            match (id, name) {
                (Some(id), _) => match Uuid::parse_str(id)
                    .ok()
                    .filter(|id| draft.contacts.iter().any(|contact| contact.id == *id))
                {
                    Some(id) => Some(ContactChoice::Existing(id)),
                    None => {
                        problems.push(format!(
                            "The contact with ContactID '{id}' could not be found."
                        ));
                        None
                    }
                },
                (None, Some(name)) => Some(match contacts::active_named(draft, name, None) {
                    Some(index) => ContactChoice::Existing(draft.contacts[index].id),
                    None => ContactChoice::New(name.trim().to_owned()),
                }),
                (None, None) => {
                    problems.push(
                        "A Contact must be specified for this type of transaction".to_owned(),
                    );
                    None
                }
            }
        }
    };
    if let Some(date) = date_field(input, "Date", &mut problems) {
        invoice.date = date;
    }
    if let Some(due) = date_field(input, "DueDate", &mut problems) {
        invoice.due_date = Some(due);
    }
    if let Some(reference) = text(input, "Reference", &mut problems) {
        invoice.reference = Some(reference);
    }
    let currency_before = invoice.currency.clone();
    if let Some(currency) = text(input, "CurrencyCode", &mut problems) {
        let code = currency.trim().to_ascii_uppercase();
        if let Some(problem) = currencies::refusal(draft, &code) {
            problems.push(problem);
        }
        // A code that is no currency is not echoed back (the schema's enum).
        if currencies::is_code(&code) {
            invoice.currency = code;
        }
    }
    let sent_rate = decimal_field(input, "CurrencyRate", &mut problems);
    if let Some(rate) = sent_rate
        && rate <= Decimal::ZERO
    {
        problems.push("CurrencyRate must be greater than zero.".to_owned());
    }
    invoice.currency_rate = if invoice.currency == base_currency {
        Decimal::ONE
    } else if let Some(rate) = sent_rate {
        amounts::round(rate, 6)
    } else if existing.is_none() || invoice.currency != currency_before {
        currencies::fixed_rate(base_currency, &invoice.currency)
    } else {
        invoice.currency_rate
    };
    if let Some(types) = text(input, "LineAmountTypes", &mut problems) {
        match LineAmountTypes::parse(&types) {
            Some(types) => invoice.line_amount_types = types,
            None => problems.push(format!(
                "LineAmountTypes '{types}' is not one of Exclusive, Inclusive, NoTax."
            )),
        }
    }
    let unit_dp = if unitdp4 { 4 } else { 2 };
    match input.get("LineItems") {
        None | Some(Value::Null) => {}
        Some(Value::Array(lines)) => {
            invoice.lines = lines
                .iter()
                .map(|line| read_line(line, draft, invoice.kind == sales, unit_dp, &mut problems))
                .collect();
        }
        Some(_) => problems.push("LineItems must be an array.".to_owned()),
    }
    if let Some(status) = text(input, "Status", &mut problems) {
        match status_name(&status) {
            Some(to)
                if existing.is_none() && !matches!(to, "DRAFT" | "SUBMITTED" | "AUTHORISED") =>
            {
                problems.push(format!(
                    "A new {}'s Status must be DRAFT, SUBMITTED or AUTHORISED, not {to}.",
                    doc.noun()
                ));
            }
            Some(to) => match transition(doc, invoice.status, to) {
                Ok(()) => invoice.status = to,
                Err(problem) => {
                    if !problems
                        .iter()
                        .any(|known| known == HAS_PAYMENT || known == doc.not_modifiable())
                    {
                        problems.push(problem);
                    }
                }
            },
            None => problems.push(format!(
                "Status '{status}' is not one of DRAFT, SUBMITTED, AUTHORISED, DELETED, VOIDED."
            )),
        }
    }
    if let Some(number) = &requested_number {
        if number.chars().count() > 255 {
            problems.push(format!(
                "{} must not be more than 255 characters long.",
                doc.number_field()
            ));
        } else if invoice.kind == sales
            && doc.records(draft).iter().any(|other| {
                other.kind == sales && other.id != invoice.id && &other.number == number
            })
        {
            problems.push(doc.duplicate_number().to_owned());
        }
        invoice.number = number.clone();
    }
    invoice.recompute(draft);
    if invoice.totals.total < Decimal::ZERO {
        problems.push(doc.negative_total().to_owned());
    }
    invoice.updated = now;
    let contact_name = match &contact {
        Some(ContactChoice::New(name)) => Some(name.clone()),
        _ => None,
    };
    if problems.is_empty() {
        invoice.contact_id = match contact {
            Some(ContactChoice::Existing(id)) => id,
            Some(ContactChoice::New(name)) => {
                let created = Contact::named(&name, now);
                let id = created.id;
                draft.contacts.push(created);
                id
            }
            None => invoice.contact_id,
        };
        if invoice.number.is_empty() && invoice.kind == sales {
            invoice.number = next_number(doc, draft);
        }
        if let Some(contact) = draft
            .contacts
            .iter_mut()
            .find(|c| c.id == invoice.contact_id)
        {
            if invoice.kind == sales {
                contact.is_customer = true;
            } else {
                contact.is_supplier = true;
            }
            contact.updated = now;
        }
        let rendered = invoice.to_json(draft, unitdp4);
        match existing {
            Some(index) => doc.records_mut(draft)[index] = invoice,
            None => doc.records_mut(draft).push(invoice),
        }
        Ok((rendered, problems))
    } else {
        if let Some(ContactChoice::Existing(id)) = contact {
            invoice.contact_id = id;
        }
        let mut rendered = invoice.to_json(draft, unitdp4);
        if let Some(name) = contact_name {
            rendered["Contact"] = json!({ "Name": name });
        }
        Ok((rendered, problems))
    }
}

#[allow(clippy::too_many_arguments)]
fn save(
    doc: Doc,
    data: &mut Data,
    elements: &[Value],
    summarize: bool,
    creating_only: bool,
    path_id: Option<Uuid>,
    unitdp4: bool,
    now: SystemTime,
) -> Reply {
    let mut draft = data.clone();
    let mut rendered = Vec::new();
    let mut refused = Vec::new();
    for element in elements {
        let (mut json, problems) = match save_one(
            doc,
            &mut draft,
            element,
            creating_only,
            path_id,
            unitdp4,
            now,
        ) {
            Ok(saved) => saved,
            Err(reply) => return reply,
        };
        if problems.is_empty() {
            if !summarize {
                json["StatusAttributeString"] = json!("OK");
            }
        } else {
            writes::mark_refused(&mut json, &problems, "HasErrors");
            refused.push(json.clone());
        }
        rendered.push(json);
    }
    if summarize && !refused.is_empty() {
        return errors::validation(refused);
    }
    *data = draft;
    Reply::Json(StatusCode::OK, json!({ doc.collection(): rendered }))
}

async fn write(
    doc: Doc,
    core: Arc<Core>,
    headers: HeaderMap,
    query: Option<String>,
    method: &str,
    path_id: Option<String>,
    body: Bytes,
) -> Response {
    let call = match Call::open(core, &headers, query, true).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let path_id = match path_id.map(|id| Uuid::parse_str(&id)) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return call.finish(Reply::NotFound).await,
    };
    let elements = match writes::elements(&body, doc.collection()) {
        Ok(elements) => elements,
        Err(reply) => return call.finish(reply).await,
    };
    let summarize = writes::summarize_errors(&call);
    let unitdp4 = call.query.unitdp4();
    let creating_only = method == "PUT";
    let path = format!(
        "{}/{}",
        doc.collection(),
        path_id.map(|id| id.to_string()).unwrap_or_default()
    );
    writes::run(call, &headers, method, &path, &body, |data, call| {
        save(
            doc,
            data,
            &elements,
            summarize,
            creating_only,
            path_id,
            unitdp4,
            call.core.clock.now(),
        )
    })
    .await
}

/// `PUT /Invoices`.
pub(crate) async fn put(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(Doc::Invoice, core, headers, query, "PUT", None, body).await
}

/// `POST /Invoices`.
pub(crate) async fn post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(Doc::Invoice, core, headers, query, "POST", None, body).await
}

/// `POST /Invoices/{InvoiceID}`.
pub(crate) async fn post_one(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(Doc::Invoice, core, headers, query, "POST", Some(id), body).await
}

/// `PUT /CreditNotes`.
pub(crate) async fn put_credit_notes(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(Doc::CreditNote, core, headers, query, "PUT", None, body).await
}

/// `POST /CreditNotes`.
pub(crate) async fn post_credit_notes(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(Doc::CreditNote, core, headers, query, "POST", None, body).await
}

/// `POST /CreditNotes/{CreditNoteID}`.
pub(crate) async fn post_credit_note(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(
        Doc::CreditNote,
        core,
        headers,
        query,
        "POST",
        Some(id),
        body,
    )
    .await
}

fn in_list(list: Option<&Vec<String>>, value: &str) -> bool {
    list.is_none_or(|list| list.iter().any(|wanted| wanted.eq_ignore_ascii_case(value)))
}

async fn list_of(doc: Doc, core: Arc<Core>, headers: HeaderMap, query: Option<String>) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    // The spec gives these filters to /Invoices only; /CreditNotes has `where`.
    let only_invoices = |name: &str| match doc {
        Doc::Invoice => call.query.list(name),
        Doc::CreditNote => None,
    };
    let ids = only_invoices("IDs");
    let numbers = only_invoices("InvoiceNumbers");
    let contact_ids = only_invoices("ContactIDs");
    let statuses = only_invoices("Statuses");
    let unitdp4 = call.query.unitdp4();
    let records = call.core.xero_books.with(call.tenant, |ledger| {
        let data = &ledger.data;
        doc.records(data)
            .iter()
            .filter(|invoice| in_list(ids.as_ref(), &invoice.id.to_string()))
            .filter(|invoice| {
                numbers
                    .as_ref()
                    .is_none_or(|numbers| numbers.contains(&invoice.number))
            })
            .filter(|invoice| in_list(contact_ids.as_ref(), &invoice.contact_id.to_string()))
            .filter(|invoice| in_list(statuses.as_ref(), invoice.status))
            .map(|invoice| (invoice.updated, invoice.to_json(data, unitdp4)))
            .collect()
    });
    let reply = lists::reply(&call, &headers, doc.collection(), records);
    call.finish(reply).await
}

/// `GET /Invoices`.
pub(crate) async fn list(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    list_of(Doc::Invoice, core, headers, query).await
}

/// `GET /CreditNotes`: `where`, `order`, `page`, `pageSize`, `unitdp`, `If-Modified-Since`.
pub(crate) async fn list_credit_notes(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    list_of(Doc::CreditNote, core, headers, query).await
}

async fn one_of(
    doc: Doc,
    core: Arc<Core>,
    id: String,
    headers: HeaderMap,
    query: Option<String>,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let unitdp4 = call.query.unitdp4();
    let found = call.core.xero_books.with(call.tenant, |ledger| {
        let data = &ledger.data;
        doc.records(data)
            .iter()
            .find(|invoice| {
                invoice.id.to_string().eq_ignore_ascii_case(&id) || invoice.number == id
            })
            .map(|invoice| invoice.to_json(data, unitdp4))
    });
    let reply = match found {
        Some(invoice) => Reply::Json(StatusCode::OK, json!({ doc.collection(): [invoice] })),
        None => Reply::NotFound,
    };
    call.finish(reply).await
}

/// `GET /Invoices/{InvoiceID}` (or an InvoiceNumber).
pub(crate) async fn get_one(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    one_of(Doc::Invoice, core, id, headers, query).await
}

/// `GET /CreditNotes/{CreditNoteID}` (or a CreditNoteNumber).
pub(crate) async fn get_credit_note(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    one_of(Doc::CreditNote, core, id, headers, query).await
}

/// Every invoice of a tenant, deleted and voided included, at 4 dp (control API).
pub(crate) fn dump(data: &Data) -> Value {
    let invoices: Vec<Value> = data
        .invoices
        .iter()
        .map(|invoice| invoice.to_json(data, true))
        .collect();
    json!({ "Invoices": invoices })
}

/// Every credit note of a tenant, deleted and voided included, at 4 dp (control API).
pub(crate) fn dump_credit_notes(data: &Data) -> Value {
    let notes: Vec<Value> = data
        .credit_notes
        .iter()
        .map(|note| note.to_json(data, true))
        .collect();
    json!({ "CreditNotes": notes })
}
