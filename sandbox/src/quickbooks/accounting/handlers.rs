//! The HTTP handlers of `/qbo/v3/company/{realmId}/...`: each parses what
//! it needs and hands an operation to [`Call::serve`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::fault::QboFault;
use super::pipeline::{Access, Call};
use super::realm::Kind;
use super::{batch, cdc, customers, invoices, payments, preferences, query};
use crate::state::Core;

type Params = Query<HashMap<String, String>>;

/// The JSON body, or 2010 if it is not JSON.
fn json_body(body: &Bytes) -> Result<Value, QboFault> {
    serde_json::from_slice(body).map_err(|error| {
        QboFault::validation(
            "2010",
            "Request has invalid or unsupported property",
            format!("Error parsing object: {error}"),
        )
    })
}

/// `{"<Kind>": entity}`.
fn wrapped(kind: Kind, entity: Value) -> Value {
    let mut body = serde_json::Map::new();
    body.insert(kind.name().to_owned(), entity);
    Value::Object(body)
}

fn call(
    core: Arc<Core>,
    headers: HeaderMap,
    realm_id: String,
    params: HashMap<String, String>,
    access: Access,
) -> Call {
    Call {
        core,
        headers,
        realm_id,
        params,
        access,
    }
}

/// `GET /customer|invoice|creditmemo|payment|item|taxcode/{id}`.
async fn read(
    kind: Kind,
    core: Arc<Core>,
    headers: HeaderMap,
    realm_id: String,
    id: String,
    params: HashMap<String, String>,
) -> Response {
    call(core, headers, realm_id, params, Access::Read)
        .serve(move |realm, _| {
            realm
                .get(kind, &id)
                .map(|entity| wrapped(kind, entity.served()))
                .ok_or_else(|| QboFault::not_found(kind.name(), &id))
        })
        .await
}

macro_rules! reader {
    ($name:ident, $kind:expr) => {
        pub(crate) async fn $name(
            State(core): State<Arc<Core>>,
            headers: HeaderMap,
            Path((realm_id, id)): Path<(String, String)>,
            Query(params): Params,
        ) -> Response {
            read($kind, core, headers, realm_id, id, params).await
        }
    };
}

reader!(read_customer, Kind::Customer);
reader!(read_invoice, Kind::Invoice);
reader!(read_credit_memo, Kind::CreditMemo);
reader!(read_payment, Kind::Payment);
reader!(read_item, Kind::Item);
reader!(read_tax_code, Kind::TaxCode);

/// `POST /customer`.
pub(crate) async fn write_customer(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    call(core, headers, realm_id, params, Access::Write)
        .serve(move |realm, now| {
            let body = json_body(&body)?;
            customers::write(realm, &body, now).map(|customer| wrapped(Kind::Customer, customer))
        })
        .await
}

/// `POST /invoice[?operation=delete|void|update]`.
pub(crate) async fn write_invoice(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    let operation = params.get("operation").cloned();
    call(core, headers, realm_id, params, Access::Write)
        .serve(move |realm, now| {
            let body = json_body(&body)?;
            invoices::write(realm, Kind::Invoice, &body, operation.as_deref(), now)
                .map(|invoice| wrapped(Kind::Invoice, invoice))
        })
        .await
}

/// `POST /creditmemo[?operation=delete|update]`.
pub(crate) async fn write_credit_memo(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    let operation = params.get("operation").cloned();
    call(core, headers, realm_id, params, Access::Write)
        .serve(move |realm, now| {
            let body = json_body(&body)?;
            invoices::write(realm, Kind::CreditMemo, &body, operation.as_deref(), now)
                .map(|memo| wrapped(Kind::CreditMemo, memo))
        })
        .await
}

/// `GET /preferences`.
pub(crate) async fn read_preferences(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
) -> Response {
    call(core, headers, realm_id, params, Access::Read)
        .serve(move |realm, _| Ok(json!({ "Preferences": preferences::served(realm) })))
        .await
}

/// `POST /preferences`: the sandbox models no writable preference; Intuit does not let an app
/// turn multicurrency on (the company's admin does, once, in QuickBooks).
pub(crate) async fn write_preferences(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
) -> Response {
    call(core, headers, realm_id, params, Access::Write)
        .serve(move |_, _| Err(invoices::unsupported_operation("update")))
        .await
}

/// `POST /payment`.
pub(crate) async fn write_payment(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    call(core, headers, realm_id, params, Access::Write)
        .serve(move |realm, now| {
            let body = json_body(&body)?;
            payments::write(realm, &body, now).map(|payment| wrapped(Kind::Payment, payment))
        })
        .await
}

/// `GET /query?query=...`.
pub(crate) async fn query_get(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
) -> Response {
    let text = params.get("query").cloned().unwrap_or_default();
    run_query(core, headers, realm_id, params, text).await
}

/// `POST /query` with the query as the body (`Content-Type: application/text`)
/// or as `?query=`.
pub(crate) async fn query_post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    let text = match params.get("query") {
        Some(text) => text.clone(),
        None => String::from_utf8_lossy(&body).into_owned(),
    };
    run_query(core, headers, realm_id, params, text).await
}

async fn run_query(
    core: Arc<Core>,
    headers: HeaderMap,
    realm_id: String,
    params: HashMap<String, String>,
    text: String,
) -> Response {
    call(core, headers, realm_id, params, Access::Read)
        .serve(move |realm, _| {
            query::run(realm, &text).map(|response| json!({ "QueryResponse": response }))
        })
        .await
}

/// `GET /cdc?entities=...&changedSince=...`.
pub(crate) async fn cdc(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
) -> Response {
    let entities = params.get("entities").cloned();
    let since = params.get("changedSince").cloned();
    call(core, headers, realm_id, params, Access::Read)
        .serve(move |realm, now| {
            let entities = entities.ok_or_else(|| QboFault::required("entities"))?;
            let since = since.ok_or_else(|| QboFault::required("changedSince"))?;
            cdc::run(realm, &entities, &since, now)
                .map(|response| json!({ "CDCResponse": response }))
        })
        .await
}

/// `POST /batch`.
pub(crate) async fn batch(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(realm_id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    call(core, headers, realm_id, params, Access::Batch)
        .serve(move |realm, now| batch::run(realm, &json_body(&body)?, now))
        .await
}
