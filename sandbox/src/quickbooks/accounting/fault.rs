//! Intuit's `Fault` bodies (IntuitRestServiceDef.xsd: `Fault` of `Error`s
//! with `Message`, `Detail`, `code`, `element`; `type` on the fault) and the
//! company-time stamps every response carries.
//!
//! Codes come from Intuit's published IPP error-code list where it has one;
//! where it has none the choice is marked "sandbox choice" and documented in
//! the module doc of `accounting`.

use std::time::{Duration, SystemTime};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Intuit reports times in the company's zone; the sandbox companies keep
/// California summer time, as `companyinfo` does.
const COMPANY_UTC_OFFSET: Duration = Duration::from_secs(7 * 3600);
/// The suffix matching [`COMPANY_UTC_OFFSET`].
const COMPANY_OFFSET_SUFFIX: &str = "-07:00";

/// The company-local wall clock for `at`.
fn local(at: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(at.checked_sub(COMPANY_UTC_OFFSET).unwrap_or(at))
}

/// `time` of a response: `2024-05-01T10:00:00.123-07:00`.
pub(crate) fn response_time(at: SystemTime) -> String {
    format!(
        "{}{COMPANY_OFFSET_SUFFIX}",
        local(at).format("%Y-%m-%dT%H:%M:%S%.3f")
    )
}

/// `MetaData` times: `2024-05-01T10:00:00-07:00` (no fraction, as Intuit).
pub(crate) fn meta_time(at: SystemTime) -> String {
    format!(
        "{}{COMPANY_OFFSET_SUFFIX}",
        local(at).format("%Y-%m-%dT%H:%M:%S")
    )
}

/// The company-local date of `at`, for `TxnDate`.
pub(crate) fn company_date(at: SystemTime) -> String {
    local(at).format("%Y-%m-%d").to_string()
}

/// One `Error` of a `Fault`, with the HTTP status and fault type it travels with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QboFault {
    pub(crate) status: StatusCode,
    /// `ValidationFault`, `SystemFault`, `AuthenticationFault`, `SERVICE`.
    pub(crate) kind: &'static str,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) detail: String,
    pub(crate) element: Option<String>,
}

impl QboFault {
    /// A 400 `ValidationFault`.
    pub(crate) fn validation(code: &'static str, message: &str, detail: String) -> QboFault {
        QboFault {
            status: StatusCode::BAD_REQUEST,
            kind: "ValidationFault",
            code,
            message: message.to_owned(),
            detail,
            element: None,
        }
    }

    /// Names the offending element (the `element` attribute of `Error`).
    pub(crate) fn at(mut self, element: &str) -> QboFault {
        self.element = Some(element.to_owned());
        self
    }

    /// 610: a read or write of an entity that does not exist or was deleted.
    pub(crate) fn not_found(entity: &str, id: &str) -> QboFault {
        QboFault::validation(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. \
             Check the fields with accounts, customers, items, vendors or employees."
                .to_owned(),
        )
        .at(&format!("{entity}.Id={id}"))
    }

    /// 5010: the `SyncToken` sent is not the current one.
    pub(crate) fn stale() -> QboFault {
        QboFault::validation(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and sandbox were working on this at the same time. \
             sandbox finished before you did, so your work was not saved."
                .to_owned(),
        )
        .at("SyncToken")
    }

    /// 2020: a required element is missing.
    pub(crate) fn required(element: &str) -> QboFault {
        QboFault::validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            format!("Required parameter {element} is missing in the request"),
        )
        .at(element)
    }

    /// 2010: an element the sandbox (and the schema) does not know, or a
    /// value of the wrong JSON type.
    pub(crate) fn unsupported(element: &str) -> QboFault {
        QboFault::validation(
            "2010",
            "Request has invalid or unsupported property",
            format!("Property Name:{element} specified is unsupported or invalid"),
        )
        .at(element)
    }

    /// 2050: a string longer than Intuit allows.
    pub(crate) fn too_long(element: &str, max: usize, supplied: usize) -> QboFault {
        QboFault::validation(
            "2050",
            "String length is either shorter or longer than supported by specification",
            format!(
                "String length specified does not match the supported length. \
                 Min:0 Max:{max} supplied:{supplied}"
            ),
        )
        .at(element)
    }

    /// 2500: a reference to an entity that does not exist.
    pub(crate) fn invalid_reference(element: &str, entity: &str, id: &str) -> QboFault {
        QboFault::validation(
            "2500",
            "Invalid Reference Id",
            format!("Invalid Reference Id : {entity} element id {id} not found"),
        )
        .at(element)
    }

    /// 4000: the query does not parse.
    pub(crate) fn query_parse(detail: String) -> QboFault {
        QboFault::validation(
            "4000",
            "Error parsing query",
            format!("QueryParserError: {detail}"),
        )
    }

    /// 4001: the query parses but asks for something unsupported.
    pub(crate) fn query_invalid(detail: String) -> QboFault {
        QboFault::validation(
            "4001",
            "Invalid query",
            format!("QueryValidationError: {detail}"),
        )
    }

    /// 3001 / 429: over the per-realm rate or concurrency limit.
    pub(crate) fn throttled() -> QboFault {
        QboFault {
            status: StatusCode::TOO_MANY_REQUESTS,
            kind: "SERVICE",
            code: "3001",
            message: "message=ThrottleExceeded; errorCode=003001; statusCode=429".to_owned(),
            detail: "The request limit was reached.".to_owned(),
            element: None,
        }
    }

    /// 10000 / 500: the injected server error.
    pub(crate) fn server_error() -> QboFault {
        QboFault {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "SystemFault",
            code: "10000",
            message: "An application error has occurred while processing your request".to_owned(),
            detail: "System Failure Error: An unexpected error occurred while accessing or \
                     saving your data. Please wait a few minutes and try again."
                .to_owned(),
            element: None,
        }
    }

    /// 003100 / 403: the token's grant does not cover the realm (as `companyinfo`).
    pub(crate) fn forbidden_realm() -> QboFault {
        QboFault {
            status: StatusCode::FORBIDDEN,
            kind: "SERVICE",
            code: "003100",
            message: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
                .to_owned(),
            detail: "The token does not grant access to this company (realmId)".to_owned(),
            element: None,
        }
    }

    /// The `Fault` object alone (batch items carry it without `time`).
    pub(crate) fn fault_json(&self) -> Value {
        let mut error =
            json!({ "Message": self.message, "Detail": self.detail, "code": self.code });
        if let (Some(element), Some(fields)) = (&self.element, error.as_object_mut()) {
            fields.insert("element".into(), json!(element));
        }
        json!({ "Error": [error], "type": self.kind })
    }

    /// The whole response body.
    pub(crate) fn body(&self, now: SystemTime) -> Value {
        json!({ "Fault": self.fault_json(), "time": response_time(now) })
    }

    /// The HTTP response.
    pub(crate) fn response(&self, now: SystemTime) -> Response {
        (self.status, Json(self.body(now))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_company_local() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_714_582_800_123);
        assert_eq!(response_time(at), "2024-05-01T10:00:00.123-07:00");
        assert_eq!(meta_time(at), "2024-05-01T10:00:00-07:00");
        assert_eq!(company_date(at), "2024-05-01");
    }

    #[test]
    fn faults_carry_element_only_when_known() {
        let body = QboFault::stale().fault_json();
        assert_eq!(body["Error"][0]["code"], "5010");
        assert_eq!(body["Error"][0]["element"], "SyncToken");
        assert_eq!(body["type"], "ValidationFault");
        let body = QboFault::throttled().fault_json();
        assert!(body["Error"][0].get("element").is_none());
    }
}
