//! Invoice arithmetic, as Xero does it: every rounding rule lives here.
//!
//! - `LineAmount = Quantity × UnitAmount × (1 − DiscountRate/100)`, rounded
//!   to 2 dp;
//! - tax per line from the line's tax rate, rounded to 2 dp **per line**
//!   (Exclusive: `LineAmount × rate`; Inclusive: `LineAmount − LineAmount / (1 + rate)`;
//!   NoTax: 0), then summed;
//! - Exclusive: `SubTotal = Σ LineAmount`, `Total = SubTotal + TotalTax`;
//!   Inclusive: `Total = Σ LineAmount`, `SubTotal = Total − TotalTax`.
//!
//! Halves round away from zero.

use rust_decimal::{Decimal, RoundingStrategy};

/// How a document's line amounts relate to tax (`LineAmountTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineAmountTypes {
    Exclusive,
    Inclusive,
    NoTax,
}

impl LineAmountTypes {
    /// Xero's spelling (`Exclusive`, `Inclusive`, `NoTax`), any case.
    pub(crate) fn parse(text: &str) -> Option<LineAmountTypes> {
        match text.to_ascii_lowercase().as_str() {
            "exclusive" => Some(LineAmountTypes::Exclusive),
            "inclusive" => Some(LineAmountTypes::Inclusive),
            "notax" => Some(LineAmountTypes::NoTax),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LineAmountTypes::Exclusive => "Exclusive",
            LineAmountTypes::Inclusive => "Inclusive",
            LineAmountTypes::NoTax => "NoTax",
        }
    }
}

/// Rounds to `dp` decimal places, halves away from zero.
pub(crate) fn round(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Money: 2 dp.
pub(crate) fn money(value: Decimal) -> Decimal {
    round(value, 2)
}

/// The discounted, rounded line amount.
pub(crate) fn line_amount(
    quantity: Decimal,
    unit_amount: Decimal,
    discount_rate: Option<Decimal>,
) -> Decimal {
    let gross = quantity * unit_amount;
    let discounted = match discount_rate {
        Some(rate) => gross * (Decimal::ONE_HUNDRED - rate) / Decimal::ONE_HUNDRED,
        None => gross,
    };
    money(discounted)
}

/// The rounded tax of one line at `rate_percent` (e.g. 15 for 15 %).
pub(crate) fn line_tax(
    line_amount: Decimal,
    rate_percent: Decimal,
    types: LineAmountTypes,
) -> Decimal {
    let rate = rate_percent / Decimal::ONE_HUNDRED;
    match types {
        LineAmountTypes::Exclusive => money(line_amount * rate),
        LineAmountTypes::Inclusive => money(line_amount - line_amount / (Decimal::ONE + rate)),
        LineAmountTypes::NoTax => Decimal::ZERO,
    }
}

/// A document's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Totals {
    pub(crate) sub_total: Decimal,
    pub(crate) total_tax: Decimal,
    pub(crate) total: Decimal,
}

/// Totals from `(LineAmount, TaxAmount)` pairs already rounded per line.
pub(crate) fn totals(lines: &[(Decimal, Decimal)], types: LineAmountTypes) -> Totals {
    let amounts: Decimal = lines.iter().map(|(amount, _)| *amount).sum();
    let total_tax: Decimal = lines.iter().map(|(_, tax)| *tax).sum();
    match types {
        LineAmountTypes::Inclusive => Totals {
            sub_total: amounts - total_tax,
            total_tax,
            total: amounts,
        },
        LineAmountTypes::Exclusive | LineAmountTypes::NoTax => Totals {
            sub_total: amounts,
            total_tax,
            total: amounts + total_tax,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::str::FromStr as _;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn discounted_line_with_gst() {
        // 3 × 19.99 = 59.97, less 10 % = 53.973 → 53.97; GST 15 % = 8.0955 → 8.10.
        let amount = line_amount(d("3"), d("19.99"), Some(d("10")));
        assert_eq!(amount, d("53.97"));
        assert_eq!(
            line_tax(amount, d("15"), LineAmountTypes::Exclusive),
            d("8.10")
        );
        // Inclusive: 53.97 − 53.97/1.15 = 7.0395... → 7.04.
        assert_eq!(
            line_tax(amount, d("15"), LineAmountTypes::Inclusive),
            d("7.04")
        );
        assert_eq!(line_tax(amount, d("15"), LineAmountTypes::NoTax), d("0"));
    }

    #[test]
    fn tax_is_rounded_per_line_then_summed() {
        // Two lines of 0.10 at 15 %: 0.015 → 0.02 each, 0.04 in all, where
        // rounding the sum (0.03) would give 0.03.
        let lines = [(d("0.10"), d("0.02")), (d("0.10"), d("0.02"))];
        assert_eq!(
            line_tax(d("0.10"), d("15"), LineAmountTypes::Exclusive),
            d("0.02")
        );
        let totals = totals(&lines, LineAmountTypes::Exclusive);
        assert_eq!(totals.total_tax, d("0.04"));
        assert_eq!(totals.total, d("0.24"));
        let inclusive = super::totals(&[(d("115"), d("15"))], LineAmountTypes::Inclusive);
        assert_eq!(inclusive.sub_total, d("100"));
        assert_eq!(inclusive.total, d("115"));
    }
}
