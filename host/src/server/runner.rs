//! The job runner inside `ledgerlink serve`: claims one job at a time from the store (see
//! `store::jobs` for the claim), renews its lease while the engine works, and records how
//! it ended. A job whose lease this process lost (it was too slow to renew, and another
//! process took the job over) is stopped without a word to the store; at shutdown the job is
//! stopped and queued again. Either way the next run of the same request finishes it through
//! the outbox's recovery: a write whose outcome was unknown is looked up in the target
//! before anything is sent again.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument as _;

use super::jobs::{self, JobProgress, Outcome};
use super::{AppState, on_engine};
use crate::store::jobs::Job;
use crate::store::schedules::Fired;

/// How often the queue is looked at when nothing woke the runner (a job queued by another
/// process, a lease that ran out).
const POLL: Duration = Duration::from_secs(1);

/// How often a running job writes its progress (and renews its lease) at the least.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// How often `serve --retention` purges.
pub const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Purge what is older than `period` at start and then once a day, until the server stops
/// (`ledgerlink serve --retention`): the same library function as `ledgerlink purge`,
/// audited as the server's.
pub async fn retention(state: AppState, period: crate::store::retention::Period) {
    let mut stopping = state.stopping();
    loop {
        if *stopping.borrow() {
            break;
        }
        let sync = crate::store::sync_state::SyncState::from_db(state.services().db());
        match on_engine(move || async move { sync.purge(period, false, "server") }).await {
            Ok(purged) => tracing::info!("retention {period}: removed {purged}"),
            Err(e) => tracing::error!("retention {period} failed (tried again tomorrow): {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETENTION_EVERY) => {}
            _ = stopping.changed() => {}
        }
    }
}

/// Run jobs until the server stops.
pub async fn run(state: AppState, lease: Duration) {
    let owner = match super::passwords::random_secret("") {
        Ok(r) => format!("pid {} {}", std::process::id(), &r[..8]),
        Err(_) => format!("pid {}", std::process::id()),
    };
    let lease_secs = i64::try_from(lease.as_secs().max(1)).unwrap_or(30);
    let mut stopping = state.stopping();
    loop {
        if *stopping.borrow() {
            break;
        }
        match state.jobs().claim(&owner, lease_secs) {
            Ok(Some(job)) => {
                let span = tracing::info_span!("job", id = job.id, kind = %job.kind, connection = %job.connection, attempt = job.attempts);
                run_one(&state, &owner, job, lease_secs, &mut stopping)
                    .instrument(span)
                    .await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!("could not read the job queue: {e}"),
        }
        tokio::select! {
            () = state.job_queued().notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stopping.changed() => {}
        }
    }
}

async fn run_one(
    state: &AppState,
    owner: &str,
    job: Job,
    lease_secs: i64,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
) {
    let id = job.id;
    if job.attempts > 1 {
        tracing::info!(
            "taking over job {id} (attempt {}): its last process stopped renewing its lease",
            job.attempts
        );
    }
    let work = match jobs::parse(&job) {
        Ok(w) => w,
        Err(why) => {
            record(
                state,
                id,
                owner,
                Outcome {
                    run_id: None,
                    result: None,
                    error: Some(why),
                },
            );
            return;
        }
    };
    let progress = Arc::new(JobProgress::default());
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let engine = {
        let state = state.clone();
        let progress = Arc::clone(&progress);
        let connection = job.connection.clone();
        on_engine(move || async move {
            let transfers = match state.transfers() {
                Ok(t) => t,
                Err(e) => {
                    return Some(Outcome {
                        run_id: None,
                        result: None,
                        error: Some(e.to_string()),
                    });
                }
            };
            tokio::select! {
                outcome = jobs::execute(&transfers, &connection, &work, &*progress) => Some(outcome),
                _ = cancelled => None,
            }
        })
    };
    tokio::pin!(engine);
    let mut cancel = Some(cancel);
    // The beat renews the lease and writes the progress the job's page shows, so it comes
    // at least every PROGRESS_EVERY (a vendor wait of a few seconds is still seen).
    let beat_every = Duration::from_millis(u64::try_from(lease_secs).unwrap_or(30) * 1000 / 3)
        .min(PROGRESS_EVERY);
    let mut beat = tokio::time::interval(beat_every.max(Duration::from_millis(200)));
    let vendor = state
        .services()
        .store
        .get(&job.connection)
        .map(|c| c.connector)
        .unwrap_or_default();
    let snapshot = || {
        let mut now = progress.snapshot();
        now.wait = state
            .services()
            .pacers
            .current(&job.connection)
            .and_then(|p| p.waiting())
            .map(|left| {
                (
                    i64::try_from(left.as_millis()).unwrap_or(i64::MAX),
                    vendor.clone(),
                )
            });
        now
    };
    loop {
        tokio::select! {
            outcome = &mut engine => {
                if let Some(outcome) = outcome {
                    // The last tally, so the finished job shows every record it counted.
                    if let Err(e) = state.jobs().heartbeat(id, owner, lease_secs, &snapshot()) {
                        tracing::warn!("job {id}: could not record its last progress: {e}");
                    }
                    record(state, id, owner, outcome);
                }
                return;
            }
            _ = beat.tick() => {
                match state.jobs().heartbeat(id, owner, lease_secs, &snapshot()) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("job {id}: another process took it over; stopping here");
                        if let Some(c) = cancel.take() { let _ = c.send(()); }
                        let _ = (&mut engine).await;
                        return;
                    }
                    Err(e) => tracing::error!("job {id}: could not renew its lease: {e}"),
                }
            }
            _ = stopping.changed() => {
                tracing::info!("job {id}: stopped by shutdown; queued again for the next start");
                if let Some(c) = cancel.take() { let _ = c.send(()); }
                let _ = (&mut engine).await;
                if let Err(e) = state.jobs().release(id, owner) {
                    tracing::error!("job {id}: could not queue it again ({e}); it is taken over when its lease ends");
                }
                return;
            }
        }
    }
}

