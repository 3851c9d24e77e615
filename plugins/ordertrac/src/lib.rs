//! # ledgerlink-plugin-ordertrac
//!
//! OrderTrac web publishes no API and no import format; its documented route in is a
//! migration its own staff run, first into the **preview** environment, then into
//! **production**. So this connector does what a careful integrator does:
//!
//! * **push** writes an import package into the connection's folder for that migration:
//!   customers, sales orders and quotes as CSV (one row per line, the document's fields
//!   repeated), `README.txt` for the person who sends it, and `ordertrac-manifest.json`
//!   (counts, totals per document, SHA-256 of every file);
//! * every line is taxed with its own rate and rounded per line, as OrderTrac web does; an
//!   order whose per-line result misses Tracker Pro's total gets one untaxed
//!   "Migration total difference adjustment" line (`tax`);
//! * **pull** reads the CSV reports a user downloads from OrderTrac into `exports/`, so
//!   compare shows what arrived (Unchanged), what is missing (Add) and what differs
//!   (Conflict); orders OrderTrac shows completed or picked are Locked. Its customers report
//!   does the same for customers, matched by name: an e-mail or phone edited in OrderTrac
//!   comes back as OrderTrac's, a customer the report lacks is missing, and OrderTrac's own
//!   customers (`OT-<Customer #>`) can be linked to or pulled into Tracker Pro.
//!
//! The package is regenerated from the state file (`state`) on every push, so batches and
//! resumed runs give the same files. `package` is the whole file layer (a future OrderTrac API
//! replaces it alone); only this file calls host imports.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::files::{self, FileError};
use ledgerlink_sdk::types::{
    Address, Capability, CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery,
    Invoice, InvoiceKind, InvoicePage, Manifest, PushResult, RecordKind, WriteAction,
};
use ledgerlink_sdk::{Connector, ManifestBuilder, clock, log};

use std::collections::BTreeMap;

pub mod package;
pub mod settings;
pub mod state;
pub mod tax;
pub mod view;

use package::{EXPORTS_FOLDER, ExportCustomer, ExportOrder, Report};
use settings::Settings;
use state::{DocType, Outcome, PushContext, STATE_FILE, State};

/// The OrderTrac web connector; stateless between calls (its state is a file).
pub struct OrderTracConnector;

impl Connector for OrderTracConnector {
    fn manifest() -> Manifest {
        let mut m = ManifestBuilder::new("ordertrac", "OrderTrac web (import package)", env!("CARGO_PKG_VERSION"))
            .description("OrderTrac web: an import package (customers, sales orders, quotes; per-line tax) for OrderTrac's migration service, in the connection's folder, and reconciliation from OrderTrac's CSV exports. The package layout is ledgerlink's, not an OrderTrac-published format.")
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
        files::list_dir("").map_err(|e| file_error("the connection folder", "list", e))?;
        let state = load_state(&settings)?;
        Ok(CheckReport {
            message: format!(
                "OrderTrac package folder ready for the {} environment ({}): {} customer(s), {} document(s)",
                settings.environment.name(),
                settings.environment.host(),
                state.customers.len(),
                state.live().count()
            ),
        })
    }

