//! Content fingerprints of canonical records.
//!
//! A fingerprint covers what a person would call the record's content and nothing the
//! systems add around it: not the home key, the remote id, the concurrency token or the
//! update time. Two records with the same content have the same fingerprint in any system,
//! so "changed since the last sync" is a comparison of fingerprints. Text is compared as
//! written; decimals are normalised (`10.5` and `10.50` are the same amount).

use std::fmt::Write as _;
use std::str::FromStr;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::model::{Address, Customer, Invoice};

/// Hex SHA-256 of a customer's content.
pub fn customer(c: &Customer) -> String {
    let mut h = Fields::default();
    h.text("name", Some(&c.name));
    h.text("account-number", c.account_number.as_deref());
    h.text("contact-name", c.contact_name.as_deref());
    h.text("email", c.email.as_deref());
    h.text("phone", c.phone.as_deref());
    h.text("tax-number", c.tax_number.as_deref());
    h.address("billing", c.billing_address.as_ref());
    h.address("shipping", c.shipping_address.as_ref());
    h.text("currency", c.currency.as_deref());
    h.text("active", Some(if c.active { "true" } else { "false" }));
    h.finish()
}

/// Hex SHA-256 of an invoice's content (customer by name, not by id: ids differ per system).
/// Payment state (`amount_paid`, `amount_due`) is not content and is left out.
pub fn invoice(i: &Invoice) -> String {
    let mut h = Fields::default();
    h.text("kind", Some(&format!("{:?}", i.kind)));
    h.text("number", Some(&i.number));
    h.text("customer", Some(&i.customer.name));
    h.text("issue-date", Some(&i.issue_date));
    h.text("due-date", i.due_date.as_deref());
    h.text("currency", Some(&i.currency));
    h.text("tax-mode", Some(&format!("{:?}", i.tax_mode)));
    for (n, l) in i.lines.iter().enumerate() {
        h.line(n, "description", Kind::Text, Some(&l.description));
        h.line(n, "quantity", Kind::Amount, Some(&l.quantity));
        h.line(n, "unit-price", Kind::Amount, Some(&l.unit_price));
        h.line(
            n,
            "discount-percent",
            Kind::Amount,
            l.discount_percent.as_deref(),
        );
        h.line(n, "amount", Kind::Amount, Some(&l.amount));
        h.line(n, "item-code", Kind::Text, l.item_code.as_deref());
        h.line(n, "account-code", Kind::Text, l.account_code.as_deref());
        h.line(n, "tax-code", Kind::Text, l.tax_code.as_deref());
        h.line(n, "tax-amount", Kind::Amount, l.tax_amount.as_deref());
        // Added in contract 0.2: hashed only when known, so the fingerprints of records
        // without it stay what they were (nothing becomes "changed" by an upgrade).
        if l.tax_rate.is_some() {
            h.line(n, "tax-rate", Kind::Amount, l.tax_rate.as_deref());
        }
    }
    h.amount("subtotal", Some(&i.subtotal));
    h.amount("tax-total", Some(&i.tax_total));
    h.amount("total", Some(&i.total));
    h.text("reference", i.reference.as_deref());
    h.text("memo", i.memo.as_deref());
    h.finish()
}

/// How a field is hashed: as written, or as a normalised decimal.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Amount,
}

/// Length-prefixed fields, so no two different records can serialise alike.
///
/// The two buffers are reused from field to field (a line's field names and normalised
/// amounts), so hashing an invoice allocates nothing per field.
#[derive(Default)]
struct Fields {
    hasher: Sha256,
    name: String,
    value: String,
}

fn put(hasher: &mut Sha256, name: &str, value: Option<&str>) {
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    match value {
        None => hasher.update([0u8]),
        Some(v) => {
            hasher.update([1u8]);
            hasher.update((v.len() as u64).to_le_bytes());
            hasher.update(v.as_bytes());
        }
    }
}

/// `value` normalised into `buffer` (`10.50` → `10.5`), or `value` itself when it is not
/// a decimal: an unparsable amount is hashed as written, so it differs from every valid one.
fn normalised<'a>(buffer: &'a mut String, value: &'a str) -> &'a str {
    match Decimal::from_str(value) {
        Ok(d) => {
            buffer.clear();
            // Writing to a String cannot fail.
            let _ = write!(buffer, "{}", d.normalize());
            buffer
        }
        Err(_) => value,
    }
}

impl Fields {
    fn text(&mut self, name: &str, value: Option<&str>) {
        put(&mut self.hasher, name, value);
    }

    fn amount(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(|v| normalised(&mut self.value, v));
        put(&mut self.hasher, name, value);
    }

    /// Field `field` of line `n`, named "lines[n].field".
    fn line(&mut self, n: usize, field: &str, kind: Kind, value: Option<&str>) {
        self.name.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.name, "lines[{n}].{field}");
        let value = match kind {
            Kind::Text => value,
            Kind::Amount => value.map(|v| normalised(&mut self.value, v)),
        };
        put(&mut self.hasher, &self.name, value);
    }

    fn address(&mut self, name: &str, a: Option<&Address>) {
        let Some(a) = a else {
            self.text(name, None);
            return;
        };
        self.text(name, Some(""));
        self.text(&format!("{name}.line1"), a.line1.as_deref());
        self.text(&format!("{name}.line2"), a.line2.as_deref());
        self.text(&format!("{name}.city"), a.city.as_deref());
        self.text(&format!("{name}.region"), a.region.as_deref());
        self.text(&format!("{name}.postal-code"), a.postal_code.as_deref());
        self.text(&format!("{name}.country"), a.country.as_deref());
    }

    fn finish(self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = self.hasher.finalize();
        let mut hex = String::with_capacity(digest.len() * 2);
        for b in digest {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        hex
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn customer_named(name: &str) -> Customer {
        Customer {
            key: "k".into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: Some("a@b.example".into()),
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        }
    }

    #[test]
    fn ids_versions_and_times_do_not_count_content_does() {
        let a = customer_named("Acme");
        let mut b = a.clone();
        b.key = "other".into();
        b.remote_id = Some("C-1".into());
        b.version = Some("7".into());
        b.updated_at = Some("2026-11-22T00:00:00Z".into());
        assert_eq!(customer(&a), customer(&b));
        b.email = Some("x@b.example".into());
        assert_ne!(customer(&a), customer(&b));
        // None and "" are different content.
        let mut c = a.clone();
        c.phone = Some(String::new());
        assert_ne!(customer(&a), customer(&c));
    }
}
