//! Fault injection and time scale, shared by both vendors' accounting APIs.
//!
//! Tests ask for trouble in two ways:
//!
//! - a **queue** of faults served to the next requests of a profile, in order
//!   (deterministic: "the next write is cut after it was applied");
//! - **rates** in per-mille drawn from a seeded generator ("10 % of requests
//!   fail somehow"), so a failing run can be replayed with the same seed.
//!
//! The **time scale** shortens every rate-limit window: at scale 60 Xero's
//! "60 calls a minute" is 60 calls a second. Limits themselves never change,
//! so tests prove the same rules in less time.
//!
//! A handler calls [`Faults::draw`] once per request, before doing anything,
//! and honours what it gets: [`Fault::TooManyRequests`] and
//! [`Fault::ServerError`] answer at once without applying anything;
//! [`Fault::Slow`] sleeps first; [`Fault::CutAfterWrite`] applies the write
//! and then sends [`cut_response`] instead of the real reply.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt as _;
use futures_util::stream;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};

use crate::profile::Profile;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer 429 with the vendor's rate-limit headers, applying nothing.
    TooManyRequests,
    /// Answer 503 (Xero) / 500 (QuickBooks), applying nothing.
    ServerError,
    /// Wait this long before handling the request normally.
    Slow {
        /// The delay in milliseconds.
        millis: u64,
    },
    /// Apply the request, then cut the connection after the response headers,
    /// as if the network failed on the way back. Only writes honour it; a read
    /// drawing it is served normally.
    CutAfterWrite,
}

/// Random fault rates, in per-mille of requests (0–1000 in total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRates {
    /// Share of requests answered 429.
    pub too_many_requests: u32,
    /// Share of requests answered 5xx.
    pub server_error: u32,
    /// Share of requests delayed by `slow_millis`.
    pub slow: u32,
    /// The delay of a slow request, in milliseconds.
    pub slow_millis: u64,
    /// Share of writes applied and then cut off.
    pub cut_after_write: u32,
    /// Seed of the generator that draws; the same seed draws the same faults.
    pub seed: u64,
}

impl FaultRates {
    /// `per_mille` of all requests fail, split evenly across 429, 5xx and
    /// cut-after-write (the three a client must recover from).
    pub fn mixed(per_mille: u32, seed: u64) -> FaultRates {
        let third = per_mille / 3;
        FaultRates {
            too_many_requests: third,
            server_error: third,
            slow: 0,
            slow_millis: 0,
            cut_after_write: per_mille - 2 * third,
            seed,
        }
    }
}

