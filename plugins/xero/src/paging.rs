//! Page cursors: the cursor is the next Xero page number (`page=N`, from 1).

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::ConnectorError;

use crate::map::xero::Pagination;

/// The page a cursor asks for; page 1 without one.
pub fn page_of(cursor: Option<&str>) -> Result<u32, ConnectorError> {
    match cursor.map(str::trim) {
        None | Some("") => Ok(1),
        Some(c) => match c.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(error::validation(format!(
                "cursor {c:?} is not a Xero page number; start the pull again without a cursor"
            ))),
        },
    }
}

/// The cursor after `page`, which returned `returned` records of at most `page_size`.
///
/// A short page is the last. A full page is the last only when Xero's `pagination` says so
/// (it gives `pageCount` on paged requests); otherwise the next page is asked for, and an
/// empty one ends the pull.
pub fn next_cursor(
    page: u32,
    page_size: u32,
    returned: usize,
    pagination: Option<&Pagination>,
) -> Option<String> {
    if returned < page_size as usize {
        return None;
    }
    if let Some(count) = pagination.and_then(|p| p.page_count)
        && page >= count
    {
        return None;
    }
    Some((page + 1).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_page_numbers() {
        assert_eq!(page_of(None).expect("first"), 1);
        assert_eq!(page_of(Some("7")).expect("seventh"), 7);
        for bad in ["0", "-1", "abc", "1.5"] {
            assert_eq!(
                page_of(Some(bad)).expect_err(bad).to_string_lossy(),
                format!(
                    "cursor {bad:?} is not a Xero page number; start the pull again without a cursor"
                )
            );
        }
    }

    trait Msg {
        fn to_string_lossy(&self) -> String;
    }
    impl Msg for ConnectorError {
        fn to_string_lossy(&self) -> String {
            use ledgerlink_sdk::error::ConnectorErrorExt;
            self.message().to_owned()
        }
    }

    #[test]
    fn a_short_page_is_the_last() {
        assert_eq!(next_cursor(1, 1000, 999, None), None);
        assert_eq!(next_cursor(3, 2, 0, None), None);
        assert_eq!(next_cursor(1, 1000, 1000, None).as_deref(), Some("2"));
    }

    #[test]
    fn a_full_page_is_the_last_when_xero_says_so() {
        let p = Pagination {
            page: Some(2),
            page_size: Some(2),
            page_count: Some(2),
            item_count: Some(4),
        };
        assert_eq!(next_cursor(2, 2, 2, Some(&p)), None);
        let p = Pagination {
            page_count: Some(3),
            ..p
        };
        assert_eq!(next_cursor(2, 2, 2, Some(&p)).as_deref(), Some("3"));
    }
}
