//! Transfers to the sandbox Xero and QuickBooks through the real binary and the real
//! plugins: a 2,000-invoice push killed with SIGKILL at random points and resumed (no
//! duplicates, none missing), and a push through 10 % injected faults (every invoice
//! created or reported, none twice).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ledgerlink::auth::connect::{self, ConnectRequest, ConnectUi, Tenant};
use ledgerlink::auth::context::Services;
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{self, Secret, VaultPreference};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::{Runtime, RuntimeConfig, SystemClock};
use ledgerlink::store::DataDir;
use ledgerlink::store::connections::ConnectionStore;
use ledgerlink::store::sync_state::SyncState;
use ledgerlink_sandbox::{
    FaultRates, Profile, QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID, SandboxConfig,
    SandboxHandle, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
};
use serde_json::{Value, json};

const VAULT_KEY: &str = "LEDGERLINK_VAULT_KEY";
/// Rate-limit windows in the sandbox and in the host's pacing run 60× faster.
const TIME_SCALE: u32 = 60;

/// The accounting system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    Xero,
    QuickBooks,
}

impl Vendor {
    fn connector(self) -> &'static str {
        match self {
            Vendor::Xero => "xero",
            Vendor::QuickBooks => "quickbooks",
        }
    }
    fn profile(self) -> Profile {
        match self {
            Vendor::Xero => Profile::Xero,
            Vendor::QuickBooks => Profile::QuickBooks,
        }
    }
    fn client(self) -> (&'static str, &'static str) {
        match self {
            Vendor::Xero => (XERO_CLIENT_ID, XERO_CLIENT_SECRET),
            Vendor::QuickBooks => (QBO_CLIENT_ID, QBO_CLIENT_SECRET),
        }
    }
    /// (currency, tax code, rate in per-mille) of the sample book.
    fn tax(self) -> (&'static str, &'static str, i64) {
        match self {
            Vendor::Xero => ("NZD", "OUTPUT2", 150),
            Vendor::QuickBooks => ("USD", "TAX", 85),
        }
    }
    /// Connection settings the sample book needs.
    fn settings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Vendor::Xero => &[],
            Vendor::QuickBooks => &[("default-item", "1"), ("tax-codes", "TAX=TAX")],
        }
    }
    /// The sandbox's dump of every invoice, its list key, and the number and id fields.
    fn invoices_dump(self) -> (String, &'static str, &'static str, &'static str) {
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
    fn customers_dump(self) -> (String, &'static str, &'static str) {
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

struct World {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
    sandbox: SandboxHandle,
    vendor: Vendor,
    /// The authorization URL the connect flow sent the browser to.
    authorize_url: std::sync::Mutex<Option<url::Url>>,
}

impl World {
    /// A data folder with a home book of `jobs` closed, ready jobs for 40 customers, and a
    /// connection named after the vendor, connected to its sandbox organisation.
    async fn new(vendor: Vendor, jobs: usize) -> World {
        World::with_settings(vendor, jobs, &[]).await
    }

    /// [`World::new`] with more connection settings.
    async fn with_settings(vendor: Vendor, jobs: usize, extra: &[(&str, &str)]) -> World {
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
        let book = world.data.join("book.json");
        std::fs::write(&book, book_json(vendor, 40, jobs)).unwrap();
        world.ok(&["home", "import", book.to_str().unwrap()]);
        world.connect(extra).await;
        world
    }

    fn cli(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledgerlink"));
        cmd.env("LEDGERLINK_DATA_DIR", &self.data)
            .env(VAULT_KEY, &self.key)
            .env("LEDGERLINK_VAULT", "file")
            .env("LEDGERLINK_RATE_LIMIT_SCALE", TIME_SCALE.to_string())
            .env_remove("LEDGERLINK_LOG");
        cmd
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cli().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Adds the connection and connects it through the sandbox's OAuth flow, in process,
    /// into the same encrypted file vault the CLI uses.
    async fn connect(&self, extra: &[(&str, &str)]) {
        let key = self.key.clone();
        let services = Services {
            data: DataDir::new(&self.data),
            store: ConnectionStore::open(&DataDir::new(&self.data).database()).unwrap(),
            vault: vault::open_with_env(&self.data, VaultPreference::File, &move |name| {
                (name == VAULT_KEY).then(|| key.clone())
            })
            .unwrap(),
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
    async fn invoices(&self) -> Vec<(String, String)> {
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
    async fn customer_names(&self) -> Vec<String> {
        let (path, list, name) = self.vendor.customers_dump();
        self.dump(&path, list)
            .await
            .iter()
            .map(|c| c[name].as_str().unwrap().to_owned())
            .collect()
    }

    async fn dump(&self, path: &str, list: &str) -> Vec<Value> {
        let body: Value = reqwest::get(self.sandbox.url(path))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body[list].as_array().cloned().unwrap_or_default()
    }

    fn push_args(&self) -> [&'static str; 5] {
        [
            "push-invoices",
            "--connection",
            self.vendor.connector(),
            "--kind",
            "job",
        ]
    }

    fn state(&self) -> SyncState {
        SyncState::open(&DataDir::new(&self.data).database()).unwrap()
    }
}

/// Plays the admin's browser: approve on the consent page, follow the redirect back.
struct Approve {
    played: Option<tokio::task::JoinHandle<()>>,
    url: Option<url::Url>,
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
            .position(|t| t.id == XERO_TENANT_NZ_ID)
            .ok_or_else(|| "no NZ tenant".to_owned())
    }
}

/// A home book: `customers` flagged customers, `jobs` closed ready jobs of one line each
/// (the vendor's sales tax, exclusive), numbered J100001....
fn book_json(vendor: Vendor, customers: usize, jobs: usize) -> String {
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

/// A small deterministic generator for kill times.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Pushes every job invoice, killing `ledgerlink` with SIGKILL at a random point `kills`
/// times before letting a run finish; then checks the sandbox and the id map.
async fn kill_and_resume(world: &World, jobs: usize, kills: usize, seed: u64) {
    let mut rng = Lcg(seed);
    let mut killed = 0;
    while killed < kills {
        let mut child = world
            .cli()
            .args(world.push_args())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let at = Duration::from_millis(100 + rng.below(2500));
        let started = Instant::now();
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() >= at {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        match finished {
            // It finished before the kill point: nothing left to interrupt.
            Some(_) => break,
            None => {
                let _ = child.kill(); // SIGKILL
                let _ = child.wait();
                killed += 1;
            }
        }
    }
    // Resume: the run that finishes resolves what the killed ones left in flight.
    let out = world.cli().args(world.push_args()).output().unwrap();
    if !out.status.success() {
        let runs = world.ok(&["runs", "list"]);
        let last = world.state().runs().unwrap()[0].id.to_string();
        let failed = world.ok(&["runs", "show", &last, "--csv"]);
        panic!(
            "the resumed push failed: {}\n{runs}\n{}",
            String::from_utf8_lossy(&out.stderr),
            failed.lines().take(5).collect::<Vec<_>>().join("\n")
        );
    }

    let invoices = world.invoices().await;
    let mut by_number: HashMap<String, usize> = HashMap::new();
    for (number, _) in &invoices {
        *by_number.entry(number.clone()).or_default() += 1;
    }
    let duplicated: Vec<_> = by_number.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicated invoices: {duplicated:?}");
    let missing: Vec<String> = (0..jobs)
        .map(|j| format!("J{}", 100_001 + j))
        .filter(|n| !by_number.contains_key(n))
        .collect();
    assert!(missing.is_empty(), "missing invoices: {missing:?}");
    assert_eq!(invoices.len(), jobs);

    let all_names = world.customer_names().await;
    let mut names: Vec<&str> = all_names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("Stress Customer "))
        .collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!((before, names.len()), (40, 40), "one contact per customer");

    // The id map agrees with the target: every invoice mapped to the id it has there.
    let map = world
        .state()
        .id_map(world.vendor.connector(), "job-invoices")
        .unwrap();
    assert_eq!(map.len(), jobs);
    let ids: HashMap<&str, &str> = invoices
        .iter()
        .map(|(number, id)| (id.as_str(), number.as_str()))
        .collect();
    for entry in &map {
        let number = ids
            .get(entry.remote_id.as_str())
            .unwrap_or_else(|| panic!("{entry:?} maps to an invoice the target lacks"));
        assert_eq!(
            format!(
                "J{}",
                100_001 + entry.home_key[3..].parse::<usize>().unwrap()
            ),
            *number
        );
    }
    // Nothing is left due: a further push sends nothing.
    let again = world.ok(&world.push_args());
    assert!(
        again.contains(": 0 created, 0 updated, 0 unchanged, 0 skipped, 0 failed"),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xero_a_2000_invoice_push_killed_three_times_resumes_without_duplicates_or_gaps() {
    let world = World::new(Vendor::Xero, 2000).await;
    kill_and_resume(&world, 2000, 3, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickbooks_a_2000_invoice_push_killed_three_times_resumes_without_duplicates_or_gaps() {
    let world = World::new(Vendor::QuickBooks, 2000).await;
    kill_and_resume(&world, 2000, 3, 11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "stress test: 20 kill/resume trials of a 2,000-invoice push per vendor; run with --ignored"]
async fn twenty_kill_and_resume_trials_of_a_2000_invoice_push() {
    for vendor in [Vendor::Xero, Vendor::QuickBooks] {
        for trial in 0..20u64 {
            let world = World::new(vendor, 2000).await;
            kill_and_resume(&world, 2000, 1 + (trial as usize % 4), 1000 + trial).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xero_with_ten_percent_faults_every_invoice_is_created_or_reported_never_twice() {
    faults(Vendor::Xero).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickbooks_with_ten_percent_faults_every_invoice_is_created_or_reported_never_twice() {
    faults(Vendor::QuickBooks).await;
}

async fn faults(vendor: Vendor) {
    let jobs = 300;
    let world = World::new(vendor, jobs).await;
    world
        .sandbox
        .set_fault_rates(vendor.profile(), FaultRates::mixed(100, 42));
    let out = world.cli().args(world.push_args()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        world.sandbox.faults_injected(vendor.profile()) > 0,
        "no fault was injected"
    );

    // Every invoice of the run ends created or failed with a reason; none is in the target
    // twice; every one reported created is there.
    let state = world.state();
    let runs = state.runs().unwrap();
    let run = runs
        .iter()
        .find(|r| r.entity == "job-invoices" && r.direction == "push")
        .unwrap();
    let (_, items) = state.run(run.id).unwrap();
    let invoices = world.invoices().await;
    let mut by_number: HashMap<&str, usize> = HashMap::new();
    for (number, _) in &invoices {
        *by_number.entry(number.as_str()).or_default() += 1;
    }
    assert!(
        by_number.values().all(|n| *n == 1),
        "an invoice was created twice"
    );
    // The run also lists the 40 customers it created for their invoices.
    let invoice_items: Vec<_> = items
        .iter()
        .filter(|i| i.home_key.as_deref().is_some_and(|k| k.starts_with("JOB")))
        .collect();
    assert_eq!(invoice_items.len(), jobs, "{stdout}");
    assert_eq!(items.len() - invoice_items.len(), 40, "{stdout}");
    for item in invoice_items {
        match item.outcome.as_str() {
            "created" => assert_eq!(by_number.get(item.name.as_str()), Some(&1), "{item:?}"),
            "failed" => assert!(!item.reason.is_empty(), "{item:?}"),
            other => panic!("unexpected outcome {other}: {item:?}"),
        }
    }

    // Without faults a second run completes the rest, still without duplicates.
    world.sandbox.clear_faults(vendor.profile());
    world.ok(&world.push_args());
    let invoices = world.invoices().await;
    assert_eq!(invoices.len(), jobs);
    let mut numbers: Vec<&str> = invoices.iter().map(|(n, _)| n.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), jobs);
}

/// Removing a connection revokes its grant at the vendor first: RFC 7009 for Xero, the
/// JSON body Intuit's endpoint takes for QuickBooks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_connection_revokes_it_at_either_vendor() {
    for (vendor, display, path) in [
        (Vendor::Xero, "Xero", "/xero/identity/connect/revocation"),
        (
            Vendor::QuickBooks,
            "QuickBooks Online",
            "/qbo/v2/oauth2/tokens/revoke",
        ),
    ] {
        let world = World::new(vendor, 1).await;
        let out = world.ok(&["connections", "remove", vendor.connector()]);
        assert!(
            out.contains(&format!("Revoked ledgerlink's access at {display}.")),
            "{out}"
        );
        let revoked = world
            .sandbox
            .log()
            .into_iter()
            .filter(|e| e.path == path)
            .map(|e| e.status)
            .collect::<Vec<_>>();
        assert_eq!(revoked.last(), Some(&200), "{vendor:?}: {revoked:?}");
    }
}

/// Xero apps created before March 2026 use the classic scopes: a connection's `scopes`
/// setting replaces the manifest's granular set in the authorization request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scopes_setting_replaces_the_manifests_scopes() {
    let scope_of = |world: &World| {
        let url = world.authorize_url.lock().unwrap().clone().unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "scope")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let granular = World::new(Vendor::Xero, 1).await;
    assert_eq!(
        scope_of(&granular),
        "accounting.invoices accounting.contacts accounting.settings.read openid profile email offline_access"
    );
    let classic =
        "offline_access accounting.transactions accounting.contacts accounting.settings.read";
    let world = World::with_settings(Vendor::Xero, 1, &[("scopes", classic)]).await;
    assert_eq!(scope_of(&world), classic);
    // The classic grant works as well: the push goes through.
    let out = world.ok(&world.push_args());
    assert!(out.contains(": 2 created"), "{out}");
}
