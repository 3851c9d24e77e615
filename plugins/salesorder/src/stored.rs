//! Serde mirrors of the contract's customer and invoice, for the plugin's state file (the
//! generated contract types derive no serde). Only content is kept: no idempotency keys.

use ledgerlink_sdk::types::{
    Address, Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};
use serde::{Deserialize, Serialize};

/// An address as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StoredAddress {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// A customer as stored (its content as pushed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCustomer {
    pub name: String,
    pub account_number: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_number: Option<String>,
    pub billing_address: Option<StoredAddress>,
    pub shipping_address: Option<StoredAddress>,
    pub currency: Option<String>,
    pub active: bool,
}

/// An invoice line as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: Option<String>,
    pub amount: String,
    pub item_code: Option<String>,
    pub account_code: Option<String>,
    pub tax_code: Option<String>,
    pub tax_amount: Option<String>,
    pub tax_rate: Option<String>,
}

/// An invoice or order as stored (its content as pushed, and its payment state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInvoice {
    /// `job`, `contract` or `order`.
    pub kind: String,
    pub number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub issue_date: String,
    pub due_date: Option<String>,
    pub currency: String,
    /// `exclusive`, `inclusive` or `none`.
    pub tax_mode: String,
    pub lines: Vec<StoredLine>,
    pub subtotal: String,
    pub tax_total: String,
    pub total: String,
    pub reference: Option<String>,
    pub memo: Option<String>,
    pub amount_paid: Option<String>,
    pub amount_due: Option<String>,
}

/// `From` both ways between a contract record and its stored mirror, field by field (one
/// list, so the two directions cannot drift apart).
macro_rules! mirror {
    ($contract:ty, $stored:ty, [$($field:ident),* $(,)?]) => {
        impl From<&$contract> for $stored {
            fn from(x: &$contract) -> Self {
                Self { $($field: x.$field.clone()),* }
            }
        }
        impl From<&$stored> for $contract {
            fn from(x: &$stored) -> Self {
                Self { $($field: x.$field.clone()),* }
            }
        }
    };
}

mirror!(
    Address,
    StoredAddress,
    [line1, line2, city, region, postal_code, country]
);
mirror!(
    InvoiceLine,
    StoredLine,
    [
        description,
        quantity,
        unit_price,
        discount_percent,
        amount,
        item_code,
        account_code,
        tax_code,
        tax_amount,
        tax_rate,
    ]
);

fn address(a: &Address) -> StoredAddress {
    a.into()
}

fn to_address(a: &StoredAddress) -> Address {
    a.into()
}

impl StoredCustomer {
    /// The content of `c`.
    pub fn of(c: &Customer) -> Self {
        StoredCustomer {
            name: c.name.clone(),
            account_number: c.account_number.clone(),
            contact_name: c.contact_name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            tax_number: c.tax_number.clone(),
            billing_address: c.billing_address.as_ref().map(address),
            shipping_address: c.shipping_address.as_ref().map(address),
            currency: c.currency.clone(),
            active: c.active,
        }
    }

    /// The contract record, with its id and version here.
    pub fn to_customer(&self, key: &str, id: &str, version: u32) -> Customer {
        Customer {
            key: key.to_owned(),
            remote_id: Some(id.to_owned()),
            version: Some(version.to_string()),
            idempotency_key: None,
            name: self.name.clone(),
            account_number: self.account_number.clone(),
            contact_name: self.contact_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            tax_number: self.tax_number.clone(),
            billing_address: self.billing_address.as_ref().map(to_address),
            shipping_address: self.shipping_address.as_ref().map(to_address),
            currency: self.currency.clone(),
            active: self.active,
            updated_at: None,
        }
    }
}

/// The contract's kind as stored.
pub fn kind_name(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Job => "job",
        InvoiceKind::Contract => "contract",
        InvoiceKind::Order => "order",
    }
}

fn kind_of(name: &str) -> InvoiceKind {
    match name {
        "contract" => InvoiceKind::Contract,
        "order" => InvoiceKind::Order,
        _ => InvoiceKind::Job,
    }
}

