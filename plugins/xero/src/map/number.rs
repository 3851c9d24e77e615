//! Decimals ⇄ Xero's JSON numbers, through their text only.
//!
//! Xero's JSON carries money and quantities as JSON numbers (`"UnitAmount": 20.00`). Going
//! through `f64` would turn `"0.1"` into `0.1000000000000000055…` and a 29-digit amount into
//! a rounded one, so a number is written as the decimal's own text ([`XeroNumber`] serializes
//! as raw JSON) and read back from the text Xero sent (a [`RawValue`], never a float).
//! serde_json's `arbitrary_precision` would do the same for `serde_json::Value`, but it
//! changes `Value` for every crate in the build, so it is not used.

use std::str::FromStr;

use ledgerlink_sdk::Decimal;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A decimal written into Xero's JSON as a number with exactly the decimal's digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XeroNumber(pub Decimal);

impl Serialize for XeroNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s Display never uses an exponent or a thousands separator, so its text is
        // always a valid JSON number.
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Read a JSON number (or a numeric string, which some Xero fields use) as a [`Decimal`],
/// from its text. Accepts exponents (`1.5E+2`) because JSON allows them; the value is exact.
pub fn decimal_from_raw(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if text.is_empty() || text == "null" {
        return None;
    }
    Decimal::from_str(text)
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

/// The contract's decimal string of a Xero number, `"0"` when Xero left it out.
///
/// The scale Xero sent is kept (`40.00` stays `"40.00"`, a quantity `2.0000` stays
/// `"2.0000"`): the host compares amounts as numbers, not text.
pub fn wire_or_zero(raw: Option<&RawValue>) -> String {
    raw.and_then(decimal_from_raw)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "0".to_owned())
}

/// The contract's decimal string of an optional Xero number.
pub fn wire_opt(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(decimal_from_raw).map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("valid JSON")
    }

    #[test]
    fn writes_the_digits_of_the_decimal_exactly() {
        for text in [
            "1234.5678",
            "0.1",
            "0.10",
            "-3.10",
            "0",
            "79228162514264337593543950335",
            "0.0000000000000000000000000001",
        ] {
            let d = Decimal::from_str(text).expect("decimal");
            let json = serde_json::to_string(&XeroNumber(d)).expect("serializes");
            assert_eq!(json, text);
        }
    }

    #[test]
    fn a_sum_stays_exact_where_f64_would_not() {
        let sum = Decimal::from_str("0.1").expect("d") + Decimal::from_str("0.2").expect("d");
        assert_eq!(
            serde_json::to_string(&XeroNumber(sum)).expect("json"),
            "0.3"
        );
        // What going through f64 would have produced:
        assert_ne!(0.1f64 + 0.2f64, 0.3f64);
    }

    #[test]
    fn serde_json_number_would_lose_digits_which_is_why_raw_values_are_used() {
        // Without `arbitrary_precision`, serde_json parses numbers as f64.
        let n: serde_json::Number =
            serde_json::from_str("79228162514264337593543950335").expect("number");
        assert_ne!(n.to_string(), "79228162514264337593543950335");
    }

    #[test]
    fn reads_numbers_from_their_text() {
        assert_eq!(wire_or_zero(Some(&raw("40.00"))), "40.00");
        assert_eq!(wire_or_zero(Some(&raw("2.0000"))), "2.0000");
        assert_eq!(wire_or_zero(Some(&raw("148062.76"))), "148062.76");
        assert_eq!(
            wire_or_zero(Some(&raw("79228162514264337593543950335"))),
            "79228162514264337593543950335"
        );
        assert_eq!(wire_or_zero(Some(&raw("\"12.50\""))), "12.50");
        assert_eq!(wire_or_zero(Some(&raw("1.5E+2"))), "150");
        assert_eq!(wire_or_zero(None), "0");
        assert_eq!(wire_opt(Some(&raw("null"))), None);
        assert_eq!(wire_opt(Some(&raw("-0.125"))), Some("-0.125".to_owned()));
    }
}
