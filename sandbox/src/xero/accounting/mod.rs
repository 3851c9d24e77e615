//! Xero's Accounting API (`/xero/api.xro/2.0/...`): contacts, invoices,
//! accounts, tax rates and items, per tenant, as `xero_accounting.yaml` and
//! Xero's docs describe them.

use std::sync::Arc;

use axum::Router;

use crate::state::Core;

/// Every tenant's accounting data.
#[derive(Debug, Default)]
pub(crate) struct Books {}

/// The accounting routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
}
