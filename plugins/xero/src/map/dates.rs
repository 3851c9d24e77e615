//! Xero's date formats ⇄ the contract's.
//!
//! Xero's JSON writes instants as .NET JSON dates, `/Date(1503348544227+0000)/`
//! (milliseconds since the Unix epoch, in UTC; the offset after the number only says which
//! zone the organisation is in), and dates either that way or as `2019-03-11T00:00:00`
//! (`DateString`). The contract wants RFC 3339 UTC instants and `YYYY-MM-DD` dates.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The milliseconds of a `/Date(ms±hhmm)/` value.
fn dotnet_millis(value: &str) -> Option<i64> {
    let inner = value.trim().strip_prefix("/Date(")?.strip_suffix(")/")?;
    // The number may be negative (before 1970); an offset follows it after '+' or a second '-'.
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    inner[..end].parse().ok()
}

/// An instant from Xero as it appears there: `/Date(…)/`, RFC 3339, or a local
/// `YYYY-MM-DDTHH:MM:SS[.fff]` Xero means as UTC.
fn instant(value: &str) -> Option<OffsetDateTime> {
    if let Some(ms) = dotnet_millis(value) {
        return OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok();
    }
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t);
    }
    let local = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(value, local)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// A Xero timestamp (`UpdatedDateUTC`) as an RFC 3339 UTC instant, e.g.
/// `/Date(1503348544227+0000)/` → `2017-08-21T20:49:04.227Z`. `None` when it is not one.
pub fn timestamp_from_xero(value: &str) -> Option<String> {
    let t = instant(value)?.to_offset(time::UtcOffset::UTC);
    t.format(&Rfc3339).ok()
}

/// A Xero date (`Date`, `DueDate`, `DateString`) as `YYYY-MM-DD`. `None` when it is not one.
pub fn date_from_xero(value: &str) -> Option<String> {
    let value = value.trim();
    if value.len() == 10 && is_iso_date(value) {
        return Some(value.to_owned());
    }
    let t = instant(value)?.to_offset(time::UtcOffset::UTC);
    let d = t.date();
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

fn is_iso_date(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Whether `value` is a contract date, `YYYY-MM-DD`.
pub fn is_contract_date(value: &str) -> bool {
    is_iso_date(value)
        && time::Date::parse(value, format_description!("[year]-[month]-[day]")).is_ok()
}

/// The `If-Modified-Since` value for a contract `since` (RFC 3339, any offset): the same
/// instant in UTC, e.g. `2026-11-22T01:21:27Z`. `None` when `since` is not RFC 3339.
pub fn if_modified_since(since: &str) -> Option<String> {
    let t = OffsetDateTime::parse(since.trim(), &Rfc3339).ok()?;
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_dates_become_rfc3339_utc() {
        // From the spec's GET /Contacts example.
        assert_eq!(
            timestamp_from_xero("/Date(1503348544227+0000)/").as_deref(),
            Some("2017-08-21T20:49:04.227Z")
        );
        assert_eq!(
            timestamp_from_xero("/Date(1551399323000)/").as_deref(),
            Some("2019-03-01T00:15:23Z")
        );
        // The offset is the organisation's zone; the milliseconds are UTC already.
        assert_eq!(
            timestamp_from_xero("/Date(1551399323000+1300)/").as_deref(),
            Some("2019-03-01T00:15:23Z")
        );
        assert_eq!(
            timestamp_from_xero("/Date(-86400000+0000)/").as_deref(),
            Some("1969-12-31T00:00:00Z")
        );
        assert_eq!(
            timestamp_from_xero("2019-03-11T17:58:46Z").as_deref(),
            Some("2019-03-11T17:58:46Z")
        );
        assert_eq!(
            timestamp_from_xero("2019-03-11T17:58:46").as_deref(),
            Some("2019-03-11T17:58:46Z")
        );
        assert_eq!(timestamp_from_xero("yesterday"), None);
        assert_eq!(timestamp_from_xero("/Date(abc)/"), None);
    }

    #[test]
    fn dates_in_every_xero_shape_become_iso_dates() {
        assert_eq!(
            date_from_xero("/Date(1539993600000+0000)/").as_deref(),
            Some("2018-10-20")
        );
        assert_eq!(
            date_from_xero("2018-10-20T00:00:00").as_deref(),
            Some("2018-10-20")
        );
        assert_eq!(date_from_xero("2019-03-11").as_deref(), Some("2019-03-11"));
        assert_eq!(date_from_xero("11/03/2019"), None);
    }

    #[test]
    fn since_is_sent_as_the_same_instant_in_utc() {
        assert_eq!(
            if_modified_since("2026-11-22T14:21:27+13:00").as_deref(),
            Some("2026-11-22T01:21:27Z")
        );
        assert_eq!(if_modified_since("2026-11-22"), None);
    }

    #[test]
    fn contract_dates_are_checked() {
        assert!(is_contract_date("2026-02-28"));
        assert!(!is_contract_date("2026-02-30"));
        assert!(!is_contract_date("26-02-28"));
    }
}
