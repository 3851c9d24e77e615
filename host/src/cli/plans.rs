//! `ledgerlink plans`: a stored compare read back (the same rows `GET /api/v1/plans/{id}`
//! gives), through [`ledgerlink::transfer::plan_view`].

use clap::Subcommand;
use ledgerlink::transfer::plan_view::{self, PlanFilter};

use super::{Env, table};

/// `ledgerlink plans ...`
#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// A plan's rows with their flags, reasons and differences.
    Show {
        /// The plan (from `ledgerlink compare`).
        id: i64,
        /// Only rows with this flag: add, update, unchanged, conflict or locked.
        #[arg(long)]
        flag: Option<String>,
        /// Only rows whose key, remote id, name, number or customer contains this.
        #[arg(long)]
        search: Option<String>,
        /// Skip this many of the matching rows.
        #[arg(long, default_value_t = 0)]
        skip: usize,
        /// At most this many rows (1 to 500).
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(env: &Env, command: PlansCommand) -> anyhow::Result<()> {
    let state = env.sync_state()?;
    match command {
        PlansCommand::Show {
            id,
            flag,
            search,
            skip,
            limit,
            json,
        } => {
            let filter = PlanFilter {
                flag,
                search,
                after: skip,
                limit,
            };
            let page = plan_view::page(&state, id, &filter)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&page)?);
                return Ok(());
            }
            let mut t = table::new(&["FLAG", "KEY", "NAME", "CUSTOMER", "TOTAL", "WHY"]);
            for r in &page.rows {
                let mut why = table::printable(&r.reason);
                for d in &r.diffs {
                    why.push_str(&format!(
                        "\n  {}: {} → {}",
                        d.field,
                        table::printable(d.home.as_deref().unwrap_or("(none)")),
                        table::printable(d.remote.as_deref().unwrap_or("(none)"))
                    ));
                }
                if r.creates_customer {
                    why.push_str("\n  its customer is matched or created first");
                }
                if let Some(n) = &r.not_undoable {
                    why.push_str(&format!(
                        "\n  rollback cannot undo it: {}",
                        table::printable(n)
                    ));
                }
                t.add_row(vec![
                    r.flag.clone(),
                    r.key.clone(),
                    table::printable(&r.name),
                    table::printable(r.customer.as_deref().unwrap_or("")),
                    r.total.clone().unwrap_or_default(),
                    why,
                ]);
            }
            println!("{t}");
            let counts: Vec<String> = plan_view::FLAGS
                .iter()
                .filter_map(|f| page.counts.get(*f).map(|n| format!("{n} {f}")))
                .collect();
            println!(
                "Plan {} ({} {} on {}): {}. Rows {}–{} of {} matching.",
                page.plan,
                page.entity,
                page.direction,
                page.connection,
                if counts.is_empty() {
                    "no rows".to_owned()
                } else {
                    counts.join(", ")
                },
                if page.rows.is_empty() { 0 } else { skip + 1 },
                skip + page.rows.len(),
                page.matching
            );
            if let Some(next) = page.next {
                println!(
                    "More: `ledgerlink plans show {id} --skip {next}` (with the same filters)."
                );
            }
            for r in &page.refused {
                println!(
                    "Refused from the target: {} field {}: {}",
                    r.remote_id.as_deref().unwrap_or("(no id)"),
                    r.field,
                    table::printable(&r.reason)
                );
            }
        }
    }
    Ok(())
}
