//! Rolling back a run: delete what it created, newest first (invoices before the customers
//! created for them), through the connector's `delete`. What the target refuses to delete is
//! reported, not hidden.

use super::apply::{ApplyError, Summary};
use crate::model::RecordKind;
use crate::runtime::{CallContext, Plugin};
use crate::store::sync_state::{RunItem, SyncState};

/// Roll back run `run_id` of `connection`.
pub async fn rollback(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
) -> Result<Summary, ApplyError> {
    let created = state.created_in_run(run_id)?;
    let rollback_run = state.start_run(None, connection, "mixed", "rollback", false)?;
    let mut summary = Summary {
        run_id: rollback_run,
        ..Summary::default()
    };
    for (entity, home_key, remote_id) in created {
        let kind = if entity == "customers" {
            RecordKind::Customer
        } else {
            RecordKind::Invoice
        };
        let base = RunItem {
            home_key: Some(home_key),
            remote_id: Some(remote_id.clone()),
            name: format!("{entity} {remote_id}"),
            outcome: String::new(),
            reason: String::new(),
        };
        match plugin.delete(ctx, kind, remote_id.clone()).await? {
            Ok(()) => {
                let item = RunItem {
                    outcome: "deleted".to_owned(),
                    reason: format!("rolled back from run {run_id}"),
                    ..base
                };
                state.forget(rollback_run, connection, &entity, &remote_id, &item)?;
                summary.updated += 1;
            }
            Err(e) => {
                let item = RunItem {
                    outcome: "failed".to_owned(),
                    reason: format!(
                        "the target would not delete it: {}; remove it by hand",
                        e.describe()
                    ),
                    ..base
                };
                state.record_item(rollback_run, &item)?;
                summary.failed += 1;
            }
        }
    }
    state.finish_run(rollback_run)?;
    Ok(summary)
}
