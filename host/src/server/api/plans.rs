//! `GET /api/v1/plans/{id}`: a stored compare read back a page at a time, filtered by flag
//! and a search (`ledgerlink plans show`), through [`crate::transfer::plan_view`]. Applying a
//! plan is `POST /api/v1/plans/{id}/apply` ([`super::transfers::apply`]).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};

use super::encode_cursor;
use crate::server::AppState;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::transfer::plan_view::{self, PlanFilter, PlanPage, PlanRow};

/// Which rows of the plan.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Only rows with this flag: add, update, unchanged, conflict or locked.
    pub flag: Option<String>,
    /// Only rows whose key, remote id, name, number or customer contains this (any case).
    pub q: Option<String>,
    /// At most this many rows (1–500, default 100).
    pub limit: Option<u32>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
}

/// One field that differs: Tracker Pro's value and the target's.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FieldDiffView {
    /// The canonical field (`email`, `billing-address.city`, `lines[0].amount`).
    pub field: String,
    /// Tracker Pro's value.
    pub home: Option<String>,
    /// The target's value.
    pub remote: Option<String>,
}

/// One row of a plan.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PlanRowView {
    /// What selects it in `POST /api/v1/plans/{id}/apply` with `pick: keys`.
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
    /// Field by field (both sides of a conflict).
    pub diffs: Vec<FieldDiffView>,
    /// Its customer is matched or created first.
    pub creates_customer: bool,
    /// Why a rollback could not undo this row once applied.
    pub not_undoable: Option<String>,
}

/// A record from the target the host refused when comparing.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RefusedView {
    /// Its remote id, when it had a usable one.
    pub remote_id: Option<String>,
    /// The offending field.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// A page of a plan, with the counts of every flag over the whole plan.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PlanPageView {
    /// The plan.
    pub plan: i64,
    /// Its connection.
    pub connection: String,
    /// customers, job-invoices, contract-invoices or orders.
    pub entity: String,
    /// push or pull.
    pub direction: String,
    /// When it was compared (Unix seconds).
    pub created_at: i64,
    /// Rows per flag over the whole plan.
    pub counts: BTreeMap<String, usize>,
    /// Rows the filter keeps.
    pub matching: usize,
    /// Records the target sent that the host refused.
    pub refused: Vec<RefusedView>,
    /// This page's rows.
    pub rows: Vec<PlanRowView>,
    /// The next page's cursor, when there is one.
    pub next_cursor: Option<String>,
}

fn row_view(r: PlanRow) -> PlanRowView {
    PlanRowView {
        key: r.key,
        remote_id: r.remote_id,
        name: r.name,
        customer: r.customer,
        total: r.total,
        flag: r.flag,
        reason: r.reason,
        diffs: r
            .diffs
            .into_iter()
            .map(|d| FieldDiffView {
                field: d.field,
                home: d.home,
                remote: d.remote,
            })
            .collect(),
        creates_customer: r.creates_customer,
        not_undoable: r.not_undoable,
    }
}

fn page_view(p: PlanPage) -> PlanPageView {
    PlanPageView {
        plan: p.plan,
        connection: p.connection,
        entity: p.entity,
        direction: p.direction,
        created_at: p.created_at,
        counts: p.counts,
        matching: p.matching,
        refused: p
            .refused
            .into_iter()
            .map(|r| RefusedView {
                remote_id: r.remote_id,
                field: r.field,
                reason: r.reason,
            })
            .collect(),
        rows: p.rows.into_iter().map(row_view).collect(),
        next_cursor: p
            .next
            .and_then(|n| i64::try_from(n).ok())
            .map(encode_cursor),
    }
}

/// A stored plan, a page of rows at a time.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "transfers",
    params(("id" = i64, Path, description = "The plan (from a compare)"), PlanQuery),
    responses(
        (status = 200, body = PlanPageView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 410, description = "Retention removed the plan", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<PlanQuery>,
) -> ApiResult<Json<PlanPageView>> {
    let page = super::PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let after = page.position()?.unwrap_or(0);
    let filter = PlanFilter {
        flag: query.flag,
        search: query.q,
        after: usize::try_from(after).map_err(|_| {
            Problem::bad_request("the cursor is not one this server gave; start again without it")
        })?,
        limit: page.limit(),
    };
    if let Some(flag) = &filter.flag
        && !plan_view::FLAGS.contains(&flag.as_str())
    {
        return Err(Problem::bad_request(format!(
            "flag {flag:?} is not a plan flag; use one of {}",
            plan_view::FLAGS.join(", ")
        )));
    }
    let page = plan_view::page(state.transfers()?.state(), id, &filter)?;
    Ok(Json(page_view(page)))
}
