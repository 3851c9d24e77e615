//! `ledgerlink compare`, `ledgerlink sync`, `ledgerlink runs`.

use anyhow::bail;
use ledgerlink::store::sync_state::SyncState;
use ledgerlink::sync::apply;
use ledgerlink::sync::compare::{Action, Direction};
use ledgerlink::transfer::{Applied, ApplyOptions, Pick, TransferError, Transfers};

use super::args::{CompareArgs, Entity, InvoiceKindArg, PushInvoicesArgs, RunsCommand, SyncArgs};
use super::{Env, table};
use ledgerlink::transfer::invoice_plans::InvoiceAction;

/// `compare customers --json`: `{"items": [...], "plan": N, "refused": [...]}`, written as it
/// is serialized, one row's JSON value at a time — never a tree of the whole plan (100,000
/// rows made one of ~100,000 maps). The bytes are those of the `json!` tree this replaced:
/// serde_json's maps are sorted by key, so the keys are written in that order.
struct PlanJson<'a> {
    plan_id: i64,
    plan: &'a ledgerlink::sync::plan::Plan,
}

impl serde::Serialize for PlanJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("items", &PlanRows(&self.plan.items))?;
        map.serialize_entry("plan", &self.plan_id)?;
        map.serialize_entry(
            "refused",
            &serde_json::to_value(&self.plan.refused).unwrap_or_default(),
        )?;
        map.end()
    }
}

/// A plan's rows, each as its item's fields plus `not_undoable`.
struct PlanRows<'a>(&'a [ledgerlink::sync::plan::PlannedItem]);

impl serde::Serialize for PlanRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for p in self.0 {
            let mut item = serde_json::to_value(&p.item).unwrap_or_default();
            item["not_undoable"] = serde_json::json!(p.not_undoable);
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

fn state(env: &Env) -> anyhow::Result<SyncState> {
    env.sync_state()
}

/// The application layer over this data folder.
pub(crate) fn transfers(env: &Env) -> anyhow::Result<Transfers> {
    Ok(Transfers::new(env.services()?, env.runtime.clone())?)
}

/// `--select` / `--all` / `--all-adds` / `--all-updates` as the library's pick.
fn pick(args: &SyncArgs) -> anyhow::Result<Pick> {
    Ok(
        match (&args.select, args.all, args.all_adds, args.all_updates) {
            (Some(keys), false, false, false) => Pick::Keys(
                keys.split(',')
                    .map(|k| k.trim().to_owned())
                    .filter(|k| !k.is_empty())
                    .collect(),
            ),
            (None, true, false, false) => Pick::All,
            (None, false, true, false) => Pick::AllAdds,
            (None, false, false, true) => Pick::AllUpdates,
            _ => bail!("choose exactly one of --select <keys>, --all, --all-adds, --all-updates"),
        },
    )
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Add => "Add",
        Action::Update => "Update",
        Action::Unchanged => "Unchanged",
        Action::Conflict => "Conflict",
    }
}

/// Which value of a difference is shown first (the one being replaced).
#[derive(Clone, Copy)]
enum Side {
    HomeFirst,
    RemoteFirst,
}

