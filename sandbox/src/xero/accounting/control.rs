//! `/_sandbox/xero/{tenant}/...`: what tests in other crates read and reset
//! (see the table in [`super`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use super::{Data, contacts, errors, invoices, payments};
use crate::state::Core;
use crate::xero::tenants;

fn dump(core: &Core, tenant: &str, render: fn(&Data) -> Value) -> Response {
    let Some(organisation) = tenants::organisation(tenant) else {
        return errors::not_found();
    };
    Json(
        core.xero_books
            .with(organisation.id, |ledger| render(&ledger.data)),
    )
    .into_response()
}

/// `GET /_sandbox/xero/{tenant}/contacts`.
pub(crate) async fn contacts(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
) -> Response {
    dump(&core, &tenant, contacts::dump)
}

/// `GET /_sandbox/xero/{tenant}/invoices`.
pub(crate) async fn invoices(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
) -> Response {
    dump(&core, &tenant, invoices::dump)
}

/// `GET /_sandbox/xero/{tenant}/payments`.
pub(crate) async fn payments(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
) -> Response {
    dump(&core, &tenant, payments::dump)
}

/// `POST /_sandbox/xero/{tenant}/reset`.
pub(crate) async fn reset(State(core): State<Arc<Core>>, Path(tenant): Path<String>) -> Response {
    let Some(organisation) = tenants::organisation(&tenant) else {
        return errors::not_found();
    };
    core.xero_books.reset(organisation.id);
    Json(json!({ "tenant": organisation.id, "reset": true })).into_response()
}
