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

use crate::model::{Address, Customer, Invoice, InvoiceKind, TaxMode};

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
    h.text("kind", Some(kind_name(i.kind)));
    h.text("number", Some(&i.number));
    h.text("customer", Some(&i.customer.name));
    h.text("issue-date", Some(&i.issue_date));
    h.text("due-date", i.due_date.as_deref());
    h.text("currency", Some(&i.currency));
    h.text("tax-mode", Some(tax_mode_name(i.tax_mode)));
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
    /// The line whose "lines[n]." prefix `name` starts with, and that prefix's length.
    line: Option<usize>,
    prefix: usize,
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
    if let Some(plain) = plain_normalised(value) {
        return plain;
    }
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

/// The most digits a plain decimal may have for [`plain_normalised`]: every such number is
/// held by a `Decimal` exactly (its 96-bit mantissa holds any 28 digits), so trimming its
/// text gives what parsing and `normalize` give.
const PLAIN_DIGITS: usize = 28;

/// What `Decimal::from_str(value)?.normalize()` writes, without parsing, for the form
/// amounts nearly always have: `-?D+(.D+)?`, at most [`PLAIN_DIGITS`] digits, no leading
/// zero before another integer digit. The fraction's trailing zeros (and then a bare point)
/// are dropped, and a zero is `0` whatever its sign. `None` for any other text (a `+`,
/// `_`, a leading zero, an exponent, too many digits...), which takes the full path.
fn plain_normalised(value: &str) -> Option<&str> {
    let bytes = value.as_bytes();
    let unsigned = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let (int, frac) = match unsigned.iter().position(|&b| b == b'.') {
        Some(dot) => (&unsigned[..dot], Some(&unsigned[dot + 1..])),
        None => (unsigned, None),
    };
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if !digits(int)
        || (int.len() > 1 && int[0] == b'0')
        || frac.is_some_and(|f| !digits(f))
        || int.len() + frac.map_or(0, <[u8]>::len) > PLAIN_DIGITS
    {
        return None;
    }
    let mut end = value.len();
    if frac.is_some() {
        end = value.trim_end_matches('0').len();
        if value.as_bytes()[end - 1] == b'.' {
            end -= 1;
        }
    }
    let trimmed = &value[..end];
    Some(if trimmed == "-0" { "0" } else { trimmed })
}

/// The name `{:?}` gives each variant, without formatting.
fn kind_name(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Job => "Job",
        InvoiceKind::Contract => "Contract",
        InvoiceKind::Order => "Order",
    }
}

/// The name `{:?}` gives each variant, without formatting.
fn tax_mode_name(mode: TaxMode) -> &'static str {
    match mode {
        TaxMode::Exclusive => "Exclusive",
        TaxMode::Inclusive => "Inclusive",
        TaxMode::None => "None",
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

    /// Field `field` of line `n`, named "lines[n].field". The "lines[n]." prefix is written
    /// once per line and kept while the line's fields follow.
    fn line(&mut self, n: usize, field: &str, kind: Kind, value: Option<&str>) {
        if self.line != Some(n) {
            self.name.clear();
            // Writing to a String cannot fail.
            let _ = write!(self.name, "lines[{n}].");
            self.line = Some(n);
            self.prefix = self.name.len();
        }
        self.name.truncate(self.prefix);
        self.name.push_str(field);
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

    /// The full path: what every amount was hashed as before the plain fast path.
    fn slow(value: &str) -> String {
        match Decimal::from_str(value) {
            Ok(d) => d.normalize().to_string(),
            Err(_) => value.to_owned(),
        }
    }

    #[test]
    fn plain_amounts_normalise_as_decimal_does() {
        for (given, want) in [
            ("10.50", Some("10.5")),
            ("10.00", Some("10")),
            ("10", Some("10")),
            ("0", Some("0")),
            ("0.000", Some("0")),
            ("-0", Some("0")),
            ("-0.00", Some("0")),
            ("-12.340", Some("-12.34")),
            ("100", Some("100")),
            ("0.0500", Some("0.05")),
            (
                "1234567890123456789012345678",
                Some("1234567890123456789012345678"),
            ),
            ("12345678901234567890123456789", None),
            ("007.5", None),
            ("+7.5", None),
            ("1_000.00", None),
            (".5", None),
            ("5.", None),
            ("-", None),
            ("", None),
            ("1e5", None),
            (" 1.0", None),
        ] {
            assert_eq!(plain_normalised(given), want, "{given:?}");
            if let Some(want) = want {
                assert_eq!(slow(given), want, "{given:?}");
            }
        }
    }

    #[test]
    fn variant_names_are_their_debug_names() {
        for k in [InvoiceKind::Job, InvoiceKind::Contract, InvoiceKind::Order] {
            assert_eq!(kind_name(k), format!("{k:?}"));
        }
        for m in [TaxMode::Exclusive, TaxMode::Inclusive, TaxMode::None] {
            assert_eq!(tax_mode_name(m), format!("{m:?}"));
        }
    }

    proptest::proptest! {
        /// Whatever the text, the fast path (when it answers) gives exactly what parsing and
        /// `normalize` give, so no stored fingerprint changes.
        #[test]
        fn the_fast_path_never_differs_from_decimal(
            sign in proptest::option::of(proptest::sample::select(vec!["-", "+"])),
            int in "[0-9]{0,30}",
            frac in proptest::option::of("[0-9_]{0,30}"),
            noise in "[0-9e._ -]{0,8}",
            use_noise in proptest::bool::weighted(0.1),
        ) {
            let mut text = String::from(sign.unwrap_or(""));
            text += &int;
            if let Some(f) = frac {
                text.push('.');
                text += &f;
            }
            if use_noise {
                text += &noise;
            }
            let mut buffer = String::new();
            let want = slow(&text);
            proptest::prop_assert_eq!(normalised(&mut buffer, &text), want.as_str());
        }
    }

    /// Stored fingerprints must never change: an invoice with two lines, hashed as every
    /// released ledgerlink has hashed it.
    #[test]
    fn an_invoices_fingerprint_is_what_it_always_was() {
        let mut i = crate::sync::readback::tests::invoice("NZD", "115.00", "C-1");
        let mut second = i.lines[0].clone();
        second.description = "Parts".into();
        second.quantity = "3.50".into();
        second.tax_rate = Some("15.000".into());
        i.lines.push(second);
        i.memo = Some("Thanks".into());
        assert_eq!(
            invoice(&i),
            "635be7b410f848c2e3ebe129657bdd8ce4f785465e6cb41746abfc2632de0c24"
        );
    }
}
