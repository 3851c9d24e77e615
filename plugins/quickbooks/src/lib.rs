//! # ledgerlink-plugin-quickbooks
//!
//! The QuickBooks Online connector: customers, job invoices and contract invoices through
//! Intuit's Accounting API (v3, `minorversion=75` on every request), JSON only.
//!
//! How it is put together:
//!
//! * this file is the [`Connector`] implementation and the manifest: glue only;
//! * [`map`] is the field mapping, pure (no host import), public so it can be benchmarked
//!   natively and in the plugin;
//! * `settings` declares and parses the connection's settings;
//! * `api` is the only caller of the `http` import; `customers`, `invoices`, `pull` and
//!   `push` are the operations; `batch`, `cdc`, `fault`, `find`, `query` and `requestid`
//!   are pure helpers (batch bodies and answers, CDC answers, fault classes, find matching,
//!   query text and URLs, requestids), unit-tested natively.
//!
//! Choices worth knowing (see also the module docs):
//!
//! * pushes go through `POST /batch`, 30 records a request (10 after a "batch too large"
//!   refusal), with a `requestid` hashed from the records' idempotency keys, so the host may
//!   retry them and a replay writes nothing twice;
//! * a duplicate `DisplayName` (6240) is answered `duplicate` on `name` with the existing
//!   customer's Id, for the host to link; nothing is created;
//! * a stale `SyncToken` (5010) on an update is refused as `stale` on `version` and nothing
//!   is applied: the record changed in QuickBooks since the version the host sent, and the
//!   host must read it again rather than overwrite that change;
//! * an update of an invoice with a payment applied (`Balance` below `TotalAmt`; one query
//!   per push) is refused as `locked`: QuickBooks would take it and leave the payment
//!   unmatched;
//! * job and contract invoices are told apart by a marker at the start of `PrivateNote`;
//! * an invoice whose canonical total is negative is written as a QuickBooks `CreditMemo`
//!   (amounts sign-flipped, so positive), through the same batches and `requestid`s; its
//!   remote id is `CM-<CreditMemo Id>` (an invoice's is its bare `Id`), and pulls of invoices
//!   return credit memos too, with that remote id, the same kind marker and negative amounts;
//! * currencies: `CurrencyRef` is sent for invoices, credit memos and customers and read back;
//!   when a push names a currency, the company's preferences are read once for the push and a
//!   record in a currency the company cannot take (not the home currency with multicurrency
//!   off; not its customer's currency) is a `validation` error on `currency` before sending;
//! * a discounted line is sent with unit price `amount ÷ quantity` only when that is exact
//!   with at most 7 decimals; otherwise the record is a `validation` error on
//!   `lines[i].unit-price` (see `map::invoice`);
//! * rollback deactivates customers (QuickBooks cannot delete them) and deletes invoices,
//!   voiding those QuickBooks will not delete, and answering `locked` when a payment is linked;
//!   credit memos are deleted (`locked` when linked; the API has no void for them).

use ledgerlink_sdk::types::{
    Capability, CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, Invoice,
    InvoiceKind, InvoicePage, Manifest, PushResult, RecordKind,
};
use ledgerlink_sdk::{Connector, ManifestBuilder};

mod api;
mod batch;
mod cdc;
mod customers;
mod fault;
mod find;
mod invoices;
pub mod map;
mod pull;
mod push;
mod query;
mod requestid;
mod settings;

use settings::Settings;

/// Intuit's authorization endpoint.
pub const AUTHORIZE_URL: &str = "https://appcenter.intuit.com/connect/oauth2";
/// Intuit's token endpoint.
pub const TOKEN_URL: &str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer";
/// Intuit's revocation endpoint.
pub const REVOKE_URL: &str = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke";
/// The Accounting API scope.
pub const SCOPE: &str = "com.intuit.quickbooks.accounting";

/// The QuickBooks Online connector.
pub struct QuickBooks;

