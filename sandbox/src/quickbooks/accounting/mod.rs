//! QuickBooks Online's Accounting API (`/qbo/v3/company/{realmId}/...`,
//! Intuit's `https://quickbooks.api.intuit.com/v3/company/{realmId}/...`):
//! customers, invoices, credit memos, payments, items, tax codes, preferences, query, CDC
//! and batch,
//! per realm, built from Intuit's XSDs (`Finance.xsd`, `IntuitRestServiceDef.xsd`,
//! ...) and its published error codes. JSON only; element names as in the XSDs.
//!
//! # Realms
//!
//! | realm | company | tax codes |
//! |---|---|---|
//! | `9341453172470495` ([`QBO_REALM_ID`]) | Sandbox Company_US_1 (home currency USD) | `TAX` 8.5 %, `NON` |
//! | `9130357992268376` ([`AU_REALM_ID`]) | Sandbox Company_AU_1 (home currency AUD) | `10` GST 10 %, `11` GST free |
//!
//! Both start single-currency (`MultiCurrencyEnabled` false, Intuit's default); a reset with
//! `{"multiCurrency": true}` makes a realm multicurrency (see [`currency`] for the rules:
//! known currencies USD, AUD, CAD, EUR, GBP, NZD, JPY; fixed sandbox exchange rates).
//!
//! The OAuth flow's grants cover the US realm only (its callback names one
//! `realmId`). A token for either realm comes from the control endpoint
//! `POST /_sandbox/qbo/{realm}/token`, which creates a second grant covering
//! just that realm, as a second company's admin connecting the app would. A
//! token used on a realm its grant does not cover gets 403 (`003100`).
//!
//! Both realms hold items `1` Services (100), `2` Hours (75), `3` Parts
//! (12.5), `4` Old Rates (inactive); one vendor and one employee (US: "Bob's
//! Burger Joint", "Emily Platt"; AU: "Sydney Supplies", "Liam Nguyen").
//!
//! # Endpoints (under `/qbo/v3/company/{realmId}`)
//!
//! - `POST /customer` create; with `Id` + `SyncToken` a full update, with
//!   `"sparse": true` a sparse one. `GET /customer/{id}`.
//! - `POST /invoice` create / update; `?operation=delete` and
//!   `?operation=void` with `{"Id", "SyncToken"}`. `GET /invoice/{id}`.
//! - `POST /creditmemo` create / update; `?operation=delete` with `{"Id", "SyncToken"}`
//!   (no void: Intuit documents none for credit memos). `GET /creditmemo/{id}`.
//! - `GET /preferences` → `{"Preferences": {"CurrencyPrefs": {"MultiCurrencyEnabled",
//!   "HomeCurrency": {"value"}}, "SalesFormsPrefs": {"CustomTxnNumbers": true}, ...}}`;
//!   `POST /preferences` is 500 "Unsupported Operation".
//! - `POST /payment` create only; `GET /payment/{id}`.
//! - `GET /item/{id}`, `GET /taxcode/{id}`.
//! - `GET /query?query=...`, `POST /query` (query as body or `?query=`).
//! - `GET /cdc?entities=Customer,Invoice,CreditMemo&changedSince=<RFC 3339>`.
//! - `POST /batch` `{"BatchItemRequest": [...]}`, at most 30 items.
//!
//! Every endpoint: Bearer token (401 in Intuit's gateway shape), optional
//! `minorversion` (an integer ≤ 75), optional `requestid` (writes; ≤ 50
//! characters, ≤ 36 on `/batch`) replaying the first response; 500 requests
//! a minute and 10 in flight per realm (429, code 3001).
//!
//! # Faults (`{"Fault": {"Error": [{"Message", "Detail", "code", "element"?}], "type"}, "time"}`)
//!
//! From Intuit's list: 610 Object Not Found, 2010 unsupported property, 2020
//! required param missing, 2050 string length, 2170 invalid enumeration, 2500
//! Invalid Reference Id, 4000 query parse error, 4001 invalid query, 5010
//! Stale Object Error, 6000 business validation, 6070 Amount ≠ Qty ×
//! UnitPrice, 6080 No Name Provided, 6100 invalid US line tax code, 6140
//! Duplicate Document Number, 6240 Duplicate Name Exists, 1040 batch too
//! large, 3001 throttled (429), 10000 system failure (500).
//! Sandbox choices where Intuit publishes none: 2040 for `:`, tab or newline
//! in a name; 6480 for deleting an invoice a payment is linked to; 1000 for
//! a CDC `changedSince` older than 30 days; 2010 for a bad `minorversion`;
//! 2050 (element `requestid`) for a too long `requestid`.
//!
//! Money rules under Intuit's 6000 (`Message` "A business validation error has occurred while
//! processing your request"; `Detail` "Business Validation Error: ..." in the sandbox's
//! words, as Intuit publishes none for these), each with its `element`:
//!
//! | rule | element | `Detail` |
//! |---|---|---|
//! | foreign `CurrencyRef` (customer, invoice, credit memo) without multicurrency | `CurrencyRef` | `Business Validation Error: Multicurrency is not enabled for this company. Only the home currency USD can be used; turn on multicurrency in QuickBooks (Account and Settings > Advanced > Currency) to use EUR.` |
//! | transaction currency ≠ its customer's | `CurrencyRef` | `Business Validation Error: The currency of the transaction (EUR) must be the currency of the customer (USD). Customer: <DisplayName>` |
//! | customer update changing `CurrencyRef` | `CurrencyRef` | `Business Validation Error: You can't change the currency of a customer once it's set. Customer currency: USD, supplied: EUR` |
//! | invoice / credit memo total below zero | `TotalAmt` | `Business Validation Error: Invoice amount cannot be negative. TotalAmt:-10` (`CreditMemo amount ...`) |
//!
//! A currency the sandbox does not know is 2500 `Invalid Reference Id`, element
//! `CurrencyRef`, `Invalid Reference Id : Currency element id XYZ not found`. An
//! `ExchangeRate` of zero or below is 2010 on `ExchangeRate`.
//!
//! Amounts in a currency without minor units (JPY): Intuit documents no rule for them in
//! the API (the XSDs carry plain `xs:decimal`), so the sandbox does not model one: it
//! computes and rounds a JPY transaction to 2 decimals like any other, and only the home
//! amounts (`HomeTotalAmt`, `HomeBalance`) are rounded to the home currency's cents.
//!
//! # Control endpoints (`/_sandbox/qbo`)
//!
//! - `GET /_sandbox/qbo/realms` → `{"realms": [{"realmId", "companyName", "country"}]}`
//! - `POST /_sandbox/qbo/{realm}/token` → `{"token_type": "bearer", "access_token", "expires_in": 3600, "realmId"}`
//! - `GET /_sandbox/qbo/{realm}/customers` → `{"Customer": [...]}`, every
//!   stored record; `/invoices` → `{"Invoice": [...]}` (voided ones
//!   included; deleted ones with `"status": "Deleted"`); `/creditmemos` →
//!   `{"CreditMemo": [...]}` (deleted ones with `"status": "Deleted"`); `/payments` →
//!   `{"Payment": [...]}`
//! - `POST /_sandbox/qbo/{realm}/reset` → `{"realmId", "reset": true}`: the
//!   seeded data again, `requestid` memory, rate window and the realm's queued faults,
//!   fault rates and fault count cleared. An optional body
//!   `{"batchLimit": n}` (1–30) makes the fresh realm refuse larger `/batch`es with the
//!   1040 fault, so a client's fallback to smaller batches can be tested. An optional
//!   `{"multiCurrency": true}` (alone or with `batchLimit`) makes the fresh realm a
//!   multicurrency company; the answer then carries `"multiCurrency": true`.
//!
//! Known simplifications: customers are never deleted (Intuit only
//! deactivates them, and renames them "(deleted)", which the sandbox does
//! not); payments cannot be updated or deleted, nor applied to credit memos; no `include=`
//! options, addresses on invoices, or discount lines; exchange rates are fixed per currency
//! (no `ExchangeRate` entity, no dated rates).

