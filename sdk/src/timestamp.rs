//! Timestamps and dates: vendor formats ⇄ the contract's `timestamp` and `date`.
//!
//! The contract's `timestamp` is an RFC 3339 UTC string (`"2026-11-22T01:21:27Z"`) and its
//! `date` is `"YYYY-MM-DD"`. Vendors write instants every which way: RFC 3339 with an offset,
//! HTTP dates, Unix seconds or milliseconds, Microsoft JSON dates (`/Date(1573755038314+0000)/`),
//! or a local-looking `2026-11-22 01:21:27` documented as UTC. [`Timestamp`] reads each of
//! them, compares as an instant (never as text), and writes the contract's form.
//!
//! ```
//! use ledgerlink_sdk::timestamp::{self, Timestamp};
//!
//! let vendor = Timestamp::parse("2026-11-22T14:21:27+13:00", "updated-at").unwrap();
//! assert_eq!(vendor.to_wire(), "2026-11-22T01:21:27Z");
//! assert_eq!(Timestamp::parse_ms_json("/Date(1795310487000+0000)/", "UpdatedDateUTC").unwrap(), vendor);
//! assert_eq!(Timestamp::from_unix_seconds(1_795_310_487).unwrap(), vendor);
//! assert_eq!(vendor.to_http_date(), "Sun, 22 Nov 2026 01:21:27 GMT");
//! assert_eq!(
//!     Timestamp::parse_with("2026-11-22 01:21:27", "[year]-[month]-[day] [hour]:[minute]:[second]", "modified").unwrap(),
//!     vendor
//! );
//!
//! // `since` filters compare instants.
//! let since = Timestamp::parse("2026-11-22T01:00:00Z", "since").unwrap();
//! assert!(vendor >= since);
//!
//! // Dates: "YYYY-MM-DD", also out of a vendor's midnight timestamp.
//! assert_eq!(timestamp::date("2026-11-02T00:00:00", "issue-date").unwrap(), "2026-11-02");
//! assert!(timestamp::date("2026-02-30", "issue-date").is_err());
//! ```
//!
//! Every parser names the field in its `validation` error, as [`decimal`](crate::decimal)
//! does.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::error::{ConnectorErrorExt, validation};
use crate::types::ConnectorError;

/// An instant. Ordered and compared as an instant, whatever offset it was written with.
/// Serializes (serde) as the contract's RFC 3339 UTC string and reads any RFC 3339 string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

fn invalid(field: &str, value: &str, expected: &str) -> ConnectorError {
    validation(format!("{field} must be {expected}, got {value:?}")).at(field)
}

impl Timestamp {
    /// An RFC 3339 timestamp with any offset (`"2026-11-22T14:21:27+13:00"`, `"…Z"`).
    pub fn parse(value: &str, field: &str) -> Result<Self, ConnectorError> {
        OffsetDateTime::parse(value.trim(), &Rfc3339)
            .map(Self::utc)
            .map_err(|_| {
                invalid(
                    field,
                    value,
                    "an RFC 3339 timestamp like \"2026-11-22T01:21:27Z\"",
                )
            })
    }

    /// A timestamp in a vendor's own layout, written as a `time` format description
    /// (`"[year]-[month]-[day] [hour]:[minute]:[second]"`). A layout without an offset is
    /// taken as UTC; one with `[offset_hour]:[offset_minute]` uses the offset given.
    pub fn parse_with(value: &str, format: &str, field: &str) -> Result<Self, ConnectorError> {
        let description = time::format_description::parse_borrowed::<2>(format).map_err(|e| {
            validation(format!(
                "the connector's timestamp layout {format:?} for {field} is not valid: {e}"
            ))
        })?;
        let expected = format!("a timestamp laid out as {format}");
        let value = value.trim();
        OffsetDateTime::parse(value, &description)
            .or_else(|_| PrimitiveDateTime::parse(value, &description).map(|p| p.assume_utc()))
            .map(Self::utc)
            .map_err(|_| invalid(field, value, &expected))
    }

    /// An HTTP date (RFC 9110 IMF-fixdate), as in `Retry-After` or `Last-Modified`:
    /// `"Sun, 22 Nov 2026 01:21:27 GMT"`.
    pub fn parse_http_date(value: &str, field: &str) -> Result<Self, ConnectorError> {
        let layout = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        PrimitiveDateTime::parse(value.trim(), layout)
            .map(|p| Self(p.assume_utc()))
            .map_err(|_| {
                invalid(
                    field,
                    value,
                    "an HTTP date like \"Sun, 22 Nov 2026 01:21:27 GMT\"",
                )
            })
    }

    /// A Microsoft JSON date (Xero, older .NET APIs): `"/Date(1795310487000)/"` or with an
    /// offset, `"/Date(1795310487000+0000)/"`. The milliseconds are UTC; the offset only says
    /// where the writer was, so it does not move the instant.
    pub fn parse_ms_json(value: &str, field: &str) -> Result<Self, ConnectorError> {
        let expected = "a date like \"/Date(1795310487000+0000)/\"";
        let inner = value
            .trim()
            .strip_prefix("/Date(")
            .and_then(|v| v.strip_suffix(")/"))
            .ok_or_else(|| invalid(field, value, expected))?;
        // The milliseconds may be negative; an offset follows the digits as +hhmm or -hhmm.
        let split = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map_or(inner.len(), |(i, _)| i);
        let millis: i64 = inner[..split]
            .parse()
            .map_err(|_| invalid(field, value, expected))?;
        Self::from_unix_millis(millis).map_err(|_| invalid(field, value, expected))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(seconds: i64) -> Result<Self, ConnectorError> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .map(Self)
            .map_err(|e| validation(format!("{seconds} is not a usable Unix time: {e}")))
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub fn from_unix_millis(millis: i64) -> Result<Self, ConnectorError> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .map(Self)
            .map_err(|e| {
                validation(format!(
                    "{millis} is not a usable Unix time in milliseconds: {e}"
                ))
            })
    }

