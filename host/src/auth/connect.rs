//! `ledgerlink connect`: OAuth 2.0 authorization code with PKCE, a loopback redirect
//! listener on 127.0.0.1 (RFC 8252), `state` verified, then tenant choice (Xero) or callback
//! parameters kept (QuickBooks `realmId`), and the tokens stored in the vault.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::AuthError;
use super::context::{Services, endpoints};
use super::oauth::{self, ClientCredentials, TokenError};
use super::refresh::blocking;
use super::tokens::{self, CLIENT_SECRET};
use super::vault::{Secret, SecretKey};
use crate::net::Routes;
use crate::runtime::Plugin;
use crate::runtime::manifest::Auth;
use crate::store::connections::{Connection, TokenHealth};

/// An organisation a grant covers (Xero tenant).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tenant {
    /// Its id (sent by the plugin, e.g. as `xero-tenant-id`).
    pub id: String,
    /// Its name.
    pub name: String,
}

/// How the connect flow talks to the admin.
pub trait ConnectUi: Send {
    /// Show or open the authorization URL.
    fn authorize(&mut self, url: &Url);
    /// Choose one of several tenants; `Err` explains why none could be chosen.
    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String>;
}

/// What the flow needs besides the UI.
pub struct ConnectRequest<'a> {
    /// Shared services.
    pub services: &'a Services,
    /// The connector.
    pub plugin: &'a Plugin,
    /// The connection being connected.
    pub connection: &'a Connection,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// Tenant to choose (id or name), instead of asking.
    pub tenant: Option<String>,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

/// What connecting set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    /// The tenant chosen, when the vendor has tenants.
    pub tenant: Option<Tenant>,
    /// When the access token expires (Unix seconds).
    pub access_expires_at: i64,
}

