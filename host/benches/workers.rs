//! Workers: jobs/s and invoices/s for 1, 2, 4 and 8 `ledgerlink worker` processes on one
//! PostgreSQL store, on the same data each time (issue 21, "Done when": the benchmark).
//!
//! For each worker count: a fresh database and a fresh sandbox; a home book of 40
//! customers and `LEDGERLINK_BENCH_INVOICES` (250) closed jobs; 16 connections to the
//! sandbox QuickBooks realm (connected through the real OAuth flow, tokens in the database
//! vault); the customers made in the realm first, so every connection links them by name;
//! `ledgerlink serve --no-jobs` queues one push job per connection through the REST API
//! (`numbering: target`, each connection marking its invoices with its own prefix, since
//! all of them push the same book into one realm); then N workers (`--concurrency 1`, each
//! with its own data folder) start, and the clock runs from their start until every job
//! has ended. The sandbox's rate-limit windows run 1000× faster, and the host's pacing with
//! them (`LEDGERLINK_RATE_LIMIT_SCALE`), so the vendor's per-minute limit is off the
//! critical path; QuickBooks allows 10 calls in flight per realm, more than 8 workers make.
//!
//! Needs a PostgreSQL cluster: `LEDGERLINK_TEST_DATABASE_URL` names it (a role that may
//! create databases). Without one, start a throwaway cluster in the same shell:
//! `source .ci/postgres-cluster && cargo bench -p ledgerlink --bench workers`.
//! `LEDGERLINK_BENCH_WORKERS=1,4` runs some counts only; `--profile dev` measures the
//! debug build instead (quicker to build, to try it out).
#![allow(clippy::unwrap_used)]

#[path = "support/consent.rs"]
mod consent;
use consent::Approve;
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ledgerlink::auth::connect::{self, ConnectRequest};
use ledgerlink::auth::context::Services;
use ledgerlink::auth::tokens;
use ledgerlink::auth::vault::{self, Secret};
use ledgerlink::runtime::{Runtime, RuntimeConfig};
use ledgerlink::store::sql::Db;
use ledgerlink_sandbox::{
    QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REALM_ID, SandboxConfig, SandboxHandle,
};
use serde_json::{Value, json};

// The scale test's book and services (tests/fleet.rs).
#[path = "../../tests/fleet/shared.rs"]
mod shared;

const CONNECTIONS: usize = 16;
const CUSTOMERS: usize = 40;
const TIME_SCALE: u32 = 1000;

/// One worker count's run: a database, a sandbox, the processes' folders.
struct Bench {
    tmp: tempfile::TempDir,
    admin: String,
    database: String,
    url: String,
    key: String,
    sandbox: SandboxHandle,
}

impl Bench {
    async fn new(admin: &str, n: usize) -> Bench {
        let database = format!("ll_bench_workers_{}_{n}", std::process::id());
        let db = Db::connect_postgres(admin).unwrap();
        db.execute_batch(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .unwrap();
        db.execute_batch(&format!("CREATE DATABASE {database}"))
            .unwrap();
        let mut url = url::Url::parse(admin).unwrap();
        url.set_path(&format!("/{database}"));
        let sandbox = SandboxHandle::start(SandboxConfig::default())
            .await
            .unwrap();
        sandbox.set_time_scale(TIME_SCALE);
        Bench {
            tmp: tempfile::tempdir().unwrap(),
            admin: admin.to_owned(),
            database,
            url: url.to_string(),
            key: vault::generate_key().unwrap(),
            sandbox,
        }
    }

    fn data(&self, process: &str) -> PathBuf {
        shared::process_data(self.tmp.path(), process)
    }

    fn cli(&self, process: &str) -> Command {
        shared::fleet_command(self.tmp.path(), process, &self.url, &self.key, TIME_SCALE)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let mut child = self
            .cli("setup")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{stdin}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts `args` as process `process`; returns it once it printed its first line.
    fn spawn(&self, process: &str, args: &[&str]) -> (Child, String) {
        let log = std::fs::File::create(self.tmp.path().join(format!("{process}.log"))).unwrap();
        let mut child = self
            .cli(process)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        std::thread::spawn(move || for _ in lines {});
        (child, first)
    }

    /// Connects `name` to the QuickBooks realm through the sandbox's OAuth flow, in process.
    async fn connect(&self, services: &Services, plugin: &ledgerlink::runtime::Plugin, name: &str) {
        let settings = BTreeMap::from([
            ("client-id".to_owned(), QBO_CLIENT_ID.to_owned()),
            ("default-item".to_owned(), "1".to_owned()),
            ("tax-codes".to_owned(), "TAX=TAX".to_owned()),
            ("job-marker".to_owned(), name.to_owned()),
        ]);
        services.store.add(name, "quickbooks", &settings).unwrap();
        services
            .store
            .set_routes(name, &self.sandbox.routes())
            .unwrap();
        let connection = services.store.get(name).unwrap();
        let mut ui = Approve(None);
        connect::connect(
            ConnectRequest {
                services,
                plugin,
                connection: &connection,
                client_id: QBO_CLIENT_ID.to_owned(),
                client_secret: Secret::new(QBO_CLIENT_SECRET),
                tenant: None,
                timeout: Duration::from_secs(60),
            },
            &mut ui,
        )
        .await
        .unwrap();
        ui.0.take().unwrap().await.unwrap();
    }

    fn drop_database(&self) {
        Db::connect_postgres(&self.admin)
            .unwrap()
            .execute_batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.database
            ))
            .unwrap();
    }
}

