//! The sandbox's virtual clock: real time plus an offset that tests advance.
//!
//! Every expiry decision (codes, access tokens, refresh tokens, grace periods)
//! reads this clock, so a test can jump 60 days ahead in a millisecond.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

/// Real time shifted forward by an offset that only ever grows.
#[derive(Debug, Default)]
pub(crate) struct VirtualClock {
    /// Offset in nanoseconds; `u64` nanoseconds cover 584 years, far beyond
    /// any test, and saturate rather than wrap.
    offset_nanos: AtomicU64,
}

impl VirtualClock {
    /// The current virtual time.
    pub(crate) fn now(&self) -> SystemTime {
        SystemTime::now() + self.offset()
    }

    /// Moves the clock forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // The closure always returns Some, so fetch_update cannot fail.
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(by))
            });
    }

    /// How far the virtual clock runs ahead of real time.
    pub(crate) fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

/// `at` as an RFC 3339 UTC timestamp with as many fraction digits as needed.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Milliseconds since the Unix epoch (0 for earlier instants, which the
/// clock never produces).
pub(crate) fn unix_millis(at: SystemTime) -> u128 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|since| since.as_millis())
        .unwrap_or(0)
}

/// Serde adapter: a [`SystemTime`] as an RFC 3339 string.
pub(crate) mod serde_rfc3339 {
    use std::time::SystemTime;

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        at: &SystemTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::rfc3339(*at))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        let parsed = DateTime::parse_from_rfc3339(&text).map_err(serde::de::Error::custom)?;
        Ok(SystemTime::from(parsed.with_timezone(&Utc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_at_least_the_offset() {
        let clock = VirtualClock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        clock.advance(Duration::from_secs(60));
        assert_eq!(clock.offset(), Duration::from_secs(3660));
        let after = clock.now();
        assert!(after.duration_since(before).unwrap_or_default() >= Duration::from_secs(3660));
    }

    #[test]
    fn huge_advances_saturate() {
        let clock = VirtualClock::default();
        clock.advance(Duration::MAX);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.offset(), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn rfc3339_is_utc() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_552_404_447_003);
        assert_eq!(rfc3339(at), "2019-03-12T15:27:27.003Z");
        assert_eq!(unix_millis(at), 1_552_404_447_003);
    }
}
