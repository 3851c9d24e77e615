//! `GET /`: what the sandbox serves and the credentials of its clients, as
//! plain text. The same text is what `ledgerlink sandbox` prints.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;

use crate::clients;
use crate::control;
use crate::quickbooks::{self, QBO_REALM_ID};
use crate::state::Core;
use crate::xero::{self, tenants};

/// One line of the catalog.
struct Endpoint {
    method: &'static str,
    path: &'static str,
    what: &'static str,
}

const fn endpoint(method: &'static str, path: &'static str, what: &'static str) -> Endpoint {
    Endpoint { method, path, what }
}

const XERO: &[Endpoint] = &[
    endpoint(
        "GET",
        xero::AUTHORIZE_PATH,
        "authorize (PKCE S256 required; offline_access for a refresh token)",
    ),
    endpoint(
        "POST",
        xero::TOKEN_PATH,
        "token: authorization_code, refresh_token",
    ),
    endpoint("POST", xero::REVOCATION_PATH, "revoke (form token=...)"),
    endpoint("GET", xero::CONNECTIONS_PATH, "connections (Bearer)"),
    endpoint(
        "GET",
        xero::ORGANISATION_PATH,
        "organisation (Bearer + xero-tenant-id)",
    ),
    endpoint(
        "GET PUT POST",
        "/xero/api.xro/2.0/Contacts",
        "contacts: list (where, searchTerm, IDs, page), create, create-or-update",
    ),
    endpoint(
        "GET POST",
        "/xero/api.xro/2.0/Contacts/{ContactID}",
        "one contact: read, update",
    ),
    endpoint(
        "GET PUT POST",
        "/xero/api.xro/2.0/Invoices",
        "invoices: list (Statuses, InvoiceNumbers, ContactIDs, IDs, where, page), create, create-or-update",
    ),
    endpoint(
        "GET POST",
        "/xero/api.xro/2.0/Invoices/{InvoiceID}",
        "one invoice: read, update",
    ),
    endpoint(
        "GET PUT",
        "/xero/api.xro/2.0/Payments",
        "payments: list, pay an invoice",
    ),
    endpoint("GET", "/xero/api.xro/2.0/Accounts", "chart of accounts"),
    endpoint("GET", "/xero/api.xro/2.0/TaxRates", "tax rates"),
    endpoint("GET", "/xero/api.xro/2.0/Items", "items"),
    endpoint(
        "GET",
        "/_sandbox/xero/{tenant}/contacts",
        "control: every stored contact",
    ),
    endpoint(
        "GET",
        "/_sandbox/xero/{tenant}/invoices",
        "control: every stored invoice (deleted/voided too)",
    ),
    endpoint(
        "GET",
        "/_sandbox/xero/{tenant}/payments",
        "control: every stored payment",
    ),
    endpoint(
        "POST",
        "/_sandbox/xero/{tenant}/reset",
        "control: back to the seed data; the tenant's faults and fault count cleared",
    ),
];

const QUICKBOOKS: &[Endpoint] = &[
    endpoint(
        "GET",
        quickbooks::AUTHORIZE_PATH,
        "authorize (PKCE S256 optional)",
    ),
    endpoint(
        "POST",
        quickbooks::TOKEN_PATH,
        "token: authorization_code, refresh_token",
    ),
    endpoint(
        "POST",
        quickbooks::REVOKE_PATH,
        "revoke (JSON {\"token\": ...}, Basic auth)",
    ),
    endpoint(
        "GET",
        quickbooks::COMPANY_INFO_PATH,
        "company info (Bearer)",
    ),
    endpoint(
        "POST",
        "/qbo/v3/company/{realm_id}/customer",
        "customers: create, update with SyncToken (\"sparse\": true); GET .../customer/{id}",
    ),
    endpoint(
        "POST",
        "/qbo/v3/company/{realm_id}/invoice",
        "invoices: create, update, ?operation=delete|void; GET .../invoice/{id}; POST .../payment",
    ),
    endpoint(
        "GET",
        "/qbo/v3/company/{realm_id}/query",
        "query: ?query=select * from Customer|Invoice|Item|TaxCode|Payment ... (also POST)",
    ),
    endpoint(
        "GET",
        "/qbo/v3/company/{realm_id}/cdc",
        "change data capture: ?entities=Customer,Invoice&changedSince=...; POST .../batch (30 items)",
    ),
];

