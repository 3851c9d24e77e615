//! `ledgerlink compare`, `ledgerlink sync`, `ledgerlink runs`.

use anyhow::{Context as _, bail};
use ledgerlink::auth::context;
use ledgerlink::store::sync_state::SyncState;
use ledgerlink::sync::apply;
use ledgerlink::sync::compare::{Action, Direction};
use ledgerlink::sync::customers::load_plan;
use ledgerlink::sync::plan::Selection;

use super::args::{CompareArgs, Entity, InvoiceKindArg, PushInvoicesArgs, RunsCommand, SyncArgs};
use super::{Env, connectors, table};
use ledgerlink::transfer::invoice_plans::InvoiceAction;

fn state(env: &Env) -> anyhow::Result<SyncState> {
    Ok(SyncState::open(&env.data.database())?)
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
        Entity::JobInvoices => Some(ledgerlink::runtime::bindings::InvoiceKind::Job),
        Entity::ContractInvoices => Some(ledgerlink::runtime::bindings::InvoiceKind::Contract),
    };
    if let Some(kind) = kind {
        if args.pull {
            bail!("invoices are compared for a push only; drop --pull");
        }
        return compare_invoices(env, &args, kind).await;
    }
    let services = env.services()?;
    let connection = services.store.get(&args.connection)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let direction = if args.pull {
        Direction::Pull
    } else {
        Direction::Push
    };
    let home = match direction {
        Direction::Push => ledgerlink::transfer::due::customers(
            &ledgerlink::store::home::HomeStore::open(&env.data.database())?,
            &state(env)?,
            &connection.name,
        )?,
        // Pulling compares with the whole book, flagged or not.
        Direction::Pull => ledgerlink::transfer::due::all_customers(
            &ledgerlink::store::home::HomeStore::open(&env.data.database())?,
        )?,
    };

    let state = state(env)?;
    let since = if args.delta {
        let mark = state.watermark(&connection.name, "customers", "pull")?;
        if mark.is_none() {
            bail!(
                "there has been no complete pull of customers from {} yet, so there is nothing to take a delta from; compare without --delta, then `ledgerlink sync --plan <n> --all`",
                connection.name
            );
        }
        mark
    } else {
        None
    };
    let (plan_id, plan) = ledgerlink::sync::customers::compare_and_plan_since(
        &state,
        &plugin,
        &ctx,
        &connection.name,
        &home,
        direction,
        since,
    )
    .await?;
    if let Some(since) = plan.since.as_ref().filter(|_| !args.json) {
        println!("Delta: the target's customers changed since {since}.");
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "plan": plan_id, "items": plan.items.iter().map(|p| {
                    let mut item = serde_json::to_value(&p.item).unwrap_or_default();
                    item["not_undoable"] = serde_json::json!(p.not_undoable);
                    item
                }).collect::<Vec<_>>(), "refused": plan.refused })
            )?
        );
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
    kind: ledgerlink::runtime::bindings::InvoiceKind,
) -> anyhow::Result<()> {
    let services = env.services()?;
    let connection = services.store.get(&args.connection)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let home = ledgerlink::store::home::HomeStore::open(&env.data.database())?;
    let state = state(env)?;
    let (plan_id, plan) = ledgerlink::transfer::invoice_plans::compare(
        &home,
        &state,
        &plugin,
        &ctx,
        &connection.name,
        kind,
        library_numbering(args.numbering),
    )
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

/// `sync --plan N` for an invoice plan.
async fn sync_invoices(
    env: &Env,
    args: &SyncArgs,
    plan: ledgerlink::transfer::invoice_plans::InvoicePlan,
) -> anyhow::Result<()> {
    use ledgerlink::transfer::invoice_plans::RowSelection;
    let selection = match (&args.select, args.all, args.all_adds, args.all_updates) {
        (Some(keys), false, false, false) => RowSelection::Keys(
            keys.split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
        ),
        (None, true, false, false) => RowSelection::All,
        (None, false, true, false) => RowSelection::AllAdds,
        (None, false, false, true) => RowSelection::AllUpdates,
        _ => bail!("choose exactly one of --select <keys>, --all, --all-adds, --all-updates"),
    };
    let state = state(env)?;
    let services = env.services()?;
    let connection = services.store.get(&plan.connection)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let summary = ledgerlink::transfer::invoice_plans::apply(
        &state,
        &plugin,
        &ctx,
        args.plan,
        &plan,
        &selection,
        args.demo,
        args.dry_run,
        &super::progress::Terminal::new(),
    )
    .await?;
    println!(
        "Run {}{}: {} created, {} updated, {} unchanged, {} locked, {} for review, {} in conflict, {} skipped, {} failed. `ledgerlink runs show {}` has every record.",
        summary.run_id,
        if args.dry_run {
            " (dry run: nothing was sent)"
        } else {
            ""
        },
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.locked,
        summary.review,
        summary.conflict,
        summary.skipped,
        summary.failed,
        summary.run_id
    );
    if summary.failed > 0 || summary.conflict > 0 {
        bail!(
            "{} record(s) failed and {} are in conflict; see `ledgerlink runs show {}`",
            summary.failed,
            summary.conflict,
            summary.run_id
        );
    }
    Ok(())
}

pub async fn sync(env: &Env, args: SyncArgs) -> anyhow::Result<()> {
    if let Some(plan) = ledgerlink::transfer::invoice_plans::load(&state(env)?, args.plan)? {
        return sync_invoices(env, &args, plan).await;
    }
    let selection = match (args.select, args.all, args.all_adds, args.all_updates) {
        (Some(keys), false, false, false) => Selection::Keys(
            keys.split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
        ),
        (None, true, false, false) => Selection::All,
        (None, false, true, false) => Selection::AllAdds,
        (None, false, false, true) => Selection::AllUpdates,
        _ => bail!("choose exactly one of --select <keys>, --all, --all-adds, --all-updates"),
    };
    let state = state(env)?;
    let plan = load_plan(&state, args.plan)?;
    // Demo: the first N selected rows only; a later full run applies the rest.
    let selection = match args.demo {
        None => selection,
        Some(n) => Selection::Keys(
            plan.items
                .iter()
                .filter(|p| selection.includes(&p.item))
                .take(n)
                .filter_map(|p| match plan.direction {
                    Direction::Push => p.item.home_key.clone(),
                    Direction::Pull => p.item.remote_id.clone(),
                })
                .collect(),
        ),
    };
    if plan.direction == Direction::Pull {
        let home = ledgerlink::store::home::HomeStore::open(&env.data.database())?;
        let summary = ledgerlink::sync::pull::pull_customers(
            &state,
            &home,
            args.plan,
            &plan,
            &selection,
            args.dry_run,
        )?;
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
        return Ok(());
    }
    let services = env.services()?;
    let connection = services.store.get(&plan.connection)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let summary = apply::push_customers(
        &state,
        &plugin,
        &ctx,
        args.plan,
        &plan,
        &selection,
        args.dry_run,
        &super::progress::Terminal::new(),
    )
    .await
    .with_context(|| format!("applying plan {} stopped", args.plan))?;
    if summary.recovered > 0 {
        println!(
            "Resolved {} write(s) left unfinished by an interrupted run first.",
            summary.recovered
        );
    }
    println!(
        "Run {}{}: {} created, {} updated, {} unchanged, {} skipped, {} failed. `ledgerlink runs show {}` has every record.",
        summary.run_id,
        if args.dry_run { " (dry run)" } else { "" },
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.skipped,
        summary.failed,
        summary.run_id
    );
    if summary.failed > 0 {
        bail!(
            "{} record(s) failed; see `ledgerlink runs show {}`",
            summary.failed,
            summary.run_id
        );
    }
    Ok(())
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
                    r.status,
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
    use ledgerlink::runtime::bindings::InvoiceKind;
    let kind = match args.kind {
        InvoiceKindArg::Job => InvoiceKind::Job,
        InvoiceKindArg::Contract => InvoiceKind::Contract,
    };
    let options = ledgerlink::transfer::invoices::PushOptions {
        kind,
        numbering: match args.numbering {
            super::args::Numbering::Keep => ledgerlink::transfer::numbering::Numbering::Keep,
            super::args::Numbering::Target => ledgerlink::transfer::numbering::Numbering::Target,
        },
        demo: args.demo,
    };
    let home = ledgerlink::store::home::HomeStore::open(&env.data.database())?;
    let state = state(env)?;
    let due = ledgerlink::transfer::invoices::due(&home, &state, &args.connection, options)?;
    if args.dry_run {
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
    let services = env.services()?;
    let connection = services.store.get(&args.connection)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let summary = ledgerlink::transfer::invoices::push(
        &home,
        &state,
        &plugin,
        &ctx,
        &connection.name,
        options,
        &super::progress::Terminal::new(),
    )
    .await?;
    println!(
        "Run {}: {} created, {} updated, {} unchanged, {} for review, {} in conflict, {} skipped, {} failed (customers created for their invoices are counted). `ledgerlink runs show {}` has every record.",
        summary.run_id,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.review,
        summary.conflict,
        summary.skipped,
        summary.failed,
        summary.run_id
    );
    if summary.review > 0 {
        println!(
            "{} customer(s) need a decision before their invoices go: `ledgerlink reviews list --connection {}`.",
            summary.review, connection.name
        );
    }
    if summary.failed > 0 || summary.conflict > 0 {
        bail!(
            "{} record(s) failed and {} are in conflict; see `ledgerlink runs show {}`",
            summary.failed,
            summary.conflict,
            summary.run_id
        );
    }
    Ok(())
}

pub async fn rollback(env: &Env, id: i64) -> anyhow::Result<()> {
    let state = state(env)?;
    let (run, _) = state.run(id)?;
    let services = env.services()?;
    let connection = services.store.get(&run.connection)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    if !plugin.can("delete") {
        bail!(
            "connector {} cannot delete records, so run {id} cannot be rolled back; remove what it created by hand (`ledgerlink runs show {id}` lists it)",
            plugin.manifest().name
        );
    }
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let summary =
        ledgerlink::sync::rollback::rollback(&state, &plugin, &ctx, &connection.name, id).await?;
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
