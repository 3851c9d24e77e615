//! Applying a pull plan: customers from the target into the home book (the
//! "QB/Xero to TP" direction).
//!
//! The home write and the id map are two transactions; a crash between them leaves a home
//! customer that is not linked yet, which the next compare links to its remote record by
//! name (Update/link), so nothing is duplicated.

use super::apply::Summary;
use super::compare::Action;
use super::plan::{Plan, Selection};
use crate::home::canonical::from_canonical_customer;
use crate::model::fingerprint;
use crate::store::connections::unix;
use crate::store::home::{Change, HomeStore, HomeStoreError};
use crate::store::sync_state::{MapEntry, RunItem, SyncState, SyncStateError};

/// Why a pull stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The sync state failed.
    #[error(transparent)]
    State(#[from] SyncStateError),
    /// The home book failed.
    #[error(transparent)]
    Home(#[from] HomeStoreError),
}

/// A home id for a customer first seen in the target: the connection and the remote id.
fn new_home_id(connection: &str, remote_id: &str) -> String {
    let clean: String = remote_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{connection}-{clean}")
}

/// Apply the selected rows of a customer pull plan.
pub fn pull_customers(
    state: &SyncState,
    home: &HomeStore,
    plan_id: i64,
    plan: &Plan,
    selection: &Selection,
    dry_run: bool,
) -> Result<Summary, PullError> {
    let connection = plan.connection.as_str();
    let run_id = state.start_run(Some(plan_id), connection, "customers", "pull", dry_run)?;
    let outcome = pull_rows(state, home, plan, selection, dry_run, run_id);
    if let Err(e) = &outcome
        && let Err(also) = state.fail_run(run_id, &e.to_string())
    {
        tracing::error!(run_id, error = %also, "could not mark the run failed");
    }
    outcome
}

fn pull_rows(
    state: &SyncState,
    home: &HomeStore,
    plan: &Plan,
    selection: &Selection,
    dry_run: bool,
    run_id: i64,
) -> Result<Summary, PullError> {
    let connection = plan.connection.as_str();
    let mut summary = Summary {
        run_id,
        ..Summary::default()
    };
    let tally = |outcome: &str, summary: &mut Summary| match outcome {
        "created" | "would-create" => summary.created += 1,
        "updated" | "would-update" => summary.updated += 1,
        "unchanged" => summary.unchanged += 1,
        "skipped" => summary.skipped += 1,
        _ => summary.failed += 1,
    };
    for planned in &plan.items {
        let item = &planned.item;
        if !selection.includes(item) {
            continue;
        }
        let remote_id = item.remote_id.clone().unwrap_or_default();
        let home_key = item
            .home_key
            .clone()
            .unwrap_or_else(|| new_home_id(connection, &remote_id));
        let base = RunItem {
            home_key: Some(home_key.clone()),
            remote_id: item.remote_id.clone(),
            name: item.name.clone(),
            outcome: String::new(),
            reason: String::new(),
        };
        let (outcome, reason, write) = match (item.action, &planned.record) {
            (Action::Unchanged, _) => ("unchanged", item.reason.clone(), None),
            (Action::Conflict, _) if !matches!(selection, Selection::Keys(_)) => {
                ("skipped", format!("conflict: {}", item.reason), None)
            }
            (_, None) => (
                "skipped",
                "nothing to bring home for this row".to_owned(),
                None,
            ),
            (_, Some(_)) if dry_run => (
                if item.home_key.is_some() {
                    "would-update"
                } else {
                    "would-create"
                },
                "dry run: nothing was written".to_owned(),
                None,
            ),
            (_, Some(record)) => match from_canonical_customer(record, &home_key) {
                Err(e) => ("failed", e.to_string(), None),
                Ok(mut customer) => {
                    // Keep the admin's integration flag on a customer the book already has.
                    if let Some(existing) = home.customer(&home_key)? {
                        customer.flagged_for_integration = existing.flagged_for_integration;
                    }
                    ("", String::new(), Some((customer, record.clone())))
                }
            },
        };
        let item = match write {
            None => RunItem {
                outcome: outcome.to_owned(),
                reason,
                ..base
            },
            Some((customer, record)) => {
                let change = home.upsert_customer(&customer)?;
                let fp = fingerprint::customer(&record);
                let entry = MapEntry {
                    home_key: home_key.clone(),
                    remote_id: remote_id.clone(),
                    home_fingerprint: fp.clone(),
                    remote_fingerprint: fp,
                    synced_at: unix(std::time::SystemTime::now()),
                };
                let outcome = match change {
                    Change::Added => "created",
                    Change::Changed => "updated",
                    Change::Unchanged => "unchanged",
                };
                let item = RunItem {
                    outcome: outcome.to_owned(),
                    ..base
                };
                state.record_pulled(run_id, connection, "customers", &entry, &item)?;
                tally(outcome, &mut summary);
                continue;
            }
        };
        tally(&item.outcome, &mut summary);
        state.record_item(run_id, &item)?;
    }
    state.finish_run(run_id)?;
    // A complete pull (every Add and Update of the plan, none failed) moves the watermark:
    // the next delta compare reads from where this one read.
    if !dry_run
        && summary.failed == 0
        && *selection == Selection::All
        && let Some(at) = &plan.read_from
    {
        state.set_watermark(connection, "customers", "pull", at, run_id)?;
    }
    Ok(summary)
}
