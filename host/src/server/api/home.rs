//! `/api/v1/home`: the home book (Tracker Pro's records): what it holds, and importing an
//! uploaded JSON or CSV file through the same checks and transaction as `ledgerlink home
//! import`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};

use crate::home::import::{Format, ImportSource};
use crate::home::model::RecordKind;
use crate::home::summary;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::{AppState, passwords};
use crate::transfer::home_book;

/// What the home book holds (the JSON of `ledgerlink home show --json`).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct HomeSummary {
    /// Customers: total, active, flagged_for_integration.
    #[schema(value_type = Object)]
    pub customers: serde_json::Value,
    /// Jobs: total, open, closed, cancelled, closed_and_ready.
    #[schema(value_type = Object)]
    pub jobs: serde_json::Value,
    /// Service contracts.
    pub contracts: u64,
    /// Contract invoices: total, draft, generated, cancelled, ready.
    #[schema(value_type = Object)]
    pub contract_invoices: serde_json::Value,
}

/// The home book's counts.
#[utoipa::path(get, path = "/api/v1/home", tag = "home",
    responses(
        (status = 200, body = HomeSummary),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn show(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<HomeSummary>> {
    let transfers = state.transfers()?;
    let book = transfers
        .home()
        .load()
        .map_err(crate::transfer::TransferError::from)?;
    let s = serde_json::to_value(summary::summarize(&book))
        .map_err(|e| Problem::internal(e.to_string()))?;
    serde_json::from_value(s)
        .map(Json)
        .map_err(|e| Problem::internal(e.to_string()))
}

/// How the upload is to be read.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// For CSV: `customers`, `jobs`, `contracts` or `contract-invoices` (default: from its
    /// first column).
    pub kind: Option<String>,
}

/// What an import changed, per kind: added, changed, unchanged.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportCounts {
    /// Customers.
    #[schema(value_type = Object)]
    pub customers: serde_json::Value,
    /// Jobs.
    #[schema(value_type = Object)]
    pub jobs: serde_json::Value,
    /// Service contracts.
    #[schema(value_type = Object)]
    pub contracts: serde_json::Value,
    /// Contract invoices.
    #[schema(value_type = Object)]
    pub contract_invoices: serde_json::Value,
}

/// Import an uploaded file (the request body): all checked first, then written in one
/// transaction; nothing is written when any record has a problem (every one is listed).
#[utoipa::path(post, path = "/api/v1/home/import", tag = "home", params(ImportQuery),
    request_body(content = String, description = "The file: the JSON import format, or one CSV file", content_type = "application/octet-stream"),
    responses(
        (status = 200, body = ImportCounts),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn import(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportCounts>> {
    let format = match query.format.as_deref().unwrap_or("json") {
        "json" => Format::Json,
        "csv" => Format::Csv,
        other => {
            return Err(Problem::bad_request(format!(
                "format {other:?} is not one ledgerlink imports; use json or csv"
            )));
        }
    };
    let kind = match query.kind.as_deref() {
        None => None,
        Some("customers") => Some(RecordKind::Customer),
        Some("jobs") => Some(RecordKind::Job),
        Some("contracts") => Some(RecordKind::Contract),
        Some("contract-invoices") => Some(RecordKind::ContractInvoice),
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "kind {other:?} is not a kind of record; use customers, jobs, contracts or contract-invoices"
            )));
        }
    };
    // The importer reads files (and streams CSV); the upload is one, in a private folder of
    // the data folder, named so that its messages say "upload.json line 3".
    let folder = state
        .services()
        .data
        .root()
        .join("uploads")
        .join(passwords::random_secret("").map_err(|e| Problem::internal(e.to_string()))?);
    std::fs::create_dir_all(&folder).map_err(|e| Problem::internal(e.to_string()))?;
    let path = folder.join(match format {
        Format::Json => "upload.json",
        Format::Csv => "upload.csv",
    });
    let written = std::fs::write(&path, &body);
    let result = written
        .map_err(|e| Problem::internal(format!("could not keep the upload: {e}")))
        .and_then(|()| {
            let transfers = state.transfers()?;
            let source = ImportSource {
                path: path.clone(),
                format: Some(format),
                kind,
            };
            home_book::import(transfers.home(), &[source]).map_err(|e| {
                Problem::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            })
        });
    let _ = std::fs::remove_dir_all(&folder);
    let counts = serde_json::to_value(result?).map_err(|e| Problem::internal(e.to_string()))?;
    serde_json::from_value(counts)
        .map(Json)
        .map_err(|e| Problem::internal(e.to_string()))
}
