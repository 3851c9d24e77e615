//! # ledgerlink-plugin-csv
//!
//! The reference connector: customers and invoices kept in CSV files in the connection's
//! folder. It needs no account and no network, so it is the connector to try the host
//! with, and the one to copy when writing a new connector.
//!
//! How it is put together, and why:
//!
//! * this file is the [`Connector`] implementation, and it is only glue: read settings,
//!   hand a pure function the record(s) and how to load and save the table;
//! * `store` is the only module that calls a host import (`files`); `settings` reads
//!   `config` in one function; the clock and log are called only from this file;
//! * everything else (`customers` and `invoices::rows` for rows ⇄ canonical records,
//!   `invoices` for invoice validation, `table` for CSV text, `upsert` and `version` for the
//!   write rules, `paging`, `since` and `find` for reads) is plain functions over in-memory
//!   data, unit-tested natively with `cargo test -p ledgerlink-plugin-csv`, where host imports
//!   are stubs that cannot be called.
//!
//! How a push works: a batch, not a record at a time. The host sends batches (300 records
//! at a time), and a file is a natural batch API, so this connector overrides the SDK's
//! batch methods `push_customers` and `push_invoices` instead of the per-record
//! `push_customer` / `push_invoice`:
//!
//! 1. each record is checked on its own (`customers::validate`, `invoices::validate`); a
//!    record that fails keeps its error and the rest go on;
//! 2. the file is loaded once (invoices: once per file the batch touches, by kind);
//! 3. the records are applied to the table in memory, in input order, by one
//!    `upsert::Writer`, which indexes the table once by id, by invoice number and by the
//!    highest id, so each record is O(1) lookups: create, update, `stale`, `not-found`,
//!    `duplicate` and "unchanged" are decided exactly as for that record pushed alone, each
//!    record seeing the ones before it;
//! 4. the file is written once, only if something changed (every record written by one
//!    batch gets the same `updated_at`: the clock is read once per batch);
//! 5. one result per input record, with its `key`, in input order.
//!
//! So a batch of `b` records on a file of `n` costs O(n + b) (one read, one write, one
//! index) rather than O(n) per record. For invoices the O(n) part is bytes, not records:
//! `invoices::scan` indexes the file by its identifying columns only, parses just the
//! invoices a batch names, and writes the untouched invoices back as the bytes they were
//! read as (a batch that only creates appends its rows); pull pages resume at a byte offset
//! and parse only their own invoices. `upsert::push_batch` holds this flow with the file
//! access passed in as closures, so it is tested natively like the rest. Copying the
//! connector for a vendor with a batch API: keep steps 1 and 5, put the vendor call in place
//! of 2 to 4, and map each of its per-record answers back to its input by position or key.
//! A failed read fails every record still to apply; a failed write fails every record that
//! had succeeded (the file holds none of them), so the host retries them.
//!
//! The files: `customers.csv` has one row per customer; `job-invoices.csv` and
//! `contract-invoices.csv` have one row per invoice line (see `invoices::rows`). A missing file
//! is an empty table. Ids are "C-000001" (customers), "J-000001" (job invoices) and
//! "S-000001" (contract invoices); versions count changes from "1".

use ledgerlink_sdk::types::{
    Capability, CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, Invoice,
    InvoiceKind, InvoicePage, Manifest, PushResult, RecordKind, WriteAction,
};
use ledgerlink_sdk::{Connector, ManifestBuilder, clock, error, log};

pub(crate) mod customer_file;
pub(crate) mod customers;
pub(crate) mod find;
pub(crate) mod invoices;
pub(crate) mod paging;
pub(crate) mod settings;
pub(crate) mod since;
pub(crate) mod store;
pub(crate) mod table;
pub(crate) mod upsert;
pub(crate) mod version;

use settings::Settings;
use upsert::{Outcome, Target, push_batch};

/// The CSV connector. It keeps no state: every call reads what it needs from the files.
pub struct CsvConnector;

impl Connector for CsvConnector {
    fn manifest() -> Manifest {
        let mut manifest = ManifestBuilder::new("csv", "CSV files", env!("CARGO_PKG_VERSION"))
            .description("Customers and invoices in CSV files in the connection's folder.")
            .capabilities([
                Capability::PullCustomers,
                Capability::FindCustomers,
                Capability::PushCustomers,
                Capability::PullInvoices,
                Capability::PushJobInvoices,
                Capability::PushContractInvoices,
                Capability::PushOrders,
                Capability::GetInvoices,
                Capability::Delete,
            ]);
        // Every setting has a default, so none is required.
        for s in &settings::ALL {
            manifest = manifest.setting(s.key, s.description, false, Some(s.default));
        }
        // Files only: no auth (the builder's default) and no allowed hosts.
        manifest.build()
    }

