//! Time-limited support access (issue 19, item 7; an accounting-migration wizard's "allow
//! support access"): an admin grants a vendor's support engineer a `support` user that reads
//! runs, plans, jobs and the audit log for N days, changes nothing and never sees a credential
//! ([`super::guard`] enforces that and audits every request it makes). The CLI's
//! `ledgerlink support` and `/api/v1/support` both call [`grant`].
//!
//! What the engineer gets, shown once: a personal API token (what they use — curl, a
//! script, the API's OpenAPI document), and, when asked for, a sign-in password for a
//! browser session. Both stop working when the grant expires or is revoked.

use crate::store::accounts::{Accounts, AccountsError, NewGrant, SupportGrant};

use super::passwords::{self, PasswordError};

/// A new grant and its secrets (shown once, stored only hashed).
#[derive(Debug)]
pub struct Granted {
    /// The grant.
    pub grant: SupportGrant,
    /// Its API token (`Authorization: Bearer ...`).
    pub token: String,
    /// Its sign-in password, when one was asked for.
    pub password: Option<String>,
}

/// Why a grant could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// The store refused it (days out of range, a name taken) or failed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// No random secret could be made.
    #[error(transparent)]
    Secret(#[from] PasswordError),
}

/// Grant support access for `days` as `actor` (an admin), with an API token and, when
/// `with_password`, a generated sign-in password.
pub fn grant(
    accounts: &Accounts,
    days: i64,
    name: Option<&str>,
    with_password: bool,
    actor: &str,
) -> Result<Granted, SupportError> {
    let token = passwords::random_secret("llk_")?;
    let password = with_password
        .then(|| passwords::random_secret(""))
        .transpose()?;
    let password_hash = password.as_deref().map(passwords::hash).transpose()?;
    let grant = accounts.grant_support(&NewGrant {
        name,
        days,
        token_sha256: &passwords::digest(&token),
        password_hash: password_hash.as_deref(),
        actor,
    })?;
    Ok(Granted {
        grant,
        token,
        password,
    })
}
