//! The rules a home-book record must follow, in one place: value syntax (decimals, dates,
//! timestamps, currency codes), length limits and invoice arithmetic.
//!
//! Each check returns the sentence a user sees (without file, line or field: the caller
//! adds those), so import and the conversion from pulled records say the same thing.
//! `docs/home-format.md` lists every message; keep the two in step.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::model::{HomeAddress, HomeCustomer, InvoiceBody, TaxMode};

/// Length limits, in characters (Unicode scalar values).
pub mod limits {
    /// Ids of every kind.
    pub const ID: usize = 64;
    /// Job, contract and invoice numbers.
    pub const NUMBER: usize = 64;
    /// Customer and contact names.
    pub const NAME: usize = 255;
    /// Account numbers, phone numbers, tax numbers, item, account and tax codes.
    pub const CODE: usize = 64;
    /// E-mail addresses (RFC 5321's limit).
    pub const EMAIL: usize = 254;
    /// Each part of an address.
    pub const ADDRESS_PART: usize = 255;
    /// Line descriptions, contract descriptions and memos.
    pub const DESCRIPTION: usize = 4000;
}

/// Parse a decimal string strictly: an optional leading `-`, digits, and optionally `.`
/// followed by digits. The scale is kept ("10.50" stays 10.50).
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    check_digits(s)?;
    Decimal::from_str(s).map_err(|_| too_long(s))
}

/// Whether [`parse_decimal`] takes `s`, without building the number when it need not: a
/// well-formed decimal of at most 28 digits in all is always held exactly, so only a longer
/// one (leading zeros) is parsed. The same errors, word for word.
pub fn check_decimal(s: &str) -> Result<(), String> {
    if check_digits(s)? <= 28 {
        return Ok(());
    }
    parse_decimal(s).map(|_| ())
}

/// The shape and digit-count checks of [`parse_decimal`]; the digits `s` has in all.
fn check_digits(s: &str) -> Result<usize, String> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let well_formed = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(format!(
            "{s:?} is not a decimal number; write digits with an optional leading - and one ., \
             without thousands separators, spaces or exponents, e.g. \"1000.00\""
        ));
    }
    // rust_decimal takes some 29-digit values (up to 79228162514264337593543950335) and
    // silently rounds fractions past 28 places: count the digits ourselves.
    let significant = int
        .bytes()
        .chain(frac.unwrap_or("").bytes())
        .skip_while(|b| *b == b'0')
        .count();
    if significant > 28 || frac.is_some_and(|f| f.len() > 28) {
        return Err(too_long(s));
    }
    Ok(int.len() + frac.map_or(0, str::len))
}

fn too_long(s: &str) -> String {
    format!("{s:?} has more digits than ledgerlink can hold (28 significant digits at most)")
}

/// A calendar date written `YYYY-MM-DD`.
pub fn check_date(s: &str) -> Result<(), String> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if shaped && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a date; write YYYY-MM-DD, e.g. \"2026-11-02\""
        ))
    }
}

/// An RFC 3339 timestamp with a time zone, e.g. `2026-11-02T09:30:00Z`.
pub fn check_timestamp(s: &str) -> Result<(), String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|_| ())
        .map_err(|_| {
            format!(
                "{s:?} is not a timestamp; write RFC 3339 with a time zone, e.g. \"2026-11-02T09:30:00Z\""
            )
        })
}

/// An ISO 4217 currency code: three capital letters.
pub fn check_currency(s: &str) -> Result<(), String> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a currency code; write three capital letters, e.g. \"NZD\""
        ))
    }
}

/// At most `limit` characters.
pub fn check_length(s: &str, limit: usize) -> Result<(), String> {
    let n = s.chars().count();
    if n > limit {
        Err(format!(
            "{n} characters, more than the limit of {limit}; shorten it"
        ))
    } else {
        Ok(())
    }
}

/// A discount percentage between 0 and 100.
pub fn check_discount(d: Decimal) -> Result<(), String> {
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        Err(format!("{d} is not a percentage between 0 and 100"))
    } else {
        Ok(())
    }
}