/// The tax mode as stored.
pub fn tax_mode_name(mode: TaxMode) -> &'static str {
    match mode {
        TaxMode::Exclusive => "exclusive",
        TaxMode::Inclusive => "inclusive",
        TaxMode::None => "none",
    }
}

fn tax_mode_of(name: &str) -> TaxMode {
    match name {
        "inclusive" => TaxMode::Inclusive,
        "none" => TaxMode::None,
        _ => TaxMode::Exclusive,
    }
}

/// Why a sales invoice written here cannot be changed by a later run (the host's compare
/// shows it as Locked with this reason).
pub const HISTORICAL_LOCKED: &str =
    "Historical in Salesorder, which keeps it read-only: adjust it in Salesorder by hand";

impl StoredInvoice {
    /// The content of `i`, billed to customer `customer_id` here.
    pub fn of(i: &Invoice, customer_id: &str) -> Self {
        StoredInvoice {
            kind: kind_name(i.kind).to_owned(),
            number: i.number.clone(),
            customer_id: customer_id.to_owned(),
            customer_name: i.customer.name.clone(),
            issue_date: i.issue_date.clone(),
            due_date: i.due_date.clone(),
            currency: i.currency.clone(),
            tax_mode: tax_mode_name(i.tax_mode).to_owned(),
            lines: i.lines.iter().map(StoredLine::from).collect(),
            subtotal: i.subtotal.clone(),
            tax_total: i.tax_total.clone(),
            total: i.total.clone(),
            reference: i.reference.clone(),
            memo: i.memo.clone(),
            amount_paid: i.amount_paid.clone(),
            amount_due: i.amount_due.clone(),
        }
    }

    /// The contract record, with its id and version here. A sales invoice is `locked`
    /// ([`HISTORICAL_LOCKED`]). A Historical sales invoice with
    /// nothing outstanding reads as `paid`, one with a balance as `authorised`; an order as
    /// `draft` (open, not posted).
    pub fn to_invoice(&self, key: &str, id: &str, version: u32, outstanding: bool) -> Invoice {
        let kind = kind_of(&self.kind);
        Invoice {
            key: key.to_owned(),
            remote_id: Some(id.to_owned()),
            version: Some(version.to_string()),
            idempotency_key: None,
            kind,
            number: self.number.clone(),
            customer: CustomerRef {
                remote_id: Some(self.customer_id.clone()),
                name: self.customer_name.clone(),
            },
            issue_date: self.issue_date.clone(),
            due_date: self.due_date.clone(),
            currency: self.currency.clone(),
            tax_mode: tax_mode_of(&self.tax_mode),
            lines: self.lines.iter().map(InvoiceLine::from).collect(),
            subtotal: self.subtotal.clone(),
            tax_total: self.tax_total.clone(),
            total: self.total.clone(),
            reference: self.reference.clone(),
            memo: self.memo.clone(),
            status: match (kind, outstanding) {
                (InvoiceKind::Order, _) => InvoiceStatus::Draft,
                (_, true) => InvoiceStatus::Authorised,
                (_, false) => InvoiceStatus::Paid,
            },
            amount_paid: self.amount_paid.clone(),
            amount_due: self.amount_due.clone(),
            // Salesorder imports every posting transaction as Historical, which it keeps
            // read-only; an order stays open.
            locked: (!matches!(kind, InvoiceKind::Order)).then(|| HISTORICAL_LOCKED.to_owned()),
            updated_at: None,
        }
    }

    /// A fingerprint of the document's content: everything a Salesorder row shows except
    /// payment state (amount paid / due), which moves by journal, not by document.
    pub fn fingerprint(&self) -> String {
        let mut content = self.clone();
        content.amount_paid = None;
        content.amount_due = None;
        fingerprint(&content)
    }
}

/// SHA-256 of a value's JSON, hex.
pub fn fingerprint<T: Serialize>(value: &T) -> String {
    use sha2::{Digest, Sha256};
    // Serializing plain structs of strings, options and vectors cannot fail; an empty text
    // would only make every fingerprint equal, which the unit tests would catch.
    let json = serde_json::to_vec(value).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
