//! Authorization requests awaiting consent, and the authorization codes
//! that approved requests turn into.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use crate::clients::RegisteredClient;
use crate::credentials::{self, TokenKey};
use crate::profile::Profile;
use crate::redirect::RedirectUri;

/// How long a consent page may stay open before its request is forgotten.
const REQUEST_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// How long an authorization code lives: 5 minutes at both vendors.
pub(crate) const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// A validated authorization request, waiting for the user's decision.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    pub(crate) profile: Profile,
    pub(crate) client: &'static RegisteredClient,
    pub(crate) redirect_uri: RedirectUri,
    pub(crate) scope: String,
    pub(crate) state: String,
    /// The S256 PKCE challenge, if the client sent one.
    pub(crate) code_challenge: Option<String>,
}

/// An issued, not yet redeemed authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationCode {
    pub(crate) client_id: &'static str,
    /// The redirect URI exactly as sent; the token request must repeat it.
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: SystemTime,
}

/// Pending requests by id, and codes by digest.
#[derive(Debug, Default)]
pub(crate) struct Authorizations {
    requests: HashMap<String, (AuthorizationRequest, SystemTime)>,
    codes: HashMap<TokenKey, AuthorizationCode>,
}

impl Authorizations {
    /// Stores `request` until the user decides; returns the id the consent
    /// form posts back.
    pub(crate) fn open(&mut self, request: AuthorizationRequest, now: SystemTime) -> String {
        self.forget_expired(now);
        let id = credentials::mint();
        self.requests
            .insert(id.clone(), (request, now + REQUEST_LIFETIME));
        id
    }

    /// Removes and returns the pending request `id` of `profile`; `None` if
    /// it is unknown, expired, already answered, or another vendor's.
    pub(crate) fn take_request(
        &mut self,
        id: &str,
        profile: Profile,
        now: SystemTime,
    ) -> Option<AuthorizationRequest> {
        match self.requests.get(id) {
            Some((request, _)) if request.profile == profile => {}
            _ => return None,
        }
        let (request, expires_at) = self.requests.remove(id)?;
        (now < expires_at).then_some(request)
    }

    /// Issues a single-use code for an approved `request`.
    pub(crate) fn issue_code(&mut self, request: &AuthorizationRequest, now: SystemTime) -> String {
        self.forget_expired(now);
        let code = credentials::mint();
        self.codes.insert(
            TokenKey::of(&code),
            AuthorizationCode {
                client_id: request.client.id,
                redirect_uri: request.redirect_uri.as_str().to_owned(),
                scope: request.scope.clone(),
                code_challenge: request.code_challenge.clone(),
                expires_at: now + CODE_LIFETIME,
            },
        );
        code
    }

    /// The code with digest `key`, without redeeming it.
    pub(crate) fn code(&self, key: &TokenKey) -> Option<&AuthorizationCode> {
        self.codes.get(key)
    }

    /// Removes the code with digest `key`: a code works at most once.
    pub(crate) fn take_code(&mut self, key: &TokenKey) -> Option<AuthorizationCode> {
        self.codes.remove(key)
    }

    /// Drops requests and codes that can no longer be used, so a long-running
    /// sandbox does not grow without bound.
    fn forget_expired(&mut self, now: SystemTime) {
        self.requests.retain(|_, (_, expires_at)| now < *expires_at);
        self.codes.retain(|_, code| now < code.expires_at);
    }
}
