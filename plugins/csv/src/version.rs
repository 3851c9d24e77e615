//! Version tokens: the optimistic-concurrency counter kept in each row's `version` column.
//!
//! A record is created at version "1" and every real change adds one. An update that says
//! which version it was based on is refused as `stale` when the file has moved on, so a
//! change made in the file since the host last read it is never silently overwritten; the
//! host re-reads and retries.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::ConnectorError;

/// The version a newly created record gets.
pub const FIRST: &str = "1";

/// Check a stored version: a whole number (a row typed in by hand may have none).
pub fn parse(value: &str) -> Result<u64, ConnectorError> {
    value.parse::<u64>().map_err(|_| {
        error::validation(format!("version must be a whole number, got {value:?}")).at("version")
    })
}

/// The version after one more change to a record stored at `current`.
pub fn next(current: Option<&str>) -> Result<String, ConnectorError> {
    let current = current.map(parse).transpose()?.unwrap_or(0);
    Ok(current.saturating_add(1).to_string())
}

/// Refuse an update based on `incoming` when the file holds `stored`.
///
/// `incoming` of `None` means the caller did not say which version it read, so there is
/// nothing to compare and the update goes ahead.
pub fn ensure_current(
    what: &str,
    stored: Option<&str>,
    incoming: Option<&str>,
) -> Result<(), ConnectorError> {
    match incoming {
        Some(incoming) if Some(incoming) != stored => Err(error::stale(format!(
            "{what} is at version {} but the update is based on version {incoming}; \
             read it again and reapply the change",
            stored.unwrap_or("(none)")
        ))
        .at("version")),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn next_counts_up_from_the_stored_version() {
        assert_eq!(next(None).unwrap(), "1");
        assert_eq!(next(Some("1")).unwrap(), "2");
        assert_eq!(next(Some("41")).unwrap(), "42");
    }

    #[test]
    fn a_version_that_is_not_a_number_is_refused() {
        let e = next(Some("abc")).unwrap_err();
        assert_eq!(e.message(), "version must be a whole number, got \"abc\"");
        assert_eq!(e.field(), Some("version"));
    }

    #[test]
    fn a_matching_or_absent_incoming_version_is_current() {
        ensure_current("customer C-000001", Some("3"), Some("3")).unwrap();
        ensure_current("customer C-000001", Some("3"), None).unwrap();
    }

    #[test]
    fn a_different_incoming_version_is_stale_and_names_both() {
        let e =
            ensure_current("customer C-000001 in customers.csv", Some("3"), Some("2")).unwrap_err();
        assert!(matches!(e, ConnectorError::Stale(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "customer C-000001 in customers.csv is at version 3 but the update is based on \
             version 2; read it again and reapply the change"
        );
    }
}
