//! A plugin's manifest, checked at load and turned into host types.

use serde::Serialize;

use super::bindings::{self as wit, Capability};
use crate::net::AllowedHosts;

/// A connector's manifest after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    /// Machine name, e.g. "xero".
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The connector's own version.
    pub version: semver::Version,
    /// The contract version it was built for.
    pub contract: semver::Version,
    /// One sentence on what it connects to.
    pub description: String,
    /// Operations it implements, in contract spelling ("push-customers").
    pub capabilities: Vec<String>,
    /// How it authenticates.
    pub auth: Auth,
    /// Origins it may call.
    #[serde(serialize_with = "serialize_hosts")]
    pub allowed_hosts: AllowedHosts,
    /// Settings it reads.
    pub settings: Vec<SettingSpec>,
    /// The vendor's call limits per organisation, which the host paces to.
    pub rate_limits: Vec<crate::net::RateLimit>,
}

/// How a connector authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Auth {
    /// No credentials.
    None,
    /// OAuth 2.0 authorization code with PKCE.
    #[serde(rename_all = "kebab-case")]
    Oauth2 {
        /// Authorization endpoint.
        authorize_url: String,
        /// Token endpoint.
        token_url: String,
        /// Revocation endpoint.
        revoke_url: Option<String>,
        /// Scopes requested.
        scopes: Vec<String>,
        /// Where the tenants a grant covers are listed.
        tenant_discovery: Option<String>,
        /// Callback parameters kept as settings.
        callback_params: Vec<String>,
    },
    /// A static API key in a header.
    #[serde(rename_all = "kebab-case")]
    ApiKey {
        /// Header name.
        header: String,
        /// Text before the key.
        prefix: Option<String>,
    },
}

impl Auth {
    /// Short name: "none", "oauth2", "api-key".
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Oauth2 { .. } => "oauth2",
            Auth::ApiKey { .. } => "api-key",
        }
    }
}

/// One setting a connector reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SettingSpec {
    /// Key.
    pub key: String,
    /// What it means.
    pub description: String,
    /// Whether a connection must set it.
    pub required: bool,
    /// Default value.
    pub default: Option<String>,
}

fn serialize_hosts<S: serde::Serializer>(hosts: &AllowedHosts, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(hosts.origins().iter().map(ToString::to_string))
}

/// The contract spelling of a capability.
pub fn capability_name(c: Capability) -> &'static str {
    match c {
        Capability::PullCustomers => "pull-customers",
        Capability::FindCustomers => "find-customers",
        Capability::PushCustomers => "push-customers",
        Capability::PullInvoices => "pull-invoices",
        Capability::PushJobInvoices => "push-job-invoices",
        Capability::PushContractInvoices => "push-contract-invoices",
        Capability::Delete => "delete",
        Capability::PushOrders => "push-orders",
        Capability::GetInvoices => "get-invoices",
    }
}

/// Check a manifest as the plugin returned it. The error is the list of every problem, so
/// an author fixes them in one round.
pub fn validate(
    raw: wit::PluginManifest,
    contract: semver::Version,
) -> Result<Manifest, Vec<String>> {
    let mut problems = Vec::new();

    let name_ok = !raw.name.is_empty()
        && raw.name.len() <= 64
        && raw.name.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        problems.push(format!(
            "name {:?} must be 1-64 characters of lowercase letters, digits and '-', starting with a letter",
            raw.name
        ));
    }
    if raw.display_name.trim().is_empty() {
        problems.push("display-name is empty".to_owned());
    }
    let version = match semver::Version::parse(&raw.version) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!(
                "version {:?} is not a semver version: {e}",
                raw.version
            ));
            semver::Version::new(0, 0, 0)
        }
    };

    let mut capabilities = Vec::new();
    for c in raw.capabilities {
        let name = capability_name(c);
        if capabilities.iter().any(|have| have == name) {
            problems.push(format!("capability {name} is listed twice"));
        } else {
            capabilities.push(name.to_owned());
        }
    }

    let allowed_hosts = AllowedHosts::parse(&raw.allowed_hosts).unwrap_or_else(|e| {
        problems.push(e.to_string());
        AllowedHosts::default()
    });

    let auth = match raw.auth {
        wit::AuthKind::None => Auth::None,
        wit::AuthKind::Oauth2(o) => {
            for (what, url) in [
                ("authorize-url", Some(&o.authorize_url)),
                ("token-url", Some(&o.token_url)),
                ("revoke-url", o.revoke_url.as_ref()),
                ("tenant-discovery", o.tenant_discovery.as_ref()),
            ] {
                if let Some(url) = url {
                    check_endpoint(what, url, &mut problems);
                }
            }
            Auth::Oauth2 {
                authorize_url: o.authorize_url,
                token_url: o.token_url,
                revoke_url: o.revoke_url,
                scopes: o.scopes,
                tenant_discovery: o.tenant_discovery,
                callback_params: o.callback_params,
            }
        }
        wit::AuthKind::ApiKey(k) => {
            if http::HeaderName::from_bytes(k.header.as_bytes()).is_err() {
                problems.push(format!(
                    "api-key header {:?} is not a valid header name",
                    k.header
                ));
            }
            Auth::ApiKey {
                header: k.header,
                prefix: k.prefix,
            }
        }
    };

    let mut settings: Vec<SettingSpec> = Vec::new();
    for s in raw.settings {
        if s.key.trim().is_empty() {
            problems.push("a setting has an empty key".to_owned());
        } else if settings.iter().any(|have| have.key == s.key) {
            problems.push(format!("setting {:?} is declared twice", s.key));
        }
        settings.push(SettingSpec {
            key: s.key,
            description: s.description,
            required: s.required,
            default: s.default,
        });
    }

    let mut rate_limits = Vec::new();
    for l in raw.rate_limits {
        if l.requests == 0 || l.window_seconds == 0 {
            problems.push(format!(
                "rate limit {} per {} s must have at least 1 request and a window of at least 1 second",
                l.requests, l.window_seconds
            ));
        } else {
            rate_limits.push(crate::net::RateLimit {
                requests: l.requests,
                window: std::time::Duration::from_secs(u64::from(l.window_seconds)),
            });
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Manifest {
        name: raw.name,
        display_name: raw.display_name,
        version,
        contract,
        description: raw.description,
        capabilities,
        auth,
        allowed_hosts,
        settings,
        rate_limits,
    })
}

/// OAuth endpoints are contacted by the host: https only, except on loopback (the sandbox).
fn check_endpoint(what: &str, url: &str, problems: &mut Vec<String>) {
    match url::Url::parse(url) {
        Err(e) => problems.push(format!("oauth2 {what} {url:?} is not a URL: {e}")),
        Ok(u) => {
            let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if u.scheme() != "https" && !(u.scheme() == "http" && loopback) {
                problems.push(format!("oauth2 {what} {url:?} must use https"));
            }
        }
    }
}
