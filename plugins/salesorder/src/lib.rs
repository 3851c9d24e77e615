//! # ledgerlink-plugin-salesorder
//!
//! Salesorder takes migrated data through its **upload templates** (xlsx workbooks an admin
//! uploads under `Setup > Import Data`), not through an API. This connector writes them into
//! the connection's folder through the host's `files` import:
//!
//! * customers → the Customers template;
//! * job and contract invoices → Upload Transactions, sheet Sales Invoices, **Status
//!   Historical** (read-only in Salesorder, not posted to the General Ledger), paid or not;
//! * open jobs (orders) → Upload Transactions, sheet Sales Orders, Status Open (or Pending,
//!   setting `order-status`);
//! * the outstanding balance (total − amount paid) of every unpaid invoice → Upload
//!   Journals: per currency one journal, per customer one line against the customer
//!   (Accounts Receivable) with the aggregated balance and its pair against the Migration
//!   Control account; every journal balances, checked before anything is written.
//!
//! The connector keeps its own state file (`state`) and regenerates the current export's
//! three workbooks and `README.txt` from it on every push (`render`), so batches and resumed
//! runs give the same files. Template layouts are data (`layout`, `layouts/default.json`);
//! blank templates downloaded from Salesorder into `templates/` are read for their header
//! rows (`read`). Money is `Decimal` throughout; `sheet` is the one place it becomes an
//! `f64` numeric cell, checked to round-trip exactly.
//!
//! Only this file calls host imports (`files`, `config` through `settings`, `clock`, `log`).

use std::collections::BTreeMap;

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::files::{self, FileError};
use ledgerlink_sdk::types::{
    Capability, CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, Invoice,
    InvoiceKind, InvoicePage, Manifest, PushResult, RecordKind, WriteAction,
};
use ledgerlink_sdk::{Connector, ManifestBuilder, clock, log};

pub mod layout;
pub mod read;
pub mod render;
pub mod settings;
pub mod sheet;
pub mod state;
pub mod stored;

use layout::{Layouts, Resolved};
use settings::Settings;
use state::{KnownCustomer, Outcome, STATE_FILE, State};

/// Where the admin drops blank templates downloaded from Salesorder.
pub const TEMPLATES_FOLDER: &str = "templates";

/// The Salesorder connector; stateless between calls (its state is a file).
pub struct SalesorderConnector;

impl Connector for SalesorderConnector {
    fn manifest() -> Manifest {
        let mut m = ManifestBuilder::new("salesorder", "Salesorder upload templates", env!("CARGO_PKG_VERSION"))
            .description("Salesorder: customers, Historical sales invoices, Open/Pending sales orders and opening-balance journals as upload-template workbooks in the connection's folder.")
            .capabilities([
                Capability::PullCustomers,
                Capability::FindCustomers,
                Capability::PushCustomers,
                Capability::PullInvoices,
                Capability::GetInvoices,
                Capability::PushJobInvoices,
                Capability::PushContractInvoices,
                Capability::PushOrders,
                Capability::Delete,
            ]);
        for s in &settings::ALL {
            m = m.setting(s.key, s.description, false, Some(s.default));
        }
        m.build()
    }

    fn check() -> Result<CheckReport, ConnectorError> {
        let settings = Settings::load()?;
        let layouts = shipped()?;
        files::list_dir("").map_err(|e| file_error("the connection folder", "list", e))?;
        let state = load_state()?;
        let known = known_customers(&settings, &layouts)?;
        let (_, note) = resolver(&layouts)?;
        Ok(CheckReport {
            message: format!(
                "Salesorder folder ready: {} customer(s) and {} document(s) written in {} export(s); {} customer(s) in Salesorder's customers export; {}",
                state.customers.len(),
                state.documents.len(),
                state.exports.len(),
                known.len(),
                note.trim_end()
            ),
        })
    }

