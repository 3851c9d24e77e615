//! What is due for a transfer to a connection, by Tracker Pro's rules (`home::eligibility`)
//! and the id map: new, or changed since it was last sent — "changed" judged on the record
//! as it will be sent (numbering applied), so nothing is due forever.

use std::collections::{HashMap, HashSet};

use super::TransferError;
use super::numbering::{self, Numbering};
use crate::home::canonical::{
    to_canonical_contract_invoice, to_canonical_customer, to_canonical_job_invoice,
    to_canonical_order,
};
use crate::home::eligibility::{is_contract_invoice_ready, is_customer_eligible, is_job_ready};
use crate::home::model::HomeCustomer;
use crate::model::fingerprint;
use crate::model::{Customer, InvoiceKind};
use crate::store::home::HomeStore;
use crate::store::sync_state::SyncState;
use crate::sync::apply::ApplyError;
use crate::sync::invoices::{Billing, InvoiceBatches, InvoiceJob, entity};

/// Customers due for a push over `connection`: flagged for integration, and new or changed
/// since they last synced to it.
pub fn customers(
    home: &HomeStore,
    state: &SyncState,
    connection: &str,
) -> Result<Vec<Customer>, TransferError> {
    let last: HashMap<String, String> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| (e.home_key, e.home_fingerprint))
        .collect();
    let all = home.customers()?;
    if all.is_empty() {
        return Err(TransferError::EmptyBook);
    }
    Ok(all
        .iter()
        .filter(|c| is_customer_eligible(c, last.get(&c.id).map(String::as_str)))
        .map(to_canonical_customer)
        .collect())
}

/// Every home customer, for a compare in the pull direction.
pub fn all_customers(home: &HomeStore) -> Result<Vec<Customer>, TransferError> {
    Ok(home
        .customers()?
        .iter()
        .map(to_canonical_customer)
        .collect())
}

/// Every ready invoice of `kind`, as it would be sent under `numbering`, each with its
/// customer and whether it changed since it was last sent (`None`: never sent).
pub fn ready_invoices(
    home: &HomeStore,
    state: &SyncState,
    connection: &str,
    kind: InvoiceKind,
    numbering: Numbering,
) -> Result<Vec<(InvoiceJob, Option<bool>)>, TransferError> {
    ready_where(home, state, connection, kind, numbering, |_| true)
}

/// The ready invoices whose "changed since sent" `keep` accepts. The home book's jobs are
/// read one at a time and only the kept invoices are built whole (with their customer), so
/// a book where little is due is never held in memory.
fn ready_where(
    home: &HomeStore,
    state: &SyncState,
    connection: &str,
    kind: InvoiceKind,
    numbering: Numbering,
    keep: impl Fn(Option<bool>) -> bool,
) -> Result<Vec<(InvoiceJob, Option<bool>)>, TransferError> {
    let last = last_sent(state, connection, kind)?;
    let customers = customers_by_id(home)?;
    let mut ready = Vec::new();
    walk(home, kind, &customers, |_, mut invoice, customer| {
        numbering::apply(numbering, &mut invoice);
        let changed = last
            .get(&invoice.key)
            .map(|fp| *fp != fingerprint::invoice(&invoice));
        if keep(changed) {
            ready.push((
                InvoiceJob {
                    invoice,
                    customer: to_canonical_customer(customer),
                    overwrite: None,
                },
                changed,
            ));
        }
        Ok(())
    })?;
    Ok(ready)
}

/// Home key → fingerprint of the invoices of `kind` last sent over `connection`.
fn last_sent(
    state: &SyncState,
    connection: &str,
    kind: InvoiceKind,
) -> Result<HashMap<String, String>, TransferError> {
    Ok(state
        .id_map(connection, entity(kind))?
        .into_iter()
        .map(|e| (e.home_key, e.home_fingerprint))
        .collect())
}

/// Home customers, ordered by id (as the store reads them, byte order), so one is found by
/// a binary search: no index is built beside 100,000 of them.
struct Customers(Vec<HomeCustomer>);

