//! Customers: pull, find, push (with the duplicate-name and stale-SyncToken rules), deactivate.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{
    ConnectorError, Customer, CustomerPage, CustomerQuery, PushResult, WriteAction, Written,
};

use crate::api;
use crate::batch::{Entity, ItemOutcome};
use crate::fault;
use crate::find;
use crate::map::invoice::CompanyCurrency;
use crate::map::{customer, qbo};
use crate::pull;
use crate::push::{self, Item};
use crate::query;
use crate::requestid;
use crate::settings::Settings;

/// One page of customers.
pub fn pull(since: Option<String>, cursor: Option<String>) -> Result<CustomerPage, ConnectorError> {
    let settings = Settings::load()?;
    let since = pull::normalize_since(since)?;
    let page = pull::page(&settings, "Customer", since.as_deref(), cursor.as_deref())?;
    Ok(CustomerPage {
        items: page
            .found
            .customers
            .into_iter()
            .map(customer::from_qbo)
            .collect::<Result<_, _>>()?,
        next: page.next,
    })
}

/// Customers matching `q`.
pub fn find(q: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
    let settings = Settings::load()?;
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let q = CustomerQuery {
        name: clean(&q.name),
        email: clean(&q.email),
        tax_number: clean(&q.tax_number),
    };
    if q.name.is_none() && q.email.is_none() {
        if q.tax_number.is_some() {
            return Err(error::unsupported_because(
                "QuickBooks cannot search customers by tax number (PrimaryTaxIdentifier is not queryable and is masked in answers); \
                 search by name or e-mail",
            ));
        }
        return Ok(Vec::new());
    }
    let text = query::customers_matching(q.name.as_deref(), q.email.as_deref());
    let found = api::run_query(&settings, &text, "the customer search")?;
    found
        .customers
        .into_iter()
        .filter(|c| find::matches(c, &q))
        .map(customer::from_qbo)
        .collect()
}

fn what(c: &Customer) -> String {
    format!("customer {:?}", c.name)
}

/// The customer's current SyncToken when the host did not send one.
fn sync_token_for(settings: &Settings, c: &Customer) -> Result<Option<String>, ConnectorError> {
    match (&c.remote_id, &c.version) {
        (Some(_), Some(v)) => Ok(Some(v.clone())),
        (Some(id), None) => Ok(api::read_customer(settings, id)?.sync_token),
        (None, _) => Ok(None),
    }
}

/// Push a batch; one result per record, in order.
pub fn push(batch: Vec<Customer>) -> Vec<PushResult> {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            return batch
                .into_iter()
                .map(|c| PushResult {
                    key: c.key,
                    outcome: Err(e.clone()),
                })
                .collect();
        }
    };
    // The company's currencies, read once for the push when any customer names a currency.
    let company = if batch
        .iter()
        .any(|c| c.currency.as_deref().is_some_and(|v| !v.trim().is_empty()))
    {
        match api::read_preferences(&settings) {
            Ok(p) => CompanyCurrency::from_preferences(&p),
            Err(e) => {
                return batch
                    .into_iter()
                    .map(|c| PushResult {
                        key: c.key,
                        outcome: Err(e.clone()),
                    })
                    .collect();
            }
        }
    } else {
        None
    };
    let mut results: Vec<Option<Result<Written, ConnectorError>>> = vec![None; batch.len()];
    let mut items = Vec::new();
    for (index, c) in batch.iter().enumerate() {
        let checked = match (&company, c.currency.as_deref()) {
            (Some(company), Some(currency)) => company.check(&what(c), currency, None),
            _ => Ok(()),
        };
        let prepared = checked
            .and_then(|()| sync_token_for(&settings, c))
            .and_then(|token| customer::to_qbo(c, token.as_deref()));
        match prepared {
            Ok(q) => items.push(Item {
                index,
                entity: Entity::Customer(q),
                key: c.idempotency_key.clone(),
            }),
            Err(e) => results[index] = Some(Err(e)),
        }
    }
    for (index, outcome) in push::send_all(&settings, "customers", &items) {
        let c = &batch[index];
        results[index] = Some(outcome.and_then(|o| settle(&settings, c, o)));
    }
    batch
        .into_iter()
        .zip(results)
        .map(|(c, r)| PushResult {
            key: c.key,
            outcome: r.unwrap_or_else(|| {
                Err(error::transient("the customer was not sent; push it again"))
            }),
        })
        .collect()
}

