//! One paging loop for every pull, bounded: at most `max-page-records` records a page and
//! `max-pull-pages` pages a pull (connection settings; defaults below), a cursor seen
//! twice stops the pull (it would page forever), and every record passes
//! [`super::inspect`] before anything else sees it. A pull that breaks a bound fails as a
//! whole — nothing from it is used, no plan is written from it.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;

use super::inspect::{self, Pulled, Refused};
use crate::model::{ConnectorError, Customer, Invoice, InvoiceKind};
use crate::runtime::{CallContext, CallError, Plugin};

/// Records one page may hold unless the connection says otherwise (vendors page at 100 to
/// 1,000).
pub const DEFAULT_PAGE_RECORDS: usize = 5_000;
/// Pages one pull may take unless the connection says otherwise (5 million records at the
/// default page size).
pub const DEFAULT_PULL_PAGES: usize = 1_000;
/// The longest cursor a connector may hand back.
const MAX_CURSOR_BYTES: usize = 4_096;

/// The bounds of one pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullLimits {
    /// Records per page.
    pub page_records: usize,
    /// Pages per pull.
    pub pages: usize,
}

impl Default for PullLimits {
    fn default() -> Self {
        Self {
            page_records: DEFAULT_PAGE_RECORDS,
            pages: DEFAULT_PULL_PAGES,
        }
    }
}

impl PullLimits {
    /// The bounds a connection's settings ask for (`max-page-records`, `max-pull-pages`).
    pub fn from_settings(settings: &BTreeMap<String, String>) -> Result<Self, String> {
        let read = |key: &str, default: usize| -> Result<usize, String> {
            match settings.get(key).map(|v| v.trim()) {
                None | Some("") => Ok(default),
                Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("the setting {key} is {v:?}; use a whole number above 0")
                }),
            }
        };
        Ok(Self {
            page_records: read("max-page-records", DEFAULT_PAGE_RECORDS)?,
            pages: read("max-pull-pages", DEFAULT_PULL_PAGES)?,
        })
    }
}

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The connector failed as a whole (crash, deadline).
    #[error(transparent)]
    Call(#[from] CallError),
    /// The connector refused.
    #[error("{}", .0.describe())]
    Connector(ConnectorError),
    /// A page too large.
    #[error(
        "connector {plugin} returned {got} records in one page, more than the {max} a page may hold; the pull was stopped and nothing from it was used (raise max-page-records with `ledgerlink connections set` only if the vendor really pages that large)"
    )]
    PageTooLarge {
        /// The plugin.
        plugin: String,
        /// Records in the page.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// Too many pages.
    #[error(
        "connector {plugin} was still paging after {max} pages; the pull was stopped and nothing from it was used (raise max-pull-pages with `ledgerlink connections set` only if the target really holds that many records)"
    )]
    TooManyPages {
        /// The plugin.
        plugin: String,
        /// The bound.
        max: usize,
    },
    /// A cursor came back twice, or was absurd.
    #[error(
        "connector {plugin} {what}, which would page forever; the pull was stopped and nothing from it was used — report it to the connector's author"
    )]
    BadCursor {
        /// The plugin.
        plugin: String,
        /// What it did.
        what: String,
    },
    /// A setting is wrong.
    #[error("{0}")]
    Setting(String),
}

/// Every record of a paged pull that passes inspection, and those refused.
pub async fn pull_all<T, F, Fut>(
    plugin: &str,
    limits: PullLimits,
    page: F,
) -> Result<(Vec<T>, Vec<Refused>), PullError>
where
    T: Pulled,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Result<(Vec<T>, Option<String>), ConnectorError>, CallError>>,
{
    let mut kept = Vec::new();
    let refused = pull_each(plugin, limits, page, |ok| kept.extend(ok)).await?;
    Ok((kept, refused))
}

/// [`pull_all`], handing each page's records that pass inspection to `sink` as they arrive
/// instead of keeping them (a large read in bounded memory). Returns those refused.
pub async fn pull_each<T, F, Fut>(
    plugin: &str,
    limits: PullLimits,
    mut page: F,
    mut sink: impl FnMut(Vec<T>),
) -> Result<Vec<Refused>, PullError>
where
    T: Pulled,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Result<(Vec<T>, Option<String>), ConnectorError>, CallError>>,
{
    let mut refused = Vec::new();
    let mut ids = HashSet::new();
    let mut cursors: HashSet<String> = HashSet::new();
    let mut cursor = None;
    for _ in 0..limits.pages {
        // A plugin call that never waits completes without yielding; yield once a page so
        // the run's budget (a timer) is looked at between pages.
        tokio::task::yield_now().await;
        let (items, next) = page(cursor.clone()).await?.map_err(PullError::Connector)?;
        if items.len() > limits.page_records {
            return Err(PullError::PageTooLarge {
                plugin: plugin.to_owned(),
                got: items.len(),
                max: limits.page_records,
            });
        }
        let (ok, bad) = inspect::sift(plugin, items, &mut ids);
        sink(ok);
        refused.extend(bad);
        match next {
            None => return Ok(refused),
            Some(next) if next.len() > MAX_CURSOR_BYTES => {
                return Err(PullError::BadCursor {
                    plugin: plugin.to_owned(),
                    what: format!("returned a cursor of {} bytes", next.len()),
                });
            }
            Some(next) if !cursors.insert(next.clone()) => {
                return Err(PullError::BadCursor {
                    plugin: plugin.to_owned(),
                    what: format!(
                        "returned the cursor {:?} a second time",
                        next.chars().take(80).collect::<String>()
                    ),
                });
            }
            Some(next) => cursor = Some(next),
        }
    }
    Err(PullError::TooManyPages {
        plugin: plugin.to_owned(),
        max: limits.pages,
    })
}

