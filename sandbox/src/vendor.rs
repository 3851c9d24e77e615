//! What differs between the two authorization servers, as one trait that the
//! shared authorize, consent, token and revocation handlers are generic over.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::credentials::TokenKey;
use crate::grants::{Grant, Grants, IssuedRefresh, Tenant};
use crate::oauth_error::OAuthError;
use crate::profile::Profile;

/// Tokens issued by one successful token request.
#[derive(Debug)]
pub(crate) struct IssuedTokens {
    pub(crate) access_token: String,
    /// `None` when the grant gets no refresh token (Xero without `offline_access`).
    pub(crate) refresh: Option<IssuedRefresh>,
    pub(crate) now: SystemTime,
}

/// One vendor's authorization server rules.
pub(crate) trait Vendor: Send + Sync + 'static {
    /// Which vendor.
    const PROFILE: Profile;
    /// Shown on consent and error pages.
    const DISPLAY_NAME: &'static str;
    /// Path the consent form posts to.
    const CONSENT_PATH: &'static str;
    /// Whether an authorization request must carry a PKCE S256 challenge.
    const PKCE_REQUIRED: bool;
    /// Access token lifetime (`expires_in`).
    const ACCESS_TOKEN_LIFETIME: Duration;
    /// Lifetime of a newly minted refresh token.
    const REFRESH_TOKEN_LIFETIME: Duration;

    /// Whether a grant with `scope` receives a refresh token.
    fn issues_refresh_token(scope: &str) -> bool;

    /// The organisations or companies a new grant covers.
    fn tenants() -> Vec<Tenant>;

    /// Extra parameters on the redirect back to the client after consent.
    fn callback_params() -> &'static [(&'static str, &'static str)];

    /// Applies the vendor's refresh rule to the refresh token with digest
    /// `key` (whose grant is live and belongs to the calling client) and
    /// returns the refresh token the client must use next.
    fn rotate(
        grants: &mut Grants,
        key: &TokenKey,
        presented: &str,
        now: SystemTime,
    ) -> Result<IssuedRefresh, OAuthError>;

    /// The JSON body of a successful token response.
    fn token_response(tokens: &IssuedTokens, grant: &Grant) -> Value;
}
