//! The pre-registered OAuth clients and client authentication at the token
//! and revocation endpoints (RFC 6749 §2.3.1: HTTP Basic, or `client_id` and
//! `client_secret` in the form body).

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;
use sha2::{Digest as _, Sha256};

use crate::oauth_error::OAuthError;
use crate::params::Params;
use crate::profile::Profile;

/// Client id of the sandbox's pre-registered Xero app.
pub const XERO_CLIENT_ID: &str = "SANDBOX0XERO0CLIENT0000000000001";
/// Client secret of the sandbox's pre-registered Xero app.
pub const XERO_CLIENT_SECRET: &str = "sandbox-xero-secret-0000000000000000000000000001";
/// Client id of the sandbox's pre-registered QuickBooks Online app.
pub const QBO_CLIENT_ID: &str = "ABsandboxQuickBooksClient00000000000000000000000001";
/// Client secret of the sandbox's pre-registered QuickBooks Online app.
pub const QBO_CLIENT_SECRET: &str = "sandbox-qbo-secret-00000000000000000000001";

/// An app registered with one vendor.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RegisteredClient {
    pub(crate) id: &'static str,
    secret: &'static str,
    pub(crate) profile: Profile,
    /// Shown on the consent page.
    pub(crate) name: &'static str,
}

static CLIENTS: [RegisteredClient; 2] = [
    RegisteredClient {
        id: XERO_CLIENT_ID,
        secret: XERO_CLIENT_SECRET,
        profile: Profile::Xero,
        name: "ledgerlink (sandbox Xero app)",
    },
    RegisteredClient {
        id: QBO_CLIENT_ID,
        secret: QBO_CLIENT_SECRET,
        profile: Profile::QuickBooks,
        name: "ledgerlink (sandbox QuickBooks app)",
    },
];

/// The client `id` registered with `profile`'s vendor.
pub(crate) fn find(profile: Profile, id: &str) -> Option<&'static RegisteredClient> {
    CLIENTS
        .iter()
        .find(|client| client.profile == profile && client.id == id)
}

/// Every registered client id with its secret, for the index page.
pub(crate) fn credentials() -> impl Iterator<Item = (Profile, &'static str, &'static str)> {
    CLIENTS
        .iter()
        .map(|client| (client.profile, client.id, client.secret))
}

/// Authenticates the client of a token or revocation request at `profile`'s
/// endpoint, from the `Authorization: Basic` header or the form fields.
pub(crate) fn authenticate(
    profile: Profile,
    headers: &HeaderMap,
    form: &Params,
) -> Result<&'static RegisteredClient, OAuthError> {
    let (id, secret) = match basic_credentials(headers)? {
        Some((id, secret)) => {
            // RFC 6749 §2.3: a client must not use more than one authentication method.
            if form.get("client_secret").is_some() {
                return Err(OAuthError::InvalidRequest(
                    "send client credentials either in the Authorization header or in the form, not both"
                        .into(),
                ));
            }
            if form.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::InvalidRequest(
                    "client_id in the form differs from the one in the Authorization header".into(),
                ));
            }
            (id, secret)
        }
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
            _ => {
                return Err(OAuthError::InvalidClient(
                    "client authentication is required: HTTP Basic with client_id:client_secret, \
                     or client_id and client_secret form fields"
                        .into(),
                ));
            }
        },
    };
    let client = find(profile, &id)
        .ok_or_else(|| OAuthError::InvalidClient(format!("unknown client_id for {profile}")))?;
    // Comparing digests rather than the secrets keeps timing independent of
    // how many leading characters a guess gets right.
    if Sha256::digest(secret.as_bytes()) != Sha256::digest(client.secret.as_bytes()) {
        return Err(OAuthError::InvalidClient(
            "client_secret does not match".into(),
        ));
    }
    Ok(client)
}

/// `(client_id, client_secret)` from an `Authorization: Basic` header, if
/// the request has an `Authorization` header at all.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        OAuthError::InvalidClient(
            "malformed Authorization header: expected Basic credentials".into(),
        )
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    let form_decode = |part: &str| {
        percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| malformed())
    };
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap(),
        );
        headers
    }

    #[test]
    fn basic_and_form_credentials_both_authenticate() {
        let none = Params::default();
        let client = authenticate(
            Profile::Xero,
            &basic(XERO_CLIENT_ID, XERO_CLIENT_SECRET),
            &none,
        )
        .unwrap();
        assert_eq!(client.id, XERO_CLIENT_ID);

        let form = Params::parse(
            format!("client_id={QBO_CLIENT_ID}&client_secret={QBO_CLIENT_SECRET}").as_bytes(),
        )
        .unwrap();
        let client = authenticate(Profile::QuickBooks, &HeaderMap::new(), &form).unwrap();
        assert_eq!(client.id, QBO_CLIENT_ID);
    }

    #[test]
    fn clients_are_bound_to_their_vendor() {
        let error = authenticate(
            Profile::QuickBooks,
            &basic(XERO_CLIENT_ID, XERO_CLIENT_SECRET),
            &Params::default(),
        )
        .unwrap_err();
        assert_eq!(
            error,
            OAuthError::InvalidClient("unknown client_id for quickbooks".into())
        );
    }

    #[test]
    fn wrong_secret_missing_credentials_and_two_methods_are_refused() {
        let none = Params::default();
        let error = authenticate(Profile::Xero, &basic(XERO_CLIENT_ID, "nope"), &none).unwrap_err();
        assert_eq!(error.code(), "invalid_client");
        assert_eq!(error.to_string(), "client_secret does not match");

        let error = authenticate(Profile::Xero, &HeaderMap::new(), &none).unwrap_err();
        assert_eq!(error.code(), "invalid_client");

        let form = Params::parse(format!("client_secret={XERO_CLIENT_SECRET}").as_bytes()).unwrap();
        let error = authenticate(
            Profile::Xero,
            &basic(XERO_CLIENT_ID, XERO_CLIENT_SECRET),
            &form,
        )
        .unwrap_err();
        assert_eq!(error.code(), "invalid_request");

        let mut bearer = HeaderMap::new();
        bearer.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(
            authenticate(Profile::Xero, &bearer, &none)
                .unwrap_err()
                .code(),
            "invalid_client"
        );
    }
}
