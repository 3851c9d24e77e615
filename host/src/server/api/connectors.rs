//! `/api/v1/connectors` (admin): the plugins this server can run, as `ledgerlink plugins
//! list` and `plugins inspect` show them. Manifests and identities only: a connector holds
//! no secret, and none is shown.

use axum::Json;
use axum::extract::{Path, Query, State};

use super::{PageQuery, slice_page};
use crate::registry::ListedStatus;
use crate::runtime::manifest::Auth;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, ProblemBody};
use crate::server::{AppState, on_engine};
use crate::store::plugins::ComponentOrigin;

/// One component the registry knows, as a row of `ledgerlink plugins list`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ConnectorView {
    /// Its manifest name.
    pub name: String,
    /// built-in or installed.
    pub origin: String,
    /// Its version, when its manifest loaded.
    pub version: Option<String>,
    /// SHA-256 of the component.
    pub sha256: String,
    /// current, pinned (older, still used), broken or refused.
    pub status: String,
    /// The connections pinned to it.
    pub connections: Vec<String>,
    /// "built-in", or the file it was installed from.
    pub source: String,
    /// none, oauth2 or api-key.
    pub auth: Option<String>,
    /// The operations it implements.
    pub capabilities: Vec<String>,
    /// The origins it may call.
    pub allowed_hosts: Vec<String>,
    /// Why it cannot be used, if so.
    pub error: Option<String>,
}

/// A page of connectors.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ConnectorPage {
    /// The connectors.
    pub items: Vec<ConnectorView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

fn status_name(s: ListedStatus) -> &'static str {
    match s {
        ListedStatus::Current => "current",
        ListedStatus::Pinned => "pinned",
        ListedStatus::Broken => "broken",
        ListedStatus::Refused => "refused",
    }
}

/// Every built-in and installed connector, a usable one with its manifest's facts, one that
/// cannot be used with the reason (admin).
#[utoipa::path(get, path = "/api/v1/connectors", tag = "connectors", params(PageQuery),
    responses((status = 200, body = ConnectorPage)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<ConnectorPage>> {
    caller.require_admin()?;
    let registry = state.registry();
    let listed = on_engine(move || async move { registry.list().await }).await?;
    let all: Vec<ConnectorView> = listed
        .iter()
        .map(|l| {
            let r = &l.record;
            let facts = r.facts.as_ref();
            ConnectorView {
                name: r.name.clone(),
                origin: r.origin.as_str().to_owned(),
                version: facts.map(|f| f.version.clone()),
                sha256: r.sha256.clone(),
                status: status_name(l.status).to_owned(),
                connections: l.connections.clone(),
                source: if r.origin == ComponentOrigin::BuiltIn {
                    "built-in".to_owned()
                } else {
                    r.source.clone()
                },
                auth: facts.map(|f| f.auth.kind().to_owned()),
                capabilities: facts.map(|f| f.capabilities.clone()).unwrap_or_default(),
                allowed_hosts: facts.map(|f| f.allowed_hosts.clone()).unwrap_or_default(),
                error: r.problem.as_ref().map(|p| p.message.clone()),
            }
        })
        .collect();
    let (items, next_cursor) = slice_page(&all, &page)?;
    Ok(Json(ConnectorPage { items, next_cursor }))
}

/// How a connector authenticates, with every endpoint the host contacts for it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuthView {
    /// none, oauth2 or api-key.
    pub kind: String,
    /// OAuth authorization endpoint.
    pub authorize_url: Option<String>,
    /// OAuth token endpoint.
    pub token_url: Option<String>,
    /// OAuth revocation endpoint.
    pub revoke_url: Option<String>,
    /// OAuth scopes requested.
    pub scopes: Vec<String>,
    /// Where the organisations a grant covers are listed.
    pub tenant_discovery: Option<String>,
    /// The header an API key is sent in.
    pub header: Option<String>,
}

/// A setting a connector reads.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SettingView {
    /// Its key.
    pub key: String,
    /// What it means.
    pub description: String,
    /// Whether a connection must set it.
    pub required: bool,
    /// Its default.
    pub default: Option<String>,
}

/// A connector's manifest and identity, as `ledgerlink plugins inspect` shows it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ConnectorDetail {
    /// Machine name.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// Its version.
    pub version: String,
    /// The contract it was built for (`package@version`).
    pub contract: String,
    /// One sentence on what it connects to.
    pub description: String,
    /// The operations it implements.
    pub capabilities: Vec<String>,
    /// How it authenticates.
    pub auth: AuthView,
    /// The origins it may call.
    pub allowed_hosts: Vec<String>,
    /// The settings it reads.
    pub settings: Vec<SettingView>,
    /// "built-in", or the file it was loaded from.
    pub source: String,
    /// Size in bytes.
    pub size: usize,
    /// SHA-256 of the component.
    pub sha256: String,
}

