//! Xero's refresh token rule, from Xero's developer documentation:
//!
//! - every refresh returns a new refresh token;
//! - the token just used stays usable for a 30-minute grace period from its
//!   first use (so a client that lost the response can retry), and each
//!   retry again returns a fresh pair;
//! - a refresh token never used expires after 60 days.

use std::time::{Duration, SystemTime};

use crate::credentials::TokenKey;
use crate::grants::{Grants, IssuedRefresh};
use crate::oauth_error::OAuthError;

/// Access tokens live 30 minutes (`expires_in: 1800`).
pub(crate) const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// An unused refresh token expires after 60 days.
pub(crate) const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 24 * 60 * 60);
/// A used refresh token is accepted again for 30 minutes after its first use.
pub(crate) const REUSE_GRACE: Duration = Duration::from_secs(30 * 60);

/// Applies the rule to the refresh token `key` and mints its successor.
pub(crate) fn rotate(
    grants: &mut Grants,
    key: &TokenKey,
    now: SystemTime,
) -> Result<IssuedRefresh, OAuthError> {
    let token = grants
        .refresh_token_mut(key)
        .ok_or_else(|| OAuthError::invalid_grant("refresh token is unknown"))?;
    match token.first_used_at {
        None if now >= token.expires_at => {
            return Err(OAuthError::invalid_grant(
                "refresh token expired: it was not used for 60 days",
            ));
        }
        None => token.first_used_at = Some(now),
        Some(first_used) if now >= first_used + REUSE_GRACE => {
            return Err(OAuthError::invalid_grant(
                "refresh token was already used and its 30-minute grace period has passed; \
                 use the newest refresh token",
            ));
        }
        Some(_) => {}
    }
    let grant = token.grant;
    Ok(grants.issue_refresh(grant, now, REFRESH_TOKEN_LIFETIME))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::grants::Grant;
    use crate::profile::Profile;

    fn grants_with_token(now: SystemTime) -> (Grants, String) {
        let mut grants = Grants::default();
        let id = grants.create(Grant {
            profile: Profile::Xero,
            client_id: "client",
            scope: "offline_access".into(),
            created_at: now,
            auth_event_id: "event".into(),
            tenants: Vec::new(),
            revoked: false,
        });
        let token = grants.issue_refresh(id, now, REFRESH_TOKEN_LIFETIME).token;
        (grants, token)
    }

    #[test]
    fn every_refresh_mints_a_new_token_and_the_old_one_has_a_grace_period() {
        let start = SystemTime::now();
        let (mut grants, first) = grants_with_token(start);
        let key = TokenKey::of(&first);
        let second = rotate(&mut grants, &key, start).unwrap();
        assert_ne!(second.token, first);
        assert_eq!(second.expires_at, start + REFRESH_TOKEN_LIFETIME);

        let just_inside = start + REUSE_GRACE - Duration::from_secs(1);
        let third = rotate(&mut grants, &key, just_inside).unwrap();
        assert_ne!(third.token, second.token);

        let error = rotate(&mut grants, &key, start + REUSE_GRACE).unwrap_err();
        assert_eq!(error.code(), "invalid_grant");
        // Both successors are independent, unused tokens.
        assert!(
            rotate(
                &mut grants,
                &TokenKey::of(&second.token),
                start + REUSE_GRACE
            )
            .is_ok()
        );
        assert!(
            rotate(
                &mut grants,
                &TokenKey::of(&third.token),
                start + REUSE_GRACE
            )
            .is_ok()
        );
    }

    #[test]
    fn an_unused_token_expires_after_sixty_days() {
        let start = SystemTime::now();
        let (mut grants, token) = grants_with_token(start);
        let key = TokenKey::of(&token);
        let error = rotate(&mut grants, &key, start + REFRESH_TOKEN_LIFETIME).unwrap_err();
        assert_eq!(
            error.to_string(),
            "refresh token expired: it was not used for 60 days"
        );
        let (mut grants, token) = grants_with_token(start);
        let key = TokenKey::of(&token);
        assert!(
            rotate(
                &mut grants,
                &key,
                start + REFRESH_TOKEN_LIFETIME - Duration::from_secs(1)
            )
            .is_ok()
        );
    }
}
