//! The token endpoint (RFC 6749 §4.1.3 and §6), shared by both vendors:
//! client authentication, code redemption with PKCE, refresh (through the
//! vendor's rule), and the deliberately dropped refresh response.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use futures_util::stream;
use serde_json::Value;

use crate::clients::{self, RegisteredClient};
use crate::credentials::{self, TokenKey};
use crate::grants::{Grant, GrantId};
use crate::log::LogNote;
use crate::oauth_error::{OAuthError, no_store};
use crate::params::Params;
use crate::state::{Core, Store};
use crate::vendor::{IssuedTokens, Vendor};

/// How long a dropped response stalls after its headers before the
/// connection is cut, so the client has certainly read the status line.
const DROP_STALL: Duration = Duration::from_millis(20);

/// What to send for a successful grant.
enum Reply {
    /// The token response.
    Deliver(Value),
    /// Nothing useful: the refresh was applied but its response is cut off.
    Drop,
}

/// `POST` token endpoint.
pub(crate) async fn token<V: Vendor>(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut note = LogNote::default();
    let response = match exchange::<V>(&core, &headers, &body, &mut note) {
        Ok(Reply::Deliver(body)) => {
            note.outcome = Some("ok".to_owned());
            (StatusCode::OK, no_store(), Json(body)).into_response()
        }
        Ok(Reply::Drop) => {
            note.outcome = Some("dropped".to_owned());
            broken_response()
        }
        Err(error) => error.into_response(),
    };
    note.attach(response)
}

fn exchange<V: Vendor>(
    core: &Core,
    headers: &HeaderMap,
    body: &[u8],
    note: &mut LogNote,
) -> Result<Reply, OAuthError> {
    require_form_body(headers)?;
    let params = Params::parse(body)?;
    let grant_type = params.require("grant_type")?;
    note.set_grant_type(grant_type);
    // Fingerprint the presented credential before anything can fail, so even
    // a refused request can be matched to the token it carried.
    let presented = match grant_type {
        "authorization_code" => params.get("code"),
        "refresh_token" => params.get("refresh_token"),
        _ => None,
    };
    note.token_hash = presented.map(|token| TokenKey::of(token).fingerprint());
    let client = clients::authenticate(V::PROFILE, headers, &params)?;
    match grant_type {
        "authorization_code" => redeem_code::<V>(core, client, &params).map(Reply::Deliver),
        "refresh_token" => refresh::<V>(core, client, &params),
        other => Err(OAuthError::UnsupportedGrantType(format!(
            "grant_type `{other}` is not supported; use authorization_code or refresh_token"
        ))),
    }
}

/// RFC 6749 §4.1.3: the token request is `application/x-www-form-urlencoded`.
fn require_form_body(headers: &HeaderMap) -> Result<(), OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(OAuthError::InvalidRequest(
            "the token request body must be application/x-www-form-urlencoded".into(),
        ))
    }
}

/// `grant_type=authorization_code`: redeems a code for a new grant.
fn redeem_code<V: Vendor>(
    core: &Core,
    client: &RegisteredClient,
    params: &Params,
) -> Result<Value, OAuthError> {
    let key = TokenKey::of(params.require("code")?);
    let redirect_uri = params.require("redirect_uri")?;
    let verifier = params.get("code_verifier");

    let now = core.clock.now();
    let mut store = core.store();
    let unknown =
        || OAuthError::invalid_grant("authorization code is unknown, expired or already used");
    // Only the client the code was issued to may burn it.
    if store
        .authorizations
        .code(&key)
        .ok_or_else(unknown)?
        .client_id
        != client.id
    {
        return Err(OAuthError::invalid_grant(
            "authorization code was issued to another client",
        ));
    }
    let code = store.authorizations.take_code(&key).ok_or_else(unknown)?;
    if now >= code.expires_at {
        return Err(OAuthError::invalid_grant(
            "authorization code expired; codes are valid for 5 minutes",
        ));
    }
    if redirect_uri != code.redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the one in the authorization request",
        ));
    }
    match (code.code_challenge.as_deref(), verifier) {
        (Some(challenge), Some(verifier)) if credentials::s256_matches(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required: the authorization request carried a code_challenge",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent, but the authorization request carried no code_challenge",
            ));
        }
        (None, None) => {}
    }

    let grant = Grant {
        profile: V::PROFILE,
        client_id: client.id,
        scope: code.scope,
        created_at: now,
        auth_event_id: uuid::Uuid::new_v4().to_string(),
        tenants: V::tenants(),
        revoked: false,
    };
    let refresh = V::issues_refresh_token(&grant.scope);
    let response_grant = grant.clone();
    let id = store.grants.create(grant);
    let tokens = IssuedTokens {
        access_token: store.grants.issue_access(id, now, V::ACCESS_TOKEN_LIFETIME),
        refresh: refresh.then(|| {
            store
                .grants
                .issue_refresh(id, now, V::REFRESH_TOKEN_LIFETIME)
        }),
        now,
    };
    Ok(V::token_response(&tokens, &response_grant))
}

/// `grant_type=refresh_token`: checks, rotates (vendor rule), counts, and
/// decides whether this response is the one to drop, all under one lock.
fn refresh<V: Vendor>(
    core: &Core,
    client: &RegisteredClient,
    params: &Params,
) -> Result<Reply, OAuthError> {
    let presented = params.require("refresh_token")?;
    let key = TokenKey::of(presented);

    let now = core.clock.now();
    let mut store = core.store();
    let (id, grant) = live_grant_of_refresh_token(&store, &key, client)?;
    let refresh = V::rotate(&mut store.grants, &key, presented, now)?;
    let tokens = IssuedTokens {
        access_token: store.grants.issue_access(id, now, V::ACCESS_TOKEN_LIFETIME),
        refresh: Some(refresh),
        now,
    };
    store.count_refresh(V::PROFILE);
    if store.take_drop(V::PROFILE) {
        tracing::info!(profile = %V::PROFILE, "sandbox: dropping this refresh response on purpose");
        return Ok(Reply::Drop);
    }
    Ok(Reply::Deliver(V::token_response(&tokens, &grant)))
}

/// The grant of the refresh token `key`, if it belongs to `client` and was
/// not revoked.
fn live_grant_of_refresh_token(
    store: &Store,
    key: &TokenKey,
    client: &RegisteredClient,
) -> Result<(GrantId, Grant), OAuthError> {
    let id = store
        .grants
        .refresh_token(key)
        .map(|token| token.grant)
        .ok_or_else(|| OAuthError::invalid_grant("refresh token is unknown"))?;
    let grant = store
        .grants
        .get(id)
        .ok_or_else(|| OAuthError::invalid_grant("refresh token is unknown"))?;
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "refresh token was issued to another client",
        ));
    }
    if grant.revoked {
        return Err(OAuthError::invalid_grant(
            "the authorization was revoked; the user must connect again",
        ));
    }
    Ok((id, grant.clone()))
}

/// A 200 whose body breaks off: one byte of JSON, a short stall (so the
/// status line and headers reach the client), then an error that makes the
/// server abort the connection mid-body.
fn broken_response() -> Response {
    let start = stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"{"))]);
    let cut = stream::once(async {
        tokio::time::sleep(DROP_STALL).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox: refresh response dropped on purpose",
        ))
    });
    let mut response = Response::new(Body::from_stream(start.chain(cut)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().extend(no_store());
    response
}
