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
use crate::store::sync_state::{MapEntry, RunItem, SyncState};
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// Why, in a sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// For Update: Tracker Pro now vs what was sent; for Conflict: what was sent vs the
    /// target now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<FieldDiff>,
    /// The customer is not linked yet: it is matched or created first.
    #[serde(default, skip_serializing_if = "is_false")]
    pub creates_customer: bool,
    /// Why a rollback could not undo this row, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_undoable: Option<String>,
    /// The invoice and customer to send (Add, Update, Conflict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// Its customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_record: Option<Customer>,
    /// For a Conflict: the fingerprint of the target's version, which applying overwrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
}

// A stored row leaves out what is empty (most rows are Unchanged, with nothing but their
// identity); reading fills it back, so plans stored with every field read the same.
fn is_false(b: &bool) -> bool {
    !*b
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
    let map: HashMap<String, MapEntry> = state
        .id_map(connection, entity)?
        .into_iter()
        .map(|e| (e.home_key.clone(), e))
        .collect();
    let linked: HashSet<String> = state
        .id_map(connection, "customers")?
        .into_iter()
        .map(|e| e.home_key)
        .collect();
    let mut there = TargetIndex::default();
    let refused = if map.is_empty() || !plugin.can("pull-invoices") {
        Vec::new()
    } else {
        let read_back = TargetIndex::read_backs(&map);
        crate::sync::paging::invoices_each(plugin, ctx, kind, None, |page| {
            there.add(&read_back, page);
        })
        .await
        .map_err(|e| TransferError::Apply(e.into()))?
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
    pub map: HashMap<String, MapEntry>,
    /// The home customers linked in the target.
    pub linked: HashSet<String>,
    /// The target's documents of this kind, by remote id, as much of each as classifying
    /// needs.
    pub there: TargetIndex,
    /// Whether the connector lists invoices (else a document sent before is judged on
    /// Tracker Pro's side only).
    pub can_pull: bool,
    /// Whether the connector deletes (so a rollback can undo an Add).
    pub can_delete: bool,
}

/// What a compare keeps of one target document: whether the target will take a change,
/// and — only when the document is no longer what ledgerlink read back after writing it —
/// the document and its fingerprint (a Conflict shows both sides and records the version it
/// overwrites). An unchanged document is reduced to a few bytes as it is read, so a compare
/// never holds the target's documents whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDoc {
    status: InvoiceStatus,
    locked: Option<String>,
    edited: Option<Box<(String, Invoice)>>,
}

/// The target's documents of one kind, by remote id, each reduced to a [`TargetDoc`] as its
/// page arrives ([`TargetIndex::add`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetIndex {
    docs: HashMap<String, TargetDoc>,
}

impl TargetIndex {
    /// The fingerprint ledgerlink read back after it last wrote each document, by remote
    /// id, from the id map (entries without a read-back are left out: a document they name
    /// is judged on Tracker Pro's side only).
    pub fn read_backs(map: &HashMap<String, MapEntry>) -> HashMap<&str, &str> {
        map.values()
            .filter_map(|e| {
                e.remote_fingerprint
                    .strip_prefix(READ_BACK_MARK)
                    .map(|fp| (e.remote_id.as_str(), fp))
            })
            .collect()
    }

