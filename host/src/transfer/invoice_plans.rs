//! Compare Jobs / Compare Contracts, as Tracker Pro's own integration has them: every ready
//! invoice classified against what was last sent and what the target holds now — **Add**
//! (never sent), **Update** (changed in Tracker Pro since it was sent, with the fields),
//! **Unchanged**, **Conflict** (changed in the target since ledgerlink wrote it: an
//! accountant edited it; both sides shown), **Locked** (paid or voided there: the target
//! will not take a change) — stored as a plan, then applied row by row through the same
//! crash-safe push as everything else.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::TransferError;
use super::numbering::Numbering;
use crate::model::fingerprint;
use crate::model::{Customer, Invoice, InvoiceKind, InvoiceStatus};
use crate::runtime::{CallContext, Plugin};
use crate::store::home::HomeStore;
use crate::store::sync_state::{RunItem, SyncState};
use crate::sync::apply::Summary;
use crate::sync::diff::{self, FieldDiff};
use crate::sync::inspect::Refused;
use crate::sync::invoices::{InvoiceJob, READ_BACK_MARK, entity, label};
use crate::sync::progress::Progress;

/// The stored form's version; a plan of another version is refused, never misread.
pub const PLAN_VERSION: u32 = 1;

/// What applying a row would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvoiceAction {
    /// Create it in the target.
    Add,
    /// Update the document in the target.
    Update,
    /// Nothing to do.
    Unchanged,
    /// Changed in the target since ledgerlink wrote it; only sent when selected by key.
    Conflict,
    /// The target will not take a change; never sent.
    Locked,
}

/// One row of an invoice plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    /// Home key.
    pub home_key: String,
    /// Document number (empty when the target numbers it) or reference.
    pub number: String,
    /// The customer's name.
    pub customer: String,
    /// Total, as Tracker Pro has it.
    pub total: String,
    /// The classification.
    pub action: InvoiceAction,
    /// The document in the target, once sent.
    pub remote_id: Option<String>,
    /// Why, in a sentence.
    pub reason: String,
    /// For Update: Tracker Pro now vs what was sent; for Conflict: what was sent vs the
    /// target now.
    pub diffs: Vec<FieldDiff>,
    /// The customer is not linked yet: it is matched or created first.
    pub creates_customer: bool,
    /// Why a rollback could not undo this row, if it could not.
    pub not_undoable: Option<String>,
    /// The invoice and customer to send (Add, Update, Conflict).
    pub invoice: Option<Invoice>,
    /// Its customer.
    pub customer_record: Option<Customer>,
    /// For a Conflict: the fingerprint of the target's version, which applying overwrites.
    pub target_version: Option<String>,
}

/// A stored invoice compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePlan {
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// The connection.
    pub connection: String,
    /// `job-invoices` or `contract-invoices`.
    pub entity: String,
    /// Who numbers the documents.
    pub numbering: Numbering,
    /// The rows.
    pub rows: Vec<InvoiceRow>,
    /// Documents the target returned that the host refused.
    pub refused: Vec<Refused>,
}

impl InvoicePlan {
    /// The invoice kind.
    pub fn kind(&self) -> InvoiceKind {
        if self.entity == entity(InvoiceKind::Contract) {
            InvoiceKind::Contract
        } else if self.entity == entity(InvoiceKind::Order) {
            InvoiceKind::Order
        } else {
            InvoiceKind::Job
        }
    }
}

/// Which rows to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowSelection {
    /// Every Add and Update.
    All,
    /// Every Add.
    AllAdds,
    /// Every Update.
    AllUpdates,
    /// These home keys (a Conflict too; a Locked row never).
    Keys(Vec<String>),
}

impl RowSelection {
    fn includes(&self, row: &InvoiceRow) -> bool {
        match self {
            RowSelection::All => matches!(row.action, InvoiceAction::Add | InvoiceAction::Update),
            RowSelection::AllAdds => row.action == InvoiceAction::Add,
            RowSelection::AllUpdates => row.action == InvoiceAction::Update,
            RowSelection::Keys(keys) => keys.contains(&row.home_key),
        }
    }
}