    /// Settings parse, the folder can be listed, and every file that exists parses.
    fn check() -> Result<CheckReport, ConnectorError> {
        let settings = Settings::load()?;
        store::list_folder()?;
        let customers = store::load_customers(&settings.customers_file)?.len();
        let job = store::load_invoices(&settings.job_invoices_file, InvoiceKind::Job)?.len();
        let contract =
            store::load_invoices(&settings.contract_invoices_file, InvoiceKind::Contract)?.len();
        Ok(CheckReport {
            message: check_message(customers, job, contract),
        })
    }

    fn pull_customers(
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<CustomerPage, ConnectorError> {
        let settings = Settings::load()?;
        let offset = paging::parse_cursor(cursor.as_deref())?;
        let table = store::load_customers(&settings.customers_file)?;
        let selected = since::changed_since(table, since.as_deref())?;
        let page = paging::page(selected, offset, settings.page_size);
        Ok(CustomerPage {
            items: page.items.into_iter().map(pulled_customer).collect(),
            next: page.next,
        })
    }

    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        let settings = Settings::load()?;
        let table = store::load_customers(&settings.customers_file)?;
        Ok(find::matching(table, &query)?
            .into_iter()
            .map(pulled_customer)
            .collect())
    }

    /// The whole batch in one read and one write of `customers.csv`; see [`push_batch`].
    ///
    /// Read-modify-write of a whole file assumes one push at a time per connection; two
    /// concurrent pushes could each write a table without the other's batch.
    fn push_customers(batch: Vec<Customer>) -> Vec<PushResult> {
        let settings = match Settings::load() {
            Ok(settings) => settings,
            Err(e) => return refuse_all(&batch, |c| &c.key, &e),
        };
        let path = &settings.customers_file;
        let issued = match store::load_issued(path) {
            Ok(issued) => issued,
            Err(e) => return refuse_all(&batch, |c| &c.key, &e),
        };
        let target = Target {
            issued,
            ..customers::target(path)
        };
        let now = clock::now();
        customer_batch(batch, |checked| {
            let outcomes = push_opened(
                checked,
                target,
                &now,
                |named| {
                    let len = store::size(path)?;
                    let source = len.map(|len| store::Source::File { path, len });
                    customer_file::CustomerFile::load(source, path, named)
                },
                customer_file::CustomerFile::contents,
            );
            log_batch(target, &outcomes);
            outcomes
        })
    }

    fn pull_invoices(
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        let settings = Settings::load()?;
        let path = settings.invoices_file(kind);
        let Some(len) = store::size(path)? else {
            // A missing file is an empty table; any cursor but "none" was not made for it.
            if let Some(cursor) = cursor.as_deref() {
                paging::parse_cursor(Some(cursor))?;
            }
            return Ok(InvoicePage {
                items: Vec::new(),
                next: None,
            });
        };
        let page = invoices::page(
            store::Source::File { path, len },
            path,
            kind,
            since.as_deref(),
            cursor.as_deref(),
            settings.page_size,
        )?;
        Ok(InvoicePage {
            items: page.items.into_iter().map(pulled_invoice).collect(),
            next: page.next,
        })
    }

    /// Every document of `kind` whose id is in `ids` (one read of its file).
    fn get_invoices(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
        let settings = Settings::load()?;
        let wanted: std::collections::HashSet<String> = ids.into_iter().collect();
        let path = settings.invoices_file(kind);
        let Some(len) = store::size(path)? else {
            return Ok(Vec::new());
        };
        Ok(
            invoices::get(store::Source::File { path, len }, path, kind, &wanted)?
                .into_iter()
                .map(pulled_invoice)
                .collect(),
        )
    }

    /// As [`push_customers`](Self::push_customers), once per file: the invoices of a batch
    /// go to the file of their kind, each file read and written at most once, and the
    /// results come back in input order.
    fn push_invoices(batch: Vec<Invoice>) -> Vec<PushResult> {
        let settings = match Settings::load() {
            Ok(settings) => settings,
            Err(e) => return refuse_all(&batch, |i| &i.key, &e),
        };
        let now = clock::now();
        invoice_batch(batch, |kind, checked| {
            let path = settings.invoices_file(kind);
            let target = match store::load_issued(path) {
                Ok(issued) => Target {
                    issued,
                    ..invoices::target(kind, path)
                },
                Err(e) => return checked.into_iter().map(|r| r.and(Err(e.clone()))).collect(),
            };
            let outcomes = push_opened(
                checked,
                target,
                &now,
                |named| {
                    let len = store::size(path)?;
                    let source = len.map(|len| store::Source::File { path, len });
                    invoices::TableFile::load(source, path, kind, named)
                },
                invoices::TableFile::contents,
            );
            log_batch(target, &outcomes);
            outcomes
        })
    }

