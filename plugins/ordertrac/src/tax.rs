//! OrderTrac web's money rule, in one place: tax per line with the line's own rate, rounded
//! per line to the cent (half away from zero), and — when the per-line result does not give
//! Tracker Pro's document total — one untaxed line, [`ADJUSTMENT`], whose amount makes the
//! order's total (and so its balance due) equal Tracker Pro's to the cent.

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::decimal::{self, round_cents};
use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{ConnectorError, Invoice, TaxMode};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

/// The description of the adjustment line (OrderTrac's migration tool's own words).
pub const ADJUSTMENT: &str = "Migration total difference adjustment";
/// Decimal places OrderTrac takes in a unit price and a quantity (ledgerlink's rule for the
/// package; see docs/ordertrac-package.md).
pub const PRICE_PLACES: u32 = 4;

/// One line as OrderTrac computes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtLine {
    pub description: String,
    pub item_code: Option<String>,
    pub tax_code: Option<String>,
    pub quantity: String,
    pub unit_price: String,
    /// The line amount as Tracker Pro gave it (in the document's tax mode).
    pub amount: String,
    /// The line amount before tax.
    pub net: String,
    /// Percent.
    pub rate: String,
    /// Tax on this line, rounded on this line.
    pub tax: String,
}

/// A document's money as OrderTrac would hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtMoney {
    pub lines: Vec<OtLine>,
    /// The adjustment line's amount, when one is needed (never zero).
    pub adjustment: Option<String>,
    /// Σ net + adjustment.
    pub subtotal: String,
    /// Σ line tax.
    pub tax: String,
    /// subtotal + tax: Tracker Pro's total.
    pub total: String,
    pub amount_paid: String,
    /// total − amount paid.
    pub balance_due: String,
}

/// Tax on `amount` at `rate` percent, rounded on the line: on top of a net amount, or
/// the tax inside a tax-inclusive amount.
pub fn line_tax(amount: Decimal, rate: Decimal, inclusive: bool) -> Decimal {
    let hundred = Decimal::from(100);
    if inclusive {
        round_cents(amount * rate / (hundred + rate))
    } else {
        round_cents(amount * rate / hundred)
    }
}

fn places_ok(v: Decimal) -> bool {
    v.normalize().scale() <= PRICE_PLACES
}

/// The OrderTrac money of `i`; a field it cannot carry is an error naming it.
pub fn compute(i: &Invoice, rates: &BTreeMap<String, Decimal>) -> Result<OtMoney, ConnectorError> {
    let total = decimal::parse(&i.total, "total")?;
    let paid = match &i.amount_paid {
        Some(p) => decimal::parse(p, "amount-paid")?,
        None => Decimal::ZERO,
    };
    let inclusive = i.tax_mode == TaxMode::Inclusive;
    let mut lines = Vec::with_capacity(i.lines.len());
    let (mut net_sum, mut tax_sum) = (Decimal::ZERO, Decimal::ZERO);
    for (n, l) in i.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{n}].{f}");
        let quantity = decimal::parse(&l.quantity, &at("quantity"))?;
        let price = decimal::parse(&l.unit_price, &at("unit-price"))?;
        let amount = decimal::parse(&l.amount, &at("amount"))?;
        if !places_ok(price) {
            return Err(error::validation(format!(
                "{}: line {} ({:?}) has unit price {}, with more than the {PRICE_PLACES} decimal places OrderTrac takes; round it in Tracker Pro",
                i.number, n + 1, l.description, l.unit_price
            ))
            .at(at("unit-price")));
        }
        if !places_ok(quantity) {
            return Err(error::validation(format!(
                "{}: line {} ({:?}) has quantity {}, with more than the {PRICE_PLACES} decimal places OrderTrac takes; round it in Tracker Pro",
                i.number, n + 1, l.description, l.quantity
            ))
            .at(at("quantity")));
        }
        let rate = match (&l.tax_rate, i.tax_mode) {
            (_, TaxMode::None) => Decimal::ZERO,
            (Some(r), _) => decimal::parse(r, &at("tax-rate"))?,
            (None, _) => match l
                .tax_code
                .as_deref()
                .and_then(|c| rates.get(&c.trim().to_uppercase()))
            {
                Some(r) => *r,
                None => {
                    return Err(error::validation(format!(
                        "{}: line {} ({:?}) has no tax rate{}; OrderTrac taxes every line with its own rate: give the rate in Tracker Pro or add the code to the connection's tax-rates setting (CODE=PERCENT)",
                        i.number,
                        n + 1,
                        l.description,
                        l.tax_code
                            .as_deref()
                            .map(|c| format!(" (tax code {c} is not in the tax-rates setting)"))
                            .unwrap_or_default()
                    ))
                    .at(at("tax-rate")));
                }
            },
        };
        let amount = round_cents(amount);
        let tax = line_tax(amount, rate, inclusive);
        let net = if inclusive { amount - tax } else { amount };
        net_sum += net;
        tax_sum += tax;
        lines.push(OtLine {
            description: l.description.clone(),
            item_code: l.item_code.clone(),
            tax_code: l.tax_code.clone(),
            quantity: l.quantity.clone(),
            unit_price: l.unit_price.clone(),
            amount: amount.to_string(),
            net: net.to_string(),
            rate: rate.normalize().to_string(),
            tax: tax.to_string(),
        });
    }
    let difference = round_cents(total) - (net_sum + tax_sum);
    let adjustment = (!difference.is_zero()).then_some(difference);
    let subtotal = net_sum + difference;
    Ok(OtMoney {
        lines,
        adjustment: adjustment.map(|a| a.to_string()),
        subtotal: round_cents(subtotal).to_string(),
        tax: round_cents(tax_sum).to_string(),
        total: round_cents(total).to_string(),
        amount_paid: round_cents(paid).to_string(),
        balance_due: round_cents(total - paid).to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn per_line_rounding_half_away_from_zero() {
        assert_eq!(
            line_tax(Decimal::new(3330, 2), Decimal::from(15), false).to_string(),
            "5.00"
        );
        assert_eq!(
            line_tax(Decimal::new(1010, 2), Decimal::from(15), false).to_string(),
            "1.52"
        );
        assert_eq!(
            line_tax(Decimal::new(-1010, 2), Decimal::from(15), false).to_string(),
            "-1.52"
        );
        assert_eq!(
            line_tax(Decimal::new(11500, 2), Decimal::from(15), true).to_string(),
            "15.00"
        );
    }
}