impl Customers {
    fn new(mut all: Vec<HomeCustomer>) -> Self {
        // Every customer comes in this order from the store; a batch's are sorted here.
        if !all.is_sorted_by(|a, b| a.id <= b.id) {
            all.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        }
        Customers(all)
    }

    fn get(&self, id: &str) -> Option<&HomeCustomer> {
        self.0
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.0[i])
    }
}

fn customers_by_id(home: &HomeStore) -> Result<Customers, TransferError> {
    Ok(Customers::new(home.customers()?))
}

/// [`walk_where`] over the whole book.
fn walk(
    home: &HomeStore,
    kind: InvoiceKind,
    customers: &Customers,
    f: impl FnMut(&str, crate::model::Invoice, &HomeCustomer) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    walk_where(home, kind, customers, None, |_| true, f)
}

/// Every ready invoice of `kind` (of the home records whose ids lie in `range`, when given,
/// and that `wanted` accepts), built as Tracker Pro's rules make it (numbering not applied
/// yet), handed to `f` with the id of the home record it is built from and its customer, in
/// the order of those ids. `customers` holds at least the customers of those invoices.
fn walk_where(
    home: &HomeStore,
    kind: InvoiceKind,
    customers: &Customers,
    range: Option<(&str, &str)>,
    wanted: impl Fn(&str) -> bool,
    mut f: impl FnMut(&str, crate::model::Invoice, &HomeCustomer) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    let customer_of = |id: &str| {
        customers.get(id).ok_or_else(|| {
            TransferError::Dangling(format!(
                "the home book refers to customer {id}, which it does not hold; import it again"
            ))
        })
    };
    match kind {
        InvoiceKind::Job => home.each_job_between(range, |job| {
            if wanted(&job.id) && is_job_ready(&job) {
                let customer = customer_of(&job.customer_id)?;
                f(&job.id, to_canonical_job_invoice(&job, customer), customer)?;
            }
            Ok::<(), TransferError>(())
        })?,
        InvoiceKind::Contract => {
            let contracts = home.contracts()?;
            let within = |id: &str| range.is_none_or(|(first, last)| first <= id && id <= last);
            for inv in home
                .contract_invoices()?
                .iter()
                .filter(|i| within(&i.id) && wanted(&i.id) && is_contract_invoice_ready(i))
            {
                let customer = customer_of(&inv.customer_id)?;
                let Some(contract) = contracts.iter().find(|c| c.id == inv.contract_id) else {
                    return Err(TransferError::Dangling(format!(
                        "contract invoice {} refers to contract {}, which the home book does not hold; import it again",
                        inv.id, inv.contract_id
                    )));
                };
                f(
                    &inv.id,
                    to_canonical_contract_invoice(inv, contract, customer),
                    customer,
                )?;
            }
        }
        // Orders: jobs still open (not closed, not cancelled) — sent only when asked for.
        InvoiceKind::Order => home.each_job_between(range, |job| {
            if wanted(&job.id) && job.status == crate::home::model::JobStatus::Open {
                let customer = customer_of(&job.customer_id)?;
                f(&job.id, to_canonical_order(&job, customer), customer)?;
            }
            Ok::<(), TransferError>(())
        })?,
    }
    Ok(())
}

/// The invoices of one push, known by the ids of the home records they are built from:
/// what is due is decided over the whole book (each invoice built, fingerprinted and
/// dropped), and each batch is built again from the store when it is sent
/// ([`InvoiceBatches`]) with the customers it bills, read by id, so a push never holds
/// every invoice it sends nor every home customer.
pub struct DueInvoices<'a> {
    home: &'a HomeStore,
    kind: InvoiceKind,
    numbering: Numbering,
    /// `(home record id, its customer's id)` of each due invoice, in the walk's order.
    due: Vec<(String, String)>,
    next: usize,
}

