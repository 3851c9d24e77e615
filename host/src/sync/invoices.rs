//! Pushing job and contract invoices, with their customers resolved first.
//!
//! For each invoice's customer: the id map; else matched locally against the target's
//! customers (read once, then by delta — [`super::matching`] has the rules: a name links,
//! an e-mail or tax number alone raises a review item, a customer linked elsewhere is a
//! conflict); else the customer is created (through the outbox like any write; all missing
//! customers of a run together, in batches). Every link is recorded before any invoice is
//! sent, and each customer is resolved once per run, so 50 invoices for a new customer
//! create it once.
//!
//! Document numbers are identities: an invoice already sent is updated in place (its
//! remote id from the id map), and no invoice is sent with a number the target already
//! uses for another document — that is a per-record conflict, never an overwrite.

use std::collections::{HashMap, HashSet};

use super::apply::{ApplyError, Summary};
use super::fingerprint;
use super::matching::{Directory, HomeCustomerRef, MatchRule, Resolution, name_identity};
use super::results;
use crate::runtime::bindings::{
    Customer, CustomerQuery, Invoice, InvoiceKind, WriteAction, Written,
};
use crate::runtime::{CallContext, Plugin};
use crate::store::connections::unix;
use crate::store::directory::{Review, TargetCustomer, TargetDocument};
use crate::store::sync_state::{MapEntry, RunItem, SyncState};
use sha2::{Digest, Sha256};

/// An invoice to push and the home customer it bills.
#[derive(Debug, Clone)]
pub struct InvoiceJob {
    /// The invoice (key = home key).
    pub invoice: Invoice,
    /// Its customer as the home book has it (key = home key).
    pub customer: Customer,
    /// For overwriting a document edited in the target (a Conflict selected by key): the
    /// target version being overwritten. It makes the write's idempotency key new, so
    /// neither the outbox nor the vendor replays the earlier write instead.
    pub overwrite: Option<String>,
}

/// The id-map entity of an invoice kind.
pub fn entity(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Job => "job-invoices",
        InvoiceKind::Contract => "contract-invoices",
    }
}

fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How an invoice is named in reports: its number, or (when the target numbers it) its
/// reference or home key.
pub fn label(invoice: &Invoice) -> String {
    if !invoice.number.is_empty() {
        invoice.number.clone()
    } else {
        invoice
            .reference
            .clone()
            .unwrap_or_else(|| invoice.key.clone())
    }
}

fn now() -> i64 {
    unix(std::time::SystemTime::now())
}

