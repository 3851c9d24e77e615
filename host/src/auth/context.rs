//! Everything a plugin call for one connection needs, assembled in one place: settings
//! (manifest defaults overlaid with the connection's), HTTP with the allowlist, routes and
//! the connection's credentials, the connection's folder, the clock.

use crate::store::sql::{Db, Engine};
use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use super::AuthError;
use super::credentials::{ApiKeyCredentials, OAuthCredentials};
use super::oauth::Endpoints;
use super::refresh::{RefreshPolicy, TokenManager, TokenManagerParts, blocking};
use super::tokens::{self, API_KEY};
use super::vault::Vault;
use crate::files::ConnectionFolder;
use crate::net::{Credentials, HttpLimits, NoCredentials, OutboundHttp, Pacer, RateLimit, Routes};
use crate::runtime::manifest::Auth;
use crate::runtime::{CallContext, Clock, Plugin};
use crate::store::DataDir;
use crate::store::connections::{Connection, ConnectionStore};

/// The services a connection's calls share.
#[derive(Clone)]
pub struct Services {
    /// The data folder.
    pub data: DataDir,
    /// The connections table.
    pub store: ConnectionStore,
    /// The vault.
    pub vault: Arc<dyn Vault>,
    /// The clock for token expiry.
    pub clock: Arc<dyn Clock>,
    /// Outbound HTTP limits.
    pub http_limits: HttpLimits,
    /// Refresh tunables.
    pub refresh: RefreshPolicy,
    /// One pacer per connection, shared by all its calls in this process.
    pub pacers: Pacers,
}

/// The [`Pacer`] of each connection, created on first use.
#[derive(Debug, Clone, Default)]
pub struct Pacers(Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<Pacer>>>>);

impl Pacers {
    /// The pacer of `connection`, keeping to `limits` (scaled by `scale`). On a PostgreSQL
    /// store, shared by every process on it ([`Pacer::shared`]: several workers spend one
    /// organisation's budget together); on SQLite, this process's own.
    pub fn get(&self, connection: &str, limits: &[RateLimit], scale: u32, db: &Db) -> Arc<Pacer> {
        // The map is only touched here and no code panics while holding the lock; a
        // poisoned map is still a valid map.
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(connection.to_owned())
            .or_insert_with(|| {
                Arc::new(match db.engine() {
                    Engine::Postgres => Pacer::shared(limits, scale, db.clone(), connection),
                    Engine::Sqlite => Pacer::new(limits, scale),
                })
            })
            .clone()
    }

    /// The pacer of `connection`, if a call made one in this process.
    pub fn current(&self, connection: &str) -> Option<Arc<Pacer>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(connection)
            .cloned()
    }
}

