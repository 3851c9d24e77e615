//! The seam where a connection's credentials are added to outbound requests.
//!
//! Plugins never see credentials: they send requests without them and the host adds them
//! here, after the allowlist check. The auth layer (OAuth 2.0 tokens, API keys from the
//! vault) implements [`Credentials`]; until a connection has credentials, [`NoCredentials`]
//! adds nothing.

use async_trait::async_trait;
use reqwest::header::HeaderMap;

use super::client::NetError;

/// Adds a connection's credentials to a request about to be sent.
#[async_trait]
pub trait Credentials: Send + Sync {
    /// Add credential headers (e.g. `Authorization`), marked sensitive. Called once per
    /// attempt, after the allowlist check, so a refreshed token is picked up on retry.
    async fn apply(&self, headers: &mut HeaderMap) -> Result<(), NetError>;

    /// Headers only the host may set for this connection (besides `Authorization`), e.g.
    /// an API key's header.
    fn reserved(&self) -> Vec<reqwest::header::HeaderName> {
        Vec::new()
    }

    /// The response to a request sent with `rejected` (the headers `apply` produced) was 401.
    /// Return `true` if the credentials are now different (renewed here, or already by
    /// another worker) and the request should be sent once more.
    async fn unauthorized(&self, rejected: &HeaderMap) -> Result<bool, NetError> {
        let _ = rejected;
        Ok(false)
    }
}

/// Adds no credentials: for plugins whose auth kind is `none`, and for loading.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCredentials;

#[async_trait]
impl Credentials for NoCredentials {
    async fn apply(&self, _headers: &mut HeaderMap) -> Result<(), NetError> {
        Ok(())
    }
}