/// A line's tax rate is a percentage between 0 and 100.
pub fn check_tax_rate(r: Decimal) -> Result<(), String> {
    if r < Decimal::ZERO || r > Decimal::ONE_HUNDRED {
        Err(format!(
            "{r} is not a tax rate between 0 and 100 (a percentage: write 15 for 15 %)"
        ))
    } else {
        Ok(())
    }
}

/// What is paid of an invoice lies between nothing and its total, with the total's sign (a
/// credit's payment is negative too).
pub fn check_amount_paid(body: &InvoiceBody) -> Result<(), String> {
    let paid = body.amount_paid;
    let total = body.total;
    let within = if total >= Decimal::ZERO {
        paid >= Decimal::ZERO && paid <= total
    } else {
        paid <= Decimal::ZERO && paid >= total
    };
    if within {
        Ok(())
    } else {
        Err(format!(
            "{paid} is not between 0 and the total {total}; write what the customer has paid so far"
        ))
    }
}

/// The due date is not before the invoice date (both already valid dates, so text order is
/// date order).
pub fn check_due_date(body: &InvoiceBody) -> Result<(), String> {
    match &body.due_date {
        Some(due) if due.as_str() < body.invoice_date.as_str() => Err(format!(
            "{due} is before the invoice date {}; correct one of them",
            body.invoice_date
        )),
        _ => Ok(()),
    }
}

/// Which total a [`check_totals`] finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalField {
    /// `subtotal`.
    Subtotal,
    /// `tax_total`.
    TaxTotal,
    /// `total`.
    Total,
}

impl TotalField {
    /// The field's name in files.
    pub fn key(self) -> &'static str {
        match self {
            TotalField::Subtotal => "subtotal",
            TotalField::TaxTotal => "tax_total",
            TotalField::Total => "total",
        }
    }
}

/// The invoice arithmetic, exactly (no rounding: Tracker Pro rounded when it computed the
/// amounts, and the sums of rounded amounts must agree with its totals):
///
/// - exclusive: Σ line amounts = subtotal, and subtotal + tax_total = total;
/// - inclusive: Σ line amounts = total (the amounts include tax), and subtotal + tax_total = total;
/// - none: Σ line amounts = subtotal = total, and tax_total = 0;
/// - in every mode, when every line carries a tax amount, Σ line tax amounts = tax_total.
pub fn check_totals(body: &InvoiceBody) -> Vec<(TotalField, String)> {
    let mut found = Vec::new();
    let lines: Decimal = body.lines.iter().map(|l| l.amount).sum();
    match body.tax_mode {
        TaxMode::Exclusive | TaxMode::None => {
            if lines != body.subtotal {
                found.push((
                    TotalField::Subtotal,
                    format!(
                        "{} is not the sum of the line amounts, {lines}; correct the lines or the subtotal",
                        body.subtotal
                    ),
                ));
            }
        }
        TaxMode::Inclusive => {
            if lines != body.total {
                found.push((
                    TotalField::Total,
                    format!(
                        "{} is not the sum of the line amounts, {lines} (tax inclusive); correct the lines or the total",
                        body.total
                    ),
                ));
            }
        }
    }
    if body.tax_mode == TaxMode::None && !body.tax_total.is_zero() {
        found.push((
            TotalField::TaxTotal,
            format!("{} must be 0 when tax_mode is none", body.tax_total),
        ));
    }
    let sum = body.subtotal + body.tax_total;
    if sum != body.total {
        found.push((
            TotalField::Total,
            format!(
                "{} is not subtotal + tax_total = {sum}; correct the totals",
                body.total
            ),
        ));
    }
    let line_taxes: Option<Vec<Decimal>> = body.lines.iter().map(|l| l.tax_amount).collect();
    if let Some(taxes) = line_taxes.filter(|t| !t.is_empty()) {
        let taxes: Decimal = taxes.into_iter().sum();
        if taxes != body.tax_total {
            found.push((
                TotalField::TaxTotal,
                format!(
                    "{} is not the sum of the line tax amounts, {taxes}; correct the lines or the tax total",
                    body.tax_total
                ),
            ));
        }
    }
    found
}

