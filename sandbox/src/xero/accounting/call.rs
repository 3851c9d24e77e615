//! What every Accounting API call goes through before and after its
//! handler: bearer token, `xero-tenant-id`, rate limits, injected faults,
//! the rate-limit headers and the request-log note.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::errors;
use super::filters::Query;
use super::rate_limit::{Refusal, Remaining, Slot};
use crate::bearer;
use crate::company::Company;
use crate::faults::{Fault, cut_response};
use crate::log::LogNote;
use crate::profile::Profile;
use crate::state::Core;

/// Header naming the organisation a call is for.
const TENANT_HEADER: &str = "xero-tenant-id";

/// An admitted call: authenticated, for a covered tenant, within limits.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) core: Arc<Core>,
    pub(crate) tenant: &'static str,
    pub(crate) query: Query,
    pub(crate) raw_query: String,
    note: LogNote,
    remaining: Remaining,
    fault: Option<Fault>,
    /// Frees the concurrent slot when the call (and its response) is done.
    _slot: Slot,
}

impl Call {
    /// Admits a call or answers it: 401, 403, 429 or an injected fault.
    pub(crate) async fn open(
        core: Arc<Core>,
        headers: &HeaderMap,
        raw_query: Option<String>,
        write: bool,
    ) -> Result<Call, Response> {
        let mut note = LogNote {
            token_hash: bearer::fingerprint(headers),
            ..LogNote::default()
        };
        let grant = match bearer::authorize(&core, headers, Profile::Xero) {
            Ok(grant) => grant,
            Err(error) => return Err(note.attach(errors::unauthorized(error))),
        };
        let Some(requested) = headers
            .get(TENANT_HEADER)
            .and_then(|value| value.to_str().ok())
        else {
            return Err(note.attach(errors::forbidden("AuthenticationUnsuccessful")));
        };
        let Some(tenant) = grant
            .tenant(requested.trim())
            .map(|tenant| tenant.tenant_id)
        else {
            return Err(note.attach(errors::forbidden("AuthorizationUnsuccessful")));
        };
        let (slot, remaining) = match core.xero_books.limits.acquire(tenant, &core.faults) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                // Which limit, as X-Rate-Limit-Problem says: "rate_limited:minute".
                note.outcome = Some(format!("rate_limited:{}", refusal.problem.header_value()));
                return Err(note.attach(refused(refusal)));
            }
        };
        let fault = core
            .faults
            .draw(Company::known(Profile::Xero, tenant), write);
        let with_limits = |response: Response| with_remaining(response, remaining);
        match fault {
            Some(Fault::TooManyRequests) => {
                note.outcome = Some("fault_too_many_requests".into());
                return Err(note.attach(refused(Refusal {
                    problem: super::rate_limit::Problem::Minute,
                    retry_after: 1,
                    remaining,
                })));
            }
            Some(Fault::ServerError) => {
                note.outcome = Some("fault_server_error".into());
                return Err(note.attach(with_limits(errors::unavailable())));
            }
            Some(Fault::Slow { millis }) => {
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            Some(Fault::DropBeforeApply) => {
                // The same bytes as a cut after the write; nothing is applied.
                note.outcome = Some("drop_before_apply".into());
                return Err(note.attach(with_limits(cut_response())));
            }
            Some(Fault::CutAfterWrite | Fault::TimeoutAfterApply { .. }) | None => {}
        }
        let raw_query = raw_query.unwrap_or_default();
        Ok(Call {
            core,
            tenant,
            query: Query::parse(Some(&raw_query)),
            raw_query,
            note,
            remaining,
            fault,
            _slot: slot,
        })
    }

    /// The handler's response with the rate-limit headers and log note; cut
    /// off after the headers if this write drew [`Fault::CutAfterWrite`], or
    /// held back if it drew [`Fault::TimeoutAfterApply`]. Handlers call it
    /// after applying the write, so the write stands either way.
    pub(crate) async fn finish(mut self, response: impl IntoResponse) -> Response {
        let response = response.into_response();
        match self.fault {
            Some(Fault::CutAfterWrite) => {
                self.note.outcome = Some("cut_after_write".into());
                return self
                    .note
                    .attach(with_remaining(cut_response(), self.remaining));
            }
            Some(Fault::TimeoutAfterApply { millis }) => {
                self.note.outcome = Some("timeout_after_apply".into());
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            _ => {}
        }
        let response = with_remaining(response, self.remaining);
        self.note.attach(response)
    }

    /// Sets the log outcome (e.g. `"replayed"`).
    pub(crate) fn outcome(&mut self, outcome: &str) {
        self.note.outcome = Some(outcome.to_owned());
    }
}

fn header(response: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

fn with_remaining(mut response: Response, remaining: Remaining) -> Response {
    header(&mut response, "x-minlimit-remaining", remaining.minute);
    header(&mut response, "x-daylimit-remaining", remaining.day);
    header(
        &mut response,
        "x-appminlimit-remaining",
        remaining.app_minute,
    );
    response
}

/// 429 with `Retry-After` and `X-Rate-Limit-Problem`.
fn refused(refusal: Refusal) -> Response {
    let mut response = with_remaining(errors::too_many_requests(), refusal.remaining);
    header(&mut response, "retry-after", refusal.retry_after);
    header(
        &mut response,
        "x-rate-limit-problem",
        refusal.problem.header_value(),
    );
    response
}
