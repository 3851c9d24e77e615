//! Compare → plan → apply, and rollback: the Tracker Pro admin's "Compare" and "Start Sync".
//! Compare answers at once with the stored plan; applying and rolling back are background
//! jobs (202 + the job), honouring `Idempotency-Key`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::jobs::JobView;
use crate::model::InvoiceKind;
use crate::server::guard::Caller;
use crate::server::jobs::{JobRequest, PushKind, StoredPick};
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::{AppState, on_engine};
use crate::sync::compare::Direction;
use crate::transfer::numbering::Numbering;

/// What to compare.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct CompareRequest {
    /// `customers`, `job-invoices`, `contract-invoices` or `orders`.
    pub entity: String,
    /// Customers only: `push` (default, Tracker Pro → target) or `pull`.
    pub direction: Option<String>,
    /// Customers only: read only the target's customers changed since the last complete pull.
    #[serde(default)]
    pub delta: bool,
    /// Invoices only: `keep` (default, Tracker Pro's numbers) or `target`.
    pub numbering: Option<String>,
}

/// A stored plan: its rows, as the CLI's `compare --json` prints them.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PlanView {
    /// The plan's id (apply it with `POST /api/v1/plans/{id}/apply`).
    pub plan: i64,
    /// What it compares.
    pub entity: String,
    /// The rows: action, keys, name, why, differences.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
    /// Records from the target the host refused, and why.
    #[schema(value_type = Vec<Object>)]
    pub refused: Vec<serde_json::Value>,
}

fn to_values<T: serde::Serialize>(rows: &[T]) -> ApiResult<Vec<serde_json::Value>> {
    rows.iter()
        .map(|r| serde_json::to_value(r).map_err(|e| Problem::internal(e.to_string())))
        .collect()
}

/// Compare Tracker Pro with the connection's target and store the result as a plan.
#[utoipa::path(post, path = "/api/v1/connections/{name}/compare", tag = "transfers",
    params(("name" = String, Path, description = "The connection")),
    request_body = CompareRequest,
    responses(
        (status = 201, body = PlanView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn compare(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<CompareRequest>,
) -> ApiResult<Response> {
    let kind = match body.entity.as_str() {
        "customers" => None,
        "job-invoices" => Some(InvoiceKind::Job),
        "contract-invoices" => Some(InvoiceKind::Contract),
        "orders" => Some(InvoiceKind::Order),
        other => {
            return Err(Problem::bad_request(format!(
                "entity {other:?} is not compared; use customers, job-invoices, contract-invoices or orders"
            )));
        }
    };
    let direction = match body.direction.as_deref() {
        None | Some("push") => Direction::Push,
        Some("pull") if kind.is_none() => Direction::Pull,
        Some("pull") => {
            return Err(Problem::bad_request(
                "invoices are compared for a push only; drop direction",
            ));
        }
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "direction {other:?} is neither push nor pull"
            )));
        }
    };
    let numbering = numbering(body.numbering.as_deref())?;
    let entity = body.entity.clone();
    let delta = body.delta;
    let view = on_engine(move || async move {
        let transfers = state.transfers()?;
        match kind {
            None => {
                let c = transfers.compare_customers(&name, direction, delta).await?;
                // Each row with whether it can be undone, as `compare --json` shows it.
                let items = c
                    .plan
                    .items
                    .iter()
                    .map(|p| {
                        let mut item = serde_json::to_value(&p.item).unwrap_or_default();
                        item["not_undoable"] = serde_json::json!(p.not_undoable);
                        item
                    })
                    .collect();
                Ok(PlanView {
                    plan: c.plan_id,
                    entity,
                    items,
                    refused: to_values(&c.plan.refused)?,
                })
            }
            Some(kind) => {
                let (plan_id, plan) = transfers.compare_invoices(&name, kind, numbering).await?;
                Ok(PlanView {
                    plan: plan_id,
                    entity,
                    items: to_values(&plan.rows)?,
                    refused: to_values(&plan.refused)?,
                })
            }
        }
    })
    .await
    .map_err(|e: Problem| e)?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Which rows of a plan to apply, and how.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ApplyRequest {
    /// `all`, `adds`, `updates` or `keys` (then `keys` lists them).
    pub pick: String,
    /// With `pick: keys`: Tracker Pro keys (remote ids for a pull plan).
    #[serde(default)]
    pub keys: Vec<String>,
    /// Change nothing; say what would happen.
    #[serde(default)]
    pub dry_run: bool,
    /// Only the first N picked rows.
    pub demo: Option<usize>,
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 200 => Ok(Some(k.to_owned())),
            _ => Err(Problem::bad_request(
                "Idempotency-Key must be 1 to 200 visible characters",
            )),
        },
    }
}

