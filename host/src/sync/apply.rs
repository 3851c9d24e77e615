//! Applying a plan: push the selected records through the connector, crash-safely.
//!
//! For each record: an outbox intent with a deterministic idempotency key is recorded
//! before anything is sent; the result is settled (outbox + id map + run item) in one
//! transaction. Intents left pending by an interrupted run are resolved first: the record
//! is looked up in the target (`find-customers`), and only when it is not there is it sent
//! again, so an interruption at any point neither duplicates a record nor forgets one.

use sha2::{Digest, Sha256};

use super::compare::Action;
use super::fingerprint;
use super::plan::{Plan, Selection};
use crate::runtime::bindings::{Customer, CustomerQuery, WriteAction, Written};
use crate::runtime::{CallContext, CallError, Plugin};
use crate::store::connections::unix;
use crate::store::sync_state::{MapEntry, RunItem, SyncState, SyncStateError};

/// Records per push call: a multiple of every vendor batch size the first-party connectors
/// use (Xero 50, QuickBooks 30), so a call splits into full vendor requests only.
pub const BATCH: usize = 300;

/// Why applying stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The sync state failed.
    #[error(transparent)]
    State(#[from] SyncStateError),
    /// The connector failed as a whole (crash, deadline); the run can be resumed.
    #[error(
        "{0}; the records of this batch are checked again on the next run, so nothing is duplicated"
    )]
    Connector(#[from] CallError),
    /// The connector cannot look records up, which recovery needs.
    #[error("{0}")]
    Recovery(String),
    /// The target could not be read, which matching and the number check need.
    #[error("{0}; nothing was sent, run it again when the connection works")]
    Read(String),
    /// A pull broke a bound (page size, pages, cursor).
    #[error(transparent)]
    Pull(#[from] super::paging::PullError),
    /// The run went past its overall budget.
    #[error("the run was stopped: {0}")]
    OverBudget(#[from] super::run_budget::OverBudget),
    /// A connection setting is wrong.
    #[error("{0}; change it with `ledgerlink connections set`")]
    Setting(String),
}

/// Counts of a finished run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Run id.
    pub run_id: i64,
    /// Created in the target.
    pub created: usize,
    /// Updated.
    pub updated: usize,
    /// Nothing to do.
    pub unchanged: usize,
    /// Not attempted, with a reason.
    pub skipped: usize,
    /// Refused by the target, or by the host's checks.
    pub failed: usize,
    /// Waiting for a person's decision (customer matching review items).
    pub review: usize,
    /// Not sent: it would have overwritten or doubled a record (linked elsewhere, number
    /// already used in the target).
    pub conflict: usize,
    /// Not sent: the target will not accept a change (paid, voided).
    pub locked: usize,
    /// Recovered from an earlier interrupted run.
    pub recovered: usize,
}

impl Summary {
    fn count(&mut self, outcome: &str) {
        match outcome {
            "created" | "would-create" => self.created += 1,
            "updated" | "would-update" => self.updated += 1,
            "unchanged" => self.unchanged += 1,
            "skipped" => self.skipped += 1,
            "review" => self.review += 1,
            "conflict" => self.conflict += 1,
            _ => self.failed += 1,
        }
    }
}

/// The idempotency key of sending `record` for `home_key` over `connection`: the same
/// content for the same record always gets the same key.
pub fn idempotency_key(
    connection: &str,
    entity: &str,
    home_key: &str,
    record: &Customer,
) -> String {
    let mut h = Sha256::new();
    for part in [
        connection,
        entity,
        home_key,
        record.remote_id.as_deref().unwrap_or(""),
        &fingerprint::customer(record),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn action_name(a: WriteAction) -> &'static str {
    match a {
        WriteAction::Created => "created",
        WriteAction::Updated => "updated",
        WriteAction::Unchanged => "unchanged",
    }
}

/// Apply the selected rows of a customer push plan.
// The plan, the selection and the run's switches are each what a caller decides; a struct
// bundling them would only move the list.
#[allow(clippy::too_many_arguments)]
pub async fn push_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    plan_id: i64,
    plan: &Plan,
    selection: &Selection,
    dry_run: bool,
    progress: &dyn super::progress::Progress,
) -> Result<Summary, ApplyError> {
    let connection = plan.connection.as_str();
    let entity = plan.entity.as_str();
    let mut summary = Summary::default();
    if !dry_run {
        summary.recovered = recover_customers(state, plugin, ctx, connection).await?;
    }
    let run_id = state.start_run(Some(plan_id), connection, entity, "push", dry_run)?;
    summary.run_id = run_id;
    let outcome = budgeted(
        ctx,
        apply_rows(
            state,
            plugin,
            ctx,
            plan,
            selection,
            dry_run,
            progress,
            run_id,
            &mut summary,
        ),
    )
    .await;
    if outcome.is_err() {
        progress.finish();
    }
    ended(state, run_id, outcome).map(|()| summary)
}

#[allow(clippy::too_many_arguments)]
async fn apply_rows(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    plan: &Plan,
    selection: &Selection,
    dry_run: bool,
    progress: &dyn super::progress::Progress,
    run_id: i64,
    summary: &mut Summary,
) -> Result<(), ApplyError> {
    let connection = plan.connection.as_str();
    let entity = plan.entity.as_str();
    let mut sending: Vec<(String, Customer)> = Vec::new();
    for planned in &plan.items {
        let item = &planned.item;
        if !selection.includes(item) {
            continue;
        }
        let home_key = item.home_key.clone().unwrap_or_default();
        let base = RunItem {
            home_key: item.home_key.clone(),
            remote_id: item.remote_id.clone(),
            name: item.name.clone(),
            outcome: String::new(),
            reason: String::new(),
        };
        let (outcome, reason) = match (item.action, &planned.record) {
            (Action::Unchanged, _) => ("unchanged", item.reason.clone()),
            (Action::Conflict, _) if !matches!(selection, Selection::Keys(_)) => {
                ("skipped", format!("conflict: {}", item.reason))
            }
            (_, None) => ("skipped", "nothing to send for this row".to_owned()),
            (_, Some(record)) if dry_run => {
                let what = if record.remote_id.is_some() {
                    "would-update"
                } else {
                    "would-create"
                };
                (what, "dry run: nothing was sent".to_owned())
            }
            (_, Some(record)) => {
                let key = idempotency_key(connection, entity, &home_key, record);
                let mut record = record.clone();
                record.idempotency_key = Some(key.clone());
                let payload = serde_json::to_string(&record).unwrap_or_default();
                if state.record_intent(run_id, connection, entity, &home_key, &key, &payload)? {
                    sending.push((key, record));
                    continue;
                }
                ("unchanged", "already sent by an earlier run".to_owned())
            }
        };
        let item = RunItem {
            outcome: outcome.to_owned(),
            reason,
            ..base
        };
        summary.count(&item.outcome);
        state.record_item(run_id, &item)?;
    }

    progress.begin("sending customers", sending.len() as u64);
    for chunk in sending.chunks(BATCH) {
        // Let the run budget's timer be looked at between batches.
        tokio::task::yield_now().await;
        let batch: Vec<Customer> = chunk.iter().map(|(_, c)| c.clone()).collect();
        let results = plugin.push_customers(ctx, batch).await?;
        let mut checked = super::results::check(
            &plugin.manifest().name,
            chunk
                .iter()
                .map(|(_, c)| (c.key.as_str(), c.remote_id.as_deref())),
            results,
            |id| state.linked_home_key(connection, entity, id).ok().flatten(),
        );
        for (key, record) in chunk {
            let result = super::results::take(&mut checked, &plugin.manifest().name, &record.key);
            let outcome = settle(state, run_id, connection, entity, key, record, result)?;
            summary.count(&outcome);
        }
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(())
}

fn settle(
    state: &SyncState,
    run_id: i64,
    connection: &str,
    entity: &str,
    key: &str,
    record: &Customer,
    result: Result<Written, super::results::Refusal>,
) -> Result<String, ApplyError> {
    let base = RunItem {
        home_key: Some(record.key.clone()),
        remote_id: record.remote_id.clone(),
        name: record.name.clone(),
        outcome: String::new(),
        reason: String::new(),
    };
    match result {
        Ok(written) => {
            let fp = fingerprint::customer(record);
            let entry = MapEntry {
                home_key: record.key.clone(),
                remote_id: written.remote_id.clone(),
                home_fingerprint: fp.clone(),
                // The target now holds what was sent.
                remote_fingerprint: fp,
                synced_at: unix(std::time::SystemTime::now()),
            };
            let outcome = action_name(written.action).to_owned();
            let item = RunItem {
                remote_id: Some(written.remote_id),
                outcome: outcome.clone(),
                reason: String::new(),
                ..base
            };
            state.settle(run_id, connection, entity, key, &entry, &item)?;
            Ok(outcome)
        }
        Err(refusal) => {
            let item = RunItem {
                outcome: refusal.outcome().to_owned(),
                reason: refusal.reason,
                ..base
            };
            state.fail_intent(run_id, key, &item)?;
            Ok(item.outcome)
        }
    }
}

/// Resolve intents an interrupted run left pending: found in the target → settled with
/// that id; not found → sent again. Returns how many were resolved.
pub(crate) async fn recover_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
) -> Result<usize, ApplyError> {
    let pending = state.pending(connection, "customers")?;
    if pending.is_empty() {
        return Ok(0);
    }
    let run_id = state.start_run(None, connection, "customers", "recover", false)?;
    let outcome = recover_customer_intents(state, plugin, ctx, connection, run_id, pending).await;
    ended(state, run_id, outcome)
}

/// `work` within the connection's run budget (setting `run-budget-seconds`).
pub(crate) async fn budgeted<T>(
    ctx: &CallContext,
    work: impl std::future::Future<Output = Result<T, ApplyError>>,
) -> Result<T, ApplyError> {
    let budget = super::run_budget::from_settings(&ctx.settings).map_err(ApplyError::Setting)?;
    super::run_budget::within(budget, work).await
}

/// Finish `run_id` when `outcome` is a success, mark it failed (with the reason) when not:
/// a run never stays `running` after the call that started it returns.
pub(crate) fn ended<T>(
    state: &SyncState,
    run_id: i64,
    outcome: Result<T, ApplyError>,
) -> Result<T, ApplyError> {
    match outcome {
        Ok(v) => {
            state.finish_run(run_id)?;
            Ok(v)
        }
        Err(e) => {
            if let Err(also) = state.fail_run(run_id, &e.to_string()) {
                tracing::error!(run_id, error = %also, "could not mark the run failed");
            }
            Err(e)
        }
    }
}

async fn recover_customer_intents(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
    pending: Vec<crate::store::sync_state::Intent>,
) -> Result<usize, ApplyError> {
    let mut resolved = 0;
    for intent in &pending {
        state.mark_interrupted(intent.run_id)?;
    }
    for intent in pending {
        let record: Customer = serde_json::from_str(&intent.payload).map_err(|e| {
            ApplyError::Recovery(format!(
                "the pending write {} cannot be read back: {e}",
                intent.idempotency_key
            ))
        })?;
        let already = match &record.remote_id {
            // An update: sending it again is harmless (same content).
            Some(_) => None,
            None => {
                let query = CustomerQuery {
                    name: Some(record.name.clone()),
                    email: None,
                    tax_number: None,
                };
                let found = plugin.find_customers(ctx, query).await?.map_err(|e| {
                    ApplyError::Recovery(format!(
                        "cannot tell whether {} was created before the interruption: {}",
                        record.name,
                        e.describe()
                    ))
                })?;
                let same: Vec<_> = found
                    .into_iter()
                    .filter(|c| fingerprint::customer(c) == fingerprint::customer(&record))
                    .collect();
                match same.as_slice() {
                    [one] => one.remote_id.clone(),
                    _ => None,
                }
            }
        };
        let result = match already {
            Some(remote_id) => Ok(Written {
                remote_id,
                version: None,
                action: WriteAction::Created,
            }),
            None => {
                let results = plugin.push_customers(ctx, vec![record.clone()]).await?;
                let name = &plugin.manifest().name;
                let mut checked = super::results::check(
                    name,
                    std::iter::once((record.key.as_str(), record.remote_id.as_deref())),
                    results,
                    |id| {
                        state
                            .linked_home_key(connection, "customers", id)
                            .ok()
                            .flatten()
                    },
                );
                super::results::take(&mut checked, name, &record.key)
            }
        };
        settle(
            state,
            run_id,
            connection,
            "customers",
            &intent.idempotency_key,
            &record,
            result,
        )?;
        resolved += 1;
    }
    Ok(resolved)
}
