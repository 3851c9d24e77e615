//! The request log: one [`LogEntry`] per HTTP request, in the order the
//! responses were produced, readable through [`crate::SandboxHandle::log`]
//! and `GET /_sandbox/log`.
//!
//! Handlers describe what happened (grant type, outcome) by attaching a
//! [`LogNote`] to their response; the [`record`] middleware turns it into an
//! entry. Token values never reach the log: at most an 8-hex-digit prefix of
//! a token's SHA-256 digest does.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::clock::serde_rfc3339;
use crate::profile::Profile;
use crate::state::Core;

/// Longest client-supplied `grant_type` kept in the log.
const MAX_GRANT_TYPE_LEN: usize = 64;

/// One request the sandbox answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When the request arrived, by the sandbox's virtual clock
    /// (RFC 3339 on the wire).
    #[serde(with = "serde_rfc3339")]
    pub at: SystemTime,
    /// HTTP method, e.g. `"POST"`.
    pub method: String,
    /// Request path without the query string (a query can carry a code).
    pub path: String,
    /// The vendor whose endpoint was called; `None` for `/` and `/_sandbox/...`.
    pub profile: Option<Profile>,
    /// The `grant_type` of a token request, as the client sent it.
    pub grant_type: Option<String>,
    /// HTTP status of the response.
    pub status: u16,
    /// What happened: `"ok"`, `"dropped"` (a refresh applied whose response
    /// was cut off on purpose), an OAuth error code (`"invalid_grant"`,
    /// `"invalid_client"`, `"invalid_request"`, `"unsupported_grant_type"`,
    /// `"unauthorized_client"`), `"access_denied"` (consent declined),
    /// `"unauthorized"`, `"forbidden"`, `"not_found"`, `"bad_request"`, ...
    pub outcome: String,
    /// First 8 hex digits of the SHA-256 of the token or code the request
    /// presented, to tell chains apart; never the token itself.
    pub token_hash: Option<String>,
}

/// What a handler tells the log about its response; travels as a response
/// extension from the handler to [`record`].
#[derive(Debug, Clone, Default)]
pub(crate) struct LogNote {
    pub(crate) grant_type: Option<String>,
    pub(crate) outcome: Option<String>,
    pub(crate) token_hash: Option<String>,
}

impl LogNote {
    /// A note with only an outcome.
    pub(crate) fn outcome(outcome: &str) -> LogNote {
        LogNote {
            outcome: Some(outcome.to_owned()),
            ..LogNote::default()
        }
    }

    /// Records the client's `grant_type`, cut to a sane length.
    pub(crate) fn set_grant_type(&mut self, grant_type: &str) {
        self.grant_type = Some(grant_type.chars().take(MAX_GRANT_TYPE_LEN).collect());
    }

    /// Attaches this note to `response`; fields this note leaves unset keep
    /// the values of a note already attached (e.g. by an error's own
    /// `IntoResponse`).
    pub(crate) fn attach(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        let earlier = response
            .extensions_mut()
            .remove::<LogNote>()
            .unwrap_or_default();
        response.extensions_mut().insert(LogNote {
            grant_type: self.grant_type.or(earlier.grant_type),
            outcome: self.outcome.or(earlier.outcome),
            token_hash: self.token_hash.or(earlier.token_hash),
        });
        response
    }
}

/// The outcome of a response whose handler attached no note.
fn default_outcome(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=399 => "ok",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        400..=499 => "bad_request",
        _ => "error",
    }
}

/// Every entry so far, behind its own lock so that reading the log never
/// waits on OAuth state.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LogEntry>>,
}

impl RequestLog {
    fn push(&self, entry: LogEntry) {
        // A panic while pushing cannot leave the Vec half-updated, so a
        // poisoned lock still guards a consistent log.
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry);
    }

    /// A copy of every entry, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<LogEntry> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Middleware: appends one entry per request before the response leaves.
pub(crate) async fn record(
    State(core): State<Arc<Core>>,
    request: Request,
    next: Next,
) -> Response {
    let at = core.clock.now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let note = response
        .extensions_mut()
        .remove::<LogNote>()
        .unwrap_or_default();
    let status = response.status();
    let entry = LogEntry {
        at,
        profile: Profile::from_path(&path),
        method,
        path,
        grant_type: note.grant_type,
        status: status.as_u16(),
        outcome: note
            .outcome
            .unwrap_or_else(|| default_outcome(status).to_owned()),
        token_hash: note.token_hash,
    };
    tracing::debug!(
        method = %entry.method,
        path = %entry.path,
        status = entry.status,
        outcome = %entry.outcome,
        grant_type = entry.grant_type.as_deref(),
        "sandbox request"
    );
    core.log.push(entry);
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn entries_serialize_with_rfc3339_time_and_round_trip() {
        let entry = LogEntry {
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            method: "POST".into(),
            path: "/xero/identity/connect/token".into(),
            profile: Some(Profile::Xero),
            grant_type: Some("refresh_token".into()),
            status: 200,
            outcome: "ok".into(),
            token_hash: Some("0badc0de".into()),
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["at"], "2023-11-14T22:13:20Z");
        assert_eq!(json["profile"], "xero");
        let back: LogEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
    }

    #[test]
    fn later_notes_fill_in_without_erasing_earlier_ones() {
        let response = LogNote::outcome("invalid_grant").attach(StatusCode::BAD_REQUEST);
        let mut note = LogNote::default();
        note.set_grant_type(&"x".repeat(100));
        let response = note.attach(response);
        let merged = response.extensions().get::<LogNote>().unwrap();
        assert_eq!(merged.outcome.as_deref(), Some("invalid_grant"));
        assert_eq!(
            merged.grant_type.as_deref().map(str::len),
            Some(MAX_GRANT_TYPE_LEN)
        );
    }

    #[test]
    fn statuses_map_to_default_outcomes() {
        assert_eq!(default_outcome(StatusCode::FOUND), "ok");
        assert_eq!(default_outcome(StatusCode::UNAUTHORIZED), "unauthorized");
        assert_eq!(default_outcome(StatusCode::FORBIDDEN), "forbidden");
        assert_eq!(
            default_outcome(StatusCode::UNPROCESSABLE_ENTITY),
            "bad_request"
        );
    }
}
