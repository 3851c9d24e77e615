//! The records the suite writes: customers and invoices built from the options, every name
//! and number carrying the run's tag, and every amount computed the way the targets compute
//! it (tax per line, rounded to the cent, halves away from zero).

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use super::options::Options;
use crate::model::{
    Address, Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};

/// A customer named "Conformance <tag> <label>" with every field the first-party targets
/// keep, and no id: a create.
pub(super) fn customer(tag: &str, label: &str, key: String) -> Customer {
    let slug: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    Customer {
        key,
        remote_id: None,
        version: None,
        idempotency_key: None,
        name: format!("Conformance {tag} {label}"),
        account_number: None,
        contact_name: Some("Ada Lovelace".into()),
        email: Some(format!(
            "cf-{}-{slug}@example.com",
            tag.to_ascii_lowercase()
        )),
        phone: Some("+64 9 555 0100".into()),
        tax_number: None,
        billing_address: Some(Address {
            line1: Some("1 Queen Street".into()),
            line2: None,
            city: Some("Auckland".into()),
            region: None,
            postal_code: Some("1010".into()),
            country: Some("NZ".into()),
        }),
        shipping_address: None,
        currency: None,
        active: true,
        updated_at: None,
    }
}

/// Rounded to the cent, halves away from zero.
pub(super) fn cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal as the wire writes money: two places.
pub(super) fn money(value: Decimal) -> String {
    format!("{:.2}", cents(value))
}

/// Whether two decimal strings are the same amount to the cent (an unparsable one never is).
pub(super) fn same_cents(a: &str, b: &str) -> bool {
    match (Decimal::from_str(a.trim()), Decimal::from_str(b.trim())) {
        (Ok(a), Ok(b)) => cents(a) == cents(b),
        _ => false,
    }
}

/// A line amount whose tax, rounded per line on three such lines, differs from the tax of
/// their sum rounded once — so a connector that rounds tax per document instead of per line
/// is caught by the read-back. `None` when no amount between 10.00 and 999.99 does it.
pub(super) fn rounding_sensitive(rate: Decimal) -> Option<Decimal> {
    let three = Decimal::from(3);
    (1_000..100_000i64).map(|c| Decimal::new(c, 2)).find(|a| {
        let tax = *a * rate / Decimal::ONE_HUNDRED;
        cents(tax) * three != cents(tax * three)
    })
}

/// What an invoice is made of, besides the options.
pub(super) struct Draft<'a> {
    pub kind: InvoiceKind,
    pub number: String,
    pub customer: CustomerRef,
    pub date: &'a str,
    pub amounts: &'a [Decimal],
    pub key: String,
}

/// An invoice of one line per amount (quantity 1), tax exclusive at the options' code and
/// rate, totals summed from the lines.
pub(super) fn invoice(draft: Draft<'_>, options: &Options) -> Invoice {
    let lines: Vec<InvoiceLine> = draft
        .amounts
        .iter()
        .enumerate()
        .map(|(i, amount)| InvoiceLine {
            description: format!("Conformance line {}", i + 1),
            quantity: "1".into(),
            unit_price: money(*amount),
            discount_percent: None,
            amount: money(*amount),
            item_code: None,
            account_code: options.account_code.clone(),
            tax_code: Some(options.tax_code.clone()),
            tax_amount: Some(money(*amount * options.tax_rate / Decimal::ONE_HUNDRED)),
            tax_rate: Some(options.tax_rate.normalize().to_string()),
        })
        .collect();
    let subtotal: Decimal = draft.amounts.iter().map(|a| cents(*a)).sum();
    let tax: Decimal = draft
        .amounts
        .iter()
        .map(|a| cents(*a * options.tax_rate / Decimal::ONE_HUNDRED))
        .sum();
    Invoice {
        key: draft.key,
        remote_id: None,
        version: None,
        idempotency_key: None,
        kind: draft.kind,
        number: draft.number,
        customer: draft.customer,
        issue_date: draft.date.to_owned(),
        due_date: Some(draft.date.to_owned()),
        currency: options.currency.clone(),
        tax_mode: TaxMode::Exclusive,
        lines,
        subtotal: money(subtotal),
        tax_total: money(tax),
        total: money(subtotal + tax),
        reference: None,
        memo: None,
        status: InvoiceStatus::Authorised,
        amount_paid: None,
        amount_due: None,
        locked: None,
        updated_at: None,
    }
}