    /// An invoice id is looked for in the job file, then the contract file: the host says only
    /// "invoice", and a hand-made file need not follow the "J-"/"S-" id convention.
    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let settings = Settings::load()?;
        match kind {
            RecordKind::Customer => {
                let path = &settings.customers_file;
                let mut table = store::load_customers(path)?;
                let target = customers::target(path);
                if upsert::position(&table, &id).is_some() {
                    remember_issued(path, &id, target)?;
                }
                upsert::remove(&mut table, &id, target)?;
                store::save_customers(path, &table)?;
                log::info(format!("deleted customer {id} from {path}"));
                Ok(())
            }
            RecordKind::Invoice => {
                for kind in [InvoiceKind::Job, InvoiceKind::Contract, InvoiceKind::Order] {
                    let path = settings.invoices_file(kind);
                    let mut table = store::load_invoices(path, kind)?;
                    if upsert::position(&table, &id).is_some() {
                        let target = invoices::target(kind, path);
                        remember_issued(path, &id, target)?;
                        upsert::remove(&mut table, &id, target)?;
                        store::save_invoices(path, &table)?;
                        log::info(format!("deleted {} {id} from {path}", target.noun));
                        return Ok(());
                    }
                }
                Err(error::not_found(format!(
                    "invoice {id} is in none of {}, {} and {}; it may have been deleted from the file",
                    settings.job_invoices_file,
                    settings.contract_invoices_file,
                    settings.orders_file
                )))
            }
        }
    }
}

// `embedded`: set only by a crate that compiles this source as a module of its own
// (tests/fixtures/broken-connector) and exports its own connector instead.
#[cfg(not(feature = "embedded"))]
ledgerlink_sdk::export_connector!(CsvConnector);

/// Before record `id` is deleted from `path`, keep its number beside the file, so the next
/// record created there never gets the id again (the host may still remember the deleted
/// record under it).
fn remember_issued(path: &str, id: &str, target: Target<'_>) -> Result<(), ConnectorError> {
    match upsert::id_number(id, target.id_prefix) {
        Some(number) => store::save_issued(path, number),
        None => Ok(()),
    }
}

/// A customer as a pull returns it: without the idempotency key the file keeps for replays
/// (pulled records carry none).
fn pulled_customer(mut customer: Customer) -> Customer {
    customer.idempotency_key = None;
    customer
}

/// An invoice as a pull returns it: see [`pulled_customer`].
fn pulled_invoice(mut invoice: Invoice) -> Invoice {
    invoice.idempotency_key = None;
    invoice
}

/// What `check` reports, e.g. "CSV folder readable: 3 customers, 1 job invoice, 0 contract
/// invoices".
fn check_message(customers: usize, job_invoices: usize, contract_invoices: usize) -> String {
    let count = |n: usize, noun: &str| {
        if n == 1 {
            format!("1 {noun}")
        } else {
            format!("{n} {noun}s")
        }
    };
    format!(
        "CSV folder readable: {}, {}, {}",
        count(customers, "customer"),
        count(job_invoices, "job invoice"),
        count(contract_invoices, "contract invoice")
    )
}

/// Check each customer and `push` the batch (each customer still to apply, or its error):
/// one result per input customer, with its key, in input order.
/// [`push_batch`] on the file `target` names, opened by `open` so that only the records
/// the batch names (by id) are parsed and the rest stay bytes, and written back as
/// `contents` makes it (a batch that only creates appends).
fn push_opened<E: upsert::Located, R: upsert::Record, F>(
    checked: Vec<Result<R, ConnectorError>>,
    target: Target<'_>,
    now: &str,
    open: impl FnOnce(
        &std::collections::HashSet<String>,
    ) -> Result<(F, Vec<upsert::Slot<E, R>>), ConnectorError>,
    contents: impl FnOnce(F, &[upsert::Slot<E, R>]) -> Result<store::Composed, ConnectorError>,
) -> Vec<Outcome> {
    let path = target.file;
    let named: std::collections::HashSet<String> = checked
        .iter()
        .filter_map(|r| Some(r.as_ref().ok()?.remote_id()?.to_owned()))
        .collect();
    let checked = checked
        .into_iter()
        .map(|r| r.map(|record| upsert::Slot::Loaded(Box::new(record))))
        .collect();
    let opened = std::cell::Cell::new(None);
    push_batch(
        checked,
        target,
        now,
        || {
            let (file, slots) = open(&named)?;
            opened.set(Some(file));
            Ok(slots)
        },
        |slots| match opened.take() {
            Some(file) => store::compose(path, &contents(file, slots)?),
            // `load` ran and succeeded before `save` is called, so the file is open.
            None => Err(error::transient(format!(
                "{path} was not read before the write"
            ))),
        },
    )
}

