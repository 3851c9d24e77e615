//! The canonical model the host speaks: customers, invoices and what a write returns.
//!
//! These are the host's own types. The connector contract's generated types
//! (`runtime::bindings`) exist only at the plugin boundary: `runtime::convert` turns them
//! into these and back, one contract version at a time. Everything stored (plan bodies,
//! outbox payloads) is made of these types inside a versioned envelope ([`stored`]), so a
//! contract change never strands a stored row.
//!
//! Money and quantities are decimal strings here exactly as on the contract's wire (a
//! pulled record's decimals are checked by `sync::inspect` before anything uses them; the
//! home book produces them from `rust_decimal::Decimal`). Arithmetic parses them to
//! `Decimal`; nothing is ever a float.
//!
//! The serde shape (snake_case fields, PascalCase enum variants) is the stored format and
//! must not change without a new envelope version.

mod error;
pub mod fingerprint;
pub mod stored;

use serde::{Deserialize, Serialize};

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// A customer, keyed by its home key (Tracker Pro id) on the way out and by the target's id
/// on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub key: String,
    pub remote_id: Option<String>,
    pub version: Option<String>,
    pub idempotency_key: Option<String>,
    pub name: String,
    pub account_number: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_number: Option<String>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub currency: Option<String>,
    pub active: bool,
    pub updated_at: Option<String>,
}

/// Job invoice, contract (service) invoice, or an order for a job not closed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceKind {
    Job,
    Contract,
    /// Not a posting document (a sales order, a quote); pushed only to connectors that
    /// list `push-orders` (contract 0.2).
    Order,
}

/// Whether line amounts include tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxMode {
    Exclusive,
    Inclusive,
    None,
}

/// An invoice's state in its system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceStatus {
    Draft,
    Authorised,
    Paid,
    Voided,
}

/// One invoice line; amounts are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: Option<String>,
    pub amount: String,
    pub item_code: Option<String>,
    pub account_code: Option<String>,
    pub tax_code: Option<String>,
    pub tax_amount: Option<String>,
    /// Percentage ("15"), when known (contract 0.2).
    #[serde(default)]
    pub tax_rate: Option<String>,
}

/// The customer an invoice bills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    pub remote_id: Option<String>,
    pub name: String,
}

/// A job or contract invoice; amounts are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub key: String,
    pub remote_id: Option<String>,
    pub version: Option<String>,
    pub idempotency_key: Option<String>,
    pub kind: InvoiceKind,
    pub number: String,
    pub customer: CustomerRef,
    pub issue_date: String,
    pub due_date: Option<String>,
    pub currency: String,
    pub tax_mode: TaxMode,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: String,
    pub tax_total: String,
    pub total: String,
    pub reference: Option<String>,
    pub memo: Option<String>,
    pub status: InvoiceStatus,
    /// Paid so far, when known (contract 0.2). Payment state, not document content: not
    /// part of the fingerprint.
    #[serde(default)]
    pub amount_paid: Option<String>,
    /// Still owed, when known (contract 0.2). Not part of the fingerprint.
    #[serde(default)]
    pub amount_due: Option<String>,
    /// Why the target will not accept a change to this pulled document, in its own words
    /// (contract 0.2; none on a push). Target state, not content: not part of the fingerprint.
    #[serde(default)]
    pub locked: Option<String>,
    pub updated_at: Option<String>,
}

/// One page of customers and the cursor of the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    pub next: Option<String>,
}

/// One page of invoices and the cursor of the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePage {
    pub items: Vec<Invoice>,
    pub next: Option<String>,
}

/// What to look customers up by (any combination).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    pub name: Option<String>,
    pub email: Option<String>,
    pub tax_number: Option<String>,
}

/// The kind of record a rollback deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Customer,
    Invoice,
}

/// What a write did in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteAction {
    Created,
    Updated,
    Unchanged,
}

/// A successful write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub remote_id: String,
    pub version: Option<String>,
    pub action: WriteAction,
    /// The connector's sentence for the run report (contract 0.2); plugin text, shown
    /// escaped and attributed.
    pub note: Option<String>,
}

/// The result of one record of a pushed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResult {
    pub key: String,
    pub outcome: Result<Written, ConnectorError>,
}

/// A connector's message and the canonical field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    pub message: String,
    pub field: Option<String>,
}

/// A duplicate, with the existing record when the target named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateDetail {
    pub message: String,
    pub field: Option<String>,
    pub existing_id: Option<String>,
}

/// A rate limit, with how long to wait when the target said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitDetail {
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

/// A connector's typed error (the contract's classes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorError {
    Validation(ErrorDetail),
    Duplicate(DuplicateDetail),
    Stale(ErrorDetail),
    Locked(ErrorDetail),
    NotFound(ErrorDetail),
    Auth(ErrorDetail),
    RateLimited(RateLimitDetail),
    Transient(ErrorDetail),
    Unsupported(ErrorDetail),
}

/// A connector's `check` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub message: String,
}