impl std::fmt::Debug for DueInvoices<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueInvoices")
            .field("kind", &self.kind)
            .field("due", &self.due.len())
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The invoices of `kind` due for a push over `connection` (as [`invoices`]), the first
/// `limit` of them when given, to be built a batch at a time.
pub fn invoice_batches<'a>(
    home: &'a HomeStore,
    state: &SyncState,
    connection: &str,
    kind: InvoiceKind,
    numbering: Numbering,
    limit: Option<usize>,
) -> Result<DueInvoices<'a>, TransferError> {
    let last = last_sent(state, connection, kind)?;
    let customers = customers_by_id(home)?;
    let mut due = Vec::new();
    walk(home, kind, &customers, |id, mut invoice, customer| {
        if limit.is_some_and(|n| due.len() >= n) {
            return Ok(());
        }
        numbering::apply(numbering, &mut invoice);
        let changed = last
            .get(&invoice.key)
            .is_none_or(|fp| *fp != fingerprint::invoice(&invoice));
        if changed {
            due.push((id.to_owned(), customer.id.clone()));
        }
        Ok(())
    })?;
    Ok(DueInvoices {
        home,
        kind,
        numbering,
        due,
        next: 0,
    })
}

impl InvoiceBatches for DueInvoices<'_> {
    fn count(&self) -> usize {
        self.due.len() - self.next
    }

    fn customer_keys(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.due[self.next..]
            .iter()
            .filter(|(_, c)| seen.insert(c.as_str()))
            .map(|(_, c)| c.clone())
            .collect()
    }

    fn customers(&mut self, keys: &[&str]) -> Result<Vec<Customer>, ApplyError> {
        Ok(self
            .home
            .customers_among(keys)
            .map_err(|e| ApplyError::Source(e.to_string()))?
            .iter()
            .map(to_canonical_customer)
            .collect())
    }

    fn next_batch(
        &mut self,
        n: usize,
    ) -> Result<(Vec<Billing>, Vec<(String, String)>), ApplyError> {
        let end = self.due.len().min(self.next + n.max(1));
        let batch = &self.due[self.next..end];
        self.next = end;
        let (Some((first, _)), Some((last, _))) = (batch.first(), batch.last()) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let wanted: HashSet<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
        // Only the customers this batch bills, read by id.
        let mut billed: Vec<&str> = batch.iter().map(|(_, c)| c.as_str()).collect();
        billed.sort_unstable();
        billed.dedup();
        let customers = Customers::new(
            self.home
                .customers_among(&billed)
                .map_err(|e| ApplyError::Source(e.to_string()))?,
        );
        let mut done: HashSet<&str> = HashSet::with_capacity(batch.len());
        let mut built = Vec::with_capacity(batch.len());
        let numbering = self.numbering;
        walk_where(
            self.home,
            self.kind,
            &customers,
            Some((first, last)),
            |id| wanted.contains(id),
            |id, mut invoice, customer| {
                if let Some(id) = wanted.get(id) {
                    done.insert(id);
                    numbering::apply(numbering, &mut invoice);
                    built.push(Billing {
                        invoice,
                        customer_key: customer.id.clone(),
                        overwrite: None,
                    });
                }
                Ok(())
            },
        )
        .map_err(|e| ApplyError::Source(e.to_string()))?;
        // Due when the push began, not ready (or not there) now: changed by another
        // process in between; left for the next run to judge.
        let gone = batch
            .iter()
            .filter(|(id, _)| !done.contains(id.as_str()))
            .map(|(id, _)| {
                (
                    id.clone(),
                    "not sent: it is no longer ready in the home book (changed while this push ran)"
                        .to_owned(),
                )
            })
            .collect();
        Ok((built, gone))
    }
}

/// Invoices of `kind` due for a push over `connection`: ready, and new or changed since
/// they were last sent (judged as sent under `numbering`).
pub fn invoices(
    home: &HomeStore,
    state: &SyncState,
    connection: &str,
    kind: InvoiceKind,
    numbering: Numbering,
) -> Result<Vec<InvoiceJob>, TransferError> {
    Ok(
        ready_where(home, state, connection, kind, numbering, |changed| {
            changed.is_none_or(|c| c)
        })?
        .into_iter()
        .map(|(job, _)| job)
        .collect(),
    )
}
