//! Connecting through the server (admin): `GET /api/v1/connections/{name}/connect` returns
//! the vendor's authorize URL (PKCE, as `ledgerlink connect`), its `state` bound to the
//! caller ([`crate::server::authorizations`]); the vendor sends the browser back to
//! `/oauth/callback`, which exchanges the code and stores the tokens in the vault; when the
//! grant covers several organisations, `GET/PUT .../tenants` makes the choice.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::connect::{self, Tenant};
use crate::auth::tokens::{self, CLIENT_SECRET};
use crate::server::authorizations::{Binding, PENDING_FOR};
use crate::server::guard::{Caller, Via};
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::server::{AppState, on_engine};
use crate::store::connections::Status;

/// The server's own OAuth redirect path (outside `/api/v1`: the browser comes back to it).
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// An authorization begun.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuthorizeView {
    /// Open it in the browser and approve access at the vendor.
    pub authorize_url: String,
    /// Where the vendor sends the browser back (register it with the vendor's app).
    pub redirect_uri: String,
    /// Seconds the authorization may take.
    pub expires_in: u64,
}

/// Begin connecting a connection: the vendor's authorize URL, good once, for ten minutes
/// (admin). The connection needs its OAuth client id and secret (given when it was added).
#[utoipa::path(get, path = "/api/v1/connections/{name}/connect", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = AuthorizeView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn begin(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<AuthorizeView>> {
    caller.require_admin()?;
    let unprocessable = |detail: String| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail);
    let connection = state.services().store.get(&name)?;
    let Some(public) = state.public_url() else {
        return Err(unprocessable(format!(
            "this server does not know the address browsers reach it at, so the vendor cannot send the browser back; restart `ledgerlink serve` with --public-url (e.g. https://ledgerlink.example.com) and register <that URL>{CALLBACK_PATH} with the vendor"
        )));
    };
    let redirect = public
        .join(CALLBACK_PATH)
        .map_err(|e| Problem::internal(e.to_string()))?;
    let client_id = connection.settings.get("client-id").cloned().ok_or_else(|| {
        unprocessable(format!(
            "connection {name} has no OAuth client id: set its client-id setting (PATCH /api/v1/connections/{name}/settings) to the id of your app at the vendor"
        ))
    })?;
    let secret = tokens::secret(state.services().vault.as_ref(), &name, CLIENT_SECRET)
        .map_err(|e| Problem::internal(e.to_string()))?
        .ok_or_else(|| {
            unprocessable(format!(
                "connection {name} has no OAuth client secret in the vault: remove it and add it again with client_secret"
            ))
        })?;
    let registry = state.registry();
    let plugin = on_engine(move || async move {
        registry
            .load_for(&connection)
            .await
            .map(|p| (p, connection))
    })
    .await?;
    let (plugin, connection) = plugin;
    let begun = connect::begin(&plugin, &connection, client_id, secret, redirect.clone())?;
    let authorize_url = begun.authorization.url.to_string();
    let session = match &caller.via {
        Via::Session { id_sha256, .. } => Some(id_sha256.clone()),
        Via::Token => None,
    };
    let bound_state = begun.authorization.state.clone();
    state.authorizations().bind(
        &bound_state,
        begun,
        Binding {
            connection: name.clone(),
            user: caller.user.name.clone(),
            session,
        },
        Instant::now(),
    );
    state.accounts().audit(
        &caller.user.name,
        "api",
        &format!("began connecting {name}"),
    )?;
    Ok(Json(AuthorizeView {
        authorize_url,
        redirect_uri: redirect.to_string(),
        expires_in: PENDING_FOR.as_secs(),
    }))
}

/// Why a callback is refused, whatever the parameters: nothing was stored.
const UNKNOWN_STATE: &str = "this authorization callback's state was not issued by this server, was already used, or expired (authorizations last ten minutes and work once; a replayed callback is refused as possible cross-site request forgery); nothing was stored. Begin again with GET /api/v1/connections/NAME/connect";

