//! A small JSON-over-HTTP helper over the host's `http` import.
//!
//! The host adds credentials, enforces the manifest's allowed hosts, and applies timeouts.
//! This module builds requests, decodes JSON, and turns vendor failures into
//! [`ConnectorError`] classes with [`Response::error_for_status`].
//!
//! ```no_run
//! # use ledgerlink_sdk::{http, types::ConnectorError};
//! # #[derive(serde::Deserialize)] struct ContactsEnvelope {}
//! # fn run() -> Result<(), ConnectorError> {
//! let contacts: ContactsEnvelope = http::Request::get("https://api.xero.com/api.xro/2.0/Contacts")
//!     .header("Accept", "application/json")
//!     .send()?
//!     .error_for_status()?
//!     .json()?;
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::ledgerlink::connector::http as wit;
use crate::error::{self, ErrorClass};
use crate::timestamp::Timestamp;
use crate::types::ConnectorError;

pub use wit::Method;

/// A request being built.
#[derive(Debug, Clone)]
pub struct Request {
    inner: wit::Request,
}

impl Request {
    /// A request with any method.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            inner: wit::Request {
                method,
                url: url.into(),
                headers: Vec::new(),
                body: None,
                retry_safe: matches!(method, Method::Get | Method::Head),
            },
        }
    }

    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A POST request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// A PUT request.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// A DELETE request.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner.headers.push(wit::Header {
            name: name.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Mark a write as safe to repeat because it carries the vendor's idempotency key
    /// (Xero `Idempotency-Key`, QuickBooks `requestid`): the host may then retry it after
    /// a 429, a 502/503/504 or a lost connection. GET and HEAD are retry-safe already.
    pub fn retry_safe(mut self) -> Self {
        self.inner.retry_safe = true;
        self
    }

    /// Set a raw body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.inner.body = Some(body);
        self
    }

    /// Set a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize>(self, value: &T) -> Result<Self, ConnectorError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| error::validation(format!("could not encode the request as JSON: {e}")))?;
        Ok(self.header("Content-Type", "application/json").body(body))
    }

    /// Send it through the host. A response with any status is `Ok`; use
    /// [`Response::error_for_status`] to classify failures.
    pub fn send(self) -> Result<Response, ConnectorError> {
        let url = self.inner.url.clone();
        crate::imports::http_send(&self.inner)
            .map(Response::from_wit)
            .map_err(|e| match e {
                // A refusal by the host is a plugin or settings mistake, not a credentials problem.
                wit::HttpError::Denied(m) => error::unsupported_because(format!(
                    "the host refused the request to {url}: {m}"
                )),
                wit::HttpError::Credentials(m) => error::auth(m),
                wit::HttpError::InvalidRequest(m) => {
                    error::validation(format!("request to {url} is invalid: {m}"))
                }
                wit::HttpError::Timeout(m) => {
                    error::transient(format!("request to {url} timed out: {m}"))
                }
                wit::HttpError::TooLarge(m) => {
                    error::transient(format!("response from {url} too large: {m}"))
                }
                wit::HttpError::Transport(m) => {
                    error::transient(format!("request to {url} failed: {m}"))
                }
            })
    }
}

/// A response received from the vendor.
#[derive(Debug, Clone)]
pub struct Response {
    inner: wit::Response,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The body bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.inner.body
    }

    /// Decode the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.inner.body).map_err(|e| {
            error::transient(format!(
                "the vendor's response (status {}) is not the JSON expected: {e}",
                self.inner.status
            ))
        })
    }

    /// `Ok(self)` for 2xx; otherwise the [`ConnectorError`] class the status means:
    /// 400/422 validation, 401/403 auth, 404 not-found, 409 duplicate, 412 stale, 423 locked,
    /// 429 rate-limited (with `Retry-After`), 5xx and others transient. The body's first
    /// 500 characters are kept in the message. Vendors that say more in their body should
    /// classify it themselves first.
    pub fn error_for_status(self) -> Result<Self, ConnectorError> {
        let status = self.inner.status;
        if (200..300).contains(&status) {
            return Ok(self);
        }
        let message = format!("the vendor answered {status}: {}", self.body_snippet());
        Err(ErrorClass::of_status(status).error(message, self.retry_after_ms()))
    }

    /// The body's first 500 characters, for messages.
    pub fn body_snippet(&self) -> String {
        String::from_utf8_lossy(&self.inner.body)
            .chars()
            .take(500)
            .collect()
    }

    /// `Retry-After` in milliseconds: a number of seconds, or an HTTP date (counted from the
    /// host's [`clock`](crate::clock); a date already past is 0).
    pub fn retry_after_ms(&self) -> Option<u64> {
        let value = self.header("Retry-After")?.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(seconds.saturating_mul(1000));
        }
        let at = Timestamp::parse_http_date(value, "Retry-After").ok()?;
        let now = Timestamp::now().ok()?;
        let wait = at.unix_millis() - now.unix_millis();
        Some(u64::try_from(wait).unwrap_or(0))
    }

    /// Wrap a response of the host's `http` import (or of a test's fake host).
    pub(crate) fn from_wit(inner: wit::Response) -> Self {
        Self { inner }
    }
}
