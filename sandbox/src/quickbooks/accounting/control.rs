//! `/_sandbox/qbo/...`: what tests in other crates need to see and steer
//! the QuickBooks books (documented in the `accounting` module doc).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::realm::{Kind, Realm};
use super::{COMPANIES, Company, batch};
use crate::grants::{Grant, Tenant};
use crate::profile::Profile;
use crate::state::Core;

/// Lifetime of a token minted here (Intuit's access token lifetime).
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

fn company(realm_id: &str) -> Option<&'static Company> {
    COMPANIES
        .iter()
        .find(|company| company.realm_id == realm_id)
}

fn unknown_realm(realm_id: &str) -> Response {
    let body = json!({ "error": format!("no sandbox realm {realm_id}") });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// `GET /_sandbox/qbo/realms`.
pub(crate) async fn realms() -> Json<Value> {
    let realms: Vec<Value> = COMPANIES
        .iter()
        .map(|company| json!({ "realmId": company.realm_id, "companyName": company.name, "country": company.country }))
        .collect();
    Json(json!({ "realms": realms }))
}

/// `POST /_sandbox/qbo/{realm}/token`: a new grant for this realm alone and
/// its access token, as if its admin had connected the app.
pub(crate) async fn token(State(core): State<Arc<Core>>, Path(realm_id): Path<String>) -> Response {
    let Some(company) = company(&realm_id) else {
        return unknown_realm(&realm_id);
    };
    let now = core.clock.now();
    let mut store = core.store();
    let grant = store.grants.create(Grant {
        profile: Profile::QuickBooks,
        client_id: crate::clients::QBO_CLIENT_ID,
        scope: "com.intuit.quickbooks.accounting".to_owned(),
        created_at: now,
        auth_event_id: uuid::Uuid::new_v4().to_string(),
        tenants: vec![Tenant {
            connection_id: uuid::Uuid::new_v4().to_string(),
            tenant_id: company.realm_id,
            name: company.name,
        }],
        revoked: false,
    });
    let access_token = store.grants.issue_access(grant, now, TOKEN_LIFETIME);
    Json(json!({
        "token_type": "bearer",
        "access_token": access_token,
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "realmId": company.realm_id,
    }))
    .into_response()
}

async fn dump(core: &Core, realm_id: &str, kind: Kind) -> Response {
    if company(realm_id).is_none() {
        return unknown_realm(realm_id);
    }
    let entities = core
        .qbo_books
        .with_realm(realm_id, |realm| {
            realm
                .all(kind)
                .map(|entity| entity.dumped())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut body = serde_json::Map::new();
    body.insert(kind.name().to_owned(), Value::Array(entities));
    Json(Value::Object(body)).into_response()
}

/// `GET /_sandbox/qbo/{realm}/customers`.
pub(crate) async fn customers(
    State(core): State<Arc<Core>>,
    Path(realm_id): Path<String>,
) -> Response {
    dump(&core, &realm_id, Kind::Customer).await
}

/// `GET /_sandbox/qbo/{realm}/invoices`.
pub(crate) async fn invoices(
    State(core): State<Arc<Core>>,
    Path(realm_id): Path<String>,
) -> Response {
    dump(&core, &realm_id, Kind::Invoice).await
}

/// `GET /_sandbox/qbo/{realm}/creditmemos`.
pub(crate) async fn credit_memos(
    State(core): State<Arc<Core>>,
    Path(realm_id): Path<String>,
) -> Response {
    dump(&core, &realm_id, Kind::CreditMemo).await
}

/// `GET /_sandbox/qbo/{realm}/payments`.
pub(crate) async fn payments(
    State(core): State<Arc<Core>>,
    Path(realm_id): Path<String>,
) -> Response {
    dump(&core, &realm_id, Kind::Payment).await
}

/// Where a realm keeps the batch limit set by [`reset`]: an entry of its `requestid` memory
/// under a key longer than any `requestid` a client may send (50 characters, 36 on `/batch`,
/// refused beyond), so no request can read or replace it; a reset drops it with the realm.
/// The largest batch `realm` accepts: [`batch::MAX_ITEMS`] unless a reset lowered it.
pub(crate) fn batch_limit(realm: &Realm) -> usize {
    realm.batch_limit
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// `POST /_sandbox/qbo/{realm}/reset`: the realm as a fresh sandbox has it, with no
/// faults queued or set for it and its count of faults served back at 0.
///
/// An optional JSON body `{"batchLimit": n}` (1 to 30) makes the fresh realm refuse a
/// `/batch` of more than `n` items with the 1040 fault it gives a batch of 31, as Intuit
/// does when it lowers the limit for a company under load; the answer then also carries
/// `"batchLimit": n`. A reset without it restores the limit of 30.
///
/// An optional `{"multiCurrency": true}` (with or without `batchLimit`) makes the fresh
/// company a multicurrency one (`Preferences.CurrencyPrefs.MultiCurrencyEnabled` true), as
/// its admin would in QuickBooks; the answer then carries `"multiCurrency": true`. A reset
/// without it gives a single-currency company again (Intuit's default).
pub(crate) async fn reset(
    State(core): State<Arc<Core>>,
    Path(realm_id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(company) = company(&realm_id) else {
        return unknown_realm(&realm_id);
    };
    let options: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(options) => options,
            Err(error) => return bad_request(format!("reset options are not JSON: {error}")),
        }
    };
    let multi_currency = match options.get("multiCurrency") {
        None => false,
        Some(Value::Bool(on)) => *on,
        Some(other) => {
            return bad_request(format!("multiCurrency must be true or false, not {other}"));
        }
    };
    let limit = {
        match options.get("batchLimit") {
            None => None,
            Some(max) => match max.as_u64() {
                Some(max) if (1..=batch::MAX_ITEMS as u64).contains(&max) => Some(max),
                _ => {
                    return bad_request(format!(
                        "batchLimit must be a whole number from 1 to {}, not {max}",
                        batch::MAX_ITEMS
                    ));
                }
            },
        }
    };
    core.qbo_books.reset(company, core.clock.now());
    core.faults.reset(crate::company::Company::known(
        Profile::QuickBooks,
        company.realm_id,
    ));
    let mut answer = json!({ "realmId": company.realm_id, "reset": true });
    if multi_currency {
        core.qbo_books.with_realm(company.realm_id, |realm| {
            realm.multi_currency = true;
        });
        answer["multiCurrency"] = json!(true);
    }
    if let Some(max) = limit {
        core.qbo_books.with_realm(company.realm_id, |realm| {
            realm.batch_limit = usize::try_from(max).unwrap_or(batch::MAX_ITEMS);
        });
        answer["batchLimit"] = json!(max);
    }
    Json(answer).into_response()
}
