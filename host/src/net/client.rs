//! [`OutboundHttp`]: sends a plugin's request under the host's policy.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, redirect};
use url::Url;

use super::allowlist::{AllowedHosts, Origin};
use super::budget::CallBudget;
use super::credentials::Credentials;
use super::pacing::Pacer;
use super::reserved::ReservedEndpoints;
use super::retry::{Failure, RetryPolicy};
use super::routes::Routes;

/// Timeouts and size caps for outbound HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for the whole exchange, body included.
    pub request_timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// When to send a request again.
    pub retry: RetryPolicy,
    /// Divides every declared vendor rate-limit window (1 = real limits). Only for a
    /// sandbox that runs its limits on a shortened time scale.
    pub rate_limit_scale: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_response_bytes: 32 * 1024 * 1024,
            retry: RetryPolicy::default(),
            rate_limit_scale: 1,
        }
    }
}

/// Why a request got no response. Every variant's text names the plugin.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The origin is not in the plugin's allowlist; nothing was sent.
    #[error(
        "plugin {plugin} may not connect to {origin}: it is not in the plugin's allowed hosts ({allowed}); nothing was sent"
    )]
    NotAllowed {
        /// The plugin's name.
        plugin: String,
        /// The origin it tried.
        origin: String,
        /// Its allowlist.
        allowed: String,
    },
    /// The plugin tried to set a header only the host may set.
    #[error("plugin {plugin} may not set the {header} header: {reason}")]
    ForbiddenHeader {
        /// The plugin's name.
        plugin: String,
        /// The header.
        header: String,
        /// Why only the host sets it.
        reason: &'static str,
    },
    /// The URL is one only the host calls (the connection's OAuth token or revocation
    /// endpoint); nothing was sent.
    #[error(
        "plugin {plugin} may not send requests to {url}: it is this connection's {what}, which only the host calls; nothing was sent"
    )]
    ReservedEndpoint {
        /// The plugin's name.
        plugin: String,
        /// The URL it asked for.
        url: String,
        /// What the endpoint is.
        what: &'static str,
    },
    /// A redirect the host would not follow. Not retried: the same request would be
    /// redirected the same way.
    #[error(
        "plugin {plugin}'s request to {origin} was redirected to {to}, {reason}; the redirect was not followed and the request was not retried"
    )]
    RedirectRefused {
        /// The plugin's name.
        plugin: String,
        /// Where the request went.
        origin: String,
        /// Where the redirect pointed (its origin, or the whole URL without one).
        to: String,
        /// Why it was refused.
        reason: String,
    },
    /// The request could not be understood.
    #[error("plugin {plugin} sent an invalid request: {reason}")]
    Invalid {
        /// The plugin's name.
        plugin: String,
        /// What is wrong.
        reason: String,
    },
    /// No response in time.
    #[error("request from plugin {plugin} to {origin} timed out after {after:?}")]
    Timeout {
        /// The plugin's name.
        plugin: String,
        /// Where it was going.
        origin: String,
        /// The limit.
        after: Duration,
    },
    /// The body exceeded the cap.
    #[error(
        "response to plugin {plugin} from {origin} exceeds the {limit}-byte limit; the request was abandoned"
    )]
    TooLarge {
        /// The plugin's name.
        plugin: String,
        /// Where it came from.
        origin: String,
        /// The cap.
        limit: usize,
    },
    /// Connection, TLS or protocol failure.
    #[error("request from plugin {plugin} to {origin} failed: {reason}")]
    Transport {
        /// The plugin's name.
        plugin: String,
        /// Where it was going.
        origin: String,
        /// The underlying failure.
        reason: String,
    },
    /// Credentials could not be produced (for example the connection needs reconnecting).
    #[error("{0}")]
    Credentials(String),
}

/// A request as the plugin asked for it.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<Vec<u8>>,
    /// Sending it twice has the effect of sending it once (see [`super::retry`]).
    pub retry_safe: bool,
}