const NOTES: &[Endpoint] = &[
    endpoint(
        "GET",
        "/notes/v1/account",
        "the account and its counts (X-Api-Key: any nk_... key of 16+ characters)",
    ),
    endpoint(
        "GET POST",
        "/notes/v1/customers",
        "customers: list (limit, cursor, updated_since, name, email), create (Idempotency-Key)",
    ),
    endpoint(
        "GET PUT DELETE",
        "/notes/v1/customers/{id}",
        "one customer: read, replace (version: 409 when old), delete",
    ),
    endpoint(
        "GET POST",
        "/notes/v1/invoices",
        "invoices: list (limit, cursor, updated_since, kind, number, ids), create",
    ),
    endpoint(
        "GET PUT DELETE",
        "/notes/v1/invoices/{id}",
        "one invoice: read, replace, delete (423 once paid)",
    ),
    endpoint(
        "POST",
        "/notes/v1/invoices/{id}/pay",
        "mark an invoice paid",
    ),
    endpoint(
        "GET",
        "/_sandbox/notes/{key}/customers",
        "control: every customer of the account of API key {key}",
    ),
    endpoint(
        "GET",
        "/_sandbox/notes/{key}/invoices",
        "control: every invoice of the account",
    ),
    endpoint(
        "POST",
        "/_sandbox/notes/{key}/reset",
        "control: empty the account",
    ),
];

const CONTROL: &[Endpoint] = &[
    endpoint("GET", control::CLOCK_PATH, "virtual time"),
    endpoint(
        "POST",
        control::ADVANCE_PATH,
        "advance the clock: {\"seconds\": N}",
    ),
    endpoint(
        "POST",
        control::DROP_NEXT_REFRESH_PATH,
        "cut off the next refresh response: {\"profile\": \"xero\"|\"quickbooks\"}",
    ),
    endpoint("GET", control::LOG_PATH, "request log (no token values)"),
    endpoint(
        "GET",
        control::REFRESH_COUNT_PATH,
        "successful refreshes: ?profile=xero|quickbooks",
    ),
    endpoint(
        "POST",
        "/_sandbox/qbo/{realm_id}/token",
        "QuickBooks: a bearer token for one realm (also 9130357992268376, the AU company)",
    ),
    endpoint(
        "GET",
        "/_sandbox/qbo/{realm_id}/customers",
        "QuickBooks: every stored customer; also /invoices, /payments; POST .../reset (faults too)",
    ),
    endpoint(
        "POST",
        control::FAULTS_PATH,
        "queue faults / set fault rates: {\"profile\", \"company\": tenant or realm id (none: every company), \"queue\": [{\"kind\": ...}], \"rates\": {...}}",
    ),
    endpoint(
        "GET",
        control::FAULTS_PATH,
        "faults served and still queued: ?profile=xero|quickbooks[&company=ID]",
    ),
    endpoint(
        "DELETE",
        control::FAULTS_PATH,
        "stop injecting faults: ?profile=xero|quickbooks[&company=ID]",
    ),
    endpoint(
        "POST",
        control::TIME_SCALE_PATH,
        "rate-limit windows last 1/N of their length: {\"scale\": N}; GET the scale",
    ),
];

/// The human-readable summary of a sandbox at `base_url`.
pub(crate) fn banner(base_url: &str) -> String {
    // `fmt::Write` for `String` never fails, so the `writeln!` results below are ignored.
    let mut text = format!(
        "ledgerlink sandbox: offline Xero and QuickBooks Online OAuth 2.0 servers at {base_url}\n"
    );
    for (title, endpoints) in [
        ("Xero", XERO),
        ("QuickBooks Online", QUICKBOOKS),
        ("Notes (a generic CRM with an API key)", NOTES),
        ("Control", CONTROL),
    ] {
        let _ = writeln!(text, "\n{title}");
        for endpoint in endpoints {
            // Show route templates as URLs one can paste.
            let path = endpoint
                .path
                .replace("{realm_id}", QBO_REALM_ID)
                .replace("{company_id}", QBO_REALM_ID);
            let _ = writeln!(
                text,
                "  {:<5} {base_url}{path}\n        {}",
                endpoint.method, endpoint.what
            );
        }
    }
    text.push_str("\nClients (any loopback redirect_uri is accepted: http://127.0.0.1:PORT/..., http://localhost:PORT/...)\n");
    for (profile, id, secret) in clients::credentials() {
        let _ = writeln!(
            text,
            "  {profile:<11} client_id={id}\n              client_secret={secret}"
        );
    }
    let _ = writeln!(
        text,
        "\nXero tenants: Demo Company (NZ) {}, Demo Company (US) {}\nQuickBooks realmId: {QBO_REALM_ID}",
        tenants::XERO_TENANT_NZ_ID,
        tenants::XERO_TENANT_US_ID,
    );
    text
}

/// `GET /`.
pub(crate) async fn index(State(core): State<Arc<Core>>) -> String {
    banner(&core.base_url)
}