    /// The host's clock ([`clock::now`](crate::clock::now)), parsed.
    pub fn now() -> Result<Self, ConnectorError> {
        Self::parse(&crate::clock::now(), "clock")
    }

    fn utc(t: OffsetDateTime) -> Self {
        Self(t.to_offset(UtcOffset::UTC))
    }

    /// The contract's form: RFC 3339 in UTC, `"2026-11-22T01:21:27Z"` (fractions of a second
    /// only when there are any).
    pub fn to_wire(&self) -> String {
        let t = self.0;
        let (y, m, d) = (t.year(), u8::from(t.month()), t.day());
        let (hh, mm, ss) = (t.hour(), t.minute(), t.second());
        let mut out = format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}");
        let nanos = t.nanosecond();
        if nanos != 0 {
            let fraction = format!("{nanos:09}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }

    /// An HTTP date, for `If-Modified-Since`: `"Sun, 22 Nov 2026 01:21:27 GMT"`.
    pub fn to_http_date(&self) -> String {
        let t = self.0;
        let weekday = &t.weekday().to_string()[..3];
        let month = &t.month().to_string()[..3];
        format!(
            "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
            t.day(),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// The contract's `date` of this instant in UTC, `"YYYY-MM-DD"`.
    pub fn date(&self) -> String {
        date_to_wire(self.0.date())
    }

    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Whole milliseconds since 1970-01-01T00:00:00Z.
    pub fn unix_millis(&self) -> i128 {
        self.0.unix_timestamp_nanos() / 1_000_000
    }

    /// The instant as a `time` value, for arithmetic the helpers here do not cover.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Self::utc(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(Self::utc)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "expected an RFC 3339 timestamp like \"2026-11-22T01:21:27Z\", got {text:?}"
                ))
            })
    }
}

/// Any RFC 3339 timestamp → the contract's UTC form.
pub fn normalize(value: &str, field: &str) -> Result<String, ConnectorError> {
    Timestamp::parse(value, field).map(|t| t.to_wire())
}

/// Whether a record changed at `updated_at` belongs to a pull `since` (at or after it; every
/// record when there is no `since`). Both are RFC 3339; a record without a time is included,
/// since leaving it out could lose it.
pub fn is_since(updated_at: Option<&str>, since: Option<&str>) -> Result<bool, ConnectorError> {
    match (updated_at, since) {
        (Some(at), Some(since)) => {
            Ok(Timestamp::parse(at, "updated-at")? >= Timestamp::parse(since, "since")?)
        }
        _ => Ok(true),
    }
}

/// A contract `date` from a vendor date: `"YYYY-MM-DD"`, or a timestamp whose date part is
/// that (`"2026-11-02T00:00:00"`, as many APIs write dates). The calendar date is checked:
/// `"2026-02-30"` is refused.
pub fn date(value: &str, field: &str) -> Result<String, ConnectorError> {
    let expected = "a date like \"2026-11-02\"";
    let value = value.trim();
    let day = value
        .get(..10)
        .ok_or_else(|| invalid(field, value, expected))?;
    let rest = &value[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return Err(invalid(field, value, expected));
    }
    Date::parse(day, format_description!("[year]-[month]-[day]"))
        .map(date_to_wire)
        .map_err(|_| invalid(field, value, expected))
}

fn date_to_wire(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_kept_and_trimmed() {
        let t = Timestamp::parse("2026-11-22T01:21:27.250+00:00", "x").expect("parses");
        assert_eq!(t.to_wire(), "2026-11-22T01:21:27.25Z");
    }

    #[test]
    fn errors_name_the_field_and_the_expected_form() {
        let e = Timestamp::parse("22/11/2026", "updated-at").expect_err("not RFC 3339");
        assert_eq!(
            e.message(),
            "updated-at must be an RFC 3339 timestamp like \"2026-11-22T01:21:27Z\", got \"22/11/2026\""
        );
        assert_eq!(e.field(), Some("updated-at"));
        let e = date("2026-11", "issue-date").expect_err("short");
        assert_eq!(e.field(), Some("issue-date"));
    }

    #[test]
    fn http_dates_round_trip() {
        let t = Timestamp::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", "Retry-After")
            .expect("parses");
        assert_eq!(t.to_wire(), "1994-11-06T08:49:37Z");
        assert_eq!(t.to_http_date(), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn ms_json_dates_with_and_without_offset() {
        for v in ["/Date(0)/", "/Date(0+0000)/", "/Date(0-0500)/"] {
            assert_eq!(
                Timestamp::parse_ms_json(v, "d").expect(v).to_wire(),
                "1970-01-01T00:00:00Z"
            );
        }
        assert!(Timestamp::parse_ms_json("/Date(x)/", "d").is_err());
    }

    #[test]
    fn since_compares_instants() {
        assert!(
            is_since(
                Some("2026-11-22T14:00:00+13:00"),
                Some("2026-11-22T01:00:00Z")
            )
            .expect("valid")
        );
        assert!(
            !is_since(
                Some("2026-11-22T13:59:59+13:00"),
                Some("2026-11-22T01:00:00Z")
            )
            .expect("valid")
        );
        assert!(is_since(None, Some("2026-11-22T01:00:00Z")).expect("valid"));
    }

    #[test]
    fn serde_writes_the_wire_form() {
        let t: Timestamp =
            serde_json::from_str("\"2026-11-22T14:21:27+13:00\"").expect("deserializes");
        assert_eq!(
            serde_json::to_string(&t).expect("serializes"),
            "\"2026-11-22T01:21:27Z\""
        );
    }
}
