//! The read-back: after a push, every document created or updated is read from the target
//! and compared with what was sent — customer, currency, number, date, lines, each line's
//! amount and tax, subtotal, tax and total, money to the cent. Every field that differs is
//! named with both values; none is passed over silently.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

use crate::runtime::bindings::Invoice;

/// One field that differs between what was sent and what the target holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The field, as the contract names it (`total`, `lines[2].amount`).
    pub field: String,
    /// What ledgerlink sent.
    pub sent: String,
    /// What the target holds.
    pub there: String,
}

fn cents(s: &str) -> Option<Decimal> {
    Decimal::from_str(s.trim())
        .ok()
        .map(|d| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

/// Amounts equal to the cent (the rule every target rounds to).
pub fn same_cents(a: &str, b: &str) -> bool {
    matches!((cents(a), cents(b)), (Some(x), Some(y)) if x == y)
}

/// Every field of `sent` that `there` does not hold the same.
pub fn compare(sent: &Invoice, there: &Invoice) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut text = |field: &str, a: &str, b: &str| {
        if a != b {
            out.push(Difference {
                field: field.to_owned(),
                sent: a.to_owned(),
                there: b.to_owned(),
            });
        }
    };
    if let Some(customer) = &sent.customer.remote_id {
        text(
            "customer",
            customer,
            there.customer.remote_id.as_deref().unwrap_or(""),
        );
    }
    text(
        "currency",
        &sent.currency.to_uppercase(),
        &there.currency.to_uppercase(),
    );
    // An empty number asks the target to number it.
    if !sent.number.is_empty() {
        text("number", sent.number.trim(), there.number.trim());
    }
    text("issue-date", &sent.issue_date, &there.issue_date);
    text(
        "line count",
        &sent.lines.len().to_string(),
        &there.lines.len().to_string(),
    );
    let mut money = |field: String, a: &str, b: &str| {
        if !same_cents(a, b) {
            out.push(Difference {
                field,
                sent: a.to_owned(),
                there: b.to_owned(),
            });
        }
    };
    if sent.lines.len() == there.lines.len() {
        for (i, (a, b)) in sent.lines.iter().zip(&there.lines).enumerate() {
            money(format!("lines[{i}].amount"), &a.amount, &b.amount);
            if let (Some(ta), Some(tb)) = (&a.tax_amount, &b.tax_amount) {
                money(format!("lines[{i}].tax-amount"), ta, tb);
            }
        }
    }
    money("subtotal".to_owned(), &sent.subtotal, &there.subtotal);
    money("tax-total".to_owned(), &sent.tax_total, &there.tax_total);
    money("total".to_owned(), &sent.total, &there.total);
    out
}

/// A difference list as a sentence: `total: sent 10.00, there 10.01; currency: ...`.
pub fn describe(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(|d| {
            format!(
                "{}: sent {}, there {}",
                d.field,
                if d.sent.is_empty() { "∅" } else { &d.sent },
                if d.there.is_empty() { "∅" } else { &d.there }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::runtime::bindings::{CustomerRef, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode};

    fn invoice(currency: &str, total: &str, customer: &str) -> Invoice {
        Invoice {
            key: "J1".into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            kind: InvoiceKind::Job,
            number: "J1".into(),
            customer: CustomerRef {
                remote_id: Some(customer.into()),
                name: "A".into(),
            },
            issue_date: "2026-11-02".into(),
            due_date: None,
            currency: currency.into(),
            tax_mode: TaxMode::None,
            lines: vec![InvoiceLine {
                description: "x".into(),
                quantity: "1".into(),
                unit_price: total.into(),
                discount_percent: None,
                amount: total.into(),
                item_code: None,
                account_code: None,
                tax_code: None,
                tax_amount: None,
            }],
            subtotal: total.into(),
            tax_total: "0".into(),
            total: total.into(),
            reference: None,
            memo: None,
            status: InvoiceStatus::Authorised,
            updated_at: None,
        }
    }

    #[test]
    fn the_same_document_to_the_cent_has_no_difference() {
        assert_eq!(
            compare(
                &invoice("AUD", "10.00", "C1"),
                &invoice("aud", "10.004", "C1")
            ),
            vec![]
        );
    }

    #[test]
    fn every_differing_field_is_named_with_both_values() {
        let d = compare(
            &invoice("AUD", "10.00", "C1"),
            &invoice("USD", "10.01", "C2"),
        );
        assert_eq!(
            describe(&d),
            "customer: sent C1, there C2; currency: sent AUD, there USD; lines[0].amount: sent 10.00, there 10.01; subtotal: sent 10.00, there 10.01; total: sent 10.00, there 10.01"
        );
    }
}
