//! OAuth 2.0 error responses of the token and revocation endpoints
//! (RFC 6749 §5.2, RFC 7009 §2.2.1), in the JSON shape both vendors use:
//! `{"error": "invalid_grant", "error_description": "..."}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::log::LogNote;
use crate::params::ParamError;

/// An OAuth 2.0 error; the message is the `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OAuthError {
    /// Malformed request: missing or repeated parameter, wrong content type.
    #[error("{0}")]
    InvalidRequest(String),
    /// Client authentication failed.
    #[error("{0}")]
    InvalidClient(String),
    /// The code or refresh token is invalid, expired, revoked, already used
    /// past its grace, or was issued to another client.
    #[error("{0}")]
    InvalidGrant(String),
    /// The client may not do this with the token it presented.
    #[error("{0}")]
    UnauthorizedClient(String),
    /// A `grant_type` the endpoint does not support.
    #[error("{0}")]
    UnsupportedGrantType(String),
}

impl OAuthError {
    /// The RFC 6749 error code, which is also the log outcome.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
        }
    }

    /// RFC 6749 §5.2: 400, except a failed client authentication, which is
    /// 401 with a `WWW-Authenticate` challenge naming Basic.
    fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Shorthand for [`OAuthError::InvalidGrant`].
    pub(crate) fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::InvalidGrant(description.into())
    }
}

impl From<ParamError> for OAuthError {
    fn from(error: ParamError) -> OAuthError {
        OAuthError::InvalidRequest(error.to_string())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code(), "error_description": self.to_string() });
        let mut response = (self.status(), no_store(), Json(body)).into_response();
        if self.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ledgerlink-sandbox\""),
            );
        }
        LogNote::outcome(self.code()).attach(response)
    }
}

/// RFC 6749 §5.1: token responses must not be cached.
pub(crate) fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_with_a_basic_challenge() {
        let response = OAuthError::InvalidClient("unknown client".into()).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let note = response.extensions().get::<LogNote>().unwrap();
        assert_eq!(note.outcome.as_deref(), Some("invalid_client"));
    }

    #[test]
    fn other_errors_are_400() {
        let response = OAuthError::invalid_grant("expired").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
