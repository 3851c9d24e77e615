//! Token revocation (RFC 7009): Xero takes a form body, QuickBooks a JSON
//! body; either way revoking any token of a grant ends the whole grant, as
//! both vendors document ("disconnect").

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::clients::{self, RegisteredClient};
use crate::credentials::TokenKey;
use crate::log::LogNote;
use crate::oauth_error::OAuthError;
use crate::params::Params;
use crate::state::Core;
use crate::vendor::Vendor;

/// `POST` with form `token=...` (Xero's revocation endpoint).
pub(crate) async fn revoke_form<V: Vendor>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut note = LogNote::default();
    let result = Params::parse(&body)
        .map_err(OAuthError::from)
        .and_then(|params| {
            let client = clients::authenticate(V::PROFILE, &headers, &params)?;
            revoke(&core, client, params.require("token")?, &mut note)
        });
    note.attach(answer(result))
}

/// Body of Intuit's revoke request.
#[derive(Debug, Deserialize)]
struct RevokeBody {
    token: Option<String>,
}

/// `POST` with JSON `{"token": "..."}` and HTTP Basic client
/// authentication (Intuit's revoke endpoint).
pub(crate) async fn revoke_json<V: Vendor>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut note = LogNote::default();
    let result =
        clients::authenticate(V::PROFILE, &headers, &Params::default()).and_then(|client| {
            let body: RevokeBody = serde_json::from_slice(&body).map_err(|error| {
                OAuthError::InvalidRequest(format!(
                    "the body must be JSON {{\"token\": \"...\"}}: {error}"
                ))
            })?;
            let token = body
                .token
                .filter(|token| !token.is_empty())
                .ok_or_else(|| OAuthError::InvalidRequest("`token` is missing".into()))?;
            revoke(&core, client, &token, &mut note)
        });
    note.attach(answer(result))
}

fn answer(result: Result<(), OAuthError>) -> Response {
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => error.into_response(),
    }
}

/// Revokes the grant `token` belongs to. RFC 7009 §2.2: an unknown token is
/// not an error, the client's goal (the token no longer works) is met.
fn revoke(
    core: &Core,
    client: &RegisteredClient,
    token: &str,
    note: &mut LogNote,
) -> Result<(), OAuthError> {
    let key = TokenKey::of(token);
    note.token_hash = Some(key.fingerprint());
    let mut store = core.store();
    let Some(id) = store.grants.grant_of_token(&key) else {
        return Ok(());
    };
    // RFC 7009 §2.1: the token must have been issued to the requesting client.
    if store
        .grants
        .get(id)
        .is_some_and(|grant| grant.client_id != client.id)
    {
        return Err(OAuthError::UnauthorizedClient(
            "the token was issued to another client".into(),
        ));
    }
    store.grants.revoke(id);
    Ok(())
}
