//! The sample book of `tests/home-corpus/good/book.json`, for unit tests.

use super::import::{Format, KnownIds, SourceText, parse};
use super::model::HomeBook;

/// The sample book: 4 customers, 5 jobs, 1 contract, 2 contract invoices.
pub(crate) fn sample_book() -> HomeBook {
    let text = include_str!("../../../tests/home-corpus/good/book.json");
    parse(
        &[SourceText {
            name: "book.json".into(),
            bytes: text.as_bytes(),
            format: Format::Json,
            kind: None,
        }],
        &KnownIds::default(),
    )
    .unwrap_or_else(|e| panic!("the sample book is valid: {e}"))
}
