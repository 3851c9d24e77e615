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
//! The `write_*` and `read_*` functions take a [`Tx`] (a `Db` transaction, on either
//! engine), so the sync engine can include home-book writes in its own transactions.
//!
//! On both engines every list is ordered by id bytewise (`Engine::bytewise`), as Rust
//! orders `str`. Reads run in one transaction that sees one snapshot and takes no write
//! lock ([`Db::read`]). [`HomeStore::import_each`] checks the foreign keys at its commit on
//! both engines (SQLite's `defer_foreign_keys`; on PostgreSQL `SET CONSTRAINTS ALL
//! DEFERRED`, the home book's keys being DEFERRABLE INITIALLY IMMEDIATE since migration 15),
//! so records may come in any order; every other write checks them at once.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

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
use super::sql::{self, Db, Engine, Tx};
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
    /// A stored value the model cannot hold (the database was edited by hand).
    #[error(
        "the home book's column {column} holds {value:?}, which ledgerlink cannot read ({reason}); \
         import the record again from Tracker Pro"
    )]
    Unreadable {
        /// The column.
        column: String,
        /// What it holds.
        value: String,
        /// Why it cannot be read.
        reason: String,
    },
}

impl From<rusqlite::Error> for HomeStoreError {
    fn from(e: rusqlite::Error) -> Self {
        HomeStoreError::Db(DbError::Query(e))
    }
}

impl From<sql::Error> for HomeStoreError {
    fn from(e: sql::Error) -> Self {
        HomeStoreError::Db(DbError::Sql(e))
    }
}

/// A store error or the caller's own, from a walk or an import that calls back.
enum Either<E> {
    Store(HomeStoreError),
    Caller(E),
}

impl<E> From<sql::Error> for Either<E> {
    fn from(e: sql::Error) -> Self {
        Either::Store(e.into())
    }
}

impl<E> From<HomeStoreError> for Either<E> {
    fn from(e: HomeStoreError) -> Self {
        Either::Store(e)
    }
}

impl<E: From<HomeStoreError>> Either<E> {
    fn into_caller(self) -> E {
        match self {
            Either::Store(e) => E::from(e),
            Either::Caller(e) => e,
        }
    }
}

/// The home book in the database. Cheap to clone; safe to share between threads.
#[derive(Debug, Clone)]
pub struct HomeStore {
    db: Db,
}