fn customer_batch(
    batch: Vec<Customer>,
    push: impl FnOnce(Vec<Result<Customer, ConnectorError>>) -> Vec<Outcome>,
) -> Vec<PushResult> {
    let keys = keys(&batch, |c| &c.key);
    let checked = batch.into_iter().map(customers::validate).collect();
    results(keys, push(checked))
}

/// Check each invoice and push the invoices of each kind present with `push_file(kind,
/// checked)`, once per kind, since each kind has its own file: one result per input invoice,
/// with its key, in input order.
fn invoice_batch(
    batch: Vec<Invoice>,
    mut push_file: impl FnMut(InvoiceKind, Vec<Result<Invoice, ConnectorError>>) -> Vec<Outcome>,
) -> Vec<PushResult> {
    let keys = keys(&batch, |i| &i.key);
    let mut placed: Vec<(usize, Outcome)> = Vec::with_capacity(keys.len());
    let mut batch: Vec<(usize, Invoice)> = batch.into_iter().enumerate().collect();
    for kind in [InvoiceKind::Job, InvoiceKind::Contract, InvoiceKind::Order] {
        let part: Vec<(usize, Invoice)>;
        (part, batch) = batch.into_iter().partition(|(_, i)| i.kind == kind);
        if part.is_empty() {
            continue;
        }
        let (positions, checked): (Vec<usize>, Vec<_>) = part
            .into_iter()
            .map(|(position, invoice)| (position, invoices::validate(invoice)))
            .unzip();
        placed.extend(positions.into_iter().zip(push_file(kind, checked)));
    }
    placed.sort_by_key(|(position, _)| *position);
    results(
        keys,
        placed.into_iter().map(|(_, outcome)| outcome).collect(),
    )
}

/// Each record's `key`, taken before the record is consumed, for its result.
fn keys<R>(batch: &[R], key: impl Fn(&R) -> &String) -> Vec<String> {
    batch.iter().map(|r| key(r).clone()).collect()
}

/// The same error for every record of `batch` (settings that do not load).
fn refuse_all<R>(batch: &[R], key: impl Fn(&R) -> &String, e: &ConnectorError) -> Vec<PushResult> {
    let keys = keys(batch, key);
    let outcomes = keys.iter().map(|_| Err(e.clone())).collect();
    results(keys, outcomes)
}

/// One result per record: its key and its outcome, in input order.
fn results(keys: Vec<String>, outcomes: Vec<Outcome>) -> Vec<PushResult> {
    debug_assert_eq!(keys.len(), outcomes.len(), "one outcome per record");
    keys.into_iter()
        .zip(outcomes)
        .map(|(key, outcome)| PushResult { key, outcome })
        .collect()
}

/// Log what a push did to one file, as one line of counts: never ids or field values, and
/// one line per batch whatever its size, well inside the host's per-call log budget.
fn log_batch(target: Target<'_>, outcomes: &[Outcome]) {
    log::debug(batch_summary(target, outcomes));
}

