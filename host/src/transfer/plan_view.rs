//! Reading a stored plan back, a page at a time: what `GET /api/v1/plans/{id}` and
//! `ledgerlink plans show` give. A plan of any kind (customers either way, job or contract
//! invoices, orders) becomes the same rows — key, name, flag, why, field differences, whether
//! its customer is created first, whether a rollback could undo it — filtered by flag and a
//! search, with the counts of every flag over the whole plan, so a person can look through a
//! compare of 10,000 rows before choosing which to send. Plans never change once stored, so a
//! position in the filtered rows is a stable cursor.

use std::collections::BTreeMap;

use serde::Serialize;

use super::TransferError;
use super::invoice_plans;
use crate::store::sync_state::SyncState;
use crate::sync::diff::FieldDiff;
use crate::sync::inspect::Refused;

/// The flags a row can carry, in the order a person reads them.
pub const FLAGS: [&str; 5] = ["add", "update", "unchanged", "conflict", "locked"];

/// Most rows one page gives.
pub const MAX_PAGE: usize = 500;

/// Which rows of a plan to show.
#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    /// Only rows with this flag (one of [`FLAGS`]).
    pub flag: Option<String>,
    /// Only rows whose key, remote id, name, number or customer contains this (any case).
    pub search: Option<String>,
    /// Skip this many of the filtered rows (the previous page's `next`).
    pub after: usize,
    /// At most this many rows (1 to [`MAX_PAGE`]).
    pub limit: usize,
}

/// One row of a plan as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRow {
    /// What selects it: the Tracker Pro key (the remote id for a pull of a record not at
    /// home).
    pub key: String,
    /// The record in the target, when it exists there.
    pub remote_id: Option<String>,
    /// The customer's name, or the invoice's number.
    pub name: String,
    /// The invoice's customer (invoices only).
    pub customer: Option<String>,
    /// The invoice's total as Tracker Pro has it, a decimal string (invoices only).
    pub total: Option<String>,
    /// add, update, unchanged, conflict or locked.
    pub flag: String,
    /// Why, in a sentence.
    pub reason: String,
    /// Field by field: Tracker Pro's value and the target's (both sides of a conflict).
    pub diffs: Vec<FieldDiff>,
    /// Its customer is not linked yet and is matched or created first (invoices).
    pub creates_customer: bool,
    /// Why a rollback could not undo this row, if it could not.
    pub not_undoable: Option<String>,
}

/// A page of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanPage {
    /// The plan.
    pub plan: i64,
    /// Its connection.
    pub connection: String,
    /// customers, job-invoices, contract-invoices or orders.
    pub entity: String,
    /// push (Tracker Pro → target) or pull.
    pub direction: String,
    /// When it was compared (Unix seconds).
    pub created_at: i64,
    /// How many rows carry each flag, over the whole plan.
    pub counts: BTreeMap<String, usize>,
    /// How many rows the filter keeps.
    pub matching: usize,
    /// Records from the target the host refused when comparing, and why.
    pub refused: Vec<Refused>,
    /// This page's rows.
    pub rows: Vec<PlanRow>,
    /// Where the next page starts, when there is one.
    pub next: Option<usize>,
}

/// A page of stored plan `id` as `filter` asks.
pub fn page(state: &SyncState, id: i64, filter: &PlanFilter) -> Result<PlanPage, TransferError> {
    if let Some(flag) = &filter.flag
        && !FLAGS.contains(&flag.as_str())
    {
        return Err(TransferError::Refused(format!(
            "flag {flag:?} is not a plan flag; use one of {}",
            FLAGS.join(", ")
        )));
    }
    if filter.limit == 0 || filter.limit > MAX_PAGE {
        return Err(TransferError::Refused(format!(
            "a page holds 1 to {MAX_PAGE} rows, not {}",
            filter.limit
        )));
    }
    let (connection, entity, direction) = state.plan_meta(id)?;
    let created_at = state.plan_created_at(id)?;
    let (rows, refused) = match invoice_plans::load(state, id)? {
        Some(plan) => (
            plan.rows.into_iter().map(invoice_row).collect::<Vec<_>>(),
            plan.refused,
        ),
        None => {
            let plan = crate::sync::customers::load_plan(state, id)?;
            (
                plan.items.into_iter().map(customer_row).collect(),
                plan.refused,
            )
        }
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        *counts.entry(row.flag.clone()).or_default() += 1;
    }
    let needle = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let kept: Vec<PlanRow> = rows
        .into_iter()
        .filter(|r| filter.flag.as_deref().is_none_or(|f| r.flag == f))
        .filter(|r| needle.as_deref().is_none_or(|n| row_contains(r, n)))
        .collect();
    let matching = kept.len();
    let rows: Vec<PlanRow> = kept
        .into_iter()
        .skip(filter.after)
        .take(filter.limit)
        .collect();
    let end = filter.after.saturating_add(rows.len());
    Ok(PlanPage {
        plan: id,
        connection,
        entity,
        direction,
        created_at,
        counts,
        matching,
        refused,
        next: (end < matching).then_some(end),
        rows,
    })
}

fn row_contains(row: &PlanRow, needle: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(needle);
    has(&row.key)
        || has(&row.name)
        || row.remote_id.as_deref().is_some_and(has)
        || row.customer.as_deref().is_some_and(has)
}

fn flag_of<T: Serialize>(action: &T) -> String {
    // Both action enums serialize as one kebab-case word.
    match serde_json::to_value(action) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn customer_row(p: crate::sync::plan::PlannedItem) -> PlanRow {
    let item = p.item;
    PlanRow {
        key: item
            .home_key
            .clone()
            .or_else(|| item.remote_id.clone())
            .unwrap_or_default(),
        remote_id: item.remote_id,
        name: item.name,
        customer: None,
        total: None,
        flag: flag_of(&item.action),
        reason: item.reason,
        diffs: item.diffs,
        creates_customer: false,
        not_undoable: p.not_undoable,
    }
}

fn invoice_row(r: invoice_plans::InvoiceRow) -> PlanRow {
    PlanRow {
        key: r.home_key,
        remote_id: r.remote_id,
        name: r.number,
        customer: Some(r.customer),
        total: Some(r.total),
        flag: flag_of(&r.action),
        reason: r.reason,
        diffs: r.diffs,
        creates_customer: r.creates_customer,
        not_undoable: r.not_undoable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::compare::{Action, Item};
    use crate::sync::plan::PlannedItem;

    fn row(key: &str, name: &str, action: Action) -> PlannedItem {
        PlannedItem {
            item: Item {
                home_key: Some(key.to_owned()),
                remote_id: None,
                name: name.to_owned(),
                action,
                reason: "why".to_owned(),
                diffs: Vec::new(),
            },
            record: None,
            not_undoable: None,
        }
    }

    #[test]
    fn a_customer_row_reads_with_its_flag_and_is_found_by_name_in_any_case() {
        let r = customer_row(row("TP-7", "Acme Plumbing", Action::Update));
        assert_eq!(r.flag, "update");
        assert_eq!(r.key, "TP-7");
        assert!(row_contains(&r, "acme plumb"));
        assert!(row_contains(&r, "tp-7"));
        assert!(!row_contains(&r, "zenith"));
    }
}
