//! The read-back: after a push, every document created or updated is read from the target
//! and compared with what was sent — customer, currency, number, date, lines, each line's
//! amount and tax, subtotal, tax and total, money to the cent. Every field that differs is
//! named with both values; none is passed over silently.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

use crate::model::Invoice;

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
///
/// Run on every document of a read-back: nothing is allocated for a field that agrees
/// (field names and values are copied only into a [`Difference`]).
pub fn compare(sent: &Invoice, there: &Invoice) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut differs = |field: &dyn Fn() -> String, a: &str, b: &str| {
        out.push(Difference {
            field: field(),
            sent: a.to_owned(),
            there: b.to_owned(),
        });
    };
    if let Some(customer) = &sent.customer.remote_id {
        let theirs = there.customer.remote_id.as_deref().unwrap_or("");
        if customer != theirs {
            differs(&|| "customer".to_owned(), customer, theirs);
        }
    }
    let upper = |s: &str| s.chars().flat_map(char::to_uppercase).collect::<String>();
    if !sent
        .currency
        .chars()
        .flat_map(char::to_uppercase)
        .eq(there.currency.chars().flat_map(char::to_uppercase))
    {
        differs(
            &|| "currency".to_owned(),
            &upper(&sent.currency),
            &upper(&there.currency),
        );
    }
    // An empty number asks the target to number it.
    if !sent.number.is_empty() && sent.number.trim() != there.number.trim() {
        differs(
            &|| "number".to_owned(),
            sent.number.trim(),
            there.number.trim(),
        );
    }
    if sent.issue_date != there.issue_date {
        differs(
            &|| "issue-date".to_owned(),
            &sent.issue_date,
            &there.issue_date,
        );
    }
    if sent.lines.len() != there.lines.len() {
        differs(
            &|| "line count".to_owned(),
            &sent.lines.len().to_string(),
            &there.lines.len().to_string(),
        );
    }
    let mut money = |field: &dyn Fn() -> String, a: &str, b: &str| {
        if !same_cents(a, b) {
            differs(field, a, b);
        }
    };
    if sent.lines.len() == there.lines.len() {
        for (i, (a, b)) in sent.lines.iter().zip(&there.lines).enumerate() {
            money(&|| format!("lines[{i}].amount"), &a.amount, &b.amount);
            if let (Some(ta), Some(tb)) = (&a.tax_amount, &b.tax_amount) {
                money(&|| format!("lines[{i}].tax-amount"), ta, tb);
            }
        }
    }
    money(&|| "subtotal".to_owned(), &sent.subtotal, &there.subtotal);
    money(
        &|| "tax-total".to_owned(),
        &sent.tax_total,
        &there.tax_total,
    );
    money(&|| "total".to_owned(), &sent.total, &there.total);
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
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{CustomerRef, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode};

    /// A one-line invoice of `total` in `currency` for the customer `customer` (remote id).
    pub(crate) fn invoice(currency: &str, total: &str, customer: &str) -> Invoice {
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
                tax_rate: None,
            }],
            subtotal: total.into(),
            tax_total: "0".into(),
            total: total.into(),
            reference: None,
            memo: None,
            status: InvoiceStatus::Authorised,
            amount_paid: None,
            amount_due: None,
            locked: None,
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

    #[test]
    fn what_the_outbox_holds_compares_as_the_record_sent_does() {
        // The read-back compares the target's documents with the outbox payload of what was
        // sent (`sync::verify`), not with the record the push held.
        let mut sent = invoice("AUD", "10.00", "C1");
        sent.lines[0].description = "Labour — 2 h".into();
        sent.memo = Some("memo".into());
        sent.idempotency_key = Some("k".into());
        let payload = crate::model::stored::Record::Invoice(sent.clone()).to_json();
        let crate::model::stored::Record::Invoice(stored) =
            crate::model::stored::Record::from_json(&payload).unwrap()
        else {
            panic!("an invoice was stored");
        };
        let mut other_lines = invoice("AUD", "10.00", "C1");
        other_lines.lines.push(other_lines.lines[0].clone());
        let mut other_number = invoice("AUD", "10.00", "C1");
        other_number.number = "J2".into();
        for there in [
            invoice("aud", "10.004", "C1"),
            invoice("USD", "10.01", "C2"),
            other_lines,
            other_number,
        ] {
            assert_eq!(compare(&stored, &there), compare(&sent, &there));
        }
        assert_eq!(
            describe(&compare(&stored, &invoice("USD", "10.01", "C2"))),
            "customer: sent C1, there C2; currency: sent AUD, there USD; lines[0].amount: sent 10.00, there 10.01; subtotal: sent 10.00, there 10.01; total: sent 10.00, there 10.01"
        );
    }
}
