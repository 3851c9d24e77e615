//! Fault injection and time scale, shared by both vendors' accounting APIs.
//!
//! Tests ask for trouble in two ways:
//!
//! - a **queue** of faults served to the next requests, in order
//!   (deterministic: "the next write is cut after it was applied");
//! - **rates** in per-mille drawn from a seeded generator ("10 % of requests
//!   fail somehow"), so a failing run can be replayed with the same seed.
//!
//! Both are kept **per company** (a Xero tenant, a QuickBooks realm: a
//! [`FaultScope::Company`]), so faults meant for one company never reach
//! another, and a company's reset (`POST /_sandbox/xero/{tenant}/reset`,
//! `/_sandbox/qbo/{realm}/reset`) clears its queue, its rates and its count of
//! faults served. A [`FaultScope::Vendor`] switch is shared by every company of
//! the vendor: a request takes from its company's queue first, then from the
//! vendor's, and draws from its company's rates if it has any, else from the
//! vendor's. Faults served are counted against the company that got them.
//!
//! A read never takes a fault meant for writes only ([`Fault::writes_only`]):
//! such a fault keeps its place at the head of its queue until a write comes,
//! and the reads before it get no fault.
//!
//! The **time scale** shortens every rate-limit window: at scale 60 Xero's
//! "60 calls a minute" is 60 calls a second. Limits themselves never change,
//! so tests prove the same rules in less time. The delays of [`Fault::Slow`]
//! and [`Fault::TimeoutAfterApply`] are not scaled: they are measured against
//! a client's own timeout, which the scale does not shorten.
//!
//! A handler calls [`Faults::draw`] once per request, before doing anything,
//! and honours what it gets: [`Fault::TooManyRequests`] and
//! [`Fault::ServerError`] answer at once without applying anything;
//! [`Fault::Slow`] sleeps first; [`Fault::DropBeforeApply`] sends
//! [`cut_response`] without applying the write; [`Fault::CutAfterWrite`]
//! applies the write and then sends [`cut_response`] instead of the real
//! reply; [`Fault::TimeoutAfterApply`] applies the write and sleeps before
//! sending the real reply.

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

use crate::company::Company;
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
    /// as if the network failed on the way back. Writes only.
    CutAfterWrite,
    /// Cut the connection exactly as [`Fault::CutAfterWrite`] does, but without
    /// applying the request: the client cannot tell the two apart, and this
    /// time the vendor holds nothing. Writes only.
    DropBeforeApply,
    /// Apply the request, then hold the real answer back this long, so that a
    /// client whose timeout is shorter gives up although the write was
    /// applied. A client that waits long enough gets the real answer. Writes only.
    TimeoutAfterApply {
        /// The delay in milliseconds (real time; the time scale does not shorten it).
        millis: u64,
    },
}

impl Fault {
    /// Whether only a write can take this fault: the ones that leave the
    /// outcome of a write unknown to the client.
    pub fn writes_only(self) -> bool {
        match self {
            Fault::CutAfterWrite | Fault::DropBeforeApply | Fault::TimeoutAfterApply { .. } => true,
            Fault::TooManyRequests | Fault::ServerError | Fault::Slow { .. } => false,
        }
    }
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
    /// Share of writes cut off without being applied.
    pub drop_before_apply: u32,
    /// Share of writes applied and then answered `timeout_millis` late.
    pub timeout_after_apply: u32,
    /// How late a write drawing `timeout_after_apply` is answered, in milliseconds.
    pub timeout_millis: u64,
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
            cut_after_write: per_mille - 2 * third,
            seed,
            ..FaultRates::default()
        }
    }

    /// The per-mille of requests these rates fault, all kinds together
    /// (more than 1000 means the shares listed last are cut short).
    pub fn total(&self) -> u64 {
        self.shares()
            .iter()
            .map(|(share, _)| u64::from(*share))
            .sum()
    }

    /// Each share and its fault, in the order a roll walks them.
    fn shares(&self) -> [(u32, Fault); 6] {
        [
            (self.too_many_requests, Fault::TooManyRequests),
            (self.server_error, Fault::ServerError),
            (
                self.slow,
                Fault::Slow {
                    millis: self.slow_millis,
                },
            ),
            (self.cut_after_write, Fault::CutAfterWrite),
            (self.drop_before_apply, Fault::DropBeforeApply),
            (
                self.timeout_after_apply,
                Fault::TimeoutAfterApply {
                    millis: self.timeout_millis,
                },
            ),
        ]
    }
}

