//! Xero's JSON shapes, as `xero_accounting.yaml` (v16.1.0) defines them: what the connector
//! sends (`…Out`, numbers as [`XeroNumber`]) and what it reads (`…In`, numbers as their raw
//! text). Only the fields the mapping uses are declared; serde skips the rest.

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::number::XeroNumber;

/// A JSON array Xero may also send as `null` or leave out.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `ValidationError`: one message.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct ValidationError {
    /// The message, e.g. "Invoice # must be unique."
    pub message: Option<String>,
}

/// `Address` (`POBOX` or `STREET`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Address {
    /// `POBOX` (billing) or `STREET` (delivery).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_type: Option<String>,
    /// First line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// Town or city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, free text in Xero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `Phone`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Phone {
    /// `DEFAULT`, `DDI`, `MOBILE`, `FAX` or `OFFICE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<String>,
    /// The number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Area code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_area_code: Option<String>,
    /// Country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_country_code: Option<String>,
}

/// A `Contact` as sent to `POST /Contacts`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ContactOut {
    /// Present on an update.
    #[serde(rename = "ContactID", skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// Display name (unique among active contacts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `AccountNumber`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    /// Contact person's first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Contact person's last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    /// Tax number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    /// Addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Phones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// ISO 4217 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_currency: Option<String>,
    /// `ACTIVE` or `ARCHIVED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_status: Option<String>,
}

/// A `Contact` as Xero returns it (also the `Contact` of an invoice, and an element of a
/// batch answer, which carries `ValidationErrors`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContactIn {
    /// Xero's id.
    #[serde(rename = "ContactID")]
    pub contact_id: Option<String>,
    /// `ACTIVE`, `ARCHIVED` or `GDPRREQUEST`.
    pub contact_status: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// First name of the contact person.
    pub first_name: Option<String>,
    /// Last name of the contact person.
    pub last_name: Option<String>,
    /// `AccountNumber`.
    pub account_number: Option<String>,
    /// E-mail address.
    pub email_address: Option<String>,
    /// Tax number.
    pub tax_number: Option<String>,
    /// Addresses.
    #[serde(deserialize_with = "null_as_empty")]
    pub addresses: Vec<Address>,
    /// Phones.
    #[serde(deserialize_with = "null_as_empty")]
    pub phones: Vec<Phone>,
    /// ISO 4217 code.
    pub default_currency: Option<String>,
    /// `/Date(ms+0000)/`.
    #[serde(rename = "UpdatedDateUTC")]
    pub updated_date_utc: Option<String>,
    /// True on an element of a batch answer that was not saved.
    pub has_validation_errors: Option<bool>,
    /// Why it was not saved.
    #[serde(deserialize_with = "null_as_empty")]
    pub validation_errors: Vec<ValidationError>,
}

/// The `Contact` of an invoice being sent: only its id.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContactRefOut {
    /// Xero's id of the contact.
    #[serde(rename = "ContactID")]
    pub contact_id: String,
}

/// A `LineItem` as sent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct LineItemOut {
    /// Description.
    pub description: String,
    /// Quantity.
    pub quantity: XeroNumber,
    /// Unit price (up to four decimals with `unitdp=4`).
    pub unit_amount: XeroNumber,
    /// Discount, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_rate: Option<XeroNumber>,
    /// Item code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    /// Revenue account code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_code: Option<String>,
    /// Xero tax type, e.g. `OUTPUT2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    /// Tax on the line, when the source computed it (overrides Xero's calculation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<XeroNumber>,
    /// Line amount, in the invoice's `LineAmountTypes`.
    pub line_amount: XeroNumber,
}

/// An `Invoice` as sent to `POST /Invoices`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct InvoiceOut {
    /// Always `ACCREC` (a sales invoice).
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// Present on an update.
    #[serde(rename = "InvoiceID", skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// Invoice number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// Reference, marked with the invoice's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The contact billed.
    pub contact: ContactRefOut,
    /// Issue date, `YYYY-MM-DD`.
    pub date: String,
    /// Due date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// ISO 4217 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// `Exclusive`, `Inclusive` or `NoTax`.
    pub line_amount_types: &'static str,
    /// `DRAFT`, `SUBMITTED` or `AUTHORISED`.
    pub status: &'static str,
    /// Lines.
    pub line_items: Vec<LineItemOut>,
}

