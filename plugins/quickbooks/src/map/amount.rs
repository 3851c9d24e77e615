//! Money and quantities as JSON numbers, exactly.
//!
//! QuickBooks sends and expects amounts as JSON numbers (`"TotalAmt": 1234.5`). serde_json
//! without its `arbitrary_precision` feature turns every non-integer number into an `f64`,
//! which would silently change `0.1 + 0.2`-style values and drop a scale such as `"10.50"`.
//! So an [`Amount`] is read from and written as the number's own text (serde_json's
//! `RawValue`), and held as a [`Decimal`] in between: no float is ever involved.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A decimal carried as a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount(pub Decimal);

impl Amount {
    /// The value as a contract decimal string, keeping its scale ("10.50" stays "10.50").
    pub fn to_wire(self) -> String {
        self.0.to_string()
    }

    /// The value as a contract money string with at least two decimals ("150" → "150.00",
    /// "0.125" stays "0.125"). QuickBooks drops trailing zeros (`150.0`, `150`); the
    /// canonical model writes money with cents. Only zeros are added: nothing is rounded.
    pub fn to_money(self) -> String {
        let mut d = self.0;
        if d.scale() < 2 {
            d.rescale(2);
        }
        d.to_string()
    }
}

impl From<Decimal> for Amount {
    fn from(d: Decimal) -> Self {
        Amount(d)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parse the text of a JSON number (or a JSON string holding one) as a [`Decimal`].
///
/// JSON allows an exponent (`1.5E2`); `Decimal::from_scientific` keeps it exact.
pub fn parse_json_number(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str(t)
    };
    parsed.map_err(|e| format!("{text} is not a decimal number: {e}"))
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `Decimal`'s Display is plain digits with an optional '-' and '.', always a valid
        // JSON number, so the raw value cannot be rejected.
        match RawValue::from_string(self.0.to_string()) {
            Ok(raw) => raw.serialize(serializer),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(deserializer)?;
        parse_json_number(raw.get())
            .map(Amount)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Holder {
        #[serde(rename = "Amt")]
        amt: Amount,
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn written_from_the_decimal_text_without_floats() {
        for s in [
            "1234.50",
            "0.1",
            "0.125",
            "-3.10",
            "79228162514264337593543950335",
            "0",
        ] {
            let json = serde_json::to_string(&Holder {
                amt: Amount(dec(s)),
            })
            .expect("encodes");
            assert_eq!(json, format!("{{\"Amt\":{s}}}"));
        }
    }

    #[test]
    fn read_as_exact_decimals() {
        let cases = [
            ("0.1", "0.1"),
            ("1234.50", "1234.50"),
            ("150", "150"),
            ("1.5E2", "150"),
            ("-0.30000000000000004", "-0.30000000000000004"),
            ("\"12.30\"", "12.30"),
        ];
        for (json, want) in cases {
            let h: Holder = serde_json::from_str(&format!("{{\"Amt\":{json}}}")).expect(json);
            assert_eq!(h.amt.to_wire(), want, "{json}");
        }
    }

    #[test]
    fn money_gets_cents_but_is_never_rounded() {
        assert_eq!(Amount(dec("150")).to_money(), "150.00");
        assert_eq!(Amount(dec("150.5")).to_money(), "150.50");
        assert_eq!(Amount(dec("0.125")).to_money(), "0.125");
        assert_eq!(Amount(dec("-3.1")).to_money(), "-3.10");
    }

    #[test]
    fn a_non_number_is_refused() {
        let e = serde_json::from_str::<Holder>("{\"Amt\":true}")
            .err()
            .expect("refused");
        assert!(e.to_string().contains("not a decimal number"), "{e}");
    }
}
