//! The authorization endpoint and the consent form behind it (RFC 6749
//! §4.1.1–4.1.2, PKCE per RFC 7636), shared by both vendors.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorizations::AuthorizationRequest;
use crate::clients;
use crate::consent_page::{self, Consent};
use crate::credentials::{self, TokenKey};
use crate::log::LogNote;
use crate::params::{ParamError, Params};
use crate::redirect::{self, RedirectError};
use crate::state::Core;
use crate::vendor::Vendor;

/// Why an authorization request is refused (shown to the user, never
/// redirected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthorizeError {
    /// Missing or repeated parameter.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// `client_id` is not registered with this vendor.
    #[error("client_id `{0}` is not registered with this sandbox; use the client id shown at /")]
    UnknownClient(String),
    /// `redirect_uri` is unacceptable.
    #[error(transparent)]
    Redirect(#[from] RedirectError),
    /// Only the authorization code flow is supported.
    #[error("response_type must be `code`, not `{0}`")]
    ResponseType(String),
    /// PKCE is mandatory at this vendor.
    #[error("code_challenge is required: this app must use PKCE with code_challenge_method=S256")]
    PkceRequired,
    /// Only S256 is accepted (RFC 7636 §4.2: `plain` only when S256 is impossible).
    #[error("code_challenge_method must be `S256`, not `{0}`")]
    ChallengeMethod(String),
    /// The challenge is not a base64url SHA-256 digest.
    #[error(
        "code_challenge must be BASE64URL(SHA256(code_verifier)): 43 characters without padding"
    )]
    MalformedChallenge,
}

/// `GET` authorization endpoint: validates the request and shows the
/// consent page.
pub(crate) async fn authorize<V: Vendor>(
    State(core): State<Arc<Core>>,
    RawQuery(query): RawQuery,
) -> Response {
    let request = match validate::<V>(query.as_deref().unwrap_or_default()) {
        Ok(request) => request,
        Err(error) => {
            return LogNote::outcome("invalid_request").attach(consent_page::render_error(
                V::DISPLAY_NAME,
                &error.to_string(),
            ));
        }
    };
    let tenants = V::tenants();
    let tenant_names: Vec<&str> = tenants.iter().map(|tenant| tenant.name).collect();
    let redirect_uri = request.redirect_uri.as_str().to_owned();
    let (client_name, scope) = (request.client.name, request.scope.clone());
    let request_id = core.store().authorizations.open(request, core.clock.now());
    consent_page::render_consent(&Consent {
        vendor: V::DISPLAY_NAME,
        client_name,
        scope: &scope,
        tenants: &tenant_names,
        redirect_uri: &redirect_uri,
        action: V::CONSENT_PATH,
        request_id: &request_id,
    })
}

/// Checks an authorization request's query, client and redirect URI first.
fn validate<V: Vendor>(query: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    let params = Params::parse(query.as_bytes())?;
    let client_id = params.require("client_id")?;
    let client = clients::find(V::PROFILE, client_id)
        .ok_or_else(|| AuthorizeError::UnknownClient(client_id.to_owned()))?;
    let redirect_uri = redirect::validate(params.require("redirect_uri")?)?;
    let response_type = params.require("response_type")?;
    if response_type != "code" {
        return Err(AuthorizeError::ResponseType(response_type.to_owned()));
    }
    let scope = params.require("scope")?;
    let state = params.require("state")?;
    let code_challenge = match params.get("code_challenge") {
        None if V::PKCE_REQUIRED => return Err(AuthorizeError::PkceRequired),
        None => None,
        Some(challenge) => {
            // RFC 7636 §4.3: an absent method means `plain`.
            let method = params.get("code_challenge_method").unwrap_or("plain");
            if method != "S256" {
                return Err(AuthorizeError::ChallengeMethod(method.to_owned()));
            }
            if !credentials::is_s256_challenge(challenge) {
                return Err(AuthorizeError::MalformedChallenge);
            }
            Some(challenge.to_owned())
        }
    };
    Ok(AuthorizationRequest {
        profile: V::PROFILE,
        client,
        redirect_uri,
        scope: scope.to_owned(),
        state: state.to_owned(),
        code_challenge,
    })
}

/// `POST` consent form: the user's decision, answered with a 302 to the
/// client's redirect URI carrying a code (or `error=access_denied`) and the
/// client's `state`.
pub(crate) async fn consent<V: Vendor>(State(core): State<Arc<Core>>, body: Bytes) -> Response {
    let refuse = |message: &str| {
        LogNote::outcome("invalid_request")
            .attach(consent_page::render_error(V::DISPLAY_NAME, message))
    };
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return refuse(&error.to_string()),
    };
    let Ok(request_id) = params.require("request_id") else {
        return refuse("the consent form was submitted without its request_id");
    };
    let approve = match params.get("decision") {
        None | Some("approve") => true,
        Some("deny") => false,
        Some(other) => {
            return refuse(&format!(
                "decision must be `approve` or `deny`, not `{other}`"
            ));
        }
    };
    let now = core.clock.now();
    let mut store = core.store();
    let Some(request) = store
        .authorizations
        .take_request(request_id, V::PROFILE, now)
    else {
        return refuse(
            "this authorization request is unknown, expired or already answered; start again from the app",
        );
    };
    if !approve {
        let location = request.redirect_uri.with_params([
            ("error", "access_denied"),
            ("error_description", "The user denied access"),
            ("state", request.state.as_str()),
        ]);
        return LogNote::outcome("access_denied").attach(found(&location));
    }
    let code = store.authorizations.issue_code(&request, now);
    drop(store);
    let params = [("code", code.as_str()), ("state", request.state.as_str())];
    let location = request.redirect_uri.with_params(
        params
            .into_iter()
            .chain(V::callback_params().iter().copied()),
    );
    LogNote {
        token_hash: Some(TokenKey::of(&code).fingerprint()),
        ..LogNote::default()
    }
    .attach(found(&location))
}

/// A 302 Found to `location`, as both vendors answer consent.
fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        // `Url` serializes to ASCII without control characters, so every
        // callback URL is a valid header value; answer 500 rather than panic.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
