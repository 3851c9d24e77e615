//! `/_sandbox/...`: control endpoints for tests running in other processes
//! (the same switches [`crate::SandboxHandle`] offers in-process).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::clock::rfc3339;
use crate::company::Company;
use crate::faults::FaultScope;
use crate::log::LogEntry;
use crate::profile::Profile;
use crate::state::Core;

/// `GET` the virtual time.
pub(crate) const CLOCK_PATH: &str = "/_sandbox/clock";
/// `POST {"seconds": N}` to move the virtual clock forward.
pub(crate) const ADVANCE_PATH: &str = "/_sandbox/clock/advance";
/// `POST {"profile": "xero"|"quickbooks"}` to drop the next refresh response.
pub(crate) const DROP_NEXT_REFRESH_PATH: &str = "/_sandbox/drop-next-refresh";
/// `GET` the request log.
pub(crate) const LOG_PATH: &str = "/_sandbox/log";
/// `GET ?profile=xero|quickbooks`: successful refresh grants so far.
pub(crate) const REFRESH_COUNT_PATH: &str = "/_sandbox/refresh-count";

/// `POST {"profile", "company"?, "queue": [Fault...], "rates": FaultRates}` to
/// inject faults (for one company, or without `company` for every company of
/// the vendor); `GET ?profile=&company=` for how many were served and how many
/// still wait; `DELETE ?profile=&company=` to stop.
pub(crate) const FAULTS_PATH: &str = "/_sandbox/faults";
/// `POST {"scale": N}`: rate-limit windows last 1/N of their real length;
/// `GET` the current scale.
pub(crate) const TIME_SCALE_PATH: &str = "/_sandbox/time-scale";

/// `GET` the real vendor origins emulated here and their base URLs in this sandbox.
pub(crate) const ROUTES_PATH: &str = "/_sandbox/routes";

/// The control routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route(ROUTES_PATH, get(origin_routes))
        .route(CLOCK_PATH, get(clock))
        .route(ADVANCE_PATH, post(advance))
        .route(DROP_NEXT_REFRESH_PATH, post(drop_next_refresh))
        .route(LOG_PATH, get(log))
        .route(REFRESH_COUNT_PATH, get(refresh_count))
        .route(
            FAULTS_PATH,
            post(inject_faults)
                .get(faults_injected)
                .delete(clear_faults),
        )
        .route(TIME_SCALE_PATH, post(set_time_scale).get(time_scale))
}

/// Body of `POST /_sandbox/faults`.
#[derive(Debug, Deserialize)]
struct InjectFaults {
    #[serde(flatten)]
    scope: ScopeSelector,
    #[serde(default)]
    queue: Vec<crate::Fault>,
    rates: Option<crate::FaultRates>,
}

/// Whose faults: `profile` and, for one company, its tenant or realm id.
#[derive(Debug, Deserialize)]
struct ScopeSelector {
    profile: Profile,
    company: Option<String>,
}

impl ScopeSelector {
    fn scope(&self) -> Result<FaultScope, Refusal> {
        match &self.company {
            None => Ok(FaultScope::Vendor(self.profile)),
            Some(id) => Company::find(self.profile, id)
                .map(FaultScope::Company)
                .map_err(|error| Refusal(StatusCode::NOT_FOUND, error.to_string())),
        }
    }
}

/// A control request refused, with what to do about it.
#[derive(Debug)]
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// What `/_sandbox/faults` answers: the scope, faults served and still queued.
fn faults_json(core: &Core, scope: FaultScope) -> Value {
    let company = match scope {
        FaultScope::Vendor(_) => None,
        FaultScope::Company(company) => Some(company.id()),
    };
    json!({
        "profile": scope.profile(),
        "company": company,
        "injected": core.faults.injected(scope),
        "queued": core.faults.queued(scope),
    })
}

async fn inject_faults(
    State(core): State<Arc<Core>>,
    Json(inject): Json<InjectFaults>,
) -> Result<Json<Value>, Refusal> {
    let scope = inject.scope.scope()?;
    if let Some(rates) = inject.rates {
        let total = rates.total();
        if total > 1000 {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                format!(
                    "the rates add up to {total} per mille; at most 1000 of every 1000 requests can fail"
                ),
            ));
        }
        core.faults.set_rates(scope, rates);
    }
    core.faults.queue(scope, inject.queue);
    Ok(Json(faults_json(&core, scope)))
}

async fn faults_injected(
    State(core): State<Arc<Core>>,
    Query(selector): Query<ScopeSelector>,
) -> Result<Json<Value>, Refusal> {
    Ok(Json(faults_json(&core, selector.scope()?)))
}

async fn clear_faults(
    State(core): State<Arc<Core>>,
    Query(selector): Query<ScopeSelector>,
) -> Result<Json<Value>, Refusal> {
    let scope = selector.scope()?;
    core.faults.clear(scope);
    let mut answer = faults_json(&core, scope);
    answer["cleared"] = json!(true);
    Ok(Json(answer))
}

/// Body of `POST /_sandbox/time-scale`.
#[derive(Debug, Deserialize)]
struct TimeScale {
    scale: u32,
}

async fn set_time_scale(
    State(core): State<Arc<Core>>,
    Json(scale): Json<TimeScale>,
) -> Json<Value> {
    core.faults.set_time_scale(scale.scale);
    time_scale(State(core)).await
}

async fn time_scale(State(core): State<Arc<Core>>) -> Json<Value> {
    Json(json!({ "scale": core.faults.time_scale() }))
}

/// The base URL is taken from the `Host` the client used, so it is right behind any port.
async fn origin_routes(headers: axum::http::HeaderMap) -> Json<Value> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Json(json!(crate::origins::routes(&format!("http://{host}"))))
}

fn clock_json(core: &Core) -> Value {
    json!({ "now": rfc3339(core.clock.now()), "offset_seconds": core.clock.offset().as_secs() })
}

async fn clock(State(core): State<Arc<Core>>) -> Json<Value> {
    Json(clock_json(&core))
}

/// Body of `POST /_sandbox/clock/advance`; the clock only moves forward.
#[derive(Debug, Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance(State(core): State<Arc<Core>>, Json(advance): Json<Advance>) -> Json<Value> {
    core.clock.advance(Duration::from_secs(advance.seconds));
    Json(clock_json(&core))
}

/// Body of `POST /_sandbox/drop-next-refresh` and query of `GET /_sandbox/refresh-count`.
#[derive(Debug, Deserialize)]
struct ProfileSelector {
    profile: Profile,
}

async fn drop_next_refresh(
    State(core): State<Arc<Core>>,
    Json(selector): Json<ProfileSelector>,
) -> Json<Value> {
    core.store().arm_drop(selector.profile);
    Json(json!({ "profile": selector.profile, "armed": true }))
}

async fn log(State(core): State<Arc<Core>>) -> Json<Vec<LogEntry>> {
    Json(core.log.snapshot())
}

async fn refresh_count(
    State(core): State<Arc<Core>>,
    Query(selector): Query<ProfileSelector>,
) -> Json<Value> {
    let count = core.store().refresh_count(selector.profile);
    Json(json!({ "profile": selector.profile, "count": count }))
}