/// What is different between what was sent and what came back: totals and tax to the cent,
/// number, currency, customer, and each line's description, amount and tax.
pub(super) fn invoice_differences(sent: &Invoice, back: &Invoice) -> Vec<String> {
    let mut d = Vec::new();
    for (field, a, b) in [
        ("subtotal", &sent.subtotal, &back.subtotal),
        ("tax-total", &sent.tax_total, &back.tax_total),
        ("total", &sent.total, &back.total),
    ] {
        if !same_cents(a, b) {
            d.push(format!("{field} sent {a}, read back {b}"));
        }
    }
    if !sent.number.is_empty() && sent.number != back.number {
        d.push(format!(
            "number sent {}, read back {}",
            sent.number, back.number
        ));
    }
    if !sent.currency.eq_ignore_ascii_case(&back.currency) {
        d.push(format!(
            "currency sent {}, read back {}",
            sent.currency, back.currency
        ));
    }
    if sent.customer.remote_id.is_some() && sent.customer.remote_id != back.customer.remote_id {
        d.push(format!(
            "customer sent {:?}, read back {:?}",
            sent.customer.remote_id, back.customer.remote_id
        ));
    }
    if sent.lines.len() != back.lines.len() {
        d.push(format!(
            "{} lines sent, {} read back",
            sent.lines.len(),
            back.lines.len()
        ));
        return d;
    }
    for (i, (a, b)) in sent.lines.iter().zip(&back.lines).enumerate() {
        if a.description != b.description {
            d.push(format!(
                "lines[{i}].description sent {:?}, read back {:?}",
                a.description, b.description
            ));
        }
        if !same_cents(&a.amount, &b.amount) {
            d.push(format!(
                "lines[{i}].amount sent {}, read back {}",
                a.amount, b.amount
            ));
        }
        if let (Some(x), Some(y)) = (&a.tax_amount, &b.tax_amount)
            && !same_cents(x, y)
        {
            d.push(format!("lines[{i}].tax-amount sent {x}, read back {y}"));
        }
    }
    d
}

/// What differs between a customer sent and read back, on the fields the suite sends.
pub(super) fn customer_differences(sent: &Customer, back: &Customer) -> Vec<String> {
    let mut d = Vec::new();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    if sent.name.trim() != back.name.trim() {
        d.push(format!(
            "name sent {:?}, read back {:?}",
            sent.name, back.name
        ));
    }
    for (field, a, b) in [
        ("email", &sent.email, &back.email),
        ("phone", &sent.phone, &back.phone),
        ("contact-name", &sent.contact_name, &back.contact_name),
    ] {
        if text(a) != text(b) {
            d.push(format!(
                "{field} sent {:?}, read back {:?}",
                text(a),
                text(b)
            ));
        }
    }
    let empty = Address::default();
    let a = sent.billing_address.as_ref().unwrap_or(&empty);
    let b = back.billing_address.as_ref().unwrap_or(&empty);
    for (field, x, y) in [
        ("line1", &a.line1, &b.line1),
        ("city", &a.city, &b.city),
        ("postal-code", &a.postal_code, &b.postal_code),
        ("country", &a.country, &b.country),
    ] {
        if text(x) != text(y) {
            d.push(format!(
                "billing-address.{field} sent {:?}, read back {:?}",
                text(x),
                text(y)
            ));
        }
    }
    if !back.active {
        d.push("read back inactive".into());
    }
    d
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_rounding_sensitive_amount_tells_line_rounding_from_document_rounding() {
        for rate in [
            Decimal::new(15, 0),
            Decimal::new(85, 1),
            Decimal::new(10, 0),
        ] {
            let a = rounding_sensitive(rate).unwrap();
            let tax = a * rate / Decimal::ONE_HUNDRED;
            assert_ne!(
                cents(tax) * Decimal::from(3),
                cents(tax * Decimal::from(3)),
                "{rate}"
            );
        }
        // 10.02 at 15 %: 1.503 a line → 1.50 × 3 = 4.50; the document's 4.509 → 4.51.
        assert_eq!(
            rounding_sensitive(Decimal::new(15, 0)),
            Some(Decimal::new(1002, 2))
        );
    }

    #[test]
    fn money_is_two_places_and_compared_to_the_cent() {
        assert_eq!(money(Decimal::new(1515, 3)), "1.52");
        assert_eq!(money(Decimal::new(-1515, 3)), "-1.52");
        assert!(same_cents("10.5", "10.50"));
        assert!(!same_cents("10.50", "10.51"));
        assert!(!same_cents("10,50", "10.50"));
    }
}
