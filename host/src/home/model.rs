//! The home book's records: Tracker Pro's customers, jobs, service contracts and contract
//! invoices, as the host keeps them.
//!
//! Money and quantities are [`Decimal`]s that keep the scale they were written with
//! (`10.50` stays `10.50`). Dates are `YYYY-MM-DD` strings and timestamps RFC 3339 strings,
//! both checked on the way in (`home::validation`), so every record here is valid.
//! `Serialize` writes the import format of `docs/home-format.md` (see `home::export`).

use rust_decimal::Decimal;
use serde::Serialize;

use super::decimal_serde;

/// Version of the home-book file format written by export and accepted by import.
pub const FORMAT_VERSION: u64 = 1;

/// The whole home book (or the records of one import).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HomeBook {
    /// Customers.
    pub customers: Vec<HomeCustomer>,
    /// Jobs, with their invoice lines.
    pub jobs: Vec<HomeJob>,
    /// Service contracts.
    pub contracts: Vec<HomeContract>,
    /// Invoices generated from service contracts.
    pub contract_invoices: Vec<HomeContractInvoice>,
}

/// The four kinds of home-book record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A customer.
    Customer,
    /// A job (its invoice is a job invoice).
    Job,
    /// A service contract.
    Contract,
    /// An invoice generated from a service contract.
    ContractInvoice,
}

impl RecordKind {
    /// Every kind, in dependency order (what a record refers to comes first).
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Customer,
        RecordKind::Job,
        RecordKind::Contract,
        RecordKind::ContractInvoice,
    ];

    /// "customer", "job", "contract", "contract invoice": for messages.
    pub fn singular(self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::Job => "job",
            RecordKind::Contract => "contract",
            RecordKind::ContractInvoice => "contract invoice",
        }
    }

    /// The key of this kind's list in a JSON home-book document.
    pub fn json_key(self) -> &'static str {
        match self {
            RecordKind::Customer => "customers",
            RecordKind::Job => "jobs",
            RecordKind::Contract => "contracts",
            RecordKind::ContractInvoice => "contract_invoices",
        }
    }
}

/// A postal address; every part optional. An address with no part is stored as none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HomeAddress {
    /// First street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    /// Second street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// Town or city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, county or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal or ZIP code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country (ISO 3166-1 alpha-2 where known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl HomeAddress {
    /// True when no part is given.
    pub fn is_empty(&self) -> bool {
        [
            &self.line1,
            &self.line2,
            &self.city,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .all(|p| p.is_none())
    }
}

/// A Tracker Pro customer record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeCustomer {
    /// Tracker Pro's customer id; the key of the record everywhere in ledgerlink.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Account number or customer code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    /// Name of the person to contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    /// Primary e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Primary phone number, as entered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Tax registration number (GST, VAT, ABN, EIN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    /// Billing address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<HomeAddress>,
    /// Delivery or site address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<HomeAddress>,
    /// ISO 4217 currency code of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// False when the customer is inactive in Tracker Pro.
    pub active: bool,
    /// Tracker Pro's "flagged for integration": only flagged customers are transferred.
    pub flagged_for_integration: bool,
    /// When the record last changed in Tracker Pro (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Work in progress.
    Open,
    /// Work done; the job can be invoiced.
    Closed,
    /// Called off; never invoiced.
    Cancelled,
}

/// Where a contract invoice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractInvoiceStatus {
    /// Scheduled by the contract but not generated yet.
    Draft,
    /// Generated by Tracker Pro; it can be transferred.
    Generated,
    /// Called off; never transferred.
    Cancelled,
}

/// How the line amounts of an invoice relate to tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Line amounts exclude tax; tax is added on top.
    Exclusive,
    /// Line amounts include tax.
    Inclusive,
    /// No tax applies.
    None,
}

/// Names of enum values as written in files and stored in the database.
pub trait Named: Sized + Copy + 'static {
    /// Every value with its name.
    const NAMES: &'static [(Self, &'static str)];
    /// What the value is, for messages ("job status").
    const WHAT: &'static str;

    /// The value's name.
    fn name(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::NAMES
            .iter()
            .find(|(v, _)| *v == self)
            .map_or("", |(_, n)| n)
    }

    /// The value called `s` (exact, lower case).
    fn from_name(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(_, n)| *n == s).map(|(v, _)| *v)
    }
}

impl Named for JobStatus {
    const NAMES: &'static [(Self, &'static str)] = &[
        (JobStatus::Open, "open"),
        (JobStatus::Closed, "closed"),
        (JobStatus::Cancelled, "cancelled"),
    ];
    const WHAT: &'static str = "job status";
}