fn action(c: &Customer) -> WriteAction {
    if c.remote_id.is_some() {
        WriteAction::Updated
    } else {
        WriteAction::Created
    }
}

/// Turn one batch item's outcome into the record's result, applying the duplicate-name and
/// stale rules.
fn settle(
    settings: &Settings,
    c: &Customer,
    outcome: ItemOutcome,
) -> Result<Written, ConnectorError> {
    match outcome {
        ItemOutcome::Written { id, sync_token } => Ok(Written {
            remote_id: id,
            version: sync_token,
            action: action(c),
            note: None,
        }),
        ItemOutcome::Missing => Err(error::transient(format!(
            "QuickBooks' batch answer has no result for {}; push it again",
            what(c)
        ))),
        ItemOutcome::Fault(f) if fault::code(&f) == Some(fault::DUPLICATE_NAME) => {
            Err(duplicate_name(settings, c, &f))
        }
        // Never re-read and applied again: the customer changed in QuickBooks since the
        // version the update is based on, and overwriting that change is the person's call.
        ItemOutcome::Fault(f) if fault::code(&f) == Some(fault::STALE) => {
            Err(fault::classify(&f, 400, None, &what(c)).at("version"))
        }
        ItemOutcome::Fault(f) => Err(fault::classify(&f, 400, None, &what(c))),
    }
}

/// A duplicate DisplayName is never created twice: find who has it and report `duplicate`
/// with that customer's Id, for the host to link to.
fn duplicate_name(settings: &Settings, c: &Customer, f: &qbo::Fault) -> ConnectorError {
    let name = c.name.trim();
    let text = query::customers_matching(Some(name), None);
    let existing = api::run_query(settings, &text, "the duplicate name lookup")
        .ok()
        .and_then(|found| {
            found
                .customers
                .into_iter()
                .find(|q| {
                    q.display_name
                        .as_deref()
                        .is_some_and(|d| d.trim().eq_ignore_ascii_case(name))
                })
                .and_then(|q| q.id)
        })
        .or_else(|| fault::existing_id(f));
    let message = match &existing {
        Some(id) if c.remote_id.as_deref() != Some(id.as_str()) => format!(
            "{} already exists in QuickBooks as customer {id}; link to it instead of creating another",
            what(c)
        ),
        Some(id) => format!(
            "{} already has this name in QuickBooks (customer {id})",
            what(c)
        ),
        None => format!(
            "the name of {} is already used by a vendor or employee in QuickBooks, where display names are unique across \
             customers, vendors and employees; give the customer another name",
            what(c)
        ),
    };
    error::duplicate(message, existing).at("name")
}

/// Rollback of a customer: QuickBooks cannot delete customers, so it is made inactive.
pub fn deactivate(settings: &Settings, id: &str) -> Result<(), ConnectorError> {
    let current = api::read_customer(settings, id)?;
    if current.active == Some(false) {
        return Ok(());
    }
    let token = current.sync_token.unwrap_or_default();
    let body = qbo::Customer {
        id: Some(id.to_owned()),
        sync_token: Some(token.clone()),
        sparse: Some(true),
        active: Some(false),
        ..qbo::Customer::default()
    };
    let request_id = requestid::derive("customer/deactivate", [id, token.as_str()]);
    api::post(settings, "customer", &[], Some(&request_id), &body)?
        .into_result(&format!("customer {id}"))?;
    Ok(())
}
