//! Page cursors: the cursor is the next Xero page number (`page=N`, from 1).
//!
//! Pulling invoices reads two collections, `/Invoices` then `/CreditNotes` (invoices pushed
//! with a negative total are credit notes in Xero): the cursor of an invoice page is `N`, of
//! a credit-note page `cn:N`; the last invoice page's cursor is `cn:1`.

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

/// Which collection and page an invoice pull's cursor asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoicePage {
    /// `/Invoices`, page N.
    Invoices(u32),
    /// `/CreditNotes`, page N.
    CreditNotes(u32),
}

/// The cursor marking a credit-note page.
const CREDIT_NOTES: &str = "cn:";

/// The page an invoice pull's cursor asks for; the first invoice page without one.
pub fn invoice_page_of(cursor: Option<&str>) -> Result<InvoicePage, ConnectorError> {
    match cursor.map(str::trim) {
        Some(c) if c.starts_with(CREDIT_NOTES) => {
            page_of(Some(&c[CREDIT_NOTES.len()..])).map(InvoicePage::CreditNotes)
        }
        other => page_of(other).map(InvoicePage::Invoices),
    }
}

/// The cursor after `page` of an invoice pull (see [`next_cursor`]): after the last invoice
/// page come the credit notes; after the last credit-note page, nothing.
pub fn next_invoice_cursor(
    page: InvoicePage,
    page_size: u32,
    returned: usize,
    pagination: Option<&Pagination>,
) -> Option<String> {
    match page {
        InvoicePage::Invoices(n) => Some(
            next_cursor(n, page_size, returned, pagination)
                .unwrap_or_else(|| format!("{CREDIT_NOTES}1")),
        ),
        InvoicePage::CreditNotes(n) => next_cursor(n, page_size, returned, pagination)
            .map(|next| format!("{CREDIT_NOTES}{next}")),
    }
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

    #[test]
    fn invoice_pulls_read_invoices_then_credit_notes() {
        assert_eq!(
            invoice_page_of(None).expect("first"),
            InvoicePage::Invoices(1)
        );
        assert_eq!(
            invoice_page_of(Some("3")).expect("3"),
            InvoicePage::Invoices(3)
        );
        assert_eq!(
            invoice_page_of(Some("cn:2")).expect("cn:2"),
            InvoicePage::CreditNotes(2)
        );
        assert!(invoice_page_of(Some("cn:0")).is_err());
        assert!(invoice_page_of(Some("cn:")).is_ok_and(|p| p == InvoicePage::CreditNotes(1)));
        let next = |page, returned| next_invoice_cursor(page, 100, returned, None);
        assert_eq!(next(InvoicePage::Invoices(1), 100).as_deref(), Some("2"));
        assert_eq!(next(InvoicePage::Invoices(2), 7).as_deref(), Some("cn:1"));
        assert_eq!(
            next(InvoicePage::CreditNotes(1), 100).as_deref(),
            Some("cn:2")
        );
        assert_eq!(next(InvoicePage::CreditNotes(2), 0), None);
    }
}