/// The DIFFERENCES cell: one `field: before → after` line per difference.
fn differences(diffs: &[ledgerlink::sync::diff::FieldDiff], side: Side) -> String {
    diffs
        .iter()
        .map(|d| {
            let (from, to) = match side {
                Side::HomeFirst => (&d.home, &d.remote),
                Side::RemoteFirst => (&d.remote, &d.home),
            };
            format!(
                "{}: {} → {}",
                d.field,
                from.as_deref().unwrap_or("∅"),
                to.as_deref().unwrap_or("∅")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ROLLBACK cell of a row that writes (`writes`) or does not.
fn rollback_cell(not_undoable: &Option<String>, writes: bool) -> String {
    match (not_undoable, writes) {
        (_, false) => String::new(),
        (None, true) => "can be undone".to_owned(),
        (Some(why), true) => format!("cannot be undone: {why}"),
    }
}

pub async fn compare(env: &Env, args: CompareArgs) -> anyhow::Result<()> {
    let kind = match args.entity {
        Entity::Customers => None,
        Entity::JobInvoices => Some(ledgerlink::model::InvoiceKind::Job),
        Entity::ContractInvoices => Some(ledgerlink::model::InvoiceKind::Contract),
        Entity::Orders => Some(ledgerlink::model::InvoiceKind::Order),
    };
    if let Some(kind) = kind {
        if args.pull {
            bail!("invoices are compared for a push only; drop --pull");
        }
        return compare_invoices(env, &args, kind).await;
    }
    let direction = if args.pull {
        Direction::Pull
    } else {
        Direction::Push
    };
    let ledgerlink::transfer::session::CustomerComparison { plan_id, plan } = transfers(env)?
        .compare_customers(&args.connection, direction, args.delta)
        .await?;
    if let Some(since) = plan.since.as_ref().filter(|_| !args.json) {
        println!("Delta: the target's customers changed since {since}.");
    }
    if args.json {
        use std::io::Write as _;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(
            &mut out,
            &PlanJson {
                plan_id,
                plan: &plan,
            },
        )?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    let mut t = table::new(&[
        "ACTION",
        "TRACKER PRO",
        "TARGET",
        "NAME",
        "WHY",
        "DIFFERENCES",
        "ROLLBACK",
    ]);
    for p in &plan.items {
        let i = &p.item;
        let diffs = differences(&i.diffs, Side::HomeFirst);
        t.add_row(vec![
            action_name(i.action).to_owned(),
            i.home_key.clone().unwrap_or_default(),
            table::printable(&i.remote_id.clone().unwrap_or_default()),
            table::printable(&i.name),
            table::printable(&i.reason),
            table::printable(&diffs),
            rollback_cell(&p.not_undoable, i.action != Action::Unchanged),
        ]);
    }
    println!("{t}");
    if !plan.refused.is_empty() {
        println!(
            "{} record(s) from the target were refused and are not in the plan:",
            plan.refused.len()
        );
        for r in &plan.refused {
            println!(
                "  {}: {}",
                table::printable(r.remote_id.as_deref().unwrap_or("(no usable id)")),
                table::printable(&r.reason)
            );
        }
    }
    let undoable = plan
        .items
        .iter()
        .filter(|p| p.item.action != Action::Unchanged && p.not_undoable.is_some())
        .count();
    if undoable > 0 {
        println!(
            "Note: {undoable} row(s) cannot be undone by `ledgerlink runs rollback` once applied (see ROLLBACK)."
        );
    }
    let count = |a: Action| plan.items.iter().filter(|p| p.item.action == a).count();
    println!(
        "Plan {plan_id}: {} to add, {} to update, {} unchanged, {} in conflict.",
        count(Action::Add),
        count(Action::Update),
        count(Action::Unchanged),
        count(Action::Conflict)
    );
    println!(
        "Apply it with `ledgerlink sync --plan {plan_id} --all` (or --select <keys>, --all-adds, --all-updates; --dry-run first if you like)."
    );
    Ok(())
}

fn library_numbering(n: super::args::Numbering) -> ledgerlink::transfer::numbering::Numbering {
    match n {
        super::args::Numbering::Keep => ledgerlink::transfer::numbering::Numbering::Keep,
        super::args::Numbering::Target => ledgerlink::transfer::numbering::Numbering::Target,
    }
}

fn invoice_action_name(a: InvoiceAction) -> &'static str {
    match a {
        InvoiceAction::Add => "Add",
        InvoiceAction::Update => "Update",
        InvoiceAction::Unchanged => "Unchanged",
        InvoiceAction::Conflict => "Conflict",
        InvoiceAction::Locked => "Locked",
    }
}

/// `compare job-invoices` / `compare contract-invoices`.
async fn compare_invoices(
    env: &Env,
    args: &CompareArgs,
    kind: ledgerlink::model::InvoiceKind,
) -> anyhow::Result<()> {
    let (plan_id, plan) = transfers(env)?
        .compare_invoices(&args.connection, kind, library_numbering(args.numbering))
        .await?;
    if args.json {
        let rows: Vec<serde_json::Value> = plan
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "home_key": r.home_key, "number": r.number, "customer": r.customer,
                    "total": r.total, "action": r.action, "remote_id": r.remote_id,
                    "reason": r.reason, "diffs": r.diffs,
                    "creates_customer": r.creates_customer, "not_undoable": r.not_undoable,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "plan": plan_id, "items": rows, "refused": plan.refused })
            )?
        );
        return Ok(());
    }
    let mut t = table::new(&[
        "ACTION",
        "TRACKER PRO",
        "NUMBER",
        "CUSTOMER",
        "TOTAL",
        "TARGET",
        "WHY",
        "DIFFERENCES",
        "ROLLBACK",
    ]);
    for r in &plan.rows {
        let diffs = differences(&r.diffs, Side::RemoteFirst);
        t.add_row(vec![
            invoice_action_name(r.action).to_owned(),
            r.home_key.clone(),
            table::printable(&r.number),
            table::printable(&r.customer),
            r.total.clone(),
            table::printable(r.remote_id.as_deref().unwrap_or("")),
            table::printable(&r.reason),
            table::printable(&diffs),
            rollback_cell(
                &r.not_undoable,
                !matches!(r.action, InvoiceAction::Unchanged | InvoiceAction::Locked),
            ),
        ]);
    }
    println!("{t}");
    let count = |a: InvoiceAction| plan.rows.iter().filter(|r| r.action == a).count();
    let customers = plan
        .rows
        .iter()
        .filter(|r| r.creates_customer && r.action == InvoiceAction::Add)
        .map(|r| r.customer.as_str())
        .collect::<std::collections::BTreeSet<_>>();
    if !customers.is_empty() {
        println!(
            "{} customer(s) not linked yet are matched or created first: {}.",
            customers.len(),
            customers
                .into_iter()
                .map(table::printable)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "Plan {plan_id}: {} to add, {} to update, {} unchanged, {} in conflict, {} locked.",
        count(InvoiceAction::Add),
        count(InvoiceAction::Update),
        count(InvoiceAction::Unchanged),
        count(InvoiceAction::Conflict),
        count(InvoiceAction::Locked)
    );
    println!(
        "Start Sync with `ledgerlink sync --plan {plan_id} --all` (or --select <keys>, --all-adds, --all-updates; --dry-run first if you like). Conflicts go only when selected by key; Locked rows never."
    );
    Ok(())
}

/// Print a run's summary; an error when it did not complete.
fn report(summary: &apply::Summary, dry_run: bool) -> anyhow::Result<()> {
    if let Some(note) = summary.recovery_note() {
        println!("{note}");
    }
    println!("{}", summary.describe(dry_run));
    match summary.trouble() {
        Some(why) => bail!(why),
        None => Ok(()),
    }
}

pub async fn sync(env: &Env, args: SyncArgs) -> anyhow::Result<()> {
    let options = ApplyOptions {
        pick: pick(&args)?,
        dry_run: args.dry_run,
        demo: args.demo,
    };
    let applied = match transfers(env)?
        .apply(args.plan, &options, &super::progress::Terminal::new())
        .await
    {
        Ok(applied) => applied,
        // A refusal already says what and what to do; a stop mid-run says which plan.
        Err(e @ (TransferError::Dangling(_) | TransferError::Refused(_))) => return Err(e.into()),
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("applying plan {} stopped", args.plan))
            );
        }
    };
    match applied {
        Applied::Push(summary) => report(&summary, args.dry_run),
        Applied::Pull(summary) => {
            println!(
                "Run {}{} (into Tracker Pro): {} created, {} updated, {} unchanged, {} skipped, {} failed. `ledgerlink runs show {}` has every record.",
                summary.run_id,
                if args.dry_run { " (dry run)" } else { "" },
                summary.created,
                summary.updated,
                summary.unchanged,
                summary.skipped,
                summary.failed,
                summary.run_id
            );
            Ok(())
        }
    }
}

