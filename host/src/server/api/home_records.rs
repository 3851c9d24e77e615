//! `/api/v1/home/jobs` and `/api/v1/home/contract-invoices`: the home book's invoiceable
//! records a page at a time, each with its two Ready-for-Invoice flags, so a screen can list
//! the closed jobs (as Tracker Pro's "Closed Jobs" does) and tick the ones to flag.

use axum::Json;
use axum::extract::{Query, State};

use super::{PageQuery, slice_page};
use crate::home::model::{HomeContractInvoice, HomeJob};
use crate::server::AppState;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::store::home::HomeStoreError;
use crate::transfer::TransferError;

/// Which records, and which page of them.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// Only records with this status (jobs: `open`, `closed`, `cancelled`; contract
    /// invoices: `draft`, `generated`, `cancelled`); every status when absent.
    pub status: Option<String>,
    /// At most this many records (1–500, default 100).
    pub limit: Option<u32>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
}

/// A job or contract invoice with its flags.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FlaggedRecord {
    /// Tracker Pro's id (what `PUT /api/v1/home/{record}/{id}/flags` takes).
    pub id: String,
    /// The number printed on the invoice.
    pub number: String,
    /// The customer billed (a Tracker Pro customer id).
    pub customer_id: String,
    /// `open`, `closed`, `cancelled` (jobs); `draft`, `generated`, `cancelled` (contract invoices).
    pub status: String,
    /// The first Ready-for-Invoice flag.
    pub ready_for_invoice_1: bool,
    /// The second Ready-for-Invoice flag.
    pub ready_for_invoice_2: bool,
    /// Whether the next transfer of its kind includes it (closed or generated, both flags set).
    pub due: bool,
    /// The invoice's date.
    pub invoice_date: String,
    /// The invoice's total, a decimal string.
    #[schema(value_type = String)]
    pub total: rust_decimal::Decimal,
}

/// A page of records, ordered by id.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FlaggedRecordPage {
    /// The records.
    pub items: Vec<FlaggedRecord>,
    /// How many records match (every page).
    pub matching: usize,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

fn status_word(status: impl serde::Serialize) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn of_job(j: &HomeJob) -> FlaggedRecord {
    let status = status_word(j.status);
    FlaggedRecord {
        id: j.id.clone(),
        number: j.number.clone(),
        customer_id: j.customer_id.clone(),
        due: status == "closed" && j.ready_for_invoice_1 && j.ready_for_invoice_2,
        status,
        ready_for_invoice_1: j.ready_for_invoice_1,
        ready_for_invoice_2: j.ready_for_invoice_2,
        invoice_date: j.body.invoice_date.clone(),
        total: j.body.total,
    }
}

fn of_contract_invoice(i: &HomeContractInvoice) -> FlaggedRecord {
    let status = status_word(i.status);
    FlaggedRecord {
        id: i.id.clone(),
        number: i.number.clone(),
        customer_id: i.customer_id.clone(),
        due: status == "generated" && i.ready_for_invoice_1 && i.ready_for_invoice_2,
        status,
        ready_for_invoice_1: i.ready_for_invoice_1,
        ready_for_invoice_2: i.ready_for_invoice_2,
        invoice_date: i.body.invoice_date.clone(),
        total: i.body.total,
    }
}

fn page(all: Vec<FlaggedRecord>, query: &RecordsQuery) -> ApiResult<Json<FlaggedRecordPage>> {
    let paging = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (items, next_cursor) = slice_page(&all, &paging)?;
    Ok(Json(FlaggedRecordPage {
        items,
        matching: all.len(),
        next_cursor,
    }))
}

fn wanted(record: &FlaggedRecord, query: &RecordsQuery) -> bool {
    query.status.as_deref().is_none_or(|s| record.status == s)
}

/// The jobs, with their Ready-for-Invoice flags (read one job at a time; only what a row
/// shows is kept).
#[utoipa::path(get, path = "/api/v1/home/jobs", tag = "home", params(RecordsQuery),
    responses(
        (status = 200, body = FlaggedRecordPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn jobs(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<RecordsQuery>,
) -> ApiResult<Json<FlaggedRecordPage>> {
    let transfers = state.transfers()?;
    let mut all = Vec::new();
    transfers
        .home()
        .each_job(|job| {
            let row = of_job(&job);
            if wanted(&row, &query) {
                all.push(row);
            }
            Ok::<(), HomeStoreError>(())
        })
        .map_err(|e| Problem::from(TransferError::from(e)))?;
    page(all, &query)
}

/// The contract invoices, with their Ready-for-Invoice flags.
#[utoipa::path(get, path = "/api/v1/home/contract-invoices", tag = "home", params(RecordsQuery),
    responses(
        (status = 200, body = FlaggedRecordPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn contract_invoices(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<RecordsQuery>,
) -> ApiResult<Json<FlaggedRecordPage>> {
    let transfers = state.transfers()?;
    let all = transfers
        .home()
        .contract_invoices()
        .map_err(|e| Problem::from(TransferError::from(e)))?
        .iter()
        .map(of_contract_invoice)
        .filter(|r| wanted(r, &query))
        .collect();
    page(all, &query)
}
