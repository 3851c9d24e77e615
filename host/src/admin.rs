//! Administering connections: add, remove (revoking at the vendor), store an API key. The
//! CLI (`ledgerlink connections add|remove|set-key`) and the server's admin endpoints call
//! these same functions; each surface only gathers the input (arguments, environment,
//! standard input, a JSON body) and says the outcome its own way.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::auth::context::{self, Services};
use crate::auth::oauth::{self, ClientCredentials, TokenError};
use crate::auth::tokens::{self, API_KEY, CLIENT_SECRET, TOKENS};
use crate::auth::vault::{Secret, SecretKey, VaultError};
use crate::net::{Origin, RouteError, Routes};
use crate::registry::{Registry, RegistryError};
use crate::runtime::Plugin;
use crate::runtime::manifest::Auth;
use crate::store::connections::{Connection, ConnectionError};

/// Shorter API keys are refused: the host redacts a key the vendor echoes back, and a short
/// key can neither be found reliably in a response nor resist guessing.
pub const MIN_API_KEY_CHARS: usize = 16;

/// Why an admin operation failed. Each message is the one the CLI prints.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The connection store failed, or the name is taken, unknown or invalid.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The connector could not be found or loaded.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A route is not an origin and a target.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// Revocation could not even be attempted (the HTTP client).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A setting's value is refused.
    #[error("{0}")]
    Setting(String),
    /// The connector has no such setting.
    #[error("connector {connector} has no setting {key:?}; its settings are: {known}")]
    UnknownSetting {
        /// The connector.
        connector: String,
        /// The key given.
        key: String,
        /// The keys it has.
        known: String,
    },
    /// The sandbox did not answer with routes, or lacks an origin the connector uses.
    #[error("{0}")]
    Sandbox(String),
    /// The connector does not use an API key.
    #[error(
        "connection {name} (connector {connector}) does not use an API key (its auth is {kind}); nothing was stored"
    )]
    NotApiKey {
        /// The connection.
        name: String,
        /// Its connector.
        connector: String,
        /// Its auth kind.
        kind: &'static str,
    },
    /// The key is too short.
    #[error(
        "the API key given for {name} is {length} characters long; ledgerlink refuses keys shorter than {MIN_API_KEY_CHARS} characters (a short key is easy to guess and cannot be reliably redacted when a vendor echoes it back). Nothing was stored; give the full key your vendor issued"
    )]
    ShortKey {
        /// The connection.
        name: String,
        /// The key's length in characters.
        length: usize,
    },
}

/// What a new connection is.
#[derive(Debug, Default)]
pub struct NewConnection {
    /// Its name.
    pub name: String,
    /// The connector it runs.
    pub connector: String,
    /// Settings (`KEY=VALUE`).
    pub settings: BTreeMap<String, String>,
    /// OAuth client id (OAuth connectors).
    pub client_id: Option<String>,
    /// OAuth client secret (OAuth connectors), kept in the vault.
    pub client_secret: Option<Secret>,
    /// API key (api-key connectors), kept in the vault.
    pub api_key: Option<Secret>,
    /// A sandbox whose routes the connection's origins take.
    pub sandbox: Option<String>,
    /// Explicit routes (origin → target).
    pub routes: BTreeMap<String, String>,
}

/// What adding set up.
#[derive(Debug)]
pub struct Added {
    /// The connection as stored.
    pub connection: Connection,
    /// The connector's name shown to people.
    pub display_name: String,
    /// Its version.
    pub version: String,
    /// The component's SHA-256 it is pinned to.
    pub sha256: String,
    /// "none", "oauth2" or "api-key".
    pub auth: &'static str,
}

