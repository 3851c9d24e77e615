//! What a background job does: the request stored with it (the host's own versioned JSON)
//! and how the runner executes it through the application layer, as the CLI's `sync` and
//! `runs rollback` do.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::InvoiceKind;
use crate::store::jobs::{Job, ProgressRecord};
use crate::sync::apply::Summary;
use crate::sync::compare::Direction;
use crate::sync::progress::Progress;
use crate::transfer::invoices::PushOptions;
use crate::transfer::numbering::Numbering;
use crate::transfer::{Applied, ApplyOptions, Pick, TransferError, Transfers};

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
    /// Push every job or contract invoice due (`ledgerlink push-invoices`).
    PushInvoices {
        /// Job or contract invoices (not `kind`: that names the request's variant).
        invoices: PushKind,
        /// Who numbers them (Tracker Pro unless the request said `target`; a request
        /// stored before this field existed keeps Tracker Pro's numbers).
        #[serde(default)]
        numbering: Numbering,
    },
    /// Compare, then apply every Add and Update of the plan (never a Conflict):
    /// `ledgerlink compare` then `ledgerlink sync --plan N --all`.
    Transfer {
        /// What to compare.
        entity: TransferEntity,
        /// Customers only: from the target into Tracker Pro.
        pull: bool,
        /// Customers pulled only: read only what changed since the last complete pull.
        delta: bool,
    },
}

/// Which invoices a push sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushKind {
    /// Job invoices.
    Job,
    /// Contract (service) invoices.
    Contract,
}

impl PushKind {
    fn invoice_kind(self) -> InvoiceKind {
        match self {
            PushKind::Job => InvoiceKind::Job,
            PushKind::Contract => InvoiceKind::Contract,
        }
    }
}

/// What a [`JobRequest::Transfer`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransferEntity {
    /// Customers.
    Customers,
    /// Job invoices.
    JobInvoices,
    /// Contract invoices.
    ContractInvoices,
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
            JobRequest::PushInvoices { .. } => "push-invoices",
            JobRequest::Transfer { .. } => "transfer",
        }
    }

    /// The versioned JSON stored in the jobs table (and in a schedule).
    pub fn stored(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&StoredRequest {
            version: JOB_REQUEST_VERSION,
            work: self.clone(),
        })
    }
}

/// Read a stored request.
pub fn parse(job: &Job) -> Result<JobRequest, String> {
    parse_stored(&format!("job {}", job.id), &job.request)
}