mod batch;
mod cdc;
mod control;
mod currency;
mod customers;
mod fault;
mod handlers;
mod idempotency;
mod invoices;
mod limits;
mod money;
mod payments;
mod pipeline;
mod preferences;
mod query;
mod realm;
mod reference_data;
mod tax;
mod validate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use axum::Router;
use axum::routing::{get, post};

use super::QBO_REALM_ID;
use crate::state::Core;
use realm::{Realm, Region};

/// The second sandbox company (Australian, numeric tax codes).
pub(crate) const AU_REALM_ID: &str = "9130357992268376";

/// A sandbox company.
#[derive(Debug)]
pub(crate) struct Company {
    pub(crate) realm_id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) country: &'static str,
    region: Region,
}

/// Every sandbox company.
pub(crate) const COMPANIES: &[Company] = &[
    Company {
        realm_id: QBO_REALM_ID,
        name: super::COMPANY_NAME,
        country: "US",
        region: Region::Us,
    },
    Company {
        realm_id: AU_REALM_ID,
        name: "Sandbox Company_AU_1",
        country: "AU",
        region: Region::Au,
    },
];

/// Every realm's accounting data and throttles.
#[derive(Debug)]
pub(crate) struct Books {
    realms: Mutex<HashMap<&'static str, Realm>>,
    limits: limits::Limits,
}

