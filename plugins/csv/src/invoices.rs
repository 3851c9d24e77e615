//! Invoices: the rules an invoice must meet before it is stored, and how pushes treat it.
//!
//! How invoices are laid out in a file (one row per line) is in [`rows`]; this module is the
//! canonical side: validation with the SDK's decimals, ids per kind, invoice-number
//! uniqueness, and "unchanged".
//!
//! Money and quantities go through [`Decimal`](ledgerlink_sdk::Decimal) on the way in, with
//! the SDK's parser, so nothing but a plain decimal string reaches the file and its scale is
//! kept: "10.50" stays "10.50".

use ledgerlink_sdk::decimal;
use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{ConnectorError, Invoice, InvoiceKind, InvoiceLine};
use time::Date;
use time::macros::format_description;

use crate::upsert::{Record, Target};

mod rows;
mod scan;

pub use rows::{parse_table, serialize_table};
pub use scan::{TableFile, get, page};

/// Where invoices of `kind` live, for ids ("J-000001", "S-000001") and messages.
pub fn target(kind: InvoiceKind, file: &str) -> Target<'_> {
    match kind {
        InvoiceKind::Job => Target {
            noun: "job invoice",
            id_prefix: "J",
            file,
            issued: 0,
        },
        InvoiceKind::Contract => Target {
            noun: "contract invoice",
            id_prefix: "S",
            file,
            issued: 0,
        },
        InvoiceKind::Order => Target {
            noun: "order",
            id_prefix: "O",
            file,
            issued: 0,
        },
    }
}

/// Check an invoice before it is stored, and write its decimals as [`Decimal`] writes them.
///
/// Errors name the canonical field: `number`, `customer.remote-id`, `issue-date`, `total`,
/// `lines[2].quantity` (lines counted from 0).
///
/// [`Decimal`]: ledgerlink_sdk::Decimal
pub fn validate(mut invoice: Invoice) -> Result<Invoice, ConnectorError> {
    validate_header(&mut invoice)?;
    invoice.lines = std::mem::take(&mut invoice.lines)
        .into_iter()
        .enumerate()
        .map(|(index, line)| validate_line(index, line))
        .collect::<Result<_, _>>()?;
    Ok(invoice)
}

fn validate_header(invoice: &mut Invoice) -> Result<(), ConnectorError> {
    if invoice.number.trim().is_empty() {
        return Err(error::validation("number is required; every invoice needs one").at("number"));
    }
    if invoice
        .customer
        .remote_id
        .as_deref()
        .is_none_or(|id| id.trim().is_empty())
    {
        return Err(error::validation(
            "the invoice has no customer id; push the customer first and give its id",
        )
        .at("customer.remote-id"));
    }
    check_date(&invoice.issue_date, "issue-date")?;
    if let Some(due) = &invoice.due_date {
        check_date(due, "due-date")?;
    }
    invoice.subtotal = decimal::to_wire(invoice.subtotal_decimal()?);
    invoice.tax_total = decimal::to_wire(invoice.tax_total_decimal()?);
    invoice.total = decimal::to_wire(invoice.total_decimal()?);
    Ok(())
}

fn validate_line(index: usize, mut line: InvoiceLine) -> Result<InvoiceLine, ConnectorError> {
    line.quantity = decimal::to_wire(line.quantity_decimal(index)?);
    line.unit_price = decimal::to_wire(line.unit_price_decimal(index)?);
    line.amount = decimal::to_wire(line.amount_decimal(index)?);
    // The SDK has no helpers for the optional decimals; parse them the same way.
    line.discount_percent = optional_decimal(
        line.discount_percent,
        &format!("lines[{index}].discount-percent"),
    )?;
    line.tax_amount = optional_decimal(line.tax_amount, &format!("lines[{index}].tax-amount"))?;
    Ok(line)
}

fn optional_decimal(value: Option<String>, field: &str) -> Result<Option<String>, ConnectorError> {
    value
        .map(|v| decimal::parse(&v, field).map(decimal::to_wire))
        .transpose()
}

fn check_date(value: &str, field: &str) -> Result<(), ConnectorError> {
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map(|_| ())
        .map_err(|_| {
            error::validation(format!(
                "{field} must be a date like \"2026-11-22\", got {value:?}"
            ))
            .at(field)
        })
}