/// Whose requests a fault switch is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultScope {
    /// Every company of a vendor. Queued faults and rates set for it are
    /// shared: each company's requests take from them after their own. Read
    /// or cleared, it covers the vendor's companies too.
    Vendor(Profile),
    /// One company (a Xero tenant, a QuickBooks realm).
    Company(Company),
}

impl FaultScope {
    /// The vendor the scope belongs to.
    pub fn profile(self) -> Profile {
        match self {
            FaultScope::Vendor(profile) => profile,
            FaultScope::Company(company) => company.profile(),
        }
    }

    /// Whether a reading or clearing of `self` covers `other`.
    fn covers(self, other: FaultScope) -> bool {
        match self {
            FaultScope::Vendor(profile) => other.profile() == profile,
            FaultScope::Company(_) => self == other,
        }
    }
}

impl From<Profile> for FaultScope {
    fn from(profile: Profile) -> FaultScope {
        FaultScope::Vendor(profile)
    }
}

impl From<Company> for FaultScope {
    fn from(company: Company) -> FaultScope {
        FaultScope::Company(company)
    }
}

/// Fault switches per scope and the sandbox-wide time scale.
#[derive(Debug)]
pub(crate) struct Faults {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    switches: HashMap<FaultScope, Switches>,
    injected: HashMap<Company, usize>,
    time_scale: u32,
}