/// Every rule a customer breaks, as (field, message), for records that do not come from a
/// file (customers pulled from a target). Import checks the same rules field by field.
pub fn check_customer(c: &HomeCustomer) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut text = |field: &str, value: Option<&str>, limit: usize, required: bool| match value {
        None | Some("") if required => {
            found.push((field.to_owned(), "required but missing or empty".to_owned()));
        }
        Some(v) => {
            if let Err(m) = check_length(v, limit) {
                found.push((field.to_owned(), m));
            }
        }
        None => {}
    };
    text("id", Some(&c.id), limits::ID, true);
    text("name", Some(&c.name), limits::NAME, true);
    text(
        "account_number",
        c.account_number.as_deref(),
        limits::CODE,
        false,
    );
    text(
        "contact_name",
        c.contact_name.as_deref(),
        limits::NAME,
        false,
    );
    text("email", c.email.as_deref(), limits::EMAIL, false);
    text("phone", c.phone.as_deref(), limits::CODE, false);
    text("tax_number", c.tax_number.as_deref(), limits::CODE, false);
    for (prefix, address) in [
        ("billing_address", &c.billing_address),
        ("shipping_address", &c.shipping_address),
    ] {
        for (part, value) in address.iter().flat_map(address_parts) {
            text(
                &format!("{prefix}.{part}"),
                value,
                limits::ADDRESS_PART,
                false,
            );
        }
    }
    if let Some(Err(m)) = c.currency.as_deref().map(check_currency) {
        found.push(("currency".to_owned(), m));
    }
    if let Some(Err(m)) = c.updated_at.as_deref().map(check_timestamp) {
        found.push(("updated_at".to_owned(), m));
    }
    found
}