/// E.g. "pushed 3 customers to customers.csv: 1 created, 1 updated, 0 left unchanged, 1
/// refused".
fn batch_summary(target: Target<'_>, outcomes: &[Outcome]) -> String {
    let count = |action: WriteAction| {
        outcomes
            .iter()
            .filter(|o| o.as_ref().is_ok_and(|w| w.action == action))
            .count()
    };
    let noun = if outcomes.len() == 1 {
        target.noun.to_owned()
    } else {
        format!("{}s", target.noun)
    };
    format!(
        "pushed {} {noun} to {}: {} created, {} updated, {} left unchanged, {} refused",
        outcomes.len(),
        target.file,
        count(WriteAction::Created),
        count(WriteAction::Updated),
        count(WriteAction::Unchanged),
        outcomes.iter().filter(|o| o.is_err()).count()
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ledgerlink_sdk::types::{
        AuthKind, CustomerRef, InvoiceLine, InvoiceStatus, TaxMode, Written,
    };
    use std::cell::{Cell, RefCell};
    use std::time::{Duration, Instant};

    #[test]
    fn the_manifest_describes_a_files_only_connector() {
        let m = CsvConnector::manifest();
        assert_eq!(
            (m.name.as_str(), m.display_name.as_str()),
            ("csv", "CSV files")
        );
        assert_eq!(m.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            m.capabilities,
            [
                Capability::PullCustomers,
                Capability::FindCustomers,
                Capability::PushCustomers,
                Capability::PullInvoices,
                Capability::PushJobInvoices,
                Capability::PushContractInvoices,
                Capability::PushOrders,
                Capability::GetInvoices,
                Capability::Delete,
            ]
        );
        assert!(matches!(m.auth, AuthKind::None));
        assert!(m.allowed_hosts.is_empty());
        let settings: Vec<(&str, bool, Option<&str>)> = m
            .settings
            .iter()
            .map(|s| (s.key.as_str(), s.required, s.default.as_deref()))
            .collect();
        assert_eq!(
            settings,
            [
                ("customers-file", false, Some("customers.csv")),
                ("job-invoices-file", false, Some("job-invoices.csv")),
                (
                    "contract-invoices-file",
                    false,
                    Some("contract-invoices.csv")
                ),
                ("orders-file", false, Some("orders.csv")),
                ("page-size", false, Some("5000")),
                ("push-batch-records", false, Some("10000")),
            ]
        );
    }

    #[test]
    fn the_check_message_counts_each_file() {
        assert_eq!(
            check_message(3, 2, 0),
            "CSV folder readable: 3 customers, 2 job invoices, 0 contract invoices"
        );
        assert_eq!(
            check_message(1, 1, 1),
            "CSV folder readable: 1 customer, 1 job invoice, 1 contract invoice"
        );
    }

    #[test]
    fn a_batch_is_logged_as_one_line_of_counts() {
        let written = |action| {
            Ok(Written {
                remote_id: "C-000001".into(),
                version: Some("1".into()),
                action,
                note: None,
            })
        };
        let outcomes = [
            written(WriteAction::Created),
            written(WriteAction::Updated),
            written(WriteAction::Updated),
            Err(error::validation("name is required")),
        ];
        assert_eq!(
            batch_summary(customers::target("customers.csv"), &outcomes),
            "pushed 4 customers to customers.csv: 1 created, 2 updated, 0 left unchanged, \
             1 refused"
        );
        assert_eq!(
            batch_summary(
                invoices::target(InvoiceKind::Job, "j.csv"),
                &[written(WriteAction::Unchanged)]
            ),
            "pushed 1 job invoice to j.csv: 0 created, 0 updated, 1 left unchanged, 0 refused"
        );
    }

    // Batches: the flow of `push_customers` / `push_invoices` with the files in memory.

    const NOW: &str = "2026-12-01T00:00:00Z";

    /// One CSV file in memory, counting reads and writes.
    struct MemFile {
        bytes: RefCell<Vec<u8>>,
        loads: Cell<usize>,
        saves: Cell<usize>,
    }

    impl MemFile {
        fn new(bytes: Vec<u8>) -> Self {
            MemFile {
                bytes: RefCell::new(bytes),
                loads: Cell::new(0),
                saves: Cell::new(0),
            }
        }

        fn counts(&self) -> (usize, usize) {
            (self.loads.get(), self.saves.get())
        }

        fn text(&self) -> String {
            String::from_utf8(self.bytes.borrow().clone()).unwrap()
        }
    }

    /// `push_customers` with `customers.csv` in `file`.
    fn push_customers_to(file: &MemFile, batch: Vec<Customer>) -> Vec<PushResult> {
        let path = "customers.csv";
        customer_batch(batch, |checked| {
            push_batch(
                checked,
                customers::target(path),
                NOW,
                || {
                    file.loads.set(file.loads.get() + 1);
                    customers::parse_table(&file.bytes.borrow(), path)
                },
                |table| {
                    file.saves.set(file.saves.get() + 1);
                    *file.bytes.borrow_mut() = customers::serialize_table(table)?;
                    Ok(())
                },
            )
        })
    }

    /// `push_invoices` with the job file in `jobs` and the contract file in `contracts`.
    fn push_invoices_to(
        jobs: &MemFile,
        contracts: &MemFile,
        batch: Vec<Invoice>,
    ) -> Vec<PushResult> {
        invoice_batch(batch, |kind, checked| {
            let (file, path) = match kind {
                InvoiceKind::Job => (jobs, "job-invoices.csv"),
                InvoiceKind::Contract => (contracts, "contract-invoices.csv"),
                InvoiceKind::Order => unreachable!("these tests push no orders"),
            };
            push_batch(
                checked,
                invoices::target(kind, path),
                NOW,
                || {
                    file.loads.set(file.loads.get() + 1);
                    invoices::parse_table(&file.bytes.borrow(), path, kind)
                },
                |table| {
                    file.saves.set(file.saves.get() + 1);
                    *file.bytes.borrow_mut() = invoices::serialize_table(table)?;
                    Ok(())
                },
            )
        })
    }

    fn customer(key: &str, id: Option<&str>, version: Option<&str>, name: &str) -> Customer {
        Customer {
            key: key.into(),
            remote_id: id.map(Into::into),
            version: version.map(Into::into),
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: Some(format!(
                "{}@example.com",
                name.to_lowercase().replace(' ', ".")
            )),
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: Some("NZD".into()),
            active: true,
            updated_at: None,
        }
    }

    /// A customer as stored: with id, version and time.
    fn stored_customer(id: &str, version: &str, name: &str) -> Customer {
        let mut c = customer("", Some(id), Some(version), name);
        c.updated_at = Some("2026-11-22T01:21:27Z".into());
        c
    }

    fn invoice(
        key: &str,
        kind: InvoiceKind,
        id: Option<&str>,
        version: Option<&str>,
        number: &str,
        amount: &str,
    ) -> Invoice {
        Invoice {
            key: key.into(),
            remote_id: id.map(Into::into),
            version: version.map(Into::into),
            idempotency_key: None,
            kind,
            number: number.into(),
            customer: CustomerRef {
                remote_id: Some("C-000001".into()),
                name: "Ann".into(),
            },
            issue_date: "2026-11-22".into(),
            due_date: None,
            currency: "NZD".into(),
            tax_mode: TaxMode::Exclusive,
            lines: vec![InvoiceLine {
                description: "Labour".into(),
                quantity: "1".into(),
                unit_price: amount.into(),
                discount_percent: None,
                amount: amount.into(),
                item_code: None,
                account_code: Some("200".into()),
                tax_code: None,
                tax_amount: None,
                tax_rate: None,
            }],
            subtotal: amount.into(),
            tax_total: "0".into(),
            total: amount.into(),
            reference: None,
            memo: None,
            status: InvoiceStatus::Authorised,
            amount_paid: None,
            amount_due: None,
            locked: None,
            updated_at: None,
        }
    }

    fn stored_invoice(kind: InvoiceKind, id: &str, version: &str, number: &str) -> Invoice {
        let mut i = invoice("", kind, Some(id), Some(version), number, "100.00");
        i.updated_at = Some("2026-11-22T01:21:27Z".into());
        i
    }

    /// What a result says, for messages and comparisons: "k0 C-000004 v1 Created",
    /// "k2 Stale(…)".
    fn summary(r: &PushResult) -> String {
        match &r.outcome {
            Ok(Written {
                remote_id,
                version,
                action,
                ..
            }) => {
                let action = match action {
                    WriteAction::Created => "Created",
                    WriteAction::Updated => "Updated",
                    WriteAction::Unchanged => "Unchanged",
                };
                let version = version.as_deref().unwrap_or("-");
                format!("{} {remote_id} v{version} {action}", r.key)
            }
            Err(e) => {
                let e = format!("{e:?}");
                format!("{} {}", r.key, e.trim_start_matches("ConnectorError::"))
            }
        }
    }

    fn keys_of(results: &[PushResult]) -> Vec<&str> {
        results.iter().map(|r| r.key.as_str()).collect()
    }

    fn customer_mix() -> Vec<Customer> {
        vec![
            customer("k0", None, None, "Dan"),                      // create
            customer("k1", Some("C-000001"), Some("1"), "Ann Ltd"), // update
            customer("k2", Some("C-000002"), Some("1"), "Bob Ltd"), // stale: file has 2
            customer("k3", Some("C-000001"), Some("1"), "Ann Limited"), // stale: k1 moved it
            customer("k4", Some("C-000001"), None, "Ann Ltd"),      // same again: unchanged
            customer("k5", None, None, "  "),                       // invalid: no name
            customer("k6", Some("C-000003"), Some("1"), "Cat"),     // unchanged
            customer("k7", Some("C-000099"), None, "Zed"),          // not found
            customer("k8", Some("C-000002"), Some("2"), "Bob Ltd"), // update
            customer("k9", None, None, "Dan"),                      // create (no uniqueness)
        ]
    }

    fn customers_file() -> Vec<u8> {
        customers::serialize_table(&[
            stored_customer("C-000001", "1", "Ann"),
            stored_customer("C-000002", "2", "Bob"),
            stored_customer("C-000003", "1", "Cat"),
        ])
        .unwrap()
    }

    #[test]
    fn a_customer_batch_has_the_outcomes_of_its_records_pushed_one_by_one() {
        let batched = MemFile::new(customers_file());
        let together = push_customers_to(&batched, customer_mix());

        let single = MemFile::new(customers_file());
        let one_by_one: Vec<PushResult> = customer_mix()
            .into_iter()
            .flat_map(|c| push_customers_to(&single, vec![c]))
            .collect();

        let together: Vec<String> = together.iter().map(summary).collect();
        let one_by_one: Vec<String> = one_by_one.iter().map(summary).collect();
        assert_eq!(together, one_by_one);
        assert_eq!(batched.text(), single.text(), "the same file either way");
        // Read once and written once, against once per valid record and once per change.
        assert_eq!(batched.counts(), (1, 1));
        assert_eq!(single.counts(), (9, 4));

        let expect = [
            "k0 C-000004 v1 Created",
            "k1 C-000001 v2 Updated",
            "k2 Stale",
            "k3 Stale",
            "k4 C-000001 v2 Unchanged",
            "k5 Validation",
            "k6 C-000003 v1 Unchanged",
            "k7 NotFound",
            "k8 C-000002 v3 Updated",
            "k9 C-000005 v1 Created",
        ];
        for (got, want) in together.iter().zip(expect) {
            assert!(got.starts_with(want), "{got} is not {want}");
        }
        assert_eq!(together.len(), expect.len());
    }

    fn invoice_mix() -> Vec<Invoice> {
        use InvoiceKind::{Contract, Job};
        let mut bad_date = invoice("k5", Job, None, None, "INV-20", "5.00");
        bad_date.issue_date = "22/11/2026".into();
        vec![
            invoice("k0", Job, None, None, "INV-10", "10.00"), // create
            invoice("k1", Contract, None, None, "SI-1", "11.00"), // create
            invoice("k2", Job, Some("J-000001"), Some("1"), "INV-1", "12.50"), // update
            invoice("k3", Job, None, None, "INV-2", "13.00"),  // duplicate in the file
            invoice("k4", Job, Some("J-000002"), Some("5"), "INV-2", "14.00"), // stale
            bad_date,                                          // invalid
            invoice("k6", Job, None, None, "INV-10", "16.00"), // duplicate of k0
            invoice("k7", Contract, None, None, "INV-10", "17.00"), // another file: create
            invoice("k8", Job, Some("J-000002"), Some("1"), "INV-3", "100.00"), // renumbered: update
            invoice("k9", Job, None, None, "INV-2", "19.00"),                   // INV-2 is free now
            invoice("k10", Contract, Some("S-000001"), None, "SI-0", "100.00"), // unchanged
            invoice("k11", Job, Some("J-000001"), Some("2"), "INV-1", "12.50"), // unchanged (k2)
        ]
    }

    fn invoice_files() -> (Vec<u8>, Vec<u8>) {
        use InvoiceKind::{Contract, Job};
        (
            invoices::serialize_table(&[
                stored_invoice(Job, "J-000001", "1", "INV-1"),
                stored_invoice(Job, "J-000002", "1", "INV-2"),
            ])
            .unwrap(),
            invoices::serialize_table(&[stored_invoice(Contract, "S-000001", "1", "SI-0")])
                .unwrap(),
        )
    }

    #[test]
    fn an_invoice_batch_has_the_outcomes_of_its_records_pushed_one_by_one() {
        let (j, c) = invoice_files();
        let (jobs, contracts) = (MemFile::new(j.clone()), MemFile::new(c.clone()));
        let together = push_invoices_to(&jobs, &contracts, invoice_mix());

        let (single_jobs, single_contracts) = (MemFile::new(j), MemFile::new(c));
        let one_by_one: Vec<PushResult> = invoice_mix()
            .into_iter()
            .flat_map(|i| push_invoices_to(&single_jobs, &single_contracts, vec![i]))
            .collect();

        let together: Vec<String> = together.iter().map(summary).collect();
        let one_by_one: Vec<String> = one_by_one.iter().map(summary).collect();
        assert_eq!(together, one_by_one);
        assert_eq!(jobs.text(), single_jobs.text());
        assert_eq!(contracts.text(), single_contracts.text());
        assert_eq!((jobs.counts(), contracts.counts()), ((1, 1), (1, 1)));

        let expect = [
            "k0 J-000003 v1 Created",
            "k1 S-000002 v1 Created",
            "k2 J-000001 v2 Updated",
            "k3 Duplicate",
            "k4 Stale",
            "k5 Validation",
            "k6 Duplicate",
            "k7 S-000003 v1 Created",
            "k8 J-000002 v2 Updated",
            "k9 J-000004 v1 Created",
            "k10 S-000001 v1 Unchanged",
            "k11 J-000001 v2 Unchanged",
        ];
        for (got, want) in together.iter().zip(expect) {
            assert!(got.starts_with(want), "{got} is not {want}");
        }
        assert_eq!(together.len(), expect.len());
        assert!(together[3].contains("J-000002"), "{}", together[3]);
        assert!(together[6].contains("J-000003"), "{}", together[6]);
    }

    #[test]
    fn every_result_carries_its_records_key_in_input_order() {
        let (j, c) = invoice_files();
        let (jobs, contracts) = (MemFile::new(j), MemFile::new(c));
        let mix = invoice_mix();
        let want: Vec<String> = mix.iter().map(|i| i.key.clone()).collect();
        let results = push_invoices_to(&jobs, &contracts, mix);
        assert_eq!(keys_of(&results), want);

        let file = MemFile::new(customers_file());
        let mix = customer_mix();
        let want: Vec<String> = mix.iter().map(|c| c.key.clone()).collect();
        let results = push_customers_to(&file, mix);
        assert_eq!(keys_of(&results), want);

        // A batch of one kind never reads the other kind's file.
        let (j, c) = invoice_files();
        let (jobs, contracts) = (MemFile::new(j), MemFile::new(c));
        let only_jobs = vec![invoice("x", InvoiceKind::Job, None, None, "INV-9", "1.00")];
        assert_eq!(push_invoices_to(&jobs, &contracts, only_jobs).len(), 1);
        assert_eq!((jobs.counts(), contracts.counts()), ((1, 1), (0, 0)));

        // Settings that do not load refuse every record, each under its key.
        let e = error::validation("page-size must be a whole number");
        let refused = refuse_all(&customer_mix(), |c| &c.key, &e);
        assert_eq!(keys_of(&refused).len(), 10);
        assert!(refused.iter().all(|r| r.outcome == Err(e.clone())));
    }

    /// A guard against quadratic work creeping back, not a benchmark: indexing a 100,000-row
    /// table and applying a 300-record batch takes milliseconds; scanning per record took
    /// seconds. The bound is loose for a debug build on a busy machine.
    #[test]
    fn a_300_record_batch_on_a_100_000_row_table_is_fast() {
        const ROWS: usize = 100_000;
        const LIMIT: Duration = Duration::from_secs(5);
        let id = |prefix: &str, n: usize| format!("{prefix}-{n:06}");

        let table: Vec<Customer> = (1..=ROWS)
            .map(|n| stored_customer(&id("C", n), "1", &format!("Customer {n}")))
            .collect();
        // 100 creates, 100 updates and 100 unchanged, spread over the table.
        let batch: Vec<Result<Customer, ConnectorError>> = (0..300)
            .map(|i| {
                let n = i * (ROWS / 300) + 1;
                Ok(match i % 3 {
                    0 => customer(&format!("k{i}"), None, None, &format!("New {i}")),
                    1 => customer(&format!("k{i}"), Some(&id("C", n)), Some("1"), "Renamed"),
                    _ => customer(
                        &format!("k{i}"),
                        Some(&id("C", n)),
                        Some("1"),
                        &format!("Customer {n}"),
                    ),
                })
            })
            .collect();
        let started = Instant::now();
        let mut saved = 0;
        let outcomes = push_batch(
            batch,
            customers::target("customers.csv"),
            NOW,
            || Ok(table),
            |t| {
                saved = t.len();
                Ok(())
            },
        );
        let elapsed = started.elapsed();
        assert!(outcomes.iter().all(Result::is_ok));
        assert_eq!(saved, ROWS + 100);
        assert_eq!(
            outcomes[297].as_ref().unwrap().remote_id,
            id("C", ROWS + 100)
        );
        assert!(elapsed < LIMIT, "customers: {elapsed:?}");

        // Invoices also check every number against the file's.
        let table: Vec<Invoice> = (1..=ROWS)
            .map(|n| stored_invoice(InvoiceKind::Job, &id("J", n), "1", &format!("INV-{n}")))
            .collect();
        let batch: Vec<Result<Invoice, ConnectorError>> = (0..300)
            .map(|i| {
                let n = i * (ROWS / 300) + 1;
                let key = format!("k{i}");
                invoices::validate(match i % 3 {
                    0 => invoice(
                        &key,
                        InvoiceKind::Job,
                        None,
                        None,
                        &format!("NEW-{i}"),
                        "1.00",
                    ),
                    1 => invoice(
                        &key,
                        InvoiceKind::Job,
                        Some(&id("J", n)),
                        Some("1"),
                        &format!("INV-{n}"),
                        "2.00",
                    ),
                    _ => invoice(
                        &key,
                        InvoiceKind::Job,
                        None,
                        None,
                        &format!("INV-{n}"),
                        "3.00",
                    ),
                })
            })
            .collect();
        let started = Instant::now();
        let outcomes = push_batch(
            batch,
            invoices::target(InvoiceKind::Job, "job-invoices.csv"),
            NOW,
            || Ok(table),
            |_| Ok(()),
        );
        let elapsed = started.elapsed();
        let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        assert_eq!(
            count(|o| matches!(o, Ok(w) if w.action == WriteAction::Created)),
            100
        );
        assert_eq!(
            count(|o| matches!(o, Ok(w) if w.action == WriteAction::Updated)),
            100
        );
        assert_eq!(
            count(|o| matches!(o, Err(ConnectorError::Duplicate(_)))),
            100
        );
        assert!(elapsed < LIMIT, "invoices: {elapsed:?}");
    }
}