/// Read the stored request `json` of `what` ("job 4", "schedule 2").
pub fn parse_stored(what: &str, json: &str) -> Result<JobRequest, String> {
    let stored: StoredRequest =
        serde_json::from_str(json).map_err(|e| format!("{what} has an unreadable request: {e}"))?;
    if stored.version > JOB_REQUEST_VERSION {
        return Err(format!(
            "{what} was queued by a newer ledgerlink (request version {}, this one reads {JOB_REQUEST_VERSION}); run it there",
            stored.version
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
    created: AtomicU64,
    updated: AtomicU64,
    failed: AtomicU64,
}

impl JobProgress {
    /// The step, its counts and tally now (no vendor wait: the runner adds that).
    pub fn snapshot(&self) -> ProgressRecord {
        let what = self
            .what
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let n = |a: &AtomicU64| i64::try_from(a.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        ProgressRecord {
            what,
            done: n(&self.done),
            total: n(&self.total),
            created: n(&self.created),
            updated: n(&self.updated),
            failed: n(&self.failed),
            wait: None,
        }
    }
}

impl Progress for JobProgress {
    fn begin(&self, what: &str, total: u64) {
        *self
            .what
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = what.to_owned();
        for counter in [&self.done, &self.created, &self.updated, &self.failed] {
            counter.store(0, Ordering::Relaxed);
        }
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
    fn finish(&self) {}
    fn outcome(&self, outcome: &str) {
        let counter = match outcome {
            "created" => &self.created,
            "updated" => &self.updated,
            // Nothing written, nothing wrong.
            "unchanged" | "skipped" => return,
            // Refused (failed, conflict, locked) or sent with its answer lost: not done.
            _ => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
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

/// Do `work` over `job_connection` (the job's connection) through `transfers`, reporting
/// to `progress`.
pub async fn execute(
    transfers: &Transfers,
    job_connection: &str,
    work: &JobRequest,
    progress: &dyn Progress,
) -> Outcome {
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
                Ok(applied) => applied_outcome(&applied, None),
                Err(e) => failed(format!("applying plan {plan} stopped: {e}")),
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
            Err(e) => failed(e.to_string()),
        },
        JobRequest::PushInvoices {
            invoices,
            numbering,
        } => {
            let options = PushOptions {
                kind: invoices.invoice_kind(),
                numbering: *numbering,
                demo: None,
            };
            match transfers
                .push_invoices(job_connection, options, progress)
                .await
            {
                Ok(summary) => summary_outcome(&summary),
                Err(e) => failed(e.to_string()),
            }
        }
        JobRequest::Transfer {
            entity,
            pull,
            delta,
        } => match compare_and_apply(transfers, job_connection, *entity, *pull, *delta, progress)
            .await
        {
            Ok((plan, applied)) => applied_outcome(&applied, Some(plan)),
            Err(e) => failed(e.to_string()),
        },
    }
}

/// Compare `entity` over `connection`, then apply every Add and Update of the plan: its id
/// and what applying did.
async fn compare_and_apply(
    transfers: &Transfers,
    connection: &str,
    entity: TransferEntity,
    pull: bool,
    delta: bool,
    progress: &dyn Progress,
) -> Result<(i64, Applied), TransferError> {
    let plan = match entity {
        TransferEntity::Customers => {
            let direction = if pull {
                Direction::Pull
            } else {
                Direction::Push
            };
            transfers
                .compare_customers(connection, direction, delta)
                .await?
                .plan_id
        }
        TransferEntity::JobInvoices | TransferEntity::ContractInvoices => {
            let kind = if entity == TransferEntity::JobInvoices {
                InvoiceKind::Job
            } else {
                InvoiceKind::Contract
            };
            transfers
                .compare_invoices(connection, kind, Numbering::Keep)
                .await?
                .0
        }
    };
    let options = ApplyOptions {
        pick: Pick::All,
        dry_run: false,
        demo: None,
    };
    let applied = transfers.apply(plan, &options, progress).await?;
    Ok((plan, applied))
}

fn failed(why: String) -> Outcome {
    Outcome {
        run_id: None,
        result: None,
        error: Some(why),
    }
}

fn summary_outcome(summary: &Summary) -> Outcome {
    Outcome {
        run_id: Some(summary.run_id),
        result: serde_json::to_string(summary).ok(),
        error: summary.trouble(),
    }
}

/// What applying did; with the plan a transfer compared first, the result names it.
fn applied_outcome(applied: &Applied, plan: Option<i64>) -> Outcome {
    let summary = match applied {
        Applied::Push(s) | Applied::Pull(s) => s,
    };
    let result = match plan {
        None => serde_json::to_string(applied).ok(),
        Some(plan) => serde_json::to_value(applied).ok().map(|mut v| {
            v["plan"] = serde_json::json!(plan);
            v.to_string()
        }),
    };
    Outcome {
        run_id: Some(summary.run_id),
        result,
        error: summary.trouble(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_tallies_outcomes_and_a_new_step_starts_from_zero() {
        let p = JobProgress::default();
        p.begin("sending customers", 4);
        for word in [
            "created",
            "created",
            "updated",
            "unchanged",
            "failed",
            "conflict",
        ] {
            p.outcome(word);
        }
        p.advance(4);
        let s = p.snapshot();
        assert_eq!(
            (
                s.what.as_str(),
                s.done,
                s.total,
                s.created,
                s.updated,
                s.failed
            ),
            ("sending customers", 4, 4, 2, 1, 2)
        );
        p.begin("sending job invoices", 2);
        let s = p.snapshot();
        assert_eq!(
            (s.done, s.total, s.created, s.updated, s.failed),
            (0, 2, 0, 0, 0)
        );
    }

    #[test]
    fn a_push_request_keeps_its_numbering_and_one_stored_without_it_keeps_tracker_pros() {
        let target = JobRequest::PushInvoices {
            invoices: PushKind::Job,
            numbering: Numbering::Target,
        };
        let stored = target.stored().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stored,
            r#"{"version":1,"kind":"push-invoices","invoices":"job","numbering":"target"}"#
        );
        assert_eq!(parse_stored("job 1", &stored), Ok(target));
        // As a job queued before the field existed was stored.
        assert_eq!(
            parse_stored(
                "job 2",
                r#"{"version":1,"kind":"push-invoices","invoices":"contract"}"#
            ),
            Ok(JobRequest::PushInvoices {
                invoices: PushKind::Contract,
                numbering: Numbering::Keep,
            })
        );
    }
}
