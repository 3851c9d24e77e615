//! Test helpers: play the browser and the OAuth client against a sandbox.
#![allow(dead_code, clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ledgerlink_sandbox::{
    Profile, QBO_CLIENT_ID, QBO_CLIENT_SECRET, SandboxConfig, SandboxHandle, XERO_CLIENT_ID,
    XERO_CLIENT_SECRET,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

/// The redirect URI our tests' "native app" listens on (never contacted:
/// redirects are not followed).
pub const REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";
pub const XERO_SCOPE: &str =
    "openid profile email accounting.transactions accounting.settings offline_access";
pub const QBO_SCOPE: &str = "com.intuit.quickbooks.accounting";

pub async fn start() -> SandboxHandle {
    SandboxHandle::start(SandboxConfig::default())
        .await
        .unwrap()
}

/// A client that does not follow redirects, as a test browser must not.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn credentials(profile: Profile) -> (&'static str, &'static str) {
    match profile {
        Profile::Xero => (XERO_CLIENT_ID, XERO_CLIENT_SECRET),
        Profile::QuickBooks => (QBO_CLIENT_ID, QBO_CLIENT_SECRET),
    }
}

pub fn authorize_path(profile: Profile) -> &'static str {
    match profile {
        Profile::Xero => "/xero/identity/connect/authorize",
        Profile::QuickBooks => "/qbo/connect/oauth2",
    }
}

pub fn consent_path(profile: Profile) -> &'static str {
    match profile {
        Profile::Xero => "/xero/identity/connect/consent",
        Profile::QuickBooks => "/qbo/connect/consent",
    }
}

pub fn token_path(profile: Profile) -> &'static str {
    match profile {
        Profile::Xero => "/xero/identity/connect/token",
        Profile::QuickBooks => "/qbo/oauth2/v1/tokens/bearer",
    }
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce(seed: &str) -> Pkce {
    let verifier = format!("{seed}-verifier-{}", "x".repeat(43));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// What the browser brought back to the redirect URI.
#[derive(Debug)]
pub struct Callback {
    pub location: Url,
    pub code: Option<String>,
    pub state: Option<String>,
    pub realm_id: Option<String>,
    pub error: Option<String>,
}

impl Callback {
    fn parse(location: &str) -> Callback {
        let location = Url::parse(location).unwrap();
        let param = |name: &str| {
            location
                .query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        Callback {
            code: param("code"),
            state: param("state"),
            realm_id: param("realmId"),
            error: param("error"),
            location,
        }
    }
}

pub fn authorize_url(sandbox: &SandboxHandle, profile: Profile, extra: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(&sandbox.url(authorize_path(profile))).unwrap();
    url.query_pairs_mut().extend_pairs(extra);
    url
}

/// The standard authorization query of `profile`, with PKCE if given.
pub fn standard_query<'a>(
    profile: Profile,
    state: &'a str,
    pkce: Option<&'a Pkce>,
) -> Vec<(&'a str, &'a str)> {
    let (client_id, _) = credentials(profile);
    let scope = match profile {
        Profile::Xero => XERO_SCOPE,
        Profile::QuickBooks => QBO_SCOPE,
    };
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("state", state),
    ];
    if let Some(pkce) = pkce {
        query.push(("code_challenge", pkce.challenge.as_str()));
        query.push(("code_challenge_method", "S256"));
    }
    query
}

/// The `request_id` hidden input of a consent page.
pub fn request_id(page: &str) -> String {
    let marker = "<input type=\"hidden\" name=\"request_id\" value=\"";
    let start = page
        .find(marker)
        .expect("consent page has a request_id input")
        + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

/// GETs the consent page for `query`, checks its form, and returns the request id.
pub async fn open_consent(
    sandbox: &SandboxHandle,
    profile: Profile,
    query: &[(&str, &str)],
) -> String {
    let response = http()
        .get(authorize_url(sandbox, profile, query))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let form = format!(
        "<form method=\"post\" action=\"{}\">",
        consent_path(profile)
    );
    assert!(page.contains(&form), "consent page lacks {form}: {page}");
    request_id(&page)
}

/// POSTs the consent form and returns the 302's callback.
pub async fn submit_consent(
    sandbox: &SandboxHandle,
    profile: Profile,
    form: &[(&str, &str)],
) -> Callback {
    let response = http()
        .post(sandbox.url(consent_path(profile)))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Callback::parse(response.headers()["location"].to_str().unwrap())
}

/// Plays the browser through authorize and approve.
pub async fn approve(
    sandbox: &SandboxHandle,
    profile: Profile,
    query: &[(&str, &str)],
) -> Callback {
    let request_id = open_consent(sandbox, profile, query).await;
    submit_consent(sandbox, profile, &[("request_id", &request_id)]).await
}

/// POSTs a token request with HTTP Basic client authentication.
pub async fn token_request(
    sandbox: &SandboxHandle,
    profile: Profile,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let (id, secret) = credentials(profile);
    let response = http()
        .post(sandbox.url(token_path(profile)))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

pub async fn refresh(
    sandbox: &SandboxHandle,
    profile: Profile,
    refresh_token: &str,
) -> (StatusCode, Value) {
    token_request(
        sandbox,
        profile,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// A complete connection: authorize, approve, exchange. Returns the token response.
pub async fn connect(sandbox: &SandboxHandle, profile: Profile) -> Value {
    let pkce = pkce("connect");
    let query = standard_query(profile, "state-123", Some(&pkce));
    let callback = approve(sandbox, profile, &query).await;
    let code = callback.code.unwrap();
    let (status, body) = token_request(
        sandbox,
        profile,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub fn string(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{field}` in {body}"))
        .to_owned()
}

pub async fn get_bearer(url: &str, token: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut request = http().get(url).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}
