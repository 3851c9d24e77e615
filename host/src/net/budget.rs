//! [`CallBudget`]: the wall-clock budget of one call into a plugin, shared by the runtime
//! (which stops the call when it runs out, wherever the call is) and outbound HTTP (which
//! never starts a wait it could not finish within it).
//!
//! **Everything counts**: the plugin's own work, waiting for the vendor's answer, retries,
//! backoff and `Retry-After`. A plugin looping over fast requests, a slow vendor, or a vendor
//! asking us to come back in two minutes all end at the call's deadline.
//!
//! **One exception, itself capped**: waiting for the connection's [`Pacer`](super::Pacer)
//! (the host keeping a long transfer under the vendor's declared per-minute or per-day call
//! limits). That wait is the host's own policy, not the plugin's doing, and a legitimate
//! push of many batches can meet a full window; counting it would kill good calls. So pacing
//! waits are given back to the call, but only up to `max_pacing` per call (default 5 min,
//! [`crate::runtime::Limits::max_pacing_wait`]). A request whose pacing wait would go past
//! that is not sent: the plugin gets a 429 made by the host with the `Retry-After` it would
//! have needed, so it reports `rate-limited` instead of the call hanging for hours on an
//! exhausted daily limit.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The time one call may take. Cheap to share (`Arc`) between the runtime and HTTP.
#[derive(Debug)]
pub struct CallBudget {
    started: Instant,
    /// The deadline; `None` for the host's own requests, which are bounded by their timeouts.
    limit: Option<Duration>,
    /// Most pacing wait given back to the call.
    max_pacing: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Pacing waits given back so far (≤ `max_pacing`).
    excused: Duration,
    /// When the pacing wait in progress began: it is given back while it lasts, so the
    /// runtime's outer timeout does not stop a call in the middle of a legitimate wait.
    pacing_since: Option<Instant>,
    /// The origin of the request in flight, for the deadline's message.
    waiting_on: Option<String>,
}

impl CallBudget {
    /// A budget of `limit` from now, giving back up to `max_pacing` of pacing waits.
    pub fn new(limit: Duration, max_pacing: Duration) -> Self {
        Self {
            started: Instant::now(),
            limit: Some(limit),
            max_pacing,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// No deadline (the host's own requests; tests of the HTTP policy alone).
    pub fn unlimited() -> Self {
        Self {
            started: Instant::now(),
            limit: None,
            max_pacing: Duration::MAX,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Only plain values are kept and nothing panics while holding the lock; a poisoned
        // lock still holds valid values.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The deadline, when there is one.
    pub fn limit(&self) -> Option<Duration> {
        self.limit
    }

    /// Pacing given back so far, the wait in progress included.
    fn excused(&self, inner: &Inner) -> Duration {
        let running = inner.pacing_since.map_or(Duration::ZERO, |at| at.elapsed());
        inner.excused.saturating_add(running).min(self.max_pacing)
    }

    /// Time left before the call must stop; `None` when unlimited.
    pub fn remaining(&self) -> Option<Duration> {
        let limit = self.limit?;
        let excused = self.excused(&self.inner());
        Some(
            limit
                .saturating_add(excused)
                .saturating_sub(self.started.elapsed()),
        )
    }

    /// Whether waiting `wait` (and then sending again) fits in what is left.
    pub fn allows_wait(&self, wait: Duration) -> bool {
        self.remaining().is_none_or(|left| wait < left)
    }

    /// How much more pacing wait may still be given back to this call.
    pub fn pacing_allowance(&self) -> Duration {
        if self.limit.is_none() {
            return Duration::MAX;
        }
        self.max_pacing.saturating_sub(self.excused(&self.inner()))
    }

    /// A pacing wait begins: until the returned guard is dropped, the time passing is given
    /// back to the call (never past the cap).
    pub fn pacing(&self) -> PacingWait<'_> {
        self.inner().pacing_since = Some(Instant::now());
        PacingWait(self)
    }

    /// Give `waited` of pacing back to the call (never more than the allowance).
    pub fn excuse_pacing(&self, waited: Duration) {
        if self.limit.is_none() {
            return;
        }
        let mut inner = self.inner();
        inner.excused = inner.excused.saturating_add(waited).min(self.max_pacing);
    }

    /// A request to `origin` is in flight (or `None`: it ended).
    pub fn set_waiting_on(&self, origin: Option<String>) {
        self.inner().waiting_on = origin;
    }

    /// The origin of the request in flight, if any.
    pub fn waiting_on(&self) -> Option<String> {
        self.inner().waiting_on.clone()
    }
}

/// A pacing wait in progress (see [`CallBudget::pacing`]); ends when dropped.
#[derive(Debug)]
pub struct PacingWait<'a>(&'a CallBudget);

impl Drop for PacingWait<'_> {
    fn drop(&mut self) {
        let mut inner = self.0.inner();
        if let Some(at) = inner.pacing_since.take() {
            inner.excused = inner
                .excused
                .saturating_add(at.elapsed())
                .min(self.0.max_pacing);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_is_given_back_up_to_its_cap() {
        let b = CallBudget::new(Duration::from_secs(10), Duration::from_secs(3));
        assert_eq!(b.pacing_allowance(), Duration::from_secs(3));
        b.excuse_pacing(Duration::from_secs(2));
        assert_eq!(b.pacing_allowance(), Duration::from_secs(1));
        b.excuse_pacing(Duration::from_secs(5));
        assert_eq!(b.pacing_allowance(), Duration::ZERO);
        let left = b.remaining().unwrap_or_default();
        assert!(
            left > Duration::from_secs(12) && left <= Duration::from_secs(13),
            "{left:?}"
        );
        assert!(b.allows_wait(Duration::from_secs(12)));
        assert!(!b.allows_wait(Duration::from_secs(14)));
    }

    #[test]
    fn a_pacing_wait_in_progress_is_given_back_while_it_lasts() {
        let b = CallBudget::new(Duration::from_millis(50), Duration::from_secs(10));
        {
            let _wait = b.pacing();
            std::thread::sleep(Duration::from_millis(120));
            assert!(
                b.remaining().unwrap_or_default() > Duration::from_millis(25),
                "{:?}",
                b.remaining()
            );
        }
        let excused = Duration::from_secs(10) - b.pacing_allowance();
        assert!(excused >= Duration::from_millis(120), "{excused:?}");
    }

    #[test]
    fn unlimited_allows_everything() {
        let b = CallBudget::unlimited();
        assert_eq!(b.remaining(), None);
        assert!(b.allows_wait(Duration::from_secs(86_400)));
        assert_eq!(b.pacing_allowance(), Duration::MAX);
    }
}
