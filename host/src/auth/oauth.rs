//! The OAuth 2.0 token endpoint, through the `oauth2` crate: authorization URL with PKCE,
//! code exchange, refresh, revocation. Vendor quirks stay out: both Xero and QuickBooks
//! accept HTTP Basic client authentication and standard error bodies.

use std::time::{Duration, SystemTime};

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::tokens::TokenSet;
use crate::store::connections::unix;

/// Extra fields some vendors add to the token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VendorFields {
    /// QuickBooks: seconds until the refresh token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_refresh_token_expires_in: Option<u64>,
}

impl ExtraTokenFields for VendorFields {}

type VendorTokenResponse = StandardTokenResponse<VendorFields, BasicTokenType>;

type Client = oauth2::Client<
    BasicErrorResponse,
    VendorTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Where a connection's OAuth endpoints are (already routed to a sandbox where configured).
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// Authorization endpoint.
    pub authorize: Url,
    /// Token endpoint.
    pub token: Url,
    /// Revocation endpoint.
    pub revoke: Option<Url>,
    /// Scopes to ask for.
    pub scopes: Vec<String>,
}

/// Why the token endpoint did not give tokens.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The grant (code or refresh token) was refused for good.
    #[error("the vendor refused the grant (invalid_grant{})", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    InvalidGrant {
        /// The vendor's description.
        description: Option<String>,
    },
    /// The client id or secret was refused.
    #[error(
        "the vendor refused the client id or secret (invalid_client); check the connection's client id and secret"
    )]
    InvalidClient,
    /// Another error response.
    #[error("the vendor answered {code}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// The OAuth error code.
        code: String,
        /// The vendor's description.
        description: Option<String>,
    },
    /// No (usable) response arrived: the request may or may not have taken effect.
    #[error("no usable answer from the token endpoint: {0}")]
    OutcomeUnknown(String),
    /// Our side is misconfigured.
    #[error("{0}")]
    Config(String),
}

/// The client credentials of a connection.
pub struct ClientCredentials {
    /// Client id.
    pub id: String,
    /// Client secret.
    pub secret: String,
}

fn client(endpoints: &Endpoints, creds: &ClientCredentials) -> Client {
    oauth2::Client::new(ClientId::new(creds.id.clone()))
        .set_client_secret(ClientSecret::new(creds.secret.clone()))
        .set_auth_uri(AuthUrl::from_url(endpoints.authorize.clone()))
        .set_token_uri(TokenUrl::from_url(endpoints.token.clone()))
}

/// An HTTP client for the token endpoint. Redirects are not followed (RFC 6749 §10.6
/// and the oauth2 crate's own advice).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, TokenError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("ledgerlink/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TokenError::Config(format!("could not build the HTTP client: {e}")))
}

/// A prepared authorization request: the URL for the browser, and what to check on return.
pub struct Authorization {
    /// Open this in the admin's browser.
    pub url: Url,
    /// The `state` the callback must carry.
    pub state: String,
    /// PKCE verifier for the code exchange.
    pub verifier: PkceCodeVerifier,
}

/// Build the authorization URL with PKCE (S256) and a random `state`.
pub fn authorize(
    endpoints: &Endpoints,
    creds: &ClientCredentials,
    redirect: &Url,
) -> Authorization {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client(endpoints, creds)
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone()))
        .authorize_url(CsrfToken::new_random)
        .add_scopes(endpoints.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Authorization {
        url,
        state: state.secret().clone(),
        verifier,
    }
}

/// Exchange an authorization code for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    creds: &ClientCredentials,
    redirect: &Url,
    code: String,
    verifier: PkceCodeVerifier,
    now: SystemTime,
) -> Result<TokenSet, TokenError> {
    let response = client(endpoints, creds)
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone()))
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(classify)?;
    Ok(token_set(&response, None, now))
}

/// Use a refresh token. `previous` keeps the refresh token when the vendor does not return one.
pub async fn refresh(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    creds: &ClientCredentials,
    refresh_token: &str,
    now: SystemTime,
) -> Result<TokenSet, TokenError> {
    let token = RefreshToken::new(refresh_token.to_owned());
    let response = client(endpoints, creds)
        .exchange_refresh_token(&token)
        .request_async(http)
        .await
        .map_err(classify)?;
    Ok(token_set(&response, Some(refresh_token), now))
}

/// Revoke a refresh token: RFC 7009 (a form body), and if the vendor refuses that, the JSON
/// body `{"token": ...}` with HTTP Basic client authentication that Intuit's revocation
/// endpoint takes.
pub async fn revoke(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    creds: &ClientCredentials,
    refresh_token: &str,
) -> Result<(), TokenError> {
    let Some(revoke_url) = &endpoints.revoke else {
        return Ok(());
    };
    let form = revoke_form(http, creds, revoke_url, refresh_token).await;
    let Err(form_error) = form else {
        return Ok(());
    };
    let json = http
        .post(revoke_url.clone())
        .basic_auth(&creds.id, Some(&creds.secret))
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&serde_json::json!({ "token": refresh_token }))
        .send()
        .await;
    match json {
        Ok(response) if response.status().is_success() => Ok(()),
        // Report what the standard form request met: it is the one most vendors take.
        _ => Err(form_error),
    }
}

/// RFC 7009 §2.1: the token in a form body, the client authenticated with HTTP Basic.
/// Sent directly (not through the `oauth2` crate, which refuses a plain-http endpoint even
/// on loopback, where the sandbox runs; manifests allow http only there).
async fn revoke_form(
    http: &reqwest::Client,
    creds: &ClientCredentials,
    revoke: &Url,
    refresh_token: &str,
) -> Result<(), TokenError> {
    let response = http
        .post(revoke.clone())
        .basic_auth(&creds.id, Some(&creds.secret))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .map_err(|e| TokenError::OutcomeUnknown(error_chain(&e)))?;
    if response.status().is_success() {
        return Ok(());
    }
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Err(TokenError::Refused {
        code: body["error"]
            .as_str()
            .map_or_else(|| format!("HTTP {status}"), str::to_owned),
        description: body["error_description"].as_str().map(str::to_owned),
    })
}

fn token_set(r: &VendorTokenResponse, previous_refresh: Option<&str>, now: SystemTime) -> TokenSet {
    let now = unix(now);
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    TokenSet {
        access_token: r.access_token().secret().clone(),
        // Without expires_in, assume the shortest common lifetime rather than forever.
        access_expires_at: now + r.expires_in().map_or(1800, secs),
        refresh_token: r
            .refresh_token()
            .map(|t| t.secret().clone())
            .or_else(|| previous_refresh.map(str::to_owned)),
        refresh_expires_at: r
            .extra_fields()
            .x_refresh_token_expires_in
            .map(|s| now + i64::try_from(s).unwrap_or(i64::MAX)),
    }
}

fn classify<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, BasicErrorResponse>,
) -> TokenError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let description = r.error_description().cloned();
            match r.error() {
                BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant { description },
                BasicErrorResponseType::InvalidClient => TokenError::InvalidClient,
                other => TokenError::Refused {
                    code: other.to_string(),
                    description,
                },
            }
        }
        other => TokenError::OutcomeUnknown(error_chain(&other)),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
