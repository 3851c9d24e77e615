//! Xero transfer figures against the sandbox (release build, in process, real plugin):
//!
//! - API calls per pushed invoice and invoices per second for a 2,000-invoice push
//!   (the sandbox's rate limits off the critical path: time scale 60, host pacing 60);
//! - a push that needs more calls than the rate limit allows: its time against the
//!   limit-bound time (the least time the vendor's 60-calls-a-minute window permits).
//!
//! - the Xero invoice mapping (the connector's own `map` source) over 100,000 invoices,
//!   inside the plugin (through the component boundary, fresh instance per call, batches of
//!   50 as the connector sends them) against the same code compiled natively.
//!
//! Run: `cargo bench -p ledgerlink --bench xero`. Figures go to docs/performance.md.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ledgerlink::auth::connect::{self, ConnectRequest, ConnectUi, Tenant};
use ledgerlink::auth::context::{self, Services};
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{MemoryVault, Secret};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::bindings::{
    Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};
use ledgerlink::runtime::{CallContext, Plugin, Runtime, RuntimeConfig, SystemClock};
use ledgerlink::store::DataDir;
use ledgerlink::store::connections::ConnectionStore;
use ledgerlink::store::sync_state::SyncState;
use ledgerlink::sync::invoices::{self, InvoiceJob};
use ledgerlink::sync::progress::Silent;
use ledgerlink_sandbox::{
    SandboxConfig, SandboxHandle, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
};
use rust_decimal::{Decimal, RoundingStrategy};

struct Approve(Option<tokio::task::JoinHandle<()>>);

impl ConnectUi for Approve {
    fn authorize(&mut self, url: &url::Url) {
        let url = url.clone();
        self.0 = Some(tokio::spawn(async move {
            let browser = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let html = browser
                .get(url.clone())
                .send()
                .await
                .expect("consent page")
                .text()
                .await
                .expect("consent html");
            let field = |marker: &str| {
                html.split(marker)
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .expect("consent form field")
                    .to_owned()
            };
            let consent = browser
                .post(url.join(&field("action=\"")).expect("action"))
                .form(&[("request_id", field("name=\"request_id\" value=\""))])
                .send()
                .await
                .expect("approve");
            let callback = consent.headers()["location"]
                .to_str()
                .expect("location")
                .to_owned();
            browser.get(&callback).send().await.expect("callback");
        }));
    }
    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| t.id == XERO_TENANT_NZ_ID)
            .ok_or_else(|| "no NZ tenant".into())
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    sandbox: SandboxHandle,
    state: SyncState,
    plugin: Plugin,
    ctx: CallContext,
}

/// A fresh data folder, sandbox and connected `xero` connection; host pacing divides the
/// rate-limit windows by `pace_scale`, the sandbox by `sandbox_scale`.
async fn setup(sandbox_scale: u32, pace_scale: u32) -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = DataDir::new(tmp.path());
    let sandbox = SandboxHandle::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    sandbox.set_time_scale(sandbox_scale);
    let services = Services {
        store: ConnectionStore::open(&data.database()).expect("store"),
        data: data.clone(),
        vault: Arc::new(MemoryVault::new()),
        clock: Arc::new(SystemClock),
        http_limits: HttpLimits {
            rate_limit_scale: pace_scale,
            ..HttpLimits::default()
        },
        refresh: RefreshPolicy::default(),
        pacers: Default::default(),
    };
    let settings = BTreeMap::from([("client-id".to_owned(), XERO_CLIENT_ID.to_owned())]);
    services.store.add("xero", "xero", &settings).expect("add");
    services
        .store
        .set_routes("xero", &sandbox.routes())
        .expect("routes");
    let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let plugin = runtime
        .load_bytes(
            ledgerlink::builtin::get("xero").expect("built in").wasm,
            "xero",
        )
        .await
        .expect("load");
    let connection = services.store.get("xero").expect("get");
    let mut ui = Approve(None);
    connect::connect(
        ConnectRequest {
            services: &services,
            plugin: &plugin,
            connection: &connection,
            client_id: XERO_CLIENT_ID.to_owned(),
            client_secret: Secret::new(XERO_CLIENT_SECRET),
            tenant: Some(XERO_TENANT_NZ_ID.to_owned()),
            timeout: Duration::from_secs(30),
        },
        &mut ui,
    )
    .await
    .expect("connect");
    if let Some(played) = ui.0 {
        played.await.expect("browser");
    }
    let connection = services.store.get("xero").expect("get");
    let ctx = context::call_context(&services, &plugin, &connection)
        .await
        .expect("context");
    Setup {
        state: SyncState::open(&data.database()).expect("state"),
        _tmp: tmp,
        sandbox,
        plugin,
        ctx,
    }
}

