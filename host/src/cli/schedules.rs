//! `ledgerlink schedules`: scheduled transfers, fired by `ledgerlink serve`. Parse, call the
//! library's schedules, print.

use anyhow::bail;
use clap::Subcommand;
use ledgerlink::server::api::schedules::ScheduleView;
use ledgerlink::server::schedules::{self as sched, at};
use ledgerlink::store::schedules::Schedules;

use super::{Env, table};

/// The transfer a schedule runs.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TransferArg {
    /// Compare customers (push) and apply every Add and Update.
    Customers,
    /// Compare customers from the target and pull every Add and Update into Tracker Pro.
    CustomersPull,
    /// As customers-pull, reading only what changed since the last complete pull.
    CustomersPullDelta,
    /// Compare job invoices and apply every Add and Update.
    JobInvoices,
    /// Compare contract invoices and apply every Add and Update.
    ContractInvoices,
    /// `ledgerlink push-invoices --kind job`.
    PushJobInvoices,
    /// `ledgerlink push-invoices --kind contract`.
    PushContractInvoices,
}

impl TransferArg {
    fn name(self) -> &'static str {
        match self {
            TransferArg::Customers => "customers",
            TransferArg::CustomersPull => "customers-pull",
            TransferArg::CustomersPullDelta => "customers-pull-delta",
            TransferArg::JobInvoices => "job-invoices",
            TransferArg::ContractInvoices => "contract-invoices",
            TransferArg::PushJobInvoices => "push-job-invoices",
            TransferArg::PushContractInvoices => "push-contract-invoices",
        }
    }
}

/// `ledgerlink schedules ...`
#[derive(Debug, Subcommand)]
pub enum SchedulesCommand {
    /// Run a transfer on a cron schedule (fired by `ledgerlink serve`).
    Add {
        /// The connection.
        #[arg(long)]
        connection: String,
        /// What to run.
        #[arg(long, value_enum)]
        transfer: TransferArg,
        /// When: five fields (minute hour day-of-month month day-of-week), or six with
        /// seconds first; e.g. "*/15 * * * *" or "0 9-21 * * MON-FRI".
        #[arg(long, value_name = "EXPR")]
        cron: String,
        /// The IANA time zone the expression is read in, e.g. Europe/London (it then
        /// follows daylight saving); UTC when left out.
        #[arg(long, value_name = "ZONE")]
        timezone: Option<String>,
    },
    /// The schedules and when each runs next.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop a schedule from firing until it is resumed.
    Pause {
        /// The schedule.
        id: i64,
    },
    /// Let a paused schedule fire again, from its next time after now.
    Resume {
        /// The schedule.
        id: i64,
    },
    /// Remove a schedule (the jobs it queued stay).
    Remove {
        /// The schedule.
        id: i64,
    },
}

/// Who makes changes from the command line, in the audit log.
const ACTOR: &str = "cli";

fn time(t: Option<i64>) -> String {
    t.map(|t| at(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".to_owned())
}

fn missing(id: i64) -> anyhow::Error {
    anyhow::anyhow!("there is no schedule {id}; `ledgerlink schedules list` shows them")
}

pub fn run(env: &Env, command: SchedulesCommand) -> anyhow::Result<()> {
    let schedules = Schedules::from_db(env.db()?);
    let now = chrono::Utc::now();
    match command {
        SchedulesCommand::Add {
            connection,
            transfer,
            cron,
            timezone,
        } => {
            // The connection must exist (its name as stored).
            let connection = env.store()?.get(&connection)?;
            let made = sched::add(
                &schedules,
                &connection.name,
                transfer.name(),
                &cron,
                timezone.as_deref(),
                ACTOR,
                now,
            )?;
            println!(
                "Added schedule {}: {} on {} at {:?} ({}); next run {}. `ledgerlink serve` runs it.",
                made.id,
                transfer.name(),
                made.connection,
                made.cron,
                made.timezone,
                time(Some(made.next_run_at))
            );
        }
        SchedulesCommand::List { json } => {
            let views: Vec<ScheduleView> = schedules
                .list()?
                .into_iter()
                .map(ScheduleView::of)
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
                return Ok(());
            }
            let mut t = table::new(&[
                "ID",
                "CONNECTION",
                "TRANSFER",
                "CRON",
                "STATE",
                "NEXT RUN",
                "LAST RUN",
                "LAST JOB",
            ]);
            for v in views {
                t.add_row(vec![
                    v.id.to_string(),
                    v.connection,
                    v.transfer,
                    format!("{} ({})", v.cron, v.timezone),
                    if v.paused { "paused" } else { "active" }.to_owned(),
                    if v.paused {
                        "-".to_owned()
                    } else {
                        time(Some(v.next_run_at))
                    },
                    time(v.last_run_at),
                    v.last_job_id
                        .map_or_else(|| "-".to_owned(), |j| j.to_string()),
                ]);
            }
            println!("{t}");
        }
        SchedulesCommand::Pause { id } | SchedulesCommand::Resume { id } => {
            let pause = matches!(command, SchedulesCommand::Pause { .. });
            let Some(s) = sched::set_paused(&schedules, id, pause, ACTOR, now)? else {
                return Err(missing(id));
            };
            if pause {
                println!("Paused schedule {id}; `ledgerlink schedules resume {id}` resumes it.");
            } else {
                println!(
                    "Resumed schedule {id}; next run {}.",
                    time(Some(s.next_run_at))
                );
            }
        }
        SchedulesCommand::Remove { id } => {
            if !schedules.remove(id, ACTOR, now.timestamp())? {
                bail!(missing(id));
            }
            println!("Removed schedule {id}; the jobs it queued stay.");
        }
    }
    Ok(())
}
