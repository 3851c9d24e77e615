//! [`RetryPolicy`]: when and how long to wait before sending a request again.
//!
//! - **429** (the vendor throttled us; it did not process the request): every request is
//!   retried, after `Retry-After` when the vendor sent one (capped), else after backoff.
//! - **500 / 502 / 503 / 504** and **transport failures** (including a connection cut after the
//!   vendor applied a write): only *retry-safe* requests are retried — reads, and writes the
//!   plugin marked because they carry the vendor's idempotency key. Repeating anything else
//!   could write twice; those failures go back to the plugin as they are.
//! - Backoff is exponential with jitter, capped, for a bounded number of attempts.
//! - For a plugin call, every wait also has to fit in what the call's
//!   [`CallBudget`](super::CallBudget) has left; one that does not is not started, and the
//!   failure (a 429 with the vendor's `Retry-After` included) goes to the plugin at once.
//! - A redirect refused by the policy is never retried: it would be refused again.

use std::time::Duration;

/// Retry tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubled on each further retry.
    pub base_backoff: Duration,
    /// Longest backoff between two attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a vendor asking for more gets its 429 passed on.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429, with the vendor's `Retry-After` when it gave one.
    Throttled(Option<Duration>),
    /// 500, 502, 503 or 504.
    Unavailable,
    /// No (complete) response: connection, TLS, protocol failure or timeout.
    Transport,
}

impl Failure {
    /// The failure a response status means, if it is one a retry can fix.
    pub fn of_status(status: u16, retry_after: Option<&str>) -> Option<Failure> {
        match status {
            429 => Some(Failure::Throttled(retry_after.and_then(parse_retry_after))),
            500 | 502..=504 => Some(Failure::Unavailable),
            _ => None,
        }
    }
}

/// `Retry-After` as delay-seconds (RFC 9110 §10.2.3). HTTP dates are not used by the
/// vendors we talk to and are treated as absent.
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl RetryPolicy {
    /// How long to wait before attempt number `attempt + 1` after `failure` on attempt
    /// `attempt` (1-based), or `None` to give up and hand the failure to the plugin.
    pub fn delay(&self, failure: Failure, attempt: u32, retry_safe: bool) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        match failure {
            Failure::Throttled(Some(after)) => (after <= self.max_retry_after).then_some(after),
            Failure::Throttled(None) => Some(self.backoff(attempt)),
            Failure::Unavailable | Failure::Transport if retry_safe => Some(self.backoff(attempt)),
            Failure::Unavailable | Failure::Transport => None,
        }
    }

    /// Exponential backoff with ±25 % jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_backoff);
        // Jitter from the clock's low bits: enough to spread concurrent clients apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let jitter = f64::from(nanos % 500) / 1000.0 - 0.25; // -0.25 ..= +0.249
        capped.mul_f64(1.0 + jitter)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_retried_for_every_request_after_retry_after() {
        let p = RetryPolicy::default();
        let f = Failure::of_status(429, Some("3")).unwrap();
        assert_eq!(f, Failure::Throttled(Some(Duration::from_secs(3))));
        assert_eq!(p.delay(f, 1, false), Some(Duration::from_secs(3)));
        assert_eq!(p.delay(f, 1, true), Some(Duration::from_secs(3)));
    }

    #[test]
    fn a_retry_after_beyond_the_cap_is_passed_on() {
        let p = RetryPolicy::default();
        let f = Failure::of_status(429, Some("86400")).unwrap();
        assert_eq!(p.delay(f, 1, true), None);
    }

    #[test]
    fn unavailable_and_transport_are_retried_only_when_retry_safe() {
        let p = RetryPolicy::default();
        for f in [Failure::of_status(503, None).unwrap(), Failure::Transport] {
            assert_eq!(p.delay(f, 1, false), None);
            let d = p.delay(f, 1, true).unwrap();
            assert!(
                d >= Duration::from_millis(187) && d <= Duration::from_millis(313),
                "{d:?}"
            );
        }
        assert_eq!(Failure::of_status(500, None), Some(Failure::Unavailable));
        assert_eq!(Failure::of_status(501, None), None);
        assert_eq!(Failure::of_status(400, None), None);
    }

    #[test]
    fn attempts_are_bounded_and_backoff_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(Failure::Transport, 6, true), None);
        let d = p.delay(Failure::Transport, 5, true).unwrap();
        assert!(d <= Duration::from_millis(5000), "{d:?}");
        let big = RetryPolicy {
            max_attempts: 40,
            ..p
        };
        assert!(big.delay(Failure::Transport, 30, true).unwrap() <= Duration::from_millis(12_500));
    }
}
