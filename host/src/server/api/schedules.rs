//! `/api/v1/schedules`: scheduled transfers. An operator may list them and pause or resume
//! one; making and removing one is for an admin. Every change is in the audit log with the
//! user who made it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::server::AppState;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::schedules::{self, ScheduleError};
use crate::store::accounts::Role;
use crate::store::schedules::Schedule;

/// A scheduled transfer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ScheduleView {
    /// Id.
    pub id: i64,
    /// The connection its jobs run over.
    pub connection: String,
    /// What it runs: `customers`, `customers-pull`, `customers-pull-delta`, `job-invoices`,
    /// `contract-invoices`, `push-job-invoices` or `push-contract-invoices`.
    pub transfer: String,
    /// The cron expression (five fields, or six with seconds first).
    pub cron: String,
    /// The IANA time zone the expression is read in (`UTC` by default).
    pub timezone: String,
    /// Paused: it does not fire.
    pub paused: bool,
    /// Unix seconds: when it is next due.
    pub next_run_at: i64,
    /// Unix seconds: when it last queued a job.
    pub last_run_at: Option<i64>,
    /// The job it last queued (`GET /api/v1/jobs/{id}`).
    pub last_job_id: Option<i64>,
    /// Who made it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl ScheduleView {
    /// The view of `s`.
    pub fn of(s: Schedule) -> Self {
        let transfer =
            crate::server::jobs::parse_stored(&format!("schedule {}", s.id), &s.transfer)
                .map_or_else(|why| why, |r| schedules::name_of(&r).to_owned());
        ScheduleView {
            id: s.id,
            connection: s.connection,
            transfer,
            cron: s.cron,
            timezone: s.timezone,
            paused: s.paused,
            next_run_at: s.next_run_at,
            last_run_at: s.last_run_at,
            last_job_id: s.last_job_id,
            created_by: s.created_by,
            created_at: s.created_at,
        }
    }
}

/// Every schedule.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ScheduleList {
    /// Oldest first.
    pub items: Vec<ScheduleView>,
}

/// A schedule to make.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewScheduleRequest {
    /// The connection.
    pub connection: String,
    /// What to run (see [`ScheduleView::transfer`]).
    pub transfer: String,
    /// A cron expression, e.g. `*/15 * * * *`.
    pub cron: String,
    /// An IANA time zone, e.g. `Europe/London` (the hours then follow its daylight
    /// saving); `UTC` when left out.
    pub timezone: Option<String>,
}

/// A change to a schedule.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ScheduleChange {
    /// Pause (true) or resume (false).
    pub paused: bool,
}

impl From<ScheduleError> for Problem {
    fn from(e: ScheduleError) -> Self {
        match e {
            ScheduleError::Db(db) => db.into(),
            other => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
        }
    }
}

/// Refuse unless an admin calls: an operator may list, pause and resume schedules, but
/// `doing` ("making", "removing") one is for an admin.
fn require_admin(caller: &Caller, doing: &str) -> ApiResult<()> {
    match caller.user.role {
        Role::Admin => Ok(()),
        Role::Operator => Err(Problem::forbidden(format!(
            "user {} is an operator; an operator may pause and resume schedules, but {doing} one is for an admin",
            caller.user.name
        ))),
        // The guard refuses support before any handler runs; this stays closed regardless.
        Role::Support => caller.require_admin(),
    }
}

fn no_schedule(id: i64) -> Problem {
    Problem::not_found(format!(
        "there is no schedule {id}; GET /api/v1/schedules lists them"
    ))
}

/// The schedules, with when each is next due.
#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules",
    responses(
        (status = 200, body = ScheduleList),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<ScheduleList>> {
    let items = state
        .schedules()
        .list()?
        .into_iter()
        .map(ScheduleView::of)
        .collect();
    Ok(Json(ScheduleList { items }))
}

/// Make a schedule (admin).
#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules",
    request_body = NewScheduleRequest,
    responses(
        (status = 201, body = ScheduleView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewScheduleRequest>,
) -> ApiResult<Response> {
    require_admin(&caller, "making")?;
    let connection = state.services().store.get(&body.connection)?;
    let made = schedules::add(
        state.schedules(),
        &connection.name,
        &body.transfer,
        &body.cron,
        body.timezone.as_deref(),
        &caller.user.name,
        chrono::Utc::now(),
    )?;
    Ok((StatusCode::CREATED, Json(ScheduleView::of(made))).into_response())
}

/// Pause or resume a schedule.
#[utoipa::path(patch, path = "/api/v1/schedules/{id}", tag = "schedules",
    params(("id" = i64, Path, description = "The schedule")),
    request_body = ScheduleChange,
    responses(
        (status = 200, body = ScheduleView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<ScheduleChange>,
) -> ApiResult<Json<ScheduleView>> {
    let changed = schedules::set_paused(
        state.schedules(),
        id,
        body.paused,
        &caller.user.name,
        chrono::Utc::now(),
    )?
    .ok_or_else(|| no_schedule(id))?;
    Ok(Json(ScheduleView::of(changed)))
}

/// Remove a schedule (admin). Jobs it queued stay.
#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules",
    params(("id" = i64, Path, description = "The schedule")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require_admin(&caller, "removing")?;
    let now = chrono::Utc::now().timestamp();
    if state.schedules().remove(id, &caller.user.name, now)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_schedule(id))
    }
}
