//! Pushing job and contract invoices, with their customers resolved first.
//!
//! For each invoice's customer: the id map; else the connector's `find-customers` (by name,
//! then e-mail) — one match is linked, several are a reported skip, never a guess; else the
//! customer is created (through the outbox like any write; all missing customers of a run
//! together, in batches). Every link is recorded before any invoice is sent, and each
//! customer is resolved once per run, so 50 invoices for a new customer create it once.

use std::collections::HashMap;

use super::apply::{ApplyError, Summary};
use super::fingerprint;
use crate::runtime::bindings::{
    Customer, CustomerQuery, Invoice, InvoiceKind, PushResult, WriteAction,
};
use crate::runtime::{CallContext, Plugin};
use crate::store::connections::unix;
use crate::store::sync_state::{MapEntry, RunItem, SyncState};
use sha2::{Digest, Sha256};

/// An invoice to push and the home customer it bills.
#[derive(Debug, Clone)]
pub struct InvoiceJob {
    /// The invoice (key = home key).
    pub invoice: Invoice,
    /// Its customer as the home book has it (key = home key).
    pub customer: Customer,
}

/// The id-map entity of an invoice kind.
pub fn entity(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Job => "job-invoices",
        InvoiceKind::Contract => "contract-invoices",
    }
}

fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How an invoice is named in reports: its number, or (when the target numbers it) its
/// reference or home key.
fn label(invoice: &Invoice) -> String {
    if !invoice.number.is_empty() {
        invoice.number.clone()
    } else {
        invoice
            .reference
            .clone()
            .unwrap_or_else(|| invoice.key.clone())
    }
}

fn now() -> i64 {
    unix(std::time::SystemTime::now())
}