/// Every customer of the target changed since `since` (all with `None`).
pub async fn customers(
    plugin: &Plugin,
    ctx: &CallContext,
    since: Option<String>,
) -> Result<(Vec<Customer>, Vec<Refused>), PullError> {
    let limits = PullLimits::from_settings(&ctx.settings).map_err(PullError::Setting)?;
    let name = plugin.manifest().name.clone();
    pull_all(&name, limits, |cursor| {
        let since = since.clone();
        async move {
            Ok(plugin
                .pull_customers(ctx, since, cursor)
                .await?
                .map(|p| (p.items, p.next)))
        }
    })
    .await
}

/// Every invoice of `kind` in the target changed since `since` (all with `None`).
pub async fn invoices(
    plugin: &Plugin,
    ctx: &CallContext,
    kind: InvoiceKind,
    since: Option<String>,
) -> Result<(Vec<Invoice>, Vec<Refused>), PullError> {
    let mut kept = Vec::new();
    let refused = invoices_each(plugin, ctx, kind, since, |ok| kept.extend(ok)).await?;
    Ok((kept, refused))
}

/// [`invoices`], page by page into `sink` (see [`pull_each`]).
pub async fn invoices_each(
    plugin: &Plugin,
    ctx: &CallContext,
    kind: InvoiceKind,
    since: Option<String>,
    sink: impl FnMut(Vec<Invoice>),
) -> Result<Vec<Refused>, PullError> {
    let limits = PullLimits::from_settings(&ctx.settings).map_err(PullError::Setting)?;
    let name = plugin.manifest().name.clone();
    pull_each(
        &name,
        limits,
        |cursor| {
            let since = since.clone();
            async move {
                Ok(plugin
                    .pull_invoices(ctx, kind, since, cursor)
                    .await?
                    .map(|p| (p.items, p.next)))
            }
        },
        sink,
    )
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Customer;

    fn c(id: usize) -> Customer {
        Customer {
            key: String::new(),
            remote_id: Some(id.to_string()),
            version: None,
            idempotency_key: None,
            name: format!("C{id}"),
            account_number: None,
            contact_name: None,
            email: None,
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        }
    }

    type Page = Result<Result<(Vec<Customer>, Option<String>), ConnectorError>, CallError>;

    #[tokio::test]
    async fn pulls_are_bounded_by_page_size_pages_and_cursors() {
        let limits = PullLimits {
            page_records: 3,
            pages: 4,
        };
        // A page too large.
        let e = pull_all::<Customer, _, _>("evil", limits, |_| async {
            Page::Ok(Ok(((0..4).map(c).collect(), None)))
        })
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "connector evil returned 4 records in one page, more than the 3 a page may hold; the pull was stopped and nothing from it was used (raise max-page-records with `ledgerlink connections set` only if the vendor really pages that large)"
        );
        // The same cursor forever.
        let e = pull_all::<Customer, _, _>("evil", limits, |_| async {
            Page::Ok(Ok((vec![c(1)], Some("again".into()))))
        })
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "connector evil returned the cursor \"again\" a second time, which would page forever; the pull was stopped and nothing from it was used — report it to the connector's author"
        );
        // Always a new cursor: stopped at the page bound.
        let mut n = 0;
        let e = pull_all::<Customer, _, _>("evil", limits, |_| {
            n += 1;
            let next = n.to_string();
            async move { Page::Ok(Ok((vec![], Some(next)))) }
        })
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("connector evil was still paging after 4 pages")
        );
        // Within bounds: everything, duplicates refused.
        let mut n = 0;
        let (kept, refused) = pull_all::<Customer, _, _>("evil", limits, |_| {
            n += 1;
            let page = n;
            async move {
                Page::Ok(Ok(if page == 1 {
                    (vec![c(1), c(2)], Some("p2".into()))
                } else {
                    (vec![c(2), c(3)], None)
                }))
            }
        })
        .await
        .unwrap();
        assert_eq!(kept.len(), 3);
        assert_eq!(refused.len(), 1);
    }

    #[test]
    fn limits_come_from_settings() {
        let s = BTreeMap::from([("max-page-records".to_owned(), "100".to_owned())]);
        assert_eq!(
            PullLimits::from_settings(&s).unwrap(),
            PullLimits {
                page_records: 100,
                pages: DEFAULT_PULL_PAGES
            }
        );
        let s = BTreeMap::from([("max-pull-pages".to_owned(), "many".to_owned())]);
        assert_eq!(
            PullLimits::from_settings(&s).unwrap_err(),
            "the setting max-pull-pages is \"many\"; use a whole number above 0"
        );
    }
}
