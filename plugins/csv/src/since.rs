//! RFC 3339 timestamps and the `since` filter of the pull operations.
//!
//! Timestamps are compared as instants, not as text: "2026-11-22T14:00:00+13:00" and
//! "2026-11-22T01:00:00Z" are the same moment, and a file edited by hand may use either.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{ConnectorError, Customer, Invoice};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parse an RFC 3339 timestamp; `field` names it in the error.
pub fn parse(value: &str, field: &str) -> Result<OffsetDateTime, ConnectorError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        error::validation(format!(
            "{field} must be an RFC 3339 timestamp like \"2026-11-22T01:21:27Z\", got {value:?}"
        ))
        .at(field)
    })
}

/// A record that knows when it last changed.
pub trait Changed {
    /// The record's `updated_at`, when it has one.
    fn updated_at(&self) -> Option<&str>;
}

impl Changed for Customer {
    fn updated_at(&self) -> Option<&str> {
        self.updated_at.as_deref()
    }
}

impl Changed for Invoice {
    fn updated_at(&self) -> Option<&str> {
        self.updated_at.as_deref()
    }
}

/// The records changed at or after `since`; all of them when `since` is `None`.
///
/// A record with no `updated_at` (a row typed in by hand) is always included: we cannot tell
/// when it changed, and pulling it again is harmless where missing it is not.
pub fn changed_since<R: Changed>(
    records: Vec<R>,
    since: Option<&str>,
) -> Result<Vec<R>, ConnectorError> {
    let Some(since) = since else {
        return Ok(records);
    };
    let since = parse(since, "since")?;
    let mut kept = Vec::with_capacity(records.len());
    for record in records {
        let include = match record.updated_at() {
            Some(at) => parse(at, "updated-at")? >= since,
            None => true,
        };
        if include {
            kept.push(record);
        }
    }
    Ok(kept)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct At(Option<&'static str>);

    impl Changed for At {
        fn updated_at(&self) -> Option<&str> {
            self.0
        }
    }

    fn kept(records: Vec<At>, since: Option<&str>) -> Vec<Option<&'static str>> {
        changed_since(records, since)
            .unwrap()
            .into_iter()
            .map(|r| r.0)
            .collect()
    }

    #[test]
    fn keeps_records_changed_at_or_after_since_and_those_without_a_time() {
        let records = vec![
            At(Some("2026-11-21T23:59:59Z")),
            At(Some("2026-11-22T01:00:00Z")),
            At(None),
            At(Some("2026-11-22T01:00:00.5Z")),
        ];
        assert_eq!(
            kept(records, Some("2026-11-22T01:00:00Z")),
            vec![
                Some("2026-11-22T01:00:00Z"),
                None,
                Some("2026-11-22T01:00:00.5Z"),
            ]
        );
    }

    #[test]
    fn no_since_keeps_everything() {
        let records = vec![At(Some("2000-01-01T00:00:00Z")), At(None)];
        assert_eq!(
            kept(records, None),
            vec![Some("2000-01-01T00:00:00Z"), None]
        );
    }

    #[test]
    fn offsets_are_compared_as_instants_not_text() {
        // 14:00 at +13:00 is 01:00 UTC, equal to `since`: included. 11:00 at +13:00 is
        // 22:00 UTC the day before: left out, although as text it sorts after `since`.
        let records = vec![
            At(Some("2026-11-22T14:00:00+13:00")),
            At(Some("2026-11-22T11:00:00+13:00")),
        ];
        assert_eq!(
            kept(records, Some("2026-11-22T01:00:00Z")),
            vec![Some("2026-11-22T14:00:00+13:00")]
        );
    }

    #[test]
    fn a_since_that_is_not_rfc3339_is_a_validation_error_on_since() {
        let e = changed_since(vec![At(None)], Some("2026-11-22")).unwrap_err();
        assert!(matches!(e, ConnectorError::Validation(_)), "{e:?}");
        assert_eq!(
            e.message(),
            "since must be an RFC 3339 timestamp like \"2026-11-22T01:21:27Z\", got \"2026-11-22\""
        );
        assert_eq!(e.field(), Some("since"));
    }
}