/// What stops a customer (and so its invoices) from being sent: the run-item outcome
/// (`review`, `conflict`, `skipped`, `failed`) and the reason.
type Blocked = (&'static str, String);

/// Push `jobs` over `connection`.
///
/// A run that stops on an error is marked `failed` with the reason, never left `running`.
pub async fn push(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    jobs: Vec<InvoiceJob>,
    progress: &dyn super::progress::Progress,
) -> Result<Summary, ApplyError> {
    push_with(
        state,
        plugin,
        ctx,
        connection,
        kind,
        jobs,
        progress,
        None,
        Vec::new(),
    )
    .await
}

/// [`push`] as the run of plan `plan_id`, with `notes` (rows the plan did not send: locked,
/// unchanged) recorded in the same run.
#[allow(clippy::too_many_arguments)]
pub async fn push_with(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    jobs: Vec<InvoiceJob>,
    progress: &dyn super::progress::Progress,
    plan_id: Option<i64>,
    notes: Vec<RunItem>,
) -> Result<Summary, ApplyError> {
    let entity = entity(kind);
    // Writes an interrupted run left in flight are resolved before anything new is sent.
    let mut recovered = super::apply::recover_customers(state, plugin, ctx, connection).await?;
    recovered += recover_invoices(state, plugin, ctx, connection, kind).await?;
    let pacer = ctx.http.as_ref().and_then(|h| h.pacer()).cloned();
    if let Some(daily) = pacer.as_ref().and_then(|p| p.daily_limit()) {
        let linked: HashSet<String> = state
            .id_map(connection, "customers")?
            .into_iter()
            .map(|e| e.home_key)
            .collect();
        // An upper bound on the customers to create: every unlinked one.
        let unlinked = jobs
            .iter()
            .map(|j| j.customer.key.as_str())
            .filter(|k| !linked.contains(*k))
            .collect::<HashSet<_>>()
            .len();
        if let Some(text) = super::budget::warning(
            state,
            connection,
            &plugin.manifest().display_name,
            daily,
            jobs.len() + unlinked,
            now(),
        )? {
            progress.note(&text);
        }
    }
    let sent_before = pacer.as_ref().map(|p| p.sent());
    let run_id = state.start_run(plan_id, connection, entity, "push", false)?;
    for note in &notes {
        state.record_item(run_id, note)?;
    }
    let outcome = super::apply::budgeted(
        ctx,
        push_run(
            state, plugin, ctx, connection, kind, jobs, progress, run_id, recovered,
        ),
    )
    .await;
    let outcome = outcome.map(|mut s| {
        for note in &notes {
            match note.outcome.as_str() {
                "unchanged" => s.unchanged += 1,
                "locked" => s.locked += 1,
                _ => s.skipped += 1,
            }
        }
        s
    });
    if let (Some(p), Some(before)) = (&pacer, sent_before) {
        state.record_calls(run_id, p.sent().saturating_sub(before))?;
    }
    if outcome.is_err() {
        progress.finish();
    }
    super::apply::ended(state, run_id, outcome)
}

#[allow(clippy::too_many_arguments)]
async fn push_run(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    jobs: Vec<InvoiceJob>,
    progress: &dyn super::progress::Progress,
    run_id: i64,
    recovered: usize,
) -> Result<Summary, ApplyError> {
    let entity = entity(kind);
    let rule = MatchRule::from_setting(ctx.settings.get("customer-matching").map(String::as_str))
        .map_err(ApplyError::Setting)?;
    let target = plugin.manifest().display_name.clone();
    // Read-back looks at what changed in the target from a little before this run.
    let read_back_since = chrono::Utc::now() - chrono::Duration::minutes(5);
    let mut summary = Summary {
        run_id,
        recovered,
        ..Summary::default()
    };
    let customers = resolve_customers(
        state,
        plugin,
        ctx,
        connection,
        run_id,
        &jobs,
        &mut summary,
        rule,
        &target,
    )
    .await?;

    // Document numbers are identities: what the target already uses, and by whom.
    super::directory::refresh_documents(state, plugin, ctx, connection, run_id).await?;
    let mut numbers: HashMap<String, Vec<TargetDocument>> = HashMap::new();
    for d in state.target_documents(connection)? {
        numbers.entry(name_identity(&d.number)).or_default().push(d);
    }
    let own: HashMap<String, String> = state
        .id_map(connection, entity)?
        .into_iter()
        .map(|e| (e.home_key, e.remote_id))
        .collect();
    let mut owner: HashMap<String, String> = HashMap::new();
    for kind_entity in ["job-invoices", "contract-invoices"] {
        for e in state.id_map(connection, kind_entity)? {
            owner.insert(e.remote_id, e.home_key);
        }
    }

    let mut sending: Vec<(String, Invoice)> = Vec::new();
    let mut numbered_now: HashMap<String, String> = HashMap::new();
    for job in jobs {
        let mut invoice = job.invoice;
        let base = RunItem {
            home_key: Some(invoice.key.clone()),
            remote_id: None,
            name: label(&invoice),
            outcome: String::new(),
            reason: String::new(),
        };
        let resolved = customers
            .get(&job.customer.key)
            .cloned()
            .unwrap_or_else(|| Err(("failed", "the customer could not be resolved".to_owned())));
        let remote_customer = match resolved {
            Ok(id) => id,
            Err((_, reason)) => {
                state.record_item(
                    run_id,
                    &RunItem {
                        outcome: "skipped".to_owned(),
                        reason: format!("not sent: its customer {:?} {reason}", job.customer.name),
                        ..base
                    },
                )?;
                summary.skipped += 1;
                continue;
            }
        };
        invoice.customer.remote_id = Some(remote_customer);
        // Sent before: update that document in place, never create a second one.
        let mapped = own.get(&invoice.key).cloned();
        invoice.remote_id = mapped.clone();
        if let Some(reason) = number_taken(
            &invoice,
            mapped.as_deref(),
            &numbers,
            &owner,
            &numbered_now,
            &target,
        ) {
            state.record_item(
                run_id,
                &RunItem {
                    outcome: "conflict".to_owned(),
                    reason,
                    ..base
                },
            )?;
            summary.conflict += 1;
            continue;
        }
        if !invoice.number.is_empty() {
            numbered_now.insert(name_identity(&invoice.number), invoice.key.clone());
        }
        let fp = fingerprint::invoice(&invoice);
        let k = match &job.overwrite {
            None => key(&[connection, entity, &invoice.key, &fp]),
            Some(there) => key(&[connection, entity, &invoice.key, &fp, there]),
        };
        invoice.idempotency_key = Some(k.clone());
        let payload = serde_json::to_string(&invoice).unwrap_or_default();
        if state.record_intent(run_id, connection, entity, &invoice.key, &k, &payload)? {
            sending.push((k, invoice));
        } else {
            state.record_item(
                run_id,
                &RunItem {
                    outcome: "unchanged".to_owned(),
                    reason: "already sent by an earlier run".to_owned(),
                    ..base
                },
            )?;
            summary.unchanged += 1;
        }
    }

    progress.begin(
        match kind {
            InvoiceKind::Job => "sending job invoices",
            InvoiceKind::Contract => "sending contract invoices",
        },
        sending.len() as u64,
    );
    let mut written: Vec<(Invoice, String)> = Vec::new();
    for chunk in sending.chunks(super::apply::BATCH) {
        // Let the run budget's timer be looked at between batches.
        tokio::task::yield_now().await;
        let batch: Vec<Invoice> = chunk.iter().map(|(_, i)| i.clone()).collect();
        let results = plugin.push_invoices(ctx, batch).await?;
        let mut checked = results::check(
            &plugin.manifest().name,
            chunk
                .iter()
                .map(|(_, i)| (i.key.as_str(), i.remote_id.as_deref())),
            results,
            |id| owner.get(id).cloned(),
        );
        for (k, invoice) in chunk {
            let base = RunItem {
                home_key: Some(invoice.key.clone()),
                remote_id: None,
                name: label(invoice),
                outcome: String::new(),
                reason: String::new(),
            };
            match results::take(&mut checked, &plugin.manifest().name, &invoice.key) {
                Ok(w) => {
                    let fp = fingerprint::invoice(invoice);
                    // Say what happened in the target: a document named by its id was
                    // updated there, whatever the connector calls it.
                    let outcome = match (w.action, &invoice.remote_id) {
                        (WriteAction::Unchanged, _) => "unchanged",
                        (_, Some(_)) => "updated",
                        (WriteAction::Updated, None) => "updated",
                        (WriteAction::Created, None) => "created",
                    };
                    let entry = MapEntry {
                        home_key: invoice.key.clone(),
                        remote_id: w.remote_id.clone(),
                        home_fingerprint: fp.clone(),
                        remote_fingerprint: fp,
                        synced_at: now(),
                    };
                    state.settle(
                        run_id,
                        connection,
                        entity,
                        k,
                        &entry,
                        &RunItem {
                            remote_id: Some(w.remote_id.clone()),
                            outcome: outcome.to_owned(),
                            ..base
                        },
                    )?;
                    owner.insert(w.remote_id.clone(), invoice.key.clone());
                    let mut sent = invoice.clone();
                    sent.remote_id = Some(w.remote_id.clone());
                    if let Some(doc) = super::directory::target_document(entity, &sent) {
                        state.upsert_target_documents(connection, &[doc])?;
                    }
                    match outcome {
                        "created" => summary.created += 1,
                        "updated" => summary.updated += 1,
                        _ => summary.unchanged += 1,
                    }
                    if outcome != "unchanged" {
                        written.push((sent, outcome.to_owned()));
                    }
                }
                Err(refusal) => {
                    state.fail_intent(
                        run_id,
                        k,
                        &RunItem {
                            outcome: refusal.outcome().to_owned(),
                            reason: refusal.reason.clone(),
                            ..base
                        },
                    )?;
                    if refusal.conflict {
                        summary.conflict += 1;
                    } else {
                        summary.failed += 1;
                    }
                }
            }
        }
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    if !written.is_empty() && plugin.can("pull-invoices") {
        let since = read_back_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (differ, matched) = read_back(plugin, ctx, kind, &since, &written).await?;
        for (home_key, fp) in matched {
            state.set_remote_fingerprint(connection, entity, &home_key, &fp)?;
        }
        for (home_key, outcome, reason) in differ {
            state.amend_item(run_id, &home_key, "failed", &reason)?;
            match outcome.as_str() {
                "created" => summary.created -= 1,
                _ => summary.updated -= 1,
            }
            summary.failed += 1;
        }
    }
    Ok(summary)
}

/// Why `invoice`'s number cannot be used for it in the target, if it cannot: another
/// document there has it (sent for another Tracker Pro record, or not sent by ledgerlink
/// at all), or another invoice of this run does.
fn number_taken(
    invoice: &Invoice,
    mapped: Option<&str>,
    numbers: &HashMap<String, Vec<TargetDocument>>,
    owner: &HashMap<String, String>,
    numbered_now: &HashMap<String, String>,
    target: &str,
) -> Option<String> {
    if invoice.number.is_empty() {
        return None;
    }
    let identity = name_identity(&invoice.number);
    if let Some(other) = numbered_now.get(&identity).filter(|k| **k != invoice.key) {
        return Some(format!(
            "invoice number {} is also the number of Tracker Pro record {other} in this run; give each document its own number",
            invoice.number
        ));
    }
    let holder = numbers
        .get(&identity)?
        .iter()
        .find(|d| Some(d.remote_id.as_str()) != mapped)?;
    Some(match owner.get(&holder.remote_id) {
        Some(home) => format!(
            "invoice number {} is already used in {target} by document {}, sent for Tracker Pro record {home}; not sent, so that invoice is not overwritten — renumber one of them in Tracker Pro",
            invoice.number, holder.remote_id
        ),
        None => format!(
            "invoice number {} is already used in {target} by document {}, which ledgerlink did not send; not sent, so that invoice is not overwritten — renumber it in Tracker Pro or in {target}",
            invoice.number, holder.remote_id
        ),
    })
}

/// `(home key, outcome, why)` of each document that read back differently, and `(home
/// key, marked fingerprint of the target's version)` of each that read back the same.
type ReadBack = (Vec<(String, String, String)>, Vec<(String, String)>);

/// Reads the documents just written back from the target and compares everything that
/// was sent (see [`super::readback`]). Returns `(home key, outcome it had, reason)` for
/// every one that differs or cannot be found.
async fn read_back(
    plugin: &Plugin,
    ctx: &CallContext,
    kind: InvoiceKind,
    since: &str,
    written: &[(Invoice, String)],
) -> Result<ReadBack, ApplyError> {
    let remote: HashMap<String, Invoice> =
        match super::paging::invoices(plugin, ctx, kind, Some(since.to_owned())).await {
            Ok((pulled, _refused)) => pulled
                .into_iter()
                .filter_map(|i| i.remote_id.clone().map(|id| (id, i)))
                .collect(),
            Err(super::paging::PullError::Call(e)) => return Err(e.into()),
            Err(e) => {
                let reason = format!("written, but it could not be read back to check it: {e}");
                return Ok((
                    written
                        .iter()
                        .map(|(i, o)| (i.key.clone(), o.clone(), reason.clone()))
                        .collect(),
                    Vec::new(),
                ));
            }
        };
    let mut differ = Vec::new();
    let mut matched = Vec::new();
    for (sent, outcome) in written {
        let id = sent.remote_id.as_deref().unwrap_or_default();
        let Some(there) = remote.get(id) else {
            differ.push((
                sent.key.clone(),
                outcome.clone(),
                format!(
                    "{outcome} as {id}, but the target did not return it when read back; check invoice {} there",
                    label(sent)
                ),
            ));
            continue;
        };
        let differences = super::readback::compare(sent, there);
        if differences.is_empty() {
            matched.push((
                sent.key.clone(),
                READ_BACK_MARK.to_owned() + &fingerprint::invoice(there),
            ));
        } else {
            differ.push((
                sent.key.clone(),
                outcome.clone(),
                format!(
                    "{outcome} as {id}, but the target holds it differently — {}; correct invoice {} in the target or the home book",
                    super::readback::describe(&differences),
                    label(sent)
                ),
            ));
        }
    }
    Ok((differ, matched))
}

/// Marks a remote fingerprint taken from the target's own version (the read-back), which a
/// later compare can hold a fresh read against to see an accountant's edit.
pub const READ_BACK_MARK: &str = "target:";

/// Each distinct customer of `jobs` → its id in the target (linked, matched, or created),
/// or why it has none. Matching is local, against one (delta) read of the target's
/// customers ([`super::matching`]); customers to create are created together, in batches,
/// through the outbox like any write; each link is recorded before any invoice is sent.
#[allow(clippy::too_many_arguments)]
async fn resolve_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
    jobs: &[InvoiceJob],
    summary: &mut Summary,
    rule: MatchRule,
    target: &str,
) -> Result<HashMap<String, Result<String, Blocked>>, ApplyError> {
    let links: Vec<(String, String)> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| (e.home_key, e.remote_id))
        .collect();
    let linked: HashSet<&str> = links.iter().map(|(h, _)| h.as_str()).collect();
    let mut distinct: Vec<&Customer> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for job in jobs {
        if seen.insert(job.customer.key.as_str()) {
            distinct.push(&job.customer);
        }
    }
    let unlinked: Vec<&Customer> = distinct
        .iter()
        .copied()
        .filter(|c| !linked.contains(c.key.as_str()))
        .collect();
    // The target is read only when some customer is not linked yet.
    let known = if unlinked.is_empty() {
        Vec::new()
    } else if super::directory::refresh_customers(state, plugin, ctx, connection, run_id).await? {
        state.target_customers(connection)?
    } else {
        find_each(plugin, ctx, connection, &unlinked).await?
    };
    let mut dir = Directory::new(known, links);

    let mut resolved: HashMap<String, Result<String, Blocked>> = HashMap::new();
    let mut creating: HashMap<String, (String, String)> = HashMap::new();
    let mut to_create: Vec<(String, Customer)> = Vec::new();
    for customer in distinct {
        let base = RunItem {
            home_key: Some(customer.key.clone()),
            remote_id: None,
            name: customer.name.clone(),
            outcome: String::new(),
            reason: String::new(),
        };
        let decision = state.review_decision(connection, &customer.key)?;
        let home = HomeCustomerRef {
            key: &customer.key,
            name: &customer.name,
            email: customer.email.as_deref(),
            tax_number: customer.tax_number.as_deref(),
        };
        let outcome = match dir.resolve(&home, rule, decision.as_ref(), target) {
            Resolution::Linked(id) => Ok(id),
            Resolution::Link(id) => {
                let entry = MapEntry {
                    home_key: customer.key.clone(),
                    remote_id: id.clone(),
                    home_fingerprint: fingerprint::customer(customer),
                    remote_fingerprint: String::new(),
                    synced_at: now(),
                };
                state.link(connection, "customers", &entry)?;
                dir.link(&customer.key, &id);
                let there = dir
                    .get(&id)
                    .map(|c| format!("{:?} ", c.name))
                    .unwrap_or_default();
                state.record_item(
                    run_id,
                    &RunItem {
                        remote_id: Some(id.clone()),
                        outcome: "linked".to_owned(),
                        reason: format!("linked to {target} customer {there}({id})"),
                        ..base.clone()
                    },
                )?;
                Ok(id)
            }
            Resolution::Create => {
                let identity = name_identity(&customer.name);
                if let Some((k, n)) = creating.get(&identity) {
                    Err((
                        "conflict",
                        format!(
                            "has the same name as Tracker Pro customer {n:?} ({k}) for {target}, which compares names without case and surrounding spaces; {target} keeps one customer per name — rename one of them"
                        ),
                    ))
                } else {
                    creating.insert(identity, (customer.key.clone(), customer.name.clone()));
                    // Not in the target: create it, through the outbox like any write.
                    let fp = fingerprint::customer(customer);
                    let k = key(&[connection, "customers", &customer.key, &fp]);
                    let mut sent = customer.clone();
                    sent.idempotency_key = Some(k.clone());
                    let payload = serde_json::to_string(&sent).unwrap_or_default();
                    state.record_intent(
                        run_id,
                        connection,
                        "customers",
                        &customer.key,
                        &k,
                        &payload,
                    )?;
                    to_create.push((k, sent));
                    continue;
                }
            }
            Resolution::Review { candidates, reason } => {
                state.raise_review(&Review {
                    connection: connection.to_owned(),
                    home_key: customer.key.clone(),
                    home_name: customer.name.clone(),
                    candidates,
                    reason: reason.clone(),
                    run_id,
                    decision: None,
                })?;
                Err((
                    "review",
                    format!(
                        "{reason} Decide with `ledgerlink reviews resolve --connection {connection} {} --link <id>|--create|--skip`.",
                        customer.key
                    ),
                ))
            }
            Resolution::Conflict(reason) => Err(("conflict", reason)),
            Resolution::Skip => Err((
                "skipped",
                "left out by the decision on its review (`ledgerlink reviews` lists it)".to_owned(),
            )),
        };
        if let Err((what, reason)) = &outcome {
            state.record_item(
                run_id,
                &RunItem {
                    outcome: (*what).to_owned(),
                    reason: reason.clone(),
                    ..base
                },
            )?;
            match *what {
                "review" => summary.review += 1,
                "conflict" => summary.conflict += 1,
                _ => summary.skipped += 1,
            }
        }
        resolved.insert(customer.key.clone(), outcome);
    }
    for chunk in to_create.chunks(super::apply::BATCH) {
        tokio::task::yield_now().await;
        let batch: Vec<Customer> = chunk.iter().map(|(_, c)| c.clone()).collect();
        let results = plugin.push_customers(ctx, batch).await?;
        let mut checked = results::check(
            &plugin.manifest().name,
            chunk.iter().map(|(_, c)| (c.key.as_str(), None)),
            results,
            |id| {
                state
                    .linked_home_key(connection, "customers", id)
                    .ok()
                    .flatten()
            },
        );
        let mut created = Vec::new();
        for (k, customer) in chunk {
            let result = results::take(&mut checked, &plugin.manifest().name, &customer.key)
                .map_err(|r| r.reason);
            let outcome =
                settle_created_customer(state, connection, run_id, k, customer, result, summary)?;
            if let Ok(id) = &outcome {
                let mut there = customer.clone();
                there.remote_id = Some(id.clone());
                created.extend(super::directory::target_customer(&there));
            }
            resolved.insert(customer.key.clone(), outcome.map_err(|r| ("failed", r)));
        }
        state.upsert_target_customers(connection, &created)?;
    }
    Ok(resolved)
}

