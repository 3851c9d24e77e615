//! `/api/v1/reviews`: the customer-matching review items (a home customer that looks like a
//! target customer without the evidence to link them) and the decision for each, as
//! `ledgerlink reviews list|resolve` — the same library functions (`transfer::reviews`).

use axum::Json;
use axum::extract::{Path, Query, State};

use super::{PageQuery, slice_page};
use crate::server::AppState;
use crate::server::guard::Caller;
use crate::server::problem::{ApiResult, Problem, ProblemBody};
use crate::store::directory::{Decision, Review};
use crate::transfer::reviews::{self, Choice};

/// A target customer a review item's home customer looks like.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CandidateView {
    /// Its id in the target.
    pub remote_id: String,
    /// Its name there.
    pub name: String,
    /// Its e-mail there.
    pub email: Option<String>,
    /// Its tax number there.
    pub tax_number: Option<String>,
    /// False when archived / inactive there.
    pub active: bool,
}

/// A review item.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewView {
    /// The connection.
    pub connection: String,
    /// The Tracker Pro customer's id.
    pub home_key: String,
    /// Its name.
    pub home_name: String,
    /// The target customers it looks like.
    pub candidates: Vec<CandidateView>,
    /// Why it is a review item.
    pub reason: String,
    /// The run that raised it.
    pub run_id: i64,
    /// `open`, `link`, `create` or `skip`.
    pub decision: String,
    /// For `link`: the target customer.
    pub remote_id: Option<String>,
}

impl ReviewView {
    fn of(r: Review) -> Self {
        let (decision, remote_id) = match r.decision {
            None => ("open", None),
            Some(Decision::Link(id)) => ("link", Some(id)),
            Some(Decision::Create) => ("create", None),
            Some(Decision::Skip) => ("skip", None),
        };
        ReviewView {
            connection: r.connection,
            home_key: r.home_key,
            home_name: r.home_name,
            candidates: r
                .candidates
                .into_iter()
                .map(|c| CandidateView {
                    remote_id: c.remote_id,
                    name: c.name,
                    email: c.email,
                    tax_number: c.tax_number,
                    active: c.active,
                })
                .collect(),
            reason: r.reason,
            run_id: r.run_id,
            decision: decision.to_owned(),
            remote_id,
        }
    }
}

/// A page of review items.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewPage {
    /// The items, by connection and customer.
    pub items: Vec<ReviewView>,
    /// The next page's cursor, if there is one.
    pub next_cursor: Option<String>,
}

/// Which review items.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Only this connection's.
    pub connection: Option<String>,
}

/// The review items, open and decided.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(ReviewQuery, PageQuery),
    responses(
        (status = 200, body = ReviewPage),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(which): Query<ReviewQuery>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<ReviewPage>> {
    let all: Vec<ReviewView> =
        reviews::list(state.transfers()?.state(), which.connection.as_deref())?
            .into_iter()
            .map(ReviewView::of)
            .collect();
    let (items, next_cursor) = slice_page(&all, &page)?;
    Ok(Json(ReviewPage { items, next_cursor }))
}

/// A decision for a review item.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `link`, `create` or `skip`.
    pub decision: String,
    /// For `link`: the target customer (optional when there is one candidate).
    pub remote_id: Option<String>,
}

/// Decide a review item; the next push applies it.
#[utoipa::path(put, path = "/api/v1/reviews/{connection}/{key}", tag = "reviews",
    params(("connection" = String, Path, description = "The connection"),
           ("key" = String, Path, description = "The Tracker Pro customer's id")),
    request_body = DecisionRequest,
    responses(
        (status = 200, body = ReviewView),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    _caller: Caller,
    Path((connection, key)): Path<(String, String)>,
    Json(request): Json<DecisionRequest>,
) -> ApiResult<Json<ReviewView>> {
    let choice = match (request.decision.as_str(), request.remote_id) {
        ("link", id) => Choice::Link(id),
        ("create", None) => Choice::Create,
        ("skip", None) => Choice::Skip,
        ("create" | "skip", Some(_)) => {
            return Err(Problem::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "remote_id goes with the link decision only; leave it out for create or skip",
            ));
        }
        (other, _) => {
            return Err(Problem::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                format!("decision {other:?} is not one; use link, create or skip"),
            ));
        }
    };
    let transfers = state.transfers()?;
    let (mut review, decision) = reviews::resolve(transfers.state(), &connection, &key, choice)?;
    review.decision = Some(decision);
    Ok(Json(ReviewView::of(review)))
}