    fn pull_customers(
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<CustomerPage, ConnectorError> {
        let settings = Settings::load()?;
        let all = all_customers(&settings, since.as_deref())?;
        let (items, next) = page(all, cursor.as_deref(), settings.page_size)?;
        Ok(CustomerPage { items, next })
    }

    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        let settings = Settings::load()?;
        let norm = |s: &str| s.trim().to_lowercase();
        let tax = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
        };
        Ok(all_customers(&settings, None)?
            .into_iter()
            .filter(|c| {
                query
                    .name
                    .as_deref()
                    .is_none_or(|n| norm(n) == norm(&c.name))
                    && query
                        .email
                        .as_deref()
                        .is_none_or(|e| c.email.as_deref().is_some_and(|x| norm(x) == norm(e)))
                    && query
                        .tax_number
                        .as_deref()
                        .is_none_or(|t| c.tax_number.as_deref().is_some_and(|x| tax(x) == tax(t)))
            })
            .collect())
    }

    fn push_customers(batch: Vec<Customer>) -> Vec<PushResult> {
        push_batch(
            batch,
            |c| &c.key,
            |state, known, _, export, c| state.push_customer(c, export, known),
        )
    }

    fn pull_invoices(
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        let settings = Settings::load()?;
        let (items, next) = page(
            documents(&load_state()?, kind, None, since.as_deref()),
            cursor.as_deref(),
            settings.page_size,
        )?;
        Ok(InvoicePage { items, next })
    }

    fn get_invoices(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
        Ok(documents(&load_state()?, kind, Some(&ids), None))
    }

    fn push_invoices(batch: Vec<Invoice>) -> Vec<PushResult> {
        push_batch(
            batch,
            |i| &i.key,
            |state, known, settings, export, i| {
                state.push_invoice(i, export, known, settings.order_status.label())
            },
        )
    }

    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let settings = Settings::load()?;
        let layouts = shipped()?;
        let known = known_customers(&settings, &layouts)?;
        let mut state = load_state()?;
        finish_unwritten(&mut state, &settings, &layouts, &known)?;
        let export = state.remove(&id, kind == RecordKind::Invoice)?;
        commit(&mut state, &[export], &settings, &layouts, &known)?;
        log::info(format!("removed {id} from export {export}"));
        Ok(())
    }
}

ledgerlink_sdk::export_connector!(SalesorderConnector);

/// One push batch: load the state once, apply every record in order (each seeing the ones
/// before it), write the current export's workbooks, then the state; one result per record.
/// A file that cannot be written fails every record that had been applied (nothing of them
/// is recorded), so the host sends them again.
fn push_batch<R>(
    batch: Vec<R>,
    key: impl Fn(&R) -> &String,
    apply: impl Fn(&mut State, &[KnownCustomer], &Settings, u32, &R) -> Outcome,
) -> Vec<PushResult> {
    let keys: Vec<String> = batch.iter().map(|r| key(r).clone()).collect();
    let outcomes = match push_records(&batch, apply) {
        Ok(outcomes) => outcomes,
        Err(e) => batch.iter().map(|_| Err(e.clone())).collect(),
    };
    keys.into_iter()
        .zip(outcomes)
        .map(|(key, outcome)| PushResult { key, outcome })
        .collect()
}

fn push_records<R>(
    batch: &[R],
    apply: impl Fn(&mut State, &[KnownCustomer], &Settings, u32, &R) -> Outcome,
) -> Result<Vec<Outcome>, ConnectorError> {
    let settings = Settings::load()?;
    let layouts = shipped()?;
    let known = known_customers(&settings, &layouts)?;
    let mut state = load_state()?;
    finish_unwritten(&mut state, &settings, &layouts, &known)?;
    let now = clock::now();
    let export = state.export_for(&now, settings.export_window_seconds);
    let outcomes: Vec<Outcome> = batch
        .iter()
        .map(|r| {
            let outcome = apply(&mut state, &known, &settings, export, r);
            state.stamp(&outcome, &now);
            outcome
        })
        .collect();
    let wrote = outcomes
        .iter()
        .any(|o| matches!(o, Ok(w) if w.action != WriteAction::Unchanged));
    if !wrote {
        return Ok(outcomes);
    }
    state.touch_export(export, &now);
    let failed = |e: ConnectorError| -> Vec<Outcome> {
        outcomes
            .iter()
            .map(|o| match o {
                Ok(w) if w.action != WriteAction::Unchanged => Err(e.clone()),
                other => other.clone(),
            })
            .collect()
    };
    if let Err(e) = commit(&mut state, &[export], &settings, &layouts, &known) {
        return Ok(failed(e));
    }
    let count = |a: WriteAction| {
        outcomes
            .iter()
            .filter(|o| matches!(o, Ok(w) if w.action == a))
            .count()
    };
    log::info(format!(
        "export {export}: {} created, {} updated, {} unchanged, {} refused",
        count(WriteAction::Created),
        count(WriteAction::Updated),
        count(WriteAction::Unchanged),
        outcomes.iter().filter(|o| o.is_err()).count()
    ));
    Ok(outcomes)
}