/// The response handed back to the plugin.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    /// Status code.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// Sends one plugin's requests. One per plugin and connection: it owns the allowlist, the
/// credentials and a connection pool. Clones share one [`Policy`] (routes, reserved
/// endpoints), which the redirect check reads too.
#[derive(Clone)]
pub struct OutboundHttp {
    plugin: String,
    allowed: AllowedHosts,
    policy: Arc<RwLock<Policy>>,
    limits: HttpLimits,
    credentials: Arc<dyn Credentials>,
    client: reqwest::Client,
    pacer: Option<Arc<Pacer>>,
}

/// What requests and redirects are checked against besides the allowlist.
#[derive(Debug, Clone, Default)]
struct Policy {
    routes: Routes,
    reserved: ReservedEndpoints,
}

/// A redirect the policy refused; found again in reqwest's error chain so that it is
/// reported as a refusal, not retried as a transport failure.
#[derive(Debug, thiserror::Error)]
#[error("redirect to {to}, {reason}")]
struct RedirectRefusal {
    to: String,
    reason: String,
}

/// Headers only the host sets, and why.
fn host_only_header(name: &HeaderName, credentials: &dyn Credentials) -> Option<&'static str> {
    const CREDENTIALS: &str = "the host adds credentials itself";
    match name.as_str() {
        "authorization" | "proxy-authorization" | "cookie" => Some(CREDENTIALS),
        // hyper sends a Host header given by the caller instead of the URL's: on a shared
        // IP (a CDN, a load balancer) that would reach another virtual host than the one
        // the allowlist approved.
        "host" => {
            Some("the host sets it from the URL, so a request reaches only the host its URL names")
        }
        // Message framing is the HTTP client's; a plugin's own could smuggle a second request.
        "content-length" | "transfer-encoding" | "connection" | "upgrade" | "te" | "trailer"
        | "keep-alive" | "proxy-connection" => Some("the host frames the request itself"),
        _ if credentials.reserved().contains(name) => Some(CREDENTIALS),
        _ => None,
    }
}

