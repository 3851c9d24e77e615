//! [`ManifestBuilder`]: build a [`Manifest`] without spelling out every field.

use crate::types::{ApiKey, AuthKind, Capability, Manifest, Oauth2, RateLimit, Setting};

/// Builds a connector's [`Manifest`].
///
/// ```
/// use ledgerlink_sdk::ManifestBuilder;
/// use ledgerlink_sdk::types::Capability;
///
/// let manifest = ManifestBuilder::new("xero", "Xero", env!("CARGO_PKG_VERSION"))
///     .description("Xero accounting: contacts and invoices.")
///     .capabilities([Capability::PullCustomers, Capability::PushCustomers])
///     .allow_host("https://api.xero.com:443")
///     .build();
/// assert_eq!(manifest.allowed_hosts, ["https://api.xero.com:443"]);
/// ```
#[derive(Debug, Clone)]
pub struct ManifestBuilder {
    manifest: Manifest,
}

impl ManifestBuilder {
    /// Start a manifest: machine `name` (lowercase, digits, '-'), `display_name` for people,
    /// and the connector's own semver `version` (usually `env!("CARGO_PKG_VERSION")`).
    pub fn new(name: &str, display_name: &str, version: &str) -> Self {
        Self {
            manifest: Manifest {
                name: name.to_owned(),
                display_name: display_name.to_owned(),
                version: version.to_owned(),
                description: String::new(),
                capabilities: Vec::new(),
                auth: AuthKind::None,
                allowed_hosts: Vec::new(),
                settings: Vec::new(),
                rate_limits: Vec::new(),
            },
        }
    }

    /// One sentence on what the connector connects to.
    pub fn description(mut self, description: &str) -> Self {
        self.manifest.description = description.to_owned();
        self
    }

    /// The operations the connector implements.
    pub fn capabilities(mut self, capabilities: impl IntoIterator<Item = Capability>) -> Self {
        self.manifest.capabilities.extend(capabilities);
        self
    }

    /// OAuth 2.0 authorization code with PKCE; the host runs the flow and keeps the tokens.
    pub fn oauth2(
        mut self,
        authorize_url: &str,
        token_url: &str,
        revoke_url: Option<&str>,
        scopes: &[&str],
    ) -> Self {
        self.manifest.auth = AuthKind::Oauth2(Oauth2 {
            authorize_url: authorize_url.to_owned(),
            token_url: token_url.to_owned(),
            revoke_url: revoke_url.map(str::to_owned),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            tenant_discovery: None,
            callback_params: Vec::new(),
        });
        self
    }

    /// For OAuth 2.0 connectors: the URL listing the tenants a grant covers (Xero's
    /// `https://api.xero.com/connections`). The host lets the admin choose one and stores its
    /// id in the `tenant-id` setting. Call after [`oauth2`](Self::oauth2).
    pub fn oauth2_tenant_discovery(mut self, url: &str) -> Self {
        if let AuthKind::Oauth2(o) = &mut self.manifest.auth {
            o.tenant_discovery = Some(url.to_owned());
        }
        self
    }

    /// For OAuth 2.0 connectors: a query parameter of the authorization callback to keep as
    /// a setting (QuickBooks' `realmId` becomes setting `realm-id`). Call after
    /// [`oauth2`](Self::oauth2).
    pub fn oauth2_callback_param(mut self, param: &str) -> Self {
        if let AuthKind::Oauth2(o) = &mut self.manifest.auth {
            o.callback_params.push(param.to_owned());
        }
        self
    }

    /// A static API key, sent by the host in `header` (after `prefix`, when given).
    pub fn api_key(mut self, header: &str, prefix: Option<&str>) -> Self {
        self.manifest.auth = AuthKind::ApiKey(ApiKey {
            header: header.to_owned(),
            prefix: prefix.map(str::to_owned),
        });
        self
    }

    /// Allow outbound HTTP to an origin, written "scheme://host:port".
    pub fn allow_host(mut self, origin: &str) -> Self {
        self.manifest.allowed_hosts.push(origin.to_owned());
        self
    }

    /// Declare a setting the connector reads with [`config::get`](crate::config::get).
    pub fn setting(
        mut self,
        key: &str,
        description: &str,
        required: bool,
        default: Option<&str>,
    ) -> Self {
        self.manifest.settings.push(Setting {
            key: key.to_owned(),
            description: description.to_owned(),
            required,
            default: default.map(str::to_owned),
        });
        self
    }

    /// Declare a vendor call limit: at most `requests` per `window_seconds` per connection.
    /// The host paces requests to stay under every declared limit.
    pub fn rate_limit(mut self, requests: u32, window_seconds: u32) -> Self {
        self.manifest.rate_limits.push(RateLimit {
            requests,
            window_seconds,
        });
        self
    }

    /// The finished manifest.
    pub fn build(self) -> Manifest {
        self.manifest
    }
}
