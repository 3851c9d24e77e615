//! Notes' records and the rules a write must pass, as plain data (no HTTP here).

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::Refusal;

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Address {
    #[serde(default)]
    pub line1: Option<String>,
    #[serde(default)]
    pub line2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// What a client writes for a customer (`POST` / `PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerInput {
    /// On `PUT`: the version the client read; an older one is refused (409).
    #[serde(default, skip_serializing)]
    pub version: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub account_number: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub tax_number: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub billing_address: Option<Address>,
    #[serde(default)]
    pub shipping_address: Option<Address>,
}

fn yes() -> bool {
    true
}

/// A stored customer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Customer {
    pub id: String,
    pub version: u64,
    #[serde(flatten)]
    pub fields: CustomerInput,
    pub created_at: String,
    pub updated_at: String,
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    #[serde(default)]
    pub discount_percent: Option<String>,
    pub amount: String,
    #[serde(default)]
    pub item_code: Option<String>,
    #[serde(default)]
    pub account_code: Option<String>,
    #[serde(default)]
    pub tax_code: Option<String>,
    #[serde(default)]
    pub tax_amount: Option<String>,
    #[serde(default)]
    pub tax_rate: Option<String>,
}

/// What a client writes for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceInput {
    /// On `PUT`: the version the client read.
    #[serde(default, skip_serializing)]
    pub version: Option<u64>,
    /// `job`, `contract` or `order`.
    pub kind: String,
    /// Empty or absent: Notes numbers it (`N-0001`, …).
    #[serde(default)]
    pub number: String,
    pub customer_id: String,
    pub issue_date: String,
    #[serde(default)]
    pub due_date: Option<String>,
    pub currency: String,
    /// `exclusive`, `inclusive` or `none`.
    pub tax_mode: String,
    pub lines: Vec<Line>,
    pub subtotal: String,
    pub tax_total: String,
    pub total: String,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub memo: Option<String>,
    /// `draft` or `open` on a write (`paid` only through `/pay`; `void` by delete).
    #[serde(default = "open")]
    pub status: String,
}

fn open() -> String {
    "open".to_owned()
}

/// A stored invoice.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Invoice {
    pub id: String,
    pub version: u64,
    #[serde(flatten)]
    pub fields: InvoiceInput,
    pub amount_paid: String,
    pub created_at: String,
    pub updated_at: String,
}

fn refuse(field: &str, message: String) -> Refusal {
    Refusal::validation(field, message)
}

fn decimal(value: &str, field: &str) -> Result<Decimal, Refusal> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let plain = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    plain
        .then(|| Decimal::from_str(value).ok())
        .flatten()
        .ok_or_else(|| {
            refuse(
                field,
                format!("{field} must be a decimal string like \"12.50\", got {value:?}"),
            )
        })
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn is_date(value: &str) -> bool {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() && value.len() == 10
}

fn is_currency(value: &str) -> bool {
    value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase())
}

impl CustomerInput {
    /// The rules every customer write passes.
    pub(crate) fn check(&self) -> Result<(), Refusal> {
        if self.name.trim().is_empty() {
            return Err(refuse("name", "name is required".to_owned()));
        }
        if self.name.chars().count() > 200 {
            return Err(refuse(
                "name",
                "name is longer than 200 characters".to_owned(),
            ));
        }
        if let Some(email) = &self.email
            && !email.is_empty()
            && !email.contains('@')
        {
            return Err(refuse(
                "email",
                format!("email {email:?} is not an e-mail address"),
            ));
        }
        if let Some(currency) = &self.currency
            && !is_currency(currency)
        {
            return Err(refuse(
                "currency",
                format!("currency {currency:?} is not an ISO 4217 code like \"NZD\""),
            ));
        }
        Ok(())
    }
}

