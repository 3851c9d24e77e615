//! Xero's rate limits, per tenant: 60 calls a minute, 5000 a day, 5 at
//! once; and 10 000 a minute across the app. Windows are fixed (they start
//! at the first call after the previous one ended), last real time (not the
//! virtual clock) and are shortened by the sandbox's time scale.
//!
//! Every response reports what is left in `X-MinLimit-Remaining`,
//! `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining`; a refused call gets
//! 429 with `Retry-After` (seconds) and `X-Rate-Limit-Problem`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::faults::Faults;

pub(crate) const PER_MINUTE: u32 = 60;
pub(crate) const PER_DAY: u32 = 5000;
pub(crate) const CONCURRENT: u32 = 5;
pub(crate) const APP_PER_MINUTE: u32 = 10_000;

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Which limit refused a call (`X-Rate-Limit-Problem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    Minute,
    Concurrent,
    Daily,
    AppMinute,
}

impl Problem {
    pub(crate) fn header_value(self) -> &'static str {
        match self {
            Problem::Minute => "minute",
            Problem::Concurrent => "concurrent",
            Problem::Daily => "daily",
            Problem::AppMinute => "appminute",
        }
    }
}

/// What is left after a call, for the response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Remaining {
    pub(crate) minute: u32,
    pub(crate) day: u32,
    pub(crate) app_minute: u32,
}

/// A refused call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) problem: Problem,
    /// Whole seconds until the limit frees up (at least 1).
    pub(crate) retry_after: u64,
    pub(crate) remaining: Remaining,
}

#[derive(Debug, Default)]
struct Window {
    started: Option<Instant>,
    count: u32,
}

impl Window {
    /// Restarts the window if `length` has passed since it started.
    fn roll(&mut self, now: Instant, length: Duration) {
        if self
            .started
            .is_none_or(|started| now.duration_since(started) >= length)
        {
            self.started = Some(now);
            self.count = 0;
        }
    }

    fn retry_after(&self, now: Instant, length: Duration) -> u64 {
        let left = self.started.map_or(Duration::ZERO, |started| {
            length.saturating_sub(now.duration_since(started))
        });
        (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
    }
}

#[derive(Debug, Default)]
struct TenantLimits {
    minute: Window,
    day: Window,
    in_flight: u32,
}

#[derive(Debug, Default)]
struct Inner {
    tenants: HashMap<String, TenantLimits>,
    app_minute: Window,
}

/// Every tenant's counters.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    inner: Arc<Mutex<Inner>>,
}

/// Holds one of a tenant's concurrent slots until dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    inner: Arc<Mutex<Inner>>,
    tenant: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = lock(&self.inner);
        if let Some(limits) = inner.tenants.get_mut(&self.tenant) {
            limits.in_flight = limits.in_flight.saturating_sub(1);
        }
    }
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    // No code path panics while holding the lock; counters stay consistent.
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RateLimits {
    /// Counts one call of `tenant`, or refuses it.
    pub(crate) fn acquire(
        &self,
        tenant: &str,
        faults: &Faults,
    ) -> Result<(Slot, Remaining), Refusal> {
        let now = Instant::now();
        let minute = faults.scaled(MINUTE);
        let day = faults.scaled(DAY);
        let mut inner = lock(&self.inner);
        let Inner {
            tenants,
            app_minute,
        } = &mut *inner;
        app_minute.roll(now, minute);
        let limits = tenants.entry(tenant.to_owned()).or_default();
        limits.minute.roll(now, minute);
        limits.day.roll(now, day);
        let remaining = |limits: &TenantLimits, app: &Window| Remaining {
            minute: PER_MINUTE.saturating_sub(limits.minute.count),
            day: PER_DAY.saturating_sub(limits.day.count),
            app_minute: APP_PER_MINUTE.saturating_sub(app.count),
        };
        let refusal = if limits.day.count >= PER_DAY {
            Some((Problem::Daily, limits.day.retry_after(now, day)))
        } else if app_minute.count >= APP_PER_MINUTE {
            Some((Problem::AppMinute, app_minute.retry_after(now, minute)))
        } else if limits.minute.count >= PER_MINUTE {
            Some((Problem::Minute, limits.minute.retry_after(now, minute)))
        } else if limits.in_flight >= CONCURRENT {
            Some((Problem::Concurrent, 1))
        } else {
            None
        };
        if let Some((problem, retry_after)) = refusal {
            return Err(Refusal {
                problem,
                retry_after,
                remaining: remaining(limits, app_minute),
            });
        }
        limits.minute.count += 1;
        limits.day.count += 1;
        limits.in_flight += 1;
        app_minute.count += 1;
        let left = remaining(limits, app_minute);
        Ok((
            Slot {
                inner: Arc::clone(&self.inner),
                tenant: tenant.to_owned(),
            },
            left,
        ))
    }

    /// Forgets `tenant`'s counters (in-flight calls keep their slots).
    pub(crate) fn reset(&self, tenant: &str) {
        let mut inner = lock(&self.inner);
        if let Some(limits) = inner.tenants.get_mut(tenant) {
            limits.minute = Window::default();
            limits.day = Window::default();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn minute_and_concurrent_limits() {
        let limits = RateLimits::default();
        let faults = Faults::default();
        let mut slots = Vec::new();
        for expected in (0..CONCURRENT).rev() {
            let (slot, left) = limits.acquire("t", &faults).unwrap();
            assert_eq!(left.minute, PER_MINUTE - CONCURRENT + expected);
            slots.push(slot);
        }
        let refused = limits.acquire("t", &faults).unwrap_err();
        assert_eq!(refused.problem, Problem::Concurrent);
        assert!(
            limits.acquire("other", &faults).is_ok(),
            "limits are per tenant"
        );
        slots.clear();
        for _ in CONCURRENT..PER_MINUTE {
            limits.acquire("t", &faults).unwrap();
        }
        let refused = limits.acquire("t", &faults).unwrap_err();
        assert_eq!(refused.problem, Problem::Minute);
        assert_eq!(refused.remaining.minute, 0);
        assert!((1..=60).contains(&refused.retry_after));
    }
}