/// The current component of one connector: its manifest and identity (admin).
#[utoipa::path(get, path = "/api/v1/connectors/{name}", tag = "connectors",
    params(("name" = String, Path, description = "The connector")),
    responses(
        (status = 200, body = ConnectorDetail),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn inspect(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<ConnectorDetail>> {
    caller.require_admin()?;
    let registry = state.registry();
    let plugin = on_engine(move || async move { registry.load_named(&name).await }).await?;
    let m = plugin.manifest();
    let none = || AuthView {
        kind: m.auth.kind().to_owned(),
        authorize_url: None,
        token_url: None,
        revoke_url: None,
        scopes: Vec::new(),
        tenant_discovery: None,
        header: None,
    };
    let auth = match &m.auth {
        Auth::None => none(),
        Auth::Oauth2 {
            authorize_url,
            token_url,
            revoke_url,
            scopes,
            tenant_discovery,
            ..
        } => AuthView {
            authorize_url: Some(authorize_url.clone()),
            token_url: Some(token_url.clone()),
            revoke_url: revoke_url.clone(),
            scopes: scopes.clone(),
            tenant_discovery: tenant_discovery.clone(),
            ..none()
        },
        Auth::ApiKey { header, .. } => AuthView {
            header: Some(header.clone()),
            ..none()
        },
    };
    Ok(Json(ConnectorDetail {
        name: m.name.clone(),
        display_name: m.display_name.clone(),
        version: m.version.to_string(),
        contract: format!("{}@{}", crate::contract::PACKAGE, m.contract),
        description: m.description.clone(),
        capabilities: m.capabilities.clone(),
        auth,
        allowed_hosts: m
            .allowed_hosts
            .origins()
            .iter()
            .map(ToString::to_string)
            .collect(),
        settings: m
            .settings
            .iter()
            .map(|s| SettingView {
                key: s.key.clone(),
                description: s.description.clone(),
                required: s.required,
                default: s.default.clone(),
            })
            .collect(),
        source: plugin.info().source.clone(),
        size: plugin.info().size,
        sha256: plugin.info().sha256.clone(),
    }))
}

/// The largest component an upload may carry.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// Where an upload came from.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, shown as its source (default `upload.wasm`).
    pub filename: Option<String>,
}

/// A connector installed.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct InstalledView {
    /// Its manifest name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// SHA-256 of the component.
    pub sha256: String,
    /// The version it replaced as current, if another was installed.
    pub replaced_version: Option<String>,
    /// Connections that keep the version they run until upgraded.
    pub not_upgraded: Vec<String>,
    /// What the CLI says.
    pub message: String,
}

/// Install a connector plugin uploaded as the body (a `.wasm` component), as `ledgerlink
/// plugins install` does: the same manifest deadline, reserved-name refusal and
/// content-addressed keeping; new connections of its name get it, existing ones keep the
/// component they are pinned to (admin).
#[utoipa::path(post, path = "/api/v1/connectors", tag = "connectors", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/wasm"),
    responses(
        (status = 201, body = InstalledView),
        (status = 413, description = "Larger than 32 MiB"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn install(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<InstalledView>)> {
    caller.require_admin()?;
    // Only a file name, never a path the server would look at.
    let filename = query
        .filename
        .as_deref()
        .and_then(|f| std::path::Path::new(f).file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload.wasm".to_owned());
    if body.is_empty() {
        return Err(crate::server::problem::Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the upload {filename} is empty; send the connector's .wasm component as the request body"
            ),
        ));
    }
    let source = format!("{filename} (uploaded by {})", caller.user.name);
    let stem = std::path::Path::new(&filename)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let registry = state.registry();
    let installed =
        on_engine(move || async move { registry.install_bytes(&body, &source, &stem).await })
            .await?;
    let f = &installed.facts;
    let mut message = format!(
        "Installed {} {} (sha256 {}) from {filename}.",
        f.name, f.version, installed.sha256
    );
    if let Some(old) = &installed.replaced {
        message.push_str(&format!(
            " New {} connections get {} instead of {}.",
            f.name, f.version, old.version
        ));
    }
    if !installed.not_upgraded.is_empty() {
        message.push_str(&format!(
            " These connections keep the version they run until upgraded: {}.",
            installed.not_upgraded.join(", ")
        ));
    }
    Ok((
        axum::http::StatusCode::CREATED,
        Json(InstalledView {
            name: f.name.clone(),
            version: f.version.clone(),
            sha256: installed.sha256.clone(),
            replaced_version: installed.replaced.as_ref().map(|r| r.version.clone()),
            not_upgraded: installed.not_upgraded.clone(),
            message,
        }),
    ))
}
