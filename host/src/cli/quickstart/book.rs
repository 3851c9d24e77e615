//! The bundled sample Tracker Pro book of the quickstart: 50 customers, 200 closed jobs
//! ready for invoicing and 30 service contracts with one generated contract invoice each.
//!
//! Generated, not stored: the same book every time (a fixed-seed generator), in the home
//! book's JSON import format, so it goes through the same checks as an admin's import.
//! Amounts are computed the way Tracker Pro does: line amount = quantity × unit price
//! rounded to the cent; tax per line, rounded to the cent (half away from zero, as Xero and
//! QuickBooks round), then summed.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

/// Customers in the book.
pub const CUSTOMERS: usize = 50;
/// Closed jobs, each ready for invoicing.
pub const JOBS: usize = 200;
/// Service contracts, each with one ready contract invoice.
pub const CONTRACTS: usize = 30;

const TRADES: [&str; 10] = [
    "Plumbing",
    "Electrical",
    "Roofing",
    "Heating & Cooling",
    "Drainage",
    "Property Management",
    "Joinery",
    "Glazing",
    "Painting",
    "Landscaping",
];
const PLACES: [&str; 10] = [
    "Harbour",
    "Kea",
    "Southern Cross",
    "Rimu",
    "Totara",
    "Pohutukawa",
    "Kauri",
    "Matai",
    "Tui",
    "Kowhai",
];
const CITIES: [(&str, &str); 5] = [
    ("Auckland", "1010"),
    ("Wellington", "6011"),
    ("Christchurch", "8011"),
    ("Hamilton", "3204"),
    ("Dunedin", "9016"),
];
const WORK: [(&str, &str); 6] = [
    ("Labour, standard rate", "96.50"),
    ("Labour, call-out rate", "145.00"),
    ("Replace valve", "185.00"),
    ("Materials: copper fittings", "12.35"),
    ("Inspection and report", "220.00"),
    ("Site travel", "1.85"),
];

/// The country-specific parts of the book: the target organisation's currency and sales tax.
#[derive(Debug, Clone, Copy)]
pub struct Locale {
    /// ISO 4217 currency of every record.
    pub currency: &'static str,
    /// ISO 3166-1 country of the addresses.
    pub country: &'static str,
    /// Tax code on every line, as the target knows it.
    pub tax_code: &'static str,
    /// That code's rate, as a decimal fraction ("0.15").
    pub tax_rate: &'static str,
    /// Revenue account code on every line, when the target uses account codes.
    pub account_code: Option<&'static str>,
}

/// New Zealand: NZD, GST 15 % (Xero `OUTPUT2`), sales account 200.
pub const NZ: Locale = Locale {
    currency: "NZD",
    country: "NZ",
    tax_code: "OUTPUT2",
    tax_rate: "0.15",
    account_code: Some("200"),
};

/// United States: USD, sales tax 8.5 % (QuickBooks tax code `TAX`).
pub const US: Locale = Locale {
    currency: "USD",
    country: "US",
    tax_code: "TAX",
    tax_rate: "0.085",
    account_code: None,
};

/// A small deterministic generator (a 64-bit LCG): the sample must be the same every run.
struct Seq(u64);

