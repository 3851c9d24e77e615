//! The home book's tables: every SQL statement that reads or writes Tracker Pro's records.
//!
//! Tables (migration 3, [`super::migrations`]): `home_customers`, `home_jobs` + `home_job_lines`,
//! `home_contracts`, `home_contract_invoices` + `home_contract_invoice_lines`. Lines are
//! rows (ordered by `position`), not JSON, so SQL can reach them. Decimals are TEXT as
//! written (scale kept), dates and timestamps TEXT, flags 0/1. Every record row carries
//! `fingerprint` (`home::fingerprint`, its content) and `changed_at` (Unix seconds when that
//! content last changed); flags and `updated_at` do not move either.
//!
//! Records are upserted by Tracker Pro id (`ON CONFLICT DO UPDATE`, never `REPLACE`, which
//! would delete and cascade). Foreign keys hold jobs and contracts to their customers and
//! contract invoices to their contracts, so a record never points at nothing.
//!
//! The `write_*` and `read_*` functions take any [`Connection`] (a transaction derefs to
//! one), so the sync engine can include home-book writes in its own transactions.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{Connection, params};

pub(crate) mod read;
mod write;

pub use read::{
    each_job, read_contract_invoices, read_contracts, read_customers, read_customers_among,
    read_jobs, read_known_ids,
};
pub use write::{write_contract, write_contract_invoice, write_customer, write_job};

// The home book's own data types that this store's API returns, named here for its callers.
pub use crate::home::changes::{Change, ChangeCounts, ImportCounts};
pub use crate::home::import::{ImportRecord, KnownIds, NumberHolder};

use super::connections::unix;
use super::db::{self, DbError};
use crate::home::model::{
    HomeBook, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, RecordKind,
};

/// Why a home-book operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HomeStoreError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No record with that id.
    #[error(
        "there is no {} with id {id:?} in the home book; `ledgerlink home export` lists every record",
        kind.singular()
    )]
    NotFound {
        /// What was looked for.
        kind: RecordKind,
        /// Its id.
        id: String,
    },
}

impl From<rusqlite::Error> for HomeStoreError {
    fn from(e: rusqlite::Error) -> Self {
        HomeStoreError::Db(DbError::Query(e))
    }
}

/// A database error or the caller's own, from a walk over the book ([`HomeStore::each_job`]).
enum Either<E> {
    Db(rusqlite::Error),
    Caller(E),
}

impl<E> From<rusqlite::Error> for Either<E> {
    fn from(e: rusqlite::Error) -> Self {
        Either::Db(e)
    }
}

/// The home book in the database. Cheap to clone; safe to share between threads.
#[derive(Debug, Clone)]
pub struct HomeStore {
    db: Arc<Mutex<Connection>>,
}

