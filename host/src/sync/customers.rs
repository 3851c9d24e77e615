//! Customer transfers end to end: pull the target's side, compare with the home side and
//! the id map, store the plan.

use std::collections::HashMap;

use super::compare::{self, Action, Direction, Link};
use super::inspect::Refused;
use super::plan::{Plan, PlannedItem};
use crate::model::{ConnectorError, Customer};
use crate::runtime::{CallContext, CallError, Plugin};
use crate::store::sync_state::{SyncState, SyncStateError};

/// Why a compare failed.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The connector failed as a whole.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The connector refused.
    #[error("the connector could not list the target's customers: {}", .0.describe())]
    Connector(ConnectorError),
    /// The pull broke a bound (page size, pages, cursor) or a setting is wrong.
    #[error("the target's customers could not be read: {0}")]
    Pull(super::paging::PullError),
    /// The compare went past the connection's run budget.
    #[error("the compare was stopped: {0}")]
    OverBudget(#[from] super::run_budget::OverBudget),
    /// The state failed.
    #[error(transparent)]
    State(#[from] SyncStateError),
}

impl From<super::paging::PullError> for CompareError {
    fn from(e: super::paging::PullError) -> Self {
        match e {
            super::paging::PullError::Call(c) => CompareError::Call(c),
            super::paging::PullError::Connector(c) => CompareError::Connector(c),
            other => CompareError::Pull(other),
        }
    }
}

/// Every customer in the target, following cursors; records the host refuses are left out
/// (see [`pull_checked`] to have them).
pub async fn pull_all(plugin: &Plugin, ctx: &CallContext) -> Result<Vec<Customer>, CompareError> {
    pull_since(plugin, ctx, None).await
}

/// The customers changed in the target since `since` (all with `None`), following cursors.
pub async fn pull_since(
    plugin: &Plugin,
    ctx: &CallContext,
    since: Option<String>,
) -> Result<Vec<Customer>, CompareError> {
    Ok(pull_checked(plugin, ctx, since).await?.0)
}

/// [`pull_since`], with the records the host refused and why.
pub async fn pull_checked(
    plugin: &Plugin,
    ctx: &CallContext,
    since: Option<String>,
) -> Result<(Vec<Customer>, Vec<Refused>), CompareError> {
    Ok(super::paging::customers(plugin, ctx, since).await?)
}

/// Compare `home` (the eligible home customers, taken whole: the plan's rows carry them) with the target over `connection`, store
/// the plan, and return its id and contents.
pub async fn compare_and_plan(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    home: Vec<Customer>,
    direction: Direction,
) -> Result<(i64, Plan), CompareError> {
    compare_and_plan_since(state, plugin, ctx, connection, home, direction, None).await
}

/// [`compare_and_plan`] reading only the target's customers changed since `since` (a
/// delta compare; pull direction only, where the plan is made of the target's records).
pub async fn compare_and_plan_since(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    home: Vec<Customer>,
    direction: Direction,
    since: Option<String>,
) -> Result<(i64, Plan), CompareError> {
    // Changes made while we read, or stamped by a clock a little behind ours, are read
    // again next time rather than missed: re-reading an unchanged record is harmless.
    let read_from = (chrono::Utc::now() - chrono::Duration::minutes(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let since = if direction == Direction::Pull {
        since
    } else {
        None
    };
    let budget = super::run_budget::from_settings(&ctx.settings)
        .map_err(|e| CompareError::Pull(super::paging::PullError::Setting(e)))?;
    // A push compares the customers due, and only those: with none due there is nothing
    // to compare, so the target is not read.
    let (remote, refused) = if direction == Direction::Push && home.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        super::run_budget::within(budget, pull_checked(plugin, ctx, since.clone())).await?
    };
    let links: Vec<Link> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| Link {
            home_key: e.home_key,
            remote_id: e.remote_id,
            home_fingerprint: e.home_fingerprint,
            remote_fingerprint: e.remote_fingerprint,
        })
        .collect();
    let items = compare::customers(&home, &remote, &links, direction);
    drop(links);
    // Each planned row carries its record: looked up by key, not by a scan per row, and
    // moved out of `home` at its last use rather than copied (a first compare plans every
    // customer in the book).
    let carries = |action: Action| {
        direction == Direction::Push
            && matches!(action, Action::Add | Action::Update | Action::Conflict)
    };
    let mut home_index: HashMap<String, usize> = HashMap::with_capacity(home.len());
    for (i, h) in home.iter().enumerate() {
        home_index.entry(h.key.clone()).or_insert(i);
    }
    let mut uses = vec![0usize; home.len()];
    for item in &items {
        if let (true, Some(&i)) = (
            carries(item.action),
            item.home_key.as_deref().and_then(|k| home_index.get(k)),
        ) {
            uses[i] += 1;
        }
    }
    let mut home: Vec<Option<Customer>> = home.into_iter().map(Some).collect();
    let mut remote_by_id: HashMap<&str, &Customer> = HashMap::with_capacity(remote.len());
    for c in &remote {
        if let Some(id) = c.remote_id.as_deref() {
            remote_by_id.entry(id).or_insert(c);
        }
    }
    let remote_of =
        |id: &Option<String>| id.as_deref().and_then(|id| remote_by_id.get(id).copied());
    let can_delete = plugin.can("delete");
    let planned = items
        .into_iter()
        .map(|item| {
            let record = match (direction, item.action) {
                (Direction::Push, Action::Add | Action::Update | Action::Conflict) => item
                    .home_key
                    .as_deref()
                    .and_then(|k| home_index.get(k).copied())
                    .and_then(|i| {
                        uses[i] -= 1;
                        if uses[i] == 0 {
                            home[i].take()
                        } else {
                            home[i].clone()
                        }
                    })
                    .map(|mut r| {
                        // Updates carry the target's id and concurrency token, so a stale
                        // write is refused instead of applied.
                        let target = remote_of(&item.remote_id);
                        r.remote_id = target.and_then(|t| t.remote_id.clone());
                        r.version = target.and_then(|t| t.version.clone());
                        r
                    }),
                (Direction::Pull, Action::Add | Action::Update | Action::Conflict) => {
                    remote_of(&item.remote_id).cloned()
                }
                _ => None,
            };
            let not_undoable = super::plan::not_undoable(direction, item.action, can_delete);
            PlannedItem {
                item,
                record,
                not_undoable,
            }
        })
        .collect();
    drop(home);
    let plan = Plan {
        version: super::plan::PLAN_VERSION,
        connection: connection.to_owned(),
        entity: "customers".to_owned(),
        direction,
        items: planned,
        since,
        read_from: Some(read_from),
        refused,
    };
    let dir = match direction {
        Direction::Push => "push",
        Direction::Pull => "pull",
    };
    let id = state.save_plan_as_json(connection, "customers", dir, &plan)?;
    Ok((id, plan))
}

/// Load a stored plan.
pub fn load_plan(state: &SyncState, id: i64) -> Result<Plan, SyncStateError> {
    let plan: Plan = state
        .read_plan_json(id)?
        .map_err(|e| SyncStateError::Corrupt {
            what: "plan",
            id,
            reason: e.to_string(),
        })?;
    if plan.version > super::plan::PLAN_VERSION {
        return Err(SyncStateError::Corrupt {
            what: "plan",
            id,
            reason: format!(
                "it was made by a newer ledgerlink (plan version {}, this one reads up to {}); compare again to make a new one",
                plan.version,
                super::plan::PLAN_VERSION
            ),
        });
    }
    Ok(plan)
}
