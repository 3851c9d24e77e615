//! Content fingerprints of home-book records, stored beside each record.
//!
//! A fingerprint is the SHA-256 (hex) of a canonical, length-prefixed serialization of
//! what the record says, so no two different records serialize alike. It covers the
//! content a transfer would send and nothing around it:
//!
//! - included: the id, every field that reaches the canonical record (names, addresses,
//!   numbers, status, dates, currency, tax mode, lines, totals, memo, references);
//! - excluded: the workflow flags (`flagged_for_integration`, both Ready-for-Invoice flags),
//!   `updated_at` and `closed_at`: setting a flag or touching a record without changing it
//!   is not a change of content;
//! - decimals are normalised (`10.5` and `10.50` fingerprint alike).
//!
//! Import uses it to count added / changed / unchanged records and to stamp `changed_at`.
//! "Changed since the last sync to a connection" is judged on the canonical record instead
//! (`sync::fingerprint`, see `home::eligibility`), because that is what the id map records.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::model::{
    HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, InvoiceBody, Named,
};

/// Fingerprint of a customer.
pub fn customer(c: &HomeCustomer) -> String {
    let mut h = Hasher::new("customer");
    h.text("id", Some(&c.id));
    h.text("name", Some(&c.name));
    h.text("account_number", c.account_number.as_deref());
    h.text("contact_name", c.contact_name.as_deref());
    h.text("email", c.email.as_deref());
    h.text("phone", c.phone.as_deref());
    h.text("tax_number", c.tax_number.as_deref());
    h.address("billing_address", c.billing_address.as_ref());
    h.address("shipping_address", c.shipping_address.as_ref());
    h.text("currency", c.currency.as_deref());
    h.text("active", Some(if c.active { "true" } else { "false" }));
    h.finish()
}

/// Fingerprint of a job (its invoice content).
pub fn job(j: &HomeJob) -> String {
    let mut h = Hasher::new("job");
    h.text("id", Some(&j.id));
    h.text("number", Some(&j.number));
    h.text("customer_id", Some(&j.customer_id));
    h.text("status", Some(j.status.name()));
    h.body(&j.body);
    h.finish()
}

/// Fingerprint of a service contract.
pub fn contract(c: &HomeContract) -> String {
    let mut h = Hasher::new("contract");
    h.text("id", Some(&c.id));
    h.text("number", Some(&c.number));
    h.text("customer_id", Some(&c.customer_id));
    h.text("description", c.description.as_deref());
    h.finish()
}

/// Fingerprint of a contract invoice.
pub fn contract_invoice(i: &HomeContractInvoice) -> String {
    let mut h = Hasher::new("contract_invoice");
    h.text("id", Some(&i.id));
    h.text("number", Some(&i.number));
    h.text("contract_id", Some(&i.contract_id));
    h.text("customer_id", Some(&i.customer_id));
    h.text("status", Some(i.status.name()));
    h.body(&i.body);
    h.finish()
}

struct Hasher(Sha256);

impl Hasher {
    fn new(kind: &str) -> Self {
        let mut h = Hasher(Sha256::new());
        // Versioned, so a change of this scheme can never collide with stored values.
        h.text("ledgerlink-home-fingerprint", Some("1"));
        h.text("kind", Some(kind));
        h
    }

    fn text(&mut self, name: &str, value: Option<&str>) {
        self.0.update((name.len() as u64).to_le_bytes());
        self.0.update(name.as_bytes());
        match value {
            None => self.0.update([0u8]),
            Some(v) => {
                self.0.update([1u8]);
                self.0.update((v.len() as u64).to_le_bytes());
                self.0.update(v.as_bytes());
            }
        }
    }

    fn decimal(&mut self, name: &str, value: Option<Decimal>) {
        self.text(name, value.map(|d| d.normalize().to_string()).as_deref());
    }

    fn address(&mut self, name: &str, a: Option<&HomeAddress>) {
        let Some(a) = a else {
            self.text(name, None);
            return;
        };
        self.text(name, Some(""));
        for (part, value) in super::validation::address_parts(a) {
            self.text(&format!("{name}.{part}"), value);
        }
    }

    fn body(&mut self, b: &InvoiceBody) {
        self.text("invoice_date", Some(&b.invoice_date));
        self.text("due_date", b.due_date.as_deref());
        self.text("currency", Some(&b.currency));
        self.text("tax_mode", Some(b.tax_mode.name()));
        self.decimal("subtotal", Some(b.subtotal));
        self.decimal("tax_total", Some(b.tax_total));
        self.decimal("total", Some(b.total));
        self.text("memo", b.memo.as_deref());
        // Added with contract 0.2: hashed only when set, so books fingerprinted before
        // keep their fingerprints (and nothing looks changed after the upgrade).
        if !b.amount_paid.is_zero() {
            self.decimal("amount_paid", Some(b.amount_paid));
        }
        self.text("lines", Some(&b.lines.len().to_string()));
        for (n, l) in b.lines.iter().enumerate() {
            let p = format!("lines[{n}]");
            self.text(&format!("{p}.description"), Some(&l.description));
            self.decimal(&format!("{p}.quantity"), Some(l.quantity));
            self.decimal(&format!("{p}.unit_price"), Some(l.unit_price));
            self.decimal(&format!("{p}.discount_percent"), l.discount_percent);
            self.decimal(&format!("{p}.amount"), Some(l.amount));
            self.text(&format!("{p}.item_code"), l.item_code.as_deref());
            self.text(&format!("{p}.account_code"), l.account_code.as_deref());
            self.text(&format!("{p}.tax_code"), l.tax_code.as_deref());
            self.decimal(&format!("{p}.tax_amount"), l.tax_amount);
            if l.tax_rate.is_some() {
                self.decimal(&format!("{p}.tax_rate"), l.tax_rate);
            }
        }
    }

    fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::test_book::sample_book;

    #[test]
    fn flags_and_times_do_not_count_content_and_scale_do_not_matter() {
        let book = sample_book();
        let c = &book.customers[0];
        let mut other = c.clone();
        other.flagged_for_integration = !c.flagged_for_integration;
        other.updated_at = Some("2030-01-01T00:00:00Z".into());
        assert_eq!(customer(c), customer(&other));
        other.email = Some("new@example.com".into());
        assert_ne!(customer(c), customer(&other));

        let j = &book.jobs[0];
        let mut other = j.clone();
        other.ready_for_invoice_1 = !j.ready_for_invoice_1;
        other.closed_at = None;
        other.body.total = other.body.total.normalize();
        assert_eq!(job(j), job(&other));
        other.body.lines[0].description.push('!');
        assert_ne!(job(j), job(&other));
        assert_eq!(job(j).len(), 64);
    }
}