impl Connector for QuickBooks {
    fn manifest() -> Manifest {
        let mut m =
            ManifestBuilder::new("quickbooks", "QuickBooks Online", env!("CARGO_PKG_VERSION"))
                .description(
                    "QuickBooks Online accounting: customers, job invoices and contract invoices.",
                )
                .capabilities([
                    Capability::PullCustomers,
                    Capability::FindCustomers,
                    Capability::PushCustomers,
                    Capability::PullInvoices,
                    Capability::PushJobInvoices,
                    Capability::PushContractInvoices,
                    Capability::GetInvoices,
                    Capability::Delete,
                ])
                .oauth2(AUTHORIZE_URL, TOKEN_URL, Some(REVOKE_URL), &[SCOPE])
                .oauth2_callback_param("realmId")
                .allow_host("https://quickbooks.api.intuit.com:443")
                // Intuit's developer sandbox companies (setting api-base).
                .allow_host("https://sandbox-quickbooks.api.intuit.com:443")
                // Intuit: 500 requests a minute per company (realm).
                .rate_limit(500, 60);
        for s in &settings::ALL {
            m = m.setting(s.key, s.description, s.required, s.default);
        }
        m.build()
    }

    fn check() -> Result<CheckReport, ConnectorError> {
        let settings = Settings::load()?;
        let what = "the company info";
        let info = api::get(
            &settings,
            &format!("companyinfo/{}", settings.realm_id),
            &[],
            what,
        )?;
        let name = info
            .company_info
            .and_then(|c| c.company_name)
            .unwrap_or_else(|| format!("company {}", settings.realm_id));
        Ok(CheckReport {
            message: format!("Connected to {name}"),
        })
    }

    fn pull_customers(
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<CustomerPage, ConnectorError> {
        customers::pull(since, cursor)
    }

    fn find_customers(query: CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
        customers::find(query)
    }

    fn push_customers(batch: Vec<Customer>) -> Vec<PushResult> {
        customers::push(batch)
    }

    fn pull_invoices(
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<InvoicePage, ConnectorError> {
        invoices::pull(kind, since, cursor)
    }

    fn get_invoices(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
        invoices::get(kind, ids)
    }

    fn push_invoices(batch: Vec<Invoice>) -> Vec<PushResult> {
        invoices::push(batch)
    }

    fn delete(kind: RecordKind, id: String) -> Result<(), ConnectorError> {
        let settings = Settings::load()?;
        match kind {
            RecordKind::Customer => customers::deactivate(&settings, &id),
            RecordKind::Invoice => invoices::delete(&settings, &id),
        }
    }
}

ledgerlink_sdk::export_connector!(QuickBooks);

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::types::AuthKind;

    #[test]
    fn the_manifest_declares_oauth_hosts_limits_and_settings() {
        let m = QuickBooks::manifest();
        assert_eq!(m.name, "quickbooks");
        assert_eq!(m.capabilities.len(), 8);
        let AuthKind::Oauth2(o) = &m.auth else {
            panic!("{:?}", m.auth)
        };
        assert_eq!(o.authorize_url, AUTHORIZE_URL);
        assert_eq!(o.token_url, TOKEN_URL);
        assert_eq!(o.revoke_url.as_deref(), Some(REVOKE_URL));
        assert_eq!(o.scopes, [SCOPE]);
        assert_eq!(o.callback_params, ["realmId"]);
        assert_eq!(m.allowed_hosts[0], "https://quickbooks.api.intuit.com:443");
        assert_eq!(m.rate_limits.len(), 1);
        assert_eq!(
            (m.rate_limits[0].requests, m.rate_limits[0].window_seconds),
            (500, 60)
        );
        let keys: Vec<&str> = m.settings.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "realm-id",
                "api-base",
                "items",
                "default-item",
                "tax-codes",
                "default-tax-code",
                "job-marker",
                "contract-marker",
                "unmarked-invoices"
            ]
        );
        assert!(m.settings[0].required);
    }
}