impl Seq {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn dec(s: &str) -> Decimal {
    // The literals in this file are valid decimals; a typo fails the quickstart's own test.
    s.parse().unwrap_or_default()
}

/// Lines with amounts and GST computed per line, plus (subtotal, tax, total).
fn lines(seq: &mut Seq, count: u64, locale: &Locale) -> (Vec<Value>, Decimal, Decimal) {
    let rate = dec(locale.tax_rate);
    let mut out = Vec::new();
    let (mut subtotal, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    for _ in 0..count {
        let (description, price) = WORK[seq.next(WORK.len() as u64) as usize];
        let price = dec(price);
        // Quantities in quarters, 0.25 to 8.
        let quantity = Decimal::new(i64::try_from(seq.next(32) + 1).unwrap_or(1) * 25, 2);
        let amount = cents(quantity * price);
        let line_tax = cents(amount * rate);
        subtotal += amount;
        tax += line_tax;
        let mut line = json!({
            "description": description,
            "quantity": quantity.normalize().to_string(),
            "unit_price": price.to_string(),
            "amount": amount.to_string(),
            "tax_code": locale.tax_code,
            "tax_amount": line_tax.to_string(),
        });
        if let Some(account) = locale.account_code {
            line["account_code"] = json!(account);
        }
        out.push(line);
    }
    (out, subtotal, tax)
}

/// The book as a JSON document in the import format.
pub fn json(locale: &Locale) -> String {
    let mut seq = Seq(0x1ed9_e71e);
    let customers: Vec<Value> = (0..CUSTOMERS)
        .map(|i| {
            let name = format!(
                "{} {} Ltd{}",
                PLACES[i % PLACES.len()],
                TRADES[(i / PLACES.len()) % TRADES.len()],
                if i >= PLACES.len() * TRADES.len() {
                    format!(" {i}")
                } else {
                    String::new()
                }
            );
            let (city, postcode) = CITIES[i % CITIES.len()];
            let slug: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            json!({
                "id": format!("TP-CUST-{}", 2001 + i),
                "name": name,
                "account_number": format!("{}", 2001 + i),
                "contact_name": format!("Accounts team {}", i + 1),
                "email": format!("accounts@{slug}.example"),
                "phone": format!("+64 9 555 {:04}", 100 + i),
                "billing_address": {
                    "line1": format!("{} Wharf Street", 1 + i),
                    "city": city,
                    "postal_code": postcode,
                    "country": locale.country,
                },
                "currency": locale.currency,
                "active": true,
                "flagged_for_integration": true,
            })
        })
        .collect();
    let jobs: Vec<Value> = (0..JOBS)
        .map(|j| {
            let count = 1 + seq.next(4);
            let (lines, subtotal, tax) = lines(&mut seq, count, locale);
            let day = 1 + (j % 20);
            json!({
                "id": format!("TP-JOB-{}", 7001 + j),
                "number": format!("J{}", 7001 + j),
                "customer_id": format!("TP-CUST-{}", 2001 + (j % CUSTOMERS)),
                "status": "closed",
                "ready_for_invoice_1": true,
                "ready_for_invoice_2": true,
                "closed_at": format!("2026-11-{day:02}T16:30:00Z"),
                "invoice_date": format!("2026-11-{day:02}"),
                "due_date": "2026-12-20",
                "currency": locale.currency,
                "tax_mode": "exclusive",
                "subtotal": subtotal.to_string(),
                "tax_total": tax.to_string(),
                "total": (subtotal + tax).to_string(),
                "memo": "Thank you for your business",
                "lines": lines,
            })
        })
        .collect();
    let contracts: Vec<Value> = (0..CONTRACTS)
        .map(|c| {
            json!({
                "id": format!("TP-CON-{}", 301 + c),
                "number": format!("SC-{}", 301 + c),
                "customer_id": format!("TP-CUST-{}", 2001 + (c * 7) % CUSTOMERS),
                "description": "Quarterly maintenance service",
            })
        })
        .collect();
    let contract_invoices: Vec<Value> = (0..CONTRACTS)
        .map(|c| {
            let (lines, subtotal, tax) = lines(&mut seq, 1, locale);
            json!({
                "id": format!("TP-SVC-{}", 9101 + c),
                "number": format!("S{}", 9101 + c),
                "contract_id": format!("TP-CON-{}", 301 + c),
                "customer_id": format!("TP-CUST-{}", 2001 + (c * 7) % CUSTOMERS),
                "status": "generated",
                "ready_for_invoice_1": true,
                "ready_for_invoice_2": true,
                "invoice_date": "2026-11-21",
                "due_date": "2026-12-20",
                "currency": locale.currency,
                "tax_mode": "exclusive",
                "subtotal": subtotal.to_string(),
                "tax_total": tax.to_string(),
                "total": (subtotal + tax).to_string(),
                "lines": lines,
            })
        })
        .collect();
    let doc = json!({
        "version": 1,
        "customers": customers,
        "jobs": jobs,
        "contracts": contracts,
        "contract_invoices": contract_invoices,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use ledgerlink::home::import::{Format, SourceText, parse};
    use ledgerlink::store::home::KnownIds;

    #[test]
    fn the_sample_book_imports_cleanly_with_the_advertised_counts() {
        for locale in [super::NZ, super::US] {
            check(&locale);
        }
    }

    fn check(locale: &super::Locale) {
        let text = super::json(locale);
        let book = parse(
            &[SourceText {
                name: "quickstart-book.json".into(),
                bytes: text.as_bytes(),
                format: Format::Json,
                kind: None,
            }],
            &KnownIds::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(book.customers.len(), super::CUSTOMERS);
        assert_eq!(book.jobs.len(), super::JOBS);
        assert_eq!(book.contracts.len(), super::CONTRACTS);
        assert_eq!(book.contract_invoices.len(), super::CONTRACTS);
        assert_eq!(text, super::json(locale), "the same book every time");
    }
}