impl std::fmt::Debug for OutboundHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials are deliberately not printed.
        f.debug_struct("OutboundHttp")
            .field("plugin", &self.plugin)
            .field("allowed", &self.allowed)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl OutboundHttp {
    /// A sender for `plugin`, allowed to reach `allowed`.
    pub fn new(
        plugin: &str,
        allowed: AllowedHosts,
        limits: HttpLimits,
        credentials: Arc<dyn Credentials>,
    ) -> Result<Self, NetError> {
        // A redirect is a new request: it must pass the same allowlist, or a vendor (or an
        // attacker controlling a response) could bounce the plugin anywhere; and it may not
        // land on an endpoint only the host calls.
        let redirect_allowed = allowed.clone();
        let policy = Arc::new(RwLock::new(Policy::default()));
        let redirect_policy = policy.clone();
        let redirect = redirect::Policy::custom(move |attempt| {
            let to = || {
                Origin::of_url(attempt.url())
                    .map_or_else(|| attempt.url().to_string(), |origin| origin.to_string())
            };
            let refuse = |to: String, reason: String| RedirectRefusal { to, reason };
            if attempt.previous().len() >= 5 {
                let error = refuse(to(), "the sixth redirect in a row".to_owned());
                return attempt.error(error);
            }
            if !redirect_allowed.allows(attempt.url()) {
                let error = refuse(to(), "which is not an allowed host".to_owned());
                return attempt.error(error);
            }
            let reserved = {
                let policy = redirect_policy
                    .read()
                    .unwrap_or_else(PoisonError::into_inner);
                policy
                    .reserved
                    .hit_redirect(attempt.url(), &policy.routes)
                    .map(|r| r.what)
            };
            match reserved {
                Some(what) => {
                    let error = refuse(
                        attempt.url().to_string(),
                        format!("this connection's {what}, which only the host calls"),
                    );
                    attempt.error(error)
                }
                None => attempt.follow(),
            }
        });
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .redirect(redirect)
            .user_agent(concat!("ledgerlink/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NetError::Transport {
                plugin: plugin.to_owned(),
                origin: "-".to_owned(),
                reason: format!("could not build the HTTP client: {e}"),
            })?;
        Ok(Self {
            plugin: plugin.to_owned(),
            allowed,
            policy,
            limits,
            credentials,
            client,
            pacer: None,
        })
    }

    /// Pace requests with `pacer` (shared by every sender of the same connection).
    pub fn with_pacer(mut self, pacer: Arc<Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Send requests for routed origins to their routed base (a sandbox). The allowlist is
    /// still checked against the URL the plugin asked for.
    pub fn with_routes(self, routes: Routes) -> Self {
        self.policy_mut().routes = routes;
        self
    }

    /// Refuse requests (and redirects) to `reserved`: the connection's OAuth token and
    /// revocation endpoints, which only the host calls. The runtime sets them from the
    /// plugin's manifest on every call.
    pub fn with_reserved(self, reserved: ReservedEndpoints) -> Self {
        self.policy_mut().reserved = reserved;
        self
    }

    fn policy(&self) -> Policy {
        self.policy
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn policy_mut(&self) -> std::sync::RwLockWriteGuard<'_, Policy> {
        // Plain values, replaced whole; a poisoned lock still holds a valid policy.
        self.policy.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pacer of this connection, when the vendor declares call limits.
    pub fn pacer(&self) -> Option<&Arc<Pacer>> {
        self.pacer.as_ref()
    }

    /// The plugin this sender belongs to.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Check, sign and send `request`; read the response up to the size cap. No call
    /// budget: for the host's own requests and tests of the policy alone.
    pub async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, NetError> {
        self.send_within(request, &CallBudget::unlimited()).await
    }

    /// [`OutboundHttp::send`] for a plugin call with `budget`: no retry, backoff or
    /// `Retry-After` wait is started that the budget could not cover. A 429 whose
    /// `Retry-After` is longer than what is left goes back to the plugin at once, as the
    /// vendor sent it, so the connector reports `rate-limited` with the vendor's wait. The
    /// budget's deadline itself is enforced by the runtime, which stops the call wherever it
    /// is, this request included.
    pub async fn send_within(
        &self,
        request: OutboundRequest,
        budget: &CallBudget,
    ) -> Result<OutboundResponse, NetError> {
        let url = Url::parse(&request.url)
            .map_err(|e| self.invalid(format!("URL {:?}: {e}", request.url)))?;
        let Some(origin) = Origin::of_url(&url) else {
            return Err(self.invalid(format!("URL {:?} has no host or port", request.url)));
        };
        if !self.allowed.allows(&url) {
            return Err(NetError::NotAllowed {
                plugin: self.plugin.clone(),
                origin: origin.to_string(),
                allowed: self.allowed.to_string(),
            });
        }
        let policy = self.policy();
        // Where it really goes (a sandbox, when the admin routed this origin).
        let target = policy.routes.apply(&url);
        if let Some(reserved) = policy.reserved.hit(&url, &target, &policy.routes) {
            return Err(NetError::ReservedEndpoint {
                plugin: self.plugin.clone(),
                url: request.url.clone(),
                what: reserved.what,
            });
        }
        let headers = self.plugin_headers(&request.headers)?;
        let origin = origin.to_string();

        let mut retried_after_401 = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(pacer) = &self.pacer {
                let allowance = budget.pacing_allowance();
                let pacing = budget.pacing();
                let acquired = pacer.acquire_within(allowance).await;
                drop(pacing);
                match acquired {
                    Ok(waited) => {
                        if !waited.is_zero() {
                            tracing::debug!(plugin = %self.plugin, ?waited, "paced to the vendor's rate limit");
                        }
                    }
                    Err(needed) => return Ok(self.paced(&origin, needed, budget)),
                }
            }
            let mut headers = headers.clone();
            self.credentials.apply(&mut headers).await?;
            let secrets: Vec<Vec<u8>> = headers
                .values()
                .filter(|v| v.is_sensitive())
                .map(|v| v.as_bytes().to_vec())
                .collect();
            let mut builder = self
                .client
                .request(request.method.clone(), target.clone())
                .headers(headers.clone());
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let _waiting = Waiting::on(budget, &origin);
            let sent = builder.send().await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    let error = self.transport(&origin, e);
                    if let Some(delay) =
                        self.retry_delay(Failure::Transport, attempt, &request, &error, budget)
                    {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(error);
                }
            };
            if response.status() == reqwest::StatusCode::UNAUTHORIZED
                && !retried_after_401
                && self.credentials.unauthorized(&headers).await?
            {
                retried_after_401 = true;
                continue;
            }
            let mut response = match self.read(response, &origin).await {
                Ok(response) => response,
                Err(error @ NetError::Transport { .. }) => {
                    if let Some(delay) =
                        self.retry_delay(Failure::Transport, attempt, &request, &error, budget)
                    {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(error);
                }
                Err(error) => return Err(error),
            };
            let retry_after = response
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                .map(|(_, v)| v.as_str());
            if let Some(failure) = Failure::of_status(response.status, retry_after)
                && let Some(delay) = self
                    .limits
                    .retry
                    .delay(failure, attempt, request.retry_safe)
            {
                if budget.allows_wait(delay) {
                    tracing::info!(
                        plugin = %self.plugin, %origin, status = response.status, attempt, ?delay,
                        "vendor answered {}; sending again after {delay:?}", response.status
                    );
                    tokio::time::sleep(delay).await;
                    continue;
                }
                tracing::info!(
                    plugin = %self.plugin, %origin, status = response.status, attempt, ?delay,
                    "vendor answered {}; waiting {delay:?} would outlast the call's time budget, so the plugin gets the answer now",
                    response.status
                );
            }
            redact(&mut response, &secrets);
            return Ok(response);
        }
    }

    /// The answer to a request pacing would have to hold longer than the call may still
    /// wait for pacing: nothing is sent; the plugin gets a 429 made by the host, with the
    /// wait that would have been needed as `Retry-After` (whole seconds, rounded up), so the
    /// connector reports `rate-limited` like a vendor's own 429.
    fn paced(&self, origin: &str, needed: Duration, budget: &CallBudget) -> OutboundResponse {
        let seconds = needed.as_secs() + u64::from(needed.subsec_nanos() > 0);
        let body = format!(
            "not sent: ledgerlink keeps this connection under {origin}'s declared call limits, and the next free slot is {}s away, longer than this call may still wait for it ({}s); try again later",
            seconds,
            budget.pacing_allowance().as_secs()
        );
        tracing::info!(plugin = %self.plugin, %origin, ?needed, "pacing would outlast the call; a 429 goes back to the plugin");
        OutboundResponse {
            status: 429,
            headers: vec![
                ("retry-after".to_owned(), seconds.to_string()),
                ("content-type".to_owned(), "text/plain".to_owned()),
                ("x-ledgerlink-paced".to_owned(), "true".to_owned()),
            ],
            body: body.into_bytes(),
        }
    }

    fn retry_delay(
        &self,
        failure: Failure,
        attempt: u32,
        request: &OutboundRequest,
        error: &NetError,
        budget: &CallBudget,
    ) -> Option<Duration> {
        // The same request would meet the same refusal.
        if matches!(error, NetError::RedirectRefused { .. }) {
            return None;
        }
        let delay = self
            .limits
            .retry
            .delay(failure, attempt, request.retry_safe)?;
        if !budget.allows_wait(delay) {
            tracing::info!(plugin = %self.plugin, attempt, ?delay, "{error}; not sent again: the call's time budget would run out first");
            return None;
        }
        tracing::info!(plugin = %self.plugin, attempt, ?delay, "{error}; sending again after {delay:?}");
        Some(delay)
    }

    fn plugin_headers(&self, given: &[(String, String)]) -> Result<HeaderMap, NetError> {
        let mut headers = HeaderMap::new();
        for (name, value) in given {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| self.invalid(format!("header name {name:?} is not valid")))?;
            if let Some(reason) = host_only_header(&name, self.credentials.as_ref()) {
                return Err(NetError::ForbiddenHeader {
                    plugin: self.plugin.clone(),
                    header: name.to_string(),
                    reason,
                });
            }
            let value = HeaderValue::from_str(value)
                .map_err(|_| self.invalid(format!("the value of header {name} is not valid")))?;
            headers.append(name, value);
        }
        Ok(headers)
    }

    async fn read(
        &self,
        response: reqwest::Response,
        origin: &str,
    ) -> Result<OutboundResponse, NetError> {
        let limit = self.limits.max_response_bytes;
        let too_large = || NetError::TooLarge {
            plugin: self.plugin.clone(),
            origin: origin.to_owned(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport(origin, e))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(OutboundResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    fn invalid(&self, reason: String) -> NetError {
        NetError::Invalid {
            plugin: self.plugin.clone(),
            reason,
        }
    }

    fn transport(&self, origin: &str, e: reqwest::Error) -> NetError {
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if let Some(refusal) = s.downcast_ref::<RedirectRefusal>() {
                return NetError::RedirectRefused {
                    plugin: self.plugin.clone(),
                    origin: origin.to_owned(),
                    to: refusal.to.clone(),
                    reason: refusal.reason.clone(),
                };
            }
            source = s.source();
        }
        if e.is_timeout() {
            return NetError::Timeout {
                plugin: self.plugin.clone(),
                origin: origin.to_owned(),
                after: self.limits.request_timeout,
            };
        }
        // reqwest's Display hides the cause; walk the chain for a useful reason.
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        NetError::Transport {
            plugin: self.plugin.clone(),
            origin: origin.to_owned(),
            reason,
        }
    }
}

/// Marks the budget as waiting on an origin while a request is in flight (so a deadline
/// hit there says where), and clears it however the wait ends.
struct Waiting<'a>(&'a CallBudget);

impl<'a> Waiting<'a> {
    fn on(budget: &'a CallBudget, origin: &str) -> Self {
        budget.set_waiting_on(Some(origin.to_owned()));
        Self(budget)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.set_waiting_on(None);
    }
}

const REDACTED: &[u8] = b"[redacted]";

/// Remove every credential the host sent from what the plugin gets back: a server (or a
/// proxy, or a misrouted echo service) that reflects request headers must not hand the
/// plugin a token. Short values are not searched for, to avoid mangling ordinary data.
///
/// This is a backstop, not the defence. It catches a credential echoed back byte for byte
/// (whole, or the bare token after `Bearer `). It cannot catch one that comes back
/// transformed — base64 or hex encoded, reversed, split across fields or chunks,
/// case-swapped, compressed — nor a fresh token a vendor mints in its answer. The defence is
/// that such answers never reach a plugin: the OAuth token and revocation endpoints are
/// reserved for the host (see [`super::reserved`]), only allowed origins are reached, and a
/// plugin cannot set credential headers to probe with.
fn redact(response: &mut OutboundResponse, secrets: &[Vec<u8>]) {
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        // "Bearer abc" → also look for "abc" alone.
        let bare = secret
            .iter()
            .position(|b| *b == b' ')
            .map_or(secret.as_slice(), |i| &secret[i + 1..]);
        for needle in [secret.as_slice(), bare] {
            if needle.len() < 8 {
                continue;
            }
            response.body = replace_all(&response.body, needle);
            for (name, value) in &mut response.headers {
                if value.as_bytes().windows(needle.len()).any(|w| w == needle) {
                    *value = String::from_utf8_lossy(REDACTED).into_owned();
                    tracing::warn!(header = %name, "a response header echoed a credential; redacted");
                }
            }
        }
    }
}

fn replace_all(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    let finder = memchr::memmem::Finder::new(needle);
    if finder.find(haystack).is_none() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = finder.find(rest) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(REDACTED);
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    tracing::warn!("a response body echoed a credential; redacted");
    out
}