impl Default for Books {
    fn default() -> Books {
        // The virtual clock starts at real time, so seeding at real time
        // agrees with it.
        let now = SystemTime::now();
        let realms = COMPANIES
            .iter()
            .map(|company| {
                (
                    company.realm_id,
                    reference_data::seeded(company.region, now),
                )
            })
            .collect();
        Books {
            realms: Mutex::new(realms),
            limits: limits::Limits::default(),
        }
    }
}

impl Books {
    /// Runs `f` on realm `id` under the books' lock (never held across an await).
    pub(crate) fn with_realm<R>(&self, id: &str, f: impl FnOnce(&mut Realm) -> R) -> Option<R> {
        // Operations do not panic while holding the lock; a poisoned lock
        // still guards whole entities.
        let mut realms = self.realms.lock().unwrap_or_else(PoisonError::into_inner);
        realms.get_mut(id).map(f)
    }

    /// Whether realm `id` exists.
    pub(crate) fn has_realm(&self, id: &str) -> bool {
        self.with_realm(id, |_| ()).is_some()
    }

    fn reset(&self, company: &Company, now: SystemTime) {
        let fresh = reference_data::seeded(company.region, now);
        self.realms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(company.realm_id, fresh);
        self.limits.reset(company.realm_id);
    }
}

/// Base of the API routes.
const BASE: &str = "/qbo/v3/company/{realm_id}";

/// The accounting routes.
pub(crate) fn routes() -> Router<Arc<Core>> {
    let path = |tail: &str| format!("{BASE}{tail}");
    Router::new()
        .route(&path("/customer"), post(handlers::write_customer))
        .route(&path("/customer/{id}"), get(handlers::read_customer))
        .route(&path("/invoice"), post(handlers::write_invoice))
        .route(&path("/invoice/{id}"), get(handlers::read_invoice))
        .route(&path("/creditmemo"), post(handlers::write_credit_memo))
        .route(&path("/creditmemo/{id}"), get(handlers::read_credit_memo))
        .route(
            &path("/preferences"),
            get(handlers::read_preferences).post(handlers::write_preferences),
        )
        .route(&path("/payment"), post(handlers::write_payment))
        .route(&path("/payment/{id}"), get(handlers::read_payment))
        .route(&path("/item/{id}"), get(handlers::read_item))
        .route(&path("/taxcode/{id}"), get(handlers::read_tax_code))
        .route(
            &path("/query"),
            get(handlers::query_get).post(handlers::query_post),
        )
        .route(&path("/cdc"), get(handlers::cdc))
        .route(&path("/batch"), post(handlers::batch))
        .route("/_sandbox/qbo/realms", get(control::realms))
        .route("/_sandbox/qbo/{realm_id}/token", post(control::token))
        .route(
            "/_sandbox/qbo/{realm_id}/customers",
            get(control::customers),
        )
        .route("/_sandbox/qbo/{realm_id}/invoices", get(control::invoices))
        .route(
            "/_sandbox/qbo/{realm_id}/creditmemos",
            get(control::credit_memos),
        )
        .route("/_sandbox/qbo/{realm_id}/payments", get(control::payments))
        .route("/_sandbox/qbo/{realm_id}/reset", post(control::reset))
}