pub async fn runs(env: &Env, command: RunsCommand) -> anyhow::Result<()> {
    let state = state(env)?;
    match command {
        RunsCommand::List { json } => {
            let runs = state.runs()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
                return Ok(());
            }
            let mut t = table::new(&[
                "RUN",
                "PLAN",
                "CONNECTION",
                "ENTITY",
                "DIRECTION",
                "DRY RUN",
                "STATUS",
            ]);
            for r in runs {
                t.add_row(vec![
                    r.id.to_string(),
                    r.plan_id.map(|p| p.to_string()).unwrap_or_default(),
                    r.connection,
                    r.entity,
                    r.direction,
                    if r.dry_run { "yes" } else { "" }.to_owned(),
                    if r.items_purged_at.is_some() {
                        format!("{} (records purged)", r.status)
                    } else {
                        r.status
                    },
                ]);
            }
            println!("{t}");
        }
        RunsCommand::Rollback { id } => rollback(env, id).await?,
        RunsCommand::Show { id, json, csv } => {
            let (run, items) = state.run(id)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "run": run, "items": items })
                    )?
                );
            } else if csv {
                // Skipped and failed records, for whoever fixes the data.
                let mut w = csv::Writer::from_writer(std::io::stdout());
                w.write_record(["home_key", "remote_id", "name", "outcome", "reason"])?;
                for i in items.iter().filter(|i| {
                    matches!(
                        i.outcome.as_str(),
                        "skipped" | "failed" | "review" | "conflict"
                    )
                }) {
                    w.write_record([
                        i.home_key.as_deref().unwrap_or(""),
                        i.remote_id.as_deref().unwrap_or(""),
                        &i.name,
                        &i.outcome,
                        &i.reason,
                    ])?;
                }
                w.flush()?;
            } else {
                println!(
                    "Run {} of plan {} on {} ({} {}), {}",
                    run.id,
                    run.plan_id
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                    run.connection,
                    run.direction,
                    run.entity,
                    run.status
                );
                if let Some(why) = &run.failure {
                    println!("It stopped: {}", table::printable(why));
                }
                if let Some((at, counts)) = state.purged_items(id)? {
                    let counts: Vec<String> =
                        counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
                    println!(
                        "Its records were removed by retention (`ledgerlink purge`) on {}; it had {}.",
                        chrono::DateTime::from_timestamp(at, 0)
                            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_default(),
                        if counts.is_empty() {
                            "none".to_owned()
                        } else {
                            counts.join(", ")
                        }
                    );
                    return Ok(());
                }
                let mut t = table::new(&["TRACKER PRO", "TARGET", "NAME", "OUTCOME", "REASON"]);
                for i in items {
                    t.add_row(vec![
                        i.home_key.unwrap_or_default(),
                        i.remote_id.unwrap_or_default(),
                        table::printable(&i.name),
                        i.outcome,
                        table::printable(&i.reason),
                    ]);
                }
                println!("{t}");
            }
        }
    }
    Ok(())
}

