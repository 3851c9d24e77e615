//! Paged pulls: CDC for a recent `since`, otherwise `select ... STARTPOSITION n MAXRESULTS 1000`.
//! The cursor is the next start position ("1001"); a CDC answer is one page.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::ConnectorError;
use ledgerlink_sdk::{clock, log};

use crate::api;
use crate::cdc;
use crate::map::qbo::QueryResponse;
use crate::map::timestamp;
use crate::query::{self, PAGE_SIZE};
use crate::settings::Settings;

/// One page of raw QuickBooks entities and the cursor of the next.
#[derive(Debug, Default)]
pub struct Page {
    /// The entities (customers or invoices, per the entity asked for).
    pub found: QueryResponse,
    /// Next cursor.
    pub next: Option<String>,
}

/// Parse a cursor (a start position, from 1).
pub fn parse_cursor(cursor: &str) -> Result<u64, ConnectorError> {
    cursor
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            error::validation(format!(
                "cursor {cursor:?} is not one this connector gave out (a start position such as \"1001\"); start the pull again without a cursor"
            ))
        })
}

/// `since` checked and written as RFC 3339 UTC.
pub fn normalize_since(since: Option<String>) -> Result<Option<String>, ConnectorError> {
    since
        .map(|s| {
            timestamp::to_utc(&s).map_err(|e| {
                error::validation(format!("since {e}; give an RFC 3339 timestamp")).at("since")
            })
        })
        .transpose()
}

fn count(found: &QueryResponse, entity: &str) -> usize {
    if entity == "Customer" {
        found.customers.len()
    } else {
        found.invoices.len()
    }
}

/// One page of `entity` ("Customer" or "Invoice") changed at or after `since`.
pub fn page(
    settings: &Settings,
    entity: &str,
    since: Option<&str>,
    cursor: Option<&str>,
) -> Result<Page, ConnectorError> {
    let start = match cursor {
        Some(c) => parse_cursor(c)?,
        None => {
            if let Some(since) = since
                && cdc::usable(since, &clock::now()).unwrap_or(false)
            {
                let what = format!("changes to {entity} since {since}");
                let answer = api::get(
                    settings,
                    "cdc",
                    &[("entities", entity), ("changedSince", since)],
                    &what,
                )?;
                let parts =
                    cdc::parts(answer).map_err(|f| crate::fault::classify(&f, 400, None, &what))?;
                let mut found = QueryResponse::default();
                for p in parts {
                    found.customers.extend(p.customers);
                    found.invoices.extend(p.invoices);
                }
                if count(&found, entity) < cdc::MAX_ENTITIES {
                    return Ok(Page { found, next: None });
                }
                // CDC stops at 1000 entities: page through a query instead (which cannot
                // report deletions).
                log::warn(format!(
                    "QuickBooks' CDC returned its maximum of {} {entity} records; paging with queries instead",
                    cdc::MAX_ENTITIES
                ));
            }
            1
        }
    };
    let text = query::changed_since(entity, since, start);
    let found = api::run_query(settings, &text, &format!("the {entity} query"))?;
    let next = (count(&found, entity) as u64 >= PAGE_SIZE).then(|| (start + PAGE_SIZE).to_string());
    Ok(Page { found, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_and_since() {
        assert_eq!(parse_cursor("1001").ok(), Some(1001));
        assert!(parse_cursor("0").is_err());
        assert!(parse_cursor("next").is_err());
        assert_eq!(
            normalize_since(Some("2026-11-22T14:00:00+13:00".into()))
                .ok()
                .flatten()
                .as_deref(),
            Some("2026-11-22T01:00:00Z")
        );
        let e = normalize_since(Some("soon".into())).expect_err("bad");
        assert_eq!(e.field(), Some("since"));
    }
}
