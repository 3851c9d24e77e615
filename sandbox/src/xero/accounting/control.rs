//! `/_sandbox/xero/{tenant}/...`: what tests in other crates read and reset
//! (see the table in [`super`]).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use super::errors::Reply;
use super::writes;
use super::{Data, contacts, currencies, errors, invoices, payments};
use crate::company::Company;
use crate::profile::Profile;
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

/// `GET /_sandbox/xero/{tenant}/creditnotes`.
pub(crate) async fn credit_notes(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
) -> Response {
    dump(&core, &tenant, invoices::dump_credit_notes)
}

/// `GET /_sandbox/xero/{tenant}/currencies`.
pub(crate) async fn currencies(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
) -> Response {
    dump(&core, &tenant, currencies::dump)
}

/// `POST /_sandbox/xero/{tenant}/currencies` with `{"Code":"AUD"}`.
pub(crate) async fn add_currency(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let Some(organisation) = tenants::organisation(&tenant) else {
        return errors::not_found();
    };
    let elements = match writes::elements(&body, "Currencies") {
        Ok(elements) => elements,
        Err(reply) => return reply.into_response(),
    };
    core.xero_books
        .with(organisation.id, |ledger| {
            match currencies::add(&mut ledger.data, &elements) {
                Reply::Json(StatusCode::OK, _) => {
                    Reply::Json(StatusCode::OK, currencies::dump(&ledger.data))
                }
                refused => refused,
            }
        })
        .into_response()
}

/// `GET /_sandbox/xero/{tenant}/payments`.
pub(crate) async fn payments(
    State(core): State<Arc<Core>>,
    Path(tenant): Path<String>,
) -> Response {
    dump(&core, &tenant, payments::dump)
}

/// `POST /_sandbox/xero/{tenant}/reset`: the tenant's data, counters and faults.
pub(crate) async fn reset(State(core): State<Arc<Core>>, Path(tenant): Path<String>) -> Response {
    let Some(organisation) = tenants::organisation(&tenant) else {
        return errors::not_found();
    };
    core.xero_books.reset(organisation.id);
    core.faults
        .reset(Company::known(Profile::Xero, organisation.id));
    Json(json!({ "tenant": organisation.id, "reset": true })).into_response()
}
