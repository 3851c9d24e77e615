//! Pages of pulled records, with the cursor being the offset of the next record.
//!
//! The host treats a cursor as opaque and hands it back unchanged, so a plain offset is
//! enough: the records are in file order, and the same `since` gives the same selection.
//! If the file changes between two pages, records may shift by a few places; a record seen
//! twice is harmless to the host, and the next incremental pull (`since` the previous run)
//! picks up any record changed meanwhile.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::ConnectorError;

/// One page: its records and the cursor of the next page, `None` on the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<R> {
    /// The records on this page.
    pub items: Vec<R>,
    /// Cursor for the following page.
    pub next: Option<String>,
}

/// Parse a cursor: `None` is the first page; anything but a whole number was not made by
/// this connector and is refused rather than guessed at.
pub fn parse_cursor(cursor: Option<&str>) -> Result<usize, ConnectorError> {
    match cursor {
        None => Ok(0),
        Some(text) => text.parse::<usize>().map_err(|_| {
            error::validation(format!(
                "cursor {text:?} was not made by this connector; start again without a cursor"
            ))
            .at("cursor")
        }),
    }
}

/// The page of `records` that starts at `offset` and holds at most `page_size` records.
///
/// An offset past the end (the file shrank since the previous page) is an empty last page.
pub fn page<R>(records: Vec<R>, offset: usize, page_size: usize) -> Page<R> {
    let total = records.len();
    let end = offset.saturating_add(page_size).min(total);
    let items: Vec<R> = records.into_iter().skip(offset).take(page_size).collect();
    let next = (end < total).then(|| end.to_string());
    Page { items, next }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_the_records_in_order_and_the_last_has_no_cursor() {
        let records: Vec<u32> = (1..=5).collect();

        let first = page(records.clone(), parse_cursor(None).unwrap(), 2);
        assert_eq!(
            first,
            Page {
                items: vec![1, 2],
                next: Some("2".into())
            }
        );

        let second = page(
            records.clone(),
            parse_cursor(first.next.as_deref()).unwrap(),
            2,
        );
        assert_eq!(
            second,
            Page {
                items: vec![3, 4],
                next: Some("4".into())
            }
        );

        let last = page(records, parse_cursor(second.next.as_deref()).unwrap(), 2);
        assert_eq!(
            last,
            Page {
                items: vec![5],
                next: None
            }
        );
    }

    #[test]
    fn a_page_that_ends_exactly_at_the_end_is_the_last() {
        let records: Vec<u32> = (1..=4).collect();
        assert_eq!(
            page(records, 2, 2),
            Page {
                items: vec![3, 4],
                next: None
            }
        );
    }

    #[test]
    fn an_empty_table_is_one_empty_page() {
        assert_eq!(
            page(Vec::<u32>::new(), 0, 500),
            Page {
                items: vec![],
                next: None
            }
        );
    }

    #[test]
    fn an_offset_past_the_end_is_an_empty_last_page() {
        assert_eq!(
            page(vec![1, 2], 7, 2),
            Page {
                items: vec![],
                next: None
            }
        );
    }

    #[test]
    fn a_cursor_that_is_not_an_offset_is_a_validation_error() {
        for bad in ["abc", "-1", "1.5", ""] {
            let e = parse_cursor(Some(bad)).unwrap_err();
            assert!(matches!(e, ConnectorError::Validation(_)), "{e:?}");
            assert_eq!(
                e.message(),
                format!(
                    "cursor {bad:?} was not made by this connector; start again without a cursor"
                )
            );
            assert_eq!(e.field(), Some("cursor"));
        }
    }
}
