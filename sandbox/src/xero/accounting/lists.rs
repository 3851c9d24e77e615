//! The read path shared by every GET list: `If-Modified-Since`, `where`,
//! paging; and the reference-data endpoints (`/Accounts`, `/TaxRates`, `/Items`).

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::call::Call;
use super::errors::{self, Reply};
use super::filters::{Order, Where, page};
use super::reference_data::ReferenceData;
use super::wire;
use crate::state::Core;

/// Records per page unless `pageSize` says otherwise, and its ceiling.
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// The `records` (each with its update time) that pass `If-Modified-Since`
/// (when `since_applies`) and `where`, sorted by `order`.
fn select(
    call: &Call,
    headers: &HeaderMap,
    records: Vec<(SystemTime, Value)>,
    since_applies: bool,
) -> Result<Vec<Value>, Reply> {
    let since = match headers
        .get("if-modified-since")
        .filter(|_| since_applies)
        .map(|value| value.to_str().ok().and_then(wire::parse_timestamp))
    {
        None => None,
        Some(Some(since)) => Some(since),
        Some(None) => {
            return Err(errors::query_parse(
                "If-Modified-Since is not a date; send e.g. 2024-05-31T00:00:00 (UTC) or an HTTP date",
            ));
        }
    };
    let filter = match call.query.get("where").map(Where::parse) {
        None => Where::default(),
        Some(Ok(filter)) => filter,
        Some(Err(problem)) => {
            return Err(errors::query_parse(&format!(
                "Invalid where clause: {problem}"
            )));
        }
    };
    let order = match call.query.get("order").map(Order::parse) {
        None => Order::default(),
        Some(Ok(order)) => order,
        Some(Err(problem)) => {
            return Err(errors::query_parse(&format!(
                "Invalid order clause: {problem}"
            )));
        }
    };
    let mut matching: Vec<Value> = records
        .into_iter()
        .filter(|(updated, _)| since.is_none_or(|since| *updated > since))
        .map(|(_, record)| record)
        .filter(|record| filter.matches(record))
        .collect();
    order.sort(&mut matching);
    Ok(matching)
}

/// `{"<collection>": [...]}` of the `records` (each with its update time)
/// that pass `If-Modified-Since` and `where`, sorted by `order`, paged if
/// `page` is given (then with `pagination`).
pub(crate) fn reply(
    call: &Call,
    headers: &HeaderMap,
    collection: &str,
    records: Vec<(SystemTime, Value)>,
) -> Reply {
    let matching = match select(call, headers, records, true) {
        Ok(matching) => matching,
        Err(reply) => return reply,
    };
    let Some(page_number) = call.query.get("page") else {
        return Reply::Json(StatusCode::OK, json!({ collection: matching }));
    };
    let Some(page_number) = page_number.parse::<usize>().ok().filter(|page| *page >= 1) else {
        return errors::query_parse("page must be a whole number from 1");
    };
    let page_size = match call.query.get("pageSize").map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => return errors::query_parse("pageSize must be a whole number from 1 to 1000"),
    };
    let item_count = matching.len();
    let page_count = item_count.div_ceil(page_size);
    Reply::Json(
        StatusCode::OK,
        json!({
            "pagination": {
                "page": page_number,
                "pageSize": page_size,
                "pageCount": page_count,
                "itemCount": item_count,
            },
            collection: page(matching, page_number, page_size),
        }),
    )
}

/// `{"<collection>": [...]}` of the `records` that pass `where` (and
/// `If-Modified-Since` when `since_applies`), sorted by `order`, never paged.
pub(crate) fn unpaged(
    call: &Call,
    headers: &HeaderMap,
    collection: &str,
    records: Vec<(SystemTime, Value)>,
    since_applies: bool,
) -> Reply {
    match select(call, headers, records, since_applies) {
        Ok(records) => Reply::Json(StatusCode::OK, json!({ collection: records })),
        Err(reply) => reply,
    }
}

/// A reference-data list: `where` and `order` (and `If-Modified-Since` where the spec
/// has it), never paged.
async fn reference(
    core: Arc<Core>,
    headers: HeaderMap,
    query: Option<String>,
    collection: &'static str,
    since_applies: bool,
    render: fn(&ReferenceData) -> Vec<(SystemTime, Value)>,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let records = call
        .core
        .xero_books
        .with(call.tenant, |ledger| render(&ledger.data.reference));
    let reply = unpaged(&call, &headers, collection, records, since_applies);
    call.finish(reply).await
}

/// `GET /Accounts`: `where`, `order`, `If-Modified-Since`.
pub(crate) async fn accounts(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    reference(
        core,
        headers,
        query,
        "Accounts",
        true,
        ReferenceData::accounts,
    )
    .await
}

/// `GET /TaxRates`: `where`, `order` (the spec gives it no `If-Modified-Since`).
pub(crate) async fn tax_rates(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    reference(
        core,
        headers,
        query,
        "TaxRates",
        false,
        ReferenceData::tax_rates,
    )
    .await
}

/// `GET /Items`: `where`, `order`, `If-Modified-Since`.
pub(crate) async fn items(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    reference(core, headers, query, "Items", true, ReferenceData::items).await
}