/// Compare every ready invoice of `kind` with what was sent and what the target holds; store
/// the plan. Returns its id and contents.
#[allow(clippy::too_many_arguments)]
pub async fn compare(
    home: &HomeStore,
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    kind: InvoiceKind,
    numbering: Numbering,
) -> Result<(i64, InvoicePlan), TransferError> {
    let entity = entity(kind);
    let target = plugin.manifest().display_name.clone();
    let ready = super::due::ready_invoices(home, state, connection, kind, numbering)?;
    let map: HashMap<String, crate::store::sync_state::MapEntry> = state
        .id_map(connection, entity)?
        .into_iter()
        .map(|e| (e.home_key.clone(), e))
        .collect();
    let linked: HashSet<String> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| e.home_key)
        .collect();
    let (there, refused) = if map.is_empty() || !plugin.can("pull-invoices") {
        (HashMap::new(), Vec::new())
    } else {
        let (pulled, refused) = crate::sync::paging::invoices(plugin, ctx, kind, None)
            .await
            .map_err(|e| TransferError::Apply(e.into()))?;
        (
            pulled
                .into_iter()
                .filter_map(|i| i.remote_id.clone().map(|id| (id, i)))
                .collect::<HashMap<String, Invoice>>(),
            refused,
        )
    };
    let known = Known {
        target: &target,
        map,
        linked,
        there,
        can_pull: plugin.can("pull-invoices"),
        can_delete: plugin.can("delete"),
    };
    let rows = classify(ready, &known, |key| {
        Ok(state.last_sent(connection, entity, key)?.and_then(|p| {
            match crate::model::stored::Record::from_json(&p) {
                Ok(crate::model::stored::Record::Invoice(i)) => Some(i),
                _ => None,
            }
        }))
    })?;
    let plan = InvoicePlan {
        version: PLAN_VERSION,
        connection: connection.to_owned(),
        entity: entity.to_owned(),
        numbering,
        rows,
        refused,
    };
    let id = state.save_plan_as_json(connection, entity, "push", &plan)?;
    Ok((id, plan))
}

/// What classifying the ready invoices needs besides them, read beforehand.
#[derive(Debug, Clone, Default)]
pub struct Known<'a> {
    /// The target's display name, for reasons.
    pub target: &'a str,
    /// The id map of the invoices' entity, by home key.
    pub map: HashMap<String, crate::store::sync_state::MapEntry>,
    /// The home customers linked in the target.
    pub linked: HashSet<String>,
    /// The target's documents of this kind, by remote id.
    pub there: HashMap<String, Invoice>,
    /// Whether the connector lists invoices (else a document sent before is judged on
    /// Tracker Pro's side only).
    pub can_pull: bool,
    /// Whether the connector deletes (so a rollback can undo an Add).
    pub can_delete: bool,
}

