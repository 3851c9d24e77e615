//! Issue 21's scale test, on PostgreSQL: one `ledgerlink serve --no-jobs` and four
//! `ledgerlink worker` processes on one database (each process its own data folder, as on
//! separate hosts: they share nothing but the database and the vault key), 40 connections
//! to three sandbox organisations (Xero's two demo tenants and the QuickBooks realm, 13 or 14
//! connections each), 40 push jobs of 500 invoices each queued through the REST API. While
//! they run, one worker is killed (SIGKILL) at a random moment and replaced, and later
//! another is killed and not replaced; the access tokens expire (the sandbox's clock jumps
//! past their life) mid-run. Then, from the sandbox: every invoice of every job is in its
//! organisation exactly once (20 000), every job succeeded, no 429, no `invalid_grant`, and
//! each connection that called after the expiry refreshed exactly once.
//!
//! Several connections reach one organisation, so their pushes use the organisation's own
//! numbering (`numbering: target`: the vendor numbers, Tracker Pro's job number goes into
//! the reference) and each connection marks its references with its own prefix; an
//! invoice is identified by (connection, job number). The organisations' customers exist
//! before the run (made by hand), so every connection links them by name.
//!
//! Every worker runs one job at a time (`--concurrency 1`, the default): four requests in
//! flight at most, under Xero's five concurrent calls per tenant (the host paces call rates
//! per organisation, but does not count calls in flight across processes).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ledgerlink::auth::connect::{self, ConnectRequest};
use ledgerlink::auth::context::Services;
use ledgerlink::auth::tokens::{self, TokenSet};
use ledgerlink::auth::vault::{self, Secret};
use ledgerlink::runtime::{Plugin, Runtime, RuntimeConfig};
use ledgerlink_sandbox::{
    LogEntry, Profile, QBO_REALM_ID, SandboxConfig, SandboxHandle, XERO_TENANT_NZ_ID,
    XERO_TENANT_US_ID,
};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

mod shared;

use crate::serve::{ADMIN_PASSWORD, Api, Server, add_user, create_token};
use crate::support::postgres::TestDatabase;
use crate::vendor_world::{Approve, Vendor};
use shared::{book, customer_name, job_number};

const CONNECTIONS: usize = 40;
const INVOICES: usize = 500;
const CUSTOMERS: usize = 40;
const WORKERS: usize = 4;
/// The sandbox's rate-limit windows and the host's pacing both run this many times faster
/// than real time (Xero: 60 calls per 12 seconds per tenant instead of a minute), slow
/// enough that the limits bind: the fleet could call faster than that.
const TIME_SCALE: u32 = 5;
/// Seconds a job's lease lasts without a heartbeat.
const LEASE: &str = "5";

/// A vendor organisation of the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Org {
    XeroNz,
    XeroUs,
    QuickBooks,
}

impl Org {
    const ALL: [Org; 3] = [Org::XeroNz, Org::XeroUs, Org::QuickBooks];

    fn vendor(self) -> Vendor {
        match self {
            Org::XeroNz | Org::XeroUs => Vendor::Xero,
            Org::QuickBooks => Vendor::QuickBooks,
        }
    }

    /// Xero's tenant id or QuickBooks' realm id.
    fn id(self) -> &'static str {
        match self {
            Org::XeroNz => XERO_TENANT_NZ_ID,
            Org::XeroUs => XERO_TENANT_US_ID,
            Org::QuickBooks => QBO_REALM_ID,
        }
    }

    /// The sandbox's dump of its invoices: path, list key, and the field holding the
    /// connection's marker and the job number.
    fn invoices_dump(self) -> (String, &'static str, &'static str) {
        match self {
            Org::XeroNz | Org::XeroUs => (
                format!("/_sandbox/xero/{}/invoices", self.id()),
                "Invoices",
                "Reference",
            ),
            Org::QuickBooks => (
                format!("/_sandbox/qbo/{}/invoices", self.id()),
                "Invoice",
                "PrivateNote",
            ),
        }
    }
}

/// One of the 40 connections.
struct Conn {
    name: String,
    org: Org,
    /// What its invoices' references (Xero) or notes (QuickBooks) start with.
    marker: String,
    /// Its tokens right after connecting.
    tokens: TokenSet,
}

/// The organisation of connection `i`: round robin over the three.
fn org_of(i: usize) -> Org {
    Org::ALL[i % Org::ALL.len()]
}

