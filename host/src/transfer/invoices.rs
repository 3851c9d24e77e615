//! Pushing job and contract invoices: what is due, the numbering and demo rules, then the
//! sync engine's crash-safe push (customers resolved first, read-back after).

use super::TransferError;
use super::numbering::Numbering;
use crate::model::InvoiceKind;
use crate::runtime::{CallContext, Plugin};
use crate::store::home::HomeStore;
use crate::store::sync_state::SyncState;
use crate::sync::apply::Summary;
use crate::sync::invoices::InvoiceJob;
use crate::sync::progress::Progress;

/// How to push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushOptions {
    /// Job or contract invoices.
    pub kind: InvoiceKind,
    /// Who numbers them.
    pub numbering: Numbering,
    /// Demo: only the first N due invoices (a later full run sends the rest).
    pub demo: Option<usize>,
}

/// The invoices a push would send, in order (for a dry run: nothing is sent).
pub fn due(
    home: &HomeStore,
    state: &SyncState,
    connection: &str,
    options: PushOptions,
) -> Result<Vec<InvoiceJob>, TransferError> {
    let mut due = super::due::invoices(home, state, connection, options.kind, options.numbering)?;
    if let Some(n) = options.demo {
        due.truncate(n);
    }
    Ok(due)
}

/// Push what is due of `options.kind` over `connection`.
#[allow(clippy::too_many_arguments)]
pub async fn push(
    home: &HomeStore,
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    options: PushOptions,
    progress: &dyn Progress,
) -> Result<Summary, TransferError> {
    // What is due, by key: each batch is built from the store as it is sent.
    let mut due = super::due::invoice_batches(
        home,
        state,
        connection,
        options.kind,
        options.numbering,
        options.demo,
    )?;
    Ok(crate::sync::invoices::push_from(
        state,
        plugin,
        ctx,
        connection,
        options.kind,
        &mut due,
        progress,
        None,
        Vec::new(),
    )
    .await?)
}
