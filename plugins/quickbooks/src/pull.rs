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

/// Cursor prefix of the credit memo phase of an invoice pull (`creditmemo:1001`).
pub const CREDIT_MEMO_CURSOR: &str = "creditmemo:";

/// Where an invoice pull is: invoices from a start position, then credit memos from one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesCursor {
    /// `Invoice` query from this start position (cursor "1001", as before credit memos).
    Invoices(u64),
    /// `CreditMemo` query from this start position (cursor "creditmemo:1001").
    CreditMemos(u64),
}

impl SalesCursor {
    /// Parse a cursor this connector gave out.
    pub fn parse(cursor: &str) -> Result<Self, ConnectorError> {
        match cursor.trim().strip_prefix(CREDIT_MEMO_CURSOR) {
            Some(rest) => parse_cursor(rest).map(SalesCursor::CreditMemos),
            None => parse_cursor(cursor).map(SalesCursor::Invoices),
        }
    }

    /// The cursor text.
    pub fn text(self) -> String {
        match self {
            SalesCursor::Invoices(n) => n.to_string(),
            SalesCursor::CreditMemos(n) => format!("{CREDIT_MEMO_CURSOR}{n}"),
        }
    }

    /// The cursor after a page of `returned` entities: the next page of the same entity when
    /// the page was full; after the last invoice page, the first credit memo page.
    pub fn after(self, returned: usize) -> Option<Self> {
        let full = returned as u64 >= PAGE_SIZE;
        match self {
            SalesCursor::Invoices(n) if full => Some(SalesCursor::Invoices(n + PAGE_SIZE)),
            SalesCursor::Invoices(_) => Some(SalesCursor::CreditMemos(1)),
            SalesCursor::CreditMemos(n) if full => Some(SalesCursor::CreditMemos(n + PAGE_SIZE)),
            SalesCursor::CreditMemos(_) => None,
        }
    }
}

/// One page of invoices and credit memos changed at or after `since`: one CDC answer for
/// both when `since` is recent and neither entity hit CDC's cap; otherwise invoice query pages
/// and then credit memo query pages (the cursor says which, see [`SalesCursor`]).
pub fn sales_page(
    settings: &Settings,
    since: Option<&str>,
    cursor: Option<&str>,
) -> Result<Page, ConnectorError> {
    let at = match cursor {
        Some(c) => SalesCursor::parse(c)?,
        None => {
            if let Some(since) = since
                && cdc::usable(since, &clock::now()).unwrap_or(false)
            {
                let what = format!("changes to invoices and credit memos since {since}");
                let answer = api::get(
                    settings,
                    "cdc",
                    &[("entities", "Invoice,CreditMemo"), ("changedSince", since)],
                    &what,
                )?;
                let parts =
                    cdc::parts(answer).map_err(|f| crate::fault::classify(&f, 400, None, &what))?;
                let mut found = QueryResponse::default();
                for p in parts {
                    found.invoices.extend(p.invoices);
                    found.credit_memos.extend(p.credit_memos);
                }
                if found.invoices.len() < cdc::MAX_ENTITIES
                    && found.credit_memos.len() < cdc::MAX_ENTITIES
                {
                    return Ok(Page { found, next: None });
                }
                log::warn(format!(
                    "QuickBooks' CDC returned its maximum of {} invoices or credit memos; paging with queries instead",
                    cdc::MAX_ENTITIES
                ));
            }
            SalesCursor::Invoices(1)
        }
    };
    let (entity, start) = match at {
        SalesCursor::Invoices(n) => ("Invoice", n),
        SalesCursor::CreditMemos(n) => ("CreditMemo", n),
    };
    let text = query::changed_since(entity, since, start);
    let found = api::run_query(settings, &text, &format!("the {entity} query"))?;
    let returned = found.invoices.len() + found.credit_memos.len();
    Ok(Page {
        found,
        next: at.after(returned).map(SalesCursor::text),
    })
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

    #[test]
    fn invoice_pulls_page_invoices_then_credit_memos() {
        let first = SalesCursor::Invoices(1);
        assert_eq!(first.after(1000), Some(SalesCursor::Invoices(1001)));
        assert_eq!(
            SalesCursor::Invoices(1001).after(3),
            Some(SalesCursor::CreditMemos(1))
        );
        assert_eq!(
            SalesCursor::CreditMemos(1)
                .after(1000)
                .map(SalesCursor::text),
            Some("creditmemo:1001".to_owned())
        );
        assert_eq!(SalesCursor::CreditMemos(1001).after(0), None);
        assert_eq!(
            SalesCursor::parse("2001").ok(),
            Some(SalesCursor::Invoices(2001))
        );
        assert_eq!(
            SalesCursor::parse("creditmemo:1").ok(),
            Some(SalesCursor::CreditMemos(1))
        );
        assert!(SalesCursor::parse("creditmemo:x").is_err());
    }
}
