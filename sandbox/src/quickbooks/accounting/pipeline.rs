//! What every accounting request goes through, in order: bearer token (401),
//! realm covered by the grant (403), `minorversion` and `requestid` checks,
//! the realm's throttles (429), injected faults, then the operation under
//! the books' lock, with `requestid` replay for writes; a write that drew a
//! cut or a timeout is answered so only after it was applied. Each response carries
//! a [`LogNote`] with the token's fingerprint, never the token.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::fault::{QboFault, response_time};
use super::idempotency::{self, MAX_BATCH_REQUEST_ID, MAX_REQUEST_ID, Reply};
use super::limits::WINDOW;
use super::realm::Realm;
use crate::bearer::{self, BearerError};
use crate::company::Company;
use crate::faults::{Fault, cut_response};
use crate::log::LogNote;
use crate::profile::Profile;
use crate::state::Core;

/// Highest `minorversion` the sandbox knows (Intuit's floor since 2025-08-01).
pub(crate) const MAX_MINOR_VERSION: u32 = 75;

/// How a request is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    /// A write whose `requestid` may be at most 36 characters.
    Batch,
}

/// One accounting request.
pub(crate) struct Call {
    pub(crate) core: Arc<Core>,
    pub(crate) headers: HeaderMap,
    pub(crate) realm_id: String,
    pub(crate) params: HashMap<String, String>,
    pub(crate) access: Access,
}

impl Call {
    /// Runs `operation` (which returns the body without `time`) on the
    /// realm if every check passes.
    pub(crate) async fn serve(
        self,
        operation: impl FnOnce(&mut Realm, SystemTime) -> Result<Value, QboFault>,
    ) -> Response {
        let note = LogNote {
            token_hash: bearer::fingerprint(&self.headers),
            ..LogNote::default()
        };
        let core = &self.core;
        let now = core.clock.now();
        let grant = match bearer::authorize(core, &self.headers, Profile::QuickBooks) {
            Ok(grant) => grant,
            Err(error) => return note.attach(unauthorized(error, now)),
        };
        let company = match Company::find(Profile::QuickBooks, &self.realm_id) {
            Ok(company)
                if grant.tenant(company.id()).is_some()
                    && core.qbo_books.has_realm(company.id()) =>
            {
                company
            }
            _ => return note.attach(QboFault::forbidden_realm().response(now)),
        };
        if let Err(fault) = self.check_params() {
            return note.attach(fault.response(now));
        }
        let window = core.faults.scaled(WINDOW);
        let Some(_slot) = core
            .qbo_books
            .limits
            .admit(&self.realm_id, Instant::now(), window)
        else {
            return LogNote::outcome("throttled")
                .attach(note.attach(QboFault::throttled().response(now)));
        };
        let write = self.access != Access::Read;
        let fault = core.faults.draw(company, write);
        match fault {
            Some(Fault::TooManyRequests) => {
                return LogNote::outcome("injected_429")
                    .attach(note.attach(QboFault::throttled().response(now)));
            }
            Some(Fault::ServerError) => {
                return LogNote::outcome("injected_500")
                    .attach(note.attach(QboFault::server_error().response(now)));
            }
            Some(Fault::Slow { millis }) => tokio::time::sleep(Duration::from_millis(millis)).await,
            Some(Fault::DropBeforeApply) => {
                // The same bytes as a cut after the write; nothing is applied.
                return LogNote::outcome("drop_before_apply").attach(note.attach(cut_response()));
            }
            Some(Fault::CutAfterWrite | Fault::TimeoutAfterApply { .. }) | None => {}
        }
        let request_id = self.params.get("requestid").filter(|_| write).cloned();
        let reply = core.qbo_books.with_realm(&self.realm_id, |realm| {
            if let Some(reply) = request_id.as_deref().and_then(|id| realm.replies.get(id)) {
                return (reply.clone(), true);
            }
            let reply = match operation(realm, now) {
                Ok(mut body) => {
                    if let Some(fields) = body.as_object_mut() {
                        fields.insert("time".into(), json!(response_time(now)));
                    }
                    Reply {
                        status: StatusCode::OK,
                        body,
                    }
                }
                Err(fault) => Reply {
                    status: fault.status,
                    body: fault.body(now),
                },
            };
            if let Some(id) = &request_id {
                realm.replies.remember(id, reply.clone());
            }
            (reply, false)
        });
        let Some((reply, replayed)) = reply else {
            return note.attach(QboFault::forbidden_realm().response(now));
        };
        // The write stands from here on, whatever the client hears.
        let outcome = match fault {
            Some(Fault::CutAfterWrite) => {
                return LogNote::outcome("cut").attach(note.attach(cut_response()));
            }
            Some(Fault::TimeoutAfterApply { millis }) => {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                Some("timeout_after_apply")
            }
            _ => replayed.then_some("replayed"),
        };
        let note = LogNote {
            outcome: outcome.map(str::to_owned),
            ..note
        };
        note.attach((reply.status, Json(reply.body)).into_response())
    }

    fn check_params(&self) -> Result<(), QboFault> {
        if let Some(minor) = self.params.get("minorversion") {
            match minor.trim().parse::<u32>() {
                Ok(version) if version <= MAX_MINOR_VERSION => {}
                _ => return Err(QboFault::unsupported("minorversion")),
            }
        }
        if let Some(request_id) = self.params.get("requestid") {
            let max = if self.access == Access::Batch {
                MAX_BATCH_REQUEST_ID
            } else {
                MAX_REQUEST_ID
            };
            idempotency::check_length(request_id, max)?;
        }
        Ok(())
    }
}

/// 401 in the shape Intuit's gateway sends (as `companyinfo` answers).
fn unauthorized(error: BearerError, now: SystemTime) -> Response {
    let detail = match error {
        BearerError::Expired => "Token expired",
        BearerError::Revoked => "Token revoked",
        BearerError::Missing | BearerError::Unknown => "Token invalid",
    };
    let body = json!({
        "fault": {
            "error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": detail,
                "code": "3200",
            }],
            "type": "AUTHENTICATION",
        },
        "time": response_time(now),
    });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"Intuit\", error=\"invalid_token\""),
    );
    response
}