/// Write the workbooks of every export a call before this one saved in the state but did
/// not get to write (it was killed, or a file could not be written).
fn finish_unwritten(
    state: &mut State,
    settings: &Settings,
    layouts: &Layouts,
    known: &[KnownCustomer],
) -> Result<(), ConnectorError> {
    let unwritten = state.unwritten();
    if unwritten.is_empty() {
        return Ok(());
    }
    log::warn(format!(
        "writing the workbooks of export(s) {unwritten:?}, which an earlier call saved but did not write"
    ));
    commit(state, &unwritten, settings, layouts, known)
}

/// Commit `state` and the workbooks of `exports` (see [`state`] for why in this order):
/// generate and check every file, save the state marked unwritten, write the files, save
/// the state marked written. Nothing is saved when a file cannot be generated.
fn commit(
    state: &mut State,
    exports: &[u32],
    settings: &Settings,
    layouts: &Layouts,
    known: &[KnownCustomer],
) -> Result<(), ConnectorError> {
    let mut files = Vec::new();
    for &n in exports {
        files.extend(render_export(state, n, settings, layouts, known)?);
    }
    state.mark_unwritten(exports);
    save_state(state)?;
    for (name, bytes) in &files {
        write(name, bytes)?;
    }
    state.written();
    save_state(state)
}

/// Export `n`'s three workbooks (generated from the whole state) and `README.txt`, as
/// bytes. Every sheet is built and checked — the journals balanced, every number exact —
/// before any of them is written.
fn render_export(
    state: &State,
    n: u32,
    settings: &Settings,
    layouts: &Layouts,
    known: &[KnownCustomer],
) -> Result<Vec<(String, Vec<u8>)>, ConnectorError> {
    let (columns, note) = resolver(layouts)?;
    let mut journals = BTreeMap::new();
    let mut current = Vec::new();
    for e in &state.exports {
        let date = settings
            .journal_date
            .clone()
            .unwrap_or_else(|| e.started_at.chars().take(10).collect());
        let js = render::JournalSettings {
            date: &date,
            receivables: &settings.receivables,
            control: &settings.migration_control,
        };
        let (lines, totals) = render::journal(state, e.number, &js)?;
        if e.number == n {
            current = lines;
        }
        journals.insert(e.number, totals);
    }
    let mut books = Vec::new();
    for (stem, _) in render::WORKBOOKS {
        let sheets = render::sheets(stem, state, n, &|id| columns(id), known, &current)?;
        let bytes = sheet::workbook(&sheets)
            .map_err(|e| error::validation(format!("{}: {e}", render::file_name(n, stem))))?;
        books.push((render::file_name(n, stem), bytes));
    }
    books.push((
        "README.txt".to_owned(),
        render::readme(state, &journals, &note).into_bytes(),
    ));
    Ok(books)
}

/// The columns of each template sheet (the admin's template in `templates/` when there is
/// one, else the default layout), and a line saying which were used.
#[allow(clippy::type_complexity)]
fn resolver(
    layouts: &Layouts,
) -> Result<
    (
        impl Fn(&str) -> Result<(String, Vec<Resolved>), ConnectorError> + '_,
        String,
    ),
    ConnectorError,
