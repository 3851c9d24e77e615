//! Administering connections over the API (admin): add, remove with revocation, set an API
//! key. Each handler calls [`crate::admin`], as `ledgerlink connections add|remove|set-key`
//! does; a secret sent in (client secret, API key) goes to the vault and is never answered.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::connections::ConnectionView;
use crate::admin::{self, NewConnection, Revocation};
use crate::auth::vault::Secret;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::{AppState, on_engine};

/// A connection to add. The client secret and API key are kept in the vault, never shown.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct NewConnectionBody {
    /// Its name (1-64 lowercase letters, digits and '-', starting with a letter).
    pub name: String,
    /// The connector it runs (`GET /api/v1/connectors` lists them).
    pub connector: String,
    /// Settings (key → value), as `--set KEY=VALUE`.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// The OAuth client id (OAuth connectors).
    pub client_id: Option<String>,
    /// The OAuth client secret (OAuth connectors), kept in the vault.
    pub client_secret: Option<String>,
    /// The API key (API-key connectors), kept in the vault.
    pub api_key: Option<String>,
    /// The base URL of a `ledgerlink sandbox` whose emulators the connection talks to.
    pub sandbox: Option<String>,
    /// Explicit routes (origin → target), as `--route`.
    #[serde(default)]
    pub routes: BTreeMap<String, String>,
}

/// A connection added.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AddedView {
    /// The connection as stored.
    pub connection: ConnectionView,
    /// The connector's name shown to people.
    pub display_name: String,
    /// Its version.
    pub version: String,
    /// The component's SHA-256 the connection is pinned to.
    pub sha256: String,
    /// none, oauth2 or api-key.
    pub auth: String,
    /// What to do next.
    pub next: Option<String>,
}

/// Add a connection pinned to its connector's current component, as `ledgerlink connections
/// add` (admin).
#[utoipa::path(post, path = "/api/v1/connections", tag = "connections",
    request_body = NewConnectionBody,
    responses(
        (status = 201, body = AddedView),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewConnectionBody>,
) -> ApiResult<(StatusCode, Json<AddedView>)> {
    caller.require_admin()?;
    let new = NewConnection {
        name: body.name,
        connector: body.connector,
        settings: body.settings,
        client_id: body.client_id.filter(|s| !s.is_empty()),
        client_secret: body
            .client_secret
            .filter(|s| !s.is_empty())
            .map(Secret::new),
        api_key: body.api_key.filter(|s| !s.is_empty()).map(Secret::new),
        sandbox: body.sandbox,
        routes: body.routes,
    };
    let registry = state.registry();
    let services = state.services().clone();
    let added =
        on_engine(move || async move { admin::add(&services, &registry, new).await }).await?;
    let name = &added.connection.name;
    let next = match added.auth {
        "oauth2" => Some(format!(
            "connect it: GET /api/v1/connections/{name}/connect and open the authorize_url it returns"
        )),
        "api-key" => Some(format!(
            "store its API key: PUT /api/v1/connections/{name}/key"
        )),
        _ => None,
    };
    Ok((
        StatusCode::CREATED,
        Json(AddedView {
            connection: ConnectionView::of(&added.connection),
            display_name: added.display_name,
            version: added.version,
            sha256: added.sha256,
            auth: added.auth.to_owned(),
            next,
        }),
    ))
}

/// What removing a connection did.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RemovedView {
    /// not-needed, revoked or failed: what happened to ledgerlink's access at the vendor.
    pub revocation: String,
    /// What the CLI says about it and about the removal.
    pub message: String,
    /// The vault items deleted.
    pub vault_items: Vec<String>,
}

/// Remove a connection: revoke its access at the vendor, delete its credentials and its
/// record, as `ledgerlink connections remove` (admin).
#[utoipa::path(delete, path = "/api/v1/connections/{name}", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = RemovedView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<RemovedView>> {
    caller.require_admin()?;
    let registry = state.registry();
    let services = state.services().clone();
    let gone = name.clone();
    let removed =
        on_engine(move || async move { admin::remove(&services, &registry, &gone).await }).await?;
    state.authorizations().forget(&name);
    let done = format!("Removed connection {name} and its credentials.");
    let (revocation, message) = match removed.revocation {
        Revocation::NotNeeded => ("not-needed", done),
        Revocation::Revoked(vendor) => (
            "revoked",
            format!("Revoked ledgerlink's access at {vendor}. {done}"),
        ),
        Revocation::Failed(vendor, e) => (
            "failed",
            format!(
                "Could not revoke access at {vendor} ({e}); remove ledgerlink from its connected apps by hand. {done}"
            ),
        ),
    };
    Ok(Json(RemovedView {
        revocation: revocation.to_owned(),
        message,
        vault_items: removed
            .vault_items
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    }))
}

/// What removing a connection would revoke and delete (names only, never values).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RemovalView {
    /// The vendor where ledgerlink's access is revoked first, if anywhere.
    pub revokes_at: Option<String>,
    /// The vault items deleted: `tokens`, `client-secret`, `api-key` (those it has).
    pub vault_items: Vec<String>,
    /// The settings deleted with the connection (their names), e.g. the tenant choice.
    pub settings: Vec<String>,
}

/// What `DELETE /api/v1/connections/{name}` would revoke and delete, for a confirmation
/// (admin). Changes nothing.
#[utoipa::path(get, path = "/api/v1/connections/{name}/removal", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = RemovalView),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn removal(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<RemovalView>> {
    caller.require_admin()?;
    let registry = state.registry();
    let services = state.services().clone();
    let preview =
        on_engine(move || async move { admin::removal_preview(&services, &registry, &name).await })
            .await?;
    Ok(Json(RemovalView {
        revokes_at: preview.revokes_at,
        vault_items: preview
            .vault_items
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        settings: preview.settings,
    }))
}

/// An API key to store (never answered back).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct KeyBody {
    /// The key the vendor issued.
    pub key: String,
}

/// Store a connection's API key in the vault, as `ledgerlink connections set-key` (admin);
/// a key shorter than 16 characters is refused. The key is never answered back.
#[utoipa::path(put, path = "/api/v1/connections/{name}/key", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    request_body = KeyBody,
    responses(
        (status = 204, description = "Stored in the vault"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn set_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<KeyBody>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let key = Secret::new(body.key.trim());
    if key.expose().is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "no API key given for {name}; send the key your vendor issued as {{\"key\": \"...\"}}"
            ),
        ));
    }
    let registry = state.registry();
    let services = state.services().clone();
    on_engine(move || async move { admin::set_key(&services, &registry, &name, key).await })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