/// The parts of an address with their field names.
pub fn address_parts(a: &HomeAddress) -> [(&'static str, Option<&str>); 6] {
    [
        ("line1", a.line1.as_deref()),
        ("line2", a.line2.as_deref()),
        ("city", a.city.as_deref()),
        ("region", a.region.as_deref()),
        ("postal_code", a.postal_code.as_deref()),
        ("country", a.country.as_deref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::model::HomeLine;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).expect("valid decimal")
    }

    #[test]
    fn decimals_are_strict_and_keep_their_scale() {
        assert_eq!(d("10.50").to_string(), "10.50");
        assert_eq!(d("-0.125").to_string(), "-0.125");
        assert_eq!(d("7").to_string(), "7");
        for bad in [
            "1,000.00", "1e3", "+1", " 1", "1.", ".5", "", "-", "1.2.3", "١٢",
        ] {
            assert_eq!(
                parse_decimal(bad).expect_err(bad),
                format!(
                    "{bad:?} is not a decimal number; write digits with an optional leading - and one ., \
                     without thousands separators, spaces or exponents, e.g. \"1000.00\""
                )
            );
        }
        assert!(
            parse_decimal("123456789012345678901234567890")
                .expect_err("too big")
                .contains("more digits than ledgerlink can hold")
        );
    }

    #[test]
    fn more_than_28_significant_digits_are_refused() {
        // 29 digits that rust_decimal itself would accept.
        for bad in [
            "12345678901234567890123456789",
            "1234567890123456789012345678.9",
            "0.12345678901234567890123456789",
            "-79228162514264337593543950335",
        ] {
            assert_eq!(
                parse_decimal(bad).expect_err("refused"),
                format!(
                    "{bad:?} has more digits than ledgerlink can hold (28 significant digits at most)"
                ),
                "{bad}"
            );
        }
        // 28 digits, with leading zeros that are not significant.
        assert!(parse_decimal("1234567890123456789012345678").is_ok());
        assert!(parse_decimal("000123456789012345678901234567.8").is_ok());
        assert!(parse_decimal("0.1234567890123456789012345678").is_ok());
    }

    #[test]
    fn dates_timestamps_and_currencies() {
        assert!(check_date("2028-02-29").is_ok());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-02",
            "02/11/2026",
            "2026-11-02T00:00:00Z",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
        assert!(check_timestamp("2026-11-02T09:30:00Z").is_ok());
        assert!(check_timestamp("2026-11-02T09:30:00.5+13:00").is_ok());
        assert!(check_timestamp("2026-11-02 09:30").is_err());
        assert!(check_currency("NZD").is_ok());
        assert!(check_currency("nzd").is_err());
        assert!(check_currency("NZ").is_err());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(check_length(&"é".repeat(255), limits::NAME).is_ok());
        assert_eq!(
            check_length(&"é".repeat(256), limits::NAME).expect_err("too long"),
            "256 characters, more than the limit of 255; shorten it"
        );
    }

    fn line(amount: &str, tax: Option<&str>) -> HomeLine {
        HomeLine {
            description: "x".into(),
            quantity: d("1"),
            unit_price: d(amount),
            discount_percent: None,
            amount: d(amount),
            item_code: None,
            account_code: None,
            tax_code: None,
            tax_amount: tax.map(d),
            tax_rate: None,
        }
    }

    fn body(mode: TaxMode, lines: Vec<HomeLine>, totals: [&str; 3]) -> InvoiceBody {
        InvoiceBody {
            invoice_date: "2026-11-02".into(),
            due_date: None,
            currency: "NZD".into(),
            tax_mode: mode,
            subtotal: d(totals[0]),
            tax_total: d(totals[1]),
            total: d(totals[2]),
            amount_paid: Decimal::ZERO,
            memo: None,
            lines,
        }
    }

    #[test]
    fn totals_follow_the_tax_mode() {
        let ok = body(
            TaxMode::Exclusive,
            vec![line("185.00", Some("27.75")), line("241.25", Some("36.19"))],
            ["426.25", "63.94", "490.19"],
        );
        assert!(check_totals(&ok).is_empty());
        let inclusive = body(
            TaxMode::Inclusive,
            vec![line("1150.00", Some("150.00"))],
            ["1000.00", "150.00", "1150.00"],
        );
        assert!(check_totals(&inclusive).is_empty());
        let none = body(
            TaxMode::None,
            vec![line("80", None)],
            ["80.00", "0", "80.00"],
        );
        assert!(check_totals(&none).is_empty());

        let off = body(
            TaxMode::Exclusive,
            vec![line("185.00", None), line("241.25", None)],
            ["426.00", "63.94", "490.19"],
        );
        assert_eq!(
            check_totals(&off),
            vec![
                (
                    TotalField::Subtotal,
                    "426.00 is not the sum of the line amounts, 426.25; correct the lines or the subtotal"
                        .to_owned()
                ),
                (
                    TotalField::Total,
                    "490.19 is not subtotal + tax_total = 489.94; correct the totals".to_owned()
                ),
            ]
        );
        let taxed_none = body(
            TaxMode::None,
            vec![line("80", Some("1"))],
            ["80", "1", "81"],
        );
        assert_eq!(
            check_totals(&taxed_none)
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>(),
            vec![TotalField::TaxTotal]
        );
    }

    #[test]
    fn check_decimal_takes_and_refuses_what_parse_decimal_does_with_its_words() {
        let leading = format!("{}1.5", "0".repeat(40));
        for s in [
            "0",
            "-0.00",
            "1000.00",
            "-12.345",
            "1234567890123456789012345678",
            "0.1234567890123456789012345678",
            leading.as_str(),
            "12345678901234567890123456789",
            "79228162514264337593543950335",
            "0.12345678901234567890123456789",
            "1,000.00",
            "1e5",
            " 1",
            "",
            "-",
            ".5",
            "5.",
            "+5",
        ] {
            assert_eq!(check_decimal(s), parse_decimal(s).map(|_| ()), "{s:?}");
        }
        assert_eq!(check_decimal(&leading), Ok(()));
    }
}
