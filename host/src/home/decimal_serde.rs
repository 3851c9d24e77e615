//! Decimals as strings in serialized home-book files, whatever features `rust_decimal`
//! is built with elsewhere in the workspace (`serde-float` would turn them into floats).

use rust_decimal::Decimal;
use serde::Serializer;

/// Serialize a [`Decimal`] as its string, keeping its scale ("10.50").
pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// The same for an optional decimal.
pub mod option {
    use super::*;

    /// Serialize `Some(d)` as a string and `None` as null.
    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }
}