/// The queue and rates of one scope.
#[derive(Debug, Default)]
struct Switches {
    queue: VecDeque<Fault>,
    rates: Option<(FaultRates, StdRng)>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            inner: Mutex::new(Inner {
                switches: HashMap::new(),
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

    /// Serves `faults` to the next requests of `scope`, in order, before any
    /// random draw.
    pub(crate) fn queue(&self, scope: FaultScope, faults: impl IntoIterator<Item = Fault>) {
        self.lock()
            .switches
            .entry(scope)
            .or_default()
            .queue
            .extend(faults);
    }

    /// Sets (or, with all-zero rates, in effect clears) the random faults of `scope`.
    pub(crate) fn set_rates(&self, scope: FaultScope, rates: FaultRates) {
        let rng = StdRng::seed_from_u64(rates.seed);
        self.lock().switches.entry(scope).or_default().rates = Some((rates, rng));
    }

    /// Removes every queued and random fault of `scope` (of a vendor: its
    /// companies' too). The count of faults served stays.
    pub(crate) fn clear(&self, scope: FaultScope) {
        self.lock().switches.retain(|held, _| !scope.covers(*held));
    }

    /// Forgets everything of `company`: its queue, its rates and its count.
    /// Switches of its whole vendor stay.
    pub(crate) fn reset(&self, company: Company) {
        let mut inner = self.lock();
        inner.switches.remove(&FaultScope::Company(company));
        inner.injected.remove(&company);
    }

    /// How many faults `scope` (a vendor: all its companies) has been served
    /// since its last reset.
    pub(crate) fn injected(&self, scope: FaultScope) -> usize {
        self.lock()
            .injected
            .iter()
            .filter(|(company, _)| scope.covers(FaultScope::Company(**company)))
            .map(|(_, count)| count)
            .sum()
    }

    /// How many queued faults wait for requests of `scope` (a vendor: its
    /// shared queue and all its companies' queues).
    pub(crate) fn queued(&self, scope: FaultScope) -> usize {
        self.lock()
            .switches
            .iter()
            .filter(|(held, _)| scope.covers(**held))
            .map(|(_, switches)| switches.queue.len())
            .sum()
    }

    /// The fault for this request of `company`, if any. `write` says whether
    /// the request changes data (only writes take [`Fault::writes_only`] faults).
    pub(crate) fn draw(&self, company: Company, write: bool) -> Option<Fault> {
        let mut inner = self.lock();
        let fault = match inner.next_queued(company, write) {
            Some(queued) => queued,
            None => inner.roll(company, write),
        };
        if fault.is_some() {
            *inner.injected.entry(company).or_default() += 1;
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

impl Inner {
    /// The next queued fault for a request of `company`: from its own queue
    /// if that holds any, else from its vendor's. `None` when both are
    /// empty; `Some(None)` when the next fault is for writes only and this is
    /// a read (the fault keeps its place).
    fn next_queued(&mut self, company: Company, write: bool) -> Option<Option<Fault>> {
        let own = FaultScope::Company(company);
        let vendor = FaultScope::Vendor(company.profile());
        let queue = [own, vendor].into_iter().find_map(|scope| {
            self.switches
                .get(&scope)
                .filter(|switches| !switches.queue.is_empty())
                .map(|_| scope)
        })?;
        let queue = &mut self.switches.get_mut(&queue)?.queue;
        match queue.front() {
            Some(next) if next.writes_only() && !write => Some(None),
            _ => Some(queue.pop_front()),
        }
    }

    /// A random fault for a request of `company`, by its own rates if it has
    /// any, else by its vendor's.
    fn roll(&mut self, company: Company, write: bool) -> Option<Fault> {
        let own = FaultScope::Company(company);
        let scope = if self
            .switches
            .get(&own)
            .is_some_and(|switches| switches.rates.is_some())
        {
            own
        } else {
            FaultScope::Vendor(company.profile())
        };
        let (rates, rng) = self.switches.get_mut(&scope)?.rates.as_mut()?;
        let roll = rng.random_range(0..1000u32);
        let mut edge = 0u32;
        for (share, fault) in rates.shares() {
            edge = edge.saturating_add(share);
            if roll < edge {
                return (write || !fault.writes_only()).then_some(fault);
            }
        }
        None
    }
}

/// How long a cut response stalls after its headers, so the client has read
/// the status line before the connection breaks.
const CUT_STALL: Duration = Duration::from_millis(20);

/// A 200 whose JSON body breaks off after one byte: the client cannot know
/// whether the write behind it was applied ([`Fault::CutAfterWrite`]) or not
/// ([`Fault::DropBeforeApply`]); both send these same bytes.
pub(crate) fn cut_response() -> Response {
    let start = stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"{"))]);
    let cut = stream::once(async {
        tokio::time::sleep(CUT_STALL).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox: response cut on purpose",
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{QBO_REALM_ID, XERO_TENANT_NZ_ID, XERO_TENANT_US_ID};

    fn nz() -> Company {
        Company::known(Profile::Xero, XERO_TENANT_NZ_ID)
    }

    fn us() -> Company {
        Company::known(Profile::Xero, XERO_TENANT_US_ID)
    }

    fn realm() -> Company {
        Company::known(Profile::QuickBooks, QBO_REALM_ID)
    }

    #[test]
    fn queued_faults_come_first_and_in_order() {
        let faults = Faults::default();
        faults.queue(
            Profile::Xero.into(),
            [Fault::ServerError, Fault::Slow { millis: 5 }],
        );
        assert_eq!(faults.draw(nz(), false), Some(Fault::ServerError));
        assert_eq!(faults.draw(realm(), false), None);
        assert_eq!(faults.draw(us(), true), Some(Fault::Slow { millis: 5 }));
        assert_eq!(faults.draw(nz(), true), None);
        assert_eq!(faults.injected(Profile::Xero.into()), 2);
        assert_eq!(faults.injected(nz().into()), 1);
        assert_eq!(faults.injected(us().into()), 1);
    }

    #[test]
    fn a_read_never_takes_a_write_only_fault_which_waits_for_the_next_write() {
        let faults = Faults::default();
        faults.queue(
            nz().into(),
            [
                Fault::DropBeforeApply,
                Fault::TimeoutAfterApply { millis: 9 },
                Fault::CutAfterWrite,
            ],
        );
        assert_eq!(faults.draw(nz(), false), None);
        assert_eq!(faults.injected(nz().into()), 0);
        assert_eq!(faults.queued(nz().into()), 3);
        assert_eq!(faults.draw(nz(), true), Some(Fault::DropBeforeApply));
        assert_eq!(faults.draw(nz(), false), None);
        assert_eq!(
            faults.draw(nz(), true),
            Some(Fault::TimeoutAfterApply { millis: 9 })
        );
        assert_eq!(faults.draw(nz(), true), Some(Fault::CutAfterWrite));
        assert_eq!(faults.injected(nz().into()), 3);
    }

    #[test]
    fn a_companys_faults_are_its_own_and_its_reset_clears_them() {
        let faults = Faults::default();
        faults.queue(nz().into(), [Fault::ServerError, Fault::ServerError]);
        faults.queue(Profile::Xero.into(), [Fault::TooManyRequests]);
        // US takes only from the vendor's shared queue; NZ from its own first.
        assert_eq!(faults.draw(us(), true), Some(Fault::TooManyRequests));
        assert_eq!(faults.draw(us(), true), None);
        assert_eq!(faults.draw(nz(), true), Some(Fault::ServerError));
        assert_eq!(faults.queued(nz().into()), 1);
        assert_eq!(faults.queued(Profile::Xero.into()), 1);
        assert_eq!(faults.injected(Profile::Xero.into()), 2);

        faults.reset(nz());
        assert_eq!(faults.queued(nz().into()), 0);
        assert_eq!(faults.injected(nz().into()), 0);
        assert_eq!(faults.injected(us().into()), 1, "US keeps its count");
        assert_eq!(faults.draw(nz(), true), None);

        // A company's rates take the place of its vendor's.
        faults.set_rates(
            Profile::Xero.into(),
            FaultRates {
                server_error: 1000,
                ..FaultRates::default()
            },
        );
        faults.set_rates(nz().into(), FaultRates::default());
        assert_eq!(faults.draw(nz(), true), None);
        assert_eq!(faults.draw(us(), true), Some(Fault::ServerError));
        faults.reset(nz());
        assert_eq!(faults.draw(nz(), true), Some(Fault::ServerError));
        faults.clear(Profile::Xero.into());
        assert_eq!(faults.draw(nz(), true), None);
        assert_eq!(faults.draw(us(), true), None);
    }

    #[test]
    fn rates_are_reproducible_and_roughly_right() {
        let draw_all = |rates: FaultRates| {
            let faults = Faults::default();
            faults.set_rates(realm().into(), rates);
            (0..10_000)
                .map(|_| faults.draw(realm(), true))
                .collect::<Vec<_>>()
        };
        let first = draw_all(FaultRates::mixed(100, 7));
        assert_eq!(first, draw_all(FaultRates::mixed(100, 7)));
        let hits = first.iter().filter(|fault| fault.is_some()).count();
        assert!((800..1200).contains(&hits), "{hits} faults in 10 000");

        let unknown = draw_all(FaultRates {
            drop_before_apply: 100,
            timeout_after_apply: 100,
            timeout_millis: 50,
            seed: 7,
            ..FaultRates::default()
        });
        let drops = unknown
            .iter()
            .filter(|fault| **fault == Some(Fault::DropBeforeApply))
            .count();
        let late = unknown
            .iter()
            .filter(|fault| **fault == Some(Fault::TimeoutAfterApply { millis: 50 }))
            .count();
        assert!((800..1200).contains(&drops), "{drops} drops in 10 000");
        assert!((800..1200).contains(&late), "{late} timeouts in 10 000");
    }

    #[test]
    fn rates_past_a_thousand_are_cut_short_not_overflowed() {
        let rates = FaultRates {
            too_many_requests: u32::MAX,
            server_error: u32::MAX,
            ..FaultRates::default()
        };
        assert_eq!(rates.total(), 2 * u64::from(u32::MAX));
        let faults = Faults::default();
        faults.set_rates(realm().into(), rates);
        assert_eq!(faults.draw(realm(), false), Some(Fault::TooManyRequests));
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

    #[test]
    fn new_kinds_have_snake_case_wire_names() {
        let queue: Vec<Fault> = serde_json::from_str(
            r#"[{"kind": "drop_before_apply"}, {"kind": "timeout_after_apply", "millis": 2500}]"#,
        )
        .unwrap();
        assert_eq!(
            queue,
            [
                Fault::DropBeforeApply,
                Fault::TimeoutAfterApply { millis: 2500 }
            ]
        );
    }
}
