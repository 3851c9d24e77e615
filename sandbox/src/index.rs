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
                "  {:<5}{base_url}{path}\n       {}",
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
