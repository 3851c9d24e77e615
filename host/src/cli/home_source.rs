//! Where the CLI's transfers get Tracker Pro's records: the home book in the data folder.

use ledgerlink::home::canonical::to_canonical_customer;
use ledgerlink::home::eligibility::is_customer_eligible;
use ledgerlink::runtime::bindings::Customer;
use ledgerlink::store::home::HomeStore;
use ledgerlink::store::sync_state::SyncState;

use super::Env;

/// Customers due for a push over `connection`: flagged for integration, and new or changed
/// since they last synced to it.
pub fn eligible_customers(env: &Env, connection: &str) -> anyhow::Result<Vec<Customer>> {
    let home = HomeStore::open(&env.data.database())?;
    let map = SyncState::open(&env.data.database())?.id_map(connection, "customers")?;
    let customers = home.customers()?;
    if customers.is_empty() {
        anyhow::bail!(
            "the home book has no customers; import Tracker Pro's data with `ledgerlink home import <file>` first"
        );
    }
    Ok(customers
        .iter()
        .filter(|c| {
            let last = map
                .iter()
                .find(|e| e.home_key == c.id)
                .map(|e| e.home_fingerprint.as_str());
            is_customer_eligible(c, last)
        })
        .map(to_canonical_customer)
        .collect())
}

/// Every home customer, for a compare in the pull direction.
pub fn all_customers(env: &Env) -> anyhow::Result<Vec<Customer>> {
    let home = HomeStore::open(&env.data.database())?;
    Ok(home
        .customers()?
        .iter()
        .map(to_canonical_customer)
        .collect())
}

/// Invoices of `kind` due for a push over `connection` (ready, and new or changed since they
/// last synced), each with its customer.
pub fn eligible_invoices(
    env: &Env,
    connection: &str,
    kind: ledgerlink::runtime::bindings::InvoiceKind,
) -> anyhow::Result<Vec<ledgerlink::sync::invoices::InvoiceJob>> {
    use ledgerlink::home::canonical::{to_canonical_contract_invoice, to_canonical_job_invoice};
    use ledgerlink::home::eligibility::{contract_invoice_eligibility, job_invoice_eligibility};
    use ledgerlink::runtime::bindings::InvoiceKind;
    use ledgerlink::sync::invoices::{InvoiceJob, entity};

    let home = HomeStore::open(&env.data.database())?;
    let map = SyncState::open(&env.data.database())?.id_map(connection, entity(kind))?;
    let last = |key: &str| {
        map.iter()
            .find(|e| e.home_key == key)
            .map(|e| e.home_fingerprint.clone())
    };
    let customers = home.customers()?;
    let customer_of = |id: &str| {
        customers.iter().find(|c| c.id == id).ok_or_else(|| {
            anyhow::anyhow!("the home book refers to customer {id}, which it does not hold")
        })
    };
    let mut jobs = Vec::new();
    match kind {
        InvoiceKind::Job => {
            for job in home.jobs()? {
                let customer = customer_of(&job.customer_id)?;
                if job_invoice_eligibility(&job, customer, last(&job.id).as_deref()).is_eligible() {
                    jobs.push(InvoiceJob {
                        invoice: to_canonical_job_invoice(&job, customer),
                        customer: to_canonical_customer(customer),
                    });
                }
            }
        }
        InvoiceKind::Contract => {
            let contracts = home.contracts()?;
            for inv in home.contract_invoices()? {
                let customer = customer_of(&inv.customer_id)?;
                let Some(contract) = contracts.iter().find(|c| c.id == inv.contract_id) else {
                    anyhow::bail!(
                        "contract invoice {} refers to contract {}, which the home book does not hold",
                        inv.id,
                        inv.contract_id
                    );
                };
                if contract_invoice_eligibility(&inv, contract, customer, last(&inv.id).as_deref())
                    .is_eligible()
                {
                    jobs.push(InvoiceJob {
                        invoice: to_canonical_contract_invoice(&inv, contract, customer),
                        customer: to_canonical_customer(customer),
                    });
                }
            }
        }
    }
    Ok(jobs)
}
