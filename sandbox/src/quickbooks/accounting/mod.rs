//! QuickBooks Online's Accounting API (`/qbo/v3/company/{realmId}/...`):
//! customers, invoices, items, tax codes, query, CDC and batch, per realm,
//! as Intuit's XSDs and docs describe them.

use std::sync::Arc;

use axum::Router;

use crate::state::Core;

/// Every realm's accounting data.
#[derive(Debug, Default)]
pub(crate) struct Books {}

/// The accounting routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
}
