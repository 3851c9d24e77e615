//! Intuit's refresh token rule for QuickBooks Online, from Intuit's OAuth
//! 2.0 documentation:
//!
//! - a refresh returns the same refresh token value until that value is 24
//!   hours old; the first refresh after that issues a new value, and the
//!   older value then fails;
//! - a refresh token expires 100 days after it was last used to refresh
//!   (rolling expiry, `x_refresh_token_expires_in`).

use std::time::{Duration, SystemTime};

use crate::credentials::TokenKey;
use crate::grants::{Grants, IssuedRefresh};
use crate::oauth_error::OAuthError;

/// Access tokens live one hour (`expires_in: 3600`).
pub(crate) const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Rolling refresh token lifetime: 100 days (`x_refresh_token_expires_in: 8640000`).
pub(crate) const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(100 * 24 * 60 * 60);
/// Age at which a refresh token value is replaced by the next refresh.
pub(crate) const VALUE_ROTATION_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Applies the rule to the refresh token `key` (whose value is `presented`)
/// and returns the value the client must use next.
pub(crate) fn rotate(
    grants: &mut Grants,
    key: &TokenKey,
    presented: &str,
    now: SystemTime,
) -> Result<IssuedRefresh, OAuthError> {
    let token = grants
        .refresh_token_mut(key)
        .ok_or_else(|| OAuthError::invalid_grant("refresh token is unknown"))?;
    if token.superseded {
        return Err(OAuthError::invalid_grant(
            "refresh token was replaced by a newer value; use the latest refresh token",
        ));
    }
    if now >= token.expires_at {
        return Err(OAuthError::invalid_grant(
            "refresh token expired: it was not used for 100 days",
        ));
    }
    token.first_used_at.get_or_insert(now);
    if now >= token.issued_at + VALUE_ROTATION_AGE {
        token.superseded = true;
        let grant = token.grant;
        return Ok(grants.issue_refresh(grant, now, REFRESH_TOKEN_LIFETIME));
    }
    token.expires_at = now + REFRESH_TOKEN_LIFETIME;
    Ok(IssuedRefresh {
        token: presented.to_owned(),
        expires_at: token.expires_at,
    })
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
            profile: Profile::QuickBooks,
            client_id: "client",
            scope: "com.intuit.quickbooks.accounting".into(),
            created_at: now,
            auth_event_id: "event".into(),
            tenants: Vec::new(),
            revoked: false,
        });
        let token = grants.issue_refresh(id, now, REFRESH_TOKEN_LIFETIME).token;
        (grants, token)
    }

    #[test]
    fn same_value_for_a_day_then_a_new_value_that_retires_the_old() {
        let start = SystemTime::now();
        let (mut grants, first) = grants_with_token(start);
        let key = TokenKey::of(&first);
        let hour = Duration::from_secs(3600);

        let same = rotate(&mut grants, &key, &first, start + hour).unwrap();
        assert_eq!(same.token, first);
        assert_eq!(same.expires_at, start + hour + REFRESH_TOKEN_LIFETIME);

        let day = start + VALUE_ROTATION_AGE;
        let next = rotate(&mut grants, &key, &first, day).unwrap();
        assert_ne!(next.token, first);
        assert_eq!(next.expires_at, day + REFRESH_TOKEN_LIFETIME);
        assert_eq!(
            rotate(&mut grants, &key, &first, day).unwrap_err().code(),
            "invalid_grant"
        );
        let again = rotate(&mut grants, &TokenKey::of(&next.token), &next.token, day).unwrap();
        assert_eq!(again.token, next.token);
    }

    #[test]
    fn expiry_rolls_forward_with_each_refresh() {
        let start = SystemTime::now();
        let (mut grants, token) = grants_with_token(start);
        let key = TokenKey::of(&token);
        let error = rotate(&mut grants, &key, &token, start + REFRESH_TOKEN_LIFETIME).unwrap_err();
        assert_eq!(
            error.to_string(),
            "refresh token expired: it was not used for 100 days"
        );

        let (mut grants, token) = grants_with_token(start);
        let key = TokenKey::of(&token);
        let later = start + Duration::from_secs(23 * 3600);
        rotate(&mut grants, &key, &token, later).unwrap();
        // Past the original 100 days, but within 100 days of the last refresh.
        let renewed = rotate(&mut grants, &key, &token, start + REFRESH_TOKEN_LIFETIME).unwrap();
        assert_ne!(renewed.token, token);
    }
}
