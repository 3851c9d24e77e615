//! `/api/v1/support` (admin): grant, list and revoke time-limited support access
//! ([`crate::server::support`]).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::{PageQuery, slice_page};
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::support::{self, SupportError};
use crate::server::{AppState, on_engine};
use crate::store::accounts::SupportGrant;

/// A support grant (never its token or password).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SupportGrantView {
    /// Id (for revoking).
    pub id: i64,
    /// The support user's sign-in name.
    pub name: String,
    /// The admin who granted it.
    pub granted_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: its sessions and token stop working then.
    pub expires_at: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// active, expired or revoked.
    pub status: String,
}

impl From<SupportGrant> for SupportGrantView {
    fn from(g: SupportGrant) -> Self {
        let now = crate::store::connections::unix(std::time::SystemTime::now());
        SupportGrantView {
            status: g.status(now).to_owned(),
            id: g.id,
            name: g.name,
            granted_by: g.granted_by,
            created_at: g.created_at,
            expires_at: g.expires_at,
            revoked_at: g.revoked_at,
        }
    }
}

/// What to grant.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewSupportGrant {
    /// How many days it lasts (1–90).
    pub days: i64,
    /// The support user's name (default `support-<id>`).
    pub name: Option<String>,
    /// Also make a sign-in password for a browser session (default: only an API token).
    #[serde(default)]
    pub with_password: bool,
}

/// A grant just made, with its secrets: shown this once, stored only hashed.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SupportGrantCreated {
    /// The grant.
    pub grant: SupportGrantView,
    /// The API token: `Authorization: Bearer <token>`.
    pub token: String,
    /// The sign-in password, when asked for.
    pub password: Option<String>,
}

/// A page of support grants, newest first.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SupportGrantPage {
    /// The grants.
    pub items: Vec<SupportGrantView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// Grant time-limited, read-only support access (admin).
#[utoipa::path(post, path = "/api/v1/support", tag = "support", request_body = NewSupportGrant,
    responses(
        (status = 201, description = "Granted; the token (and password) are shown this once", body = SupportGrantCreated),
        (status = 409, description = "The name is taken", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Days out of range or an unusable name", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn grant(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewSupportGrant>,
) -> ApiResult<(StatusCode, Json<SupportGrantCreated>)> {
    caller.require_admin()?;
    let accounts = state.accounts().clone();
    let actor = caller.user.name;
    // argon2 (for a password) is deliberately slow: keep it off the request workers.
    let granted = on_engine(move || async move {
        support::grant(
            &accounts,
            body.days,
            body.name.as_deref(),
            body.with_password,
            &actor,
        )
    })
    .await
    .map_err(|e| match e {
        SupportError::Accounts(e) => Problem::from(e),
        SupportError::Secret(e) => Problem::internal(e.to_string()),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(SupportGrantCreated {
            grant: granted.grant.into(),
            token: granted.token,
            password: granted.password,
        }),
    ))
}

/// Support grants with their expiry, newest first (admin).
#[utoipa::path(get, path = "/api/v1/support", tag = "support", params(PageQuery),
    responses((status = 200, body = SupportGrantPage)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<SupportGrantPage>> {
    caller.require_admin()?;
    let grants: Vec<SupportGrantView> = state
        .accounts()
        .support_grants()?
        .into_iter()
        .map(SupportGrantView::from)
        .collect();
    let (items, next_cursor) = slice_page(&grants, &page)?;
    Ok(Json(SupportGrantPage { items, next_cursor }))
}

/// Revoke a support grant at once: its sessions end, its token stops working (admin).
#[utoipa::path(delete, path = "/api/v1/support/{id}", tag = "support",
    params(("id" = i64, Path, description = "The grant")),
    responses(
        (status = 200, description = "Revoked", body = SupportGrantView),
        (status = 404, description = "No unrevoked grant with this id", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SupportGrantView>> {
    caller.require_admin()?;
    let grant = state.accounts().revoke_support(id, &caller.user.name)?;
    Ok(Json(grant.into()))
}
