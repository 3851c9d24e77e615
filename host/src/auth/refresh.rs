//! Token refresh that survives rotation, concurrency and lost responses.
//!
//! The rules, each of which an integration has died of somewhere:
//! - **Single flight.** A refresh runs under the connection's lock ([`super::lock`]), held
//!   across processes (and, on PostgreSQL, across hosts) until the new tokens are persisted. Whoever gets the lock next
//!   re-reads the tokens first and does nothing if someone else already refreshed.
//! - **Persist before use.** The new refresh token (with its access token, one vault entry)
//!   is saved before the new access token is handed to anyone.
//! - **Lost responses.** When the token endpoint's answer is lost (connection dropped,
//!   garbled body), the refresh is retried with the same refresh token: Xero accepts it
//!   again within its 30-minute grace period, QuickBooks returns the same value within 24 h.
//! - **No retry loops.** A refused grant marks the connection `needs-reconnect` with the
//!   exact command to run, and every later call fails fast with that message.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::AuthError;
use super::oauth::{self, ClientCredentials, Endpoints, TokenError};
use super::tokens::{self, CLIENT_SECRET, TokenSet};
use super::vault::{Secret, Vault, VaultError};
use crate::runtime::Clock;
use crate::store::connections::{ConnectionStore, Status, TokenHealth, unix};

/// Tunables of refresh.
#[derive(Debug, Clone, Copy)]
pub struct RefreshPolicy {
    /// Refresh this long before the access token expires.
    pub skew: Duration,
    /// How often a refresh whose answer was lost is retried with the same refresh token.
    pub lost_response_retries: u32,
    /// Pause before such a retry.
    pub retry_pause: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            skew: Duration::from_secs(60),
            lost_response_retries: 2,
            retry_pause: Duration::from_millis(200),
        }
    }
}

/// Keeps one connection's OAuth tokens fresh.
pub struct TokenManager {
    connection: String,
    vendor: String,
    store: ConnectionStore,
    vault: Arc<dyn Vault>,
    locks: PathBuf,
    endpoints: Endpoints,
    client_id: String,
    http: reqwest::Client,
    policy: RefreshPolicy,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

/// What a [`TokenManager`] needs.
pub struct TokenManagerParts {
    /// Connection name.
    pub connection: String,
    /// Vendor's display name, for messages ("Xero").
    pub vendor: String,
    /// The connections table.
    pub store: ConnectionStore,
    /// The vault.
    pub vault: Arc<dyn Vault>,
    /// The lock folder.
    pub locks: PathBuf,
    /// Token endpoints (routed).
    pub endpoints: Endpoints,
    /// OAuth client id.
    pub client_id: String,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Tunables.
    pub policy: RefreshPolicy,
}

impl TokenManager {
    /// A manager for one connection.
    pub fn new(parts: TokenManagerParts) -> Result<Self, AuthError> {
        let http =
            oauth::http_client(Duration::from_secs(30)).map_err(|e| AuthError::Unavailable {
                connection: parts.connection.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            connection: parts.connection,
            vendor: parts.vendor,
            store: parts.store,
            vault: parts.vault,
            locks: parts.locks,
            endpoints: parts.endpoints,
            client_id: parts.client_id,
            http,
            policy: parts.policy,
            clock: parts.clock,
        })
    }

    /// A valid access token, refreshed first if it expires within the skew.
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        self.fail_fast_if_disconnected()?;
        let current = self.load().await?;
        if !self.expiring(&current) {
            return Ok(Secret::new(current.access_token));
        }
        let fresh = self.refresh(|t| self.expiring(t)).await?;
        Ok(Secret::new(fresh.access_token))
    }

    /// The vendor answered 401 to a request made with `rejected`. Renew unless someone has
    /// already; `true` when the token now differs and the request is worth sending again.
    pub async fn renew_rejected(&self, rejected: &str) -> Result<bool, AuthError> {
        self.fail_fast_if_disconnected()?;
        let fresh = self.refresh(|t| t.access_token == rejected).await?;
        Ok(fresh.access_token != rejected)
    }

    fn expiring(&self, t: &TokenSet) -> bool {
        let skew = i64::try_from(self.policy.skew.as_secs()).unwrap_or(0);
        t.access_expires_at - skew <= unix(self.clock.now())
    }

    fn fail_fast_if_disconnected(&self) -> Result<(), AuthError> {
        let c = self.store.get(&self.connection)?;
        if c.status == Status::NeedsReconnect {
            return Err(AuthError::NeedsReconnect {
                connection: self.connection.clone(),
                message: c
                    .status_message
                    .unwrap_or_else(|| self.reconnect_message("it was disconnected")),
            });
        }
        Ok(())
    }

