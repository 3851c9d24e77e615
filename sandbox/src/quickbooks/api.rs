//! The QuickBooks Online resource a client uses to see its tokens work:
//! `GET /v3/company/{realmId}/companyinfo/{realmId}`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::COMPANY_NAME;
use crate::bearer::{self, BearerError};
use crate::log::LogNote;
use crate::profile::Profile;
use crate::state::Core;

/// Intuit reports times in the company's zone; the sandbox company is in
/// California (UTC-7 in the summer, which is what Intuit's samples show).
const COMPANY_UTC_OFFSET: Duration = Duration::from_secs(7 * 3600);

/// `GET /v3/company/{realmId}/companyinfo/{realmId}`.
pub(crate) async fn company_info(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    Path((realm_id, company_id)): Path<(String, String)>,
) -> Response {
    let note = LogNote {
        token_hash: bearer::fingerprint(&headers),
        ..LogNote::default()
    };
    let now = core.clock.now();
    let grant = match bearer::authorize(&core, &headers, Profile::QuickBooks) {
        Ok(grant) => grant,
        Err(error) => return note.attach(unauthorized(error, now)),
    };
    if grant.tenant(&realm_id).is_none() {
        return note.attach(fault(
            StatusCode::FORBIDDEN,
            "SERVICE",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "The token does not grant access to this company (realmId)",
            "003100",
            now,
        ));
    }
    if company_id != realm_id {
        return note.attach(fault(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. \
             Check the fields with accounts, customers, items, vendors or employees.",
            "610",
            now,
        ));
    }
    note.attach(Json(
        json!({ "CompanyInfo": company_info_json(), "time": intuit_time(now) }),
    ))
}

/// The sandbox company (field names from Finance.xsd `CompanyInfo`).
fn company_info_json() -> Value {
    let address = json!({
        "Id": "1",
        "Line1": "123 Sierra Way",
        "City": "San Pablo",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "87999",
    });
    json!({
        "CompanyName": COMPANY_NAME,
        "LegalName": COMPANY_NAME,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {},
        "CompanyStartDate": "2024-01-01",
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": { "Address": "noreply@quickbooks.com" },
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [
            { "Name": "NeoEnabled", "Value": "true" },
            { "Name": "IsQbdtMigrated", "Value": "false" },
            { "Name": "SubscriptionStatus", "Value": "SUBSCRIBED" },
            { "Name": "OfferingSku", "Value": "QuickBooks Online Plus" },
            { "Name": "PayrollFeature", "Value": "false" },
            { "Name": "AccountantFeature", "Value": "false" },
            { "Name": "QBOIndustryType", "Value": "Landscaping Services" },
            { "Name": "ItemCategoriesFeature", "Value": "true" },
            { "Name": "AssignedTime", "Value": "2024-01-01T00:00:00-07:00" },
        ],
        "domain": "QBO",
        "sparse": false,
        "Id": "1",
        "SyncToken": "4",
        "MetaData": {
            "CreateTime": "2024-01-01T00:00:00-07:00",
            "LastUpdatedTime": "2024-01-01T00:00:00-07:00",
        },
    })
}

/// 401 in the shape Intuit's gateway sends for a bad or expired token.
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
        "time": intuit_time(now),
    });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"Intuit\", error=\"invalid_token\""),
    );
    response
}

/// An API `Fault` (IntuitRestServiceDef.xsd: `Fault` of `Error`s with
/// `Message`, `Detail`, `code`; `type` on the fault).
fn fault(
    status: StatusCode,
    kind: &str,
    message: &str,
    detail: &str,
    code: &str,
    now: SystemTime,
) -> Response {
    let body = json!({
        "Fault": {
            "Error": [{ "Message": message, "Detail": detail, "code": code }],
            "type": kind,
        },
        "time": intuit_time(now),
    });
    (status, Json(body)).into_response()
}

/// Intuit's `2024-05-01T10:00:00.000-07:00` timestamps.
fn intuit_time(at: SystemTime) -> String {
    let local = DateTime::<Utc>::from(at.checked_sub(COMPANY_UTC_OFFSET).unwrap_or(at));
    format!("{}-07:00", local.format("%Y-%m-%dT%H:%M:%S%.3f"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intuit_time_is_pacific_with_milliseconds() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_714_582_800_123);
        assert_eq!(intuit_time(at), "2024-05-01T10:00:00.123-07:00");
    }
}
