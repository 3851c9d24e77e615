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