/// Why connecting failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The connector does not use OAuth.
    #[error("connector {connector} does not use OAuth 2.0 (its auth is {kind}); {hint}")]
    NotOAuth {
        /// The connector.
        connector: String,
        /// Its auth kind.
        kind: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// The loopback listener could not start.
    #[error("could not listen on 127.0.0.1 for the authorization callback: {0}")]
    Listener(std::io::Error),
    /// Nobody came back in time.
    #[error("no authorization arrived within {}; run `ledgerlink connect {connection}` again and approve access in the browser", humantime::format_duration(*after))]
    Timeout {
        /// The connection.
        connection: String,
        /// The wait.
        after: Duration,
    },
    /// The admin (or the vendor) refused.
    #[error("authorization was not granted: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        /// OAuth error code.
        error: String,
        /// Vendor's description.
        description: Option<String>,
    },
    /// The callback's state did not match: not our request.
    #[error(
        "the authorization callback carried the wrong state (possible cross-site request forgery); nothing was stored. Run `ledgerlink connect` again"
    )]
    StateMismatch,
    /// The token exchange failed.
    #[error("exchanging the authorization code failed: {0}")]
    Token(#[from] TokenError),
    /// Listing tenants failed.
    #[error("could not list the organisations this authorization covers: {0}")]
    Tenants(String),
    /// No tenant could be chosen.
    #[error("{0}")]
    TenantChoice(String),
    /// Storing failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// An authorization begun: the URL for the browser, and what finishing it needs. Holds the
/// PKCE verifier and the client secret, so it is kept by whoever began it and never shown.
pub struct Begun {
    /// The authorization request (URL, `state`, PKCE verifier).
    pub authorization: oauth::Authorization,
    /// Where the vendor sends the browser back.
    pub redirect: Url,
    endpoints: oauth::Endpoints,
    routes: Routes,
    creds: ClientCredentials,
    client_secret: Secret,
    tenant_discovery: Option<String>,
    callback_params: Vec<String>,
}

/// Prepare the authorization of `connection` with PKCE, the browser to come back to
/// `redirect`.
pub fn begin(
    plugin: &Plugin,
    connection: &Connection,
    client_id: String,
    client_secret: Secret,
    redirect: Url,
) -> Result<Begun, ConnectError> {
    super::context::verify_pin(plugin, connection)?;
    let manifest = plugin.manifest();
    let Auth::Oauth2 {
        tenant_discovery,
        callback_params,
        ..
    } = &manifest.auth
    else {
        return Err(ConnectError::NotOAuth {
            connector: manifest.name.clone(),
            kind: manifest.auth.kind(),
            hint: match manifest.auth {
                Auth::ApiKey { .. } => "store its key with `ledgerlink connections set-key`",
                _ => "it needs no connecting",
            },
        });
    };
    let routes = Routes::parse(&connection.routes).map_err(|e| {
        AuthError::Internal(format!(
            "connection {} has an invalid route: {e}",
            connection.name
        ))
    })?;
    let Some(mut endpoints) = endpoints(&manifest.auth, &routes) else {
        return Err(AuthError::Internal(format!(
            "connector {} has unusable OAuth endpoints",
            manifest.name
        ))
        .into());
    };
    // A connection may ask for other scopes than the manifest's (Xero apps created before
    // March 2026 use the classic scope set): setting `scopes`, space-separated.
    if let Some(scopes) = connection.settings.get("scopes") {
        endpoints.scopes = scopes.split_whitespace().map(str::to_owned).collect();
    }
    let creds = ClientCredentials {
        id: client_id,
        secret: client_secret.expose().to_owned(),
    };
    let authorization = oauth::authorize(&endpoints, &creds, &redirect);
    Ok(Begun {
        authorization,
        redirect,
        endpoints,
        routes,
        creds,
        client_secret,
        tenant_discovery: tenant_discovery.clone(),
        callback_params: callback_params.clone(),
    })
}

/// A grant obtained, not stored yet: its tokens, the settings it brings, and (for a vendor
/// with tenants) the organisations it covers, one of which must be chosen.
pub struct Granted {
    tokens: tokens::TokenSet,
    settings: BTreeMap<String, String>,
    client_secret: Secret,
    /// The organisations the grant covers (`None` when the vendor has no tenants).
    pub tenants: Option<Vec<Tenant>>,
}

/// Finish an authorization from the callback's query `params`: refuse a denial or a wrong
/// `state`, exchange the code (with the PKCE verifier), list the tenants.
pub async fn exchange(
    begun: Begun,
    params: &BTreeMap<String, String>,
    now: std::time::SystemTime,
) -> Result<Granted, ConnectError> {
    if let Some(error) = params.get("error") {
        return Err(ConnectError::Denied {
            error: error.clone(),
            description: params.get("error_description").cloned(),
        });
    }
    if params.get("state") != Some(&begun.authorization.state) {
        return Err(ConnectError::StateMismatch);
    }
    let code = params
        .get("code")
        .cloned()
        .ok_or_else(|| ConnectError::Denied {
            error: "no code in the callback".to_owned(),
            description: None,
        })?;
    let http = oauth::http_client(Duration::from_secs(30))?;
    let tokens = oauth::exchange_code(
        &http,
        &begun.endpoints,
        &begun.creds,
        &begun.redirect,
        code,
        begun.authorization.verifier,
        now,
    )
    .await?;
    let mut settings: BTreeMap<String, String> = BTreeMap::new();
    settings.insert("client-id".to_owned(), begun.creds.id.clone());
    for param in &begun.callback_params {
        if let Some(v) = params.get(param) {
            settings.insert(kebab(param), v.clone());
        }
    }
    let tenants = match &begun.tenant_discovery {
        Some(url) => {
            let url = Url::parse(url).map_err(|e| ConnectError::Tenants(e.to_string()))?;
            Some(list_tenants(&http, &begun.routes.apply(&url), &tokens.access_token).await?)
        }
        None => None,
    };
    Ok(Granted {
        tokens,
        settings,
        client_secret: begun.client_secret,
        tenants,
    })
}

/// Pick the tenant named `wanted` (id or name) of a grant, or the only one, or ask `ui`.
pub fn choose_tenant(
    granted: &Granted,
    wanted: Option<&str>,
    ui: &mut dyn ConnectUi,
) -> Result<Option<Tenant>, ConnectError> {
    granted
        .tenants
        .as_deref()
        .map(|tenants| choose(tenants, wanted, ui))
        .transpose()
}

/// Store a grant for `connection` with the chosen `tenant`: secrets in the vault first, then
/// the (non-secret) record that says the connection works.
pub async fn store(
    services: &Services,
    connection: &str,
    mut granted: Granted,
    tenant: Option<Tenant>,
) -> Result<Connected, ConnectError> {
    if let Some(chosen) = &tenant {
        granted.settings.extend(tenant_settings(chosen));
    }
    let vault = services.vault.clone();
    let name = connection.to_owned();
    let secret = granted.client_secret.clone();
    let saved = granted.tokens.clone();
    blocking(move || {
        vault.set(&SecretKey::new(&name, CLIENT_SECRET)?, &secret)?;
        tokens::save(vault.as_ref(), &name, &saved)
    })
    .await?;
    let store = &services.store;
    for (k, v) in &granted.settings {
        store
            .set_setting(connection, k, Some(v))
            .map_err(AuthError::from)?;
    }
    store
        .record_tokens(
            connection,
            &TokenHealth {
                access_expires_at: Some(granted.tokens.access_expires_at),
                refresh_expires_at: granted.tokens.refresh_expires_at,
            },
            services.clock.now(),
        )
        .map_err(AuthError::from)?;
    Ok(Connected {
        tenant,
        access_expires_at: granted.tokens.access_expires_at,
    })
}

/// The settings that name a connection's chosen tenant.
pub fn tenant_settings(tenant: &Tenant) -> [(String, String); 2] {
    [
        ("tenant-id".to_owned(), tenant.id.clone()),
        ("tenant-name".to_owned(), tenant.name.clone()),
    ]
}

/// The tenant among `tenants` whose id is `wanted`, or whose name is (ignoring case).
pub fn find_tenant<'t>(tenants: &'t [Tenant], wanted: &str) -> Option<&'t Tenant> {
    tenants
        .iter()
        .find(|t| t.id == wanted || t.name.eq_ignore_ascii_case(wanted))
}

