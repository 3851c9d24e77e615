//! Applying a customer plan: push the selected rows through the connector, crash-safely,
//! through the one outbox ([`super::outbox`]: intent → send → check → settle; unknown
//! outcomes resolved by reading the target before anything is sent again).

use super::compare::Action;
use super::outbox::{Outbox, Outcome, Recovered};
use super::plan::{Plan, Selection};
use crate::model::Customer;
use crate::runtime::{CallContext, CallError, Plugin};
use crate::store::sync_state::{RunItem, SyncState, SyncStateError};

pub use super::outbox::BATCH;

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
    /// The records to send could not be read (the home book), said whole by its source.
    #[error("{0}")]
    Source(String),
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
    /// Sent, but the answer was lost: looked for in the target before anything is sent
    /// again (the next run resolves them).
    pub unknown: usize,
    /// Resolved from an earlier interrupted run or lost answer: found in the target.
    pub recovered: usize,
    /// Resolved from an earlier interrupted run or lost answer: not in the target, sent again.
    pub resent: usize,
}

impl Summary {
    /// Count one record's outcome word.
    pub fn count(&mut self, outcome: &str) {
        match outcome {
            "created" | "would-create" => self.created += 1,
            "updated" | "would-update" => self.updated += 1,
            "unchanged" => self.unchanged += 1,
            "skipped" => self.skipped += 1,
            "review" => self.review += 1,
            "conflict" => self.conflict += 1,
            "unknown" => self.unknown += 1,
            "locked" => self.locked += 1,
            _ => self.failed += 1,
        }
    }

    /// The run in one sentence, every count named, always in this order (scripts read it).
    pub fn describe(&self, dry_run: bool) -> String {
        let parts = [
            format!("{} created", self.created),
            format!("{} updated", self.updated),
            format!("{} unchanged", self.unchanged),
            format!("{} locked", self.locked),
            format!("{} for review", self.review),
            format!("{} in conflict", self.conflict),
            format!("{} unknown", self.unknown),
            format!("{} skipped", self.skipped),
            format!("{} failed", self.failed),
        ];
        format!(
            "Run {}{}: {}. `ledgerlink runs show {}` has every record.",
            self.run_id,
            if dry_run {
                " (dry run: nothing was sent)"
            } else {
                ""
            },
            parts.join(", "),
            self.run_id
        )
    }

    /// What recovery did before the run, if anything.
    pub fn recovery_note(&self) -> Option<String> {
        (self.recovered + self.resent > 0).then(|| {
            format!(
                "First resolved {} write(s) whose outcome was not known (an interrupted run or a lost answer), by reading the target: {} already there, {} not there and sent again.",
                self.recovered + self.resent,
                self.recovered,
                self.resent
            )
        })
    }

    /// Why the run did not complete, if it did not: records failed, in conflict or with an
    /// unknown outcome.
    pub fn trouble(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.failed > 0 {
            parts.push(format!("{} record(s) failed", self.failed));
        }
        if self.conflict > 0 {
            parts.push(format!("{} are in conflict", self.conflict));
        }
        if self.unknown > 0 {
            parts.push(format!(
                "{} have an unknown outcome (run the transfer again: they are looked up in the target before anything is sent again)",
                self.unknown
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "{}; see `ledgerlink runs show {}`",
                parts.join(", "),
                self.run_id
            )
        })
    }

    /// Add what recovery resolved to the counts.
    pub fn add_recovered(&mut self, r: Recovered) {
        self.recovered += r.found;
        self.resent += r.resent;
    }
}

/// Apply the selected rows of a customer push plan. The plan is taken whole so that its
/// records are moved into the outbox, not copied (a plan can hold 100,000 customers).
// The plan, the selection and the run's switches are each what a caller decides; a struct
// bundling them would only move the list.
#[allow(clippy::too_many_arguments)]
pub async fn push_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    plan_id: i64,
    plan: Plan,
    selection: &Selection,
    dry_run: bool,
    progress: &dyn super::progress::Progress,
) -> Result<Summary, ApplyError> {
    let connection = plan.connection.clone();
    let connection = connection.as_str();
    let entity = plan.entity.clone();
    let entity = entity.as_str();
    let mut summary = Summary::default();
    if !dry_run {
        summary.add_recovered(recover_customers(state, plugin, ctx, connection).await?);
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
    plan: Plan,
    selection: &Selection,
    dry_run: bool,
    progress: &dyn super::progress::Progress,
    run_id: i64,
    summary: &mut Summary,
) -> Result<(), ApplyError> {
    let Plan {
        connection,
        entity,
        items: planned_items,
        ..
    } = plan;
    let connection = connection.as_str();
    let entity = entity.as_str();
    let outbox = Outbox {
        state,
        plugin,
        ctx,
        connection,
        entity,
        run_id,
    };
    // The rows' items in plan order: decided now, or once the write's intent is recorded.
    let mut rows: Vec<(RunItem, Option<&'static str>, String)> = Vec::new();
    let mut to_send = Vec::new();
    for planned in planned_items {
        let item = &planned.item;
        if !selection.includes(item) {
            continue;
        }
        let base = RunItem {
            home_key: item.home_key.clone(),
            remote_id: item.remote_id.clone(),
            name: item.name.clone(),
            outcome: String::new(),
            reason: String::new(),
        };
        let (outcome, reason) = match (item.action, planned.record) {
            (Action::Unchanged, _) => (Some("unchanged"), item.reason.clone()),
            (Action::Conflict, _) if !matches!(selection, Selection::Keys(_)) => {
                (Some("skipped"), format!("conflict: {}", item.reason))
            }
            (_, None) => (Some("skipped"), "nothing to send for this row".to_owned()),
            (_, Some(record)) if dry_run => {
                let what = if record.remote_id.is_some() {
                    "would-update"
                } else {
                    "would-create"
                };
                (Some(what), "dry run: nothing was sent".to_owned())
            }
            (_, Some(record)) => {
                to_send.push((record, None));
                (None, String::new())
            }
        };
        rows.push((base, outcome, reason));
    }
    // Every intent is recorded (in transactions of a batch) before anything is sent.
    let mut queued = outbox.enqueue_all(to_send)?.into_iter();
    let mut sending = Vec::new();
    let mut items = Vec::new();
    for (base, outcome, reason) in rows {
        let (outcome, reason) = match outcome {
            Some(outcome) => (outcome, reason),
            None => match queued.next().flatten() {
                Some(q) => {
                    sending.push(q);
                    continue;
                }
                None => ("unchanged", "already sent by an earlier run".to_owned()),
            },
        };
        let item = RunItem {
            outcome: outcome.to_owned(),
            reason,
            ..base
        };
        summary.count(&item.outcome);
        items.push(item);
    }
    state.record_items(run_id, &items)?;
    drop(items);

    progress.begin("sending customers", sending.len() as u64);
    outbox
        .deliver(&sending, "", progress, |_, outcome: &Outcome| {
            summary.count(outcome.word());
            progress.outcome(outcome.word());
            Ok(())
        })
        .await?;
    progress.finish();
    Ok(())
}

/// Resolve the customer writes whose outcome is not known (left pending by an interrupted
/// run, or whose answer was lost): found in the target → settled with that id; not found →
/// sent again.
pub(crate) async fn recover_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
) -> Result<Recovered, ApplyError> {
    super::outbox::recover::<Customer>(state, plugin, ctx, connection, "customers").await
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
