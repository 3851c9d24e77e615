//! Content fingerprints of canonical records.
//!
//! A fingerprint covers what a person would call the record's content and nothing the
//! systems add around it: not the home key, the remote id, the concurrency token or the
//! update time. Two records with the same content have the same fingerprint in any system,
//! so "changed since the last sync" is a comparison of fingerprints. Text is compared as
//! written; decimals are normalised (`10.5` and `10.50` are the same amount).

use std::str::FromStr;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::runtime::bindings::{Address, Customer, Invoice};

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
        let p = format!("lines[{n}]");
        h.text(&format!("{p}.description"), Some(&l.description));
        h.amount(&format!("{p}.quantity"), Some(&l.quantity));
        h.amount(&format!("{p}.unit-price"), Some(&l.unit_price));
        h.amount(
            &format!("{p}.discount-percent"),
            l.discount_percent.as_deref(),
        );
        h.amount(&format!("{p}.amount"), Some(&l.amount));
        h.text(&format!("{p}.item-code"), l.item_code.as_deref());
        h.text(&format!("{p}.account-code"), l.account_code.as_deref());
        h.text(&format!("{p}.tax-code"), l.tax_code.as_deref());
        h.amount(&format!("{p}.tax-amount"), l.tax_amount.as_deref());
    }
    h.amount("subtotal", Some(&i.subtotal));
    h.amount("tax-total", Some(&i.tax_total));
    h.amount("total", Some(&i.total));
    h.text("reference", i.reference.as_deref());
    h.text("memo", i.memo.as_deref());
    h.finish()
}

/// Length-prefixed fields, so no two different records can serialise alike.
#[derive(Default)]
struct Fields {
    hasher: Sha256,
}

impl Fields {
    fn text(&mut self, name: &str, value: Option<&str>) {
        self.hasher.update((name.len() as u64).to_le_bytes());
        self.hasher.update(name.as_bytes());
        match value {
            None => self.hasher.update([0u8]),
            Some(v) => {
                self.hasher.update([1u8]);
                self.hasher.update((v.len() as u64).to_le_bytes());
                self.hasher.update(v.as_bytes());
            }
        }
    }

    fn amount(&mut self, name: &str, value: Option<&str>) {
        // An unparsable amount is hashed as written: it differs from every valid one.
        let normalised = value.map(|v| {
            Decimal::from_str(v).map_or_else(|_| v.to_owned(), |d| d.normalize().to_string())
        });
        self.text(name, normalised.as_deref());
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
        self.hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
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
