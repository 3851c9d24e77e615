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
use super::matching::{Directory, HomeCustomerRef, MatchRule, Resolution, name_identity};
use super::outbox::{Outbox, Outcome, Recovered};
use crate::model::fingerprint;
use crate::model::{Customer, CustomerQuery, Invoice, InvoiceKind};
use crate::runtime::{CallContext, Plugin};
use crate::store::connections::unix;
use crate::store::directory::{Review, TargetCustomer, TargetDocument};
use crate::store::sync_state::{MapEntry, RunItem, SyncState};

pub use super::verify::{READ_BACK_BY_ID_MAX, READ_BACK_MARK};

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

/// One invoice handed out by an [`InvoiceBatches`] source.
#[derive(Debug, Clone)]
pub struct Billing {
    /// The invoice (key = home key).
    pub invoice: Invoice,
    /// The home key of the customer it bills.
    pub customer_key: String,
    /// As [`InvoiceJob::overwrite`].
    pub overwrite: Option<String>,
}

/// Where a push's invoices come from: first the customers they bill (every one is resolved
/// before any invoice is sent), then the invoices a batch at a time, so a push holds one
/// batch of invoices, not every invoice it sends.
pub trait InvoiceBatches {
    /// How many invoices the push sends (at most).
    fn count(&self) -> usize;
    /// The distinct home keys of the customers billed, in the order first billed.
    fn customer_keys(&self) -> Vec<String>;
    /// The customers of `keys` as the home book has them (asked only for those a run must
    /// match or create: a linked customer is never loaded). A key the book no longer holds
    /// is left out.
    fn customers(&mut self, keys: &[&str]) -> Result<Vec<Customer>, ApplyError>;
    /// The next at most `n` invoices, in order (none once all were handed out), and `(home
    /// key, why)` of each of them that is no longer to be sent (gone from the home book or
    /// no longer ready since the push began).
    #[allow(clippy::type_complexity)]
    fn next_batch(&mut self, n: usize)
    -> Result<(Vec<Billing>, Vec<(String, String)>), ApplyError>;
}

/// Invoices already built (a plan's selection, tests): handed out from memory.
#[derive(Debug)]
pub struct Built {
    invoices: std::collections::VecDeque<Billing>,
    customers: HashMap<String, Customer>,
    order: Vec<String>,
}

impl From<Vec<InvoiceJob>> for Built {
    fn from(jobs: Vec<InvoiceJob>) -> Self {
        let mut customers = HashMap::new();
        let mut order = Vec::new();
        let invoices = jobs
            .into_iter()
            .map(|job| {
                let customer_key = job.customer.key.clone();
                if !customers.contains_key(&customer_key) {
                    order.push(customer_key.clone());
                    customers.insert(customer_key.clone(), job.customer);
                }
                Billing {
                    invoice: job.invoice,
                    customer_key,
                    overwrite: job.overwrite,
                }
            })
            .collect();
        Built {
            invoices,
            customers,
            order,
        }
    }
}

impl InvoiceBatches for Built {
    fn count(&self) -> usize {
        self.invoices.len()
    }
    fn customer_keys(&self) -> Vec<String> {
        self.order.clone()
    }
    fn customers(&mut self, keys: &[&str]) -> Result<Vec<Customer>, ApplyError> {
        Ok(keys
            .iter()
            .filter_map(|k| self.customers.get(*k).cloned())
            .collect())
    }
    fn next_batch(
        &mut self,
        n: usize,
    ) -> Result<(Vec<Billing>, Vec<(String, String)>), ApplyError> {
        let n = n.min(self.invoices.len());
        Ok((self.invoices.drain(..n).collect(), Vec::new()))
    }
}

/// The id-map entity of an invoice kind.
pub fn entity(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Job => "job-invoices",
        InvoiceKind::Contract => "contract-invoices",
        InvoiceKind::Order => "orders",
    }
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
    let mut jobs = Built::from(jobs);
    push_from(
        state,
        plugin,
        ctx,
        connection,
        kind,
        &mut jobs,
        progress,
        None,
        vec![],
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
    push_from(
        state,
        plugin,
        ctx,
        connection,
        kind,
        &mut Built::from(jobs),
        progress,
        plan_id,
        notes,
    )
    .await
}

