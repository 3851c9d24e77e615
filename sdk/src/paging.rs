//! Paging: read every page of a vendor list within one call, with a page limit.
//!
//! The host pages `pull-customers` and `pull-invoices` itself: those return one page and a
//! cursor. Inside one call, though, a connector often needs a whole (small) list — the
//! customers matching a `find-customers` query, the documents of a `get-invoices` call, the
//! currencies of an organisation. [`collect`] runs that loop: it hands your fetch function
//! the cursor of each page in turn (`None` first), stops on the page without a next cursor,
//! and refuses to run away — at most `max_pages` pages, and a cursor the vendor repeats ends
//! the loop with an error instead of looping forever.
//!
//! ```
//! use ledgerlink_sdk::paging::{self, Page};
//!
//! // A vendor with three pages of two names; the cursor is the next page's number.
//! let vendor = [vec!["a", "b"], vec!["c", "d"], vec!["e"]];
//! let all = paging::collect(10, |cursor| {
//!     let n: usize = cursor.map_or(0, |c| c.parse().unwrap_or(0));
//!     Ok(Page {
//!         items: vendor[n].clone(),
//!         next: (n + 1 < vendor.len()).then(|| (n + 1).to_string()),
//!     })
//! })
//! .unwrap();
//! assert_eq!(all, ["a", "b", "c", "d", "e"]);
//!
//! // Two pages allowed, three needed: an error saying so, not a silent cut.
//! let e = paging::collect(2, |cursor| {
//!     let n: usize = cursor.map_or(0, |c| c.parse().unwrap_or(0));
//!     Ok(Page { items: vendor[n].clone(), next: Some((n + 1).to_string()) })
//! })
//! .unwrap_err();
//! assert!(ledgerlink_sdk::error::ConnectorErrorExt::message(&e).contains("more than 2 pages"));
//! ```

use std::collections::HashSet;

use crate::error::{self, ConnectorErrorExt};
use crate::types::{ConnectorError, Customer, CustomerPage, Invoice, InvoicePage};

/// One page of a vendor list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The records on this page.
    pub items: Vec<T>,
    /// The cursor of the following page; `None` on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The last page: these items and no cursor.
    pub fn last(items: Vec<T>) -> Self {
        Self { items, next: None }
    }

    /// Convert every item (vendor records to canonical ones, say), failing on the first
    /// that cannot be converted.
    pub fn try_map<U>(
        self,
        f: impl FnMut(T) -> Result<U, ConnectorError>,
    ) -> Result<Page<U>, ConnectorError> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}

impl From<Page<Customer>> for CustomerPage {
    fn from(page: Page<Customer>) -> Self {
        CustomerPage {
            items: page.items,
            next: page.next,
        }
    }
}

impl From<Page<Invoice>> for InvoicePage {
    fn from(page: Page<Invoice>) -> Self {
        InvoicePage {
            items: page.items,
            next: page.next,
        }
    }
}

/// Every item of every page, in order: `fetch(None)` first, then `fetch(Some(next))` until
/// a page has no `next`.
///
/// Fails with the first error `fetch` returns; with `unsupported` when more than
/// `max_pages` pages would be needed (the connector reads at most that many in one call —
/// narrow the request); and with `transient` when the vendor hands back a cursor it gave
/// before (a loop on its side).
pub fn collect<T>(
    max_pages: u32,
    mut fetch: impl FnMut(Option<&str>) -> Result<Page<T>, ConnectorError>,
) -> Result<Vec<T>, ConnectorError> {
    let mut items = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..max_pages {
        let page = fetch(cursor.as_deref())?;
        items.extend(page.items);
        match page.next {
            None => return Ok(items),
            Some(next) => {
                if !seen.insert(next.clone()) {
                    return Err(error::transient(format!(
                        "the vendor returned the page cursor {next:?} twice; stopped paging to avoid a loop"
                    )));
                }
                cursor = Some(next);
            }
        }
    }
    Err(error::unsupported_because(format!(
        "the vendor has more than {max_pages} pages of results for this request; this connector reads at most {max_pages} in one call"
    )))
}

/// The offset an offset cursor stands for: 0 without a cursor. For vendors paged by
/// `offset`/`skip` (QuickBooks' `STARTPOSITION`, say); pair it with [`next_offset`].
pub fn offset_of(cursor: Option<&str>) -> Result<u64, ConnectorError> {
    match cursor.map(str::trim) {
        None | Some("") => Ok(0),
        Some(c) => c.parse().map_err(|_| {
            error::validation(format!(
                "cursor {c:?} is not an offset this connector made; start the pull again without a cursor"
            ))
            .at("cursor")
        }),
    }
}

/// The cursor after a page that started at `offset` and returned `returned` of at most
/// `page_size` records: `None` after a short page (the last).
pub fn next_offset(offset: u64, returned: usize, page_size: usize) -> Option<String> {
    (returned >= page_size && returned > 0).then(|| (offset + returned as u64).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_cursor_stops_the_loop() {
        let e = collect::<u8>(100, |_| {
            Ok(Page {
                items: vec![1],
                next: Some("same".to_owned()),
            })
        })
        .expect_err("loops");
        assert!(matches!(e, ConnectorError::Transient(_)));
        assert_eq!(
            e.message(),
            "the vendor returned the page cursor \"same\" twice; stopped paging to avoid a loop"
        );
    }

    #[test]
    fn the_first_error_is_returned() {
        let e = collect::<u8>(5, |_| Err(error::auth("no"))).expect_err("fails");
        assert!(matches!(e, ConnectorError::Auth(_)));
    }

    #[test]
    fn offsets_round_trip() {
        assert_eq!(offset_of(None).expect("none"), 0);
        assert_eq!(next_offset(0, 50, 50).as_deref(), Some("50"));
        assert_eq!(offset_of(Some("50")).expect("parses"), 50);
        assert_eq!(next_offset(50, 3, 50), None);
        assert_eq!(
            offset_of(Some("x")).expect_err("bad").field(),
            Some("cursor")
        );
    }
}
