//! Xero's JSON wire formats: money and quantities as JSON numbers,
//! `/Date(ms+0000)/` timestamps, and reading numbers without `f64` arithmetic.

use std::str::FromStr as _;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::clock::unix_millis;

/// `value` as a JSON number (the spec: `type: number, format: double`).
///
/// serde_json (without the workspace-wide `arbitrary_precision` feature,
/// which would change number handling in every crate) keeps a parsed number
/// as an `f64` and prints it back in its shortest round-trip form. For the
/// amounts the sandbox emits (at most 4 decimal places and far fewer than 15
/// significant digits) that text is exactly the decimal's, so no amount is
/// ever altered on the wire; all arithmetic happens on [`Decimal`]s.
pub(crate) fn number(value: Decimal) -> Value {
    // A Decimal prints as plain `-?digits(.digits)?`, which is always valid
    // JSON number text, so the fallback is unreachable.
    serde_json::from_str(&value.normalize().to_string()).unwrap_or(Value::Null)
}

/// A number the client sent (a JSON number, or a numeric string as Xero
/// also accepts), read from its text so that `19.99` is exactly 19.99.
pub(crate) fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        _ => return None,
    };
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text).ok()
    } else {
        Decimal::from_str(&text).ok()
    }
}

/// Xero's `/Date(1552404447003+0000)/` timestamps (`UpdatedDateUTC`).
pub(crate) fn ms_date(at: SystemTime) -> String {
    format!("/Date({}+0000)/", unix_millis(at))
}

/// A calendar date (`Date`, `DueDate`) the way Xero's JSON carries it: the
/// date's UTC midnight as `/Date(ms+0000)/`.
pub(crate) fn date(day: NaiveDate) -> String {
    let millis = day
        .and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc().timestamp_millis())
        .unwrap_or_default();
    format!("/Date({millis}+0000)/")
}

/// A date a client sent: `2024-05-31`, `2024-05-31T00:00:00` or `/Date(ms)/`.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Some(at) = parse_ms_date(text) {
        return Some(DateTime::<Utc>::from(at).date_naive());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_naive_utc(text).map(|at| at.date()))
}

/// `If-Modified-Since`: an HTTP date, RFC 3339, or Xero's documented
/// `2009-11-12T00:00:00` (taken as UTC).
pub(crate) fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc2822(text) {
        return Some(at.into());
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.into());
    }
    if let Some(at) = parse_naive_utc(text) {
        return Some(at.and_utc().into());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc().into())
}

fn parse_naive_utc(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

/// `/Date(1552404447003)/` or `/Date(1552404447003+0000)/`.
fn parse_ms_date(text: &str) -> Option<SystemTime> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let millis = inner.split(['+', '-']).next()?;
    let millis: u64 = millis.parse().ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_decimal_text() {
        let amount = Decimal::from_str("22.8300").unwrap();
        assert_eq!(number(amount).to_string(), "22.83");
        assert_eq!(number(Decimal::from(3)).to_string(), "3");
        let sent: Value = serde_json::from_str("19.99").unwrap();
        assert_eq!(decimal(&sent), Some(Decimal::from_str("19.99").unwrap()));
        assert_eq!(
            decimal(&Value::String("0.1".into())),
            Some(Decimal::from_str("0.1").unwrap())
        );
        let tiny: Value = serde_json::from_str("1e-2").unwrap();
        assert_eq!(decimal(&tiny), Some(Decimal::from_str("0.01").unwrap()));
    }

    #[test]
    fn dates_read_and_write_xeros_forms() {
        let day = NaiveDate::from_ymd_opt(2024, 5, 31).unwrap();
        assert_eq!(date(day), "/Date(1717113600000+0000)/");
        assert_eq!(parse_date("2024-05-31"), Some(day));
        assert_eq!(parse_date("2024-05-31T00:00:00"), Some(day));
        assert_eq!(parse_date("/Date(1717113600000+0000)/"), Some(day));
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_575_744_379_516);
        assert_eq!(ms_date(at), "/Date(1575744379516+0000)/");
        let since = parse_timestamp("Tue, 15 Nov 1994 08:12:31 GMT").unwrap();
        assert_eq!(
            since,
            SystemTime::UNIX_EPOCH + Duration::from_secs(784_887_151)
        );
        assert_eq!(parse_timestamp("1994-11-15T08:12:31"), Some(since));
        assert_eq!(parse_timestamp("1994-11-15T08:12:31Z"), Some(since));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
