//! Amounts on the wire: QuickBooks' JSON carries them as JSON numbers; the
//! sandbox reads them into [`Decimal`] through their decimal text and writes
//! them back the same way, never through arithmetic on floats.
//!
//! Every rounding of money happens in [`round_cents`].

use std::str::FromStr as _;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Number, Value};

use super::fault::QboFault;

/// Rounds to cents, half away from zero (Intuit's "round half up" on amounts).
pub(crate) fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The decimal in `value`, which must be a JSON number; `element` names it
/// in the fault otherwise.
pub(crate) fn decimal(value: &Value, element: &str) -> Result<Decimal, QboFault> {
    let Value::Number(number) = value else {
        return Err(QboFault::unsupported(element));
    };
    let text = number.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| QboFault::unsupported(element))
}

/// `field` of `object` as a decimal, if present and not null.
pub(crate) fn optional_decimal(
    object: &serde_json::Map<String, Value>,
    field: &str,
    element: &str,
) -> Result<Option<Decimal>, QboFault> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => decimal(value, element).map(Some),
    }
}

/// `amount` as a JSON number with the same decimal text.
pub(crate) fn number(amount: Decimal) -> Value {
    let text = amount.normalize().to_string();
    // A Decimal's text is always a valid JSON number (digits, optional '-'
    // and '.'), so the parse cannot fail; 0 is the harmless fallback.
    Number::from_str(&text).map_or(Value::from(0), Value::Number)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_cents(Decimal::new(10_005, 3)), Decimal::new(1001, 2));
        assert_eq!(
            round_cents(Decimal::new(-10_005, 3)),
            Decimal::new(-1001, 2)
        );
    }

    #[test]
    fn numbers_round_trip_through_their_text() {
        let amount = decimal(&json!(108.5), "Amount").unwrap();
        assert_eq!(amount, Decimal::new(1085, 1));
        assert_eq!(number(Decimal::new(10850, 2)).to_string(), "108.5");
        assert_eq!(number(Decimal::new(100, 0)).to_string(), "100");
        assert!(decimal(&json!("1"), "Amount").is_err());
    }
}