/// Where the vendor sends the browser back: exchange the code for tokens and store them
/// (no session needed: the `state`, issued once by `.../connect`, is the proof).
#[utoipa::path(get, path = "/oauth/callback", tag = "connections",
    params(
        ("state" = String, Query, description = "The state the authorize URL carried"),
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("error" = Option<String>, Query, description = "The vendor's refusal"),
    ),
    responses(
        (status = 200, description = "Connected (an HTML page for the browser)", content_type = "text/html"),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
        (status = 502, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    Query(params): Query<BTreeMap<String, String>>,
) -> ApiResult<Response> {
    let taken = params
        .get("state")
        .and_then(|s| state.authorizations().take(s, Instant::now()));
    let Some((begun, binding)) = taken else {
        return Err(Problem::bad_request(UNKNOWN_STATE));
    };
    let name = binding.connection.clone();
    if let Some(session) = &binding.session {
        let live = state
            .accounts()
            .session(session, state.session_limits())?
            .is_some_and(|s| s.user.name == binding.user);
        if !live {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "the session that began connecting {name} has ended (signed out or expired); nothing was stored. Sign in and begin again with GET /api/v1/connections/{name}/connect"
                ),
            ));
        }
    }
    let services = state.services().clone();
    let now = services.clock.now();
    let granted = connect::exchange(begun, &params, now).await?;
    let current = services
        .store
        .get(&name)?
        .settings
        .get("tenant-id")
        .cloned();
    let (tenant, offered) = match granted.tenants.as_deref() {
        None => (None, None),
        Some([]) => {
            return Err(connect::ConnectError::TenantChoice(
                "the authorization covers no organisation; approve access to at least one in the browser".to_owned(),
            )
            .into());
        }
        Some([only]) => (Some(only.clone()), None),
        // Connecting again keeps the organisation already chosen, when the grant covers it.
        Some(many) => match current.and_then(|id| connect::find_tenant(many, &id).cloned()) {
            Some(kept) => (Some(kept), None),
            None => (None, Some(many.to_vec())),
        },
    };
    let connected = connect::store(&services, &name, granted, tenant).await?;
    let (page, audit) = match (&offered, &connected.tenant) {
        (Some(many), _) => {
            let message = format!(
                "connection {name} was authorized for several organisations ({}); choose one with PUT /api/v1/connections/{name}/tenants",
                connect::tenant_list(many)
            );
            services
                .store
                .record_failure(&name, Status::Error, "tenant-choice", &message, now)?;
            state.authorizations().offer(&name, many.clone());
            (
                format!(
                    "ledgerlink received the authorization of {name}. It covers several organisations: choose one in ledgerlink."
                ),
                format!("connected {name} through {CALLBACK_PATH}; organisation to choose"),
            )
        }
        (None, Some(t)) => {
            state.authorizations().settle(&name);
            (
                format!(
                    "ledgerlink connected {name} to {}. You can close this tab.",
                    t.name
                ),
                format!(
                    "connected {name} through {CALLBACK_PATH} to {} ({})",
                    t.name, t.id
                ),
            )
        }
        (None, None) => (
            format!("ledgerlink connected {name}. You can close this tab."),
            format!("connected {name} through {CALLBACK_PATH}"),
        ),
    };
    state.accounts().audit(&binding.user, "api", &audit)?;
    Ok(Html(format!(
        "<!doctype html><meta charset=utf-8><title>ledgerlink</title><p>{}</p><p><a href=\"/integrations\">Back to ledgerlink</a></p>",
        html_escape(&page)
    ))
    .into_response())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An organisation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TenantView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> Self {
        TenantView {
            id: t.id.clone(),
            name: t.name.clone(),
        }
    }
}

/// A connection's organisation: the one chosen, and those offered while a choice is pending.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TenantsView {
    /// The organisation the connection uses.
    pub chosen: Option<TenantView>,
    /// The organisations its last authorization covers, while one is to be chosen.
    pub offered: Vec<TenantView>,
    /// Whether a choice is pending.
    pub pending: bool,
}

fn tenants_view(state: &AppState, name: &str) -> ApiResult<TenantsView> {
    let settings = state.services().store.get(name)?.settings;
    let chosen = settings.get("tenant-id").map(|id| TenantView {
        id: id.clone(),
        name: settings
            .get("tenant-name")
            .cloned()
            .unwrap_or_else(|| id.clone()),
    });
    let offered = state.authorizations().offered(name);
    Ok(TenantsView {
        chosen,
        pending: offered.is_some(),
        offered: offered.iter().flatten().map(TenantView::from).collect(),
    })
}

/// A connection's organisation and, while a choice is pending, those offered (admin).
#[utoipa::path(get, path = "/api/v1/connections/{name}/tenants", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    responses(
        (status = 200, body = TenantsView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn tenants(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<TenantsView>> {
    caller.require_admin()?;
    Ok(Json(tenants_view(&state, &name)?))
}

/// The organisation to use (its id or name).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ChooseTenant {
    /// An offered organisation's id or name.
    pub tenant: String,
}

/// Choose the organisation a connection uses, among those its authorization covers (admin).
#[utoipa::path(put, path = "/api/v1/connections/{name}/tenants", tag = "connections",
    params(("name" = String, Path, description = "The connection")),
    request_body = ChooseTenant,
    responses(
        (status = 200, body = TenantsView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn choose(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<ChooseTenant>,
) -> ApiResult<Json<TenantsView>> {
    caller.require_admin()?;
    let connection = state.services().store.get(&name)?;
    let Some(offered) = state.authorizations().offered(&name) else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            format!(
                "no organisation choice is pending for {name} (a choice lasts until the server restarts); connect it again with GET /api/v1/connections/{name}/connect"
            ),
        ));
    };
    let Some(chosen) = connect::find_tenant(&offered, body.tenant.trim()) else {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{:?} is not among the organisations this authorization covers: {}",
                body.tenant,
                connect::tenant_list(&offered)
            ),
        ));
    };
    let store = &state.services().store;
    for (key, value) in connect::tenant_settings(chosen) {
        store.set_setting(&name, &key, Some(&value))?;
    }
    store.record_tokens(
        &name,
        &crate::store::connections::TokenHealth {
            access_expires_at: connection.access_expires_at,
            refresh_expires_at: None,
        },
        state.services().clock.now(),
    )?;
    state.authorizations().settle(&name);
    Ok(Json(tenants_view(&state, &name)?))
}
