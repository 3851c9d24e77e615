//! `/api/v1/connections`: list, show with health, settings (with an ETag, so two admins
//! cannot silently overwrite each other), check.

use std::collections::BTreeMap;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{PageQuery, slice_page};
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::{AppState, on_engine, passwords};
use crate::store::connections::Connection;

/// A connection as the API shows it (never a credential: those are in the vault only).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ConnectionView {
    /// Its name.
    pub name: String,
    /// The connector it runs.
    pub connector: String,
    /// not-connected, connected, expiring, needs-reconnect, error.
    pub health: String,
    /// Why, when it needs attention.
    pub status_message: Option<String>,
    /// When the access token expires (Unix seconds).
    pub access_expires_at: Option<i64>,
    /// SHA-256 of the component it is pinned to.
    pub component_sha256: Option<String>,
}

impl ConnectionView {
    pub(crate) fn of(c: &Connection) -> Self {
        let health = serde_json::to_value(c.health(SystemTime::now()))
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        ConnectionView {
            name: c.name.clone(),
            connector: c.connector.clone(),
            health,
            status_message: c.status_message.clone(),
            access_expires_at: c.access_expires_at,
            component_sha256: c.component.as_ref().map(|p| p.sha256.clone()),
        }
    }
}

/// A page of connections.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ConnectionPage {
    /// The connections.
    pub items: Vec<ConnectionView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// A connection's settings (not secret; secrets live in the vault).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// Setting → value.
    pub settings: BTreeMap<String, String>,
}

/// Every connection (operators see them too, to choose one).
#[utoipa::path(get, path = "/api/v1/connections", tag = "connections", params(PageQuery),
    responses(
        (status = 200, body = ConnectionPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<ConnectionPage>> {
    let all: Vec<ConnectionView> = state
        .services()
        .store
        .list()?
        .iter()
        .map(ConnectionView::of)
        .collect();
    let (items, next_cursor) = slice_page(&all, &page)?;
    Ok(Json(ConnectionPage { items, next_cursor }))
}

/// One connection with its health (admin).
#[utoipa::path(get, path = "/api/v1/connections/{name}", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = ConnectionView),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectionView>> {
    caller.require_admin()?;
    Ok(Json(ConnectionView::of(
        &state.services().store.get(&name)?,
    )))
}

fn etag(settings: &BTreeMap<String, String>) -> String {
    let json = serde_json::to_string(settings).unwrap_or_default();
    format!("\"{}\"", &passwords::digest(&json)[..32])
}

fn with_etag(settings: BTreeMap<String, String>) -> ApiResult<Response> {
    let tag = etag(&settings);
    let mut response = Json(Settings { settings }).into_response();
    response.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(&tag).map_err(|e| Problem::internal(e.to_string()))?,
    );
    Ok(response)
}

/// A connection's settings and their ETag (admin).
#[utoipa::path(get, path = "/api/v1/connections/{name}/settings", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = Settings, headers(("ETag" = String, description = "Send it back in If-Match to change them"))),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    with_etag(state.services().store.get(&name)?.settings)
}

/// Set settings (an empty value clears one), as `ledgerlink connections set` does; the
/// request must carry the ETag it read in `If-Match` (412 when another change came first).
#[utoipa::path(patch, path = "/api/v1/connections/{name}/settings", tag = "connections",
    params(("name" = String, Path, description = "The connection"),
           ("If-Match" = String, Header, description = "The ETag the settings were read with")),
    request_body = Settings,
    responses(
        (status = 200, body = Settings),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 412, body = ProblemBody, content_type = "application/problem+json"),
        (status = 428, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn change_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Settings>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let Some(if_match) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "send the settings' ETag in If-Match (GET them first), so a change made meanwhile by someone else is not overwritten",
        ));
    };
    for (key, value) in &body.settings {
        if !value.is_empty() {
            crate::sync::settings::check(key, value).map_err(Problem::bad_request)?;
        }
    }
    let store = &state.services().store;
    // Two admins who read the same settings: the second write is refused here. (A write
    // landing between this comparison and the one below is not; a compare-and-set in the
    // store would close that window.)
    let current = store.get(&name)?;
    if if_match.trim() != etag(&current.settings) {
        return Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "the settings of {name} changed since you read them; read them again and redo your change"
            ),
        ));
    }
    for (key, value) in &body.settings {
        store.set_setting(&name, key, (!value.is_empty()).then_some(value.as_str()))?;
    }
    with_etag(store.get(&name)?.settings)
}

/// The outcome of a check.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CheckOutcome {
    /// Whether the connector reached its system.
    pub ok: bool,
    /// What it said.
    pub message: String,
}

/// Ask the connector to reach its system once, as `ledgerlink connections check` (admin).
#[utoipa::path(post, path = "/api/v1/connections/{name}/check", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = CheckOutcome),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn check(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<CheckOutcome>> {
    caller.require_admin()?;
    let outcome = on_engine(move || async move {
        let transfers = state.transfers()?;
        let link = transfers.link(&name).await?;
        let answer = link
            .plugin
            .check(&link.ctx)
            .await
            .map_err(|e| crate::transfer::TransferError::Refused(e.to_string()))?;
        Ok::<_, crate::transfer::TransferError>(match answer {
            Ok(report) => CheckOutcome {
                ok: true,
                message: report.message,
            },
            Err(e) => CheckOutcome {
                ok: false,
                message: e.describe(),
            },
        })
    })
    .await?;
    Ok(Json(outcome))
}
