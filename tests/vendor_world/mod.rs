//! The world the vendor end-to-end tests run in: a data folder, the sandbox, and a
//! connection to the sandbox Xero or QuickBooks made through the real OAuth flow; the real
//! binary drives every transfer.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ledgerlink::auth::connect::{self, ConnectRequest, ConnectUi, Tenant};
use ledgerlink::auth::context::Services;
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{self, Secret, VaultPreference};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::{Runtime, RuntimeConfig, SystemClock};
use ledgerlink::store::DataDir;
use ledgerlink::store::sync_state::SyncState;
use ledgerlink_sandbox::{
    Profile, QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID, SandboxConfig, SandboxHandle,
    XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
};
use serde_json::{Value, json};

pub const VAULT_KEY: &str = "LEDGERLINK_VAULT_KEY";
/// Rate-limit windows in the sandbox and in the host's pacing run 60× faster.
pub const TIME_SCALE: u32 = 60;

/// The accounting system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Xero,
    QuickBooks,
}

impl Vendor {
    pub fn connector(self) -> &'static str {
        match self {
            Vendor::Xero => "xero",
            Vendor::QuickBooks => "quickbooks",
        }
    }
    pub fn profile(self) -> Profile {
        match self {
            Vendor::Xero => Profile::Xero,
            Vendor::QuickBooks => Profile::QuickBooks,
        }
    }
    pub fn client(self) -> (&'static str, &'static str) {
        match self {
            Vendor::Xero => (XERO_CLIENT_ID, XERO_CLIENT_SECRET),
            Vendor::QuickBooks => (QBO_CLIENT_ID, QBO_CLIENT_SECRET),
        }
    }
    /// (currency, tax code, rate in per-mille) of the sample book.
    pub fn tax(self) -> (&'static str, &'static str, i64) {
        match self {
            Vendor::Xero => ("NZD", "OUTPUT2", 150),
            Vendor::QuickBooks => ("USD", "TAX", 85),
        }
    }
    /// Connection settings the sample book needs.
    pub fn settings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Vendor::Xero => &[],
            Vendor::QuickBooks => &[("default-item", "1"), ("tax-codes", "TAX=TAX")],
        }
    }
    /// The sandbox's dump of every invoice, its list key, and the number and id fields.
    pub fn invoices_dump(self) -> (String, &'static str, &'static str, &'static str) {
        match self {
            Vendor::Xero => (
                format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/invoices"),
                "Invoices",
                "InvoiceNumber",
                "InvoiceID",
            ),
            Vendor::QuickBooks => (
                format!("/_sandbox/qbo/{QBO_REALM_ID}/invoices"),
                "Invoice",
                "DocNumber",
                "Id",
            ),
        }
    }
    /// The sandbox's dump of every customer, its list key and the name field.
    pub fn customers_dump(self) -> (String, &'static str, &'static str) {
        match self {
            Vendor::Xero => (
                format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/contacts"),
                "Contacts",
                "Name",
            ),
            Vendor::QuickBooks => (
                format!("/_sandbox/qbo/{QBO_REALM_ID}/customers"),
                "Customer",
                "DisplayName",
            ),
        }
    }
}

pub struct World {
    _tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub key: String,
    pub sandbox: SandboxHandle,
    pub vendor: Vendor,
    /// The authorization URL the connect flow sent the browser to.
    pub authorize_url: std::sync::Mutex<Option<url::Url>>,
}

impl World {
    /// A data folder with a home book of `jobs` closed, ready jobs for 40 customers, and a
    /// connection named after the vendor, connected to its sandbox organisation.
    pub async fn new(vendor: Vendor, jobs: usize) -> World {
        World::with_settings(vendor, jobs, &[]).await
    }

    /// [`World::new`] with more connection settings.
    pub async fn with_settings(vendor: Vendor, jobs: usize, extra: &[(&str, &str)]) -> World {
        World::with_book(vendor, &book_json(vendor, 40, jobs), extra).await
    }

