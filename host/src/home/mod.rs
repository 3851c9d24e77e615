//! The home book: Tracker Pro's side of every transfer.
//!
//! Customers (with "flagged for integration"), jobs (status, two Ready-for-Invoice flags,
//! invoice lines), service contracts and the contract invoices they generate.
//!
//! - [`model`]: the records; [`validation`]: the rules they follow;
//!   [`fingerprint`]: their content hashes.
//! - [`import`] (JSON and CSV, all or nothing) and [`export`] (JSON), in the format of
//!   `docs/home-format.md`; [`changes`]: what writing records into the book did.
//! - [`eligibility`]: which records the next transfer picks up; [`flags`]: forcing a record
//!   into it; [`summary`]: counts for `ledgerlink home show`.
//! - [`canonical`]: home records ⇄ the contract's canonical `Customer` and `Invoice`.
//!
//! Plain data and pure rules: nothing here reads or writes the database, and nothing here
//! imports `store`. The book is kept by `store::home`, which uses these types;
//! `transfer::home_book` joins the two (importing files, setting flags).

pub mod canonical;
pub mod changes;
pub mod decimal_serde;
pub mod eligibility;
pub mod export;
pub mod fingerprint;
pub mod flags;
pub mod import;
pub mod model;
pub mod summary;
pub mod validation;

#[cfg(test)]
pub(crate) mod test_book;

pub use model::{
    ContractInvoiceStatus, HomeAddress, HomeBook, HomeContract, HomeContractInvoice, HomeCustomer,
    HomeJob, HomeLine, InvoiceBody, JobStatus, RecordKind, TaxMode,
};

#[cfg(test)]
mod tests {
    /// `home` is plain data: the store depends on it, never the other way round.
    #[test]
    fn nothing_in_home_imports_the_store() {
        fn walk(dir: &std::path::Path, offenders: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("reads src/home") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, offenders);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("reads a source file");
                    // Spelled in two pieces so that this file does not match itself.
                    if text.contains(concat!("crate", "::store")) {
                        offenders.push(path.display().to_string());
                    }
                }
            }
        }
        let mut offenders = Vec::new();
        let home = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/home");
        walk(&home, &mut offenders);
        assert!(offenders.is_empty(), "home imports store in {offenders:?}");
    }
}