    fn pull_customers(
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<CustomerPage, ConnectorError> {
        let settings = Settings::load()?;
        // Changed at or after `since` (inclusive: the clock has whole seconds); a customer
        // with no change time (an older state file) is in every delta.
        let all = customers(
            &load_state(&settings)?,
            read_exports()?.customers.as_deref(),
        )
        .into_iter()
        .filter(|c| match (c.updated_at.as_deref(), since.as_deref()) {
            (Some(at), Some(since)) => at >= since,
            _ => true,
        })
        .collect();
        let (items, next) = page(all, cursor.as_deref(), settings.page_size)?;
        Ok(CustomerPage { items, next })
    }

    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        let settings = Settings::load()?;
        let norm = |s: &str| s.trim().to_lowercase();
        Ok(customers(
            &load_state(&settings)?,
            read_exports()?.customers.as_deref(),
        )
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
                    .is_none_or(|t| c.tax_number.as_deref().is_some_and(|x| norm(x) == norm(t)))
        })
        .collect())
    }

    fn push_customers(batch: Vec<Customer>) -> Vec<PushResult> {
        let now = clock::now();
        push_batch(
            batch,
            |c| &c.key,
            |state, _, c| {
                let outcome = state.push_customer(c);
                if let Ok(w) = &outcome
                    && w.action != WriteAction::Unchanged
                    && let Some(e) = state.customers.get_mut(&w.remote_id)
                {
                    e.changed_at = Some(now.clone());
                }
                outcome
            },
        )
    }

    fn pull_invoices(
        kind: InvoiceKind,
        _since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        let settings = Settings::load()?;
        let state = load_state(&settings)?;
        let exports = read_exports()?.orders;
        let wanted = state::kind_name(kind);
        if exports.is_empty() {
            // Before OrderTrac's reports are dropped in, the package is what OrderTrac will
            // hold: documents read as sent (the host checks numbers against them).
            let docs = state
                .live()
                .filter(|(_, e)| e.document.kind == wanted)
                .map(|(id, e)| view::from_package(id, e))
                .collect();
            let (items, next) = page(docs, cursor.as_deref(), settings.page_size)?;
            return Ok(InvoicePage { items, next });
        }
        let mut out = Vec::new();
        for o in &exports {
            let doc_type = if o.doc_type.trim().eq_ignore_ascii_case("quote") {
                DocType::Quote
            } else {
                DocType::SalesOrder
            };
            let id = format!("{}{}", doc_type.prefix(), o.reference.trim());
            // Orders OrderTrac holds that this package did not send are not Tracker Pro's.
            let Some(e) = state.documents.get(&id) else {
                continue;
            };
            if e.document.kind != wanted {
                continue;
            }
            out.push(view::from_export(
                &id,
                e,
                o,
                package::is_locked_status(&o.status),
            ));
        }
        let (items, next) = page(out, cursor.as_deref(), settings.page_size)?;
        Ok(InvoicePage { items, next })
    }

    fn get_invoices(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
        let settings = Settings::load()?;
        let state = load_state(&settings)?;
        let wanted = state::kind_name(kind);
        Ok(ids
            .iter()
            .filter_map(|id| state.documents.get(id).map(|e| (id, e)))
            .filter(|(_, e)| e.document.kind == wanted)
            .map(|(id, e)| view::from_package(id, e))
            .collect())
    }

    fn push_invoices(batch: Vec<Invoice>) -> Vec<PushResult> {
        push_batch(batch, |i| &i.key, |state, cx, i| state.push_invoice(i, cx))
    }

    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let settings = Settings::load()?;
        let mut state = load_state(&settings)?;
        state.remove(&id, kind == RecordKind::Invoice)?;
        write_package(&state, &settings)?;
        save_state(&state)?;
        log::info(format!("removed {id} from the package"));
        Ok(())
    }
}

ledgerlink_sdk::export_connector!(OrderTracConnector);

/// One push batch: load the state once, apply every record in order, write the package, then
/// the state; one result per record. A file that cannot be written fails every record that
/// had been applied (nothing of them is recorded), so the host sends them again.
fn push_batch<R>(
    batch: Vec<R>,
    key: impl Fn(&R) -> &String,
    apply: impl Fn(&mut State, &PushContext, &R) -> Outcome,
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
    apply: impl Fn(&mut State, &PushContext, &R) -> Outcome,
) -> Result<Vec<Outcome>, ConnectorError> {
    let settings = Settings::load()?;
    let mut state = load_state(&settings)?;
    let locked: BTreeMap<String, String> = read_exports()?
        .orders
        .into_iter()
        .filter(|o| package::is_locked_status(&o.status))
        .map(|o| {
            (
                o.reference.trim().to_owned(),
                o.status.trim().to_lowercase(),
            )
        })
        .collect();
    let cx = PushContext {
        quotes: settings.quotes,
        tax_rates: settings.tax_rates.clone(),
        locked,
    };
    let outcomes: Vec<Outcome> = batch.iter().map(|r| apply(&mut state, &cx, r)).collect();
    let wrote = outcomes
        .iter()
        .any(|o| matches!(o, Ok(w) if w.action != WriteAction::Unchanged));
    if !wrote {
        return Ok(outcomes);
    }
    if let Err(e) = write_package(&state, &settings).and_then(|()| save_state(&state)) {
        return Ok(outcomes
            .iter()
            .map(|o| match o {
                Ok(w) if w.action != WriteAction::Unchanged => Err(e.clone()),
                other => other.clone(),
            })
            .collect());
    }
    for (o, id) in outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|w| (w, &w.remote_id))
    {
        if o.action == WriteAction::Unchanged {
            continue;
        }
        if let Some(a) = state
            .documents
            .get(id)
            .and_then(|e| e.document.money.adjustment.as_ref())
        {
            log::info(format!("{id}: \"{}\" line of {a}", tax::ADJUSTMENT));
        }
    }
    Ok(outcomes)
}