/// The first 8 hex digits of a token's SHA-256: how the sandbox's log names it.
fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A clock-seeded xorshift: random enough for where to kill a worker, and reproducible
/// from the seed printed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The fleet's shared settings: one database, one vault key, the sandbox.
struct Fleet {
    tmp: tempfile::TempDir,
    db: TestDatabase,
    key: String,
    sandbox: SandboxHandle,
}

impl Fleet {
    /// A data folder of its own for one process (as on its own host).
    fn data(&self, process: &str) -> PathBuf {
        shared::process_data(self.tmp.path(), process)
    }

    /// The binary as a process of the fleet named `process` runs it.
    fn cli(&self, process: &str) -> Command {
        shared::fleet_command(
            self.tmp.path(),
            process,
            &self.db.url,
            &self.key,
            TIME_SCALE,
        )
    }

    fn log(&self, process: &str) -> PathBuf {
        self.tmp.path().join(format!("{process}.log"))
    }

    fn services(&self) -> Services {
        shared::database_services(&self.data("setup"), &self.db.url, &self.key)
    }

    /// Adds connection `name` to `org` and connects it through the sandbox's OAuth flow
    /// (in process, into the database vault every process reads); returns its tokens.
    async fn connect(
        &self,
        services: &Services,
        plugins: &HashMap<&'static str, Plugin>,
        name: &str,
        org: Org,
        marker: &str,
    ) -> TokenSet {
        let vendor = org.vendor();
        let (client_id, client_secret) = vendor.client();
        let mut settings = BTreeMap::from([("client-id".to_owned(), client_id.to_owned())]);
        for (k, v) in vendor.settings() {
            settings.insert((*k).to_owned(), (*v).to_owned());
        }
        let marker_setting = match vendor {
            Vendor::Xero => "job-reference-prefix",
            Vendor::QuickBooks => "job-marker",
        };
        settings.insert(marker_setting.to_owned(), marker.to_owned());
        services
            .store
            .add(name, vendor.connector(), &settings)
            .unwrap();
        services
            .store
            .set_routes(name, &self.sandbox.routes())
            .unwrap();
        let connection = services.store.get(name).unwrap();
        let plugin = &plugins[vendor.connector()];
        let mut ui = Approve {
            played: None,
            url: None,
            tenant: org.id(),
        };
        connect::connect(
            ConnectRequest {
                services,
                plugin,
                connection: &connection,
                client_id: client_id.to_owned(),
                client_secret: Secret::new(client_secret),
                tenant: (vendor == Vendor::Xero).then(|| org.id().to_owned()),
                timeout: Duration::from_secs(60),
            },
            &mut ui,
        )
        .await
        .unwrap();
        ui.played.take().unwrap().await.unwrap();
        tokens::load(&*services.vault, name)
            .unwrap()
            .expect("connected")
    }

