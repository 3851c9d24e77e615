//! OAuth authorizations begun through the server, and the tenant choices they leave.
//!
//! `GET /api/v1/connections/{name}/connect` binds the authorization's `state` to who began it
//! (the user, and the session when a browser did); `/oauth/callback` may take each binding
//! once, before it expires. The callback is a cross-site redirect, so the browser does not
//! send the SameSite=Strict session cookie there: this binding is the only thing trusted.
//!
//! Both live in this process's memory: they hold the PKCE verifier and the client secret,
//! which are never written anywhere, and an authorization outlives neither the process
//! nor [`PENDING_FOR`]. A tenant choice left pending by a restart is made by connecting again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::auth::connect::{Begun, Tenant};

/// How long an authorization may take between the authorize URL and the callback.
pub const PENDING_FOR: Duration = Duration::from_secs(600);

/// At most this many authorizations wait at once; beginning another drops the oldest.
const MAX_PENDING: usize = 64;

/// Who began an authorization, for which connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The connection being connected.
    pub connection: String,
    /// The user who began it.
    pub user: String,
    /// The SHA-256 of the session that began it (`None` for a personal API token).
    pub session: Option<String>,
}

struct Pending<B> {
    begun: B,
    binding: Binding,
    expires: Instant,
}

/// The authorizations waiting for their callback, and the tenant choices waiting for an admin.
/// (Generic over what is held, so its rules can be tested without a vendor.)
pub struct Authorizations<B = Begun> {
    pending: Mutex<HashMap<String, Pending<B>>>,
    tenants: Mutex<HashMap<String, Vec<Tenant>>>,
}

/// A poisoned lock only means another request panicked mid-update of a plain map; the map
/// itself is still consistent (every update is one insert or remove).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<B> Default for Authorizations<B> {
    fn default() -> Self {
        Authorizations {
            pending: Mutex::default(),
            tenants: Mutex::default(),
        }
    }
}

impl<B> Authorizations<B> {
    /// Remember `begun` under its `state` for `binding` from `now` on.
    pub fn bind(&self, state: &str, begun: B, binding: Binding, now: Instant) {
        let mut pending = lock(&self.pending);
        pending.retain(|_, p| p.expires > now);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(s, _)| s.clone())
        {
            pending.remove(&oldest);
        }
        // One authorization per connection at a time: beginning again replaces the last.
        pending.retain(|_, p| p.binding.connection != binding.connection);
        pending.insert(
            state.to_owned(),
            Pending {
                begun,
                binding,
                expires: now + PENDING_FOR,
            },
        );
    }

    /// The authorization `state` names, removed (a state is good once), unless it expired.
    pub fn take(&self, state: &str, now: Instant) -> Option<(B, Binding)> {
        let p = lock(&self.pending).remove(state)?;
        (p.expires > now).then_some((p.begun, p.binding))
    }

    /// `connection`'s grant covers `tenants`; one must be chosen.
    pub fn offer(&self, connection: &str, tenants: Vec<Tenant>) {
        lock(&self.tenants).insert(connection.to_owned(), tenants);
    }

    /// The tenants offered to `connection`, while its choice is pending.
    pub fn offered(&self, connection: &str) -> Option<Vec<Tenant>> {
        lock(&self.tenants).get(connection).cloned()
    }

    /// The choice of `connection` is made (or moot): forget what was offered.
    pub fn settle(&self, connection: &str) {
        lock(&self.tenants).remove(connection);
    }

    /// Forget everything about `connection` (it was removed).
    pub fn forget(&self, connection: &str) {
        self.settle(connection);
        lock(&self.pending).retain(|_, p| p.binding.connection != connection);
    }
}

impl<B> std::fmt::Debug for Authorizations<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizations")
            .field("pending", &lock(&self.pending).len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(connection: &str) -> Binding {
        Binding {
            connection: connection.to_owned(),
            user: "admin".to_owned(),
            session: Some("s".to_owned()),
        }
    }

    #[test]
    fn a_state_is_taken_once_and_not_after_it_expires() {
        let a = Authorizations::<&str>::default();
        let t0 = Instant::now();
        a.bind("s1", "first", binding("xero"), t0);
        assert_eq!(a.take("s1", t0), Some(("first", binding("xero"))));
        assert_eq!(a.take("s1", t0), None, "replayed");
        assert_eq!(a.take("never-issued", t0), None);
        a.bind("s2", "second", binding("xero"), t0);
        assert_eq!(a.take("s2", t0 + PENDING_FOR), None, "expired");
    }

    #[test]
    fn beginning_again_replaces_the_connections_last_authorization() {
        let a = Authorizations::<&str>::default();
        let t0 = Instant::now();
        a.bind("old", "old", binding("xero"), t0);
        a.bind("other", "other", binding("qbo"), t0);
        a.bind("new", "new", binding("xero"), t0);
        assert_eq!(a.take("old", t0), None);
        assert_eq!(a.take("other", t0).map(|p| p.0), Some("other"));
        assert_eq!(a.take("new", t0).map(|p| p.0), Some("new"));
    }

    #[test]
    fn a_full_table_drops_its_oldest_authorization() {
        let a = Authorizations::<usize>::default();
        let t0 = Instant::now();
        for i in 0..=MAX_PENDING {
            a.bind(
                &format!("s{i}"),
                i,
                binding(&format!("c{i}")),
                t0 + Duration::from_secs(i as u64),
            );
        }
        let now = t0 + Duration::from_secs(MAX_PENDING as u64);
        assert_eq!(a.take("s0", now), None);
        assert_eq!(a.take("s1", now).map(|p| p.0), Some(1));
    }
}
