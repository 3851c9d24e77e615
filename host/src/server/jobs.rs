//! What a background job does: the request stored with it (the host's own versioned JSON)
//! and how the runner executes it through the application layer, as the CLI's `sync` and
//! `runs rollback` do.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::jobs::Job;
use crate::sync::progress::Progress;
use crate::transfer::{Applied, ApplyOptions, Pick, Transfers};

/// The version of [`JobRequest`]'s stored form; a newer one is refused, never misread.
pub const JOB_REQUEST_VERSION: u32 = 1;

/// What to do, as stored in the jobs table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredRequest {
    /// [`JOB_REQUEST_VERSION`].
    pub version: u32,
    /// The work.
    #[serde(flatten)]
    pub work: JobRequest,
}

/// The work of a job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum JobRequest {
    /// Apply rows of a stored plan (`ledgerlink sync`).
    Apply {
        /// The plan.
        plan: i64,
        /// Which rows: "all", "adds", "updates", or keys.
        pick: StoredPick,
        /// Change nothing.
        dry_run: bool,
        /// Only the first N picked rows.
        demo: Option<usize>,
    },
    /// Undo a run (`ledgerlink runs rollback`).
    Rollback {
        /// The run.
        run: i64,
    },
}

/// A plan selection as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoredPick {
    /// Every row that writes.
    All,
    /// Every Add.
    Adds,
    /// Every Update.
    Updates,
    /// These keys.
    Keys(Vec<String>),
}

impl JobRequest {
    /// The kind column.
    pub fn kind(&self) -> &'static str {
        match self {
            JobRequest::Apply { .. } => "apply",
            JobRequest::Rollback { .. } => "rollback",
        }
    }
}

/// Read a stored request.
pub fn parse(job: &Job) -> Result<JobRequest, String> {
    let stored: StoredRequest = serde_json::from_str(&job.request)
        .map_err(|e| format!("job {} has an unreadable request: {e}", job.id))?;
    if stored.version > JOB_REQUEST_VERSION {
        return Err(format!(
            "job {} was queued by a newer ledgerlink (request version {}, this one reads {JOB_REQUEST_VERSION}); run it there",
            job.id, stored.version
        ));
    }
    Ok(stored.work)
}

/// Progress of the running job, read by the heartbeat.
#[derive(Debug, Default)]
pub struct JobProgress {
    what: Mutex<String>,
    done: AtomicU64,
    total: AtomicU64,
}

impl JobProgress {
    /// (step, done, total) now.
    pub fn snapshot(&self) -> (String, i64, i64) {
        let what = self
            .what
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let n = |a: &AtomicU64| i64::try_from(a.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        (what, n(&self.done), n(&self.total))
    }
}

impl Progress for JobProgress {
    fn begin(&self, what: &str, total: u64) {
        *self
            .what
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = what.to_owned();
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
    fn finish(&self) {}
}

/// How a job ended: the run it made, the engine's summary (JSON), and why it failed if it
/// did (the CLI's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The run.
    pub run_id: Option<i64>,
    /// The engine's summary.
    pub result: Option<String>,
    /// Why it did not complete.
    pub error: Option<String>,
}

/// Do `work` through `transfers`, reporting to `progress`.
pub async fn execute(transfers: &Transfers, work: &JobRequest, progress: &dyn Progress) -> Outcome {
    match work {
        JobRequest::Apply {
            plan,
            pick,
            dry_run,
            demo,
        } => {
            let options = ApplyOptions {
                pick: match pick {
                    StoredPick::All => Pick::All,
                    StoredPick::Adds => Pick::AllAdds,
                    StoredPick::Updates => Pick::AllUpdates,
                    StoredPick::Keys(k) => Pick::Keys(k.clone()),
                },
                dry_run: *dry_run,
                demo: *demo,
            };
            match transfers.apply(*plan, &options, progress).await {
                Ok(applied) => {
                    let summary = match &applied {
                        Applied::Push(s) | Applied::Pull(s) => s,
                    };
                    Outcome {
                        run_id: Some(summary.run_id),
                        result: serde_json::to_string(&applied).ok(),
                        error: summary.trouble(),
                    }
                }
                Err(e) => Outcome {
                    run_id: None,
                    result: None,
                    error: Some(format!("applying plan {plan} stopped: {e}")),
                },
            }
        }
        JobRequest::Rollback { run } => match transfers.rollback(*run).await {
            Ok(summary) => Outcome {
                run_id: Some(summary.run_id),
                result: serde_json::to_string(&summary).ok(),
                error: (summary.failed > 0).then(|| {
                    format!(
                        "{} record(s) could not be deleted; run {} says which and why",
                        summary.failed, summary.run_id
                    )
                }),
            },
            Err(e) => Outcome {
                run_id: None,
                result: None,
                error: Some(e.to_string()),
            },
        },
    }
}
