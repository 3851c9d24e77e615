//! Connections and credentials against the sandbox's OAuth servers: the connect flow played
//! headless, transparent refresh, single-flight across OS processes, lost refresh
//! responses, and secrets that never reach a log, a plain file or a plugin.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ledgerlink::auth::connect::{self, ConnectRequest, ConnectUi, Tenant};
use ledgerlink::auth::context::{self, Services};
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::tokens;
use ledgerlink::auth::vault::{self, Secret, Vault, VaultPreference};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::{Plugin, SystemClock};
use ledgerlink::store::DataDir;
use ledgerlink::store::connections::Health;
use ledgerlink_sandbox::{
    Profile, SandboxConfig, SandboxHandle, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
};

const VAULT_KEY: &str = "LEDGERLINK_VAULT_KEY";

/// A data folder with the oauth-probe connector installed, a vault key, and a sandbox.
struct World {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    key: String,
    sandbox: SandboxHandle,
    /// `LEDGERLINK_VAULT`: file, or database.
    vault: &'static str,
}

impl World {
    async fn new() -> Self {
        Self::with_vault("file").await
    }

    async fn with_vault(vault: &'static str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(data.join("plugins")).unwrap();
        std::fs::copy(
            support::fixture("oauth-probe"),
            data.join("plugins/oauth-probe.wasm"),
        )
        .unwrap();
        let key = vault::generate_key().unwrap();
        let sandbox = SandboxHandle::start(SandboxConfig::default())
            .await
            .unwrap();
        Self {
            _tmp: tmp,
            data,
            key,
            sandbox,
            vault,
        }
    }

    /// The real origins the fixture uses, routed to the sandbox.
    fn routes(&self) -> BTreeMap<String, String> {
        let base = self.sandbox.base_url();
        BTreeMap::from([
            (
                "https://login.xero.com:443".to_owned(),
                format!("{base}/xero"),
            ),
            (
                "https://identity.xero.com:443".to_owned(),
                format!("{base}/xero/identity"),
            ),
            (
                "https://api.xero.com:443".to_owned(),
                format!("{base}/xero"),
            ),
        ])
    }

