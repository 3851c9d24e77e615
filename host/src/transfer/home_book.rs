//! Changing the home book from a surface: importing Tracker Pro's files and setting flags.
//! `home` holds the rules (checking files, which flag a record has, what a flag still
//! waits for) and `store::home` the tables; this joins them, so neither imports the other.

use crate::home::changes::ImportCounts;
use crate::home::flags::{self, Flag, FlagError, FlagTarget};
use crate::home::import::{self, ImportError, ImportSource};
use crate::home::model::RecordKind;
use crate::store::home::{HomeStore, HomeStoreError};

/// Why the home book was not changed.
#[derive(Debug, thiserror::Error)]
pub enum HomeBookError {
    /// The files could not be read, or have problems (every one is listed).
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The record has no such flag.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// The database failed, or the record does not exist.
    #[error(transparent)]
    Store(#[from] HomeStoreError),
}

/// Import `sources` into the book, all or nothing: each record is written as it is read,
/// in one transaction that is committed only when every file is free of problems (the book
/// is never held whole; a 100,000-job import holds the ids and numbers the checks need).
pub fn import(store: &HomeStore, sources: &[ImportSource]) -> Result<ImportCounts, HomeBookError> {
    store.import_each(|known, write| {
        Ok::<_, HomeBookError>(import::read_each(sources, known, write)?)
    })
}

/// Set (`on`) or clear a flag of record `id`. Returns a note when the record still will
/// not go (a job that is not closed, a contract invoice that is not generated).
pub fn set_flag(
    store: &HomeStore,
    kind: RecordKind,
    id: &str,
    flag: Flag,
    on: bool,
) -> Result<Option<String>, HomeBookError> {
    let not_found = || HomeStoreError::NotFound {
        kind,
        id: id.to_owned(),
    };
    Ok(match FlagTarget::of(kind, flag)? {
        FlagTarget::CustomerIntegration => {
            store.set_customer_flagged(id, on)?;
            None
        }
        FlagTarget::JobReady => {
            store.set_job_ready(id, on)?;
            let job = store.job(id)?.ok_or_else(not_found)?;
            on.then(|| flags::job_note(&job)).flatten()
        }
        FlagTarget::ContractInvoiceReady => {
            store.set_contract_invoice_ready(id, on)?;
            let invoice = store.contract_invoice(id)?.ok_or_else(not_found)?;
            on.then(|| flags::contract_invoice_note(&invoice)).flatten()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::model::HomeBook;
    use crate::home::test_book::sample_book;

    fn store() -> (tempfile::TempDir, HomeStore) {
        let (tmp, store) = empty();
        store.import(&sample_book()).expect("imports");
        (tmp, store)
    }

    fn corpus(name: &str) -> ImportSource {
        ImportSource {
            path: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/home-corpus/good/csv")
                .join(name),
            format: None,
            kind: None,
        }
    }

    fn empty() -> (tempfile::TempDir, HomeStore) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = HomeStore::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        (tmp, store)
    }

    #[test]
    fn records_written_as_read_may_come_before_what_they_refer_to() {
        let files = [
            "customers.csv",
            "contracts.csv",
            "jobs.csv",
            "contract-invoices.csv",
        ];
        let (_a, in_order) = empty();
        let expected = import(&in_order, &files.map(corpus)).expect("imports");
        // Jobs and invoices before their customers and contracts: the foreign keys are
        // checked when the transaction commits.
        let (_b, reversed) = empty();
        let mut backwards = files.map(corpus);
        backwards.reverse();
        assert_eq!(import(&reversed, &backwards).expect("imports"), expected);
        assert_eq!(
            reversed.load().expect("reads"),
            in_order.load().expect("reads")
        );
        assert_eq!(expected.customers.added, 4, "{expected:?}");
    }

    #[test]
    fn a_problem_in_a_later_file_leaves_the_book_as_it_was() {
        let (tmp, store) = empty();
        let jobs = tmp.path().join("jobs.csv");
        let good = std::fs::read_to_string(corpus("jobs.csv").path).expect("reads");
        // The first job's total on its own line is not a number.
        let bad = good.replacen(",490.19,", ",4x0.19,", 1);
        assert_ne!(bad, good);
        std::fs::write(&jobs, bad).expect("writes");
        let sources = [
            corpus("customers.csv"),
            ImportSource {
                path: jobs.clone(),
                format: None,
                kind: None,
            },
        ];
        let err = import(&store, &sources).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{}:2: total: ", jobs.display())),
            "{text}"
        );
        // The customers read (and written) before the problem were rolled back.
        assert_eq!(store.load().expect("reads"), HomeBook::default());
    }

    #[test]
    fn flagging_an_open_job_sets_it_and_says_what_it_waits_for() {
        let (_tmp, store) = store();
        let open = store
            .jobs()
            .expect("jobs")
            .into_iter()
            .find(|j| j.status == crate::home::JobStatus::Open)
            .expect("the sample has an open job");
        let note = set_flag(&store, RecordKind::Job, &open.id, Flag::Ready, true).expect("sets");
        let job = store.job(&open.id).expect("reads").expect("exists");
        assert!(job.ready_for_invoice_1 && job.ready_for_invoice_2);
        assert_eq!(
            note,
            Some(format!(
                "job {} is open: it goes in a transfer once it is closed",
                open.id
            ))
        );
        let cleared =
            set_flag(&store, RecordKind::Job, &open.id, Flag::Ready, false).expect("clears");
        assert_eq!(cleared, None);
    }

    #[test]
    fn a_flag_the_record_lacks_or_a_missing_record_is_refused_by_name() {
        let (_tmp, store) = store();
        let err = set_flag(
            &store,
            RecordKind::Job,
            "TP-JOB-5001",
            Flag::Integration,
            true,
        )
        .expect_err("jobs have no integration flag");
        assert_eq!(err.to_string(), "job has no integration flag; use --ready");
        let err = set_flag(
            &store,
            RecordKind::Customer,
            "TP-CUST-0",
            Flag::Integration,
            true,
        )
        .expect_err("no such customer");
        assert_eq!(
            err.to_string(),
            "there is no customer with id \"TP-CUST-0\" in the home book; \
             `ledgerlink home export` lists every record"
        );
    }
}
