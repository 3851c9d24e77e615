//! The HTTP side of Notes: API key, idempotency, JSON in and out, list queries.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::book::{Book, ListQuery, Replay, parse_cursor};
use super::records::{CustomerInput, InvoiceInput};
use super::{Refusal, valid_key};
use crate::clock::rfc3339;
use crate::state::Core;

type Params = Query<HashMap<String, String>>;

fn answer(status: u16, body: Value) -> Response {
    match StatusCode::from_u16(status) {
        Ok(StatusCode::NO_CONTENT) => StatusCode::NO_CONTENT.into_response(),
        Ok(code) => (code, Json(body)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn refused(r: &Refusal) -> Response {
    answer(r.status, r.body())
}

fn to_json(value: impl Serialize) -> Value {
    // Every record type here serializes to JSON without fail (no maps with non-string keys).
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The account the request's API key opens.
fn account_key(headers: &HeaderMap) -> Result<String, Refusal> {
    match headers.get("x-api-key").map(HeaderValue::to_str) {
        Some(Ok(key)) if valid_key(key.trim()) => Ok(key.trim().to_owned()),
        Some(_) => Err(Refusal::unauthorized(
            "the API key in X-Api-Key is not a Notes key (nk_…, 16 characters or more)".to_owned(),
        )),
        None => Err(Refusal::unauthorized(
            "send your API key in the X-Api-Key header".to_owned(),
        )),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal {
        status: 400,
        code: "validation",
        message: format!("the body is not the JSON expected: {e}"),
        field: None,
        existing_id: None,
    })
}

/// A read of `key`'s book.
fn read(
    core: &Core,
    headers: &HeaderMap,
    op: impl FnOnce(&Book) -> Result<Value, Refusal>,
) -> Response {
    match account_key(headers).and_then(|key| core.notes_books.with(&key, |book| op(book))) {
        Ok(body) => answer(200, body),
        Err(r) => refused(&r),
    }
}

/// A write to `key`'s book, answered once per `Idempotency-Key`.
fn write(
    core: &Core,
    headers: &HeaderMap,
    request: (&Method, &Uri, &[u8]),
    op: impl FnOnce(&mut Book, &str) -> Result<(u16, Value), Refusal>,
) -> Response {
    let key = match account_key(headers) {
        Ok(key) => key,
        Err(r) => return refused(&r),
    };
    let idempotency = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (method, uri, body) = request;
    let fingerprint = format!("{method} {uri} {:x}", Sha256::digest(body));
    let now = rfc3339(core.clock.now());
    let (status, body, replayed) = core.notes_books.with(&key, |book| {
        if let Some(k) = &idempotency
            && let Some(r) = book.replays.get(k)
        {
            if r.fingerprint == fingerprint {
                return (r.status, r.body.clone(), true);
            }
            let refusal = Refusal::reused_key(format!(
                "Idempotency-Key {k:?} was already used for another request; use a new key for a new request"
            ));
            return (refusal.status, refusal.body(), false);
        }
        let (status, body) = op(book, &now).unwrap_or_else(|r| (r.status, r.body()));
        if let Some(k) = idempotency {
            let replay = Replay {
                fingerprint,
                status,
                body: body.clone(),
            };
            book.replays.insert(k, replay);
        }
        (status, body, false)
    });
    let mut response = answer(status, body);
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// A list request's filters and page.
fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, Refusal> {
    let limit = match params.get("limit") {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| {
                Refusal::validation("limit", format!("limit must be 1 to 200, got {l:?}"))
            })?,
    };
    let after = match params.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => parse_cursor(c).ok_or_else(|| {
            Refusal::validation(
                "cursor",
                format!("cursor {c:?} is not a cursor this API gave; start again without one"),
            )
        })?,
    };
    let updated_since = params
        .get("updated_since")
        .map(|s| {
            DateTime::parse_from_rfc3339(s).map_err(|_| {
                Refusal::validation(
                    "updated_since",
                    format!("updated_since must be an RFC 3339 timestamp, got {s:?}"),
                )
            })
        })
        .transpose()?;
    Ok(ListQuery {
        updated_since,
        after,
        limit,
        name: params.get("name").cloned(),
        email: params.get("email").cloned(),
        kind: params.get("kind").cloned(),
        number: params.get("number").cloned(),
        ids: params
            .get("ids")
            .map(|ids| ids.split(',').map(|s| s.trim().to_owned()).collect()),
    })
}

/// `GET /notes/v1/account`.
pub(crate) async fn account(State(core): State<Arc<Core>>, headers: HeaderMap) -> Response {
    read(&core, &headers, |book| {
        let (customers, invoices) = book.counts();
        Ok(json!({"name": "Notes sandbox account", "customers": customers, "invoices": invoices}))
    })
}

/// Customers or invoices: what the list, read, create, replace and delete routes of one
/// kind of record do with the book.
pub(crate) trait Records {
    /// What a client writes.
    type Input: DeserializeOwned;
    /// One page of a list.
    fn list(book: &Book, query: &ListQuery) -> Value;
    /// One record.
    fn get(book: &Book, id: &str) -> Result<Value, Refusal>;
    /// Create one.
    fn create(book: &mut Book, input: Self::Input, now: &str) -> Result<Value, Refusal>;
    /// Replace one.
    fn update(book: &mut Book, id: &str, input: Self::Input, now: &str) -> Result<Value, Refusal>;
    /// Delete one.
    fn delete(book: &mut Book, id: &str) -> Result<(), Refusal>;
}

/// `/notes/v1/customers`.
pub(crate) struct Customers;
/// `/notes/v1/invoices`.
pub(crate) struct Invoices;

/// `impl Records` over the book's methods for one kind of record.
macro_rules! records {
    ($kind:ty, $input:ty, $list:ident, $get:ident, $create:ident, $update:ident, $delete:ident) => {
        impl Records for $kind {
            type Input = $input;
            fn list(book: &Book, query: &ListQuery) -> Value {
                to_json(book.$list(query))
            }
            fn get(book: &Book, id: &str) -> Result<Value, Refusal> {
                book.$get(id).map(to_json)
            }
            fn create(book: &mut Book, input: $input, now: &str) -> Result<Value, Refusal> {
                book.$create(input, now).map(to_json)
            }
            fn update(
                book: &mut Book,
                id: &str,
                input: $input,
                now: &str,
            ) -> Result<Value, Refusal> {
                book.$update(id, input, now).map(to_json)
            }
            fn delete(book: &mut Book, id: &str) -> Result<(), Refusal> {
                book.$delete(id)
            }
        }
    };
}

records!(
    Customers,
    CustomerInput,
    list_customers,
    customer,
    create_customer,
    update_customer,
    delete_customer
);
records!(
    Invoices,
    InvoiceInput,
    list_invoices,
    invoice,
    create_invoice,
    update_invoice,
    delete_invoice
);

/// `GET` a list.
pub(crate) async fn list<R: Records>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    read(&core, &headers, |book| {
        Ok(R::list(book, &list_query(&params)?))
    })
}

/// `GET` one record.
pub(crate) async fn get_one<R: Records>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    read(&core, &headers, |book| R::get(book, &id))
}

/// `POST` a new record.
pub(crate) async fn create<R: Records>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    write(&core, &headers, (&method, &uri, &body), |book, now| {
        Ok((201, R::create(book, parse(&body)?, now)?))
    })
}

