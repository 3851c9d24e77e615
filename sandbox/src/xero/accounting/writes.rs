//! The write path shared by every PUT/POST: reading the body, honouring
//! `Idempotency-Key`, and answering with the bytes that a replay repeats.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use serde_json::Value;

use super::Data;
use super::call::Call;
use super::errors::{self, Reply};
use super::idempotency::{self, Kept, Lookup, MAX_KEY_LEN};

/// The elements of a write body: `{"<collection>": [...]}`, or one bare element.
pub(crate) fn elements(body: &[u8], collection: &str) -> Result<Vec<Value>, Reply> {
    let parsed: Value = serde_json::from_slice(body).map_err(|error| {
        errors::post_data_invalid(&format!("The request body is not valid JSON: {error}"))
    })?;
    let Value::Object(mut object) = parsed else {
        return Err(errors::post_data_invalid(&format!(
            "The request body must be a JSON object, e.g. {{\"{collection}\": [...]}}"
        )));
    };
    match object.remove(collection) {
        Some(Value::Array(elements)) => Ok(elements),
        Some(_) => Err(errors::post_data_invalid(&format!(
            "`{collection}` must be an array"
        ))),
        None => Ok(vec![Value::Object(object)]),
    }
}

/// `summarizeErrors` (default true: one invalid element refuses the batch).
/// Marks a rendered element as refused, the way Xero answers with `summarizeErrors=false`:
/// its `ValidationErrors`, the spec's error flag for that element (`HasValidationErrors`
/// on contacts and payments, `HasErrors` on invoices) and `StatusAttributeString: ERROR`.
pub(crate) fn mark_refused(json: &mut Value, problems: &[String], flag: &str) {
    let messages: Vec<Value> = problems
        .iter()
        .map(|message| serde_json::json!({ "Message": message }))
        .collect();
    json["ValidationErrors"] = Value::Array(messages);
    json[flag] = Value::Bool(true);
    json["StatusAttributeString"] = Value::String("ERROR".to_owned());
}

pub(crate) fn summarize_errors(call: &Call) -> bool {
    call.query.flag("summarizeErrors").unwrap_or(true)
}

/// Runs `apply` on the tenant's data once per idempotency key, and answers.
pub(crate) async fn run(
    mut call: Call,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    apply: impl FnOnce(&mut Data, &Call) -> Reply,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .map(|value| value.to_str().map(str::to_owned));
    let key = match key {
        None => None,
        Some(Ok(key)) if !key.is_empty() && key.len() <= MAX_KEY_LEN => Some(key),
        Some(_) => {
            let reply = errors::post_data_invalid(&format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            ));
            return call.finish(reply).await;
        }
    };
    let fingerprint = idempotency::fingerprint(method, path, &call.raw_query, body);
    let core = std::sync::Arc::clone(&call.core);
    let outcome = core.xero_books.with(call.tenant, |ledger| {
        if let Some(key) = &key {
            match ledger.idempotency.lookup(key, &fingerprint) {
                Lookup::Replay(kept) => return Ok((kept, true)),
                Lookup::Conflict => {
                    return Err(errors::post_data_invalid(&format!(
                        "Idempotency-Key '{key}' was already used for a different request; \
                         send a new key for a new request"
                    )));
                }
                Lookup::New => {}
            }
        }
        match apply(&mut ledger.data, &call) {
            Reply::Json(status, body) => {
                let kept = Kept {
                    status,
                    body: serde_json::to_vec(&body).unwrap_or_default(),
                };
                if let Some(key) = &key {
                    ledger.idempotency.keep(key, fingerprint, kept.clone());
                }
                Ok((kept, false))
            }
            other => Err(other),
        }
    });
    match outcome {
        Ok((kept, replayed)) => {
            if replayed {
                call.outcome("replayed");
            } else if kept.status != StatusCode::OK {
                call.outcome("validation_error");
            }
            call.finish(json_bytes(kept)).await
        }
        Err(reply) => {
            call.outcome("bad_request");
            call.finish(reply).await
        }
    }
}

fn json_bytes(kept: Kept) -> Response {
    let mut response = Body::from(kept.body).into_response();
    *response.status_mut() = kept.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
