//! Timestamps: QuickBooks' `xs:dateTime` (`2015-07-24T10:33:39-07:00`) ⇄ the contract's
//! RFC 3339 UTC (`2015-07-24T17:33:39Z`).

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Parse an RFC 3339 / `xs:dateTime` instant. A value without an offset is taken as UTC
/// (xs:dateTime allows it; QuickBooks always sends one).
pub fn parse(value: &str) -> Result<OffsetDateTime, String> {
    let v = value.trim();
    OffsetDateTime::parse(v, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{v}Z"), &Rfc3339))
        .map_err(|e| format!("{value:?} is not an RFC 3339 timestamp: {e}"))
}

/// Write an instant as RFC 3339 in UTC (`...Z`).
pub fn format_utc(instant: OffsetDateTime) -> String {
    let utc = instant.to_offset(UtcOffset::UTC);
    // Formatting a valid `OffsetDateTime` with Rfc3339 fails only for years outside
    // 0..=9999, which xs:dateTime values from QuickBooks and the contract never have.
    utc.format(&Rfc3339)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// An `xs:dateTime` from QuickBooks as an RFC 3339 UTC timestamp.
pub fn to_utc(value: &str) -> Result<String, String> {
    parse(value).map(format_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quickbooks_offsets_become_utc() {
        assert_eq!(
            to_utc("2015-07-24T10:33:39-07:00").as_deref(),
            Ok("2015-07-24T17:33:39Z")
        );
        assert_eq!(
            to_utc("2026-11-22T14:00:00+13:00").as_deref(),
            Ok("2026-11-22T01:00:00Z")
        );
        assert_eq!(
            to_utc("2026-11-22T01:21:27Z").as_deref(),
            Ok("2026-11-22T01:21:27Z")
        );
        assert_eq!(
            to_utc("2026-11-22T01:21:27").as_deref(),
            Ok("2026-11-22T01:21:27Z"),
            "no offset is UTC"
        );
        assert_eq!(
            to_utc("2026-11-22T01:21:27.250Z").as_deref(),
            Ok("2026-11-22T01:21:27.25Z")
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(to_utc("yesterday").is_err());
        assert!(to_utc("").is_err());
    }
}
