//! `/api/v1/jobs`: background transfers, their status and progress, and a Server-Sent
//! Events stream of that progress until the job ends.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::{PageQuery, encode_cursor};
use crate::server::AppState;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::store::jobs::Job;

/// How often an event stream looks at its job (which may run in another process).
const EVENTS_POLL: Duration = Duration::from_millis(250);

/// Progress of a job's current step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JobProgressView {
    /// The step ("sending job invoices").
    pub what: Option<String>,
    /// Records done.
    pub done: i64,
    /// Records in the step.
    pub total: i64,
    /// Of the records done: created in the target.
    pub created: i64,
    /// Of the records done: updated in the target.
    pub updated: i64,
    /// Of the records done: refused by the target or lost (the report says why).
    pub failed: i64,
    /// The wait for a vendor's call limit the job is in now, if any.
    pub vendor_wait: Option<VendorWaitView>,
}

/// ledgerlink is pacing to a vendor's call limit: the next request goes in `wait_ms`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct VendorWaitView {
    /// The connector whose vendor is waited for ("xero").
    pub vendor: String,
    /// Milliseconds left, as of the job's last progress write (about every second).
    pub wait_ms: i64,
}

/// A background job.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JobView {
    /// Id.
    pub id: i64,
    /// `apply`, `rollback`, `push-invoices` or `transfer` (a schedule's compare and apply).
    pub kind: String,
    /// The connection it runs over.
    pub connection: String,
    /// `queued`, `running`, `succeeded`, `failed`.
    pub status: String,
    /// Who started it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Times a process started it (more than 1: taken over after a process stopped).
    pub attempts: i64,
    /// Unix seconds.
    pub started_at: Option<i64>,
    /// Unix seconds.
    pub finished_at: Option<i64>,
    /// Progress.
    pub progress: JobProgressView,
    /// The run it made (`GET /api/v1/runs/{id}`).
    pub run_id: Option<i64>,
    /// The engine's summary, once it ended.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Why it did not complete (the CLI's message).
    pub error: Option<String>,
}

impl JobView {
    /// The API's view of a stored job.
    pub fn of(job: Job) -> Self {
        // A wait is only news while the job runs (finishing clears it as well).
        let running = job.status == "running";
        JobView {
            id: job.id,
            kind: job.kind,
            connection: job.connection,
            status: job.status,
            created_by: job.created_by,
            created_at: job.created_at,
            attempts: job.attempts,
            started_at: job.started_at,
            finished_at: job.finished_at,
            progress: JobProgressView {
                what: job.progress_what,
                done: job.progress_done,
                total: job.progress_total,
                created: job.progress_created,
                updated: job.progress_updated,
                failed: job.progress_failed,
                vendor_wait: match (job.progress_wait_ms, job.progress_wait_vendor) {
                    (Some(wait_ms), Some(vendor)) if running => {
                        Some(VendorWaitView { vendor, wait_ms })
                    }
                    _ => None,
                },
            },
            run_id: job.run_id,
            result: job.result.and_then(|r| serde_json::from_str(&r).ok()),
            error: job.error,
        }
    }

    fn ended(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "failed")
    }
}

/// A page of jobs, newest first.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JobPage {
    /// The jobs.
    pub items: Vec<JobView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(PageQuery),
    responses(
        (status = 200, body = JobPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<JobPage>> {
    let limit = page.limit();
    let mut rows = state
        .jobs()
        .page(page.position()?, i64::try_from(limit + 1).unwrap_or(501))?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more
        .then(|| rows.last().map(|j| encode_cursor(j.id)))
        .flatten();
    Ok(Json(JobPage {
        items: rows.into_iter().map(JobView::of).collect(),
        next_cursor,
    }))
}

fn get(state: &AppState, id: i64) -> ApiResult<JobView> {
    state.jobs().get(id)?.map(JobView::of).ok_or_else(|| {
        Problem::not_found(format!("there is no job {id}; GET /api/v1/jobs lists them"))
    })
}

/// A job's status and progress.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = i64, Path, description = "The job")),
    responses(
        (status = 200, body = JobView),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<JobView>> {
    get(&state, id).map(Json)
}

/// The job's progress as Server-Sent Events: a `progress` event (the job, as
/// `GET /api/v1/jobs/{id}` shows it) whenever it changes, and an `end` event when it has
/// ended, after which the stream closes.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = i64, Path, description = "The job")),
    responses(
        (status = 200, description = "`progress` and `end` events, each with a JobView as data", content_type = "text/event-stream", body = String),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn events(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    get(&state, id)?;
    let stopping = state.stopping();
    let stream = futures_util::stream::unfold(
        (state, None::<JobView>, false, stopping),
        move |(state, last, ended, mut stopping)| async move {
            if ended {
                return None;
            }
            loop {
                let job = match get(&state, id) {
                    Ok(j) => j,
                    Err(_) => return None,
                };
                if last.as_ref() != Some(&job) {
                    let done = job.ended();
                    let data = serde_json::to_string(&job).unwrap_or_default();
                    let event = Event::default()
                        .event(if done { "end" } else { "progress" })
                        .data(data);
                    return Some((Ok(event), (state, Some(job), done, stopping)));
                }
                // A server shutting down ends its streams; the client reconnects to the
                // next process.
                if *stopping.borrow() {
                    return None;
                }
                tokio::select! {
                    () = tokio::time::sleep(EVENTS_POLL) => {}
                    _ = stopping.changed() => {}
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