/// Push `jobs` over `connection`.
pub async fn push(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    jobs: Vec<InvoiceJob>,
    progress: &dyn super::progress::Progress,
) -> Result<Summary, ApplyError> {
    let entity = entity(kind);
    // Writes an interrupted run left in flight are resolved before anything new is sent.
    let mut recovered = super::apply::recover_customers(state, plugin, ctx, connection).await?;
    recovered += recover_invoices(state, plugin, ctx, connection, kind).await?;
    let run_id = state.start_run(None, connection, entity, "push", false)?;
    // Read-back looks at what changed in the target from a little before this run.
    let read_back_since = chrono::Utc::now() - chrono::Duration::minutes(5);
    let mut created: Vec<(Invoice, String)> = Vec::new();
    let mut summary = Summary {
        run_id,
        recovered,
        ..Summary::default()
    };
    let customers =
        resolve_customers(state, plugin, ctx, connection, run_id, &jobs, &mut summary).await?;
    let mut sending: Vec<(String, Invoice)> = Vec::new();

    for job in jobs {
        let resolved = customers
            .get(&job.customer.key)
            .cloned()
            .unwrap_or_else(|| Err("the customer could not be resolved".to_owned()));
        let mut invoice = job.invoice;
        match resolved {
            Err(reason) => {
                let item = RunItem {
                    home_key: Some(invoice.key.clone()),
                    remote_id: None,
                    name: label(&invoice),
                    outcome: "skipped".to_owned(),
                    reason,
                };
                state.record_item(run_id, &item)?;
                summary.skipped += 1;
            }
            Ok(remote_customer) => {
                invoice.customer.remote_id = Some(remote_customer);
                let k = key(&[
                    connection,
                    entity,
                    &invoice.key,
                    &fingerprint::invoice(&invoice),
                ]);
                invoice.idempotency_key = Some(k.clone());
                let payload = serde_json::to_string(&invoice).unwrap_or_default();
                if state.record_intent(run_id, connection, entity, &invoice.key, &k, &payload)? {
                    sending.push((k, invoice));
                } else {
                    state.record_item(
                        run_id,
                        &RunItem {
                            home_key: Some(invoice.key.clone()),
                            remote_id: None,
                            name: label(&invoice),
                            outcome: "unchanged".to_owned(),
                            reason: "already sent by an earlier run".to_owned(),
                        },
                    )?;
                    summary.unchanged += 1;
                }
            }
        }
    }

    progress.begin(
        match kind {
            InvoiceKind::Job => "sending job invoices",
            InvoiceKind::Contract => "sending contract invoices",
        },
        sending.len() as u64,
    );
    for chunk in sending.chunks(super::apply::BATCH) {
        let batch: Vec<Invoice> = chunk.iter().map(|(_, i)| i.clone()).collect();
        let results = plugin.push_invoices(ctx, batch).await?;
        for ((k, invoice), result) in chunk.iter().zip(results) {
            let base = RunItem {
                home_key: Some(invoice.key.clone()),
                remote_id: None,
                name: label(invoice),
                outcome: String::new(),
                reason: String::new(),
            };
            match result.outcome {
                Ok(w) => {
                    let fp = fingerprint::invoice(invoice);
                    let outcome = match w.action {
                        WriteAction::Created => "created",
                        WriteAction::Updated => "updated",
                        WriteAction::Unchanged => "unchanged",
                    };
                    let entry = MapEntry {
                        home_key: invoice.key.clone(),
                        remote_id: w.remote_id.clone(),
                        home_fingerprint: fp.clone(),
                        remote_fingerprint: fp,
                        synced_at: now(),
                    };
                    state.settle(
                        run_id,
                        connection,
                        entity,
                        k,
                        &entry,
                        &RunItem {
                            remote_id: Some(w.remote_id.clone()),
                            outcome: outcome.to_owned(),
                            ..base
                        },
                    )?;
                    if w.action == WriteAction::Created {
                        created.push((invoice.clone(), w.remote_id.clone()));
                    }
                    match w.action {
                        WriteAction::Created => summary.created += 1,
                        WriteAction::Updated => summary.updated += 1,
                        WriteAction::Unchanged => summary.unchanged += 1,
                    }
                }
                Err(e) => {
                    state.fail_intent(
                        run_id,
                        k,
                        &RunItem {
                            outcome: "failed".to_owned(),
                            reason: e.describe(),
                            ..base
                        },
                    )?;
                    summary.failed += 1;
                }
            }
        }
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    if !created.is_empty() && plugin.can("pull-invoices") {
        let since = read_back_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for (home_key, reason) in read_back(plugin, ctx, kind, &since, &created).await? {
            state.amend_item(run_id, &home_key, "failed", &reason)?;
            summary.created -= 1;
            summary.failed += 1;
        }
    }
    state.finish_run(run_id)?;
    Ok(summary)
}

/// Reads the invoices just created back from the target and compares their totals with
/// the home book's, to the cent. Returns `(home key, reason)` for every one that differs
/// or cannot be found.
async fn read_back(
    plugin: &Plugin,
    ctx: &CallContext,
    kind: InvoiceKind,
    since: &str,
    created: &[(Invoice, String)],
) -> Result<Vec<(String, String)>, ApplyError> {
    let mut remote: HashMap<String, Invoice> = HashMap::new();
    let mut cursor = None;
    loop {
        let page = match plugin
            .pull_invoices(ctx, kind, Some(since.to_owned()), cursor)
            .await?
        {
            Ok(page) => page,
            Err(e) => {
                let reason = format!(
                    "created, but its totals could not be read back to check them: {}",
                    e.describe()
                );
                return Ok(created
                    .iter()
                    .map(|(i, _)| (i.key.clone(), reason.clone()))
                    .collect());
            }
        };
        for inv in page.items {
            if let Some(id) = inv.remote_id.clone() {
                remote.insert(id, inv);
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut differ = Vec::new();
    for (home, id) in created {
        let Some(there) = remote.get(id) else {
            differ.push((
                home.key.clone(),
                format!(
                    "created as {id}, but the target did not return it when read back; check invoice {} there",
                    home.number
                ),
            ));
            continue;
        };
        for (what, ours, theirs) in [
            ("total", &home.total, &there.total),
            ("tax total", &home.tax_total, &there.tax_total),
        ] {
            if let Some(reason) = cents_differ(ours, theirs) {
                differ.push((
                    home.key.clone(),
                    format!(
                        "created as {id}, but its {what} there is {theirs} while Tracker Pro has {ours}{reason}; correct invoice {} in the target or the home book",
                        home.number
                    ),
                ));
                break;
            }
        }
    }
    Ok(differ)
}

/// `None` when both amounts are equal to the cent; else a note on why they differ.
fn cents_differ(ours: &str, theirs: &str) -> Option<String> {
    use rust_decimal::{Decimal, RoundingStrategy};
    use std::str::FromStr;
    let cents = |s: &str| {
        Decimal::from_str(s.trim())
            .ok()
            .map(|d| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    };
    match (cents(ours), cents(theirs)) {
        (Some(a), Some(b)) if a == b => None,
        (Some(a), Some(b)) => Some(format!(" (a difference of {})", (b - a).abs())),
        _ => Some(" (not a decimal amount)".to_owned()),
    }
}

/// Each distinct customer of `jobs` → its id in the target (mapped, found by one match, or
/// created), or why it has none. Customers to create are created together, in batches,
/// through the outbox like any write; each link is recorded before any invoice is sent.
async fn resolve_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
    jobs: &[InvoiceJob],
    summary: &mut Summary,
) -> Result<HashMap<String, Result<String, String>>, ApplyError> {
    let map: HashMap<String, String> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| (e.home_key, e.remote_id))
        .collect();
    let mut resolved: HashMap<String, Result<String, String>> = HashMap::new();
    let mut to_create: Vec<(String, Customer)> = Vec::new();
    for job in jobs {
        let customer = &job.customer;
        if resolved.contains_key(&customer.key)
            || to_create.iter().any(|(_, c)| c.key == customer.key)
        {
            continue;
        }
        if let Some(id) = map.get(&customer.key) {
            resolved.insert(customer.key.clone(), Ok(id.clone()));
            continue;
        }
        match find_customer(state, plugin, ctx, connection, customer).await? {
            Some(found) => {
                resolved.insert(customer.key.clone(), found);
            }
            None => {
                // Not in the target: create it, through the outbox like any write.
                let fp = fingerprint::customer(customer);
                let k = key(&[connection, "customers", &customer.key, &fp]);
                let mut sent = customer.clone();
                sent.idempotency_key = Some(k.clone());
                let payload = serde_json::to_string(&sent).unwrap_or_default();
                state.record_intent(
                    run_id,
                    connection,
                    "customers",
                    &customer.key,
                    &k,
                    &payload,
                )?;
                to_create.push((k, sent));
            }
        }
    }
    for chunk in to_create.chunks(super::apply::BATCH) {
        let batch: Vec<Customer> = chunk.iter().map(|(_, c)| c.clone()).collect();
        let results = plugin.push_customers(ctx, batch).await?;
        if results.len() != chunk.len() {
            return Err(ApplyError::Recovery(format!(
                "the connector returned {} results for {} customers",
                results.len(),
                chunk.len()
            )));
        }
        for ((k, customer), result) in chunk.iter().zip(results) {
            let outcome =
                settle_created_customer(state, connection, run_id, k, customer, result, summary)?;
            resolved.insert(customer.key.clone(), outcome);
        }
    }
    Ok(resolved)
}

/// The customer found in the target by name, then e-mail: `Some(Ok(id))` for one match
/// (linked now), `Some(Err(why))` when ambiguous or the lookup failed, `None` when absent.
async fn find_customer(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    customer: &Customer,
) -> Result<Option<Result<String, String>>, ApplyError> {
    let queries = [
        CustomerQuery {
            name: Some(customer.name.clone()),
            email: None,
            tax_number: None,
        },
        CustomerQuery {
            name: None,
            email: customer.email.clone(),
            tax_number: None,
        },
    ];
    for query in queries {
        if query.name.is_none() && query.email.is_none() {
            continue;
        }
        let found = match plugin.find_customers(ctx, query).await? {
            Ok(found) => found,
            Err(e) => {
                return Ok(Some(Err(format!(
                    "the customer {} could not be looked up in the target: {}",
                    customer.name,
                    e.describe()
                ))));
            }
        };
        match found.as_slice() {
            [] => continue,
            [one] => {
                let id = one.remote_id.clone().unwrap_or_default();
                let entry = MapEntry {
                    home_key: customer.key.clone(),
                    remote_id: id.clone(),
                    home_fingerprint: fingerprint::customer(customer),
                    remote_fingerprint: String::new(),
                    synced_at: now(),
                };
                state.link(connection, "customers", &entry)?;
                return Ok(Some(Ok(id)));
            }
            many => {
                let ids: Vec<String> = many.iter().filter_map(|c| c.remote_id.clone()).collect();
                return Ok(Some(Err(format!(
                    "the customer {} matches {} customers in the target ({}); link one by hand",
                    customer.name,
                    many.len(),
                    ids.join(", ")
                ))));
            }
        }
    }
    Ok(None)
}

/// Settle the outbox intent of a customer created for its invoices.
fn settle_created_customer(
    state: &SyncState,
    connection: &str,
    run_id: i64,
    k: &str,
    customer: &Customer,
    result: PushResult,
    summary: &mut Summary,
) -> Result<Result<String, String>, ApplyError> {
    let fp = fingerprint::customer(customer);
    let base = RunItem {
        home_key: Some(customer.key.clone()),
        remote_id: None,
        name: customer.name.clone(),
        outcome: String::new(),
        reason: String::new(),
    };
    match result.outcome {
        Ok(w) => {
            let entry = MapEntry {
                home_key: customer.key.clone(),
                remote_id: w.remote_id.clone(),
                home_fingerprint: fp.clone(),
                remote_fingerprint: fp,
                synced_at: now(),
            };
            state.settle(
                run_id,
                connection,
                "customers",
                k,
                &entry,
                &RunItem {
                    remote_id: Some(w.remote_id.clone()),
                    outcome: "created".to_owned(),
                    reason: "customer created automatically for its invoices".to_owned(),
                    ..base
                },
            )?;
            summary.created += 1;
            Ok(Ok(w.remote_id))
        }
        Err(e) => {
            let reason = format!(
                "the customer {} could not be created: {}",
                customer.name,
                e.describe()
            );
            state.fail_intent(
                run_id,
                k,
                &RunItem {
                    outcome: "failed".to_owned(),
                    reason: reason.clone(),
                    ..base
                },
            )?;
            summary.failed += 1;
            Ok(Err(reason))
        }
    }
}

/// Resolve invoice intents an interrupted run left pending: an invoice with the same
/// number already in the target is settled with its id; otherwise it is sent again.
async fn recover_invoices(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
) -> Result<usize, ApplyError> {
    let entity = entity(kind);
    let pending = state.pending(connection, entity)?;
    if pending.is_empty() {
        return Ok(0);
    }
    // What the target holds, by document number.
    let mut remote: HashMap<String, String> = HashMap::new();
    let mut cursor = None;
    loop {
        let page = plugin
            .pull_invoices(ctx, kind, None, cursor)
            .await?
            .map_err(|e| {
                ApplyError::Recovery(format!(
                    "cannot tell which invoices were sent before the interruption: {}",
                    e.describe()
                ))
            })?;
        for inv in page.items {
            if let Some(id) = inv.remote_id {
                remote.insert(inv.number, id);
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let run_id = state.start_run(None, connection, entity, "recover", false)?;
    let mut resolved = 0;
    for intent in &pending {
        state.mark_interrupted(intent.run_id)?;
    }
    for intent in pending {
        let invoice: Invoice = serde_json::from_str(&intent.payload).map_err(|e| {
            ApplyError::Recovery(format!(
                "the pending write {} cannot be read back: {e}",
                intent.idempotency_key
            ))
        })?;
        // Target-numbered invoices (empty number) cannot be found by number; the connector's
        // idempotency key makes sending them again safe.
        let found = (!invoice.number.is_empty())
            .then(|| remote.get(&invoice.number))
            .flatten();
        let result = match found {
            Some(id) => PushResult {
                key: invoice.key.clone(),
                outcome: Ok(crate::runtime::bindings::Written {
                    remote_id: id.clone(),
                    version: None,
                    action: WriteAction::Created,
                }),
            },
            None => plugin
                .push_invoices(ctx, vec![invoice.clone()])
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ApplyError::Recovery("the connector returned no result".to_owned())
                })?,
        };
        let base = RunItem {
            home_key: Some(invoice.key.clone()),
            remote_id: None,
            name: label(&invoice),
            outcome: String::new(),
            reason: String::new(),
        };
        match result.outcome {
            Ok(w) => {
                let fp = fingerprint::invoice(&invoice);
                let entry = MapEntry {
                    home_key: invoice.key.clone(),
                    remote_id: w.remote_id.clone(),
                    home_fingerprint: fp.clone(),
                    remote_fingerprint: fp,
                    synced_at: now(),
                };
                state.settle(
                    run_id,
                    connection,
                    entity,
                    &intent.idempotency_key,
                    &entry,
                    &RunItem {
                        remote_id: Some(w.remote_id),
                        outcome: "created".to_owned(),
                        reason: "completed after an interrupted run".to_owned(),
                        ..base
                    },
                )?;
            }
            Err(e) => {
                state.fail_intent(
                    run_id,
                    &intent.idempotency_key,
                    &RunItem {
                        outcome: "failed".to_owned(),
                        reason: e.describe(),
                        ..base
                    },
                )?;
            }
        }
        resolved += 1;
    }
    state.finish_run(run_id)?;
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::cents_differ;

    #[test]
    fn amounts_are_compared_to_the_cent() {
        assert_eq!(cents_differ("115.00", "115"), None);
        assert_eq!(cents_differ("115.004", "115.00"), None);
        assert_eq!(
            cents_differ("115.00", "115.01").as_deref(),
            Some(" (a difference of 0.01)")
        );
        assert_eq!(
            cents_differ("115.00", "lots").as_deref(),
            Some(" (not a decimal amount)")
        );
    }
}
