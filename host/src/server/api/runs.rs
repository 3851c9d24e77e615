//! `/api/v1/runs`: what transfers did, record by record (`ledgerlink runs`), their export,
//! and the audit log (`ledgerlink audit`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{PageQuery, encode_cursor, slice_page};
use crate::server::AppState;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::store::runs::{Run, RunItem};

/// A run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunView {
    /// Id.
    pub id: i64,
    /// The plan it applied.
    pub plan_id: Option<i64>,
    /// The connection.
    pub connection: String,
    /// customers, job-invoices, ...
    pub entity: String,
    /// push or pull.
    pub direction: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds.
    pub finished_at: Option<i64>,
    /// running, finished, interrupted, failed.
    pub status: String,
    /// Why a failed run stopped.
    pub failure: Option<String>,
    /// When retention (`ledgerlink purge`) removed the run's records (Unix seconds); the
    /// summary stays, and `GET /api/v1/runs/{id}` gives their counts.
    pub items_purged_at: Option<i64>,
    /// How many records of each outcome a purged run had (only on `GET /api/v1/runs/{id}`).
    pub purged_item_counts: Option<std::collections::BTreeMap<String, u64>>,
}

impl From<Run> for RunView {
    fn from(r: Run) -> Self {
        RunView {
            id: r.id,
            plan_id: r.plan_id,
            connection: r.connection,
            entity: r.entity,
            direction: r.direction,
            dry_run: r.dry_run,
            started_at: r.started_at,
            finished_at: r.finished_at,
            status: r.status,
            failure: r.failure,
            items_purged_at: r.items_purged_at,
            purged_item_counts: None,
        }
    }
}

/// One record's outcome in a run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunItemView {
    /// Tracker Pro's key.
    pub home_key: Option<String>,
    /// The target's id.
    pub remote_id: Option<String>,
    /// The record's name.
    pub name: String,
    /// created, updated, unchanged, skipped, failed, ...
    pub outcome: String,
    /// Why, for a person.
    pub reason: String,
}

impl From<RunItem> for RunItemView {
    fn from(i: RunItem) -> Self {
        RunItemView {
            home_key: i.home_key,
            remote_id: i.remote_id,
            name: i.name,
            outcome: i.outcome,
            reason: i.reason,
        }
    }
}

