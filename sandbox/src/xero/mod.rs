//! The Xero profile: identity server (`/xero/identity/connect/...`),
//! identity API (`/xero/connections`) and one accounting resource
//! (`/xero/api.xro/2.0/Organisation`).

pub(crate) mod accounting;
mod api;
mod refresh;
pub(crate) mod tenants;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::authorize::{authorize, consent};
use crate::credentials::TokenKey;
use crate::grants::{Grant, Grants, IssuedRefresh, Tenant};
use crate::oauth_error::OAuthError;
use crate::profile::Profile;
use crate::revoke::revoke_form;
use crate::state::Core;
use crate::token::token;
use crate::vendor::{IssuedTokens, Vendor};

/// Authorization endpoint (Xero: `login.xero.com/identity/connect/authorize`).
pub(crate) const AUTHORIZE_PATH: &str = "/xero/identity/connect/authorize";
/// Where the consent page posts the user's decision.
pub(crate) const CONSENT_PATH: &str = "/xero/identity/connect/consent";
/// Token endpoint (Xero: `identity.xero.com/connect/token`).
pub(crate) const TOKEN_PATH: &str = "/xero/identity/connect/token";
/// Revocation endpoint (Xero: `identity.xero.com/connect/revocation`).
pub(crate) const REVOCATION_PATH: &str = "/xero/identity/connect/revocation";
/// Connections (Xero: `api.xero.com/connections`).
pub(crate) const CONNECTIONS_PATH: &str = "/xero/connections";
/// Organisation (Xero: `api.xero.com/api.xro/2.0/Organisation`).
pub(crate) const ORGANISATION_PATH: &str = "/xero/api.xro/2.0/Organisation";

/// The scope without which Xero issues no refresh token.
const OFFLINE_ACCESS: &str = "offline_access";

/// Xero's authorization server rules.
#[derive(Debug)]
pub(crate) struct Xero;

impl Vendor for Xero {
    const PROFILE: Profile = Profile::Xero;
    const DISPLAY_NAME: &'static str = "Xero";
    const CONSENT_PATH: &'static str = CONSENT_PATH;
    const PKCE_REQUIRED: bool = true;
    const ACCESS_TOKEN_LIFETIME: Duration = refresh::ACCESS_TOKEN_LIFETIME;
    const REFRESH_TOKEN_LIFETIME: Duration = refresh::REFRESH_TOKEN_LIFETIME;

    fn issues_refresh_token(scope: &str) -> bool {
        scope
            .split_whitespace()
            .any(|scope| scope == OFFLINE_ACCESS)
    }

    fn tenants() -> Vec<Tenant> {
        tenants::new_connections()
    }

    fn callback_params() -> &'static [(&'static str, &'static str)] {
        &[]
    }

    fn rotate(
        grants: &mut Grants,
        key: &TokenKey,
        _presented: &str,
        now: SystemTime,
    ) -> Result<IssuedRefresh, OAuthError> {
        refresh::rotate(grants, key, now)
    }

    fn token_response(tokens: &IssuedTokens, grant: &Grant) -> Value {
        let mut body = Map::new();
        body.insert("access_token".into(), json!(tokens.access_token));
        body.insert(
            "expires_in".into(),
            json!(Self::ACCESS_TOKEN_LIFETIME.as_secs()),
        );
        body.insert("token_type".into(), json!("Bearer"));
        if let Some(refresh) = &tokens.refresh {
            body.insert("refresh_token".into(), json!(refresh.token));
        }
        body.insert("scope".into(), json!(grant.scope));
        Value::Object(body)
    }
}

/// Xero's routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize::<Xero>))
        .route(CONSENT_PATH, post(consent::<Xero>))
        .route(TOKEN_PATH, post(token::<Xero>))
        .route(REVOCATION_PATH, post(revoke_form::<Xero>))
        .route(CONNECTIONS_PATH, get(api::connections))
        .route(ORGANISATION_PATH, get(api::organisation))
}
