//! [`Pacer`]: keeps one connection's requests under the vendor's declared call limits
//! (the manifest's `rate-limits`), so a long transfer slows down instead of being throttled.
//! Vendors count per organisation, so one pacer serves every connection to one
//! organisation (`auth::context::pacing_key`).
//!
//! Each limit is a sliding window: at most `requests` sends in any `window`. A send waits
//! until every window has room. One pacer is shared by every call to an organisation in
//! this process. When several processes share a PostgreSQL store, [`Pacer::shared`] keeps the
//! windows in the database ([`crate::store::pacing`]), so every process's sends count
//! against one budget; otherwise the vendor's own 429 + `Retry-After` (handled by the retry
//! policy) covers other processes using the same connection.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::store::pacing as store_pacing;
use crate::store::sql::Db;

/// The most added to a window so that the vendor's count has certainly moved on.
const MARGIN: Duration = Duration::from_millis(100);

/// What a shared window adds on top: a shared send is stamped with the database's clock
/// when it is reserved, and reaches the vendor only after the reservation's commit has come
/// back and the process has been scheduled again — on a busy host, later than a send paced
/// in process. Without it, sends reserved a window apart could reach the vendor less than a
/// window apart. A second: a loaded host (or a slow network to the vendor) can hold a send
/// back for hundreds of milliseconds, and against a 60-second window it costs under 2% of
/// the budget.
const SHARED_MARGIN: Duration = Duration::from_secs(1);

/// A vendor call limit: `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

/// Paces sends to stay under a set of [`RateLimit`]s.
#[derive(Debug)]
pub struct Pacer {
    windows: Mutex<Vec<Window>>,
    /// Requests let through so far (what a run spent of the vendor's budgets).
    sent: std::sync::atomic::AtomicU64,
    /// The vendor's daily budget, unscaled: the largest `requests` of a limit whose window
    /// is a day or longer.
    daily: Option<u32>,
    /// Until when a send is waiting for a window, if one is (what a job's progress shows
    /// as its vendor wait).
    waiting_until: std::sync::Mutex<Option<Instant>>,
    /// The windows in the store, shared with every process on it.
    shared: Option<Shared>,
}

/// Where a shared pacer counts.
#[derive(Debug)]
struct Shared {
    db: Db,
    /// The pacing key (an organisation) the sends are counted under.
    connection: String,
    windows: Vec<store_pacing::Window>,
}

/// Clears [`Pacer::waiting_until`] when the wait ends, or its send is dropped mid-wait.
struct Waiting<'a>(&'a Pacer);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        *self.0.waiting_slot() = None;
    }
}

#[derive(Debug)]
struct Window {
    limit: RateLimit,
    sent: VecDeque<Instant>,
}

impl Pacer {
    /// A pacer for `limits`, each window divided by `scale` (1 = the vendor's real limits;
    /// a sandbox running at a time scale of 60 is paced with 60).
    pub fn new(limits: &[RateLimit], scale: u32) -> Pacer {
        let scale = scale.max(1);
        let windows = limits
            .iter()
            .filter(|l| l.requests > 0 && !l.window.is_zero())
            .map(|l| Window {
                limit: RateLimit {
                    requests: l.requests,
                    // A little margin: the vendor counts a request when it arrives, a
                    // moment after we sent it, so its window ends a moment after ours.
                    window: l.window / scale + (l.window / scale / 20).min(MARGIN),
                },
                sent: VecDeque::new(),
            })
            .collect();
        let daily = limits
            .iter()
            .filter(|l| l.window >= Duration::from_secs(86_400) && l.requests > 0)
            .map(|l| l.requests)
            .max();
        Pacer {
            windows: Mutex::new(windows),
            sent: std::sync::atomic::AtomicU64::new(0),
            daily,
            waiting_until: std::sync::Mutex::new(None),
            shared: None,
        }
    }

    /// A pacer for `limits` (scaled as [`Pacer::new`]) whose windows are kept in the store
    /// `db` under `key` (the organisation's pacing key, `auth::context::pacing_key`),
    /// counting the sends of every process sharing it, each window longer by
    /// [`SHARED_MARGIN`]. If the store
    /// cannot be reached for a send, that send is paced by this process's own windows (and
    /// the vendor's 429 handling) rather than refused.
    pub fn shared(limits: &[RateLimit], scale: u32, db: Db, key: &str) -> Pacer {
        let mut pacer = Pacer::new(limits, scale);
        let windows = pacer
            .windows
            .get_mut()
            .iter()
            .map(|w| store_pacing::Window {
                requests: w.limit.requests,
                window_ms: i64::try_from((w.limit.window + SHARED_MARGIN).as_millis())
                    .unwrap_or(i64::MAX),
            })
            .collect();
        pacer.shared = Some(Shared {
            db,
            connection: key.to_owned(),
            windows,
        });
        pacer
    }

