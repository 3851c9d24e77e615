//! What is due for a transfer to a connection, by Tracker Pro's rules (`home::eligibility`)
//! and the id map: new, or changed since it was last sent — "changed" judged on the record
//! as it will be sent (numbering applied), so nothing is due forever.

use std::collections::HashMap;

use super::TransferError;
use super::numbering::{self, Numbering};
use crate::home::canonical::{
    to_canonical_contract_invoice, to_canonical_customer, to_canonical_job_invoice,
    to_canonical_order,
};
use crate::home::eligibility::{is_contract_invoice_ready, is_customer_eligible, is_job_ready};
use crate::model::fingerprint;
use crate::model::{Customer, InvoiceKind};
use crate::store::home::HomeStore;
use crate::store::sync_state::SyncState;
use crate::sync::invoices::{InvoiceJob, entity};

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
    let last: HashMap<String, String> = state
        .id_map(connection, entity(kind))?
        .into_iter()
        .map(|e| (e.home_key, e.home_fingerprint))
        .collect();
    let customers = home.customers()?;
    let by_id: HashMap<&str, &crate::home::model::HomeCustomer> =
        customers.iter().map(|c| (c.id.as_str(), c)).collect();
    let customer_of = |id: &str| {
        by_id.get(id).copied().ok_or_else(|| {
            TransferError::Dangling(format!(
                "the home book refers to customer {id}, which it does not hold; import it again"
            ))
        })
    };
    let mut ready = Vec::new();
    let mut add = |mut invoice: crate::model::Invoice,
                   customer: &crate::home::model::HomeCustomer| {
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
    };
    match kind {
        InvoiceKind::Job => home.each_job(|job| {
            if is_job_ready(&job) {
                let customer = customer_of(&job.customer_id)?;
                add(to_canonical_job_invoice(&job, customer), customer);
            }
            Ok::<(), TransferError>(())
        })?,
        InvoiceKind::Contract => {
            let contracts = home.contracts()?;
            for inv in home
                .contract_invoices()?
                .iter()
                .filter(|i| is_contract_invoice_ready(i))
            {
                let customer = customer_of(&inv.customer_id)?;
                let Some(contract) = contracts.iter().find(|c| c.id == inv.contract_id) else {
                    return Err(TransferError::Dangling(format!(
                        "contract invoice {} refers to contract {}, which the home book does not hold; import it again",
                        inv.id, inv.contract_id
                    )));
                };
                add(
                    to_canonical_contract_invoice(inv, contract, customer),
                    customer,
                );
            }
        }
        // Orders: jobs still open (not closed, not cancelled) — sent only when asked for.
        InvoiceKind::Order => home.each_job(|job| {
            if job.status == crate::home::model::JobStatus::Open {
                let customer = customer_of(&job.customer_id)?;
                add(to_canonical_order(&job, customer), customer);
            }
            Ok::<(), TransferError>(())
        })?,
    }
    Ok(ready)
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