    fn cli(&self) -> Command {
        let mut cmd = support::engine::command(&self.data);
        cmd.env(VAULT_KEY, &self.key)
            .env("LEDGERLINK_VAULT", self.vault)
            .env_remove("LEDGERLINK_LOG")
            .env_remove("LEDGERLINK_CLIENT_SECRET")
            .env_remove("LEDGERLINK_CLIENT_ID");
        cmd
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cli().args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `connections add` routed to the sandbox: with `--sandbox` (routes read from the
    /// sandbox itself), or with explicit `--route`s.
    fn add_connection(&self) {
        self.add_connection_with(true);
    }

    fn add_connection_with(&self, via_sandbox_flag: bool) {
        let mut cmd = self.cli();
        cmd.args([
            "connections",
            "add",
            "demo",
            "--connector",
            "oauth-probe",
            "--client-id",
            XERO_CLIENT_ID,
        ])
        .env("LEDGERLINK_CLIENT_SECRET", XERO_CLIENT_SECRET);
        if via_sandbox_flag {
            cmd.arg("--sandbox").arg(self.sandbox.base_url());
        } else {
            for (origin, target) in self.routes() {
                cmd.arg("--route").arg(format!("{origin}={target}"));
            }
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains("Next: `ledgerlink connect demo` to authorize access.")
        );
    }

    /// `ledgerlink connect demo --no-browser`, with this test playing the browser.
    async fn connect_with_cli(&self, extra: &[&str]) -> (bool, String, String) {
        let mut child = self
            .cli()
            .args(["connect", "demo", "--no-browser", "--timeout", "30"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let url = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let mut seen = Vec::new();
            for line in lines.by_ref() {
                let line = line.unwrap();
                if line.starts_with("http") {
                    return (line, seen, lines);
                }
                seen.push(line);
            }
            panic!("no authorization URL printed: {seen:?}");
        })
        .await
        .unwrap();
        let (authorize_url, mut seen, rest) = url;
        play_browser(&authorize_url).await;
        let status = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        for line in rest {
            seen.push(line.unwrap());
        }
        (
            status.status.success(),
            seen.join("\n"),
            String::from_utf8_lossy(&status.stderr).into_owned(),
        )
    }

    fn services(&self, policy: RefreshPolicy) -> Services {
        let data = DataDir::new(&self.data);
        let key = self.key.clone();
        let store = support::engine::connections(&self.data);
        let vault = vault::open_with_env(
            &self.data,
            &store.db(),
            VaultPreference::File,
            &move |name| (name == VAULT_KEY).then(|| key.clone()),
        )
        .unwrap();
        Services {
            store,
            data,
            vault,
            clock: Arc::new(SystemClock),
            http_limits: HttpLimits::default(),
            refresh: policy,
            pacers: Default::default(),
        }
    }

    fn vault(&self) -> Arc<dyn Vault> {
        self.services(RefreshPolicy::default()).vault
    }
}

/// The browser's part: open the consent page, approve, follow the redirect to the loopback.
async fn play_browser(authorize_url: &str) {
    let callback = approve(authorize_url).await;
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    let landed = reqwest::get(&callback).await.unwrap();
    assert_eq!(landed.status(), 200);
}

/// Open the sandbox's consent page at `authorize_url` and approve: the URL the vendor
/// redirects the browser to (not followed).
pub(crate) async fn approve(authorize_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let request_id = html
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no request_id in consent page: {html}"))
        .to_owned();
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let base = url::Url::parse(authorize_url).unwrap();
    let consent = browser
        .post(base.join(&action).unwrap())
        .form(&[("request_id", request_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 302);
    consent.headers()["location"].to_str().unwrap().to_owned()
}

/// Plays the browser for the library's connect flow.
struct HeadlessBrowser {
    played: Option<tokio::task::JoinHandle<()>>,
}

impl ConnectUi for HeadlessBrowser {
    fn authorize(&mut self, url: &url::Url) {
        let url = url.to_string();
        self.played = Some(tokio::spawn(async move { play_browser(&url).await }));
    }
    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        tenants
            .iter()
            .position(|t| t.name == "Demo Company (NZ)")
            .ok_or_else(|| "no NZ tenant".to_owned())
    }
}

async fn load_probe(data: &Path) -> Plugin {
    let rt = support::runtime(Duration::from_secs(30), 256);
    rt.load_file(&data.join("plugins/oauth-probe.wasm"))
        .await
        .unwrap()
}

async fn check(
    world: &World,
    services: &Services,
    settings: &[(&str, &str)],
) -> Result<String, String> {
    let plugin = load_probe(&world.data).await;
    let mut connection = services.store.get("demo").unwrap();
    for (k, v) in settings {
        connection.settings.insert((*k).to_owned(), (*v).to_owned());
    }
    let ctx = context::call_context(services, &plugin, &connection)
        .await
        .map_err(|e| e.to_string())?;
    match plugin.check(&ctx).await.unwrap() {
        Ok(r) => Ok(r.message),
        Err(e) => Err(format!("{}: {}", e.class(), e.message())),
    }
}

fn refreshes(sandbox: &SandboxHandle, outcome: &str) -> usize {
    sandbox
        .log()
        .iter()
        .filter(|e| e.grant_type.as_deref() == Some("refresh_token") && e.outcome == outcome)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_headless_then_refresh_transparently_after_expiry() {
    let world = World::new().await;
    world.add_connection();
    let (ok, stdout, stderr) = world
        .connect_with_cli(&["--tenant", "Demo Company (NZ)"])
        .await;
    assert!(ok, "connect failed: {stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "Connected demo to Demo Company (NZ) ({XERO_TENANT_NZ_ID})."
        )),
        "{stdout}"
    );

    let (ok, stdout, stderr) = world.run(&["connections", "check", "demo"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "demo: Connected to Demo Company (NZ)\n");
    assert_eq!(world.sandbox.refresh_count(Profile::Xero), 0);

    // Past the 30-minute access token: the next call refreshes, invisibly to the plugin.
    world.sandbox.advance_clock(Duration::from_secs(31 * 60));
    let (ok, stdout, stderr) = world.run(&["connections", "check", "demo"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "demo: Connected to Demo Company (NZ)\n");
    assert_eq!(world.sandbox.refresh_count(Profile::Xero), 1);

    let (ok, json, _) = world.run(&["connections", "list", "--json"]);
    assert!(ok);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["name"], "demo");
    assert_eq!(rows[0]["health"], "connected");
    assert_eq!(rows[0]["last-refresh-outcome"], "ok");
    assert!(rows[0]["access-expires-at"].as_i64().unwrap() > 0);
    assert_eq!(rows[0]["settings"]["tenant-id"], XERO_TENANT_NZ_ID);
    assert!(rows[0]["settings"].get("client-secret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tenants_without_a_choice_is_a_clear_error() {
    let world = World::new().await;
    world.add_connection_with(false);
    let (ok, _stdout, stderr) = world.connect_with_cli(&[]).await;
    assert!(!ok);
    assert!(
        stderr.starts_with("error: this authorization covers several organisations; pass --tenant with the id or name of one: Demo Company (NZ) ("),
        "{stderr}"
    );
}

/// 8 OS processes hammer one connection through expiry cycles: never an invalid_grant, and
/// exactly one refresh per expiry. `cycles` and `repeat` scale it.
async fn hammer(cycles: usize, repeat: u32) {
    let world = World::new().await;
    world.add_connection();
    let (ok, out, err) = world
        .connect_with_cli(&["--tenant", XERO_TENANT_NZ_ID])
        .await;
    assert!(ok, "{out}\n{err}");
    let repeat = repeat.to_string();
    for cycle in 1..=cycles {
        world.sandbox.advance_clock(Duration::from_secs(31 * 60));
        let children: Vec<_> = (0..8)
            .map(|_| {
                world
                    .cli()
                    .args(["connections", "check", "demo", "--repeat", &repeat])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = tokio::task::spawn_blocking(move || child.wait_with_output())
                .await
                .unwrap()
                .unwrap();
            assert!(
                out.status.success(),
                "cycle {cycle}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(
            world.sandbox.refresh_count(Profile::Xero),
            cycle,
            "exactly one refresh per expiry"
        );
    }
    assert_eq!(refreshes(&world.sandbox, "invalid_grant"), 0);
    assert!(
        world
            .sandbox
            .log()
            .iter()
            .all(|e| e.outcome != "invalid_grant")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_refresh_once_per_expiry() {
    hammer(3, 2).await;
}

/// The long version: `cargo test -p ledgerlink --test e2e auth:: -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "stress test (20 expiry cycles, ~15 s); run with --ignored"]
async fn eight_processes_refresh_once_per_expiry_stress() {
    hammer(20, 10).await;
}

async fn connected_in_process(world: &World, policy: RefreshPolicy) -> Services {
    let services = world.services(policy);
    let mut routes = world.routes();
    routes.retain(|_, _| true);
    let connection = services
        .store
        .add("demo", "oauth-probe", &BTreeMap::new())
        .unwrap();
    services.store.set_routes("demo", &routes).unwrap();
    let connection = services.store.get(&connection.name).unwrap();
    let plugin = load_probe(&world.data).await;
    let mut ui = HeadlessBrowser { played: None };
    let connected = connect::connect(
        ConnectRequest {
            services: &services,
            plugin: &plugin,
            connection: &connection,
            client_id: XERO_CLIENT_ID.to_owned(),
            client_secret: Secret::new(XERO_CLIENT_SECRET),
            tenant: None,
            timeout: Duration::from_secs(30),
        },
        &mut ui,
    )
    .await
    .unwrap();
    ui.played.take().unwrap().await.unwrap();
    assert_eq!(connected.tenant.unwrap().id, XERO_TENANT_NZ_ID);
    services
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_refresh_response_is_recovered_within_the_grace_period() {
    let world = World::new().await;
    let services = connected_in_process(&world, RefreshPolicy::default()).await;
    world.sandbox.drop_next_refresh(Profile::Xero);
    world.sandbox.advance_clock(Duration::from_secs(31 * 60));
    assert_eq!(
        check(&world, &services, &[]).await,
        Ok("Connected to Demo Company (NZ)".to_owned())
    );
    assert_eq!(refreshes(&world.sandbox, "dropped"), 1);
    assert_eq!(
        refreshes(&world.sandbox, "ok"),
        1,
        "the retry with the same refresh token succeeded"
    );
    let c = services.store.get("demo").unwrap();
    assert_eq!(c.health(std::time::SystemTime::now()), Health::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_grace_period_a_lost_response_means_needs_reconnect_with_the_command() {
    let world = World::new().await;
    let policy = RefreshPolicy {
        lost_response_retries: 0,
        ..RefreshPolicy::default()
    };
    let services = connected_in_process(&world, policy).await;
    world.sandbox.drop_next_refresh(Profile::Xero);
    world.sandbox.advance_clock(Duration::from_secs(31 * 60));
    let first = check(&world, &services, &[])
        .await
        .expect_err("the answer was lost");
    assert!(first.starts_with("auth: connection demo could not renew its credentials: no usable answer from the token endpoint"), "{first}");
    assert_eq!(
        services
            .store
            .get("demo")
            .unwrap()
            .health(std::time::SystemTime::now()),
        Health::Error
    );

    // The rotated-away refresh token is now past Xero's 30-minute grace.
    world.sandbox.advance_clock(Duration::from_secs(31 * 60));
    let expected = "connection demo needs reconnecting: Xero (probe) refused its refresh token (invalid_grant). Run `ledgerlink connect demo` and approve access in Xero (probe) again.";
    assert_eq!(
        check(&world, &services, &[]).await,
        Err(format!("auth: {expected}"))
    );
    let c = services.store.get("demo").unwrap();
    assert_eq!(
        c.health(std::time::SystemTime::now()),
        Health::NeedsReconnect
    );
    assert_eq!(c.status_message.as_deref(), Some(expected));
    assert_eq!(c.last_refresh_outcome.as_deref(), Some("invalid_grant"));

    // Never a retry loop: later calls fail fast without asking the vendor again.
    let before = world.sandbox.log().len();
    assert_eq!(
        check(&world, &services, &[]).await,
        Err(format!("auth: {expected}"))
    );
    assert_eq!(world.sandbox.log().len(), before);
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            all_files(&p, out)
        } else {
            out.push(p)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_no_log_no_plain_file_and_no_plugin() {
    let world = World::new().await;
    world.add_connection();
    let mut transcript = String::new();
    let (ok, out, err) = world
        .connect_with_cli(&["--tenant", "Demo Company (NZ)", "-vv"])
        .await;
    assert!(ok, "{out}\n{err}");
    transcript.push_str(&out);
    transcript.push_str(&err);
    world.sandbox.advance_clock(Duration::from_secs(31 * 60));
    for args in [
        &["-vv", "connections", "check", "demo"][..],
        &["-vv", "connections", "list"],
        &["-vv", "connections", "show", "demo", "--json"],
        &["doctor"],
    ] {
        let out = world
            .cli()
            .args(args)
            .env("LEDGERLINK_LOG", "trace")
            .output()
            .unwrap();
        transcript.push_str(&String::from_utf8_lossy(&out.stdout));
        transcript.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        transcript.contains("tokens refreshed"),
        "the trace covers the refresh:\n{transcript}"
    );

    let tokens = tokens::load(world.vault().as_ref(), "demo")
        .unwrap()
        .unwrap();
    let secrets = [
        tokens.access_token.clone(),
        tokens.refresh_token.clone().unwrap(),
        XERO_CLIENT_SECRET.to_owned(),
        world.key.clone(),
    ];

    // The plugin tries every import.
    let services = world.services(RefreshPolicy::default());
    let seen = check(&world, &services, &[("behaviour", "exfiltrate")])
        .await
        .unwrap();
    assert!(seen.contains("status 200"), "{seen}");
    assert!(
        seen.contains("forged: Err(ConnectorError::Unsupported"),
        "{seen}"
    );
    assert!(
        seen.contains("may not set the authorization header"),
        "{seen}"
    );

    let mut files = Vec::new();
    all_files(&world.data, &mut files);
    for secret in &secrets {
        assert!(
            !transcript.contains(secret.as_str()),
            "a secret reached the logs"
        );
        assert!(
            !seen.contains(secret.as_str()),
            "a secret reached the plugin"
        );
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a secret is in plain text in {}",
                f.display()
            );
        }
    }
}

/// A clock running ahead of the wall clock, so tokens look about to expire.
struct Ahead(Duration);

impl ledgerlink::runtime::Clock for Ahead {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now() + self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_about_to_expire_are_refreshed_before_the_request() {
    let world = World::new().await;
    let mut services = connected_in_process(&world, RefreshPolicy::default()).await;
    // 29.5 minutes later the 30-minute token is within the 60 s skew: refresh first.
    services.clock = Arc::new(Ahead(Duration::from_secs(29 * 60 + 30)));
    assert_eq!(
        check(&world, &services, &[]).await,
        Ok("Connected to Demo Company (NZ)".to_owned())
    );
    assert_eq!(world.sandbox.refresh_count(Profile::Xero), 1);
    let log = world.sandbox.log();
    let refresh = log
        .iter()
        .position(|e| e.grant_type.as_deref() == Some("refresh_token"))
        .unwrap();
    let api = log
        .iter()
        .rposition(|e| e.path.ends_with("/Organisation"))
        .unwrap();
    assert!(refresh < api, "refreshed before the API call");
    assert!(
        log.iter().all(|e| e.status != 401),
        "no request was refused on the way"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_command_serves_and_prints_its_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = support::engine::command(tmp.path())
        .args(["sandbox", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(i) = line.find("--sandbox ") {
                return line[i + "--sandbox ".len()..]
                    .split('`')
                    .next()
                    .unwrap()
                    .to_owned();
            }
        }
        panic!("no sandbox URL printed");
    })
    .await
    .unwrap();
    let routes: BTreeMap<String, String> = reqwest::get(format!("{base}/_sandbox/routes"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        routes["https://identity.xero.com:443"],
        format!("{base}/xero/identity")
    );
    child.kill().unwrap();
    let _ = child.wait();
}

/// `ledgerlink vault rotate-key`, on the file vault and on the vault in the database: every
/// entry re-sealed under the new key, the connection keeps working (a refresh included)
/// with the new key, and the old key is refused without changing anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_key_rotates_and_the_old_key_is_refused() {
    for kind in ["file", "database"] {
        let world = World::with_vault(kind).await;
        world.add_connection();
        let (ok, stdout, stderr) = world
            .connect_with_cli(&["--tenant", "Demo Company (NZ)"])
            .await;
        assert!(ok, "{kind}: connect failed: {stdout}\n{stderr}");
        if kind == "database" {
            assert!(
                !world.data.join("vault/secrets.json").exists(),
                "the database vault wrote a vault file"
            );
        }

        // No new key: refused, nothing changed.
        let (ok, _, stderr) = world.run(&["vault", "rotate-key"]);
        assert!(!ok);
        assert!(
            stderr.contains("no new vault key: pass --new-key-file PATH (a 0600 file holding the output of `ledgerlink vault init-key`) or set LEDGERLINK_NEW_VAULT_KEY; nothing was changed"),
            "{kind}: {stderr}"
        );
        // The same key: refused.
        let out = world
            .cli()
            .args(["vault", "rotate-key"])
            .env("LEDGERLINK_NEW_VAULT_KEY", &world.key)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("the new vault key is the key already in use"),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let new_key = vault::generate_key().unwrap();
        let out = world
            .cli()
            .args(["vault", "rotate-key"])
            .env("LEDGERLINK_NEW_VAULT_KEY", &new_key)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The client secret and the token set.
        assert!(
            stdout.starts_with(&format!("re-encrypted 2 entries ({kind} vault at ")),
            "{kind}: {stdout}"
        );
        assert!(!stdout.contains(&new_key) && !stdout.contains(&world.key));

        // The old key opens nothing now, and changes nothing.
        let (ok, _, stderr) = world.run(&["connections", "check", "demo"]);
        assert!(!ok, "{kind}: the old key still opened the vault");
        assert!(
            stderr.contains("the vault key does not decrypt"),
            "{kind}: {stderr}"
        );

        // The new key: connected, and a refresh after expiry persists under it.
        let with_new = |args: &[&str]| {
            let out = world
                .cli()
                .env(VAULT_KEY, &new_key)
                .args(args)
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (ok, stdout, stderr) = with_new(&["connections", "check", "demo"]);
        assert!(ok, "{kind}: {stderr}");
        assert_eq!(stdout, "demo: Connected to Demo Company (NZ)\n");
        world.sandbox.advance_clock(Duration::from_secs(31 * 60));
        let (ok, _, stderr) = with_new(&["connections", "check", "demo"]);
        assert!(ok, "{kind}: {stderr}");
        assert_eq!(world.sandbox.refresh_count(Profile::Xero), 1);
        let (ok, _, stderr) = with_new(&["connections", "check", "demo"]);
        assert!(ok, "{kind}: {stderr}");
        assert_eq!(world.sandbox.refresh_count(Profile::Xero), 1);
    }
}