impl HomeStore {
    /// Open (creating and migrating) the database at `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, HomeStoreError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(db_path)?))))
    }

    /// Use a connection shared with other stores (already opened by [`db::open`]).
    pub fn from_shared(db: Arc<Mutex<Connection>>) -> Self {
        Self { db }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, HomeStoreError>,
    ) -> Result<T, HomeStoreError> {
        // A poisoned lock means a panic mid-query elsewhere; SQLite's own transaction kept the
        // data consistent, so carrying on with the connection is safe.
        let mut guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// The customer and contract ids in the book.
    pub fn known_ids(&self) -> Result<KnownIds, HomeStoreError> {
        self.with(|db| Ok(read_known_ids(db)?))
    }

    /// Upsert every record of `book` in one transaction: all or nothing.
    pub fn import(&self, book: &HomeBook) -> Result<ImportCounts, HomeStoreError> {
        self.with(|db| {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = unix(SystemTime::now());
            let mut counts = ImportCounts::default();
            // Referenced records first, for the foreign keys.
            for c in &book.customers {
                counts.customers.count(write_customer(&tx, c, now)?);
            }
            for c in &book.contracts {
                counts.contracts.count(write_contract(&tx, c, now)?);
            }
            for j in &book.jobs {
                counts.jobs.count(write_job(&tx, j, now)?);
            }
            for i in &book.contract_invoices {
                counts
                    .contract_invoices
                    .count(write_contract_invoice(&tx, i, now)?);
            }
            tx.commit()?;
            Ok(counts)
        })
    }

    /// Upsert records as `read` hands them over, in one transaction, kept only when `read`
    /// returns `Ok`: all or nothing, with the book never held whole. `read` is given the
    /// book's ids and invoice numbers, read in the same transaction (no other writer can
    /// change them before the commit). References are checked by the foreign keys at the
    /// commit, so records may come in any order (a job before its customer's file).
    /// The database is locked until `read` returns: it must not call a store.
    pub fn import_each<E: From<HomeStoreError>>(
        &self,
        read: impl FnOnce(&KnownIds, &mut dyn FnMut(ImportRecord)) -> Result<(), E>,
    ) -> Result<ImportCounts, E> {
        let mut guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let db = |e: rusqlite::Error| E::from(HomeStoreError::from(e));
        let tx = guard
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.pragma_update(None, "defer_foreign_keys", true)
            .map_err(db)?;
        let known = read_known_ids(&tx).map_err(db)?;
        let now = unix(SystemTime::now());
        let mut counts = ImportCounts::default();
        let mut failed: Option<rusqlite::Error> = None;
        read(&known, &mut |record| {
            if failed.is_some() {
                return;
            }
            let written = match &record {
                ImportRecord::Customer(c) => {
                    write_customer(&tx, c, now).map(|ch| counts.customers.count(ch))
                }
                ImportRecord::Contract(c) => {
                    write_contract(&tx, c, now).map(|ch| counts.contracts.count(ch))
                }
                ImportRecord::Job(j) => write_job(&tx, j, now).map(|ch| counts.jobs.count(ch)),
                ImportRecord::ContractInvoice(i) => {
                    write_contract_invoice(&tx, i, now).map(|ch| counts.contract_invoices.count(ch))
                }
            };
            if let Err(e) = written {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(db(e));
        }
        tx.commit().map_err(db)?;
        Ok(counts)
    }

    /// The whole book, every list ordered by id, read in one transaction.
    pub fn load(&self) -> Result<HomeBook, HomeStoreError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let book = HomeBook {
                customers: read_customers(&tx, None)?,
                jobs: read_jobs(&tx, None)?,
                contracts: read_contracts(&tx, None)?,
                contract_invoices: read_contract_invoices(&tx, None)?,
            };
            tx.commit()?;
            Ok(book)
        })
    }

    /// Every customer, by id.
    pub fn customers(&self) -> Result<Vec<HomeCustomer>, HomeStoreError> {
        self.with(|db| Ok(read_customers(db, None)?))
    }

    /// The customers of `ids` the book holds, in the order of `ids` (an id it does not hold
    /// is left out), read in one transaction by their primary keys.
    pub fn customers_among(&self, ids: &[&str]) -> Result<Vec<HomeCustomer>, HomeStoreError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let found = read_customers_among(&tx, ids)?;
            tx.commit()?;
            Ok(found)
        })
    }

    /// One customer.
    pub fn customer(&self, id: &str) -> Result<Option<HomeCustomer>, HomeStoreError> {
        self.with(|db| Ok(read_customers(db, Some(id))?.pop()))
    }

    /// Every job with its lines, by id.
    pub fn jobs(&self) -> Result<Vec<HomeJob>, HomeStoreError> {
        self.with(|db| Ok(read_jobs(db, None)?))
    }

    /// Every job with its lines, by id, handed to `f` one at a time (the book is never held
    /// whole). The database is locked until the last job: `f` must not call a store.
    pub fn each_job<E: From<HomeStoreError>>(
        &self,
        f: impl FnMut(HomeJob) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_job_between(None, f)
    }

    /// [`HomeStore::each_job`] over the jobs whose ids lie in `range` (first and last, both
    /// included), or every job when it is `None`.
    pub fn each_job_between<E: From<HomeStoreError>>(
        &self,
        range: Option<(&str, &str)>,
        f: impl FnMut(HomeJob) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // One read transaction: the jobs and their lines are read from the same snapshot.
        let tx = guard.transaction().map_err(HomeStoreError::from)?;
        let mut f = f;
        each_job(&tx, range, |job| f(job).map_err(Either::Caller)).map_err(|e| match e {
            Either::Db(e) => E::from(HomeStoreError::from(e)),
            Either::Caller(e) => e,
        })?;
        tx.commit().map_err(HomeStoreError::from)?;
        Ok(())
    }

    /// One job.
    pub fn job(&self, id: &str) -> Result<Option<HomeJob>, HomeStoreError> {
        self.with(|db| Ok(read_jobs(db, Some(id))?.pop()))
    }

    /// Every service contract, by id.
    pub fn contracts(&self) -> Result<Vec<HomeContract>, HomeStoreError> {
        self.with(|db| Ok(read_contracts(db, None)?))
    }

    /// One service contract.
    pub fn contract(&self, id: &str) -> Result<Option<HomeContract>, HomeStoreError> {
        self.with(|db| Ok(read_contracts(db, Some(id))?.pop()))
    }

    /// Every contract invoice with its lines, by id.
    pub fn contract_invoices(&self) -> Result<Vec<HomeContractInvoice>, HomeStoreError> {
        self.with(|db| Ok(read_contract_invoices(db, None)?))
    }

    /// One contract invoice.
    pub fn contract_invoice(
        &self,
        id: &str,
    ) -> Result<Option<HomeContractInvoice>, HomeStoreError> {
        self.with(|db| Ok(read_contract_invoices(db, Some(id))?.pop()))
    }

    /// Upsert one customer (e.g. pulled from a target), in its own transaction.
    pub fn upsert_customer(&self, c: &HomeCustomer) -> Result<Change, HomeStoreError> {
        self.with(|db| {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let change = write_customer(&tx, c, unix(SystemTime::now()))?;
            tx.commit()?;
            Ok(change)
        })
    }

    /// Set or clear a customer's "flagged for integration".
    pub fn set_customer_flagged(&self, id: &str, on: bool) -> Result<(), HomeStoreError> {
        self.flag(
            RecordKind::Customer,
            "UPDATE home_customers SET flagged_for_integration = ?2 WHERE id = ?1",
            id,
            on,
        )
    }

    /// Set or clear both Ready-for-Invoice flags of a job.
    pub fn set_job_ready(&self, id: &str, on: bool) -> Result<(), HomeStoreError> {
        self.flag(
            RecordKind::Job,
            "UPDATE home_jobs SET ready_for_invoice_1 = ?2, ready_for_invoice_2 = ?2 WHERE id = ?1",
            id,
            on,
        )
    }

    /// Set or clear both Ready-for-Invoice flags of a contract invoice.
    pub fn set_contract_invoice_ready(&self, id: &str, on: bool) -> Result<(), HomeStoreError> {
        self.flag(
            RecordKind::ContractInvoice,
            "UPDATE home_contract_invoices SET ready_for_invoice_1 = ?2, ready_for_invoice_2 = ?2 WHERE id = ?1",
            id,
            on,
        )
    }

    fn flag(&self, kind: RecordKind, sql: &str, id: &str, on: bool) -> Result<(), HomeStoreError> {
        self.with(|db| match db.execute(sql, params![id, on])? {
            0 => Err(HomeStoreError::NotFound {
                kind,
                id: id.to_owned(),
            }),
            _ => Ok(()),
        })
    }

    /// (kind, id, fingerprint, changed_at) of every record, by kind then id.
    pub fn fingerprints(&self) -> Result<Vec<(RecordKind, String, String, i64)>, HomeStoreError> {
        self.with(|db| {
            let mut out = Vec::new();
            for kind in RecordKind::ALL {
                let sql = format!(
                    "SELECT id, fingerprint, changed_at FROM {} ORDER BY id",
                    table(kind)
                );
                let mut stmt = db.prepare(&sql)?;
                let rows = stmt.query_map([], |r| Ok((kind, r.get(0)?, r.get(1)?, r.get(2)?)))?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
    }
}

fn table(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Customer => "home_customers",
        RecordKind::Job => "home_jobs",
        RecordKind::Contract => "home_contracts",
        RecordKind::ContractInvoice => "home_contract_invoices",
    }
}

/// A lines table and the column naming its owner.
#[derive(Clone, Copy)]
struct Lines {
    table: &'static str,
    owner: &'static str,
}

impl Lines {
    const JOB: Lines = Lines {
        table: "home_job_lines",
        owner: "job_id",
    };
    const CONTRACT_INVOICE: Lines = Lines {
        table: "home_contract_invoice_lines",
        owner: "invoice_id",
    };
}

const LINE_COLUMNS: &str = "description, quantity, unit_price, discount_percent, amount, item_code, \
                            account_code, tax_code, tax_amount, tax_rate";

const BODY_COLUMNS: &str =
    "invoice_date, due_date, currency, tax_mode, subtotal, tax_total, total, memo, amount_paid";

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::home::test_book::sample_book;

    fn store() -> (tempfile::TempDir, HomeStore) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = HomeStore::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        (tmp, store)
    }

    #[test]
    fn an_imported_book_loads_back_exactly() {
        let (_tmp, store) = store();
        let book = sample_book();
        let counts = store.import(&book).expect("imports");
        assert_eq!(counts.customers.added, 4);
        assert_eq!(counts.jobs.added, 5);
        assert_eq!(counts.contracts.added, 1);
        assert_eq!(counts.contract_invoices.added, 2);
        // The sample is written in id order, which is the order the store reads in.
        assert_eq!(store.load().expect("loads"), book);
        assert_eq!(
            store.job("TP-JOB-5001").expect("reads").expect("exists"),
            book.jobs[0]
        );
        assert_eq!(store.customer("nope").expect("reads"), None);
        assert_eq!(
            store.known_ids().expect("ids").contracts,
            HashSet::from(["TP-CON-77".to_owned()])
        );
    }

    #[test]
    fn jobs_read_one_at_a_time_are_the_jobs_read_whole() {
        let (_tmp, store) = store();
        let book = sample_book();
        store.import(&book).expect("imports");
        let mut walked = Vec::new();
        store
            .each_job(|job| {
                walked.push(job);
                Ok::<(), HomeStoreError>(())
            })
            .expect("walks");
        assert_eq!(walked, store.jobs().expect("reads"));
        assert_eq!(walked, book.jobs);
        assert!(
            walked.iter().any(|j| j.body.lines.len() > 1),
            "lines are read"
        );
        // The caller's error stops the walk and comes back as it was.
        let mut seen = 0;
        let err = store
            .each_job(|job| {
                seen += 1;
                Err(HomeStoreError::NotFound {
                    kind: RecordKind::Job,
                    id: job.id,
                })
            })
            .expect_err("stops");
        assert_eq!(seen, 1);
        assert!(matches!(err, HomeStoreError::NotFound { .. }), "{err}");
    }

    #[test]
    fn a_walk_between_two_ids_returns_exactly_the_jobs_between_them() {
        let (_tmp, store) = store();
        let book = sample_book();
        store.import(&book).expect("imports");
        let mut ids: Vec<&str> = book.jobs.iter().map(|j| j.id.as_str()).collect();
        ids.sort_unstable();
        assert!(ids.len() >= 3, "the sample has jobs to leave out");
        let (first, last) = (ids[1], ids[ids.len() - 2]);
        let mut walked = Vec::new();
        store
            .each_job_between(Some((first, last)), |job| {
                walked.push(job);
                Ok::<(), HomeStoreError>(())
            })
            .expect("walks");
        let expected: Vec<HomeJob> = store
            .jobs()
            .expect("reads")
            .into_iter()
            .filter(|j| first <= j.id.as_str() && j.id.as_str() <= last)
            .collect();
        assert_eq!(walked, expected);
        assert_eq!(walked.len(), ids.len() - 2);
    }

    #[test]
    fn reimport_counts_changes_by_content_not_by_flags() {
        let (_tmp, store) = store();
        let mut book = sample_book();
        store.import(&book).expect("imports");
        let before = store.fingerprints().expect("fingerprints");
        book.customers[0].flagged_for_integration = false;
        book.customers[1].email = Some("new@keaelectrical.example".into());
        book.jobs[0].body.lines.pop();
        book.jobs[0].body.subtotal = "185.00".parse().expect("decimal");
        let counts = store.import(&book).expect("re-imports");
        assert_eq!(
            counts.customers,
            ChangeCounts {
                added: 0,
                changed: 1,
                unchanged: 3
            }
        );
        assert_eq!(counts.jobs.changed, 1);
        assert_eq!(
            store.load().expect("loads"),
            book,
            "flags and lines replaced"
        );
        let after = store.fingerprints().expect("fingerprints");
        let fp = |v: &[(RecordKind, String, String, i64)], id: &str| {
            v.iter().find(|r| r.1 == id).map(|r| r.2.clone())
        };
        assert_eq!(fp(&before, "TP-CUST-1001"), fp(&after, "TP-CUST-1001"));
        assert_ne!(fp(&before, "TP-CUST-1002"), fp(&after, "TP-CUST-1002"));
        assert_ne!(fp(&before, "TP-JOB-5001"), fp(&after, "TP-JOB-5001"));
    }

    #[test]
    fn flags_are_set_by_id_and_a_missing_record_is_named() {
        let (_tmp, store) = store();
        store.import(&sample_book()).expect("imports");
        store.set_job_ready("TP-JOB-5003", true).expect("sets");
        let job = store.job("TP-JOB-5003").expect("reads").expect("exists");
        assert!(job.ready_for_invoice_1 && job.ready_for_invoice_2);
        store
            .set_customer_flagged("TP-CUST-1004", true)
            .expect("sets");
        assert!(
            store
                .customer("TP-CUST-1004")
                .expect("reads")
                .expect("exists")
                .flagged_for_integration
        );
        let err = store
            .set_contract_invoice_ready("TP-SVC-0000", true)
            .expect_err("missing");
        assert_eq!(
            err.to_string(),
            "there is no contract invoice with id \"TP-SVC-0000\" in the home book; \
             `ledgerlink home export` lists every record"
        );
    }

    #[test]
    fn a_job_without_its_customer_is_refused_by_the_database_too() {
        let (_tmp, store) = store();
        let mut book = sample_book();
        book.customers.retain(|c| c.id != "TP-CUST-1004");
        assert!(store.import(&book).is_err());
        assert_eq!(store.load().expect("loads"), HomeBook::default());
    }
}