/// The JSON answer to `request`.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// One run with `workers` workers: (seconds from their start to the last job's end,
/// jobs that succeeded).
async fn run(admin: &str, workers: usize, invoices: usize) -> (f64, usize) {
    let b = Bench::new(admin, workers).await;
    let book_path = b.tmp.path().join("book.json");
    std::fs::write(&book_path, shared::book(CUSTOMERS, invoices)).unwrap();
    b.ok(&["home", "import", book_path.to_str().unwrap()], "");

    // The connections, into the database vault every process reads.
    let services = shared::database_services(&b.data("setup"), &b.url, &b.key);
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let built_in = ledgerlink::builtin::get("quickbooks").unwrap();
    let plugin = runtime
        .load_bytes(built_in.wasm, "quickbooks")
        .await
        .unwrap();
    let names: Vec<String> = (0..CONNECTIONS).map(|i| format!("q{i:02}")).collect();
    for name in &names {
        b.connect(&services, &plugin, name).await;
    }

    // The realm's customers, made by hand, so every connection links them by name.
    let token = tokens::load(&*services.vault, &names[0])
        .unwrap()
        .unwrap()
        .access_token;
    let http = reqwest::Client::new();
    for c in 0..CUSTOMERS {
        let answer = http
            .post(b.sandbox.url(&format!(
                "/qbo/v3/company/{QBO_REALM_ID}/customer?minorversion=75"
            )))
            .bearer_auth(&token)
            .header("accept", "application/json")
            .json(&json!({"DisplayName": shared::customer_name(c)}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    b.ok(
        &["users", "add", "admin", "--role", "admin"],
        "a bench password of some length",
    );
    let api_token = b
        .ok(&["tokens", "create", "--user", "admin"], "")
        .trim()
        .to_owned();
    let (mut serve, first) = b.spawn("serve", &["serve", "--listen", "127.0.0.1:0", "--no-jobs"]);
    let base = first
        .split("listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let mut jobs = Vec::new();
    for name in &names {
        let answer = json_of(
            http.post(format!("{base}/api/v1/connections/{name}/push-invoices"))
                .bearer_auth(&api_token)
                .json(&json!({"kind": "job", "numbering": "target"})),
        )
        .await;
        jobs.push(answer["id"].as_i64().unwrap());
    }

    let started = Instant::now();
    let mut children: Vec<Child> = (0..workers)
        .map(|w| {
            b.spawn(&format!("worker-{w}"), &["worker", "--job-lease", "10"])
                .0
        })
        .collect();
    let succeeded = loop {
        let mut ended = 0;
        let mut succeeded = 0;
        for job in &jobs {
            let j = json_of(
                http.get(format!("{base}/api/v1/jobs/{job}"))
                    .bearer_auth(&api_token),
            )
            .await;
            match j["status"].as_str() {
                Some("succeeded") => {
                    ended += 1;
                    succeeded += 1;
                }
                Some("failed") => ended += 1,
                _ => {}
            }
        }
        if ended == jobs.len() {
            break succeeded;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "the jobs did not end; logs in {}",
            b.tmp.path().display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let elapsed = started.elapsed().as_secs_f64();
    for child in children.iter_mut().chain(std::iter::once(&mut serve)) {
        let _ = child.kill();
        let _ = child.wait();
    }
    b.drop_database();
    b.sandbox.shutdown().await;
    (elapsed, succeeded)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(admin) = std::env::var("LEDGERLINK_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        println!(
            "workers: needs PostgreSQL; set LEDGERLINK_TEST_DATABASE_URL, or run `source .ci/postgres-cluster && cargo bench -p ledgerlink --bench workers` in one shell"
        );
        return;
    };
    let invoices: usize = std::env::var("LEDGERLINK_BENCH_INVOICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let counts: Vec<usize> = std::env::var("LEDGERLINK_BENCH_WORKERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 4, 8]);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "workers: {CONNECTIONS} push jobs of {invoices} invoices (QuickBooks sandbox, limits 1000x faster), {} build, {cores} cores",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!("workers  seconds  jobs/s  invoices/s  succeeded");
    for n in counts {
        let (seconds, succeeded) = run(&admin, n, invoices).await;
        let total = (CONNECTIONS * invoices) as f64;
        println!(
            "{n:>7}  {seconds:>7.1}  {:>6.2}  {:>10.0}  {succeeded}/{CONNECTIONS}",
            CONNECTIONS as f64 / seconds,
            total / seconds
        );
    }
}
