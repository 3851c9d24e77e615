//! Keeping the host's picture of a target current at the vendor's cost: one paged read of
//! its customers and documents at the connector's largest page, then deltas (`since` the
//! last complete read, less a margin for clock differences) on later runs.

use crate::model::{Customer, Invoice, InvoiceKind};
use crate::runtime::{CallContext, Plugin};
use crate::store::directory::{TargetCustomer, TargetDocument};
use crate::store::sync_state::SyncState;

use super::apply::ApplyError;

/// How far before the start of a read the next delta begins (clock differences).
const MARGIN_MINUTES: i64 = 5;

/// The watermark entity of the target's customers.
const CUSTOMERS: &str = "target-customers";

/// A customer as matching keeps it; `None` without a remote id (nothing to link to).
pub fn target_customer(c: &Customer) -> Option<TargetCustomer> {
    let id = c.remote_id.as_deref().filter(|id| !id.trim().is_empty())?;
    Some(TargetCustomer {
        remote_id: id.to_owned(),
        name: c.name.clone(),
        email: c.email.clone(),
        tax_number: c.tax_number.clone(),
        active: c.active,
    })
}

/// A document as the number check keeps it; `None` without a remote id.
pub fn target_document(entity: &str, i: &Invoice) -> Option<TargetDocument> {
    let id = i.remote_id.as_deref().filter(|id| !id.trim().is_empty())?;
    Some(TargetDocument {
        entity: entity.to_owned(),
        remote_id: id.to_owned(),
        number: i.number.clone(),
        customer_id: i.customer.remote_id.clone(),
    })
}

/// A failed read of the target as the run reports it.
fn read_error(connection: &str, what: &str, why: &str, e: super::paging::PullError) -> ApplyError {
    match e {
        super::paging::PullError::Call(c) => ApplyError::Connector(c),
        super::paging::PullError::Connector(c) => ApplyError::Read(format!(
            "the {what} of {connection} could not be read to {why}: {}",
            c.describe()
        )),
        other => ApplyError::Pull(other),
    }
}

fn started() -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(MARGIN_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Bring the stored target customers of `connection` up to date (a full read the first
/// time, a delta afterwards). `Ok(false)` when the connector cannot list customers.
pub async fn refresh_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
) -> Result<bool, ApplyError> {
    if !plugin.can("pull-customers") {
        return Ok(false);
    }
    let since = state.watermark(connection, CUSTOMERS, "read")?;
    let read_at = started();
    let (pulled, refused) = super::paging::customers(plugin, ctx, since)
        .await
        .map_err(|e| {
            read_error(
                connection,
                "customers",
                "match Tracker Pro's against them",
                e,
            )
        })?;
    for r in &refused {
        tracing::warn!(connection, remote_id = ?r.remote_id, field = %r.field, reason = %r.reason, "target customer refused");
    }
    let found: Vec<TargetCustomer> = pulled.iter().filter_map(target_customer).collect();
    state.upsert_target_customers(connection, &found)?;
    state.set_watermark(connection, CUSTOMERS, "read", &read_at, run_id)?;
    Ok(true)
}

/// Bring the stored documents of both invoice kinds of `connection` up to date.
pub async fn refresh_documents(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
) -> Result<(), ApplyError> {
    if !plugin.can("pull-invoices") {
        return Ok(());
    }
    for kind in [InvoiceKind::Job, InvoiceKind::Contract] {
        let entity = super::invoices::entity(kind);
        let mark = format!("target-{entity}");
        let since = state.watermark(connection, &mark, "read")?;
        let read_at = started();
        let (pulled, _refused) = super::paging::invoices(plugin, ctx, kind, since)
            .await
            .map_err(|e| read_error(connection, "invoices", "check their numbers", e))?;
        let found: Vec<TargetDocument> = pulled
            .iter()
            .filter_map(|i| target_document(entity, i))
            .collect();
        state.upsert_target_documents(connection, &found)?;
        state.set_watermark(connection, &mark, "read", &read_at, run_id)?;
    }
    Ok(())
}
