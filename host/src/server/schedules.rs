//! Scheduled transfers: what a schedule may run (the names the CLI and the API take), its
//! cron expression (croner: five fields, or six with seconds first), and the tick that fires
//! the schedules that are due.
//!
//! A tick takes the time as a parameter, so every rule is testable without waiting: each
//! unpaused schedule whose `next_run_at` has passed queues ONE job and moves to the next
//! cron time strictly after now, so ticks missed while no server ran collapse into one run.
//! The store's conditional update makes two `serve` processes on one store queue one job.
//! Cron expressions are read in the schedule's IANA time zone (UTC by default), so "09:00
//! on weekdays" in Europe/London follows daylight saving; times are stored in UTC.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::jobs::{JobRequest, PushKind, TransferEntity};
use crate::store::db::DbError;
use crate::store::schedules::{Fired, NewSchedule, Schedule, Schedules};
use crate::transfer::numbering::Numbering;

/// The transfers a schedule may run, by the name the CLI and the API take.
pub const TRANSFERS: [&str; 7] = [
    "customers",
    "customers-pull",
    "customers-pull-delta",
    "job-invoices",
    "contract-invoices",
    "push-job-invoices",
    "push-contract-invoices",
];

/// Why a schedule could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The cron expression is refused.
    #[error(
        "the cron expression {expr:?} is not valid: {reason}. Give five fields (minute hour day-of-month month day-of-week) or six with seconds first, e.g. \"*/15 * * * *\" (every 15 minutes) or \"0 9-21 * * MON-FRI\" (hourly on weekdays, 09:00 to 21:00)"
    )]
    Cron {
        /// The expression.
        expr: String,
        /// croner's reason.
        reason: String,
    },
    /// The cron expression never comes due after now.
    #[error("the cron expression {0:?} never comes due after now; give one that does")]
    Never(String),
    /// The transfer name is unknown.
    #[error("{0:?} is not a transfer a schedule can run; use one of {list}", list = TRANSFERS.join(", "))]
    Transfer(String),
    /// A time zone that is not an IANA zone name.
    #[error(
        "time zone {0:?} is not known: give an IANA zone name such as Europe/London or Pacific/Auckland, or leave it out for UTC"
    )]
    Timezone(String),
    /// The stored request is unreadable.
    #[error("{0}")]
    Stored(String),
    /// The store failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The job request a transfer name stands for.
pub fn request_for(name: &str) -> Result<JobRequest, ScheduleError> {
    let transfer = |entity, pull, delta| JobRequest::Transfer {
        entity,
        pull,
        delta,
    };
    Ok(match name {
        "customers" => transfer(TransferEntity::Customers, false, false),
        "customers-pull" => transfer(TransferEntity::Customers, true, false),
        "customers-pull-delta" => transfer(TransferEntity::Customers, true, true),
        "job-invoices" => transfer(TransferEntity::JobInvoices, false, false),
        "contract-invoices" => transfer(TransferEntity::ContractInvoices, false, false),
        "push-job-invoices" => JobRequest::PushInvoices {
            invoices: PushKind::Job,
            numbering: Numbering::Keep,
        },
        "push-contract-invoices" => JobRequest::PushInvoices {
            invoices: PushKind::Contract,
            numbering: Numbering::Keep,
        },
        other => return Err(ScheduleError::Transfer(other.to_owned())),
    })
}

/// The transfer name of a stored request (the inverse of [`request_for`]); the job kind for
/// a request no name stands for.
pub fn name_of(request: &JobRequest) -> &'static str {
    TRANSFERS
        .into_iter()
        .find(|n| request_for(n).is_ok_and(|r| &r == request))
        .unwrap_or_else(|| request.kind())
}

/// The fields of a six-field expression (a five-field one has no seconds), with the values
/// each takes.
const FIELDS: [(&str, &str); 6] = [
    ("seconds", "0-59"),
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or JAN-DEC"),
    ("day-of-week", "0-7 or SUN-SAT"),
];

fn parser() -> croner::parser::CronParser {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
}

/// Parse `expr` (five fields, or six with seconds first).
pub fn parse_cron(expr: &str) -> Result<croner::Cron, ScheduleError> {
    parser().parse(expr).map_err(|e| ScheduleError::Cron {
        expr: expr.to_owned(),
        reason: why_not(expr, &e),
    })
}

