//! Xero's error answers: the `Error` schema for 400s, plain text for 404,
//! 429 and 503, and the problem-details shape of the auth layer (401/403).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::bearer::BearerError;

/// What a handler answers, before the call's headers are added. Kept as a
/// value so an idempotent replay can reproduce it byte for byte.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A JSON body.
    Json(StatusCode, Value),
    /// Xero's 404 for an unknown id.
    NotFound,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, body) => (status, Json(body)).into_response(),
            Reply::NotFound => not_found(),
        }
    }
}

/// 400 `ValidationException` listing the refused elements, each carrying
/// its `ValidationErrors`.
pub(crate) fn validation(elements: Vec<Value>) -> Reply {
    Reply::Json(
        StatusCode::BAD_REQUEST,
        json!({
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        }),
    )
}

/// 400 `PostDataInvalidException`: a body that is not what the endpoint takes.
pub(crate) fn post_data_invalid(message: &str) -> Reply {
    Reply::Json(
        StatusCode::BAD_REQUEST,
        json!({ "ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message }),
    )
}

/// 400 `QueryParseException`: a `where`, paging or date parameter that cannot be read.
pub(crate) fn query_parse(message: &str) -> Reply {
    Reply::Json(
        StatusCode::BAD_REQUEST,
        json!({ "ErrorNumber": 16, "Type": "QueryParseException", "Message": message }),
    )
}

/// Xero's 404: plain text.
pub(crate) fn not_found() -> Response {
    text(
        StatusCode::NOT_FOUND,
        "The resource you're looking for cannot be found",
    )
}

/// 503 for an injected server fault.
pub(crate) fn unavailable() -> Response {
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        "The Xero API is temporarily unavailable; try again shortly.",
    )
}

/// 429; the rate-limit headers are added by the call.
pub(crate) fn too_many_requests() -> Response {
    text(
        StatusCode::TOO_MANY_REQUESTS,
        "Rate limit exceeded; retry after the number of seconds in Retry-After.",
    )
}

fn text(status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 401 in Xero's problem shape, with an RFC 6750 challenge (as `/Organisation`).
pub(crate) fn unauthorized(error: BearerError) -> Response {
    let detail = match error {
        BearerError::Expired => "TokenExpired: token expired",
        BearerError::Missing | BearerError::Unknown | BearerError::Revoked => {
            "AuthenticationUnsuccessful"
        }
    };
    let mut response = problem(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"xero-sandbox\", error=\"invalid_token\""),
    );
    response
}

/// 403: no `xero-tenant-id`, or one the grant does not cover.
pub(crate) fn forbidden(detail: &str) -> Response {
    problem(StatusCode::FORBIDDEN, "Forbidden", detail)
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = json!({
        "Type": null,
        "Title": title,
        "Status": status.as_u16(),
        "Detail": detail,
        "Instance": Uuid::new_v4().to_string(),
        "Extensions": {},
    });
    (status, Json(body)).into_response()
}
