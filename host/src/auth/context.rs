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
use crate::runtime::manifest::{Auth, Manifest};
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
    /// One pacer per vendor organisation, shared by the calls of every connection to it in
    /// this process (and, on PostgreSQL, with every other process).
    pub pacers: Pacers,
}

/// The [`Pacer`] of each vendor organisation ([`pacing_key`]), created on first use, and
/// which one each connection used.
#[derive(Debug, Clone, Default)]
pub struct Pacers(Arc<std::sync::Mutex<PacerMaps>>);

#[derive(Debug, Default)]
struct PacerMaps {
    /// Pacing key → its pacer.
    by_key: std::collections::HashMap<String, Arc<Pacer>>,
    /// Connection name → the pacer its calls went through.
    by_connection: std::collections::HashMap<String, Arc<Pacer>>,
}

impl Pacers {
    /// The pacer of `connection`, whose organisation is `key` ([`pacing_key`]), keeping to
    /// `limits` (scaled by `scale`). Every connection with the same key gets the same pacer:
    /// a vendor's limits are per organisation, so two connections to one organisation spend
    /// one budget. On a PostgreSQL store, shared by every process on it ([`Pacer::shared`]:
    /// several workers spend one organisation's budget together); on SQLite, this process's
    /// own.
    pub fn get(
        &self,
        connection: &str,
        key: &str,
        limits: &[RateLimit],
        scale: u32,
        db: &Db,
    ) -> Arc<Pacer> {
        let mut maps = self.maps();
        let pacer = maps
            .by_key
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(match db.engine() {
                    Engine::Postgres => Pacer::shared(limits, scale, db.clone(), key),
                    Engine::Sqlite => Pacer::new(limits, scale),
                })
            })
            .clone();
        maps.by_connection
            .insert(connection.to_owned(), Arc::clone(&pacer));
        pacer
    }

    /// The pacer `connection`'s calls went through, if a call made one in this process.
    pub fn current(&self, connection: &str) -> Option<Arc<Pacer>> {
        self.maps().by_connection.get(connection).cloned()
    }

    fn maps(&self) -> std::sync::MutexGuard<'_, PacerMaps> {
        // The maps are only touched in this impl and no code panics while holding the lock;
        // poisoned maps are still valid maps.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The vendor organisation `connection` reaches, as the key its calls are paced under:
/// the connector's name, the organisation its grant chose (the `tenant-id` setting of a
/// vendor with tenants, the callback parameters kept as settings such as QuickBooks'
/// `realm-id`) and the routes its requests are redirected through (a sandbox's
/// organisation is not the vendor's). Vendors count their call limits per organisation
/// (Xero per tenant, QuickBooks per realm), so every connection to one organisation must
/// spend one budget. A connection naming no organisation (an API key, no tenant) is paced
/// on its own, under its name.
pub fn pacing_key(manifest: &Manifest, connection: &Connection) -> String {
    let mut organisation = Vec::new();
    if let Auth::Oauth2 {
        tenant_discovery,
        callback_params,
        ..
    } = &manifest.auth
    {
        let mut keys: Vec<String> = callback_params
            .iter()
            .map(|p| super::connect::kebab(p))
            .collect();
        if tenant_discovery.is_some() {
            keys.push("tenant-id".to_owned());
        }
        for key in keys {
            if let Some(value) = connection.settings.get(&key).filter(|v| !v.is_empty()) {
                organisation.push(format!("{key}={value}"));
            }
        }
    }
    if organisation.is_empty() {
        return format!("connection:{}", connection.name);
    }
    let routes: Vec<String> = connection
        .routes
        .iter()
        .map(|(from, to)| format!("{from}>{to}"))
        .collect();
    let mut key = format!("{}:{}", manifest.name, organisation.join(","));
    if !routes.is_empty() {
        key.push_str(&format!(" via {}", routes.join(",")));
    }
    key
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
        &pacing_key(plugin.manifest(), connection),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;
    use crate::net::AllowedHosts;
    use crate::store::connections::Status;

    fn manifest(name: &str, tenants: bool, callback_params: &[&str]) -> Manifest {
        Manifest {
            name: name.to_owned(),
            display_name: name.to_owned(),
            version: semver::Version::new(1, 0, 0),
            contract: semver::Version::new(0, 1, 0),
            description: String::new(),
            capabilities: Vec::new(),
            auth: Auth::Oauth2 {
                authorize_url: "https://login.example/authorize".to_owned(),
                token_url: "https://login.example/token".to_owned(),
                revoke_url: None,
                scopes: Vec::new(),
                tenant_discovery: tenants.then(|| "https://api.example/connections".to_owned()),
                callback_params: callback_params.iter().map(|p| (*p).to_owned()).collect(),
            },
            allowed_hosts: AllowedHosts::parse(&["https://api.example:443"]).unwrap(),
            settings: Vec::new(),
            rate_limits: vec![RateLimit {
                requests: 3,
                window: Duration::from_secs(60),
            }],
        }
    }

    fn connection(name: &str, settings: &[(&str, &str)]) -> Connection {
        Connection {
            name: name.to_owned(),
            connector: "xero".to_owned(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            routes: BTreeMap::new(),
            status: Status::Connected,
            status_message: None,
            access_expires_at: None,
            refresh_expires_at: None,
            last_refresh_at: None,
            last_refresh_outcome: None,
            component: None,
        }
    }

    #[test]
    fn the_pacing_key_is_the_organisation_not_the_connection() {
        let xero = manifest("xero", true, &[]);
        let qbo = manifest("quickbooks", false, &["realmId"]);
        let nz = [("tenant-id", "nz-1")];
        let (a, b) = (connection("north", &nz), connection("south", &nz));
        assert_eq!(pacing_key(&xero, &a), "xero:tenant-id=nz-1");
        assert_eq!(pacing_key(&xero, &a), pacing_key(&xero, &b));
        let us = connection("west", &[("tenant-id", "us-2")]);
        assert_ne!(pacing_key(&xero, &a), pacing_key(&xero, &us));
        let realm = connection("books", &[("realm-id", "9341")]);
        assert_eq!(pacing_key(&qbo, &realm), "quickbooks:realm-id=9341");
        // Redirected elsewhere (a sandbox), the same id is another organisation.
        let mut routed = connection("sandboxed", &nz);
        routed.routes.insert(
            "https://api.example".to_owned(),
            "http://127.0.0.1:9".to_owned(),
        );
        assert_eq!(
            pacing_key(&xero, &routed),
            "xero:tenant-id=nz-1 via https://api.example>http://127.0.0.1:9"
        );
        // No organisation named: the connection is paced on its own.
        assert_eq!(pacing_key(&xero, &connection("new", &[])), "connection:new");
    }

    /// Two connections to one Xero tenant spend that tenant's one budget (before, each
    /// connection had its own pacer and together they sent twice the vendor's limit).
    #[tokio::test]
    async fn two_connections_to_one_organisation_share_its_budget() {
        let xero = manifest("xero", true, &[]);
        let tmp = tempfile::tempdir().unwrap();
        let db = crate::store::engine::open(&crate::store::engine::DatabaseUrl::Sqlite(
            tmp.path().join("ledgerlink.db"),
        ))
        .unwrap();
        let pacers = Pacers::default();
        let get =
            |c: &Connection| pacers.get(&c.name, &pacing_key(&xero, c), &xero.rate_limits, 1, &db);
        let nz = [("tenant-id", "nz-1")];
        let (north, south) = (
            get(&connection("north", &nz)),
            get(&connection("south", &nz)),
        );
        let west = get(&connection("west", &[("tenant-id", "us-2")]));
        let within = Duration::from_secs(1);
        assert!(north.acquire_within(within).await.is_ok());
        assert!(south.acquire_within(within).await.is_ok());
        assert!(north.acquire_within(within).await.is_ok());
        // The tenant's 3 a minute are spent, whichever connection asks next.
        assert!(south.acquire_within(within).await.is_err());
        assert!(north.acquire_within(within).await.is_err());
        // Another tenant has its own budget.
        assert!(west.acquire_within(within).await.is_ok());
        // Each connection finds the pacer its calls went through.
        assert!(Arc::ptr_eq(&pacers.current("south").unwrap(), &north));
        assert!(!Arc::ptr_eq(&pacers.current("west").unwrap(), &north));
        assert!(pacers.current("nobody").is_none());
    }
}