/// Why croner refused `expr`, naming the field: croner's own message ("Number out of
/// bounds.") does not say which one.
fn why_not(expr: &str, error: &croner::errors::CronError) -> String {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let names = match fields.len() {
        5 => &FIELDS[1..],
        6 => &FIELDS[..],
        n => return format!("it has {n} fields"),
    };
    for (i, (field, (name, values))) in fields.iter().zip(names).enumerate() {
        // The field alone, every other one `*`.
        let mut probe = vec!["*"; fields.len()];
        probe[i] = field;
        if parser().parse(&probe.join(" ")).is_err() {
            return format!("its {name} field {field:?} is not one of {values}");
        }
    }
    error.to_string().trim_end_matches('.').to_owned()
}

/// The first time `cron`, read in `zone`, comes due strictly after `now`. croner applies
/// the zone's daylight-saving rules: a time skipped when the clocks go forward runs at the
/// first time after the gap, a time repeated when they go back runs once.
pub fn next_after(
    cron: &croner::Cron,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ScheduleError> {
    cron.find_next_occurrence(&now.with_timezone(&zone), false)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ScheduleError::Never(cron.as_str().to_owned()))
}

/// The zone `timezone` names (an IANA name; UTC when none is given).
pub fn zone(timezone: Option<&str>) -> Result<Tz, ScheduleError> {
    match timezone.map(str::trim) {
        None | Some("") => Ok(Tz::UTC),
        Some(z) if z.eq_ignore_ascii_case("utc") => Ok(Tz::UTC),
        Some(z) => z
            .parse::<Tz>()
            .map_err(|_| ScheduleError::Timezone(z.to_owned())),
    }
}