/// A `CreditNote` as sent to `POST /CreditNotes` (`Type` `ACCRECCREDIT`): the fields of an
/// [`InvoiceOut`] under the credit note's names.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CreditNoteOut {
    /// Always `ACCRECCREDIT` (a sales credit note).
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// Present on an update.
    #[serde(rename = "CreditNoteID", skip_serializing_if = "Option::is_none")]
    pub credit_note_id: Option<String>,
    /// Credit note number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_note_number: Option<String>,
    /// Reference, marked with the invoice's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The contact credited.
    pub contact: ContactRefOut,
    /// Issue date, `YYYY-MM-DD`.
    pub date: String,
    /// Due date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// ISO 4217 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// `Exclusive`, `Inclusive` or `NoTax`.
    pub line_amount_types: &'static str,
    /// `DRAFT`, `SUBMITTED` or `AUTHORISED`.
    pub status: &'static str,
    /// Lines (already sign-flipped: a credit note's amounts are positive).
    pub line_items: Vec<LineItemOut>,
}

impl CreditNoteOut {
    /// The credit note carrying `invoice`'s fields (its lines already flipped) and
    /// `credit_note_id` (Xero's id, without the connector's `CN-` prefix) on an update.
    pub fn from_invoice(invoice: InvoiceOut, credit_note_id: Option<String>) -> Self {
        Self {
            kind: "ACCRECCREDIT",
            credit_note_id,
            credit_note_number: invoice.invoice_number,
            reference: invoice.reference,
            contact: invoice.contact,
            date: invoice.date,
            due_date: invoice.due_date,
            currency_code: invoice.currency_code,
            line_amount_types: invoice.line_amount_types,
            status: invoice.status,
            line_items: invoice.line_items,
        }
    }
}

/// A `LineItem` as Xero returns it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LineItemIn {
    /// Description.
    pub description: Option<String>,
    /// Quantity.
    pub quantity: Option<Box<RawValue>>,
    /// Unit price.
    pub unit_amount: Option<Box<RawValue>>,
    /// Discount, percent.
    pub discount_rate: Option<Box<RawValue>>,
    /// Line amount.
    pub line_amount: Option<Box<RawValue>>,
    /// Tax on the line.
    pub tax_amount: Option<Box<RawValue>>,
    /// Item code.
    pub item_code: Option<String>,
    /// Account code.
    pub account_code: Option<String>,
    /// Tax type.
    pub tax_type: Option<String>,
    /// Why this line was not accepted.
    #[serde(deserialize_with = "null_as_empty")]
    pub validation_errors: Vec<ValidationError>,
}

/// An `Invoice` as Xero returns it; also a `CreditNote` (its `CreditNoteID` and
/// `CreditNoteNumber` are read into `invoice_id` and `invoice_number`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InvoiceIn {
    /// `ACCREC`, `ACCPAY`, `ACCRECCREDIT`, `ACCPAYCREDIT`, …
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// Xero's id (`InvoiceID`, or a credit note's `CreditNoteID`).
    #[serde(rename = "InvoiceID", alias = "CreditNoteID")]
    pub invoice_id: Option<String>,
    /// Invoice number (or a credit note's `CreditNoteNumber`).
    #[serde(alias = "CreditNoteNumber")]
    pub invoice_number: Option<String>,
    /// Reference.
    pub reference: Option<String>,
    /// The contact billed.
    pub contact: Option<ContactIn>,
    /// Issue date, `/Date(…)/` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Issue date as `YYYY-MM-DDT00:00:00`.
    pub date_string: Option<String>,
    /// Due date.
    pub due_date: Option<String>,
    /// Due date as `YYYY-MM-DDT00:00:00`.
    pub due_date_string: Option<String>,
    /// ISO 4217 code.
    pub currency_code: Option<String>,
    /// `Exclusive`, `Inclusive` or `NoTax`.
    pub line_amount_types: Option<String>,
    /// `DRAFT`, `SUBMITTED`, `DELETED`, `AUTHORISED`, `PAID`, `VOIDED`.
    pub status: Option<String>,
    /// Lines.
    #[serde(deserialize_with = "null_as_empty")]
    pub line_items: Vec<LineItemIn>,
    /// Total before tax.
    pub sub_total: Option<Box<RawValue>>,
    /// Total tax.
    pub total_tax: Option<Box<RawValue>>,
    /// Total.
    pub total: Option<Box<RawValue>>,
    /// Sum of payments received.
    pub amount_paid: Option<Box<RawValue>>,
    /// What is still owed.
    #[serde(default)]
    pub amount_due: Option<Box<RawValue>>,
    /// Sum of credit notes, over- and prepayments applied.
    pub amount_credited: Option<Box<RawValue>>,
    /// A credit note's credit not yet allocated or refunded.
    pub remaining_credit: Option<Box<RawValue>>,
    /// A credit note's allocations to invoices (only counted).
    #[serde(deserialize_with = "null_as_empty")]
    pub allocations: Vec<IgnoredAny>,
    /// Payments (only counted).
    #[serde(deserialize_with = "null_as_empty")]
    pub payments: Vec<IgnoredAny>,
    /// `/Date(ms+0000)/`.
    #[serde(rename = "UpdatedDateUTC")]
    pub updated_date_utc: Option<String>,
    /// True on an element of a batch answer that was not saved.
    pub has_errors: Option<bool>,
    /// Why it was not saved.
    #[serde(deserialize_with = "null_as_empty")]
    pub validation_errors: Vec<ValidationError>,
}

