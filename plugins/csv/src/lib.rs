//! # ledgerlink-plugin-csv
//!
//! The reference connector: customers and invoices kept in CSV files in the connection's
//! folder. It needs no account and no network, so it is the connector to try the host
//! with, and the one to copy when writing a new connector.
//!
//! How it is put together, and why:
//!
//! * this file is the [`Connector`] implementation, and it is only glue: read settings,
//!   load a table, call a pure function, save the table;
//! * `store` is the only module that calls a host import (`files`); `settings` reads
//!   `config` in one function; the clock and log are called only from this file;
//! * everything else (`customers` and `invoices::rows` for rows ⇄ canonical records,
//!   `invoices` for invoice validation, `table` for CSV text, `upsert` and `version` for the
//!   write rules, `paging`, `since` and `find` for reads) is plain functions over in-memory
//!   data, unit-tested natively with `cargo test -p ledgerlink-plugin-csv`, where host imports
//!   are stubs that cannot be called.
//!
//! The files: `customers.csv` has one row per customer; `job-invoices.csv` and
//! `contract-invoices.csv` have one row per invoice line (see `invoices::rows`). A missing file
//! is an empty table. Ids are "C-000001" (customers), "J-000001" (job invoices) and
//! "S-000001" (contract invoices); versions count changes from "1".

use ledgerlink_sdk::types::{
    Capability, CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, Invoice,
    InvoiceKind, InvoicePage, Manifest, RecordKind, WriteAction, Written,
};
use ledgerlink_sdk::{Connector, ManifestBuilder, clock, error, log};

mod customers;
mod find;
mod invoices;
mod paging;
mod settings;
mod since;
mod store;
mod table;
mod upsert;
mod version;

use settings::Settings;

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
            items: page.items,
            next: page.next,
        })
    }

    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        let settings = Settings::load()?;
        let table = store::load_customers(&settings.customers_file)?;
        find::matching(table, &query)
    }

    /// Read the whole file, apply one record, write the whole file back: O(file) per record.
    ///
    /// That is fine for the file sizes a CSV connector meets and keeps every push
    /// independent. A batch-oriented override of `push_customers` (load once, apply every
    /// record, save once, still one result per record) would be the optimisation.
    ///
    /// Read-modify-write of a whole file assumes one push at a time per connection; two
    /// concurrent pushes could each write a table without the other's record.
    fn push_customer(customer: Customer) -> Result<Written, ConnectorError> {
        let settings = Settings::load()?;
        let customer = customers::validate(customer)?;
        let path = &settings.customers_file;
        let mut table = store::load_customers(path)?;
        let written = upsert::upsert(&mut table, customer, customers::target(path), &clock::now())?;
        if written.action != WriteAction::Unchanged {
            store::save_customers(path, &table)?;
        }
        log_written("customer", path, &written);
        Ok(written)
    }

    fn pull_invoices(
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        let settings = Settings::load()?;
        let offset = paging::parse_cursor(cursor.as_deref())?;
        let table = store::load_invoices(settings.invoices_file(kind), kind)?;
        let selected = since::changed_since(table, since.as_deref())?;
        let page = paging::page(selected, offset, settings.page_size);
        Ok(InvoicePage {
            items: page.items,
            next: page.next,
        })
    }

    /// As [`push_customer`](Self::push_customer), in the file of the invoice's kind.
    fn push_invoice(invoice: Invoice) -> Result<Written, ConnectorError> {
        let settings = Settings::load()?;
        let invoice = invoices::validate(invoice)?;
        let kind = invoice.kind;
        let path = settings.invoices_file(kind);
        let mut table = store::load_invoices(path, kind)?;
        let target = invoices::target(kind, path);
        let written = upsert::upsert(&mut table, invoice, target, &clock::now())?;
        if written.action != WriteAction::Unchanged {
            store::save_invoices(path, &table)?;
        }
        log_written(target.noun, path, &written);
        Ok(written)
    }

    /// An invoice id is looked for in the job file, then the contract file: the host says only
    /// "invoice", and a hand-made file need not follow the "J-"/"S-" id convention.
    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let settings = Settings::load()?;
        match kind {
            RecordKind::Customer => {
                let path = &settings.customers_file;
                let mut table = store::load_customers(path)?;
                upsert::remove(&mut table, &id, customers::target(path))?;
                store::save_customers(path, &table)?;
                log::info(format!("deleted customer {id} from {path}"));
                Ok(())
            }
            RecordKind::Invoice => {
                for kind in [InvoiceKind::Job, InvoiceKind::Contract] {
                    let path = settings.invoices_file(kind);
                    let mut table = store::load_invoices(path, kind)?;
                    if upsert::position(&table, &id).is_some() {
                        let target = invoices::target(kind, path);
                        upsert::remove(&mut table, &id, target)?;
                        store::save_invoices(path, &table)?;
                        log::info(format!("deleted {} {id} from {path}", target.noun));
                        return Ok(());
                    }
                }
                Err(error::not_found(format!(
                    "invoice {id} is in neither {} nor {}; it may have been deleted from the file",
                    settings.job_invoices_file, settings.contract_invoices_file
                )))
            }
        }
    }
}

ledgerlink_sdk::export_connector!(CsvConnector);

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

/// Log what a push did: ids and actions only, never field values.
fn log_written(noun: &str, path: &str, written: &Written) {
    let action = match written.action {
        WriteAction::Created => "created",
        WriteAction::Updated => "updated",
        WriteAction::Unchanged => "left unchanged",
    };
    log::debug(format!("{action} {noun} {} in {path}", written.remote_id));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::types::AuthKind;

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
                ("page-size", false, Some("500")),
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
}