/// Fire due schedules until the server stops: each tick (every [`POLL`]) queues one job per
/// due schedule (see [`super::schedules::tick`]) and wakes the job runner. Apart from the
/// job runner, so a long job does not hold back the schedules of other connections.
pub async fn fire_schedules(state: AppState) {
    let mut stopping = state.stopping();
    loop {
        if *stopping.borrow() {
            break;
        }
        match super::schedules::tick(state.schedules(), chrono::Utc::now()) {
            Ok(results) => {
                for r in results {
                    match r.fired {
                        Ok(Fired::Queued { job }) => {
                            tracing::info!("schedule {} queued job {job}", r.schedule);
                            state.job_queued().notify_one();
                        }
                        Ok(Fired::StillRunning { job }) => tracing::info!(
                            "schedule {} came due while its job {job} is still live; skipped this time",
                            r.schedule
                        ),
                        Ok(Fired::Lost) => {}
                        Err(why) => {
                            tracing::error!("could not fire schedule {}: {why}", r.schedule)
                        }
                    }
                }
            }
            Err(e) => tracing::error!("could not read the schedules: {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = stopping.changed() => {}
        }
    }
}

fn record(state: &AppState, id: i64, owner: &str, outcome: Outcome) {
    match &outcome.error {
        None => tracing::info!(run = ?outcome.run_id, "job {id} succeeded"),
        Some(why) => tracing::warn!(run = ?outcome.run_id, "job {id} failed: {why}"),
    }
    match state.jobs().finish(
        id,
        owner,
        outcome.run_id,
        outcome.result.as_deref(),
        outcome.error.as_deref(),
    ) {
        Ok(true) => {}
        Ok(false) => tracing::warn!("job {id} finished here after another process took it over"),
        Err(e) => tracing::error!("job {id}: could not record its end: {e}"),
    }
}