/// `Pagination`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Pagination {
    /// This page, from 1.
    pub page: Option<u32>,
    /// Records per page.
    pub page_size: Option<u32>,
    /// Pages in all.
    pub page_count: Option<u32>,
    /// Records in all.
    pub item_count: Option<u32>,
}

/// The body of `/Contacts` answers: `Contacts` on success (with per-element errors when
/// `summarizeErrors=false`), or Xero's `Error` (`ValidationException` with `Elements`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactsBody {
    /// The contacts.
    #[serde(rename = "Contacts", deserialize_with = "null_as_empty")]
    pub contacts: Vec<ContactIn>,
    /// Paging, when the request was paged.
    pub pagination: Option<Pagination>,
    /// The elements of a `ValidationException`.
    #[serde(rename = "Elements", deserialize_with = "null_as_empty")]
    pub elements: Vec<ContactIn>,
}

/// The body of `/Invoices` answers, as [`ContactsBody`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InvoicesBody {
    /// The invoices.
    #[serde(rename = "Invoices", deserialize_with = "null_as_empty")]
    pub invoices: Vec<InvoiceIn>,
    /// Paging, when the request was paged.
    pub pagination: Option<Pagination>,
    /// The elements of a `ValidationException`.
    #[serde(rename = "Elements", deserialize_with = "null_as_empty")]
    pub elements: Vec<InvoiceIn>,
}

/// The body of `/CreditNotes` answers, as [`InvoicesBody`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreditNotesBody {
    /// The credit notes.
    #[serde(rename = "CreditNotes", deserialize_with = "null_as_empty")]
    pub credit_notes: Vec<InvoiceIn>,
    /// Paging, when the request was paged.
    pub pagination: Option<Pagination>,
    /// The elements of a `ValidationException`.
    #[serde(rename = "Elements", deserialize_with = "null_as_empty")]
    pub elements: Vec<InvoiceIn>,
}

/// One of an organisation's currencies (`GET /Currencies`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct CurrencyIn {
    /// ISO 4217 code.
    pub code: Option<String>,
    /// Its name.
    pub description: Option<String>,
}

/// The body of `GET /Currencies`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CurrenciesBody {
    /// The base currency and every one the organisation added.
    #[serde(rename = "Currencies", deserialize_with = "null_as_empty")]
    pub currencies: Vec<CurrencyIn>,
}

/// Xero's `Error` body (400) and the problem bodies of 401/403/429.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// `ErrorNumber`, e.g. 10.
    #[serde(rename = "ErrorNumber")]
    pub error_number: Option<i64>,
    /// `Type`, e.g. `ValidationException`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// `Message`.
    #[serde(rename = "Message")]
    pub message: Option<String>,
    /// Problem-details `Title` (401/403 answers).
    #[serde(rename = "Title")]
    pub title: Option<String>,
    /// Problem-details `Detail` (401/403 answers).
    #[serde(rename = "Detail")]
    pub detail: Option<String>,
    /// `Elements`, each with `ValidationErrors` (and nested ones on lines).
    #[serde(rename = "Elements", deserialize_with = "null_as_empty")]
    pub elements: Vec<ElementIn>,
}

/// An element of a `ValidationException`: any record, with its errors.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ElementIn {
    /// Errors on the element itself.
    #[serde(rename = "ValidationErrors", deserialize_with = "null_as_empty")]
    pub validation_errors: Vec<ValidationError>,
    /// Lines of an invoice element, with their own errors.
    #[serde(rename = "LineItems", deserialize_with = "null_as_empty")]
    pub line_items: Vec<LineItemIn>,
}