impl Services {
    /// The process's one handle on the store's database (the connection store's), for the
    /// other stores to be made over with `from_db`, on either engine.
    pub fn db(&self) -> crate::store::sql::Db {
        self.store.db()
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

/// The OAuth endpoints of `auth`, with `routes` applied.
pub fn endpoints(auth: &Auth, routes: &Routes) -> Option<Endpoints> {
    let Auth::Oauth2 {
        authorize_url,
        token_url,
        revoke_url,
        scopes,
        ..
    } = auth
    else {
        return None;
    };
    let route = |u: &str| Url::parse(u).ok().map(|u| routes.apply(&u));
    Some(Endpoints {
        authorize: route(authorize_url)?,
        token: route(token_url)?,
        revoke: revoke_url.as_deref().and_then(route),
        scopes: scopes.clone(),
    })
}

/// Settings a call sees: the manifest's defaults, then the connection's own.
pub fn settings(plugin: &Plugin, connection: &Connection) -> BTreeMap<String, String> {
    let mut settings: BTreeMap<String, String> = plugin
        .manifest()
        .settings
        .iter()
        .filter_map(|s| s.default.clone().map(|d| (s.key.clone(), d)))
        .collect();
    settings.extend(connection.settings.clone());
    // The client id and the folder's quota are the host's business, not the plugin's.
    settings.remove("client-id");
    settings.remove(crate::files::QUOTA_SETTING);
    settings
}

/// Refuse to use `connection`'s credentials with anything but the component it is pinned to,
/// declaring exactly the manifest facts recorded when it was pinned (so the OAuth endpoints
/// and the allowlist its credentials go to are the ones it was connected with). A connection
/// not pinned yet is pinned by the registry before any command runs it.
pub fn verify_pin(plugin: &Plugin, connection: &Connection) -> Result<(), AuthError> {
    let Some(pin) = &connection.component else {
        return Ok(());
    };
    let found = &plugin.info().sha256;
    let facts = crate::registry::facts::of(plugin.manifest());
    if found != &pin.sha256 || facts != pin.facts {
        return Err(AuthError::WrongComponent {
            connection: connection.name.clone(),
            expected: pin.sha256.clone(),
            declared: format!("{} {}", pin.facts.name, pin.facts.version),
            found: format!("{} {} (sha256 {found})", facts.name, facts.version),
        });
    }
    Ok(())
}

/// The credentials for `connection`'s requests.
pub async fn credentials(
    services: &Services,
    plugin: &Plugin,
    connection: &Connection,
    routes: &Routes,
) -> Result<Arc<dyn Credentials>, AuthError> {
    verify_pin(plugin, connection)?;
    let manifest = plugin.manifest();
    Ok(match &manifest.auth {
        Auth::None => Arc::new(NoCredentials),
        Auth::ApiKey { header, prefix } => {
            let vault = services.vault.clone();
            let name = connection.name.clone();
            let key = blocking(move || tokens::secret(vault.as_ref(), &name, API_KEY))
                .await?
                .ok_or_else(|| AuthError::NotConnected {
                    connection: connection.name.clone(),
                })?;
            let header =
                reqwest::header::HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
                    AuthError::Internal(format!("manifest header {header:?} is not valid"))
                })?;
            Arc::new(ApiKeyCredentials::new(header, prefix.clone(), key))
        }
        auth @ Auth::Oauth2 { .. } => {
            let endpoints = endpoints(auth, routes).ok_or_else(|| {
                AuthError::Internal(format!(
                    "connector {} has unusable OAuth endpoints",
                    manifest.name
                ))
            })?;
            let client_id = connection
                .settings
                .get("client-id")
                .cloned()
                .ok_or_else(|| AuthError::NotConnected {
                    connection: connection.name.clone(),
                })?;
            let manager = TokenManager::new(TokenManagerParts {
                connection: connection.name.clone(),
                vendor: manifest.display_name.clone(),
                store: services.store.clone(),
                vault: services.vault.clone(),
                locks: services.data.locks(),
                endpoints,
                client_id,
                clock: services.clock.clone(),
                policy: services.refresh,
            })?;
            Arc::new(OAuthCredentials::new(Arc::new(manager)))
        }
    })
}

/// A [`CallContext`] for running `plugin` on behalf of `connection`.
pub async fn call_context(
    services: &Services,
    plugin: &Plugin,
    connection: &Connection,
) -> Result<CallContext, AuthError> {
    let routes = Routes::parse(&connection.routes).map_err(|e| {
        AuthError::Internal(format!(
            "connection {} has an invalid route: {e}",
            connection.name
        ))
    })?;
    let creds = credentials(services, plugin, connection, &routes).await?;
    let http = OutboundHttp::new(
        &plugin.manifest().name,
        plugin.manifest().allowed_hosts.clone(),
        services.http_limits,
        creds,
    )
    .map_err(|e| AuthError::Internal(e.to_string()))?
    .with_routes(routes)
    .with_pacer(services.pacers.get(
        &connection.name,
        &plugin.manifest().rate_limits,
        services.http_limits.rate_limit_scale,
        &services.db(),
    ));
    let quota = crate::files::quota_from_setting(
        connection
            .settings
            .get(crate::files::QUOTA_SETTING)
            .map(String::as_str),
    )
    .map_err(|e| AuthError::Internal(format!("connection {}: {e}", connection.name)))?;
    let folder = ConnectionFolder::open(&services.data.connection_files(&connection.name))
        .map_err(|e| {
            AuthError::Internal(format!(
                "could not open the folder of connection {}: {e}",
                connection.name
            ))
        })?
        .with_quota(quota);
    Ok(CallContext {
        settings: settings(plugin, connection),
        http: Some(http),
        folder: Some(Arc::new(folder)),
        clock: services.clock.clone(),
    })
}