fn jobs(n: usize, customers: usize) -> Vec<InvoiceJob> {
    (0..n)
        .map(|j| {
            let amount = Decimal::new(1000 + (j as i64 * 37) % 9000, 2);
            let tax = (amount * Decimal::new(15, 2))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            let c = j % customers;
            let customer = Customer {
                key: format!("C{c}"),
                remote_id: None,
                version: None,
                idempotency_key: None,
                name: format!("Bench Customer {c}"),
                account_number: None,
                contact_name: None,
                email: Some(format!("c{c}@bench.example")),
                phone: None,
                tax_number: None,
                billing_address: None,
                shipping_address: None,
                currency: Some("NZD".into()),
                active: true,
                updated_at: None,
            };
            let invoice = Invoice {
                key: format!("JOB{j}"),
                remote_id: None,
                version: None,
                idempotency_key: None,
                kind: InvoiceKind::Job,
                number: format!("B{}", 100_001 + j),
                customer: CustomerRef {
                    remote_id: None,
                    name: customer.name.clone(),
                },
                issue_date: "2026-11-20".into(),
                due_date: Some("2026-12-20".into()),
                currency: "NZD".into(),
                tax_mode: TaxMode::Exclusive,
                lines: vec![InvoiceLine {
                    description: "Service call".into(),
                    quantity: "1".into(),
                    unit_price: amount.to_string(),
                    discount_percent: None,
                    amount: amount.to_string(),
                    item_code: None,
                    account_code: Some("200".into()),
                    tax_code: Some("OUTPUT2".into()),
                    tax_amount: Some(tax.to_string()),
                }],
                subtotal: amount.to_string(),
                tax_total: tax.to_string(),
                total: (amount + tax).to_string(),
                reference: None,
                memo: None,
                status: InvoiceStatus::Authorised,
                updated_at: None,
            };
            InvoiceJob { invoice, customer }
        })
        .collect()
}