/// `PUT` a record.
pub(crate) async fn update<R: Records>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    write(&core, &headers, (&method, &uri, &body), |book, now| {
        Ok((200, R::update(book, &id, parse(&body)?, now)?))
    })
}

/// `DELETE` a record.
pub(crate) async fn delete<R: Records>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
) -> Response {
    write(&core, &headers, (&method, &uri, &[]), |book, _| {
        R::delete(book, &id).map(|()| (204, Value::Null))
    })
}

/// `POST /notes/v1/invoices/{id}/pay`.
pub(crate) async fn pay_invoice(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
) -> Response {
    write(&core, &headers, (&method, &uri, &[]), |book, now| {
        Ok((200, to_json(book.pay_invoice(&id, now)?)))
    })
}

/// `GET /_sandbox/notes/{key}/customers`.
pub(crate) async fn control_customers(
    State(core): State<Arc<Core>>,
    Path(key): Path<String>,
) -> Json<Value> {
    Json(json!({"data": core.notes_books.with(&key, |b| to_json(b.all_customers()))}))
}

/// `GET /_sandbox/notes/{key}/invoices`.
pub(crate) async fn control_invoices(
    State(core): State<Arc<Core>>,
    Path(key): Path<String>,
) -> Json<Value> {
    Json(json!({"data": core.notes_books.with(&key, |b| to_json(b.all_invoices()))}))
}

/// `POST /_sandbox/notes/{key}/reset`.
pub(crate) async fn control_reset(
    State(core): State<Arc<Core>>,
    Path(key): Path<String>,
) -> Json<Value> {
    core.notes_books.reset(&key);
    Json(json!({"reset": true}))
}
