//! State shared by every handler: the virtual clock, the request log, and
//! the OAuth store behind one mutex.
//!
//! One mutex for all OAuth state makes each token request atomic: a refresh
//! checks, rotates and records under one lock, so two concurrent refreshes
//! with the same token are ordered exactly as the vendor rules assume.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::authorizations::Authorizations;
use crate::clock::VirtualClock;
use crate::faults::Faults;
use crate::grants::Grants;
use crate::log::RequestLog;
use crate::profile::Profile;

/// Everything a handler can reach.
#[derive(Debug)]
pub(crate) struct Core {
    /// `http://127.0.0.1:PORT`, for pages that print full URLs.
    pub(crate) base_url: String,
    pub(crate) clock: VirtualClock,
    pub(crate) log: RequestLog,
    /// Injected faults and the rate-limit time scale.
    pub(crate) faults: Faults,
    /// Xero's accounting data, per tenant. Its own lock; never held with `store`.
    pub(crate) xero_books: crate::xero::accounting::Books,
    /// QuickBooks' accounting data, per realm. Its own lock; never held with `store`.
    pub(crate) qbo_books: crate::quickbooks::accounting::Books,
    /// The Notes CRM's accounts. Its own lock; never held with `store`.
    pub(crate) notes_books: crate::notes::Books,
    store: Mutex<Store>,
}

impl Core {
    /// A fresh sandbox reachable at `base_url`.
    pub(crate) fn new(base_url: String) -> Core {
        Core {
            base_url,
            clock: VirtualClock::default(),
            log: RequestLog::default(),
            faults: Faults::default(),
            xero_books: crate::xero::accounting::Books::default(),
            qbo_books: crate::quickbooks::accounting::Books::default(),
            notes_books: crate::notes::Books::default(),
            store: Mutex::new(Store::default()),
        }
    }

    /// Locks the OAuth store. Handlers never hold it across an `.await`.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // Handlers contain no panicking paths while they hold the lock; if
        // one ever did, the sandbox keeps serving with the state as it was
        // left rather than failing every later request.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// OAuth state plus the switches tests flip.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) authorizations: Authorizations,
    pub(crate) grants: Grants,
    drop_next_refresh: HashSet<Profile>,
    refresh_counts: HashMap<Profile, usize>,
}

impl Store {
    /// Arms "drop the next refresh response" for `profile`.
    pub(crate) fn arm_drop(&mut self, profile: Profile) {
        self.drop_next_refresh.insert(profile);
    }

    /// Disarms and reports the drop switch for `profile`.
    pub(crate) fn take_drop(&mut self, profile: Profile) -> bool {
        self.drop_next_refresh.remove(&profile)
    }

    /// Counts one successful refresh grant (delivered or dropped).
    pub(crate) fn count_refresh(&mut self, profile: Profile) {
        *self.refresh_counts.entry(profile).or_default() += 1;
    }

    /// Successful refresh grants so far for `profile`.
    pub(crate) fn refresh_count(&self, profile: Profile) -> usize {
        self.refresh_counts.get(&profile).copied().unwrap_or(0)
    }
}