fn api_calls(sandbox: &SandboxHandle, path_ends: &str, method: &str) -> usize {
    sandbox
        .log()
        .iter()
        .filter(|e| e.method == method && e.path.ends_with(path_ends))
        .count()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // 1. Calls per invoice and throughput (limits 60× faster on both sides).
    let n = 2000;
    let s = setup(60, 60).await;
    let before = s.sandbox.log().len();
    let started = Instant::now();
    let summary = invoices::push(
        &s.state,
        &s.plugin,
        &s.ctx,
        "xero",
        InvoiceKind::Job,
        jobs(n, 40),
        &Silent,
    )
    .await
    .expect("push");
    let elapsed = started.elapsed();
    assert_eq!(summary.failed, 0, "{summary:?}");
    let log = s.sandbox.log();
    let calls = log.len() - before;
    let invoice_posts =
        api_calls(&s.sandbox, "/Invoices", "POST") + api_calls(&s.sandbox, "/Invoices", "PUT");
    println!("push of {n} job invoices for 40 new customers (sandbox Xero, release build):");
    println!(
        "  invoice writes: {invoice_posts} requests = {:.4} per invoice (target 1/50 = 0.0200)",
        invoice_posts as f64 / n as f64
    );
    println!(
        "  all API calls (customer lookups and creates, invoice writes, read-back): {calls} = {:.4} per invoice",
        calls as f64 / n as f64
    );
    println!(
        "  {:.0} invoices/s ({elapsed:.2?} in all)",
        n as f64 / elapsed.as_secs_f64()
    );
    s.sandbox.shutdown().await;

    // 2. Limit-bound: more calls than one window allows. Sandbox and host at time scale 2
    // (a minute lasts 30 s): the host paces; the vendor must never answer 429.
    let scale = 2;
    let n = 6000;
    let s = setup(scale, scale).await;
    // Customers first (one batch), so the timed part is invoice writes only.
    let warm = jobs(40, 40);
    invoices::push(
        &s.state,
        &s.plugin,
        &s.ctx,
        "xero",
        InvoiceKind::Job,
        warm,
        &Silent,
    )
    .await
    .expect("warm-up push");
    tokio::time::sleep(Duration::from_secs(60) / scale).await;
    let before = s.sandbox.log().len();
    let started = Instant::now();
    let summary = invoices::push(
        &s.state,
        &s.plugin,
        &s.ctx,
        "xero",
        InvoiceKind::Job,
        jobs(n, 40).into_iter().skip(40).collect(),
        &Silent,
    )
    .await
    .expect("push");
    let elapsed = started.elapsed();
    assert_eq!(summary.failed, 0, "{summary:?}");
    let log = s.sandbox.log();
    let calls = log.len() - before;
    let throttled = log[before..].iter().filter(|e| e.status == 429).count();
    let window = Duration::from_secs(60) / scale;
    // 60 calls may go at once; each further 60 waits for the window to slide.
    let bound = window * u32::try_from((calls.saturating_sub(1)) / 60).unwrap_or(u32::MAX);
    println!(
        "push of {} invoices needing {calls} calls under Xero's 60 calls/minute (time scale {scale}: a minute is {window:?}):",
        n - 40
    );
    println!(
        "  took {elapsed:.2?}; limit-bound time {bound:.2?}; ratio {:.3} (target ≤ 1.05); 429 answers: {throttled}",
        elapsed.as_secs_f64() / bound.as_secs_f64()
    );
    s.sandbox.shutdown().await;

    mapping().await;
}

/// 3. The mapping inside the plugin vs natively.
async fn mapping() {
    use ledgerlink_fixture_xero_map_bench as native;
    let n = 100_000;
    let host_invoices: Vec<Invoice> = jobs(n, 40)
        .into_iter()
        .map(|j| {
            let mut i = j.invoice;
            i.customer.remote_id = Some("8f1c5e2a-4b3d-4e6f-9a8b-7c6d5e4f3a2b".into());
            i
        })
        .collect();
    // The same invoices as the SDK's types, for the native run.
    let sdk_invoices: Vec<ledgerlink_sdk::types::Invoice> =
        host_invoices.iter().map(sdk_invoice).collect();

    let mapping = native::map::Mapping::default();
    let mut best_native = Duration::MAX;
    let mut native_bytes = 0;
    for _ in 0..3 {
        let started = Instant::now();
        native_bytes = 0;
        for chunk in sdk_invoices.chunks(50) {
            for invoice in chunk {
                native_bytes += native::map_invoice(invoice, &mapping).expect("maps").len();
            }
        }
        best_native = best_native.min(started.elapsed());
    }

    let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let wasm =
        std::path::PathBuf::from(env!("LEDGERLINK_FIXTURES_DIR")).join("xero-map-bench.wasm");
    let plugin = runtime.load_file(&wasm).await.expect("fixture loads");
    let ctx = CallContext {
        settings: BTreeMap::new(),
        http: None,
        folder: None,
        clock: Arc::new(SystemClock),
    };
    let mut best_plugin = Duration::MAX;
    let mut plugin_bytes = 0;
    for _ in 0..3 {
        let started = Instant::now();
        plugin_bytes = 0;
        for chunk in host_invoices.chunks(50) {
            for r in plugin
                .push_invoices(&ctx, chunk.to_vec())
                .await
                .expect("call")
            {
                let w = r.outcome.expect("maps");
                plugin_bytes += w.remote_id.parse::<usize>().expect("size");
            }
        }
        best_plugin = best_plugin.min(started.elapsed());
    }
    assert_eq!(native_bytes, plugin_bytes, "both produced the same JSON");

    // The mapping's own time inside the plugin: map each batch of 1,000 once and six times
    // per call; the difference over five is one pass of mapping with no boundary crossing.
    let mut per_repeat = Vec::new();
    for repeat in [1, 6] {
        let ctx = CallContext {
            settings: BTreeMap::from([("repeat".to_owned(), repeat.to_string())]),
            ..ctx.clone()
        };
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            for chunk in host_invoices.chunks(1000) {
                plugin
                    .push_invoices(&ctx, chunk.to_vec())
                    .await
                    .expect("call");
            }
            best = best.min(started.elapsed());
        }
        per_repeat.push(best);
    }
    let in_plugin_mapping = (per_repeat[1].saturating_sub(per_repeat[0])) / 5;
    println!("Xero invoice mapping, {n} invoices (best of 3):");
    println!(
        "  native {best_native:.2?} ({:.0}/s); in the plugin, batches of 50 through the boundary {best_plugin:.2?} ({:.0}/s); ratio {:.2} (target ≤ 1.25)",
        n as f64 / best_native.as_secs_f64(),
        n as f64 / best_plugin.as_secs_f64(),
        best_plugin.as_secs_f64() / best_native.as_secs_f64()
    );
    println!(
        "  the mapping alone inside the plugin (no boundary): {in_plugin_mapping:.2?} per pass; ratio to native {:.2} (target ≤ 1.25)",
        in_plugin_mapping.as_secs_f64() / best_native.as_secs_f64()
    );
    println!(
        "  so of {best_plugin:.2?} in the plugin, {:.2?} is moving 100,000 invoices across the boundary in and out",
        best_plugin.saturating_sub(in_plugin_mapping)
    );
}

