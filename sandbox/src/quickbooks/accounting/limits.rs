//! Intuit's per-realm throttles: 500 requests a minute and 10 in flight at
//! once; past either the answer is 429 with Fault code 3001.
//!
//! Windows run on real time ([`Instant`]) shortened by the sandbox's time
//! scale, so a test proves "500 a minute" in seconds.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Requests a realm may make per window.
pub(crate) const PER_MINUTE: usize = 500;
/// Requests a realm may have in flight.
pub(crate) const CONCURRENT: usize = 10;
/// The unscaled window of [`PER_MINUTE`].
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct RealmLoad {
    /// When each accepted request of the current window arrived.
    recent: VecDeque<Instant>,
    in_flight: usize,
}

/// Every realm's load.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    realms: Arc<Mutex<HashMap<String, RealmLoad>>>,
}

/// Holds one of a realm's concurrent slots until dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    realms: Arc<Mutex<HashMap<String, RealmLoad>>>,
    realm: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut realms = self.realms.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(load) = realms.get_mut(&self.realm) {
            load.in_flight = load.in_flight.saturating_sub(1);
        }
    }
}

impl Limits {
    /// Admits a request for `realm` arriving at `now` if both limits allow,
    /// counting it; `window` is the (scaled) length of a minute.
    pub(crate) fn admit(&self, realm: &str, now: Instant, window: Duration) -> Option<Slot> {
        // Nothing panics while the lock is held; a poisoned lock still holds
        // consistent counters.
        let mut realms = self.realms.lock().unwrap_or_else(PoisonError::into_inner);
        let load = realms.entry(realm.to_owned()).or_default();
        while load
            .recent
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= window)
        {
            load.recent.pop_front();
        }
        if load.recent.len() >= PER_MINUTE || load.in_flight >= CONCURRENT {
            return None;
        }
        load.recent.push_back(now);
        load.in_flight += 1;
        Some(Slot {
            realms: Arc::clone(&self.realms),
            realm: realm.to_owned(),
        })
    }

    /// Forgets `realm`'s request history (control reset).
    pub(crate) fn reset(&self, realm: &str) {
        let mut realms = self.realms.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(load) = realms.get_mut(realm) {
            load.recent.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_and_the_slots_both_limit() {
        let limits = Limits::default();
        let start = Instant::now();
        let window = Duration::from_secs(1);
        let slots: Vec<Slot> = (0..CONCURRENT)
            .filter_map(|_| limits.admit("r", start, window))
            .collect();
        assert_eq!(slots.len(), CONCURRENT);
        assert!(limits.admit("r", start, window).is_none());
        assert!(limits.admit("other", start, window).is_some());
        drop(slots);
        for _ in CONCURRENT..PER_MINUTE {
            assert!(limits.admit("r", start, window).is_some());
        }
        assert!(limits.admit("r", start, window).is_none());
        assert!(limits.admit("r", start + window, window).is_some());
    }
}