/// [`push_with`] of the invoices `source` hands out, a batch at a time: each batch's
/// intents are recorded, then the batch is sent and settled, before the next is read.
#[allow(clippy::too_many_arguments)]
pub async fn push_from(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    source: &mut dyn InvoiceBatches,
    progress: &dyn super::progress::Progress,
    plan_id: Option<i64>,
    notes: Vec<RunItem>,
) -> Result<Summary, ApplyError> {
    let entity = entity(kind);
    // Writes an interrupted run left in flight are resolved before anything new is sent.
    let mut recovered = super::apply::recover_customers(state, plugin, ctx, connection).await?;
    let invoices =
        super::outbox::recover::<Invoice>(state, plugin, ctx, connection, entity).await?;
    recovered.found += invoices.found;
    recovered.resent += invoices.resent;
    let pacer = ctx.http.as_ref().and_then(|h| h.pacer()).cloned();
    if let Some(daily) = pacer.as_ref().and_then(|p| p.daily_limit()) {
        let linked: HashSet<String> = state
            .id_map(connection, "customers")?
            .into_iter()
            .map(|e| e.home_key)
            .collect();
        // An upper bound on the customers to create: every unlinked one.
        let unlinked = source
            .customer_keys()
            .iter()
            .filter(|k| !linked.contains(*k))
            .count();
        if let Some(text) = super::budget::warning(
            state,
            connection,
            &plugin.manifest().display_name,
            daily,
            source.count() + unlinked,
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
            state, plugin, ctx, connection, kind, source, progress, run_id, recovered,
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
    source: &mut dyn InvoiceBatches,
    progress: &dyn super::progress::Progress,
    run_id: i64,
    recovered: Recovered,
) -> Result<Summary, ApplyError> {
    let entity = entity(kind);
    let rule = MatchRule::from_setting(ctx.settings.get("customer-matching").map(String::as_str))
        .map_err(ApplyError::Setting)?;
    let batch_size = super::settings::push_batch(&ctx.settings).map_err(ApplyError::Setting)?;
    let target = plugin.manifest().display_name.clone();
    // Read-back looks at what changed in the target from a little before this run.
    let read_back_since = chrono::Utc::now() - chrono::Duration::minutes(5);
    let mut summary = Summary {
        run_id,
        ..Summary::default()
    };
    summary.add_recovered(recovered);
    let total = source.count();
    if total == 0 {
        // Nothing due: no customer to resolve, no number to check, nothing to read back.
        return Ok(summary);
    }
    let outbox = Outbox {
        state,
        plugin,
        ctx,
        connection,
        entity,
        run_id,
    };
    let customers = resolve_customers(
        state,
        plugin,
        ctx,
        connection,
        run_id,
        source,
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
    // Orders too: an invoice for a job whose order (a quote) was sent carries the order's
    // number — the same Tracker Pro record converted, not another document's number.
    for kind_entity in ["job-invoices", "contract-invoices", "orders"] {
        for e in state.id_map(connection, kind_entity)? {
            owner.insert(e.remote_id, e.home_key);
        }
    }

    progress.begin(
        match kind {
            InvoiceKind::Job => "sending job invoices",
            InvoiceKind::Contract => "sending contract invoices",
            InvoiceKind::Order => "sending orders",
        },
        total as u64,
    );
    let mut numbered_now: HashMap<String, String> = HashMap::new();
    // How many documents were created or updated: the read-back reads them from the store.
    let mut written = 0;
    loop {
        let (batch, gone) = source.next_batch(batch_size)?;
        if batch.is_empty() && gone.is_empty() {
            break;
        }
        // Each invoice's item in order: decided now, or once its intent is recorded.
        let mut rows: Vec<(RunItem, bool)> = Vec::new();
        for (key, reason) in gone {
            let base = RunItem {
                home_key: Some(key.clone()),
                remote_id: None,
                name: key,
                outcome: String::new(),
                reason: String::new(),
            };
            rows.push((not_sent(base, "skipped", reason), false));
            summary.skipped += 1;
        }
        let mut to_send = Vec::new();
        for job in batch {
            let mut invoice = job.invoice;
            let base = RunItem {
                home_key: Some(invoice.key.clone()),
                remote_id: None,
                name: label(&invoice),
                outcome: String::new(),
                reason: String::new(),
            };
            let resolved = customers
                .get(&job.customer_key)
                .cloned()
                .unwrap_or_else(|| {
                    Err(format!(
                        "not sent: its customer {} could not be resolved",
                        job.customer_key
                    ))
                });
            let remote_customer = match resolved {
                Ok(id) => id,
                Err(reason) => {
                    rows.push((not_sent(base, "skipped", reason), false));
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
                rows.push((not_sent(base, "conflict", reason), false));
                summary.conflict += 1;
                continue;
            }
            if !invoice.number.is_empty() {
                numbered_now.insert(name_identity(&invoice.number), invoice.key.clone());
            }
            to_send.push((invoice, job.overwrite));
            rows.push((base, true));
        }
        // Every intent of the batch is recorded before any of it is sent.
        let mut queued = outbox.enqueue_all(to_send)?.into_iter();
        let mut sending = Vec::new();
        let mut items = Vec::new();
        for (item, sends) in rows {
            if !sends {
                items.push(item);
                continue;
            }
            match queued.next().flatten() {
                Some(q) => sending.push(q),
                None => {
                    items.push(RunItem {
                        outcome: "unchanged".to_owned(),
                        reason: "already sent by an earlier run".to_owned(),
                        ..item
                    });
                    summary.unchanged += 1;
                }
            }
        }
        state.record_items(run_id, &items)?;
        progress.advance(items.len() as u64);
        drop(items);

        let documents = std::cell::RefCell::new(Vec::new());
        outbox
            .deliver_batched(
                &sending,
                "",
                progress,
                |q, outcome| {
                    summary.count(outcome.word());
                    progress.outcome(outcome.word());
                    if let Outcome::Written { remote_id, action } = outcome {
                        // As `directory::target_document` of the record sent, without copying it.
                        if !remote_id.trim().is_empty() {
                            documents.borrow_mut().push(TargetDocument {
                                entity: entity.to_owned(),
                                remote_id: remote_id.clone(),
                                number: q.record.number.clone(),
                                customer_id: q.record.customer.remote_id.clone(),
                            });
                        }
                        if *action != "unchanged" {
                            written += 1;
                        }
                    }
                    Ok(())
                },
                // The documents of a batch go into the directory together.
                || Ok(state.upsert_target_documents(connection, &documents.take())?),
            )
            .await?;
    }
    progress.finish();
    if written > 0 && plugin.can("pull-invoices") {
        let since = read_back_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        super::verify::Written {
            state,
            plugin,
            ctx,
            connection,
            kind,
            run_id,
            count: written,
        }
        .read_back(&since, &mut summary)
        .await?;
    }
    Ok(summary)
}

/// The run item of an invoice that is not sent: `outcome` and why.
fn not_sent(base: RunItem, outcome: &str, reason: String) -> RunItem {
    RunItem {
        outcome: outcome.to_owned(),
        reason,
        ..base
    }
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
    let holder = numbers.get(&identity)?.iter().find(|d| {
        Some(d.remote_id.as_str()) != mapped && owner.get(&d.remote_id) != Some(&invoice.key)
    })?;
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

/// Each distinct customer `source` bills → its id in the target (linked, matched, or
/// created), or why its invoices are not sent. Only the customers not linked yet are loaded
/// from the source. Matching is local, against one (delta) read of the target's customers
/// ([`super::matching`]); customers to create are created together, in batches, through
/// the outbox like any write; each link is recorded before any invoice is sent.
#[allow(clippy::too_many_arguments)]
async fn resolve_customers(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    run_id: i64,
    source: &mut dyn InvoiceBatches,
    summary: &mut Summary,
    rule: MatchRule,
    target: &str,
) -> Result<HashMap<String, Result<String, String>>, ApplyError> {
    let links: Vec<(String, String)> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| (e.home_key, e.remote_id))
        .collect();
    let mut resolved: HashMap<String, Result<String, Blocked>> = HashMap::new();
    let unlinked_keys: Vec<String> = {
        let linked: HashMap<&str, &str> = links
            .iter()
            .map(|(h, r)| (h.as_str(), r.as_str()))
            .collect();
        let mut unlinked = Vec::new();
        for key in source.customer_keys() {
            match linked.get(key.as_str()) {
                Some(id) => {
                    resolved.insert(key, Ok((*id).to_owned()));
                }
                None => unlinked.push(key),
            }
        }
        unlinked
    };
    let unlinked: Vec<Customer> = if unlinked_keys.is_empty() {
        Vec::new()
    } else {
        source.customers(&unlinked_keys.iter().map(String::as_str).collect::<Vec<_>>())?
    };
    let names: HashMap<String, String> = unlinked
        .iter()
        .map(|c| (c.key.clone(), c.name.clone()))
        .collect();
    let distinct: Vec<&Customer> = unlinked.iter().collect();
    // The target is read only when some customer is not linked yet.
    let known = if distinct.is_empty() {
        Vec::new()
    } else if super::directory::refresh_customers(state, plugin, ctx, connection, run_id).await? {
        state.target_customers(connection)?
    } else {
        find_each(plugin, ctx, connection, &distinct).await?
    };
    let mut dir = Directory::new(known, links);

    // Decisions on review items, read once (few or none), not once per customer.
    let decisions = state.review_decisions(connection)?;
    let mut creating: HashMap<String, (String, String)> = HashMap::new();
    let mut to_create = Vec::new();
    let mut items = Vec::new();
    let customers = Outbox {
        state,
        plugin,
        ctx,
        connection,
        entity: "customers",
        run_id,
    };
    for customer in distinct {
        let base = RunItem {
            home_key: Some(customer.key.clone()),
            remote_id: None,
            name: customer.name.clone(),
            outcome: String::new(),
            reason: String::new(),
        };
        let decision = decisions.get(&customer.key);
        let home = HomeCustomerRef {
            key: &customer.key,
            name: &customer.name,
            email: customer.email.as_deref(),
            tax_number: customer.tax_number.as_deref(),
        };
        let outcome = match dir.resolve(&home, rule, decision, target) {
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
                items.push(RunItem {
                    remote_id: Some(id.clone()),
                    outcome: "linked".to_owned(),
                    reason: format!("linked to {target} customer {there}({id})"),
                    ..base.clone()
                });
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
                    // Not in the target: create it, through the outbox like any write (the
                    // intents of all of them are recorded after this loop).
                    to_create.push((customer.clone(), None));
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
        blocked(&mut items, summary, base, &outcome);
        resolved.insert(customer.key.clone(), outcome);
    }
    let creates: Vec<(String, RunItem)> = to_create
        .iter()
        .map(|(c, _): &(Customer, Option<String>)| {
            (
                c.key.clone(),
                RunItem {
                    home_key: Some(c.key.clone()),
                    remote_id: None,
                    name: c.name.clone(),
                    outcome: String::new(),
                    reason: String::new(),
                },
            )
        })
        .collect();
    let mut sending = Vec::new();
    for ((key, base), queued) in creates.into_iter().zip(customers.enqueue_all(to_create)?) {
        match queued {
            Some(queued) => sending.push(queued),
            // This exact creation was settled by an earlier run whose link has since been
            // removed: not sent twice.
            None => {
                let outcome = Err((
                    "conflict",
                    format!(
                        "was created in {target} by an earlier run but is no longer linked; link it with `ledgerlink reviews resolve --connection {connection} {key} --link <id>`"
                    ),
                ));
                blocked(&mut items, summary, base, &outcome);
                resolved.insert(key, outcome);
            }
        }
    }
    state.record_items(run_id, &items)?;
    drop(items);
    let mut created = Vec::new();
    customers
        .deliver(
            &sending,
            "customer created automatically for its invoices",
            &super::progress::Silent,
            |q, outcome| {
                summary.count(outcome.word());
                let customer = &q.record;
                let resolution = match outcome {
                    Outcome::Written { remote_id, .. } => {
                        let mut there = customer.clone();
                        there.remote_id = Some(remote_id.clone());
                        created.extend(super::directory::target_customer(&there));
                        Ok(remote_id.clone())
                    }
                    Outcome::Refused(r) => Err(("failed", format!("could not be created: {}", r.reason))),
                    Outcome::Unknown(_) => Err((
                        "failed",
                        "was sent but the answer was lost; it is looked for in the target on the next run".to_owned(),
                    )),
                };
                resolved.insert(customer.key.clone(), resolution);
                Ok(())
            },
        )
        .await?;
    state.upsert_target_customers(connection, &created)?;
    Ok(resolved
        .into_iter()
        .map(|(key, outcome)| {
            let outcome = outcome.map_err(|(_, reason)| {
                let name = names.get(&key).map_or(key.as_str(), String::as_str);
                format!("not sent: its customer {name:?} {reason}")
            });
            (key, outcome)
        })
        .collect())
}

/// The run item of a customer that will not be sent (review, conflict, skipped), counted.
fn blocked(
    items: &mut Vec<RunItem>,
    summary: &mut Summary,
    base: RunItem,
    outcome: &Result<String, Blocked>,
) {
    if let Err((what, reason)) = outcome {
        items.push(RunItem {
            outcome: (*what).to_owned(),
            reason: reason.clone(),
            ..base
        });
        match *what {
            "review" => summary.review += 1,
            "conflict" => summary.conflict += 1,
            _ => summary.skipped += 1,
        }
    }
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