    /// A world whose home book is `book` (the JSON import format).
    pub async fn with_book(vendor: Vendor, book: &str, extra: &[(&str, &str)]) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let sandbox = SandboxHandle::start(SandboxConfig::default())
            .await
            .unwrap();
        sandbox.set_time_scale(TIME_SCALE);
        let world = World {
            _tmp: tmp,
            data,
            key: vault::generate_key().unwrap(),
            sandbox,
            vendor,
            authorize_url: std::sync::Mutex::new(None),
        };
        let path = world.data.join("book.json");
        std::fs::write(&path, book).unwrap();
        world.ok(&["home", "import", path.to_str().unwrap()]);
        world.connect(extra).await;
        world
    }

    pub fn cli(&self) -> Command {
        let mut cmd = crate::support::engine::command(&self.data);
        cmd.env(VAULT_KEY, &self.key)
            .env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_RATE_LIMIT_SCALE", TIME_SCALE.to_string())
            .env_remove("LEDGERLINK_LOG");
        cmd
    }

    pub fn ok(&self, args: &[&str]) -> String {
        crate::support::succeeded(args, self.cli().args(args).output().unwrap())
    }

    /// Adds the connection and connects it through the sandbox's OAuth flow, in process,
    /// into the same encrypted file vault the CLI uses.
    pub async fn connect(&self, extra: &[(&str, &str)]) {
        let key = self.key.clone();
        let store = crate::support::engine::connections(&self.data);
        let services = Services {
            data: DataDir::new(&self.data),
            vault: vault::open_with_env(
                &self.data,
                &store.db(),
                VaultPreference::File,
                &move |name| (name == VAULT_KEY).then(|| key.clone()),
            )
            .unwrap(),
            store,
            clock: Arc::new(SystemClock),
            http_limits: HttpLimits::default(),
            refresh: RefreshPolicy::default(),
            pacers: Default::default(),
        };
        let name = self.vendor.connector();
        let (client_id, client_secret) = self.vendor.client();
        let mut settings = BTreeMap::from([("client-id".to_owned(), client_id.to_owned())]);
        for (k, v) in self.vendor.settings().iter().chain(extra) {
            settings.insert((*k).to_owned(), (*v).to_owned());
        }
        services.store.add(name, name, &settings).unwrap();
        services
            .store
            .set_routes(name, &self.sandbox.routes())
            .unwrap();
        let connection = services.store.get(name).unwrap();
        let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
        let built_in = ledgerlink::builtin::get(name).expect("built in");
        let plugin = runtime.load_bytes(built_in.wasm, name).await.unwrap();
        let mut ui = Approve {
            played: None,
            url: None,
            tenant: XERO_TENANT_NZ_ID,
        };
        connect::connect(
            ConnectRequest {
                services: &services,
                plugin: &plugin,
                connection: &connection,
                client_id: client_id.to_owned(),
                client_secret: Secret::new(client_secret),
                tenant: (self.vendor == Vendor::Xero).then(|| XERO_TENANT_NZ_ID.to_owned()),
                timeout: Duration::from_secs(30),
            },
            &mut ui,
        )
        .await
        .unwrap();
        ui.played.take().unwrap().await.unwrap();
        *self.authorize_url.lock().unwrap() = ui.url.take();
    }

    /// (number, id) of every invoice the sandbox holds, deleted and voided included.
    pub async fn invoices(&self) -> Vec<(String, String)> {
        let (path, list, number, id) = self.vendor.invoices_dump();
        self.dump(&path, list)
            .await
            .iter()
            .map(|i| {
                (
                    i[number].as_str().unwrap_or_default().to_owned(),
                    i[id].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The name of every customer the sandbox holds.
    pub async fn customer_names(&self) -> Vec<String> {
        let (path, list, name) = self.vendor.customers_dump();
        self.dump(&path, list)
            .await
            .iter()
            .map(|c| c[name].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn dump(&self, path: &str, list: &str) -> Vec<Value> {
        dump(&self.sandbox, path, list).await
    }

    pub fn push_args(&self) -> [&'static str; 5] {
        [
            "push-invoices",
            "--connection",
            self.vendor.connector(),
            "--kind",
            "job",
        ]
    }

    /// What an accountant does by hand in the vendor's own screens: one create through the
    /// sandbox's accounting API as this connection (Xero `PUT /{what}`, QuickBooks `POST
    /// /{what}` with `what` the lower-case entity). Returns the record created.
    pub async fn by_hand(&self, what: &str, body: Value) -> Value {
        let method = match self.vendor {
            Vendor::Xero => reqwest::Method::PUT,
            Vendor::QuickBooks => reqwest::Method::POST,
        };
        self.api(method, what, Some(body)).await
    }

    /// The store's database in this world's data folder (the vault needs it to open).
    fn db(&self) -> ledgerlink::store::sql::Db {
        crate::support::engine::db(&self.data)
    }

    /// Whether `connection` has vault item `item` (`tokens`, `client-secret`, `api-key`):
    /// its length, never its value.
    pub fn vault_item(&self, connection: &str, item: &str) -> Option<usize> {
        let key = self.key.clone();
        let vault = vault::open_with_env(
            &self.data,
            &self.db(),
            VaultPreference::File,
            &move |name| (name == VAULT_KEY).then(|| key.clone()),
        )
        .unwrap();
        vault
            .get(&ledgerlink::auth::vault::SecretKey::new(connection, item).unwrap())
            .unwrap()
            .map(|s| s.expose().len())
    }

    /// One call to the sandbox's accounting API as this connection, as an accountant's
    /// screen would make it: `path` below Xero's `/api.xro/2.0/` or QuickBooks'
    /// `/v3/company/<realm>/`. The answer must be 200.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let key = self.key.clone();
        let vault = vault::open_with_env(
            &self.data,
            &self.db(),
            VaultPreference::File,
            &move |name| (name == VAULT_KEY).then(|| key.clone()),
        )
        .unwrap();
        let token = ledgerlink::auth::tokens::load(&*vault, self.vendor.connector())
            .unwrap()
            .expect("connected")
            .access_token;
        let client = reqwest::Client::new();
        let request = match self.vendor {
            Vendor::Xero => client
                .request(
                    method,
                    self.sandbox.url(&format!("/xero/api.xro/2.0/{path}")),
                )
                .header("xero-tenant-id", XERO_TENANT_NZ_ID),
            Vendor::QuickBooks => client.request(
                method,
                self.sandbox.url(&format!(
                    "/qbo/v3/company/{QBO_REALM_ID}/{path}{}minorversion=75",
                    if path.contains('?') { "&" } else { "?" }
                )),
            ),
        };
        let request = request
            .bearer_auth(&token)
            .header("accept", "application/json");
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        let answer = request.send().await.unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert_eq!(status, 200, "{path} by hand: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Every customer the sandbox holds, as the vendor shows them.
    pub async fn customers(&self) -> Vec<Value> {
        let (path, list, _) = self.vendor.customers_dump();
        self.dump(&path, list).await
    }

    /// Every invoice the sandbox holds, as the vendor shows them.
    pub async fn invoice_records(&self) -> Vec<Value> {
        let (path, list, _, _) = self.vendor.invoices_dump();
        self.dump(&path, list).await
    }

    /// Runs `args`, which must fail; returns (stdout, stderr).
    pub fn fails(&self, args: &[&str]) -> (String, String) {
        let out = self.cli().args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "{args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Imports `book` (JSON) into the home book.
    pub fn import(&self, book: &Value) {
        let path = self.data.join("more.json");
        std::fs::write(&path, book.to_string()).unwrap();
        self.ok(&["home", "import", path.to_str().unwrap()]);
    }

    pub fn state(&self) -> SyncState {
        crate::support::engine::sync_state(&self.data)
    }
}

/// The array `list` of the sandbox's control dump at `path` (empty when there is none).
pub async fn dump(sandbox: &SandboxHandle, path: &str, list: &str) -> Vec<Value> {
    let body: Value = reqwest::get(sandbox.url(path))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body[list].as_array().cloned().unwrap_or_default()
}

/// Plays the admin's browser: approve on the consent page, follow the redirect back; of a
/// grant's tenants, choose `tenant`.
pub(crate) struct Approve {
    pub(crate) played: Option<tokio::task::JoinHandle<()>>,
    pub(crate) url: Option<url::Url>,
    pub(crate) tenant: &'static str,
}

impl ConnectUi for Approve {
    fn authorize(&mut self, url: &url::Url) {
        self.url = Some(url.clone());
        let url = url.clone();
        self.played = Some(tokio::spawn(async move {
            ledgerlink_sandbox::approve_consent(url.as_str())
                .await
                .expect("the sandbox consent is approved");
        }));
    }

    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| t.id == self.tenant)
            .ok_or_else(|| format!("no tenant {}", self.tenant))
    }
}

/// A home book: `customers` flagged customers, `jobs` closed ready jobs of one line each
/// (the vendor's sales tax, exclusive), numbered J100001....
pub fn book_json(vendor: Vendor, customers: usize, jobs: usize) -> String {
    use rust_decimal::Decimal;
    let (currency, tax_code, per_mille) = vendor.tax();
    let customers_json: Vec<Value> = (0..customers)
        .map(|c| {
            json!({
                "id": format!("C{c}"),
                "name": format!("Stress Customer {c}"),
                "email": format!("c{c}@stress.example"),
                "currency": currency,
                "flagged_for_integration": true,
            })
        })
        .collect();
    let jobs_json: Vec<Value> = (0..jobs)
        .map(|j| {
            // 10.00 to 99.99; tax per line rounded to the cent.
            let amount = Decimal::new(1000 + (j as i64 * 37) % 9000, 2);
            let tax = (amount * Decimal::new(per_mille, 3))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            json!({
                "id": format!("JOB{j}"),
                "number": format!("J{}", 100_001 + j),
                "customer_id": format!("C{}", j % customers),
                "status": "closed",
                "ready_for_invoice_1": true,
                "ready_for_invoice_2": true,
                "invoice_date": "2026-11-20",
                "currency": currency,
                "tax_mode": "exclusive",
                "subtotal": amount.to_string(),
                "tax_total": tax.to_string(),
                "total": (amount + tax).to_string(),
                "lines": [{
                    "description": "Service call",
                    "quantity": "1",
                    "unit_price": amount.to_string(),
                    "amount": amount.to_string(),
                    "account_code": "200",
                    "tax_code": tax_code,
                    "tax_amount": tax.to_string(),
                }],
            })
        })
        .collect();
    json!({"version": 1, "customers": customers_json, "jobs": jobs_json}).to_string()
}
