//! Resolving the `Authorization: Bearer` token of an API request
//! (RFC 6750) to the grant it was issued under.

use axum::http::{HeaderMap, header};

use crate::credentials::TokenKey;
use crate::grants::Grant;
use crate::profile::Profile;
use crate::state::Core;

/// Why an API request is unauthenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BearerError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// Not a token this vendor issued.
    #[error("unknown token")]
    Unknown,
    /// Past its `expires_in`.
    #[error("token expired")]
    Expired,
    /// Its grant was revoked.
    #[error("token revoked")]
    Revoked,
}

/// The bearer token in `headers`, if any.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Fingerprint of the bearer token in `headers`, for the request log.
pub(crate) fn fingerprint(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers).map(|token| TokenKey::of(token).fingerprint())
}

/// The grant behind the request's access token, checked against the
/// virtual clock and against `profile` (a QuickBooks token does not open Xero).
pub(crate) fn authorize(
    core: &Core,
    headers: &HeaderMap,
    profile: Profile,
) -> Result<Grant, BearerError> {
    let token = bearer_token(headers).ok_or(BearerError::Missing)?;
    let now = core.clock.now();
    let store = core.store();
    let access = store
        .grants
        .access_token(&TokenKey::of(token))
        .ok_or(BearerError::Unknown)?;
    let grant = store.grants.get(access.grant).ok_or(BearerError::Unknown)?;
    if grant.profile != profile {
        return Err(BearerError::Unknown);
    }
    if grant.revoked {
        return Err(BearerError::Revoked);
    }
    if now >= access.expires_at {
        return Err(BearerError::Expired);
    }
    Ok(grant.clone())
}