/// Per-profile fault switches and the sandbox-wide time scale.
#[derive(Debug)]
pub(crate) struct Faults {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    queued: HashMap<Profile, VecDeque<Fault>>,
    rates: HashMap<Profile, (FaultRates, StdRng)>,
    injected: HashMap<Profile, usize>,
    time_scale: u32,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            inner: Mutex::new(Inner {
                queued: HashMap::new(),
                rates: HashMap::new(),
                injected: HashMap::new(),
                time_scale: 1,
            }),
        }
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No code path panics while holding the lock; a poisoned lock still
        // holds consistent switches.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serves `faults` to the next requests of `profile`, in order, before any
    /// random draw.
    pub(crate) fn queue(&self, profile: Profile, faults: impl IntoIterator<Item = Fault>) {
        self.lock()
            .queued
            .entry(profile)
            .or_default()
            .extend(faults);
    }

    /// Sets (or, with all-zero rates, clears) the random faults of `profile`.
    pub(crate) fn set_rates(&self, profile: Profile, rates: FaultRates) {
        let rng = StdRng::seed_from_u64(rates.seed);
        self.lock().rates.insert(profile, (rates, rng));
    }

    /// Removes every queued and random fault of `profile`.
    pub(crate) fn clear(&self, profile: Profile) {
        let mut inner = self.lock();
        inner.queued.remove(&profile);
        inner.rates.remove(&profile);
    }

    /// How many faults `profile` has been served so far.
    pub(crate) fn injected(&self, profile: Profile) -> usize {
        self.lock().injected.get(&profile).copied().unwrap_or(0)
    }

    /// The fault for this request of `profile`, if any. `write` says whether
    /// the request changes data (only writes can be cut after applying).
    pub(crate) fn draw(&self, profile: Profile, write: bool) -> Option<Fault> {
        let mut inner = self.lock();
        let queued = inner
            .queued
            .get_mut(&profile)
            .and_then(|queue| queue.pop_front());
        let fault = queued.or_else(|| {
            let (rates, rng) = inner.rates.get_mut(&profile)?;
            let roll = rng.random_range(0..1000u32);
            let mut edge = rates.too_many_requests;
            if roll < edge {
                return Some(Fault::TooManyRequests);
            }
            edge += rates.server_error;
            if roll < edge {
                return Some(Fault::ServerError);
            }
            edge += rates.slow;
            if roll < edge {
                return Some(Fault::Slow {
                    millis: rates.slow_millis,
                });
            }
            edge += rates.cut_after_write;
            (roll < edge && write).then_some(Fault::CutAfterWrite)
        });
        let fault = fault.filter(|fault| write || *fault != Fault::CutAfterWrite);
        if fault.is_some() {
            *inner.injected.entry(profile).or_default() += 1;
        }
        fault
    }

    /// Sets the time scale (1 = real time; at 60 a one-minute window lasts
    /// one second). Values below 1 are taken as 1.
    pub(crate) fn set_time_scale(&self, scale: u32) {
        self.lock().time_scale = scale.max(1);
    }

    /// The current time scale.
    pub(crate) fn time_scale(&self) -> u32 {
        self.lock().time_scale
    }

    /// `window` shortened by the time scale (rate-limit windows use this).
    pub(crate) fn scaled(&self, window: Duration) -> Duration {
        window / self.time_scale()
    }
}

/// How long a cut response stalls after its headers, so the client has read
/// the status line before the connection breaks.
const CUT_STALL: Duration = Duration::from_millis(20);

/// A 200 whose JSON body breaks off after one byte: the write behind it was
/// applied, the client cannot know.
pub(crate) fn cut_response() -> Response {
    let start = stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"{"))]);
    let cut = stream::once(async {
        tokio::time::sleep(CUT_STALL).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox: response cut after the write on purpose",
        ))
    });
    let mut response = Response::new(Body::from_stream(start.chain(cut)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_faults_come_first_and_in_order() {
        let faults = Faults::default();
        faults.queue(
            Profile::Xero,
            [Fault::ServerError, Fault::Slow { millis: 5 }],
        );
        assert_eq!(faults.draw(Profile::Xero, false), Some(Fault::ServerError));
        assert_eq!(faults.draw(Profile::QuickBooks, false), None);
        assert_eq!(
            faults.draw(Profile::Xero, true),
            Some(Fault::Slow { millis: 5 })
        );
        assert_eq!(faults.draw(Profile::Xero, true), None);
        assert_eq!(faults.injected(Profile::Xero), 2);
    }

    #[test]
    fn a_read_is_never_cut() {
        let faults = Faults::default();
        faults.queue(Profile::Xero, [Fault::CutAfterWrite]);
        assert_eq!(faults.draw(Profile::Xero, false), None);
        assert_eq!(faults.injected(Profile::Xero), 0);
    }

    #[test]
    fn rates_are_reproducible_and_roughly_right() {
        let draw_all = || {
            let faults = Faults::default();
            faults.set_rates(Profile::Xero, FaultRates::mixed(100, 7));
            (0..10_000)
                .map(|_| faults.draw(Profile::Xero, true))
                .collect::<Vec<_>>()
        };
        let first = draw_all();
        assert_eq!(first, draw_all());
        let hits = first.iter().filter(|fault| fault.is_some()).count();
        assert!((800..1200).contains(&hits), "{hits} faults in 10 000");
    }

    #[test]
    fn time_scale_shortens_windows() {
        let faults = Faults::default();
        assert_eq!(
            faults.scaled(Duration::from_secs(60)),
            Duration::from_secs(60)
        );
        faults.set_time_scale(60);
        assert_eq!(
            faults.scaled(Duration::from_secs(60)),
            Duration::from_secs(1)
        );
        faults.set_time_scale(0);
        assert_eq!(faults.time_scale(), 1);
    }
}
