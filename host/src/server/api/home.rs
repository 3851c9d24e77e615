//! `/api/v1/home`: the home book (Tracker Pro's records): what it holds, and importing an
//! uploaded JSON or CSV file through the same checks and transaction as `ledgerlink home
//! import`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};

use crate::home::import::{Format, ImportError, ImportSource};
use crate::home::model::RecordKind;
use crate::home::summary;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, ImportProblem, Problem, ProblemBody};
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
/// transaction; nothing is written when any record has a problem (every one is listed in
/// the 422's `problems`, by file, line and field).
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
                let problems = match &e {
                    home_book::HomeBookError::Import(ImportError::Invalid(invalid)) => invalid
                        .issues
                        .iter()
                        .map(|i| ImportProblem {
                            file: upload_name(&i.file),
                            line: i.line,
                            field: i.field.clone(),
                            message: i.message.clone(),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                // The private folder is the server's business: the messages name the upload.
                let detail = e.to_string().replace(
                    &format!("{}{}", folder.display(), std::path::MAIN_SEPARATOR),
                    "",
                );
                Problem::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, detail)
                    .with_problems(problems)
            })
        });
    let _ = std::fs::remove_dir_all(&folder);
    let counts = serde_json::to_value(result?).map_err(|e| Problem::internal(e.to_string()))?;
    serde_json::from_value(counts)
        .map(Json)
        .map_err(|e| Problem::internal(e.to_string()))
}

/// The file name of a path the importer reported (`upload.json`), without the server's folder.
fn upload_name(file: &str) -> String {
    std::path::Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Which export.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default: one document) or `csv` (the four CSV files of the CSV import format
    /// in one ZIP archive, or one of them with `file`).
    pub format: Option<String>,
    /// With `format=csv`: only this file, as text/csv — `customers.csv`, `jobs.csv`,
    /// `contracts.csv` or `contract-invoices.csv`.
    pub file: Option<String>,
}

/// The home book in the import formats (`ledgerlink home export`): re-importing it gives the
/// same book.
#[utoipa::path(get, path = "/api/v1/home/export", tag = "home",
    params(ExportQuery),
    responses(
        (status = 200, description = "The JSON import format (format=json), the four CSV files in a ZIP archive (format=csv) or one of them (format=csv&file=...)",
            content((Object = "application/json"), (String = "application/zip"), (String = "text/csv"))),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(Problem::bad_request(format!(
            "format {format:?} is not an export format; use json or csv"
        )));
    }
    if query.file.is_some() && format != "csv" {
        return Err(Problem::bad_request(
            "file names one of the CSV files; add format=csv, or drop file for the JSON document",
        ));
    }
    let transfers = state.transfers()?;
    let book = transfers
        .home()
        .load()
        .map_err(crate::transfer::TransferError::from)?;
    let attachment = |content_type: &'static str, name: &str, body: Vec<u8>| {
        (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static(content_type),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    // The names are this server's own constants, never the caller's.
                    axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("attachment")),
                ),
            ],
            body,
        )
            .into_response()
    };
    if format == "json" {
        let text = crate::home::export::to_json(&book)
            .map_err(|e| Problem::internal(format!("could not write the export: {e}")))?;
        return Ok(attachment(
            "application/json",
            "home-book.json",
            text.into_bytes(),
        ));
    }
    let files = crate::home::export::to_csv(&book)
        .map_err(|e| Problem::internal(format!("could not write the export: {e}")))?;
    if let Some(wanted) = &query.file {
        let Some(f) = files.into_iter().find(|f| f.name == wanted) else {
            return Err(Problem::bad_request(format!(
                "{wanted:?} is not one of the export's files; use customers.csv, jobs.csv, contracts.csv or contract-invoices.csv"
            )));
        };
        return Ok(attachment(
            "text/csv; charset=utf-8",
            f.name,
            f.text.into_bytes(),
        ));
    }
    let zip = zip_files(&files)
        .map_err(|e| Problem::internal(format!("could not write the export archive: {e}")))?;
    Ok(attachment("application/zip", "home-book-csv.zip", zip))
}

/// The CSV files in one ZIP archive (deflated), each under its own name.
fn zip_files(files: &[crate::home::export::CsvFile]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write as _;
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        archive.start_file(f.name, options)?;
        archive.write_all(f.text.as_bytes())?;
    }
    Ok(archive.finish()?.into_inner())
}

/// Which flag to set or clear; the record kind's own flag when neither is given.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagsChange {
    /// Both Ready-for-Invoice flags (jobs, contract invoices): true sets, false clears.
    pub ready: Option<bool>,
    /// "Flagged for integration" (customers): true sets, false clears.
    pub integration: Option<bool>,
}

/// What a flag change did.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FlagChanged {
    /// `customer`, `job` or `contract invoice`.
    pub record: String,
    /// Its Tracker Pro id.
    pub id: String,
    /// `ready` or `integration`.
    pub flag: String,
    /// Whether it is now set.
    pub set: bool,
    /// Why the record still will not go, when set but not yet due (a job not closed, a
    /// contract invoice not generated).
    pub note: Option<String>,
}

/// Force a record into (set) or out of (clear) the next transfer, as `ledgerlink home flags
/// set|clear` does. `record` is `customers`, `jobs` or `contract-invoices`.
#[utoipa::path(put, path = "/api/v1/home/{record}/{id}/flags", tag = "home",
    params(("record" = String, Path, description = "customers, jobs or contract-invoices"),
           ("id" = String, Path, description = "The record's Tracker Pro id")),
    request_body = FlagsChange,
    responses(
        (status = 200, body = Vec<FlagChanged>),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn flags(
    State(state): State<AppState>,
    _caller: Caller,
    axum::extract::Path((record, id)): axum::extract::Path<(String, String)>,
    Json(change): Json<FlagsChange>,
) -> ApiResult<Json<Vec<FlagChanged>>> {
    use crate::home::flags::{self, Flag};
    let kind = match record.as_str() {
        "customers" => RecordKind::Customer,
        "jobs" => RecordKind::Job,
        "contract-invoices" => RecordKind::ContractInvoice,
        other => {
            return Err(Problem::not_found(format!(
                "{other:?} is not a kind of record with flags; use customers, jobs or contract-invoices"
            )));
        }
    };
    let mut wanted: Vec<(Flag, bool)> = Vec::new();
    if let Some(on) = change.ready {
        wanted.push((Flag::Ready, on));
    }
    if let Some(on) = change.integration {
        wanted.push((Flag::Integration, on));
    }
    if wanted.is_empty() {
        return Err(Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "say which flag: {{\"{}\": true}} sets it, false clears it",
                match flags::default_flag(kind) {
                    Some(Flag::Integration) => "integration",
                    _ => "ready",
                }
            ),
        ));
    }
    let transfers = state.transfers()?;
    let mut done = Vec::with_capacity(wanted.len());
    for (flag, on) in wanted {
        let note = home_book::set_flag(transfers.home(), kind, &id, flag, on).map_err(|e| {
            use crate::store::home::HomeStoreError;
            use crate::transfer::home_book::HomeBookError;
            let status = match &e {
                HomeBookError::Store(HomeStoreError::NotFound { .. }) => {
                    axum::http::StatusCode::NOT_FOUND
                }
                HomeBookError::Flag(_) => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                _ => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            };
            Problem::new(status, e.to_string())
        })?;
        done.push(FlagChanged {
            record: kind.singular().to_owned(),
            id: id.clone(),
            flag: match flag {
                Flag::Ready => "ready",
                Flag::Integration => "integration",
            }
            .to_owned(),
            set: on,
            note,
        });
    }
    Ok(Json(done))
}
