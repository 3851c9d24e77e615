//! The QuickBooks Online profile: Intuit's authorization server
//! (`/qbo/connect/oauth2`, `/qbo/oauth2/v1/tokens/bearer`,
//! `/qbo/v2/oauth2/tokens/revoke`) and one API resource
//! (`/qbo/v3/company/{realmId}/companyinfo/{realmId}`).

pub(crate) mod accounting;
mod api;
mod refresh;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::authorize::{authorize, consent};
use crate::credentials::TokenKey;
use crate::grants::{Grant, Grants, IssuedRefresh, Tenant};
use crate::oauth_error::OAuthError;
use crate::profile::Profile;
use crate::revoke::revoke_json;
use crate::state::Core;
use crate::token::token;
use crate::vendor::{IssuedTokens, Vendor};

/// The realm id (company id) of the sandbox company, sent as `realmId` on
/// the authorization callback.
pub const QBO_REALM_ID: &str = "9341453172470495";
/// `CompanyName` of the sandbox company.
pub(crate) const COMPANY_NAME: &str = "Sandbox Company_US_1";

/// Authorization endpoint (Intuit: `appcenter.intuit.com/connect/oauth2`).
pub(crate) const AUTHORIZE_PATH: &str = "/qbo/connect/oauth2";
/// Where the consent page posts the user's decision.
pub(crate) const CONSENT_PATH: &str = "/qbo/connect/consent";
/// Token endpoint (Intuit: `oauth.platform.intuit.com/oauth2/v1/tokens/bearer`).
pub(crate) const TOKEN_PATH: &str = "/qbo/oauth2/v1/tokens/bearer";
/// Revocation endpoint (Intuit: `developer.api.intuit.com/v2/oauth2/tokens/revoke`).
pub(crate) const REVOKE_PATH: &str = "/qbo/v2/oauth2/tokens/revoke";
/// Company info (Intuit: `quickbooks.api.intuit.com/v3/company/{realmId}/companyinfo/{realmId}`).
pub(crate) const COMPANY_INFO_PATH: &str = "/qbo/v3/company/{realm_id}/companyinfo/{company_id}";

/// Intuit's authorization server rules.
#[derive(Debug)]
pub(crate) struct QuickBooks;

impl Vendor for QuickBooks {
    const PROFILE: Profile = Profile::QuickBooks;
    const DISPLAY_NAME: &'static str = "QuickBooks Online";
    const CONSENT_PATH: &'static str = CONSENT_PATH;
    const PKCE_REQUIRED: bool = false;
    const ACCESS_TOKEN_LIFETIME: Duration = refresh::ACCESS_TOKEN_LIFETIME;
    const REFRESH_TOKEN_LIFETIME: Duration = refresh::REFRESH_TOKEN_LIFETIME;

    fn issues_refresh_token(_scope: &str) -> bool {
        true
    }

    fn tenants() -> Vec<Tenant> {
        vec![Tenant {
            connection_id: uuid::Uuid::new_v4().to_string(),
            tenant_id: QBO_REALM_ID,
            name: COMPANY_NAME,
        }]
    }

    fn callback_params() -> &'static [(&'static str, &'static str)] {
        &[("realmId", QBO_REALM_ID)]
    }

    fn rotate(
        grants: &mut Grants,
        key: &TokenKey,
        presented: &str,
        now: SystemTime,
    ) -> Result<IssuedRefresh, OAuthError> {
        refresh::rotate(grants, key, presented, now)
    }

    fn token_response(tokens: &IssuedTokens, _grant: &Grant) -> Value {
        let mut body = json!({
            "token_type": "bearer",
            "access_token": tokens.access_token,
            "expires_in": Self::ACCESS_TOKEN_LIFETIME.as_secs(),
        });
        if let (Some(refresh), Some(fields)) = (&tokens.refresh, body.as_object_mut()) {
            let remaining = refresh
                .expires_at
                .duration_since(tokens.now)
                .unwrap_or_default();
            fields.insert("refresh_token".into(), json!(refresh.token));
            fields.insert(
                "x_refresh_token_expires_in".into(),
                json!(remaining.as_secs()),
            );
        }
        body
    }
}

/// QuickBooks Online's routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize::<QuickBooks>))
        .route(CONSENT_PATH, post(consent::<QuickBooks>))
        .route(TOKEN_PATH, post(token::<QuickBooks>))
        .route(REVOKE_PATH, post(revoke_json::<QuickBooks>))
        .route(COMPANY_INFO_PATH, get(api::company_info))
}
