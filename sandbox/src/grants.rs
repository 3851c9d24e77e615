//! Grants (one per approved authorization) and the access and refresh
//! tokens issued under them, stored by digest.
//!
//! This module keeps the records; the vendors' differing refresh rules live
//! in `xero::refresh` and `quickbooks::refresh`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use crate::credentials::{self, TokenKey};
use crate::profile::Profile;

/// Identifies a grant within one sandbox.
pub(crate) type GrantId = u64;

/// One organisation (Xero tenant) or company (QuickBooks realm) a grant covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tenant {
    /// Xero's connection id (random per grant); QuickBooks has no such id
    /// but gets one too for uniformity.
    pub(crate) connection_id: String,
    /// Xero tenant id or QuickBooks realm id.
    pub(crate) tenant_id: &'static str,
    /// Organisation or company name.
    pub(crate) name: &'static str,
}

/// What a user approved for a client.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) profile: Profile,
    pub(crate) client_id: &'static str,
    /// Space-separated scopes, as requested.
    pub(crate) scope: String,
    pub(crate) created_at: SystemTime,
    /// Xero's `authEventId`: shared by all connections made in one consent.
    pub(crate) auth_event_id: String,
    pub(crate) tenants: Vec<Tenant>,
    /// Set by revocation; every token of a revoked grant is dead.
    pub(crate) revoked: bool,
}

impl Grant {
    /// The tenant `tenant_id`, if this grant covers it.
    pub(crate) fn tenant(&self, tenant_id: &str) -> Option<&Tenant> {
        self.tenants
            .iter()
            .find(|tenant| tenant.tenant_id == tenant_id)
    }
}

/// An issued access token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccessToken {
    pub(crate) grant: GrantId,
    pub(crate) expires_at: SystemTime,
}

/// An issued refresh token; the vendor rules read and update it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefreshToken {
    pub(crate) grant: GrantId,
    /// When this value was minted.
    pub(crate) issued_at: SystemTime,
    /// After this instant the value no longer refreshes (Xero: only while
    /// unused; QuickBooks: rolled forward by every refresh).
    pub(crate) expires_at: SystemTime,
    /// First successful use (Xero's grace period counts from here).
    pub(crate) first_used_at: Option<SystemTime>,
    /// Replaced by a newer value that made this one invalid (QuickBooks).
    pub(crate) superseded: bool,
}

/// A refresh token value handed to a client, with its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedRefresh {
    pub(crate) token: String,
    pub(crate) expires_at: SystemTime,
}

/// All grants and tokens.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    grants: HashMap<GrantId, Grant>,
    access: HashMap<TokenKey, AccessToken>,
    refresh: HashMap<TokenKey, RefreshToken>,
    next_id: GrantId,
}

impl Grants {
    /// Stores a new grant.
    pub(crate) fn create(&mut self, grant: Grant) -> GrantId {
        self.next_id += 1;
        self.grants.insert(self.next_id, grant);
        self.next_id
    }

    /// The grant `id`.
    pub(crate) fn get(&self, id: GrantId) -> Option<&Grant> {
        self.grants.get(&id)
    }

    /// Mints an access token for `grant`, valid for `lifetime` from `now`.
    pub(crate) fn issue_access(
        &mut self,
        grant: GrantId,
        now: SystemTime,
        lifetime: Duration,
    ) -> String {
        let token = credentials::mint();
        let expires_at = now + lifetime;
        self.access
            .insert(TokenKey::of(&token), AccessToken { grant, expires_at });
        token
    }

    /// Mints a refresh token for `grant`, valid for `lifetime` from `now`.
    pub(crate) fn issue_refresh(
        &mut self,
        grant: GrantId,
        now: SystemTime,
        lifetime: Duration,
    ) -> IssuedRefresh {
        let token = credentials::mint();
        let expires_at = now + lifetime;
        self.refresh.insert(
            TokenKey::of(&token),
            RefreshToken {
                grant,
                issued_at: now,
                expires_at,
                first_used_at: None,
                superseded: false,
            },
        );
        IssuedRefresh { token, expires_at }
    }

    /// The access token with digest `key`.
    pub(crate) fn access_token(&self, key: &TokenKey) -> Option<&AccessToken> {
        self.access.get(key)
    }

    /// The refresh token with digest `key`.
    pub(crate) fn refresh_token(&self, key: &TokenKey) -> Option<&RefreshToken> {
        self.refresh.get(key)
    }

    /// The refresh token with digest `key`, for a vendor rule to update.
    pub(crate) fn refresh_token_mut(&mut self, key: &TokenKey) -> Option<&mut RefreshToken> {
        self.refresh.get_mut(key)
    }

    /// The grant a refresh or access token with digest `key` belongs to.
    pub(crate) fn grant_of_token(&self, key: &TokenKey) -> Option<GrantId> {
        self.refresh
            .get(key)
            .map(|token| token.grant)
            .or_else(|| self.access.get(key).map(|token| token.grant))
    }

    /// Revokes grant `id` and with it every token issued under it.
    pub(crate) fn revoke(&mut self, id: GrantId) {
        if let Some(grant) = self.grants.get_mut(&id) {
            grant.revoked = true;
        }
    }
}