pub async fn push_invoices(env: &Env, args: PushInvoicesArgs) -> anyhow::Result<()> {
    use ledgerlink::model::InvoiceKind;
    let kind = match args.kind {
        InvoiceKindArg::Job => InvoiceKind::Job,
        InvoiceKindArg::Contract => InvoiceKind::Contract,
        InvoiceKindArg::Order => InvoiceKind::Order,
    };
    let options = ledgerlink::transfer::invoices::PushOptions {
        kind,
        numbering: match args.numbering {
            super::args::Numbering::Keep => ledgerlink::transfer::numbering::Numbering::Keep,
            super::args::Numbering::Target => ledgerlink::transfer::numbering::Numbering::Target,
        },
        demo: args.demo,
    };
    let transfers = transfers(env)?;
    if args.dry_run {
        let due = transfers.invoices_due(&args.connection, options)?;
        let mut t = table::new(&["TRACKER PRO", "NUMBER", "CUSTOMER", "TOTAL"]);
        for j in &due {
            t.add_row(vec![
                j.invoice.key.clone(),
                j.invoice.number.clone(),
                j.customer.name.clone(),
                j.invoice.total.clone(),
            ]);
        }
        println!("{t}");
        println!(
            "Dry run: {} invoice(s) would be sent; nothing was written.",
            due.len()
        );
        return Ok(());
    }
    let summary = transfers
        .push_invoices(&args.connection, options, &super::progress::Terminal::new())
        .await?;
    if summary.review > 0 {
        println!(
            "{} customer(s) need a decision before their invoices go: `ledgerlink reviews list --connection {}`.",
            summary.review, args.connection
        );
    }
    report(&summary, false)
}

pub async fn rollback(env: &Env, id: i64) -> anyhow::Result<()> {
    let summary = transfers(env)?.rollback(id).await?;
    println!(
        "Rolled back run {id} (run {}): {} deleted, {} could not be deleted.",
        summary.run_id, summary.updated, summary.failed
    );
    if summary.failed > 0 {
        bail!(
            "{} record(s) could not be deleted; `ledgerlink runs show {}` says which and why",
            summary.failed,
            summary.run_id
        );
    }
    Ok(())
}

pub fn audit(env: &Env, json: bool) -> anyhow::Result<()> {
    let entries = state(env)?.audit_log()?;
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| t.to_string())
    };
    if json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|(t, action, detail)| serde_json::json!({"at": at(*t), "action": action, "detail": detail}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut t = table::new(&["AT", "WHAT", "DETAIL"]);
    for (time, action, detail) in entries {
        t.add_row(vec![at(time), action, detail]);
    }
    println!("{t}");
    Ok(())
}