/// The same invoice as the SDK's type (field by field; both are generated from the contract).
fn sdk_invoice(i: &Invoice) -> ledgerlink_sdk::types::Invoice {
    use ledgerlink_sdk::types as sdk;
    sdk::Invoice {
        key: i.key.clone(),
        remote_id: i.remote_id.clone(),
        version: i.version.clone(),
        idempotency_key: i.idempotency_key.clone(),
        kind: match i.kind {
            InvoiceKind::Job => sdk::InvoiceKind::Job,
            InvoiceKind::Contract => sdk::InvoiceKind::Contract,
        },
        number: i.number.clone(),
        customer: sdk::CustomerRef {
            remote_id: i.customer.remote_id.clone(),
            name: i.customer.name.clone(),
        },
        issue_date: i.issue_date.clone(),
        due_date: i.due_date.clone(),
        currency: i.currency.clone(),
        tax_mode: match i.tax_mode {
            TaxMode::Exclusive => sdk::TaxMode::Exclusive,
            TaxMode::Inclusive => sdk::TaxMode::Inclusive,
            TaxMode::None => sdk::TaxMode::None,
        },
        lines: i
            .lines
            .iter()
            .map(|l| sdk::InvoiceLine {
                description: l.description.clone(),
                quantity: l.quantity.clone(),
                unit_price: l.unit_price.clone(),
                discount_percent: l.discount_percent.clone(),
                amount: l.amount.clone(),
                item_code: l.item_code.clone(),
                account_code: l.account_code.clone(),
                tax_code: l.tax_code.clone(),
                tax_amount: l.tax_amount.clone(),
            })
            .collect(),
        subtotal: i.subtotal.clone(),
        tax_total: i.tax_total.clone(),
        total: i.total.clone(),
        reference: i.reference.clone(),
        memo: i.memo.clone(),
        status: match i.status {
            InvoiceStatus::Draft => sdk::InvoiceStatus::Draft,
            InvoiceStatus::Authorised => sdk::InvoiceStatus::Authorised,
            InvoiceStatus::Paid => sdk::InvoiceStatus::Paid,
            InvoiceStatus::Voided => sdk::InvoiceStatus::Voided,
        },
        updated_at: i.updated_at.clone(),
    }
}