impl HomeStore {
    /// Open (creating and migrating) the SQLite database at `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, HomeStoreError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(db_path)?))))
    }

    /// Use a SQLite connection shared with other stores (already opened by [`db::open`]).
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db: Db::sqlite(db) }
    }

    /// Over a database on either engine ([`super::engine::open`]).
    pub fn from_db(db: Db) -> Self {
        Self { db }
    }

    /// Run the reads of `f` in one transaction that sees one snapshot ([`Db::read`]).
    fn read<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, HomeStoreError>,
    ) -> Result<T, HomeStoreError> {
        self.db.read(f)
    }

    /// The customer and contract ids in the book.
    pub fn known_ids(&self) -> Result<KnownIds, HomeStoreError> {
        self.read(read_known_ids)
    }

    /// Upsert every record of `book` in one transaction: all or nothing.
    pub fn import(&self, book: &HomeBook) -> Result<ImportCounts, HomeStoreError> {
        self.db.transaction(|tx| {
            let now = unix(SystemTime::now());
            let mut counts = ImportCounts::default();
            // Referenced records first, for the foreign keys.
            for c in &book.customers {
                counts.customers.count(write_customer(tx, c, now)?);
            }
            for c in &book.contracts {
                counts.contracts.count(write_contract(tx, c, now)?);
            }
            for j in &book.jobs {
                counts.jobs.count(write_job(tx, j, now)?);
            }
            for i in &book.contract_invoices {
                counts
                    .contract_invoices
                    .count(write_contract_invoice(tx, i, now)?);
            }
            Ok(counts)
        })
    }

    /// Upsert records as `read` hands them over, in one transaction, kept only when `read`
    /// returns `Ok`: all or nothing, with the book never held whole. `read` is given the
    /// book's ids and invoice numbers, read in the same transaction (no other writer can
    /// change them before the commit). References are checked by the foreign keys at the
    /// commit, on both engines, so records may come in any order (a job before its
    /// customer's file); a reference still missing then fails the import whole.
    /// The database is locked until `read` returns: it must not call a store.
    pub fn import_each<E: From<HomeStoreError>>(
        &self,
        read: impl FnOnce(&KnownIds, &mut dyn FnMut(ImportRecord)) -> Result<(), E>,
    ) -> Result<ImportCounts, E> {
        self.db
            .transaction(|tx| -> Result<ImportCounts, Either<E>> {
                // References are checked at the commit, so records may come in any order:
                // SQLite defers every foreign key on request; PostgreSQL defers the home
                // book's, DEFERRABLE since migration 15.
                tx.execute_batch(match tx.engine() {
                    Engine::Sqlite => "PRAGMA defer_foreign_keys = ON",
                    Engine::Postgres => "SET CONSTRAINTS ALL DEFERRED",
                })?;
                let known = read_known_ids(tx)?;
                let now = unix(SystemTime::now());
                let mut counts = ImportCounts::default();
                let mut failed: Option<sql::Error> = None;
                read(&known, &mut |record| {
                    if failed.is_some() {
                        return;
                    }
                    let written = match &record {
                        ImportRecord::Customer(c) => {
                            write_customer(tx, c, now).map(|ch| counts.customers.count(ch))
                        }
                        ImportRecord::Contract(c) => {
                            write_contract(tx, c, now).map(|ch| counts.contracts.count(ch))
                        }
                        ImportRecord::Job(j) => {
                            write_job(tx, j, now).map(|ch| counts.jobs.count(ch))
                        }
                        ImportRecord::ContractInvoice(i) => write_contract_invoice(tx, i, now)
                            .map(|ch| counts.contract_invoices.count(ch)),
                    };
                    if let Err(e) = written {
                        failed = Some(e);
                    }
                })
                .map_err(Either::Caller)?;
                match failed {
                    Some(e) => Err(e.into()),
                    None => Ok(counts),
                }
            })
            .map_err(Either::into_caller)
    }

    /// The whole book, every list ordered by id, read in one transaction.
    pub fn load(&self) -> Result<HomeBook, HomeStoreError> {
        self.read(|tx| {
            Ok(HomeBook {
                customers: read_customers(tx, None)?,
                jobs: read_jobs(tx, None)?,
                contracts: read_contracts(tx, None)?,
                contract_invoices: read_contract_invoices(tx, None)?,
            })
        })
    }

    /// Every customer, by id.
    pub fn customers(&self) -> Result<Vec<HomeCustomer>, HomeStoreError> {
        self.read(|tx| read_customers(tx, None))
    }

    /// The customers of `ids` the book holds, in the order of `ids` (an id it does not hold
    /// is left out), read in one transaction by their primary keys.
    pub fn customers_among(&self, ids: &[&str]) -> Result<Vec<HomeCustomer>, HomeStoreError> {
        self.read(|tx| read_customers_among(tx, ids))
    }

    /// One customer.
    pub fn customer(&self, id: &str) -> Result<Option<HomeCustomer>, HomeStoreError> {
        self.read(|tx| Ok(read_customers(tx, Some(id))?.pop()))
    }

    /// Every job with its lines, by id.
    pub fn jobs(&self) -> Result<Vec<HomeJob>, HomeStoreError> {
        self.read(|tx| read_jobs(tx, None))
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
    /// included, bytewise), or every job when it is `None`.
    pub fn each_job_between<E: From<HomeStoreError>>(
        &self,
        range: Option<(&str, &str)>,
        mut f: impl FnMut(HomeJob) -> Result<(), E>,
    ) -> Result<(), E> {
        // One read transaction: the jobs and their lines are read from the same snapshot.
        self.db
            .read(|tx| -> Result<(), Either<E>> {
                each_job(tx, range, |job| f(job).map_err(Either::Caller))
            })
            .map_err(Either::into_caller)
    }

    /// One job.
    pub fn job(&self, id: &str) -> Result<Option<HomeJob>, HomeStoreError> {
        self.read(|tx| Ok(read_jobs(tx, Some(id))?.pop()))
    }

    /// Every service contract, by id.
    pub fn contracts(&self) -> Result<Vec<HomeContract>, HomeStoreError> {
        self.read(|tx| read_contracts(tx, None))
    }

    /// One service contract.
    pub fn contract(&self, id: &str) -> Result<Option<HomeContract>, HomeStoreError> {
        self.read(|tx| Ok(read_contracts(tx, Some(id))?.pop()))
    }

    /// Every contract invoice with its lines, by id.
    pub fn contract_invoices(&self) -> Result<Vec<HomeContractInvoice>, HomeStoreError> {
        self.read(|tx| read_contract_invoices(tx, None))
    }

    /// One contract invoice.
    pub fn contract_invoice(
        &self,
        id: &str,
    ) -> Result<Option<HomeContractInvoice>, HomeStoreError> {
        self.read(|tx| Ok(read_contract_invoices(tx, Some(id))?.pop()))
    }

    /// Upsert one customer (e.g. pulled from a target), in its own transaction.
    pub fn upsert_customer(&self, c: &HomeCustomer) -> Result<Change, HomeStoreError> {
        self.db
            .transaction(|tx| Ok(write_customer(tx, c, unix(SystemTime::now()))?))
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
        match self
            .db
            .execute(sql, &[id.into(), sql::Value::Int(i64::from(on))])?
        {
            0 => Err(HomeStoreError::NotFound {
                kind,
                id: id.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// (kind, id, fingerprint, changed_at) of every record, by kind then id (bytewise).
    pub fn fingerprints(&self) -> Result<Vec<(RecordKind, String, String, i64)>, HomeStoreError> {
        self.read(|tx| {
            let mut out = Vec::new();
            for kind in RecordKind::ALL {
                let sql = format!(
                    "SELECT id, fingerprint, changed_at FROM {} ORDER BY id{}",
                    table(kind),
                    tx.engine().bytewise()
                );
                for r in tx.query(&sql, &[])? {
                    out.push((kind, r.text(0)?, r.text(1)?, r.i64(2)?));
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
    use crate::store::sql::each_engine::each_engine;

    /// The jobs `each_job_between(range)` hands over, in order.
    fn walk(store: &HomeStore, range: Option<(&str, &str)>) -> Vec<HomeJob> {
        let mut walked = Vec::new();
        store
            .each_job_between(range, |job| {
                walked.push(job);
                Ok::<(), HomeStoreError>(())
            })
            .expect("walks");
        walked
    }

    #[test]
    fn an_imported_book_loads_back_exactly() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
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
    }

    #[test]
    fn jobs_read_one_at_a_time_are_the_jobs_read_whole() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
            let book = sample_book();
            store.import(&book).expect("imports");
            let walked = walk(&store, None);
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
    }

    #[test]
    fn a_walk_between_two_ids_returns_exactly_the_jobs_between_them() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
            let book = sample_book();
            store.import(&book).expect("imports");
            let mut ids: Vec<&str> = book.jobs.iter().map(|j| j.id.as_str()).collect();
            ids.sort_unstable();
            assert!(ids.len() >= 3, "the sample has jobs to leave out");
            let (first, last) = (ids[1], ids[ids.len() - 2]);
            let walked = walk(&store, Some((first, last)));
            let expected: Vec<HomeJob> = store
                .jobs()
                .expect("reads")
                .into_iter()
                .filter(|j| first <= j.id.as_str() && j.id.as_str() <= last)
                .collect();
            assert_eq!(walked, expected);
            assert_eq!(walked.len(), ids.len() - 2);
        }
    }

    #[test]
    fn reimport_counts_changes_by_content_not_by_flags() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
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
    }

    #[test]
    fn flags_are_set_by_id_and_a_missing_record_is_named() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
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
    }

    #[test]
    fn a_job_without_its_customer_is_refused_by_the_database_too() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
            let mut book = sample_book();
            book.customers.retain(|c| c.id != "TP-CUST-1004");
            assert!(store.import(&book).is_err());
            assert_eq!(store.load().expect("loads"), HomeBook::default());
        }
    }

    /// Ids are ordered by their bytes on both engines, also where PostgreSQL's collation is
    /// a linguistic one; a walk in pages (of 3 jobs in tests) and between two ids follows
    /// the same order.
    #[test]
    fn ids_order_bytewise_and_walks_follow_that_order() {
        for t in each_engine() {
            let db = t.open_linguistic(&[("home_jobs", "id"), ("home_job_lines", "job_id")]);
            let store = HomeStore::from_db(db);
            let mut book = sample_book();
            let template = book.jobs[0].clone();
            book.jobs.clear();
            for (n, id) in ["j-b", "J-C", "j-a", "jb", "J-a", "j_a", "ja"]
                .iter()
                .enumerate()
            {
                let mut job = template.clone();
                job.id = (*id).to_owned();
                job.number = format!("INV-{n}");
                job.body.lines.truncate(n % 3);
                book.jobs.push(job);
            }
            store.import(&book).expect("imports");
            let mut bytewise: Vec<&str> = book.jobs.iter().map(|j| j.id.as_str()).collect();
            bytewise.sort_unstable();
            assert_eq!(bytewise, ["J-C", "J-a", "j-a", "j-b", "j_a", "ja", "jb"]);
            let read: Vec<HomeJob> = store.jobs().expect("reads");
            let ids: Vec<&str> = read.iter().map(|j| j.id.as_str()).collect();
            assert_eq!(ids, bytewise, "{:?}", t.engine());
            assert_eq!(walk(&store, None), read, "every page, every line");
            let between: Vec<String> = walk(&store, Some(("J-a", "j_a")))
                .into_iter()
                .map(|j| j.id)
                .collect();
            assert_eq!(between, ["J-a", "j-a", "j-b", "j_a"], "{:?}", t.engine());
            let fingerprinted: Vec<String> = store
                .fingerprints()
                .expect("fingerprints")
                .into_iter()
                .filter(|(kind, ..)| *kind == RecordKind::Job)
                .map(|(_, id, ..)| id)
                .collect();
            assert_eq!(fingerprinted, bytewise);
        }
    }

    /// `import_each` checks the foreign keys at its commit on both engines (on PostgreSQL
    /// the home book's keys are DEFERRABLE since migration 15): records may come in any
    /// order, here every record before the ones it refers to.
    #[test]
    fn import_each_takes_records_in_any_order_on_both_engines() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
            let book = sample_book();
            let counts = store
                .import_each(|known, write| {
                    assert!(known.customers.is_empty());
                    for i in &book.contract_invoices {
                        write(ImportRecord::ContractInvoice(i.clone()));
                    }
                    for j in &book.jobs {
                        write(ImportRecord::Job(j.clone()));
                    }
                    for c in &book.contracts {
                        write(ImportRecord::Contract(c.clone()));
                    }
                    for c in &book.customers {
                        write(ImportRecord::Customer(c.clone()));
                    }
                    Ok::<(), HomeStoreError>(())
                })
                .expect("imports in any order");
            let added = (
                counts.contract_invoices.added,
                counts.jobs.added,
                counts.contracts.added,
                counts.customers.added,
            );
            assert_eq!(added, (2, 5, 1, 4), "{:?}", t.engine());
            assert_eq!(store.load().expect("loads"), book);
        }
    }

    #[test]
    fn import_each_with_a_reference_that_never_comes_fails_at_the_commit_and_writes_nothing() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
            let book = sample_book();
            let err = store
                .import_each(|_, write| {
                    write(ImportRecord::Job(book.jobs[0].clone()));
                    Ok::<(), HomeStoreError>(())
                })
                .expect_err("the job's customer never came");
            let expected = match t.engine() {
                Engine::Sqlite => "database error: FOREIGN KEY constraint failed".to_owned(),
                Engine::Postgres => format!(
                    "database error: ERROR: insert or update on table \"home_jobs\" violates foreign key constraint \"home_jobs_customer_id_fkey\" (Key (customer_id)=({}) is not present in table \"home_customers\".)",
                    book.jobs[0].customer_id
                ),
            };
            assert_eq!(err.to_string(), expected);
            assert_eq!(store.load().expect("loads"), HomeBook::default());
        }
    }

    #[test]
    fn import_each_in_order_is_all_or_nothing_with_the_callers_error() {
        for t in each_engine() {
            let store = HomeStore::from_db(t.open());
            let book = sample_book();
            let write_all = |write: &mut dyn FnMut(ImportRecord)| {
                for c in &book.customers {
                    write(ImportRecord::Customer(c.clone()));
                }
                for c in &book.contracts {
                    write(ImportRecord::Contract(c.clone()));
                }
                for j in &book.jobs {
                    write(ImportRecord::Job(j.clone()));
                }
                for i in &book.contract_invoices {
                    write(ImportRecord::ContractInvoice(i.clone()));
                }
            };
            let err = store
                .import_each(|_, write| {
                    write_all(write);
                    Err(HomeStoreError::NotFound {
                        kind: RecordKind::Job,
                        id: "a problem in the files".to_owned(),
                    })
                })
                .expect_err("the caller's error");
            assert!(matches!(err, HomeStoreError::NotFound { .. }), "{err}");
            assert_eq!(store.load().expect("loads"), HomeBook::default());
            let counts = store
                .import_each(|_, write| {
                    write_all(write);
                    Ok::<(), HomeStoreError>(())
                })
                .expect("imports");
            assert_eq!(counts.contract_invoices.added, 2);
            assert_eq!(store.load().expect("loads"), book);
        }
    }

    /// Money stays decimal text on both engines: the scale written is the scale read.
    #[test]
    fn amounts_keep_their_scale_and_a_hand_edited_one_is_named() {
        for t in each_engine() {
            let db = t.open();
            let store = HomeStore::from_db(db.clone());
            let mut book = sample_book();
            book.jobs[0].body.total = "1234.5000".parse().expect("decimal");
            book.jobs[0].body.lines[0].quantity = "0.333".parse().expect("decimal");
            store.import(&book).expect("imports");
            let id = book.jobs[0].id.clone();
            let total = db
                .query_one(
                    "SELECT total FROM home_jobs WHERE id = ?1",
                    &[id.as_str().into()],
                )
                .expect("reads")
                .text(0)
                .expect("text");
            assert_eq!(total, "1234.5000");
            let job = store.job(&id).expect("reads").expect("exists");
            assert_eq!(job.body.total.to_string(), "1234.5000");
            assert_eq!(job.body.lines[0].quantity.to_string(), "0.333");
            db.execute(
                "UPDATE home_jobs SET total = ?2 WHERE id = ?1",
                &[id.as_str().into(), "12,50".into()],
            )
            .expect("edits by hand");
            assert_eq!(
                store.job(&id).expect_err("unreadable").to_string(),
                "the home book's column total holds \"12,50\", which ledgerlink cannot read \
                 (Invalid decimal: unknown character); import the record again from Tracker Pro"
            );
        }
    }
}
