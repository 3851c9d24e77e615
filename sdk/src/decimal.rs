//! Decimal strings on the wire ⇄ [`Decimal`] in code.
//!
//! The contract carries money and quantities as strings such as `"1234.50"`. Parse them with
//! [`parse`] (or [`DecimalField::decimal`]) and write them with [`to_wire`]; the scale is kept
//! both ways, so `"10.50"` comes back as `"10.50"`, not `"10.5"`.
//!
//! Rounding has one rule per function: [`round_cents`] (half away from zero, two places, the
//! rule of most accounting systems) and [`round_to`]. Vendor JSON goes through the serde
//! adapters without ever touching a float: [`as_string`] for decimal strings
//! (`"amount": "185.00"`) and [`as_number`] for JSON numbers (`"UnitAmount": 185.00`), each
//! with an `option` variant.
//!
//! ```
//! use ledgerlink_sdk::{Decimal, decimal};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Line {
//!     #[serde(with = "decimal::as_string")]
//!     amount: Decimal,
//!     #[serde(with = "decimal::as_number")]
//!     quantity: Decimal,
//!     #[serde(with = "decimal::as_string::option", default)]
//!     tax: Option<Decimal>,
//! }
//!
//! let line: Line = serde_json::from_str(r#"{"amount": "185.00", "quantity": 2.50}"#).unwrap();
//! assert_eq!(decimal::to_wire(line.quantity), "2.50");
//! assert_eq!(
//!     serde_json::to_string(&line).unwrap(),
//!     r#"{"amount":"185.00","quantity":2.50,"tax":null}"#
//! );
//!
//! let half = decimal::parse("2.345", "amount").unwrap();
//! assert_eq!(decimal::to_wire(decimal::round_cents(half)), "2.35");
//! assert_eq!(decimal::to_wire(decimal::round_cents(-half)), "-2.35");
//! assert_eq!(decimal::to_wire(decimal::round_cents(Decimal::from(10))), "10.00");
//! ```

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

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

/// Round to `places` decimal places, half away from zero (`2.345` → `2.35`, `-2.345` →
/// `-2.35`), and write exactly that many places (`10.5` → `10.50` for two).
pub fn round_to(value: Decimal, places: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    rounded
}

/// Round to cents: [`round_to`] two places.
pub fn round_cents(value: Decimal) -> Decimal {
    round_to(value, 2)
}

/// The `option` module of a serde adapter: `Option<Decimal>` through the adapter around it,
/// `null` (or an absent field, with `#[serde(default)]`) as `None`.
macro_rules! option_adapter {
    () => {
        /// The same for `Option<Decimal>` (`null` or absent is `None`; add `#[serde(default)]`).
        pub mod option {
            use rust_decimal::Decimal;
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            #[derive(Serialize, Deserialize)]
            struct Via(#[serde(with = "super")] Decimal);

            /// Write `Some` as the adapter does, `None` as `null`.
            pub fn serialize<S: Serializer>(
                value: &Option<Decimal>,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                value.map(Via).serialize(serializer)
            }

            /// Read what the adapter reads, or `null`.
            pub fn deserialize<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Option<Decimal>, D::Error> {
                Ok(Option::<Via>::deserialize(deserializer)?.map(|v| v.0))
            }
        }
    };
}

/// Serde adapter: a [`Decimal`] as a JSON string (`"1234.50"`), parsed as strictly as
/// [`parse`]. Use with `#[serde(with = "ledgerlink_sdk::decimal::as_string")]`.
pub mod as_string {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::error::ConnectorErrorExt;

    /// Write the decimal's text as a string, scale kept.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Read a decimal string; anything [`parse`](super::parse) refuses is an error.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse(&text, "value").map_err(|e| serde::de::Error::custom(e.message()))
    }

    option_adapter!();
}

/// Serde adapter: a [`Decimal`] as a JSON number (`1234.50`), through its text only — never
/// an `f64`, so `0.1` stays `0.1` and the scale is kept both ways. Reading also accepts a
/// numeric string and an exponent (`1.5E+2`), both exact. Works with `serde_json`'s
/// `from_str`/`from_slice`/`to_string`/`to_vec` (it uses `serde_json::value::RawValue`), not
/// through `serde_json::Value`. Use with
/// `#[serde(with = "ledgerlink_sdk::decimal::as_number")]`.
pub mod as_number {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    /// Write the decimal's exact digits as a JSON number.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s Display never writes an exponent or a separator: always a JSON number.
        RawValue::from_string(value.to_string())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }

    /// Read a JSON number (or numeric string) from its text.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let raw = <Box<RawValue>>::deserialize(deserializer)?;
        from_raw(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!("expected a decimal number, got {}", raw.get()))
        })
    }

    fn from_raw(raw: &RawValue) -> Option<Decimal> {
        let text = raw.get().trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        Decimal::from_str(text)
            .ok()
            .or_else(|| Decimal::from_scientific(text).ok())
    }

    option_adapter!();
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
    fn rounding_is_half_away_from_zero_to_exact_places() {
        for (v, cents) in [
            ("2.345", "2.35"),
            ("-2.345", "-2.35"),
            ("2.344", "2.34"),
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("10.5", "10.50"),
            ("7", "7.00"),
        ] {
            assert_eq!(to_wire(round_cents(parse(v, "x").expect(v))), cents, "{v}");
        }
        assert_eq!(
            to_wire(round_to(parse("1.23456", "x").expect("ok"), 4)),
            "1.2346"
        );
    }

    #[test]
    fn json_numbers_are_read_exactly() {
        #[derive(serde::Deserialize)]
        struct N {
            #[serde(with = "as_number")]
            n: Decimal,
            #[serde(with = "as_number::option", default)]
            o: Option<Decimal>,
        }
        for (json, text) in [
            ("0.1", "0.1"),
            ("\"0.10\"", "0.10"),
            ("1.5E+2", "150"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
        ] {
            let n: N = serde_json::from_str(&format!("{{\"n\": {json}}}")).expect(json);
            assert_eq!(to_wire(n.n), text, "{json}");
            assert_eq!(n.o, None);
        }
        let bad = serde_json::from_str::<N>("{\"n\": true}");
        assert!(bad.is_err());
    }

    #[test]
    fn decimal_strings_are_read_strictly() {
        #[derive(serde::Deserialize, Debug)]
        struct S {
            #[serde(with = "as_string")]
            _s: Decimal,
        }
        let e = serde_json::from_str::<S>("{\"_s\": \"1,000.00\"}").expect_err("refused");
        assert!(e.to_string().contains("must be a decimal number"), "{e}");
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
