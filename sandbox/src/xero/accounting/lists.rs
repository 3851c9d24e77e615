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
use super::filters::{Where, page};
use super::reference_data::ReferenceData;
use super::wire;
use crate::state::Core;

/// Records per page unless `pageSize` says otherwise, and its ceiling.
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// `{"<collection>": [...]}` of the `records` (each with its update time)
/// that pass `If-Modified-Since` and `where`, paged if `page` is given (then
/// with `pagination`).
pub(crate) fn reply(
    call: &Call,
    headers: &HeaderMap,
    collection: &str,
    records: Vec<(SystemTime, Value)>,
) -> Reply {
    let since = match headers
        .get("if-modified-since")
        .map(|value| value.to_str().ok().and_then(wire::parse_timestamp))
    {
        None => None,
        Some(Some(since)) => Some(since),
        Some(None) => {
            return errors::query_parse(
                "If-Modified-Since is not a date; send e.g. 2024-05-31T00:00:00 (UTC) or an HTTP date",
            );
        }
    };
    let filter = match call.query.get("where").map(Where::parse) {
        None => Where::default(),
        Some(Ok(filter)) => filter,
        Some(Err(problem)) => {
            return errors::query_parse(&format!("Invalid where clause: {problem}"));
        }
    };
    let matching: Vec<Value> = records
        .into_iter()
        .filter(|(updated, _)| since.is_none_or(|since| *updated > since))
        .map(|(_, record)| record)
        .filter(|record| filter.matches(record))
        .collect();
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

async fn reference(
    core: Arc<Core>,
    headers: HeaderMap,
    query: Option<String>,
    render: fn(&ReferenceData) -> Value,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let body = call
        .core
        .xero_books
        .with(call.tenant, |ledger| render(&ledger.data.reference));
    call.finish(Reply::Json(StatusCode::OK, body))
}

/// `GET /Accounts`.
pub(crate) async fn accounts(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    reference(core, headers, query, ReferenceData::accounts_json).await
}

/// `GET /TaxRates`.
pub(crate) async fn tax_rates(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    reference(core, headers, query, ReferenceData::tax_rates_json).await
}

/// `GET /Items`.
pub(crate) async fn items(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    reference(core, headers, query, ReferenceData::items_json).await
}