/// Write the whole package, manifest last: each file is replaced atomically by the host
/// (temporary name, then rename), and the manifest's checksums tell a reader whether the
/// files beside it are the ones it describes.
fn write_package(state: &State, settings: &Settings) -> Result<(), ConnectorError> {
    let dup = state.duplicate_references();
    if !dup.is_empty() {
        return Err(error::validation(format!(
            "references used twice in the package: {}; nothing was written",
            dup.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    for (name, bytes) in package::render(state, settings.environment.host()) {
        files::write(&name, &bytes).map_err(|e| file_error(&name, "write", e))?;
    }
    Ok(())
}

/// The billing address as the package keeps it (line 1, line 2, city, region, postal code,
/// country); none when every part is empty.
fn address(parts: &[Option<String>]) -> Option<Address> {
    let part = |i: usize| parts.get(i).cloned().flatten();
    parts.iter().any(Option::is_some).then(|| Address {
        line1: part(0),
        line2: part(1),
        city: part(2),
        region: part(3),
        postal_code: part(4),
        country: part(5),
    })
}

/// The customers OrderTrac holds. Before its customers report is dropped into `exports/`,
/// the package is what OrderTrac will hold. With the report, a package customer is there
/// when the report has its name (any case), with the report's name, e-mail and phone (the
/// columns the report has; the rest as sent); one the report lacks has not arrived and is
/// left out (compare shows it missing); a report customer the package never sent is
/// OrderTrac's own, `OT-<Customer #>`.
fn customers(state: &State, report: Option<&[ExportCustomer]>) -> Vec<Customer> {
    let norm = |s: &str| s.trim().to_lowercase();
    let mut out = Vec::new();
    let mut claimed = vec![false; report.map_or(0, <[_]>::len)];
    for (id, e) in &state.customers {
        let c = &e.customer;
        let mut customer = Customer {
            key: e.key.clone(),
            remote_id: Some(id.clone()),
            version: Some(e.version.to_string()),
            idempotency_key: None,
            name: c.name.clone(),
            account_number: None,
            contact_name: c.contact.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            tax_number: c.tax_number.clone(),
            billing_address: address(&c.address),
            shipping_address: None,
            currency: c.currency.clone(),
            active: c.active,
            updated_at: e.changed_at.clone(),
        };
        if let Some(report) = report {
            // An OrderTrac customer the package updates keeps its own number as its id.
            let found = report.iter().position(|r| {
                id.strip_prefix(state::ORDERTRAC_CUSTOMER).map_or_else(
                    || norm(&r.name) == norm(&c.name),
                    |number| r.number == number,
                )
            });
            let Some(i) = found else { continue };
            claimed[i] = true;
            let r = &report[i];
            customer.name = r.name.clone();
            customer.email = Some(r.email.clone()).filter(|s| !s.is_empty());
            customer.phone = Some(r.phone.clone()).filter(|s| !s.is_empty());
        }
        out.push(customer);
    }
    for (r, _) in report
        .unwrap_or_default()
        .iter()
        .zip(claimed)
        .filter(|(_, claimed)| !claimed)
    {
        out.push(Customer {
            key: String::new(),
            remote_id: Some(format!("{}{}", state::ORDERTRAC_CUSTOMER, r.number)),
            version: None,
            idempotency_key: None,
            name: r.name.clone(),
            account_number: None,
            contact_name: None,
            email: Some(r.email.clone()).filter(|s| !s.is_empty()),
            phone: Some(r.phone.clone()).filter(|s| !s.is_empty()),
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        });
    }
    out
}

/// What OrderTrac's reports in `exports/` say: its orders, and its customers when a
/// customers report is there (`None` when not: the package stands for them).
struct Exports {
    orders: Vec<ExportOrder>,
    customers: Option<Vec<ExportCustomer>>,
}

/// Every report in `exports/` (an unrecognised CSV is refused).
fn read_exports() -> Result<Exports, ConnectorError> {
    let mut out = Exports {
        orders: Vec::new(),
        customers: None,
    };
    let names = match files::list_dir(EXPORTS_FOLDER) {
        Ok(names) => names,
        Err(FileError::NotFound(_)) => return Ok(out),
        Err(e) => return Err(file_error(EXPORTS_FOLDER, "list", e)),
    };
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| n.to_lowercase().ends_with(".csv"))
        .collect();
    names.sort();
    for n in names {
        let path = format!("{EXPORTS_FOLDER}/{n}");
        let bytes = files::read(&path).map_err(|e| file_error(&path, "read", e))?;
        match package::read_report(&path, &bytes)
            .map_err(|e| error::validation(e.0).at(path.clone()))?
        {
            Report::Orders(orders) => out.orders.extend(orders),
            Report::Customers(customers) => {
                let all = out.customers.get_or_insert_with(Vec::new);
                for c in customers {
                    if let Some(first) = all.iter().find(|o| o.number == c.number) {
                        return Err(error::validation(format!(
                            "{}: customer # {} is also on {}; keep one customers report in {EXPORTS_FOLDER}/",
                            c.at, c.number, first.at
                        ))
                        .at(path.clone()));
                    }
                    all.push(c);
                }
            }
        }
    }
    Ok(out)
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

fn load_state(settings: &Settings) -> Result<State, ConnectorError> {
    let env = settings.environment.name();
    match files::read(STATE_FILE) {
        Ok(bytes) => State::parse(&bytes, env),
        Err(FileError::NotFound(_)) => Ok(State::new(env)),
        Err(e) => Err(file_error(STATE_FILE, "read", e)),
    }
}

fn save_state(state: &State) -> Result<(), ConnectorError> {
    files::write(STATE_FILE, &state.to_bytes()).map_err(|e| file_error(STATE_FILE, "write", e))
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