> {
    let mut resolved: BTreeMap<String, (String, Vec<Resolved>)> = BTreeMap::new();
    let mut from_admin = Vec::new();
    for t in &layouts.templates {
        let path = format!("{TEMPLATES_FOLDER}/{}", t.file);
        let headers = match read_file(&path)? {
            Some(bytes) => {
                let h = read::template_headers(bytes, &path, &t.sheet)
                    .map_err(|e| error::validation(e.to_string()))?;
                from_admin.push(format!("{path} ({})", t.sheet));
                Some(h)
            }
            None => None,
        };
        let cols = layouts
            .resolve(&t.id, headers.as_deref())
            .map_err(|e| error::validation(e.to_string()))?;
        resolved.insert(t.id.clone(), (t.sheet.clone(), cols));
    }
    let note = if from_admin.is_empty() {
        "Columns: ledgerlink's default layouts (docs/salesorder-templates.md); drop the blank templates from your Salesorder account into templates/ to use their headers.\n".to_owned()
    } else {
        format!(
            "Columns: from your templates {}; default layouts for the rest.\n",
            from_admin.join(", ")
        )
    };
    Ok((
        move |id: &str| {
            resolved
                .get(id)
                .cloned()
                .ok_or_else(|| error::validation(format!("no Salesorder template layout {id:?}")))
        },
        note,
    ))
}

fn shipped() -> Result<Layouts, ConnectorError> {
    Layouts::shipped().map_err(|e| error::validation(e.to_string()))
}

/// Customers in Salesorder's customers export (none when the admin dropped none in).
fn known_customers(
    settings: &Settings,
    layouts: &Layouts,
) -> Result<Vec<KnownCustomer>, ConnectorError> {
    match read_file(&settings.customers_export)? {
        Some(bytes) => read::customers_export(bytes, &settings.customers_export, layouts)
            .map_err(|e| error::validation(e.to_string()).at("customers-export-file")),
        None => Ok(Vec::new()),
    }
}

/// Every customer Salesorder has or will have: its export's, then the ones written here.
/// Every customer (changed at or after `since`, when given). Customers only in Salesorder's
/// export carry no change time, so every delta includes them.
fn all_customers(
    settings: &Settings,
    since: Option<&str>,
) -> Result<Vec<Customer>, ConnectorError> {
    let layouts = shipped()?;
    let state = load_state()?;
    let mut out: Vec<Customer> = Vec::new();
    for k in known_customers(settings, &layouts)? {
        if !state.customers.contains_key(&k.id) {
            out.push(k.customer.to_customer(&k.id, &k.id, 1));
        }
    }
    out.extend(
        state
            .customers
            .iter()
            .filter(|(_, e)| changed_since(&e.changed_at, since))
            .map(|(id, e)| {
                let mut c = e.customer.to_customer(&e.key, id, e.version);
                c.updated_at = e.changed_at.clone();
                c
            }),
    );
    Ok(out)
}

/// Whether a record stamped `changed_at` belongs in a delta from `since` (inclusive: the
/// clock has whole seconds). Unstamped records (older state files) are always in.
fn changed_since(changed_at: &Option<String>, since: Option<&str>) -> bool {
    match (changed_at.as_deref(), since) {
        (Some(at), Some(since)) => at >= since,
        _ => true,
    }
}

/// The documents of `kind` (those with an id in `ids`, and changed at or after `since`, when
/// given).
fn documents(
    state: &State,
    kind: InvoiceKind,
    ids: Option<&[String]>,
    since: Option<&str>,
) -> Vec<Invoice> {
    let kind = stored::kind_name(kind);
    state
        .documents
        .iter()
        .filter(|(id, d)| d.invoice.kind == kind && ids.is_none_or(|ids| ids.contains(id)))
        .filter(|(_, d)| changed_since(&d.changed_at, since))
        .map(|(id, d)| {
            let owed = !state::stored_decimal(&d.outstanding).is_zero();
            let mut invoice = d.invoice.to_invoice(&d.key, id, d.version, owed);
            invoice.updated_at = d.changed_at.clone();
            invoice
        })
        .collect()
}