/// Unix seconds of `t`.
pub fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// `t` (Unix seconds) as a time.
pub fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// Make a schedule of `transfer` over `connection` at `cron` for `created_by`, first due at
/// the cron's next time after `now`.
pub fn add(
    schedules: &Schedules,
    connection: &str,
    transfer: &str,
    cron: &str,
    timezone: Option<&str>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Schedule, ScheduleError> {
    let request = request_for(transfer)?;
    let zone = zone(timezone)?;
    let parsed = parse_cron(cron)?;
    let next = next_after(&parsed, zone, now)?;
    let stored = request
        .stored()
        .map_err(|e| ScheduleError::Stored(e.to_string()))?;
    Ok(schedules.add(
        &NewSchedule {
            connection,
            transfer: &stored,
            cron: cron.trim(),
            timezone: zone.name(),
            next_run_at: unix(next),
            created_by,
        },
        unix(now),
    )?)
}

/// Pause or resume schedule `id` for `actor` at `now`; a resumed schedule is next due at
/// its next cron time after now. `None` when there is no such schedule.
pub fn set_paused(
    schedules: &Schedules,
    id: i64,
    paused: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<Schedule>, ScheduleError> {
    let next = match (paused, schedules.get(id)?) {
        (_, None) => return Ok(None),
        (true, Some(_)) => None,
        (false, Some(s)) => Some(unix(next_after(
            &parse_cron(&s.cron)?,
            zone(Some(&s.timezone))?,
            now,
        )?)),
    };
    Ok(schedules.set_paused(id, paused, next, actor, unix(now))?)
}

/// What one tick did for one schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickResult {
    /// The schedule.
    pub schedule: i64,
    /// What firing it did, or why it could not be fired.
    pub fired: Result<Fired, String>,
}

/// Fire every schedule due at `now`: each queues one job (unless its last job is still
/// live, or another process fired it first) and moves to its next time after `now`.
pub fn tick(schedules: &Schedules, now: DateTime<Utc>) -> Result<Vec<TickResult>, DbError> {
    let mut results = Vec::new();
    for due in schedules.due(unix(now))? {
        let fired = fire_one(schedules, &due, now);
        results.push(TickResult {
            schedule: due.id,
            fired,
        });
    }
    Ok(results)
}

fn fire_one(schedules: &Schedules, due: &Schedule, now: DateTime<Utc>) -> Result<Fired, String> {
    let what = format!("schedule {}", due.id);
    let request = super::jobs::parse_stored(&what, &due.transfer)?;
    let cron = parse_cron(&due.cron).map_err(|e| format!("{what}: {e}"))?;
    let zone = zone(Some(&due.timezone)).map_err(|e| format!("{what}: {e}"))?;
    // A cron that never comes due again: park it far ahead rather than fire on every tick.
    let next = next_after(&cron, zone, now).map_or(i64::MAX, unix);
    schedules
        .fire(due, request.kind(), next, unix(now))
        .map_err(|e| format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::jobs::Jobs;

    fn stores() -> (tempfile::TempDir, Schedules, Jobs) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("ledgerlink.db");
        let s = Schedules::open(&path).expect("opens");
        let j = Jobs::open(&path).expect("opens");
        (tmp, s, j)
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn jobs_of(j: &Jobs) -> Vec<(String, String, String)> {
        let mut all: Vec<_> = j
            .page(None, 100)
            .expect("jobs")
            .into_iter()
            .map(|x| (x.kind, x.connection, x.request))
            .collect();
        all.reverse();
        all
    }

    /// Every 15 minutes, made at 10:01.
    fn quarter_hourly(s: &Schedules) -> Schedule {
        add(
            s,
            "xero",
            "push-job-invoices",
            "*/15 * * * *",
            None,
            "ann",
            t("2026-03-02T10:01:00Z"),
        )
        .expect("added")
    }

    #[test]
    fn fires_on_time_not_before_and_moves_to_the_next_time() {
        let (_tmp, s, j) = stores();
        let sched = quarter_hourly(&s);
        assert_eq!(at(sched.next_run_at), t("2026-03-02T10:15:00Z"));
        // Not before.
        assert_eq!(tick(&s, t("2026-03-02T10:14:59Z")).expect("tick"), vec![]);
        assert!(jobs_of(&j).is_empty());
        // On time: one job, of the schedule's request, on its connection.
        let fired = tick(&s, t("2026-03-02T10:15:00Z")).expect("tick");
        let job = j.page(None, 1).expect("jobs")[0].clone();
        assert_eq!(
            fired,
            vec![TickResult {
                schedule: sched.id,
                fired: Ok(Fired::Queued { job: job.id })
            }]
        );
        assert_eq!(
            (
                job.kind.as_str(),
                job.connection.as_str(),
                job.created_by.as_str()
            ),
            ("push-invoices", "xero", "schedule 1")
        );
        assert_eq!(
            super::super::jobs::parse(&job),
            Ok(JobRequest::PushInvoices {
                invoices: PushKind::Job,
                numbering: Numbering::Keep,
            })
        );
        let after = s.get(sched.id).expect("get").expect("there");
        assert_eq!(at(after.next_run_at), t("2026-03-02T10:30:00Z"));
        assert_eq!(after.last_job_id, Some(job.id));
        assert_eq!(after.last_run_at, Some(unix(t("2026-03-02T10:15:00Z"))));
    }

    #[test]
    fn three_missed_ticks_collapse_into_one_job() {
        let (_tmp, s, j) = stores();
        let sched = quarter_hourly(&s);
        // The server was down from 10:01 to 10:52: 10:15, 10:30 and 10:45 were missed.
        let fired = tick(&s, t("2026-03-02T10:52:00Z")).expect("tick");
        assert_eq!(fired.len(), 1);
        assert_eq!(jobs_of(&j).len(), 1);
        let after = s.get(sched.id).expect("get").expect("there");
        assert_eq!(at(after.next_run_at), t("2026-03-02T11:00:00Z"));
        // Nothing more until then.
        assert_eq!(tick(&s, t("2026-03-02T10:59:59Z")).expect("tick"), vec![]);
        assert_eq!(jobs_of(&j).len(), 1);
    }

    #[test]
    fn a_paused_schedule_never_fires_and_resumes_from_now() {
        let (_tmp, s, j) = stores();
        let sched = quarter_hourly(&s);
        set_paused(&s, sched.id, true, "ann", t("2026-03-02T10:02:00Z"))
            .expect("pauses")
            .expect("there");
        for now in [
            "2026-03-02T10:15:00Z",
            "2026-03-02T12:00:00Z",
            "2026-03-09T00:00:00Z",
        ] {
            assert_eq!(tick(&s, t(now)).expect("tick"), vec![]);
        }
        assert!(jobs_of(&j).is_empty());
        // Resumed a week later: due at its next time from then, not at once.
        let resumed = set_paused(&s, sched.id, false, "ann", t("2026-03-09T08:05:00Z"))
            .expect("resumes")
            .expect("there");
        assert!(!resumed.paused);
        assert_eq!(at(resumed.next_run_at), t("2026-03-09T08:15:00Z"));
        assert_eq!(tick(&s, t("2026-03-09T08:06:00Z")).expect("tick"), vec![]);
        assert!(jobs_of(&j).is_empty());
    }

    #[test]
    fn two_claimers_of_one_tick_queue_one_job() {
        let (tmp, s, j) = stores();
        let sched = quarter_hourly(&s);
        // A second process on the same store.
        let other = Schedules::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        let now = t("2026-03-02T10:15:00Z");
        // Both read the schedule as due before either fires it.
        let seen_here = s.due(unix(now)).expect("due");
        let seen_there = other.due(unix(now)).expect("due");
        assert_eq!(seen_here.len(), 1);
        let next = unix(t("2026-03-02T10:30:00Z"));
        let here = s
            .fire(&seen_here[0], "push-invoices", next, unix(now))
            .expect("fires");
        let there = other
            .fire(&seen_there[0], "push-invoices", next, unix(now))
            .expect("fires");
        assert!(matches!(here, Fired::Queued { .. }), "{here:?}");
        assert_eq!(there, Fired::Lost);
        assert_eq!(jobs_of(&j).len(), 1);
        assert_eq!(
            s.get(sched.id).expect("get").expect("there").next_run_at,
            next
        );
    }

    #[test]
    fn a_tick_while_the_last_job_is_live_queues_nothing_more() {
        let (_tmp, s, j) = stores();
        let sched = quarter_hourly(&s);
        tick(&s, t("2026-03-02T10:15:00Z")).expect("tick");
        let fired = tick(&s, t("2026-03-02T10:30:00Z")).expect("tick");
        let first = j.page(None, 1).expect("jobs")[0].id;
        assert_eq!(
            fired,
            vec![TickResult {
                schedule: sched.id,
                fired: Ok(Fired::StillRunning { job: first })
            }]
        );
        assert_eq!(jobs_of(&j).len(), 1);
        // Once it ended, the next tick queues again.
        let claimed = j.claim("p", 30).expect("claims").expect("the job");
        assert!(
            j.finish(claimed.id, "p", None, Some("{}"), None)
                .expect("ends")
        );
        tick(&s, t("2026-03-02T10:45:00Z")).expect("tick");
        assert_eq!(jobs_of(&j).len(), 2);
    }

    #[test]
    fn bad_input_is_refused_saying_what_to_give() {
        let (_tmp, s, _j) = stores();
        let now = t("2026-03-02T10:01:00Z");
        let e = add(&s, "xero", "customers", "61 * * * *", None, "ann", now)
            .expect_err("refused")
            .to_string();
        assert_eq!(
            e,
            "the cron expression \"61 * * * *\" is not valid: its minute field \"61\" is not one of 0-59. Give five fields (minute hour day-of-month month day-of-week) or six with seconds first, e.g. \"*/15 * * * *\" (every 15 minutes) or \"0 9-21 * * MON-FRI\" (hourly on weekdays, 09:00 to 21:00)"
        );
        for (expr, reason) in [
            (
                "0 9 * * MON-FRY",
                "its day-of-week field \"MON-FRY\" is not one of 0-7 or SUN-SAT",
            ),
            ("*/2 * * * * 0 0", "it has 7 fields"),
            ("0 25 * * *", "its hour field \"25\" is not one of 0-23"),
            (
                "60 * * * * *",
                "its seconds field \"60\" is not one of 0-59",
            ),
        ] {
            let e = parse_cron(expr).expect_err("refused").to_string();
            assert!(
                e.starts_with(&format!(
                    "the cron expression {expr:?} is not valid: {reason}. Give"
                )),
                "{e}"
            );
        }
        let e = add(&s, "xero", "invoices", "* * * * *", None, "ann", now)
            .expect_err("refused")
            .to_string();
        assert_eq!(
            e,
            "\"invoices\" is not a transfer a schedule can run; use one of customers, customers-pull, customers-pull-delta, job-invoices, contract-invoices, push-job-invoices, push-contract-invoices"
        );
        let e = add(
            &s,
            "xero",
            "customers",
            "* * * * *",
            Some("Europe/Osl"),
            "ann",
            now,
        )
        .expect_err("refused")
        .to_string();
        assert_eq!(
            e,
            "time zone \"Europe/Osl\" is not known: give an IANA zone name such as Europe/London or Pacific/Auckland, or leave it out for UTC"
        );
        assert!(s.list().expect("list").is_empty());
    }

    /// The examples of docs/admin-guide.md, "Scheduled transfers", mean what it says.
    #[test]
    fn the_admin_guide_examples_mean_what_it_says() {
        // From Wednesday 2026-03-04 10:07:10 UTC.
        let from = t("2026-03-04T10:07:10Z");
        for (expr, next) in [
            ("*/15 * * * *", "2026-03-04T10:15:00Z"),
            ("0 9-21 * * MON-FRI", "2026-03-04T11:00:00Z"),
            ("30 2 * * *", "2026-03-05T02:30:00Z"),
            ("0 6 1 * *", "2026-04-01T06:00:00Z"),
            ("*/30 * * * * *", "2026-03-04T10:07:30Z"),
            ("0 9-21/2 * * *", "2026-03-04T11:00:00Z"),
            ("0,30 * * * *", "2026-03-04T10:30:00Z"),
            ("0 9 * * 0", "2026-03-08T09:00:00Z"),
            ("0 9 * * 7", "2026-03-08T09:00:00Z"),
            ("0 9 * * SUN", "2026-03-08T09:00:00Z"),
            ("0 9 1 JAN *", "2027-01-01T09:00:00Z"),
            ("0 20-23 * * SUN-THU", "2026-03-04T20:00:00Z"),
        ] {
            let cron = parse_cron(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(
                next_after(&cron, Tz::UTC, from).expect("next"),
                t(next),
                "{expr}"
            );
        }
    }

    /// Business hours in a zone follow its daylight saving; the stored times are UTC.
    #[test]
    fn a_zone_reads_the_hours_locally_across_daylight_saving() {
        let (_tmp, s, _j) = stores();
        let weekdays = parse_cron("0 9-21 * * MON-FRI").expect("weekdays");
        let london = zone(Some("Europe/London")).expect("a zone");
        // Friday 27 March 2026, 21:30 GMT: next is Monday 30 March, 09:00 BST (clocks went
        // forward on Sunday 29 March) = 08:00 UTC.
        assert_eq!(
            next_after(&weekdays, london, t("2026-03-27T21:30:00Z")).expect("next"),
            t("2026-03-30T08:00:00Z")
        );
        // Auckland (NZDT, UTC+13): Monday 09:00 is Sunday 20:00 UTC.
        let made = add(
            &s,
            "xero",
            "job-invoices",
            "0 9 * * MON",
            Some("Pacific/Auckland"),
            "ann",
            t("2026-02-27T00:00:00Z"),
        )
        .expect("added");
        assert_eq!(made.timezone, "Pacific/Auckland");
        assert_eq!(at(made.next_run_at), t("2026-03-01T20:00:00Z"));
        // Fired then, it moves to the next Monday 09:00 in Auckland.
        tick(&s, t("2026-03-01T20:00:00Z")).expect("tick");
        let after = s.get(made.id).expect("get").expect("there");
        assert_eq!(at(after.next_run_at), t("2026-03-08T20:00:00Z"));
        // The night the clocks go forward (29 March 2026, 01:00 → 02:00 in London), 01:30
        // does not exist: it runs at the first time after the gap.
        let half_past_one = parse_cron("30 1 * * *").expect("nightly");
        assert_eq!(
            next_after(&half_past_one, london, t("2026-03-28T02:00:00Z")).expect("next"),
            t("2026-03-29T01:00:00Z")
        );
        // The night they go back (25 October 2026), 01:30 comes twice: it runs once.
        let first = next_after(&half_past_one, london, t("2026-10-24T12:00:00Z")).expect("next");
        assert_eq!(first, t("2026-10-25T00:30:00Z"));
        assert_eq!(
            next_after(&half_past_one, london, first).expect("next"),
            t("2026-10-26T01:30:00Z")
        );
        // "utc" in any case, and nothing, are UTC.
        for given in [None, Some("utc"), Some("UTC"), Some("")] {
            assert_eq!(zone(given).expect("utc"), Tz::UTC, "{given:?}");
        }
    }

    #[test]
    fn every_transfer_name_round_trips_and_seconds_are_optional() {
        for name in TRANSFERS {
            assert_eq!(name_of(&request_for(name).expect("known")), name);
        }
        let every_two = parse_cron("*/2 * * * * *").expect("seconds");
        assert_eq!(
            next_after(&every_two, Tz::UTC, t("2026-03-02T10:00:01Z")).expect("next"),
            t("2026-03-02T10:00:02Z")
        );
        let weekdays = parse_cron("0 9-21 * * MON-FRI").expect("weekdays");
        // Friday 21:30 → Monday 09:00.
        assert_eq!(
            next_after(&weekdays, Tz::UTC, t("2026-03-06T21:30:00Z")).expect("next"),
            t("2026-03-09T09:00:00Z")
        );
    }
}