/// The rows of a compare: each ready invoice (with whether it changed since it was last
/// sent, `None` when never sent) classified against what `known` says was sent and what
/// the target holds. `last_sent` gives the record last sent for a home key; it is asked
/// only for Update and Conflict rows (their field differences). Pure besides it, so it can
/// be driven with prepared data.
pub fn classify(
    ready: Vec<(InvoiceJob, Option<bool>)>,
    known: &Known<'_>,
    mut last_sent: impl FnMut(&str) -> Result<Option<Invoice>, TransferError>,
) -> Result<Vec<InvoiceRow>, TransferError> {
    let Known {
        target,
        map,
        linked,
        there,
        can_pull,
        can_delete,
    } = known;
    let mut rows = Vec::with_capacity(ready.len());
    for (job, changed) in ready {
        let InvoiceJob {
            invoice, customer, ..
        } = job;
        let entry = map.get(&invoice.key);
        let creates_customer = !linked.contains(&customer.key);
        let mut row = InvoiceRow {
            home_key: invoice.key.clone(),
            number: label(&invoice),
            customer: customer.name.clone(),
            total: invoice.total.clone(),
            action: InvoiceAction::Unchanged,
            remote_id: entry.map(|e| e.remote_id.clone()),
            reason: String::new(),
            diffs: Vec::new(),
            creates_customer,
            not_undoable: None,
            invoice: None,
            customer_record: None,
            target_version: None,
        };
        match (entry, changed) {
            (None, _) | (_, None) => {
                row.action = InvoiceAction::Add;
                row.reason = format!("not in {target} yet");
                if creates_customer {
                    row.reason += &format!(
                        "; its customer {:?} is matched or created first",
                        customer.name
                    );
                }
            }
            (Some(e), Some(changed)) => match there.get(&e.remote_id) {
                None if *can_pull => {
                    row.action = InvoiceAction::Add;
                    row.reason = format!(
                        "sent before as {}, but {target} no longer has it (deleted there?); it is created again",
                        e.remote_id
                    );
                }
                None => {
                    // The connector cannot list invoices: judge on Tracker Pro's side only.
                    row.action = if changed {
                        InvoiceAction::Update
                    } else {
                        InvoiceAction::Unchanged
                    };
                    row.reason = if changed {
                        "changed in Tracker Pro since it was sent".into()
                    } else {
                        String::new()
                    };
                }
                Some(doc) if matches!(doc.status, InvoiceStatus::Paid | InvoiceStatus::Voided) => {
                    row.action = InvoiceAction::Locked;
                    row.reason = format!(
                        "{} in {target}, which will not accept a change; it is not sent{}",
                        if doc.status == InvoiceStatus::Paid {
                            "paid"
                        } else {
                            "voided"
                        },
                        if changed {
                            " (it changed in Tracker Pro: raise a credit note or adjust it there)"
                        } else {
                            ""
                        }
                    );
                }
                Some(doc) if doc.locked.is_some() => {
                    // The target's own read-only state (a Historical invoice in Salesorder):
                    // only an edit in Tracker Pro is worth a row's attention.
                    row.action = if changed {
                        InvoiceAction::Locked
                    } else {
                        InvoiceAction::Unchanged
                    };
                    if changed {
                        row.reason = format!(
                            "changed in Tracker Pro, but {target} will not accept a change ({}); it is not sent",
                            doc.locked.as_deref().unwrap_or_default()
                        );
                    }
                }
                Some(doc) => {
                    // The target's fingerprint, computed once (a Conflict keeps it as the
                    // version it overwrites).
                    let theirs = e
                        .remote_fingerprint
                        .strip_prefix(READ_BACK_MARK)
                        .map(|read_back| (read_back, fingerprint::invoice(doc)));
                    let edited_there = theirs
                        .as_ref()
                        .is_some_and(|(read_back, now)| read_back != now);
                    match (changed, edited_there) {
                        (false, false) => {}
                        (true, false) => {
                            row.action = InvoiceAction::Update;
                            row.reason = "changed in Tracker Pro since it was sent".into();
                            if let Some(prev) = last_sent(&invoice.key)? {
                                row.diffs = diff::invoices(&invoice, &prev);
                            }
                        }
                        (_, true) => {
                            row.action = InvoiceAction::Conflict;
                            row.target_version = theirs.map(|(_, now)| now);
                            row.reason = format!(
                                "changed in {target} since ledgerlink wrote it{}; select it by key to overwrite it with Tracker Pro's version",
                                if changed {
                                    ", and in Tracker Pro too"
                                } else {
                                    ""
                                }
                            );
                            if let Some(prev) = last_sent(&invoice.key)? {
                                let mut theirs = doc.clone();
                                theirs.customer.name = prev.customer.name.clone();
                                row.diffs = diff::invoices(&prev, &theirs);
                            }
                        }
                    }
                }
            },
        }
        if matches!(
            row.action,
            InvoiceAction::Add | InvoiceAction::Update | InvoiceAction::Conflict
        ) {
            row.not_undoable = match row.action {
                InvoiceAction::Add if *can_delete => None,
                InvoiceAction::Add => Some(
                    "the connector cannot delete records, so a rollback cannot remove it".into(),
                ),
                _ => Some("an update is not undone by a rollback".into()),
            };
            row.invoice = Some(invoice);
            row.customer_record = Some(customer);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Why a plan cannot be applied as asked.
fn refuse(message: String) -> TransferError {
    TransferError::Dangling(message)
}

/// The invoice plan `id`, or why it cannot be one.
pub fn load(state: &SyncState, id: i64) -> Result<Option<InvoicePlan>, TransferError> {
    let (_, entity, _) = state.plan_meta(id)?;
    if !matches!(
        entity.as_str(),
        "job-invoices" | "contract-invoices" | "orders"
    ) {
        return Ok(None);
    }
    let plan: InvoicePlan = state.read_plan_json(id)?.map_err(|e| {
        refuse(format!(
            "plan {id} cannot be read ({e}); compare again to make a new one"
        ))
    })?;
    if plan.version != PLAN_VERSION {
        return Err(refuse(format!(
            "plan {id} was made by another ledgerlink (plan version {}, this one reads {PLAN_VERSION}); compare again",
            plan.version
        )));
    }
    Ok(Some(plan))
}

/// Apply the selected rows of invoice plan `plan_id`: Adds created, Updates (and Conflicts
/// selected by key) written to the same document, Locked never sent. A dry run makes no
/// call to the target. Returns the run's summary.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    plan_id: i64,
    plan: &InvoicePlan,
    selection: &RowSelection,
    demo: Option<usize>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Summary, TransferError> {
    if let RowSelection::Keys(keys) = selection {
        let known: HashSet<&str> = plan.rows.iter().map(|r| r.home_key.as_str()).collect();
        let unknown: Vec<&str> = keys
            .iter()
            .map(String::as_str)
            .filter(|k| !known.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(refuse(format!(
                "plan {plan_id} has no row {}; `ledgerlink compare {}` lists its rows — nothing was sent",
                unknown.join(", "),
                plan.entity
            )));
        }
    }
    if let Some(run) = state
        .runs()?
        .into_iter()
        .find(|r| r.plan_id == Some(plan_id) && !r.dry_run && r.status == "finished")
    {
        return Err(refuse(format!(
            "plan {plan_id} was already applied by run {}; compare again for what is due now — nothing was sent",
            run.id
        )));
    }
    let mut chosen: Vec<&InvoiceRow> = plan.rows.iter().filter(|r| selection.includes(r)).collect();
    if let Some(n) = demo {
        chosen.truncate(n);
    }
    // Locked rows are reported in the run whatever was selected: they were shown before
    // Start Sync and are never sent.
    for row in plan
        .rows
        .iter()
        .filter(|r| r.action == InvoiceAction::Locked)
    {
        if !chosen.iter().any(|c| c.home_key == row.home_key) {
            chosen.push(row);
        }
    }
    let mut notes = Vec::new();
    let mut jobs = Vec::new();
    for row in chosen {
        let item = |outcome: &str, reason: String| RunItem {
            home_key: Some(row.home_key.clone()),
            remote_id: row.remote_id.clone(),
            name: row.number.clone(),
            outcome: outcome.to_owned(),
            reason,
        };
        match (row.action, &row.invoice, &row.customer_record) {
            (InvoiceAction::Locked, _, _) => notes.push(item("locked", row.reason.clone())),
            (InvoiceAction::Unchanged, _, _) => notes.push(item("unchanged", String::new())),
            (_, Some(_), Some(_)) if dry_run => notes.push(item(
                if row.action == InvoiceAction::Add {
                    "would-create"
                } else {
                    "would-update"
                },
                "dry run: nothing was sent".into(),
            )),
            (_, Some(invoice), Some(customer)) => jobs.push(InvoiceJob {
                invoice: invoice.clone(),
                customer: customer.clone(),
                overwrite: (row.action == InvoiceAction::Conflict)
                    .then(|| row.target_version.clone().unwrap_or_default()),
            }),
            _ => notes.push(item("skipped", "nothing to send for this row".into())),
        }
    }
    if dry_run {
        let run_id =
            state.start_run(Some(plan_id), &plan.connection, &plan.entity, "push", true)?;
        let mut summary = Summary {
            run_id,
            ..Summary::default()
        };
        for n in &notes {
            match n.outcome.as_str() {
                "would-create" => summary.created += 1,
                "would-update" => summary.updated += 1,
                "unchanged" => summary.unchanged += 1,
                _ => summary.skipped += 1,
            }
            state.record_item(run_id, n)?;
        }
        state.finish_run(run_id)?;
        return Ok(summary);
    }
    Ok(crate::sync::invoices::push_with(
        state,
        plugin,
        ctx,
        &plan.connection,
        plan.kind(),
        jobs,
        progress,
        Some(plan_id),
        notes,
    )
    .await?)
}
