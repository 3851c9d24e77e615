//! The Xero resources a client uses to see its tokens work: the identity
//! API's `GET /connections` (shape from `xero-identity.yaml`) and the
//! accounting API's `GET /api.xro/2.0/Organisation`.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::tenants::{self, DemoOrganisation};
use crate::bearer::{self, BearerError};
use crate::clock::unix_millis;
use crate::grants::{Grant, Tenant};
use crate::log::LogNote;
use crate::params::Params;
use crate::profile::Profile;
use crate::state::Core;

/// Header naming the organisation an accounting API call is for.
const TENANT_HEADER: &str = "xero-tenant-id";

/// `GET /connections`: the tenants the token's grant covers, optionally
/// filtered by `authEventId`.
pub(crate) async fn connections(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let note = LogNote {
        token_hash: bearer::fingerprint(&headers),
        ..LogNote::default()
    };
    let grant = match bearer::authorize(&core, &headers, Profile::Xero) {
        Ok(grant) => grant,
        Err(error) => return note.attach(unauthorized(error, core.clock.now())),
    };
    let params = match Params::parse(query.as_deref().unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(error) => {
            return note.attach(problem(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                &error.to_string(),
            ));
        }
    };
    let auth_event = params.get("authEventId");
    let body: Vec<Value> = grant
        .tenants
        .iter()
        .filter(|_| auth_event.is_none_or(|wanted| wanted == grant.auth_event_id))
        .map(|tenant| connection(&grant, tenant))
        .collect();
    note.attach(Json(body))
}

/// One `Connection` object.
fn connection(grant: &Grant, tenant: &Tenant) -> Value {
    let connected = connection_date(grant.created_at);
    json!({
        "id": tenant.connection_id,
        "authEventId": grant.auth_event_id,
        "tenantId": tenant.tenant_id,
        "tenantType": "ORGANISATION",
        "tenantName": tenant.name,
        "createdDateUtc": connected,
        "updatedDateUtc": connected,
    })
}

/// `GET /api.xro/2.0/Organisation` for the organisation in `xero-tenant-id`.
pub(crate) async fn organisation(State(core): State<Arc<Core>>, headers: HeaderMap) -> Response {
    let note = LogNote {
        token_hash: bearer::fingerprint(&headers),
        ..LogNote::default()
    };
    let now = core.clock.now();
    let grant = match bearer::authorize(&core, &headers, Profile::Xero) {
        Ok(grant) => grant,
        Err(error) => return note.attach(unauthorized(error, now)),
    };
    let Some(tenant_id) = headers
        .get(TENANT_HEADER)
        .and_then(|value| value.to_str().ok())
    else {
        return note.attach(problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "AuthenticationUnsuccessful",
        ));
    };
    let covered = grant
        .tenant(tenant_id.trim())
        .map(|tenant| tenant.tenant_id);
    let Some(organisation) = covered.and_then(tenants::organisation) else {
        return note.attach(problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "AuthorizationUnsuccessful",
        ));
    };
    note.attach(Json(json!({
        "Id": Uuid::new_v4().to_string(),
        "Status": "OK",
        "ProviderName": "ledgerlink sandbox",
        "DateTimeUTC": ms_date(now),
        "Organisations": [organisation_json(organisation)],
    })))
}

/// One `Organisation` object (field names from `xero_accounting.yaml`).
fn organisation_json(organisation: &DemoOrganisation) -> Value {
    json!({
        "OrganisationID": organisation.id,
        "Name": organisation.name,
        "LegalName": organisation.name,
        "PaysTax": true,
        "Version": organisation.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": organisation.base_currency,
        "CountryCode": organisation.country_code,
        "IsDemoCompany": true,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": organisation.financial_year_end_month,
        "SalesTaxBasis": organisation.sales_tax_basis,
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": format!("/Date({})/", organisation.created_millis),
        "OrganisationEntityType": "COMPANY",
        "Timezone": organisation.timezone,
        "ShortCode": organisation.short_code,
        "Edition": "BUSINESS",
        "Class": "DEMO",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    })
}

/// 401 in Xero's problem shape, with an RFC 6750 challenge.
fn unauthorized(error: BearerError, now: SystemTime) -> Response {
    let detail = match error {
        BearerError::Expired => format!(
            "TokenExpired: token expired at {}",
            DateTime::<Utc>::from(now).format("%m/%d/%Y %H:%M:%S")
        ),
        BearerError::Missing | BearerError::Unknown | BearerError::Revoked => {
            "AuthenticationUnsuccessful".to_owned()
        }
    };
    let mut response = problem(StatusCode::UNAUTHORIZED, "Unauthorized", &detail);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"xero-sandbox\", error=\"invalid_token\""),
    );
    response
}

/// Xero's problem-details body: `{"Type":null,"Title":...,"Status":...,"Detail":...}`.
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

/// Xero's `/Date(1552404447003)/` timestamps.
fn ms_date(at: SystemTime) -> String {
    format!("/Date({})/", unix_millis(at))
}

/// The identity API's `2019-12-07T18:46:19.5165400` timestamps: UTC, no
/// zone designator, seven fraction digits.
fn connection_date(at: SystemTime) -> String {
    let at = DateTime::<Utc>::from(at);
    format!(
        "{}.{:07}",
        at.format("%Y-%m-%dT%H:%M:%S"),
        at.timestamp_subsec_nanos() / 100
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_use_xeros_formats() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_575_744_379_516_540_000);
        assert_eq!(connection_date(at), "2019-12-07T18:46:19.5165400");
        assert_eq!(ms_date(at), "/Date(1575744379516)/");
    }
}