    async fn load(&self) -> Result<TokenSet, AuthError> {
        let vault = self.vault.clone();
        let name = self.connection.clone();
        blocking(move || tokens::load(vault.as_ref(), &name))
            .await?
            .ok_or_else(|| AuthError::NotConnected {
                connection: self.connection.clone(),
            })
    }

    async fn client_credentials(&self) -> Result<ClientCredentials, AuthError> {
        let vault = self.vault.clone();
        let name = self.connection.clone();
        let secret = blocking(move || tokens::secret(vault.as_ref(), &name, CLIENT_SECRET)).await?;
        let secret = secret.ok_or_else(|| AuthError::NeedsReconnect {
            connection: self.connection.clone(),
            message: self.reconnect_message("its client secret is missing from the vault"),
        })?;
        Ok(ClientCredentials {
            id: self.client_id.clone(),
            secret: secret.expose().to_owned(),
        })
    }

    fn reconnect_message(&self, why: &str) -> String {
        format!(
            "connection {c} needs reconnecting: {why}. Run `ledgerlink connect {c}` and approve access in {v} again.",
            c = self.connection,
            v = self.vendor
        )
    }

    /// Refresh under the connection lock, if `still_needed` holds for the tokens found
    /// after taking it.
    async fn refresh(
        &self,
        still_needed: impl Fn(&TokenSet) -> bool,
    ) -> Result<TokenSet, AuthError> {
        let _lock = super::lock::acquire(&self.locks, &self.store.db(), &self.connection)
            .await
            .map_err(|e| AuthError::Unavailable {
                connection: self.connection.clone(),
                reason: format!("could not take the refresh lock: {e}"),
            })?;
        // Another worker, here or in another process, may have refreshed while we waited.
        let current = self.load().await?;
        if !still_needed(&current) {
            return Ok(current);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(self.needs_reconnect("none", "the vendor issued no refresh token"));
        };
        let creds = self.client_credentials().await?;

        let mut attempt = 0;
        loop {
            let now = self.clock.now();
            match oauth::refresh(&self.http, &self.endpoints, &creds, &refresh_token, now).await {
                Ok(fresh) => {
                    let vault = self.vault.clone();
                    let name = self.connection.clone();
                    let saved = fresh.clone();
                    // Persist before anyone uses the new access token: the old refresh token
                    // may already be dead at the vendor.
                    blocking(move || tokens::save(vault.as_ref(), &name, &saved)).await?;
                    self.store.record_tokens(
                        &self.connection,
                        &TokenHealth {
                            access_expires_at: Some(fresh.access_expires_at),
                            refresh_expires_at: fresh.refresh_expires_at,
                        },
                        now,
                    )?;
                    tracing::info!(connection = %self.connection, attempt, "tokens refreshed");
                    return Ok(fresh);
                }
                Err(TokenError::InvalidGrant { .. }) => {
                    return Err(self.needs_reconnect(
                        "invalid_grant",
                        &format!("{} refused its refresh token (invalid_grant)", self.vendor),
                    ));
                }
                Err(TokenError::InvalidClient) => {
                    return Err(self.needs_reconnect(
                        "invalid_client",
                        &format!(
                            "{} refused its client id or secret (invalid_client)",
                            self.vendor
                        ),
                    ));
                }
                Err(TokenError::OutcomeUnknown(reason))
                    if attempt < self.policy.lost_response_retries =>
                {
                    attempt += 1;
                    tracing::warn!(connection = %self.connection, attempt, "refresh answer lost ({reason}); retrying with the same refresh token");
                    tokio::time::sleep(self.policy.retry_pause * attempt).await;
                }
                Err(e) => {
                    let outcome = match &e {
                        TokenError::OutcomeUnknown(_) => "no-response",
                        _ => "refused",
                    };
                    let reason = e.to_string();
                    let message = format!(
                        "connection {} could not renew its tokens: {reason}; it will be tried again on the next request",
                        self.connection
                    );
                    self.store.record_failure(
                        &self.connection,
                        Status::Error,
                        outcome,
                        &message,
                        now,
                    )?;
                    return Err(AuthError::Unavailable {
                        connection: self.connection.clone(),
                        reason,
                    });
                }
            }
        }
    }

    fn needs_reconnect(&self, outcome: &str, why: &str) -> AuthError {
        let message = self.reconnect_message(why);
        if let Err(e) = self.store.record_failure(
            &self.connection,
            Status::NeedsReconnect,
            outcome,
            &message,
            self.clock.now(),
        ) {
            tracing::error!(connection = %self.connection, "could not record needs-reconnect: {e}");
        }
        AuthError::NeedsReconnect {
            connection: self.connection.clone(),
            message,
        }
    }
}

/// Run a blocking vault call off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, VaultError> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AuthError::Internal(format!("a vault task failed: {e}")))?
        .map_err(AuthError::Vault)
}