/// A page of runs.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunPage {
    /// The runs, newest first.
    pub items: Vec<RunView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// A page of a run's records.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunItemPage {
    /// The records, in the order the run handled them.
    pub items: Vec<RunItemView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// Runs, oldest first (as `ledgerlink runs list`).
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs", params(PageQuery),
    responses(
        (status = 200, body = RunPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<RunPage>> {
    let runs: Vec<RunView> = state
        .transfers()?
        .state()
        .runs()?
        .into_iter()
        .map(RunView::from)
        .collect();
    let (items, next_cursor) = slice_page(&runs, &page)?;
    Ok(Json(RunPage { items, next_cursor }))
}

/// One run's summary.
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = i64, Path, description = "The run")),
    responses(
        (status = 200, body = RunView),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RunView>> {
    let transfers = state.transfers()?;
    let (run, _) = transfers.state().run(id)?;
    let mut view = RunView::from(run);
    view.purged_item_counts = transfers.state().purged_items(id)?.map(|(_, c)| c);
    Ok(Json(view))
}

/// The 410 for the records of a run retention removed.
fn purged(state: &AppState, id: i64) -> ApiResult<()> {
    match state.transfers()?.state().purged_items(id)? {
        Some((at, _)) => Err(Problem::new(
            axum::http::StatusCode::GONE,
            format!(
                "the records of run {id} were removed by retention (`ledgerlink purge`) on {}; its summary and counts stay: GET /api/v1/runs/{id}",
                chrono::DateTime::from_timestamp(at, 0)
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default()
            ),
        )),
        None => Ok(()),
    }
}

/// A run's records, page by page.
#[utoipa::path(get, path = "/api/v1/runs/{id}/items", tag = "runs",
    params(("id" = i64, Path, description = "The run"), PageQuery),
    responses(
        (status = 200, body = RunItemPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "Retention removed the run's records", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn items(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<RunItemPage>> {
    // The cursor is the number of the last item given.
    let (items, more) =
        state
            .transfers()?
            .state()
            .run_items_page(id, page.position()?, page.limit())?;
    purged(&state, id)?;
    let next_cursor = more
        .then(|| items.last().map(|(seq, _)| encode_cursor(*seq)))
        .flatten();
    Ok(Json(RunItemPage {
        items: items
            .into_iter()
            .map(|(_, item)| RunItemView::from(item))
            .collect(),
        next_cursor,
    }))
}

/// A whole run, as exported in JSON.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunExport {
    /// The run.
    pub run: RunView,
    /// Every record.
    pub items: Vec<RunItemView>,
}

/// The export's format.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `json` (the run and every record).
    pub format: Option<String>,
    /// For CSV: `problems` (default: the skipped, failed, review and conflict records, for
    /// whoever fixes the data, as `ledgerlink runs show --csv`) or `all` (every record, as
    /// the report shows them).
    pub records: Option<String>,
}

/// A run as a download (CSV or JSON).
#[utoipa::path(get, path = "/api/v1/runs/{id}/export", tag = "runs",
    params(("id" = i64, Path, description = "The run"), ExportQuery),
    responses(
        (status = 200, description = "The run as CSV (format=csv) or JSON (format=json)",
            content((String = "text/csv"), (RunExport = "application/json"))),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "Retention removed the run's records", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let (run, items) = state.transfers()?.state().run(id)?;
    purged(&state, id)?;
    let (body, content_type, file) = match query.format.as_deref().unwrap_or("csv") {
        "json" => (
            serde_json::to_string_pretty(&RunExport {
                run: run.into(),
                items: items.into_iter().map(RunItemView::from).collect(),
            })
            .map_err(|e| Problem::internal(e.to_string()))?,
            "application/json",
            format!("run-{id}.json"),
        ),
        "csv" => {
            let all = match query.records.as_deref().unwrap_or("problems") {
                "problems" => false,
                "all" => true,
                other => {
                    return Err(Problem::bad_request(format!(
                        "records {other:?} is not one this export knows; use problems (the default: the records to act on) or all"
                    )));
                }
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            let write = |w: &mut csv::Writer<Vec<u8>>, row: [&str; 5]| {
                w.write_record(row)
                    .map_err(|e| Problem::internal(e.to_string()))
            };
            write(
                &mut w,
                ["home_key", "remote_id", "name", "outcome", "reason"],
            )?;
            for i in items.iter().filter(|i| {
                all || matches!(
                    i.outcome.as_str(),
                    "skipped" | "failed" | "review" | "conflict"
                )
            }) {
                write(
                    &mut w,
                    [
                        i.home_key.as_deref().unwrap_or(""),
                        i.remote_id.as_deref().unwrap_or(""),
                        &i.name,
                        &i.outcome,
                        &i.reason,
                    ],
                )?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| Problem::internal(e.to_string()))?;
            (
                String::from_utf8_lossy(&bytes).into_owned(),
                "text/csv; charset=utf-8",
                format!("run-{id}.csv"),
            )
        }
        other => {
            return Err(Problem::bad_request(format!(
                "format {other:?} is not an export format; use csv or json"
            )));
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// One line of the audit log.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditView {
    /// Id.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// The server user who made the change (none: the CLI or the engine).
    pub actor: Option<String>,
    /// What kind of change.
    pub action: String,
    /// What changed.
    pub detail: String,
}

/// A page of the audit log, newest first.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// The lines.
    pub items: Vec<AuditView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// The audit log, newest first (admin, support).
#[utoipa::path(get, path = "/api/v1/audit", tag = "runs", params(PageQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<AuditPage>> {
    caller.require_admin_or_support()?;
    let limit = page.limit();
    let mut rows = state
        .accounts()
        .audit_page(page.position()?, i64::try_from(limit + 1).unwrap_or(501))?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more
        .then(|| rows.last().map(|l| encode_cursor(l.id)))
        .flatten();
    Ok(Json(AuditPage {
        items: rows
            .into_iter()
            .map(|l| AuditView {
                id: l.id,
                at: l.at,
                actor: l.actor,
                action: l.action,
                detail: l.detail,
            })
            .collect(),
        next_cursor,
    }))
}
