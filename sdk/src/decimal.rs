//! Decimal strings on the wire ⇄ [`Decimal`] in code.
//!
//! The contract carries money and quantities as strings such as `"1234.50"`. Parse them with
//! [`parse`] (or [`DecimalField::decimal`]) and write them with [`to_wire`]; the scale is kept
//! both ways, so `"10.50"` comes back as `"10.50"`, not `"10.5"`.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::{ConnectorErrorExt, validation};
use crate::types::{ConnectorError, Invoice, InvoiceLine};

/// Parse a contract decimal string. `field` names the value in the error.
///
/// Accepts an optional leading `-`, digits, and an optional `.` followed by digits.
/// Refuses exponents, `+`, spaces, thousands separators and empty strings, so nothing is
/// silently reinterpreted.
pub fn parse(value: &str, field: &str) -> Result<Decimal, ConnectorError> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let well_formed = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(validation(format!(
            "{field} must be a decimal number like \"1234.50\", got {value:?}"
        ))
        .at(field));
    }
    Decimal::from_str(value)
        .map_err(|e| validation(format!("{field} {value:?} is out of range: {e}")).at(field))
}

/// Write a [`Decimal`] as a contract decimal string, keeping its scale.
pub fn to_wire(value: Decimal) -> String {
    value.to_string()
}

/// Parse a decimal field of a canonical record, naming the field in the error.
pub trait DecimalField {
    /// Parse `self` as a decimal string; `field` is used in the error message.
    fn decimal(&self, field: &str) -> Result<Decimal, ConnectorError>;
}

impl DecimalField for str {
    fn decimal(&self, field: &str) -> Result<Decimal, ConnectorError> {
        parse(self, field)
    }
}

impl DecimalField for String {
    fn decimal(&self, field: &str) -> Result<Decimal, ConnectorError> {
        parse(self, field)
    }
}

impl InvoiceLine {
    /// `quantity` as a [`Decimal`]; `index` is the line's position, for the error's field.
    pub fn quantity_decimal(&self, index: usize) -> Result<Decimal, ConnectorError> {
        parse(&self.quantity, &format!("lines[{index}].quantity"))
    }
    /// `unit_price` as a [`Decimal`].
    pub fn unit_price_decimal(&self, index: usize) -> Result<Decimal, ConnectorError> {
        parse(&self.unit_price, &format!("lines[{index}].unit-price"))
    }
    /// `amount` as a [`Decimal`].
    pub fn amount_decimal(&self, index: usize) -> Result<Decimal, ConnectorError> {
        parse(&self.amount, &format!("lines[{index}].amount"))
    }
    /// `discount_percent` as a [`Decimal`], when present.
    pub fn discount_percent_decimal(
        &self,
        index: usize,
    ) -> Result<Option<Decimal>, ConnectorError> {
        self.discount_percent
            .as_deref()
            .map(|v| parse(v, &format!("lines[{index}].discount-percent")))
            .transpose()
    }
    /// `tax_amount` as a [`Decimal`], when present.
    pub fn tax_amount_decimal(&self, index: usize) -> Result<Option<Decimal>, ConnectorError> {
        self.tax_amount
            .as_deref()
            .map(|v| parse(v, &format!("lines[{index}].tax-amount")))
            .transpose()
    }
}

impl Invoice {
    /// `total` as a [`Decimal`].
    pub fn total_decimal(&self) -> Result<Decimal, ConnectorError> {
        parse(&self.total, "total")
    }
    /// `subtotal` as a [`Decimal`].
    pub fn subtotal_decimal(&self) -> Result<Decimal, ConnectorError> {
        parse(&self.subtotal, "subtotal")
    }
    /// `tax_total` as a [`Decimal`].
    pub fn tax_total_decimal(&self) -> Result<Decimal, ConnectorError> {
        parse(&self.tax_total, "tax-total")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_survives_a_round_trip() {
        for s in [
            "1234.50",
            "0.125",
            "-3",
            "0",
            "-0.10",
            "79228162514264337593543950335",
        ] {
            assert_eq!(to_wire(parse(s, "x").expect("valid")), s);
        }
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for s in [
            "", "1e3", "+1", "1,000.00", " 1", "1.", ".5", "abc", "--1", "NaN",
        ] {
            let e = parse(s, "total").expect_err(s);
            assert_eq!(
                e.message(),
                format!("total must be a decimal number like \"1234.50\", got {s:?}")
            );
            assert_eq!(e.field(), Some("total"));
        }
    }
}