/// One page of `all` from offset `cursor`.
fn page<T>(
    all: Vec<T>,
    cursor: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), ConnectorError> {
    let from: usize = match cursor {
        None => 0,
        Some(c) => c.parse().map_err(|_| {
            error::validation(format!("cursor {c:?} is not one this connector gave"))
        })?,
    };
    let total = all.len();
    let items: Vec<T> = all.into_iter().skip(from).take(size).collect();
    let next = (from + items.len() < total).then(|| (from + items.len()).to_string());
    Ok((items, next))
}

fn load_state() -> Result<State, ConnectorError> {
    match read_file(STATE_FILE)? {
        Some(bytes) => State::parse(&bytes),
        None => Ok(State::default()),
    }
}

fn save_state(state: &State) -> Result<(), ConnectorError> {
    write(STATE_FILE, &state.to_bytes())
}

/// A whole file, or `None` when it does not exist.
fn read_file(path: &str) -> Result<Option<Vec<u8>>, ConnectorError> {
    match files::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(FileError::NotFound(_)) => Ok(None),
        Err(e) => Err(file_error(path, "read", e)),
    }
}

/// `files::write` replaces the file atomically (temporary file + rename in the host), so
/// no workbook is ever half-written.
fn write(path: &str, bytes: &[u8]) -> Result<(), ConnectorError> {
    files::write(path, bytes).map_err(|e| file_error(path, "write", e))
}

fn file_error(path: &str, verb: &str, e: FileError) -> ConnectorError {
    match e {
        FileError::Denied(m) => error::validation(format!("could not {verb} {path}: {m}")),
        FileError::NotFound(m) => {
            error::transient(format!("could not {verb} {path}: not found: {m}"))
        }
        FileError::Io(m) => error::transient(format!("could not {verb} {path}: {m}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ledgerlink_sdk::testing::FakeHost;

    fn customer(key: &str, name: &str) -> Customer {
        Customer {
            key: key.into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: None,
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: Some("NZD".into()),
            active: true,
            updated_at: None,
        }
    }

    const CUSTOMERS: &str = "ledgerlink-0001-customers.xlsx";

    #[test]
    fn a_push_commits_the_state_and_its_workbooks_and_leaves_nothing_unwritten() {
        let host = FakeHost::new();
        let _on = host.install();
        let results = SalesorderConnector::push_customers(vec![customer("C1", "Harbour")]);
        assert!(matches!(&results[0].outcome, Ok(w) if w.action == WriteAction::Created));
        assert!(host.file(CUSTOMERS).is_some());
        assert!(host.file("README.txt").is_some());
        let state = State::parse(&host.file(STATE_FILE).unwrap()).unwrap();
        assert!(state.unwritten().is_empty());
        assert_eq!(state.customers.len(), 1);
    }

    /// A call killed after saving its state but before writing the workbooks: the next call
    /// (here a replay of the same record, which is unchanged) writes them first.
    #[test]
    fn workbooks_a_killed_call_did_not_write_are_written_by_the_next_call() {
        let first = FakeHost::new();
        let saved = {
            let _on = first.install();
            SalesorderConnector::push_customers(vec![customer("C1", "Harbour")]);
            let mut state = State::parse(&first.file(STATE_FILE).unwrap()).unwrap();
            state.mark_unwritten(&[1]);
            state.to_bytes()
        };
        let after_kill = FakeHost::new();
        after_kill.put_file(STATE_FILE, saved);
        let _on = after_kill.install();
        assert!(after_kill.file(CUSTOMERS).is_none());
        let results = SalesorderConnector::push_customers(vec![customer("C1", "Harbour")]);
        assert!(
            matches!(&results[0].outcome, Ok(w) if w.action == WriteAction::Unchanged),
            "{results:?}"
        );
        assert!(after_kill.file(CUSTOMERS).is_some());
        let state = State::parse(&after_kill.file(STATE_FILE).unwrap()).unwrap();
        assert!(state.unwritten().is_empty());
        assert!(
            after_kill
                .logs()
                .iter()
                .any(|(_, m)| m
                    .contains("export(s) [1], which an earlier call saved but did not write")),
            "{:?}",
            after_kill.logs()
        );
    }
}