impl Named for ContractInvoiceStatus {
    const NAMES: &'static [(Self, &'static str)] = &[
        (ContractInvoiceStatus::Draft, "draft"),
        (ContractInvoiceStatus::Generated, "generated"),
        (ContractInvoiceStatus::Cancelled, "cancelled"),
    ];
    const WHAT: &'static str = "contract invoice status";
}

impl Named for TaxMode {
    const NAMES: &'static [(Self, &'static str)] = &[
        (TaxMode::Exclusive, "exclusive"),
        (TaxMode::Inclusive, "inclusive"),
        (TaxMode::None, "none"),
    ];
    const WHAT: &'static str = "tax mode";
}

/// One invoice line of a job or a contract invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeLine {
    /// What was sold or done.
    pub description: String,
    /// Quantity.
    #[serde(with = "decimal_serde")]
    pub quantity: Decimal,
    /// Price per unit, in the invoice's tax mode.
    #[serde(with = "decimal_serde")]
    pub unit_price: Decimal,
    /// Discount as a percentage of quantity × unit price ("10" is 10 %).
    #[serde(
        with = "decimal_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_percent: Option<Decimal>,
    /// The line amount as Tracker Pro computed it, in the invoice's tax mode.
    #[serde(with = "decimal_serde")]
    pub amount: Decimal,
    /// Item or product code in the target system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    /// Revenue account code in the target system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_code: Option<String>,
    /// Tax code or rate name in the target system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<String>,
    /// Tax on this line, when Tracker Pro computed it per line.
    #[serde(
        with = "decimal_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_amount: Option<Decimal>,
    /// Tax rate of this line in percent ("15" is 15 %), for targets that tax each line.
    #[serde(
        with = "decimal_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_rate: Option<Decimal>,
}

/// What a job and a contract invoice have in common: the invoice itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceBody {
    /// Issue date of the invoice (YYYY-MM-DD).
    pub invoice_date: String,
    /// Payment due date (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// How line amounts relate to tax.
    pub tax_mode: TaxMode,
    /// Sum of line amounts before tax.
    #[serde(with = "decimal_serde")]
    pub subtotal: Decimal,
    /// Total tax.
    #[serde(with = "decimal_serde")]
    pub tax_total: Decimal,
    /// Amount payable.
    #[serde(with = "decimal_serde")]
    pub total: Decimal,
    /// What the customer has paid of `total` so far, as Tracker Pro recorded it; 0 when
    /// nothing is paid (the default). `total - amount_paid` is outstanding.
    #[serde(with = "decimal_serde", skip_serializing_if = "Decimal::is_zero")]
    pub amount_paid: Decimal,
    /// Free text printed on the invoice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// The lines, in order.
    pub lines: Vec<HomeLine>,
}

/// A Tracker Pro job; its invoice is a job invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeJob {
    /// Tracker Pro's job id.
    pub id: String,
    /// Job number as printed; also the invoice number.
    pub number: String,
    /// The customer billed (a [`HomeCustomer::id`]).
    pub customer_id: String,
    /// Open, closed or cancelled.
    pub status: JobStatus,
    /// First Ready-for-Invoice flag.
    pub ready_for_invoice_1: bool,
    /// Second Ready-for-Invoice flag.
    pub ready_for_invoice_2: bool,
    /// When the job was closed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The invoice.
    #[serde(flatten)]
    pub body: InvoiceBody,
    /// When the record last changed in Tracker Pro (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A Tracker Pro service contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeContract {
    /// Tracker Pro's contract id.
    pub id: String,
    /// Contract number as printed.
    pub number: String,
    /// The customer (a [`HomeCustomer::id`]).
    pub customer_id: String,
    /// What the contract covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the record last changed in Tracker Pro (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// An invoice generated from a service contract (a "service invoice").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeContractInvoice {
    /// Tracker Pro's contract invoice id.
    pub id: String,
    /// Invoice number as printed.
    pub number: String,
    /// The contract it was generated from (a [`HomeContract::id`]).
    pub contract_id: String,
    /// The customer billed (a [`HomeCustomer::id`]).
    pub customer_id: String,
    /// Draft, generated or cancelled.
    pub status: ContractInvoiceStatus,
    /// First Ready-for-Invoice flag.
    pub ready_for_invoice_1: bool,
    /// Second Ready-for-Invoice flag.
    pub ready_for_invoice_2: bool,
    /// The invoice.
    #[serde(flatten)]
    pub body: InvoiceBody,
    /// When the record last changed in Tracker Pro (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}