impl InvoiceInput {
    /// The rules every invoice write passes (the customer's existence is checked by the
    /// caller, who holds the book).
    pub(crate) fn check(&self) -> Result<(), Refusal> {
        if !matches!(self.kind.as_str(), "job" | "contract" | "order") {
            return Err(refuse(
                "kind",
                format!("kind must be job, contract or order, got {:?}", self.kind),
            ));
        }
        if !matches!(self.tax_mode.as_str(), "exclusive" | "inclusive" | "none") {
            return Err(refuse(
                "tax_mode",
                format!(
                    "tax_mode must be exclusive, inclusive or none, got {:?}",
                    self.tax_mode
                ),
            ));
        }
        if !matches!(self.status.as_str(), "draft" | "open") {
            return Err(refuse(
                "status",
                format!(
                    "status must be draft or open on a write (pay an invoice with POST …/pay), got {:?}",
                    self.status
                ),
            ));
        }
        for (field, date) in [
            ("issue_date", Some(&self.issue_date)),
            ("due_date", self.due_date.as_ref()),
        ] {
            if let Some(date) = date
                && !is_date(date)
            {
                return Err(refuse(
                    field,
                    format!("{field} must be a date like \"2026-11-02\", got {date:?}"),
                ));
            }
        }
        if !is_currency(&self.currency) {
            return Err(refuse(
                "currency",
                format!(
                    "currency {:?} is not an ISO 4217 code like \"NZD\"",
                    self.currency
                ),
            ));
        }
        if self.lines.is_empty() {
            return Err(refuse(
                "lines",
                "an invoice needs at least one line".to_owned(),
            ));
        }
        for (i, line) in self.lines.iter().enumerate() {
            decimal(&line.quantity, &format!("lines[{i}].quantity"))?;
            decimal(&line.unit_price, &format!("lines[{i}].unit_price"))?;
            decimal(&line.amount, &format!("lines[{i}].amount"))?;
            for (name, value) in [
                ("discount_percent", &line.discount_percent),
                ("tax_amount", &line.tax_amount),
                ("tax_rate", &line.tax_rate),
            ] {
                if let Some(v) = value {
                    decimal(v, &format!("lines[{i}].{name}"))?;
                }
            }
        }
        let subtotal = decimal(&self.subtotal, "subtotal")?;
        let tax = decimal(&self.tax_total, "tax_total")?;
        let total = decimal(&self.total, "total")?;
        // The subtotal is before tax in every tax mode, so the total is always both.
        let expected = subtotal + tax;
        if cents(expected) != cents(total) {
            return Err(refuse(
                "total",
                format!(
                    "total {} is not subtotal {} + tax_total {} = {}",
                    self.total,
                    self.subtotal,
                    self.tax_total,
                    cents(expected)
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice() -> InvoiceInput {
        serde_json::from_value(serde_json::json!({
            "kind": "job", "number": "J1", "customer_id": "cus_1", "issue_date": "2026-11-02",
            "currency": "NZD", "tax_mode": "exclusive",
            "lines": [{"description": "x", "quantity": "1", "unit_price": "10.00", "amount": "10.00", "tax_amount": "1.50"}],
            "subtotal": "10.00", "tax_total": "1.50", "total": "11.50"
        }))
        .expect("valid input")
    }

    #[test]
    fn a_consistent_invoice_passes() {
        assert_eq!(invoice().check(), Ok(()));
    }

    #[test]
    fn each_rule_names_its_field() {
        type Change = fn(&mut InvoiceInput);
        let cases: [(Change, &str); 5] = [
            (|i| i.total = "11.49".into(), "total"),
            (|i| i.issue_date = "2026-02-30".into(), "issue_date"),
            (|i| i.lines[0].amount = "1,0".into(), "lines[0].amount"),
            (|i| i.currency = "nzd".into(), "currency"),
            (|i| i.lines.clear(), "lines"),
        ];
        for (change, field) in cases {
            let mut i = invoice();
            change(&mut i);
            assert_eq!(i.check().expect_err(field).field.as_deref(), Some(field));
        }
    }
}
