//! The host's [`Credentials`] implementations: what `net` calls to sign a request.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use super::refresh::TokenManager;
use super::vault::Secret;
use crate::net::{Credentials, NetError};

fn sensitive(value: &str) -> Result<HeaderValue, NetError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        NetError::Credentials(
            "the stored credential is not a valid header value; reconnect the connection"
                .to_owned(),
        )
    })?;
    // Sensitive values are kept out of debug output and are redacted from responses.
    v.set_sensitive(true);
    Ok(v)
}

/// `Authorization: Bearer <access token>`, refreshed as needed.
#[derive(Debug, Clone)]
pub struct OAuthCredentials {
    manager: Arc<TokenManager>,
}

impl OAuthCredentials {
    /// Sign with `manager`'s tokens.
    pub fn new(manager: Arc<TokenManager>) -> Self {
        Self { manager }
    }
}

#[async_trait]
impl Credentials for OAuthCredentials {
    async fn apply(&self, headers: &mut HeaderMap) -> Result<(), NetError> {
        let token = self
            .manager
            .access_token()
            .await
            .map_err(|e| NetError::Credentials(e.to_string()))?;
        headers.insert(
            AUTHORIZATION,
            sensitive(&format!("Bearer {}", token.expose()))?,
        );
        Ok(())
    }

    async fn unauthorized(&self, rejected: &HeaderMap) -> Result<bool, NetError> {
        let Some(token) = rejected
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Ok(false);
        };
        self.manager
            .renew_rejected(token)
            .await
            .map_err(|e| NetError::Credentials(e.to_string()))
    }
}

/// A static API key in a header, from the vault.
pub struct ApiKeyCredentials {
    header: HeaderName,
    prefix: String,
    key: Secret,
}

impl std::fmt::Debug for ApiKeyCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyCredentials")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl ApiKeyCredentials {
    /// Send `key` in `header`, after `prefix`.
    pub fn new(header: HeaderName, prefix: Option<String>, key: Secret) -> Self {
        Self {
            header,
            prefix: prefix.unwrap_or_default(),
            key,
        }
    }
}

#[async_trait]
impl Credentials for ApiKeyCredentials {
    async fn apply(&self, headers: &mut HeaderMap) -> Result<(), NetError> {
        headers.insert(
            self.header.clone(),
            sensitive(&format!("{}{}", self.prefix, self.key.expose()))?,
        );
        Ok(())
    }

    fn reserved(&self) -> Vec<HeaderName> {
        vec![self.header.clone()]
    }
}