    /// One call to `org`'s accounting API with `token`, as someone working in the vendor's
    /// own screens would make it; the answer must be 200.
    async fn by_hand(
        &self,
        org: Org,
        token: &str,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let client = reqwest::Client::new();
        let request = match org.vendor() {
            Vendor::Xero => client
                .request(
                    method,
                    self.sandbox.url(&format!("/xero/api.xro/2.0/{path}")),
                )
                .header("xero-tenant-id", org.id()),
            Vendor::QuickBooks => client.request(
                method,
                self.sandbox.url(&format!(
                    "/qbo/v3/company/{}/{path}?minorversion=75",
                    org.id()
                )),
            ),
        };
        let answer = request
            .bearer_auth(token)
            .header("accept", "application/json")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert_eq!(status, 200, "{path} by hand: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Every invoice `org` holds.
    async fn invoices(&self, org: Org) -> Vec<Value> {
        let (path, list, _) = org.invoices_dump();
        crate::vendor_world::dump(&self.sandbox, &path, list).await
    }
}

/// `profile`'s accounting API calls in `log`, and the most of them that arrived within any
/// one (scaled) minute: what the fleet's pacing let through at its busiest (Xero's count
/// covers both tenants, 60 each; the sandbox counts fixed windows, so arrivals bunched by
/// a busy machine may show more than the limit in a sliding minute without a 429).
fn busiest_window(log: &[LogEntry], profile: Profile) -> (usize, usize) {
    let window = Duration::from_secs(60) / TIME_SCALE;
    let mut sorted: Vec<std::time::SystemTime> = log
        .iter()
        .filter(|e| {
            e.profile == Some(profile)
                && (e.path.starts_with("/xero/api.xro/") || e.path.starts_with("/qbo/v3/"))
        })
        .map(|e| e.at)
        .collect();
    sorted.sort();
    let mut peak = 0;
    let mut first = 0;
    for (i, t) in sorted.iter().enumerate() {
        while t.duration_since(sorted[first]).unwrap_or_default() >= window {
            first += 1;
        }
        peak = peak.max(i + 1 - first);
    }
    (sorted.len(), peak)
}

/// Each job's status, by id.
async fn statuses(api: &Api, jobs: &[i64]) -> HashMap<i64, Value> {
    let mut out = HashMap::new();
    for job in jobs {
        let path = format!("/api/v1/jobs/{job}");
        let j = api
            .call(Method::GET, "/api/v1/jobs/{id}", &path, None, &[])
            .await;
        assert_eq!(j.status, 200, "{}", j.text);
        out.insert(*job, j.json());
    }
    out
}

fn ended(j: &Value) -> bool {
    matches!(j["status"].as_str(), Some("succeeded" | "failed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_and_a_server_on_postgres_push_40_jobs_once_each_through_kills_and_expiry() {
    let Some(db) = TestDatabase::fresh() else {
        eprintln!("skipped: LEDGERLINK_TEST_DATABASE_URL is unset");
        return;
    };
    let started = Instant::now();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("fleet: random seed {seed}");
    let mut rng = Rng(seed);

    let sandbox = SandboxHandle::start(SandboxConfig::default())
        .await
        .unwrap();
    sandbox.set_time_scale(TIME_SCALE);
    let fleet = Fleet {
        tmp: tempfile::tempdir().unwrap(),
        db,
        key: vault::generate_key().unwrap(),
        sandbox,
    };

    // The home book, through the CLI (which migrates the fresh database).
    let book_path = fleet.tmp.path().join("book.json");
    std::fs::write(&book_path, book(CUSTOMERS, INVOICES)).unwrap();
    let import = ["home", "import", book_path.to_str().unwrap()];
    crate::support::succeeded(&import, fleet.cli("setup").args(import).output().unwrap());

    // 40 connections, 13 or 14 to each organisation.
    let services = fleet.services();
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let mut plugins = HashMap::new();
    for vendor in [Vendor::Xero, Vendor::QuickBooks] {
        let name = vendor.connector();
        let built_in = ledgerlink::builtin::get(name).expect("built in");
        plugins.insert(name, runtime.load_bytes(built_in.wasm, name).await.unwrap());
    }
    let mut conns = Vec::new();
    for i in 0..CONNECTIONS {
        let (name, org, marker) = (format!("fleet-{i:02}"), org_of(i), format!("F{i:02}"));
        let tokens = fleet
            .connect(&services, &plugins, &name, org, &marker)
            .await;
        conns.push(Conn {
            name,
            org,
            marker,
            tokens,
        });
    }
    eprintln!(
        "fleet: {CONNECTIONS} connected after {:?}",
        started.elapsed()
    );

    // The organisations as their accountants set them up: the NZ tenant takes USD, and the
    // customers exist in each (so every connection links them by name).
    for org in Org::ALL {
        let token = &conns
            .iter()
            .find(|c| c.org == org)
            .unwrap()
            .tokens
            .access_token;
        match org.vendor() {
            Vendor::Xero => {
                if org == Org::XeroNz {
                    fleet
                        .by_hand(
                            org,
                            token,
                            Method::PUT,
                            "Currencies",
                            json!({"Code": "USD"}),
                        )
                        .await;
                }
                let contacts: Vec<Value> = (0..CUSTOMERS)
                    .map(|c| json!({"Name": customer_name(c), "EmailAddress": format!("c{c}@fleet.example")}))
                    .collect();
                fleet
                    .by_hand(
                        org,
                        token,
                        Method::PUT,
                        "Contacts",
                        json!({"Contacts": contacts}),
                    )
                    .await;
            }
            Vendor::QuickBooks => {
                for c in 0..CUSTOMERS {
                    fleet
                        .by_hand(
                            org,
                            token,
                            Method::POST,
                            "customer",
                            json!({"DisplayName": customer_name(c),
                                   "PrimaryEmailAddr": {"Address": format!("c{c}@fleet.example")}}),
                        )
                        .await;
                }
            }
        }
    }

    // What the setup called; from here on, only the fleet calls the vendors.
    let setup_calls = fleet.sandbox.log().len();
    // The setup's own calls (made by hand, as the accountant's, outside any pacer) count in
    // the sandbox's current minute, which a real vendor would bill to another app: let that
    // minute (a fifth of one at this time scale) run out before the fleet starts, so every
    // call in the fleet's minutes is the fleet's own.
    let setup_done = Instant::now();

    // The API server queues; it runs nothing.
    add_user(fleet.cli("serve"), "admin", "admin", ADMIN_PASSWORD);
    let token = create_token(fleet.cli("serve"), "admin");
    let server = Server::start(fleet.cli("serve"), &["--no-jobs"], &fleet.log("serve"));
    let mut api = Api::new(&server.base).await;
    api.token = Some(token);

    // A numbering the API does not know is refused, and queues nothing.
    let refused = api
        .call(
            Method::POST,
            "/api/v1/connections/{name}/push-invoices",
            "/api/v1/connections/fleet-00/push-invoices",
            Some(json!({"kind": "job", "numbering": "sideways"})),
            &[],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(
        refused.json()["detail"],
        r#"numbering "sideways" is neither keep nor target"#
    );

    let mut jobs = Vec::new();
    for c in &conns {
        let path = format!("/api/v1/connections/{}/push-invoices", c.name);
        let key = format!("fleet {}", c.name);
        let a = api
            .call(
                Method::POST,
                "/api/v1/connections/{name}/push-invoices",
                &path,
                Some(json!({"kind": "job", "numbering": "target"})),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        assert_eq!(a.status, 202, "{}", a.text);
        jobs.push(a.json()["id"].as_i64().unwrap());
    }

    let minute = Duration::from_secs(60) / TIME_SCALE + Duration::from_secs(1);
    if let Some(left) = minute.checked_sub(setup_done.elapsed()) {
        tokio::time::sleep(left).await;
    }

    // Four workers, each on its own data folder.
    let mut next_worker = 0;
    let mut start_worker = || {
        let name = format!("worker-{next_worker}");
        next_worker += 1;
        (
            name.clone(),
            Server::worker(fleet.cli(&name), &["--job-lease", LEASE], &fleet.log(&name)),
        )
    };
    let mut workers: Vec<(String, Server)> = (0..WORKERS).map(|_| start_worker()).collect();

    // Where things happen, by jobs ended: the first kill, the expiry, the second kill.
    let first_kill = 3 + rng.below(10) as usize;
    let expiry_at = first_kill + 2 + rng.below(6) as usize;
    let second_kill = expiry_at + 2 + rng.below(10) as usize;
    eprintln!(
        "fleet: kill after {first_kill} jobs ended, expire tokens after {expiry_at}, kill again after {second_kill}"
    );
    let (mut killed, mut expired) = (0, None::<HashMap<i64, Value>>);
    let deadline = Instant::now() + Duration::from_secs(1500);
    let last = loop {
        let now = statuses(&api, &jobs).await;
        let done = now.values().filter(|j| ended(j)).count();
        if done == jobs.len() {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "jobs did not end: {done} of {} ended; logs in {}",
            jobs.len(),
            fleet.tmp.path().display()
        );
        if (killed == 0 && done >= first_kill) || (killed == 1 && done >= second_kill) {
            // A moment later, so the kill lands anywhere in a job.
            tokio::time::sleep(Duration::from_millis(rng.below(1500))).await;
            let victim = rng.below(workers.len() as u64) as usize;
            let (name, server) = workers.remove(victim);
            drop(server); // SIGKILL
            killed += 1;
            eprintln!(
                "fleet: killed {name} (SIGKILL) after {done} jobs ended, at {:?}",
                started.elapsed()
            );
            if killed == 1 {
                let replacement = start_worker();
                eprintln!("fleet: started {} in its place", replacement.0);
                workers.push(replacement);
            }
        }
        if expired.is_none() && done >= expiry_at {
            // Every access token's life is over (Xero's 30 minutes, QuickBooks' 60).
            fleet.sandbox.advance_clock(Duration::from_secs(61 * 60));
            let then = statuses(&api, &jobs).await;
            eprintln!(
                "fleet: tokens expired after {} jobs ended, at {:?}",
                then.values().filter(|j| ended(j)).count(),
                started.elapsed()
            );
            expired = Some(then);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let elapsed = started.elapsed();
    eprintln!("fleet: every job ended after {elapsed:?}");
    assert_eq!(killed, 2, "both kills happened");
    let expired = expired.expect("the tokens expired mid-run");

    // Every job succeeded; those a killed worker was running were taken over (a second
    // attempt) and finished elsewhere.
    for (job, j) in &last {
        assert_eq!(j["status"], "succeeded", "job {job}: {j}");
    }
    let taken_over: Vec<i64> = jobs
        .iter()
        .copied()
        .filter(|job| last[job]["attempts"].as_i64().unwrap() > 1)
        .collect();
    eprintln!("fleet: jobs taken over from a killed worker: {taken_over:?}");
    assert!(
        !taken_over.is_empty(),
        "the kills hit no running job (the workers were idle?)"
    );

    // Every invoice of every job in its organisation exactly once.
    let mut total = 0;
    for org in Org::ALL {
        let (_, _, field) = org.invoices_dump();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let invoices = fleet.invoices(org).await;
        for invoice in &invoices {
            let mark = invoice[field].as_str().unwrap_or_default().to_owned();
            *seen.entry(mark).or_default() += 1;
        }
        let duplicates: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(duplicates.is_empty(), "{org:?}: duplicates {duplicates:?}");
        let want: BTreeSet<String> = conns
            .iter()
            .filter(|c| c.org == org)
            .flat_map(|c| (0..INVOICES).map(move |j| format!("{} {}", c.marker, job_number(j))))
            .collect();
        let have: BTreeSet<String> = seen.into_keys().collect();
        let missing: Vec<_> = want.difference(&have).take(10).collect();
        let extra: Vec<_> = have.difference(&want).take(10).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{org:?}: missing {missing:?}, not ours {extra:?}"
        );
        assert_eq!(invoices.len(), want.len(), "{org:?}");
        total += invoices.len();
    }
    assert_eq!(total, CONNECTIONS * INVOICES);

    // The vendors never throttled, never refused a refresh.
    let log = fleet.sandbox.log();
    let throttled: Vec<String> = log
        .iter()
        .filter(|e| e.status == 429)
        .map(|e| {
            format!(
                "{:?} {} {} {} at {:?}",
                e.profile, e.method, e.path, e.outcome, e.at
            )
        })
        .collect();
    assert!(
        throttled.is_empty(),
        "429 answers from the sandbox: {throttled:#?}"
    );
    let invalid_grant = log.iter().filter(|e| e.outcome == "invalid_grant").count();
    assert_eq!(invalid_grant, 0, "invalid_grant answers from the sandbox");

    // Refreshes: each connection that called after the expiry (its first token was shown
    // and refused as expired) refreshed exactly once, and nobody else refreshed.
    let refreshes: Vec<&str> = log
        .iter()
        .filter(|e| e.grant_type.as_deref() == Some("refresh_token"))
        .map(|e| e.token_hash.as_deref().unwrap_or_default())
        .collect();
    let mut refreshed_by: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &conns {
        let first = fingerprint(c.tokens.refresh_token.as_deref().unwrap());
        let n = refreshes.iter().filter(|h| **h == first).count();
        refreshed_by.insert(&c.name, n);
        let expired_call = fingerprint(&c.tokens.access_token);
        let refused = log
            .iter()
            .any(|e| e.status == 401 && e.token_hash.as_deref() == Some(expired_call.as_str()));
        assert_eq!(
            n,
            usize::from(refused),
            "{}: {n} refreshes; a call with its expired token: {refused}",
            c.name
        );
        // A job that had not started when the tokens expired calls after it.
        let job = jobs[conns.iter().position(|x| x.name == c.name).unwrap()];
        if expired[&job]["status"] == "queued" {
            assert_eq!(n, 1, "{}'s job ran after the expiry", c.name);
        }
    }
    assert_eq!(
        refreshes.len(),
        refreshed_by.values().sum::<usize>(),
        "a refresh presented a token that was not a connection's first: a second refresh"
    );
    let refreshed = refreshed_by.values().filter(|n| **n == 1).count();
    for profile in [Profile::Xero, Profile::QuickBooks] {
        let (calls, peak) = busiest_window(&log[setup_calls..], profile);
        eprintln!("fleet: {profile:?}: {calls} API calls, at most {peak} in one (scaled) minute");
    }
    assert!(refreshed > 0, "no connection called after the expiry");
    eprintln!(
        "fleet: {total} invoices, 0 duplicates, 0 missing; {} vendor calls, 0 throttled; {refreshed} connections refreshed once; {elapsed:?} for the jobs, {:?} in all",
        log.len(),
        started.elapsed()
    );
    drop(workers);
    drop(server);
}
