//! `ledgerlink home export`: the whole book in the import format, so that exporting and
//! importing into an empty book gives the same book (and the same fingerprints).
//!
//! JSON ([`to_json`]): one document listing every kind, ordered by id, lines in order;
//! absent optional values are left out; decimals are strings with their scale; `version`
//! is [`FORMAT_VERSION`]. CSV ([`to_csv`], in `export/csv.rs`): one file per kind, in the
//! CSV import format.

mod csv;

use serde::Serialize;

pub use self::csv::{CsvFile, file_name, to_csv};

use super::model::{
    FORMAT_VERSION, HomeBook, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob,
};

#[derive(Serialize)]
struct Document<'a> {
    version: u64,
    customers: &'a [HomeCustomer],
    jobs: &'a [HomeJob],
    contracts: &'a [HomeContract],
    contract_invoices: &'a [HomeContractInvoice],
}

/// The book as a pretty-printed JSON document, ending with a newline.
pub fn to_json(book: &HomeBook) -> Result<String, serde_json::Error> {
    let doc = Document {
        version: FORMAT_VERSION,
        customers: &book.customers,
        jobs: &book.jobs,
        contracts: &book.contracts,
        contract_invoices: &book.contract_invoices,
    };
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::import::{Format, KnownIds, SourceText, parse};
    use crate::home::test_book::sample_book;

    #[test]
    fn export_then_import_is_the_same_book() {
        let book = sample_book();
        let text = to_json(&book).expect("serializes");
        assert!(text.contains("\"unit_price\": \"96.50\""), "{text}");
        assert!(
            !text.contains("null"),
            "absent values are left out:\n{text}"
        );
        let back = parse(
            &[SourceText {
                name: "export.json".into(),
                bytes: text.as_bytes(),
                format: Format::Json,
                kind: None,
            }],
            &KnownIds::default(),
        )
        .expect("re-imports");
        assert_eq!(back, book);
    }
}