/// Queue `work` on `connection` for `caller`: 202 with the job (the same job again for a
/// repeated Idempotency-Key).
fn enqueue(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    connection: &str,
    work: JobRequest,
) -> ApiResult<Response> {
    let key = idempotency_key(headers)?;
    let request = work
        .stored()
        .map_err(|e| Problem::internal(e.to_string()))?;
    let (job, new) = state.jobs().enqueue(
        work.kind(),
        connection,
        &request,
        &caller.user.name,
        key.as_deref(),
    )?;
    if new {
        state.job_queued().notify_one();
    } else if job.request != request {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Idempotency-Key was already used for job {} with a different request; use a new key",
                job.id
            ),
        ));
    }
    Ok((StatusCode::ACCEPTED, Json(JobView::of(job))).into_response())
}

/// Start Sync: apply the picked rows of plan `id` as a background job.
#[utoipa::path(post, path = "/api/v1/plans/{id}/apply", tag = "transfers",
    params(("id" = i64, Path, description = "The plan"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice starts one job")),
    request_body = ApplyRequest,
    responses(
        (status = 202, description = "Queued", body = JobView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "Retention removed the plan; compare again", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<ApplyRequest>,
) -> ApiResult<Response> {
    let pick = match (body.pick.as_str(), body.keys.is_empty()) {
        ("all", true) => StoredPick::All,
        ("adds", true) => StoredPick::Adds,
        ("updates", true) => StoredPick::Updates,
        ("keys", false) => StoredPick::Keys(body.keys),
        _ => {
            return Err(Problem::bad_request(
                "choose exactly one of pick: all, adds, updates, or keys with a non-empty keys list",
            ));
        }
    };
    let (connection, ..) = state.transfers()?.state().plan_meta(id)?;
    let work = JobRequest::Apply {
        plan: id,
        pick,
        dry_run: body.dry_run,
        demo: body.demo,
    };
    enqueue(&state, &caller, &headers, &connection, work)
}

/// Undo what run `id` created, as a background job.
#[utoipa::path(post, path = "/api/v1/runs/{id}/rollback", tag = "transfers",
    params(("id" = i64, Path, description = "The run"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice starts one job")),
    responses(
        (status = 202, description = "Queued", body = JobView),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (run, _) = state.transfers()?.state().run(id)?;
    enqueue(
        &state,
        &caller,
        &headers,
        &run.connection,
        JobRequest::Rollback { run: id },
    )
}

/// The numbering a request names: `keep` (or none) or `target`.
fn numbering(asked: Option<&str>) -> ApiResult<Numbering> {
    match asked {
        None | Some("keep") => Ok(Numbering::Keep),
        Some("target") => Ok(Numbering::Target),
        Some(other) => Err(Problem::bad_request(format!(
            "numbering {other:?} is neither keep nor target"
        ))),
    }
}

/// Which invoices to push.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PushInvoicesRequest {
    /// `job` or `contract`.
    pub kind: String,
    /// `keep` (default, Tracker Pro's numbers) or `target` (the accounting system numbers
    /// them; Tracker Pro's number goes into the reference).
    pub numbering: Option<String>,
}

/// Push every job or contract invoice due over connection `name`, as a background job
/// (`ledgerlink push-invoices --connection NAME --kind KIND`).
#[utoipa::path(post, path = "/api/v1/connections/{name}/push-invoices", tag = "transfers",
    params(("name" = String, Path, description = "The connection"),
           ("Idempotency-Key" = Option<String>, Header, description = "The same key twice starts one job")),
    request_body = PushInvoicesRequest,
    responses(
        (status = 202, description = "Queued", body = JobView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn push_invoices(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<PushInvoicesRequest>,
) -> ApiResult<Response> {
    let kind = match body.kind.as_str() {
        "job" => PushKind::Job,
        "contract" => PushKind::Contract,
        other => {
            return Err(Problem::bad_request(format!(
                "kind {other:?} is not pushed as invoices; use job or contract"
            )));
        }
    };
    let numbering = numbering(body.numbering.as_deref())?;
    let connection = state.services().store.get(&name)?;
    enqueue(
        &state,
        &caller,
        &headers,
        &connection.name,
        JobRequest::PushInvoices {
            invoices: kind,
            numbering,
        },
    )
}