impl Record for Invoice {
    fn remote_id(&self) -> Option<&str> {
        self.remote_id.as_deref()
    }

    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    fn stamp(&mut self, id: String, version: String, updated_at: String) {
        self.remote_id = Some(id);
        self.version = Some(version);
        self.updated_at = Some(updated_at);
    }

    fn same_content(&self, other: &Self) -> bool {
        rows::content(self) == rows::content(other)
    }

    fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// Invoice numbers are unique within a file, as in an accounting system's ledger.
    fn unique_value(&self) -> Option<&str> {
        Some(&self.number)
    }

    fn duplicate_of_id(&self, existing: Option<&str>, file: &str) -> ConnectorError {
        duplicate_number(&self.number, existing, file)
    }
}

/// The error for an invoice numbered `number` when `existing` (its id) already has that
/// number in `file`.
fn duplicate_number(number: &str, existing: Option<&str>, file: &str) -> ConnectorError {
    let id = existing.unwrap_or_default();
    error::duplicate(
        format!(
            "invoice number {number} is already used by {id} in {file}; \
             update {id} instead or give this invoice another number"
        ),
        existing.map(str::to_owned),
    )
    .at("number")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::upsert::upsert;
    use ledgerlink_sdk::types::{CustomerRef, InvoiceStatus, TaxMode, WriteAction};

    // Fixtures, shared with the tests of `rows`.

    pub(super) fn line(
        description: &str,
        quantity: &str,
        unit_price: &str,
        amount: &str,
    ) -> InvoiceLine {
        InvoiceLine {
            description: description.into(),
            quantity: quantity.into(),
            unit_price: unit_price.into(),
            discount_percent: None,
            amount: amount.into(),
            item_code: None,
            account_code: Some("200".into()),
            tax_code: Some("OUTPUT2".into()),
            tax_amount: None,
            tax_rate: None,
        }
    }

    pub(super) fn invoice(id: Option<&str>, number: &str, lines: Vec<InvoiceLine>) -> Invoice {
        Invoice {
            key: String::new(),
            remote_id: id.map(Into::into),
            version: id.map(|_| "1".into()),
            idempotency_key: None,
            kind: InvoiceKind::Job,
            number: number.into(),
            customer: CustomerRef {
                remote_id: Some("C-000001".into()),
                name: "Smith, \"Bob\" & Sons".into(),
            },
            issue_date: "2026-11-22".into(),
            due_date: Some("2026-12-20".into()),
            currency: "NZD".into(),
            tax_mode: TaxMode::Exclusive,
            lines,
            subtotal: "1231.525".into(),
            tax_total: "184.73".into(),
            total: "1416.255".into(),
            reference: Some("JOB-42".into()),
            memo: Some("Thanks,\nsee you \"soon\"".into()),
            status: InvoiceStatus::Authorised,
            amount_paid: None,
            amount_due: None,
            locked: None,
            updated_at: id.map(|_| "2026-11-22T01:21:27Z".into()),
        }
    }

    pub(super) fn three_lines() -> Vec<InvoiceLine> {
        let mut labour = line("Labour", "2", "617.25", "1234.50");
        labour.tax_amount = Some("185.175".into());
        let mut screws = line("Screws, brass", "0.125", "1.00", "0.125");
        screws.discount_percent = Some("10.0".into());
        screws.item_code = Some("SCR-B".into());
        let credit = line("Credit: \"goodwill\"", "1", "-3.10", "-3.10");
        vec![labour, screws, credit]
    }

    #[test]
    fn validation_keeps_the_scale_of_every_decimal() {
        let v = validate(invoice(None, "INV-1", three_lines())).unwrap();
        assert_eq!(
            (v.subtotal.as_str(), v.tax_total.as_str(), v.total.as_str()),
            ("1231.525", "184.73", "1416.255")
        );
        assert_eq!(v.lines[0].amount, "1234.50");
        assert_eq!(v.lines[0].tax_amount.as_deref(), Some("185.175"));
        assert_eq!(v.lines[2].unit_price, "-3.10");
    }

    #[test]
    fn a_bad_decimal_names_its_line_and_field() {
        let mut lines = three_lines();
        lines[2].quantity = "1,5".into();
        let e = validate(invoice(None, "INV-1", lines)).unwrap_err();
        assert!(matches!(e, ConnectorError::Validation(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "lines[2].quantity must be a decimal number like \"1234.50\", got \"1,5\""
        );
        assert_eq!(e.field(), Some("lines[2].quantity"));

        let mut lines = three_lines();
        lines[1].discount_percent = Some("10%".into());
        let e = validate(invoice(None, "INV-1", lines)).unwrap_err();
        assert_eq!(e.field(), Some("lines[1].discount-percent"));

        let mut inv = invoice(None, "INV-1", three_lines());
        inv.tax_total = "1e2".into();
        let e = validate(inv).unwrap_err();
        assert_eq!(e.field(), Some("tax-total"));
    }

    #[test]
    fn a_pushed_invoice_needs_a_customer_id_a_number_and_real_dates() {
        let mut inv = invoice(None, "INV-1", vec![]);
        inv.customer.remote_id = None;
        let e = validate(inv).unwrap_err();
        assert_eq!(
            e.message(),
            "the invoice has no customer id; push the customer first and give its id"
        );
        assert_eq!(e.field(), Some("customer.remote-id"));

        let e = validate(invoice(None, " ", vec![])).unwrap_err();
        assert_eq!(e.field(), Some("number"));

        let mut inv = invoice(None, "INV-1", vec![]);
        inv.due_date = Some("20/12/2026".into());
        let e = validate(inv).unwrap_err();
        assert_eq!(
            e.message(),
            "due-date must be a date like \"2026-11-22\", got \"20/12/2026\""
        );
        assert_eq!(e.field(), Some("due-date"));
    }

    #[test]
    fn a_duplicate_number_on_push_names_the_existing_invoice() {
        let mut table = vec![invoice(Some("J-000001"), "INV-1", three_lines())];
        let e = upsert(
            &mut table,
            validate(invoice(None, "INV-1", vec![])).unwrap(),
            target(InvoiceKind::Job, "job-invoices.csv"),
            "2026-12-01T00:00:00Z",
        )
        .unwrap_err();
        match &e {
            ConnectorError::Duplicate(d) => {
                assert_eq!(d.existing_id.as_deref(), Some("J-000001"));
                assert_eq!(d.field.as_deref(), Some("number"));
            }
            other => panic!("expected duplicate, got {other:?}"),
        }
        assert_eq!(
            e.message(),
            "invoice number INV-1 is already used by J-000001 in job-invoices.csv; update \
             J-000001 instead or give this invoice another number"
        );
    }

    #[test]
    fn ids_depend_on_the_kind_of_invoice() {
        let mut jobs = vec![invoice(Some("J-000004"), "INV-4", vec![])];
        let now = "2026-12-01T00:00:00Z";
        let w = upsert(
            &mut jobs,
            invoice(None, "INV-5", vec![]),
            target(InvoiceKind::Job, "j.csv"),
            now,
        )
        .unwrap();
        assert_eq!(
            (w.remote_id.as_str(), w.action),
            ("J-000005", WriteAction::Created)
        );
        let mut contracts = vec![];
        let w = upsert(
            &mut contracts,
            invoice(None, "SI-1", vec![]),
            target(InvoiceKind::Contract, "s.csv"),
            now,
        )
        .unwrap();
        assert_eq!(w.remote_id, "S-000001");
    }

    #[test]
    fn the_same_invoice_pushed_again_is_unchanged_and_a_changed_line_is_an_update() {
        let stored = invoice(Some("J-000001"), "INV-1", three_lines());
        let mut table = vec![stored.clone()];
        let now = "2026-12-01T00:00:00Z";
        let t = target(InvoiceKind::Job, "job-invoices.csv");

        let mut again = stored.clone();
        again.key = "tp:job-invoice:9".into();
        again.updated_at = None;
        let w = upsert(&mut table, validate(again).unwrap(), t, now).unwrap();
        assert_eq!(
            (w.action, w.version.as_deref()),
            (WriteAction::Unchanged, Some("1"))
        );

        let mut changed = stored.clone();
        changed.lines[1].quantity = "0.250".into();
        let w = upsert(&mut table, validate(changed).unwrap(), t, now).unwrap();
        assert_eq!(
            (w.action, w.version.as_deref()),
            (WriteAction::Updated, Some("2"))
        );
        assert_eq!(table[0].lines[1].quantity, "0.250");
        assert_eq!(table[0].updated_at.as_deref(), Some(now));

        let mut fewer = table[0].clone();
        fewer.lines.pop();
        let w = upsert(&mut table, fewer, t, now).unwrap();
        assert_eq!(
            (w.action, w.version.as_deref()),
            (WriteAction::Updated, Some("3"))
        );
        assert_eq!(table[0].lines.len(), 2);
    }
}