    /// The wait the store's shared windows ask for (zero: a send was recorded), or `None`
    /// when this pacer is not shared or the store failed (then the local windows decide).
    async fn shared_wait(&self) -> Option<Duration> {
        let shared = self.shared.as_ref()?;
        if shared.windows.is_empty() {
            return None;
        }
        let (db, connection, windows) = (
            shared.db.clone(),
            shared.connection.clone(),
            shared.windows.clone(),
        );
        let reserved =
            tokio::task::spawn_blocking(move || store_pacing::reserve(&db, &connection, &windows))
                .await;
        let failure = match reserved {
            Ok(Ok(None)) => return Some(Duration::ZERO),
            Ok(Ok(Some(ms))) => return Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0))),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::warn!(
            connection = %shared.connection,
            error = %failure,
            "the shared call windows could not be read; pacing this send by this process's own"
        );
        None
    }

    /// Requests this pacer has let through since it was made.
    pub fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The vendor's daily call budget, when its manifest declares one.
    pub fn daily_limit(&self) -> Option<u32> {
        self.daily
    }

    /// Waits until a request may be sent under every limit, then counts it as sent.
    /// Returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        match self.acquire_within(Duration::MAX).await {
            Ok(waited) | Err(waited) => waited,
        }
    }

    /// Like [`Pacer::acquire`], but waits at most `max` in all: when the next free slot is
    /// further away than what is left of `max`, returns `Err(wait still needed)` at once,
    /// without taking a slot (nothing may be sent). `Ok` is how long it waited.
    pub async fn acquire_within(&self, max: Duration) -> Result<Duration, Duration> {
        let started = Instant::now();
        loop {
            let wait = if let Some(wait) = self.shared_wait().await {
                if wait.is_zero() {
                    self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                wait
            } else {
                let mut windows = self.windows.lock().await;
                let now = Instant::now();
                let mut wait = Duration::ZERO;
                for w in windows.iter_mut() {
                    while w
                        .sent
                        .front()
                        .is_some_and(|at| now.duration_since(*at) >= w.limit.window)
                    {
                        w.sent.pop_front();
                    }
                    if w.sent.len() >= w.limit.requests as usize
                        && let Some(oldest) = w.sent.front()
                    {
                        wait = wait.max(w.limit.window - now.duration_since(*oldest));
                    }
                }
                if wait.is_zero() {
                    for w in windows.iter_mut() {
                        w.sent.push_back(now);
                    }
                    self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                wait
            };
            if wait.is_zero() {
                return Ok(started.elapsed());
            }
            if wait > max.saturating_sub(started.elapsed()) {
                return Err(wait);
            }
            *self.waiting_slot() = Some(Instant::now() + wait);
            let _clear = Waiting(self);
            tokio::time::sleep(wait).await;
        }
    }

    /// How much longer a send is waiting for the vendor's call limit, if one is waiting now.
    pub fn waiting(&self) -> Option<Duration> {
        let until = (*self.waiting_slot())?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn waiting_slot(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // Only a plain assignment or read happens under this lock; a poisoned slot still
        // holds a valid value.
        self.waiting_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_n_plus_first_request_waits_for_the_window() {
        let pacer = Pacer::new(
            &[RateLimit {
                requests: 3,
                window: Duration::from_secs(60),
            }],
            1,
        );
        for _ in 0..3 {
            assert_eq!(pacer.acquire().await, Duration::ZERO);
        }
        let waited = pacer.acquire().await;
        assert_eq!(waited, Duration::from_secs(60) + MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn every_limit_holds_and_scale_shortens_windows() {
        let pacer = Pacer::new(
            &[
                RateLimit {
                    requests: 2,
                    window: Duration::from_secs(60),
                },
                RateLimit {
                    requests: 3,
                    window: Duration::from_secs(600),
                },
            ],
            60,
        );
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire().await;
        }
        // The third waited a (scaled) minute: 1 s and its 50 ms margin (a twentieth).
        assert_eq!(start.elapsed(), Duration::from_millis(1050));
        // The fourth waits for the scaled 10-minute window: 10 s (and 100 ms) after the first.
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(10_100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_longer_than_allowed_is_refused_without_taking_a_slot() {
        let pacer = Pacer::new(
            &[RateLimit {
                requests: 1,
                window: Duration::from_secs(60),
            }],
            1,
        );
        assert_eq!(
            pacer.acquire_within(Duration::ZERO).await,
            Ok(Duration::ZERO)
        );
        assert_eq!(
            pacer.acquire_within(Duration::from_secs(10)).await,
            Err(Duration::from_secs(60) + MARGIN)
        );
        assert_eq!(pacer.sent(), 1, "the refused request took no slot");
        let waited = pacer.acquire_within(Duration::from_secs(61)).await;
        assert_eq!(waited, Ok(Duration::from_secs(60) + MARGIN));
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_send_shows_how_long_is_left_until_it_goes() {
        let pacer = std::sync::Arc::new(Pacer::new(
            &[RateLimit {
                requests: 1,
                window: Duration::from_secs(60),
            }],
            1,
        ));
        pacer.acquire().await;
        assert_eq!(pacer.waiting(), None);
        let waiter = tokio::spawn({
            let pacer = std::sync::Arc::clone(&pacer);
            async move { pacer.acquire().await }
        });
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(pacer.waiting(), Some(Duration::from_secs(40) + MARGIN));
        assert_eq!(
            waiter.await.expect("joins"),
            Duration::from_secs(60) + MARGIN
        );
        assert_eq!(pacer.waiting(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn no_limits_never_wait() {
        let pacer = Pacer::new(&[], 1);
        for _ in 0..1000 {
            assert_eq!(pacer.acquire().await, Duration::ZERO);
        }
    }

    /// Two processes (two connections to one store) with one shared pacer each: together
    /// they get the vendor's 3 calls a minute, not 3 each; a refused send takes no slot.
    #[tokio::test]
    async fn shared_pacers_of_two_processes_spend_one_budget() {
        use crate::store::engine::{self, DatabaseUrl};
        use crate::store::sql::testing;

        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut urls = vec![DatabaseUrl::Sqlite(tmp.path().join("ledgerlink.db"))];
        let pg = testing::fresh_postgres();
        match &pg {
            Some(pg) => urls.push(DatabaseUrl::parse(pg.url()).unwrap_or_else(|e| panic!("{e}"))),
            None => testing::sqlite_only(),
        }
        let limit = [RateLimit {
            requests: 3,
            window: Duration::from_secs(60),
        }];
        for url in urls {
            let open = || engine::open(&url).unwrap_or_else(|e| panic!("{e}"));
            let one = Pacer::shared(&limit, 1, open(), "acme-xero");
            let two = Pacer::shared(&limit, 1, open(), "acme-xero");
            assert_eq!(
                one.acquire_within(Duration::from_secs(1)).await.map(|_| ()),
                Ok(())
            );
            assert_eq!(
                two.acquire_within(Duration::from_secs(1)).await.map(|_| ()),
                Ok(())
            );
            assert_eq!(
                one.acquire_within(Duration::from_secs(1)).await.map(|_| ()),
                Ok(())
            );
            for pacer in [&one, &two] {
                let wait = pacer
                    .acquire_within(Duration::from_secs(1))
                    .await
                    .expect_err("the shared minute is spent");
                assert!(wait > Duration::from_secs(50), "{wait:?}");
            }
            assert_eq!((one.sent(), two.sent()), (2, 1));
            // Another connection has its own budget.
            let other = Pacer::shared(&limit, 1, open(), "kea-qbo");
            assert!(other.acquire_within(Duration::from_secs(1)).await.is_ok());
        }
    }

    /// A shared window is longer than the same pacer's own by SHARED_MARGIN: the
    /// database's stamp is taken before the send leaves this process.
    #[tokio::test]
    async fn a_shared_window_is_longer_by_the_shared_margin() {
        use crate::store::engine::{self, DatabaseUrl};

        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = engine::open(&DatabaseUrl::Sqlite(tmp.path().join("ledgerlink.db")))
            .unwrap_or_else(|e| panic!("{e}"));
        let limit = [RateLimit {
            requests: 1,
            window: Duration::from_secs(2),
        }];
        let pacer = Pacer::shared(&limit, 1, db, "xero:tenant-id=t");
        assert!(pacer.acquire_within(Duration::ZERO).await.is_ok());
        let wait = pacer
            .acquire_within(Duration::ZERO)
            .await
            .expect_err("the window is spent");
        // 2 s, its 100 ms margin, and the shared 250 ms, less the moments since the send.
        let full = Duration::from_secs(2) + MARGIN + SHARED_MARGIN;
        assert!(
            wait <= full && wait > full - Duration::from_millis(100),
            "{wait:?}"
        );
    }
}