/// "Name (id), ..." for a message.
pub fn tenant_list(tenants: &[Tenant]) -> String {
    tenants
        .iter()
        .map(|t| format!("{} ({})", t.name, t.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Run the flow with a loopback listener.
pub async fn connect(
    req: ConnectRequest<'_>,
    ui: &mut dyn ConnectUi,
) -> Result<Connected, ConnectError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(ConnectError::Listener)?;
    let port = listener
        .local_addr()
        .map_err(ConnectError::Listener)?
        .port();
    let redirect = Url::parse(&format!("http://127.0.0.1:{port}/callback"))
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    let begun = begin(
        req.plugin,
        req.connection,
        req.client_id,
        req.client_secret,
        redirect,
    )?;
    ui.authorize(&begun.authorization.url);

    let params = tokio::time::timeout(req.timeout, wait_for_callback(&listener))
        .await
        .map_err(|_| ConnectError::Timeout {
            connection: req.connection.name.clone(),
            after: req.timeout,
        })?
        .map_err(ConnectError::Listener)?;
    let granted = exchange(begun, &params, req.services.clock.now()).await?;
    let tenant = choose_tenant(&granted, req.tenant.as_deref(), ui)?;
    store(req.services, &req.connection.name, granted, tenant).await
}

/// `realmId` → `realm-id`.
pub(crate) fn kebab(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn choose(
    tenants: &[Tenant],
    wanted: Option<&str>,
    ui: &mut dyn ConnectUi,
) -> Result<Tenant, ConnectError> {
    let list = || tenant_list(tenants);
    if let Some(wanted) = wanted {
        return find_tenant(tenants, wanted).cloned().ok_or_else(|| {
            ConnectError::TenantChoice(format!(
                "--tenant {wanted:?} is not among the organisations this authorization covers: {}",
                list()
            ))
        });
    }
    match tenants {
        [] => Err(ConnectError::TenantChoice(
            "the authorization covers no organisation; approve access to at least one in the browser".to_owned(),
        )),
        [only] => Ok(only.clone()),
        many => {
            let i = ui.choose_tenant(many).map_err(ConnectError::TenantChoice)?;
            many.get(i).cloned().ok_or_else(|| ConnectError::TenantChoice(format!("choose one of: {}", list())))
        }
    }
}

async fn list_tenants(
    http: &reqwest::Client,
    url: &Url,
    access_token: &str,
) -> Result<Vec<Tenant>, ConnectError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        tenant_id: String,
        tenant_name: Option<String>,
    }
    let response = http
        .get(url.clone())
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| ConnectError::Tenants(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ConnectError::Tenants(format!("{url} answered {status}")));
    }
    let entries: Vec<Entry> = response
        .json()
        .await
        .map_err(|e| ConnectError::Tenants(format!("unexpected answer from {url}: {e}")))?;
    Ok(entries
        .into_iter()
        .map(|e| Tenant {
            name: e.tenant_name.unwrap_or_else(|| e.tenant_id.clone()),
            id: e.tenant_id,
        })
        .collect())
}

/// Accept connections until one is the callback; answer the browser; return its query.
async fn wait_for_callback(listener: &TcpListener) -> std::io::Result<BTreeMap<String, String>> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = vec![0u8; 16 * 1024];
        let mut len = 0;
        // Read until the end of the request head (or the buffer is full).
        while len < buf.len() {
            let n = stream.read(&mut buf[len..]).await?;
            if n == 0 {
                break;
            }
            len += n;
            if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let head = String::from_utf8_lossy(&buf[..len]);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("GET "))
            .and_then(|l| l.split(' ').next())
            .unwrap_or("");
        let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else {
            respond(
                &mut stream,
                "400 Bad Request",
                "Not an authorization callback.",
            )
            .await;
            continue;
        };
        if url.path() != "/callback" {
            respond(
                &mut stream,
                "404 Not Found",
                "Not an authorization callback.",
            )
            .await;
            continue;
        }
        let params: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        let page = if params.contains_key("code") {
            "ledgerlink received the authorization. You can close this tab and return to the terminal."
        } else {
            "Authorization was not granted. Return to the terminal for details."
        };
        respond(&mut stream, "200 OK", page).await;
        return Ok(params);
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: &str, text: &str) {
    let body = format!("<!doctype html><meta charset=utf-8><title>ledgerlink</title><p>{text}</p>");
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may have gone; the callback's data is what matters.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::kebab;

    #[test]
    fn callback_params_become_kebab_case_settings() {
        assert_eq!(kebab("realmId"), "realm-id");
        assert_eq!(kebab("state"), "state");
    }
}