/// For a connector that cannot list its customers: look each unlinked customer up by name
/// and by e-mail (two calls a customer; the matching rules stay the same).
async fn find_each(
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    customers: &[&Customer],
) -> Result<Vec<TargetCustomer>, ApplyError> {
    let mut found: HashMap<String, TargetCustomer> = HashMap::new();
    for customer in customers {
        let queries = [
            CustomerQuery {
                name: Some(customer.name.clone()),
                email: None,
                tax_number: None,
            },
            CustomerQuery {
                name: None,
                email: customer.email.clone(),
                tax_number: None,
            },
        ];
        for query in queries {
            if query.name.is_none() && query.email.is_none() {
                continue;
            }
            let page = plugin.find_customers(ctx, query).await?.map_err(|e| {
                ApplyError::Read(format!(
                    "the customer {} could not be looked up in {connection}: {}",
                    customer.name,
                    e.describe()
                ))
            })?;
            for c in page.iter().filter_map(super::directory::target_customer) {
                found.insert(c.remote_id.clone(), c);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Settle the outbox intent of a customer created for its invoices.
fn settle_created_customer(
    state: &SyncState,
    connection: &str,
    run_id: i64,
    k: &str,
    customer: &Customer,
    result: Result<Written, String>,
    summary: &mut Summary,
) -> Result<Result<String, String>, ApplyError> {
    let fp = fingerprint::customer(customer);
    let base = RunItem {
        home_key: Some(customer.key.clone()),
        remote_id: None,
        name: customer.name.clone(),
        outcome: String::new(),
        reason: String::new(),
    };
    match result {
        Ok(w) => {
            let entry = MapEntry {
                home_key: customer.key.clone(),
                remote_id: w.remote_id.clone(),
                home_fingerprint: fp.clone(),
                remote_fingerprint: fp,
                synced_at: now(),
            };
            state.settle(
                run_id,
                connection,
                "customers",
                k,
                &entry,
                &RunItem {
                    remote_id: Some(w.remote_id.clone()),
                    outcome: "created".to_owned(),
                    reason: "customer created automatically for its invoices".to_owned(),
                    ..base
                },
            )?;
            summary.created += 1;
            Ok(Ok(w.remote_id))
        }
        Err(e) => {
            let reason = format!("could not be created: {e}");
            state.fail_intent(
                run_id,
                k,
                &RunItem {
                    outcome: "failed".to_owned(),
                    reason: reason.clone(),
                    ..base
                },
            )?;
            summary.failed += 1;
            Ok(Err(reason))
        }
    }
}

/// Resolve invoice intents an interrupted run left pending: an invoice with the same
/// number already in the target is settled with its id; otherwise it is sent again.
async fn recover_invoices(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
) -> Result<usize, ApplyError> {
    let entity = entity(kind);
    let pending = state.pending(connection, entity)?;
    if pending.is_empty() {
        return Ok(0);
    }
    // What the target holds, by document number.
    let (pulled, _refused) = super::paging::invoices(plugin, ctx, kind, None)
        .await
        .map_err(|e| {
            ApplyError::Recovery(format!(
                "cannot tell which invoices were sent before the interruption: {e}"
            ))
        })?;
    let remote: HashMap<String, String> = pulled
        .into_iter()
        .filter_map(|i| i.remote_id.map(|id| (i.number, id)))
        .collect();
    let run_id = state.start_run(None, connection, entity, "recover", false)?;
    let outcome = recover_invoice_intents(
        state, plugin, ctx, connection, kind, run_id, pending, remote,
    )
    .await;
    super::apply::ended(state, run_id, outcome)
}

#[allow(clippy::too_many_arguments)]
async fn recover_invoice_intents(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    run_id: i64,
    pending: Vec<crate::store::sync_state::Intent>,
    remote: HashMap<String, String>,
) -> Result<usize, ApplyError> {
    let entity = entity(kind);
    let mut resolved = 0;
    for intent in &pending {
        state.mark_interrupted(intent.run_id)?;
    }
    for intent in pending {
        let invoice: Invoice = serde_json::from_str(&intent.payload).map_err(|e| {
            ApplyError::Recovery(format!(
                "the pending write {} cannot be read back: {e}",
                intent.idempotency_key
            ))
        })?;
        // Target-numbered invoices (empty number) cannot be found by number; the connector's
        // idempotency key makes sending them again safe.
        let found = (!invoice.number.is_empty())
            .then(|| remote.get(&invoice.number))
            .flatten();
        let result = match found {
            Some(id) => Ok(Written {
                remote_id: id.clone(),
                version: None,
                action: WriteAction::Created,
            }),
            None => {
                let results = plugin.push_invoices(ctx, vec![invoice.clone()]).await?;
                let name = &plugin.manifest().name;
                let mut checked = results::check(
                    name,
                    std::iter::once((invoice.key.as_str(), invoice.remote_id.as_deref())),
                    results,
                    |id| state.linked_home_key(connection, entity, id).ok().flatten(),
                );
                results::take(&mut checked, name, &invoice.key)
            }
        };
        let base = RunItem {
            home_key: Some(invoice.key.clone()),
            remote_id: None,
            name: label(&invoice),
            outcome: String::new(),
            reason: String::new(),
        };
        match result {
            Ok(w) => {
                let fp = fingerprint::invoice(&invoice);
                let entry = MapEntry {
                    home_key: invoice.key.clone(),
                    remote_id: w.remote_id.clone(),
                    home_fingerprint: fp.clone(),
                    remote_fingerprint: fp,
                    synced_at: now(),
                };
                state.settle(
                    run_id,
                    connection,
                    entity,
                    &intent.idempotency_key,
                    &entry,
                    &RunItem {
                        remote_id: Some(w.remote_id),
                        outcome: "created".to_owned(),
                        reason: "completed after an interrupted run".to_owned(),
                        ..base
                    },
                )?;
            }
            Err(e) => {
                state.fail_intent(
                    run_id,
                    &intent.idempotency_key,
                    &RunItem {
                        outcome: e.outcome().to_owned(),
                        reason: e.reason,
                        ..base
                    },
                )?;
            }
        }
        resolved += 1;
    }
    Ok(resolved)
}
