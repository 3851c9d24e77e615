//! `ledgerlink quickstart --target csv`: the offline file-only variant.
//!
//! It pushes a small Tracker Pro-style book (customers, job invoices, a contract invoice)
//! through the built-in CSV connector into a fresh `quickstart` connection folder, pulls
//! everything back, and checks that every amount survived to the cent.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use ledgerlink::builtin;
use ledgerlink::files::ConnectionFolder;
use ledgerlink::runtime::bindings::{Customer, Invoice, InvoiceKind, PushResult, WriteAction};
use ledgerlink::runtime::{CallContext, SystemClock};

use super::super::{Env, sample, table};

/// The connection the quickstart writes to; emptied at the start of every run.
const CONNECTION: &str = "quickstart";

pub async fn run(env: &Env) -> anyhow::Result<()> {
    let folder_path = env.data.connection_files(CONNECTION);
    if folder_path.exists() {
        std::fs::remove_dir_all(&folder_path).with_context(|| {
            format!(
                "could not empty the quickstart folder {}",
                folder_path.display()
            )
        })?;
    }
    let folder = ConnectionFolder::open(&folder_path).with_context(|| {
        format!(
            "could not create the quickstart folder {}",
            folder_path.display()
        )
    })?;

    let csv = builtin::get("csv").context("this build has no built-in csv plugin")?;
    let plugin = env
        .runtime
        .load_bytes(csv.wasm, "built-in plugin csv")
        .await?;
    let ctx = CallContext {
        settings: BTreeMap::new(),
        http: None,
        folder: Some(Arc::new(folder)),
        clock: Arc::new(SystemClock),
    };

    println!(
        "ledgerlink quickstart: Tracker Pro sample book → {} ({} {})",
        plugin.manifest().display_name,
        plugin.manifest().name,
        plugin.manifest().version
    );
    let report = plugin
        .check(&ctx)
        .await?
        .map_err(connector_error("check"))?;
    println!("check: {}", report.message);

    let customers = sample::customers();
    let pushed_customers = plugin.push_customers(&ctx, customers.clone()).await?;
    let mut remote_ids = BTreeMap::new();
    for r in &pushed_customers {
        if let Ok(w) = &r.outcome {
            remote_ids.insert(r.key.clone(), w.remote_id.clone());
        }
    }

    // Invoices refer to their customer by the id the target gave it.
    let mut invoices = sample::invoices();
    for inv in &mut invoices {
        let key = sample::customer_key_for(&inv.customer.name);
        inv.customer.remote_id = key.and_then(|k| remote_ids.get(k).cloned());
    }
    let pushed_invoices = plugin.push_invoices(&ctx, invoices.clone()).await?;

    let mut t = table::new(&[
        "RECORD",
        "TRACKER PRO KEY",
        "NAME / NUMBER",
        "RESULT",
        "ID IN TARGET",
        "TOTAL",
    ]);
    let mut failures = 0;
    for (c, r) in customers.iter().zip(&pushed_customers) {
        failures += row(&mut t, "customer", c.name.clone(), String::new(), r);
    }
    for (inv, r) in invoices.iter().zip(&pushed_invoices) {
        let kind = match inv.kind {
            InvoiceKind::Job => "job invoice",
            InvoiceKind::Contract => "contract invoice",
        };
        failures += row(&mut t, kind, inv.number.clone(), inv.total.clone(), r);
    }
    println!("{t}");

    // Read back what the target now holds and compare it with what was sent.
    let pulled_customers = pull_all_customers(&plugin, &ctx).await?;
    let mut pulled_invoices = pull_all_invoices(&plugin, &ctx, InvoiceKind::Job).await?;
    pulled_invoices.extend(pull_all_invoices(&plugin, &ctx, InvoiceKind::Contract).await?);
    let mismatches = compare(&invoices, &pulled_invoices);
    println!(
        "read back: {} customers, {} invoices; totals and lines identical: {}",
        pulled_customers.len(),
        pulled_invoices.len(),
        if mismatches.is_empty() {
            "yes".to_owned()
        } else {
            format!("no ({})", mismatches.join("; "))
        }
    );
    println!("files: {}", folder_path.display());
    for name in ["customers.csv", "job-invoices.csv", "contract-invoices.csv"] {
        if folder_path.join(name).is_file() {
            println!("  {name}");
        }
    }
    if failures > 0 || !mismatches.is_empty() {
        bail!(
            "the quickstart transfer had {failures} failed record(s) and {} mismatch(es); see above",
            mismatches.len()
        );
    }
    println!(
        "Next: `ledgerlink plugins list` shows the connectors; docs/connector-guide.md shows how to write one."
    );
    Ok(())
}

fn row(
    t: &mut comfy_table::Table,
    kind: &str,
    name: String,
    total: String,
    r: &PushResult,
) -> usize {
    let (result, id, failed) = match &r.outcome {
        Ok(w) => {
            let action = match w.action {
                WriteAction::Created => "created",
                WriteAction::Updated => "updated",
                WriteAction::Unchanged => "unchanged",
            };
            (action.to_owned(), w.remote_id.clone(), 0)
        }
        Err(e) => (format!("failed: {}", e.describe()), String::new(), 1),
    };
    t.add_row(vec![
        kind.to_owned(),
        r.key.clone(),
        name,
        result,
        id,
        total,
    ]);
    failed
}

fn connector_error(
    op: &'static str,
) -> impl Fn(ledgerlink::runtime::bindings::ConnectorError) -> anyhow::Error {
    move |e| anyhow::anyhow!("the csv connector's {op} failed: {}", e.describe())
}

async fn pull_all_customers(
    plugin: &ledgerlink::runtime::Plugin,
    ctx: &CallContext,
) -> anyhow::Result<Vec<Customer>> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = plugin
            .pull_customers(ctx, None, cursor)
            .await?
            .map_err(connector_error("pull-customers"))?;
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

async fn pull_all_invoices(
    plugin: &ledgerlink::runtime::Plugin,
    ctx: &CallContext,
    kind: InvoiceKind,
) -> anyhow::Result<Vec<Invoice>> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = plugin
            .pull_invoices(ctx, kind, None, cursor)
            .await?
            .map_err(connector_error("pull-invoices"))?;
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// Amounts compared as decimals *and* as strings: "10.50" must come back "10.50".
fn compare(sent: &[Invoice], pulled: &[Invoice]) -> Vec<String> {
    let mut problems = Vec::new();
    for s in sent {
        let Some(p) = pulled.iter().find(|p| p.number == s.number) else {
            problems.push(format!("{} missing", s.number));
            continue;
        };
        let amounts = |i: &Invoice| {
            let mut v = vec![i.subtotal.clone(), i.tax_total.clone(), i.total.clone()];
            for l in &i.lines {
                v.extend([l.quantity.clone(), l.unit_price.clone(), l.amount.clone()]);
                v.extend(l.tax_amount.clone());
            }
            v
        };
        if amounts(s) != amounts(p) {
            problems.push(format!("{} amounts differ", s.number));
        }
    }
    problems
}