/// Add a connection, pinned to the connector's current component; its client secret (or
/// API key) goes to the vault.
pub async fn add(
    services: &Services,
    registry: &Registry,
    new: NewConnection,
) -> Result<Added, AdminError> {
    let (plugin, pin) = registry.load_new(&new.connector).await?;
    let manifest = plugin.manifest();
    let mut settings = new.settings;
    for (key, value) in &settings {
        crate::sync::settings::check(key, value).map_err(AdminError::Setting)?;
        if !manifest.settings.iter().any(|s| &s.key == key)
            && !crate::sync::settings::is_host_setting(key)
        {
            return Err(AdminError::UnknownSetting {
                connector: new.connector.clone(),
                key: key.clone(),
                known: manifest
                    .settings
                    .iter()
                    .map(|s| s.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    if let (Auth::Oauth2 { .. }, Some(id)) = (&manifest.auth, &new.client_id) {
        settings.insert("client-id".to_owned(), id.clone());
    }
    let mut routes = new.routes;
    if let Some(base) = &new.sandbox {
        routes.extend(sandbox_routes(base, &plugin).await?);
    }
    Routes::parse(&routes)?;

    let connection = services
        .store
        .add_pinned(&new.name, &new.connector, &settings, &pin)?;
    services.store.set_routes(&new.name, &routes)?;
    if let (Auth::Oauth2 { .. }, Some(secret)) = (&manifest.auth, &new.client_secret) {
        services
            .vault
            .set(&SecretKey::new(&new.name, CLIENT_SECRET)?, secret)?;
    }
    if let (Auth::ApiKey { .. }, Some(key)) = (&manifest.auth, new.api_key) {
        store_key(services, &connection, &plugin, key)?;
    }
    Ok(Added {
        connection: services.store.get(&new.name)?,
        display_name: manifest.display_name.clone(),
        version: manifest.version.to_string(),
        sha256: pin.sha256,
        auth: manifest.auth.kind(),
    })
}

/// The routes a sandbox at `base` offers for the origins `plugin` uses.
async fn sandbox_routes(
    base: &str,
    plugin: &Plugin,
) -> Result<BTreeMap<String, String>, AdminError> {
    let url = format!("{}/_sandbox/routes", base.trim_end_matches('/'));
    let unreachable = |e: reqwest::Error| {
        AdminError::Sandbox(format!(
            "could not read the sandbox's routes from {url}; is `ledgerlink sandbox` running there?: {e}"
        ))
    };
    let offered: BTreeMap<String, String> = reqwest::get(&url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unreachable)?
        .json()
        .await
        .map_err(|e| {
            AdminError::Sandbox(format!("{url} did not answer with a routes table: {e}"))
        })?;
    let manifest = plugin.manifest();
    let mut needed: Vec<String> = manifest
        .allowed_hosts
        .origins()
        .iter()
        .map(ToString::to_string)
        .collect();
    if let Auth::Oauth2 {
        authorize_url,
        token_url,
        revoke_url,
        tenant_discovery,
        ..
    } = &manifest.auth
    {
        for u in [
            Some(authorize_url),
            Some(token_url),
            revoke_url.as_ref(),
            tenant_discovery.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(o) = url::Url::parse(u).ok().as_ref().and_then(Origin::of_url) {
                needed.push(o.to_string());
            }
        }
    }
    let mut routes = BTreeMap::new();
    for origin in needed {
        match offered.get(&origin) {
            Some(target) => {
                routes.insert(origin, target.clone());
            }
            None => {
                return Err(AdminError::Sandbox(format!(
                    "the sandbox at {base} does not emulate {origin}, which connector {} uses",
                    manifest.name
                )));
            }
        }
    }
    Ok(routes)
}

/// What happened at the vendor when a connection was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Nothing to revoke (no OAuth tokens, or no revocation endpoint).
    NotNeeded,
    /// The vendor (by display name) revoked the refresh token.
    Revoked(String),
    /// The vendor could not be reached or refused: (display name, why).
    Failed(String, String),
}

/// What removing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// At the vendor.
    pub revocation: Revocation,
    /// The vault items deleted (empty for a connector without credentials).
    pub vault_items: Vec<&'static str>,
}

/// Remove a connection: revoke its access at the vendor first (so access really ends; the
/// local removal happens anyway), delete its vault items, then its record.
pub async fn remove(
    services: &Services,
    registry: &Registry,
    name: &str,
) -> Result<Removed, AdminError> {
    let c = services.store.get(name)?;
    let plugin = registry.load_for(&c).await;
    // A connector without credentials has nothing in the vault (and may run where there is
    // no vault at all).
    let has_secrets = match (&plugin, &c.component) {
        (Ok(p), _) => !matches!(p.manifest().auth, Auth::None),
        (Err(_), Some(pin)) => pin.facts.auth.needs_vault(),
        (Err(_), None) => true,
    };
    let mut revocation = Revocation::NotNeeded;
    if let Ok(plugin) = plugin {
        let routes = Routes::parse(&c.routes)?;
        if let (Some(endpoints), Some(id)) = (
            context::endpoints(&plugin.manifest().auth, &routes),
            c.settings.get("client-id"),
        ) {
            let tokens = tokens::load(services.vault.as_ref(), name)?;
            let secret = tokens::secret(services.vault.as_ref(), name, CLIENT_SECRET)?;
            if let (Some(refresh), Some(secret), Some(_)) = (
                tokens.and_then(|t| t.refresh_token),
                secret,
                &endpoints.revoke,
            ) {
                let http = oauth::http_client(Duration::from_secs(30))?;
                let creds = ClientCredentials {
                    id: id.clone(),
                    secret: secret.expose().to_owned(),
                };
                let vendor = plugin.manifest().display_name.clone();
                revocation = match oauth::revoke(&http, &endpoints, &creds, &refresh).await {
                    Ok(()) => Revocation::Revoked(vendor),
                    Err(e) => Revocation::Failed(vendor, e.to_string()),
                };
            }
        }
    }
    let mut vault_items = Vec::new();
    if has_secrets {
        for item in [TOKENS, CLIENT_SECRET, API_KEY] {
            services.vault.delete(&SecretKey::new(name, item)?)?;
            vault_items.push(item);
        }
    }
    services.store.remove(name)?;
    Ok(Removed {
        revocation,
        vault_items,
    })
}

/// What removing a connection would do, said before it is done: names only, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPreview {
    /// The vendor (display name) where ledgerlink's access would be revoked, when the
    /// connection holds a refresh token and the vendor has a revocation endpoint.
    pub revokes_at: Option<String>,
    /// The vault items the connection has now (each would be deleted).
    pub vault_items: Vec<&'static str>,
    /// The names of its settings (deleted with its record), e.g. the tenant choice
    /// (`tenant-id`, `tenant-name`).
    pub settings: Vec<String>,
}

/// What [`remove`] would revoke and delete for connection `name`, looked up without
/// changing anything.
pub async fn removal_preview(
    services: &Services,
    registry: &Registry,
    name: &str,
) -> Result<RemovalPreview, AdminError> {
    let c = services.store.get(name)?;
    let plugin = registry.load_for(&c).await;
    let mut vault_items = Vec::new();
    for item in [TOKENS, CLIENT_SECRET, API_KEY] {
        if services.vault.get(&SecretKey::new(name, item)?)?.is_some() {
            vault_items.push(item);
        }
    }
    let mut revokes_at = None;
    if let Ok(plugin) = plugin {
        let routes = Routes::parse(&c.routes)?;
        let revocable = context::endpoints(&plugin.manifest().auth, &routes)
            .is_some_and(|e| e.revoke.is_some());
        let refresh = tokens::load(services.vault.as_ref(), name)?
            .and_then(|t| t.refresh_token)
            .is_some();
        if revocable && refresh && c.settings.contains_key("client-id") {
            revokes_at = Some(plugin.manifest().display_name.clone());
        }
    }
    Ok(RemovalPreview {
        revokes_at,
        vault_items,
        settings: c.settings.keys().cloned().collect(),
    })
}

/// Store a connection's API key in the vault (refusing a connector without one, and a key
/// shorter than [`MIN_API_KEY_CHARS`]).
pub async fn set_key(
    services: &Services,
    registry: &Registry,
    name: &str,
    key: Secret,
) -> Result<(), AdminError> {
    let connection = services.store.get(name)?;
    let plugin = registry.load_for(&connection).await?;
    store_key(services, &connection, &plugin, key)
}

fn store_key(
    services: &Services,
    connection: &Connection,
    plugin: &Plugin,
    key: Secret,
) -> Result<(), AdminError> {
    let name = &connection.name;
    if !matches!(plugin.manifest().auth, Auth::ApiKey { .. }) {
        return Err(AdminError::NotApiKey {
            name: name.clone(),
            connector: connection.connector.clone(),
            kind: plugin.manifest().auth.kind(),
        });
    }
    let length = key.expose().chars().count();
    if length < MIN_API_KEY_CHARS {
        return Err(AdminError::ShortKey {
            name: name.clone(),
            length,
        });
    }
    services.vault.set(&SecretKey::new(name, API_KEY)?, &key)?;
    services
        .store
        .record_tokens(name, &Default::default(), SystemTime::now())?;
    Ok(())
}