    /// Take in one page of the target's documents (already inspected); `read_back` is
    /// [`TargetIndex::read_backs`]. A document without a remote id is not one ledgerlink can
    /// have written and is left out.
    pub fn add(&mut self, read_back: &HashMap<&str, &str>, page: Vec<Invoice>) {
        self.docs.reserve(page.len());
        for mut doc in page {
            let Some(id) = doc.remote_id.take() else {
                continue;
            };
            let status = doc.status;
            let locked = doc.locked.take();
            let open =
                !matches!(status, InvoiceStatus::Paid | InvoiceStatus::Voided) && locked.is_none();
            let edited = match read_back.get(id.as_str()) {
                Some(read_back) if open => {
                    let now = fingerprint::invoice(&doc);
                    (now != *read_back).then(|| {
                        doc.remote_id = Some(id.clone());
                        Box::new((now, doc))
                    })
                }
                _ => None,
            };
            self.docs.insert(
                id,
                TargetDoc {
                    status,
                    locked,
                    edited,
                },
            );
        }
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    fn get(&self, remote_id: &str) -> Option<&TargetDoc> {
        self.docs.get(remote_id)
    }
}

/// A row's verdict, before the row is built.
struct Verdict {
    action: InvoiceAction,
    reason: String,
    diffs: Vec<FieldDiff>,
    target_version: Option<String>,
}

impl Verdict {
    fn new(action: InvoiceAction, reason: String) -> Self {
        Self {
            action,
            reason,
            diffs: Vec::new(),
            target_version: None,
        }
    }
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
    let mut rows = Vec::with_capacity(ready.len());
    for (job, changed) in ready {
        let InvoiceJob {
            invoice, customer, ..
        } = job;
        let entry = known.map.get(&invoice.key);
        let creates_customer = !known.linked.contains(&customer.key);
        let verdict = judge(
            known,
            &invoice,
            &customer,
            entry,
            changed,
            creates_customer,
            &mut last_sent,
        )?;
        let sends = matches!(
            verdict.action,
            InvoiceAction::Add | InvoiceAction::Update | InvoiceAction::Conflict
        );
        let not_undoable = match verdict.action {
            InvoiceAction::Add if known.can_delete => None,
            InvoiceAction::Add => {
                Some("the connector cannot delete records, so a rollback cannot remove it".into())
            }
            InvoiceAction::Update | InvoiceAction::Conflict => {
                Some("an update is not undone by a rollback".into())
            }
            InvoiceAction::Unchanged | InvoiceAction::Locked => None,
        };
        let number = label(&invoice);
        let remote_id = entry.map(|e| e.remote_id.clone());
        // A row that sends keeps the records; any other takes what it shows from them.
        let (home_key, customer_name, total, invoice, customer_record) = if sends {
            (
                invoice.key.clone(),
                customer.name.clone(),
                invoice.total.clone(),
                Some(invoice),
                Some(customer),
            )
        } else {
            (invoice.key, customer.name, invoice.total, None, None)
        };
        rows.push(InvoiceRow {
            home_key,
            number,
            customer: customer_name,
            total,
            action: verdict.action,
            remote_id,
            reason: verdict.reason,
            diffs: verdict.diffs,
            creates_customer,
            not_undoable,
            invoice,
            customer_record,
            target_version: verdict.target_version,
        });
    }
    Ok(rows)
}

/// One ready invoice's classification.
fn judge(
    known: &Known<'_>,
    invoice: &Invoice,
    customer: &Customer,
    entry: Option<&MapEntry>,
    changed: Option<bool>,
    creates_customer: bool,
    last_sent: &mut impl FnMut(&str) -> Result<Option<Invoice>, TransferError>,
) -> Result<Verdict, TransferError> {
    let target = known.target;
    let (e, changed) = match (entry, changed) {
        (Some(e), Some(changed)) => (e, changed),
        (None, _) | (_, None) => {
            let mut reason = format!("not in {target} yet");
            if creates_customer {
                reason += &format!(
                    "; its customer {:?} is matched or created first",
                    customer.name
                );
            }
            return Ok(Verdict::new(InvoiceAction::Add, reason));
        }
    };
    let Some(doc) = known.there.get(&e.remote_id) else {
        return Ok(if known.can_pull {
            Verdict::new(
                InvoiceAction::Add,
                format!(
                    "sent before as {}, but {target} no longer has it (deleted there?); it is created again",
                    e.remote_id
                ),
            )
        } else if changed {
            // The connector cannot list invoices: judge on Tracker Pro's side only.
            Verdict::new(
                InvoiceAction::Update,
                "changed in Tracker Pro since it was sent".into(),
            )
        } else {
            Verdict::new(InvoiceAction::Unchanged, String::new())
        });
    };
    if matches!(doc.status, InvoiceStatus::Paid | InvoiceStatus::Voided) {
        return Ok(Verdict::new(
            InvoiceAction::Locked,
            format!(
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
            ),
        ));
    }
    if let Some(locked) = &doc.locked {
        // The target's own read-only state (a Historical invoice in Salesorder): only an
        // edit in Tracker Pro is worth a row's attention.
        return Ok(if changed {
            Verdict::new(
                InvoiceAction::Locked,
                format!(
                    "changed in Tracker Pro, but {target} will not accept a change ({locked}); it is not sent"
                ),
            )
        } else {
            Verdict::new(InvoiceAction::Unchanged, String::new())
        });
    }
    match (&doc.edited, changed) {
        (None, false) => Ok(Verdict::new(InvoiceAction::Unchanged, String::new())),
        (None, true) => {
            let mut v = Verdict::new(
                InvoiceAction::Update,
                "changed in Tracker Pro since it was sent".into(),
            );
            if let Some(prev) = last_sent(&invoice.key)? {
                v.diffs = diff::invoices(invoice, &prev);
            }
            Ok(v)
        }
        (Some(edited), changed) => {
            let (now, theirs) = &**edited;
            let mut v = Verdict::new(
                InvoiceAction::Conflict,
                format!(
                    "changed in {target} since ledgerlink wrote it{}; select it by key to overwrite it with Tracker Pro's version",
                    if changed {
                        ", and in Tracker Pro too"
                    } else {
                        ""
                    }
                ),
            );
            v.target_version = Some(now.clone());
            if let Some(prev) = last_sent(&invoice.key)? {
                let mut theirs = theirs.clone();
                theirs.customer.name = prev.customer.name.clone();
                v.diffs = diff::invoices(&prev, &theirs);
            }
            Ok(v)
        }
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::model::CustomerRef;

    fn customer(key: &str) -> Customer {
        let mut c = crate::model::fingerprint::tests::customer_named(&format!("Customer {key}"));
        c.key = key.into();
        c
    }

    fn invoice(n: usize) -> Invoice {
        let mut i = crate::sync::readback::tests::invoice("NZD", "115.00", "");
        i.key = format!("job-{n}");
        i.number = format!("INV-{n}");
        i.customer = CustomerRef {
            remote_id: None,
            name: format!("Customer c{n}"),
        };
        i
    }

    /// Six invoices, all sent before (read back as sent) except the last: 0 unchanged,
    /// 1 changed in Tracker Pro, 2 edited in the target, 3 paid there, 4 read-only there,
    /// 5 gone from the target, 6 never sent.
    #[test]
    fn each_invoice_is_classified_and_the_index_keeps_only_edited_documents() {
        let mut map = HashMap::new();
        let mut page = Vec::new();
        let mut ready = Vec::new();
        for n in 0..7 {
            let home = invoice(n);
            if n < 6 {
                let mut sent = home.clone();
                sent.remote_id = Some(format!("R-{n}"));
                map.insert(
                    home.key.clone(),
                    MapEntry {
                        home_key: home.key.clone(),
                        remote_id: format!("R-{n}"),
                        home_fingerprint: fingerprint::invoice(&home),
                        remote_fingerprint: format!(
                            "{READ_BACK_MARK}{}",
                            fingerprint::invoice(&sent)
                        ),
                        synced_at: 1,
                    },
                );
                let mut there = sent;
                match n {
                    2 => there.due_date = Some("2027-01-31".into()),
                    3 => there.status = InvoiceStatus::Paid,
                    4 => there.locked = Some("a Historical invoice".into()),
                    _ => {}
                }
                if n != 5 {
                    page.push(there);
                }
            }
            let mut home = home;
            if n == 1 {
                home.memo = Some("Re-issued".into());
            }
            ready.push((
                InvoiceJob {
                    invoice: home,
                    customer: customer(&format!("c{n}")),
                    overwrite: None,
                },
                (n < 6).then_some(n == 1),
            ));
        }
        let mut there = TargetIndex::default();
        there.add(&TargetIndex::read_backs(&map), page);
        assert_eq!(there.len(), 5);
        let kept: Vec<&str> = there
            .docs
            .iter()
            .filter(|(_, d)| d.edited.is_some())
            .map(|(id, _)| id.as_str())
            .collect();
        assert_eq!(kept, ["R-2"]);
        let edited_fp = there.get("R-2").unwrap().edited.as_ref().unwrap().0.clone();

        let linked = HashSet::from(["c0".to_owned(), "c1".to_owned()]);
        let known = Known {
            target: "Xero",
            map,
            linked,
            there,
            can_pull: true,
            can_delete: true,
        };
        let rows = classify(ready, &known, |key| {
            let n: usize = key.trim_start_matches("job-").parse().unwrap();
            Ok(Some(invoice(n)))
        })
        .unwrap();
        let got: Vec<(&str, InvoiceAction, &str)> = rows
            .iter()
            .map(|r| (r.home_key.as_str(), r.action, r.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("job-0", InvoiceAction::Unchanged, ""),
                (
                    "job-1",
                    InvoiceAction::Update,
                    "changed in Tracker Pro since it was sent"
                ),
                (
                    "job-2",
                    InvoiceAction::Conflict,
                    "changed in Xero since ledgerlink wrote it; select it by key to overwrite it with Tracker Pro's version"
                ),
                (
                    "job-3",
                    InvoiceAction::Locked,
                    "paid in Xero, which will not accept a change; it is not sent"
                ),
                ("job-4", InvoiceAction::Unchanged, ""),
                (
                    "job-5",
                    InvoiceAction::Add,
                    "sent before as R-5, but Xero no longer has it (deleted there?); it is created again"
                ),
                (
                    "job-6",
                    InvoiceAction::Add,
                    "not in Xero yet; its customer \"Customer c6\" is matched or created first"
                ),
            ]
        );
        // Update: Tracker Pro now against what was sent.
        assert_eq!(rows[1].diffs.len(), 1);
        assert_eq!(rows[1].diffs[0].field, "memo");
        assert_eq!(rows[1].diffs[0].home.as_deref(), Some("Re-issued"));
        // Conflict: what was sent against the target now, and the version it overwrites.
        assert_eq!(rows[2].diffs.len(), 1);
        assert_eq!(rows[2].diffs[0].field, "due-date");
        assert_eq!(rows[2].diffs[0].remote.as_deref(), Some("2027-01-31"));
        assert_eq!(rows[2].target_version.as_deref(), Some(edited_fp.as_str()));
        // Rows that send keep their records; the others hold only what they show.
        for r in &rows {
            let sends = matches!(
                r.action,
                InvoiceAction::Add | InvoiceAction::Update | InvoiceAction::Conflict
            );
            assert_eq!(r.invoice.is_some(), sends, "{}", r.home_key);
            assert_eq!(r.customer_record.is_some(), sends, "{}", r.home_key);
        }
        assert_eq!(rows[0].number, "INV-0");
        assert_eq!(rows[0].customer, "Customer c0");
        assert_eq!(rows[0].total, "115.00");
        assert_eq!(rows[0].remote_id.as_deref(), Some("R-0"));
        assert!(!rows[0].creates_customer);
        assert!(rows[6].creates_customer);
        assert_eq!(
            rows[1].not_undoable.as_deref(),
            Some("an update is not undone by a rollback")
        );
        assert_eq!(rows[6].not_undoable, None);
    }

    #[test]
    fn a_stored_row_leaves_out_what_is_empty_and_reads_back_the_same() {
        let row = InvoiceRow {
            home_key: "job-1".into(),
            number: "INV-1".into(),
            customer: "Acme".into(),
            total: "115.00".into(),
            action: InvoiceAction::Unchanged,
            remote_id: Some("R-1".into()),
            reason: String::new(),
            diffs: Vec::new(),
            creates_customer: false,
            not_undoable: None,
            invoice: None,
            customer_record: None,
            target_version: None,
        };
        let text = serde_json::to_string(&row).unwrap();
        assert_eq!(
            text,
            r#"{"home_key":"job-1","number":"INV-1","customer":"Acme","total":"115.00","action":"unchanged","remote_id":"R-1"}"#
        );
        assert_eq!(serde_json::from_str::<InvoiceRow>(&text).unwrap(), row);
        // A row as stored before (every field written) reads the same.
        let full = r#"{"home_key":"job-1","number":"INV-1","customer":"Acme","total":"115.00","action":"unchanged","remote_id":"R-1","reason":"","diffs":[],"creates_customer":false,"not_undoable":null,"invoice":null,"customer_record":null,"target_version":null}"#;
        assert_eq!(serde_json::from_str::<InvoiceRow>(full).unwrap(), row);
    }
}
