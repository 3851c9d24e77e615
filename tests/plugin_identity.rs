//! Plugin identity through the real binary: an installed plugin cannot take a built-in's name
//! or its connections' credentials, a connection runs the exact component it was made with
//! until `connections upgrade`, a plugin whose manifest never returns delays nobody, a csv
//! connection needs no vault, and short API keys are refused.
//!
//! The hostile plugins are variants of one fixture (`tests/fixtures/impostor`) whose name,
//! version, origins, auth and behaviour are patched into its bytes here ([`Variant`]).
#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ledgerlink_sandbox::{
    Profile, SandboxConfig, SandboxHandle, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT_NZ_ID,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A variant of the impostor fixture: each field overwrites one slot of its `.wasm`.
pub(crate) struct Variant<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) origin: &'a str,
    pub(crate) extra_host: &'a str,
    pub(crate) auth: &'a str,
    pub(crate) behaviour: &'a str,
}

impl Default for Variant<'_> {
    fn default() -> Self {
        Self {
            name: "impostor",
            version: "0.1.0",
            origin: "http://127.0.0.1:9",
            extra_host: "",
            auth: "none",
            behaviour: "normal",
        }
    }
}

impl Variant<'_> {
    /// Write the variant to `path`.
    pub(crate) fn write(&self, path: &Path) {
        let mut wasm = std::fs::read(support::fixture("impostor")).unwrap();
        for (key, value) in [
            ("name", self.name),
            ("version", self.version),
            ("origin", self.origin),
            ("extra", self.extra_host),
            ("auth", self.auth),
            ("behaviour", self.behaviour),
        ] {
            let marker = format!("@@slot:{key}@@@@");
            let at: Vec<usize> = wasm
                .windows(marker.len())
                .enumerate()
                .filter(|(_, w)| *w == marker.as_bytes())
                .map(|(i, _)| i + marker.len())
                .collect();
            assert_eq!(at.len(), 1, "slot {key} appears {} times", at.len());
            assert!(value.len() <= 64, "{value:?} does not fit its slot");
            let mut padded = value.as_bytes().to_vec();
            padded.resize(64, b' ');
            wasm[at[0]..at[0] + 64].copy_from_slice(&padded);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, wasm).unwrap();
    }
}

/// A local HTTP server standing for a plugin's own origin: it records every request it gets
/// (request line and headers) and answers 200.
struct Listener {
    origin: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    async fn start() -> Self {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://127.0.0.1:{}", socket.local_addr().unwrap().port());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = socket.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    log.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                });
            }
        });
        Self { origin, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// A data folder and the binary run on it.
struct Host {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    env: BTreeMap<&'static str, String>,
}

impl Host {
    /// A data folder with a file vault key.
    fn new() -> Self {
        let mut host = Self::without_vault();
        host.env.insert(
            "LEDGERLINK_VAULT_KEY",
            ledgerlink::auth::vault::generate_key().unwrap(),
        );
        host
    }

    /// A data folder on a machine with no vault at all: the file vault is asked for and no
    /// key is set, so any use of the vault fails.
    fn without_vault() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        Self {
            _tmp: tmp,
            data,
            env: BTreeMap::from([("LEDGERLINK_VAULT", "file".to_owned())]),
        }
    }

    fn plugins(&self) -> PathBuf {
        self.data.join("plugins")
    }

    fn scratch(&self, file: &str) -> PathBuf {
        self.data.parent().unwrap().join(file)
    }

    fn cli(&self) -> Command {
        let mut cmd = support::engine::command(&self.data);
        cmd.env_remove("LEDGERLINK_LOG")
            .env_remove("LEDGERLINK_VAULT_KEY")
            .env_remove("LEDGERLINK_VAULT_KEY_FILE")
            .env_remove("LEDGERLINK_CLIENT_SECRET")
            .env_remove("LEDGERLINK_CLIENT_ID")
            .env_remove("LEDGERLINK_API_KEY")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run; (success, stdout, stderr).
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
        let mut cmd = self.cli();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Run and insist on success; stdout.
    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "ledgerlink {args:?} failed:\n{out}\n{err}");
        out
    }

    fn plugins_list(&self) -> Vec<serde_json::Value> {
        let out = self.ok(&["plugins", "list", "--json"]);
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The browser's part of the sandbox consent: open, approve, follow the loopback redirect.
async fn play_browser(authorize_url: &str) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = browser
        .get(authorize_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        html.split(name)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no {name} in consent page: {html}"))
            .to_owned()
    };
    let request_id = field("name=\"request_id\" value=\"");
    let action = field("action=\"");
    let base = url::Url::parse(authorize_url).unwrap();
    let consent = browser
        .post(base.join(&action).unwrap())
        .form(&[("request_id", request_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 302);
    let callback = consent.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 200);
}

/// `ledgerlink connect <name> --no-browser --tenant <NZ>`, this test playing the browser.
async fn connect(host: &Host, name: &str) {
    let mut child = host
        .cli()
        .args(["connect", name, "--no-browser", "--timeout", "30"])
        .args(["--tenant", XERO_TENANT_NZ_ID])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (url, rest) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            if line.starts_with("http") {
                return (line, lines);
            }
        }
        panic!("no authorization URL printed");
    })
    .await
    .unwrap();
    play_browser(&url).await;
    let out = tokio::task::spawn_blocking(move || {
        let rest: Vec<String> = rest.map(Result::unwrap).collect();
        (child.wait_with_output().unwrap(), rest)
    })
    .await
    .unwrap();
    assert!(
        out.0.status.success(),
        "connect failed: {:?}\n{}",
        out.1,
        String::from_utf8_lossy(&out.0.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installed_xero_or_xero_fork_never_gets_the_xero_connections_token() {
    let host = Host::new();
    let sandbox = SandboxHandle::start(SandboxConfig::default())
        .await
        .unwrap();
    // The impostors' own origin: every request it gets is recorded.
    let thief = Listener::start().await;

    let (ok, out, err) = host.run_with(
        &[
            "connections",
            "add",
            "acme",
            "--connector",
            "xero",
            "--client-id",
            XERO_CLIENT_ID,
            "--sandbox",
            &sandbox.base_url(),
        ],
        &[("LEDGERLINK_CLIENT_SECRET", XERO_CLIENT_SECRET)],
    );
    assert!(ok, "{out}\n{err}");
    connect(&host, "acme").await;
    let checked = host.ok(&["connections", "check", "acme"]);
    assert!(
        checked.starts_with("acme: Connected to Demo Company (NZ)"),
        "{checked}"
    );

    // An impostor named `xero`, on Xero's endpoints, calling its own origin.
    let impostor = host.scratch("xero.wasm");
    Variant {
        name: "xero",
        origin: &thief.origin,
        auth: "oauth2",
        ..Variant::default()
    }
    .write(&impostor);
    let (ok, out, err) = host.run(&["plugins", "install", impostor.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert_eq!(
        err,
        format!(
            "error: {} declares the name \"xero\", which is reserved for ledgerlink's built-in xero connector; an installed plugin may not replace a built-in one (reserved: csv, ordertrac, quickbooks, salesorder, xero). Give the plugin another name in its manifest (e.g. xero-custom) and install it again\n",
            impostor.display()
        )
    );
    // Dropped into plugins/ instead, it is refused at load the same way.
    std::fs::create_dir_all(host.plugins()).unwrap();
    let dropped = host.plugins().join("xero.wasm");
    std::fs::copy(&impostor, &dropped).unwrap();

    // A fork under its own name is a separate connector.
    let fork = host.scratch("xero-fork.wasm");
    Variant {
        name: "xero-fork",
        version: "1.0.0",
        origin: &thief.origin,
        auth: "oauth2",
        ..Variant::default()
    }
    .write(&fork);
    let installed = host.ok(&["plugins", "install", fork.to_str().unwrap()]);
    assert!(
        installed.starts_with("Installed xero-fork 1.0.0 (sha256 "),
        "{installed}"
    );

    // The connection keeps running the built-in Xero connector, refresh included.
    let checked = host.ok(&["connections", "check", "acme"]);
    assert!(
        checked.starts_with("acme: Connected to Demo Company (NZ)"),
        "{checked}"
    );
    sandbox.advance_clock(Duration::from_secs(31 * 60));
    let checked = host.ok(&["connections", "check", "acme"]);
    assert!(
        checked.starts_with("acme: Connected to Demo Company (NZ)"),
        "{checked}"
    );
    assert_eq!(sandbox.refresh_count(Profile::Xero), 1, "refreshed at Xero");
    assert!(
        thief.requests().is_empty(),
        "the impostors' origin was called: {:?}",
        thief.requests()
    );

    let rows = host.plugins_list();
    let row = |name: &str, origin: &str| {
        rows.iter()
            .find(|r| r["name"] == name && r["origin"] == origin)
            .unwrap_or_else(|| panic!("no {origin} {name} in {rows:?}"))
            .clone()
    };
    let builtin = row("xero", "built-in");
    assert_eq!(builtin["status"], "current");
    assert_eq!(builtin["connections"], serde_json::json!(["acme"]));
    assert_eq!(builtin["sha256"].as_str().unwrap().len(), 64);
    let refused = row("xero", "installed");
    assert_eq!(refused["status"], "refused");
    assert_eq!(
        refused["error"],
        format!(
            "{} declares the name \"xero\", which is reserved for ledgerlink's built-in xero connector; an installed plugin may not replace a built-in one (reserved: csv, ordertrac, quickbooks, salesorder, xero). Give the plugin another name in its manifest (e.g. xero-custom) and install it again",
            impostor.display()
        )
    );
    let forked = row("xero-fork", "installed");
    assert_eq!(forked["status"], "current");
    assert_eq!(forked["version"], "1.0.0");
    assert_eq!(forked["connections"], serde_json::json!([]));

    // A connection on the fork is its own connection; the fork never sees acme's tokens.
    let (ok, out, err) = host.run_with(
        &[
            "connections",
            "add",
            "forked",
            "--connector",
            "xero-fork",
            "--client-id",
            XERO_CLIENT_ID,
        ],
        &[("LEDGERLINK_CLIENT_SECRET", XERO_CLIENT_SECRET)],
    );
    assert!(ok, "{out}\n{err}");
    // Not connected, it runs with no token: its request is refused before it leaves.
    let checked = host.ok(&["connections", "check", "forked"]);
    assert!(
        checked.starts_with(&format!(
            "forked: impostor xero-fork 1.0.0 called {}/steal: error",
            thief.origin
        )),
        "{checked}"
    );
    assert!(
        checked.contains("connection forked is not connected: run `ledgerlink connect forked`"),
        "{checked}"
    );
    assert!(thief.requests().is_empty(), "{:?}", thief.requests());
    let shown = host.ok(&["connections", "show", "acme", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["component"]["sha256"], builtin["sha256"]);
    assert_eq!(
        shown["component"]["facts"]["auth"]["token-url"],
        "https://identity.xero.com/connect/token"
    );
}

/// The library refuses a connection's credentials to any component but its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_refused_to_another_component_than_the_pinned_one() {
    let host = Host::new();
    host.ok(&["connections", "add", "books", "--connector", "csv"]);
    let fork = host.scratch("fork.wasm");
    Variant {
        name: "csv-fork",
        ..Variant::default()
    }
    .write(&fork);
    let services = ledgerlink::auth::context::Services {
        data: ledgerlink::store::DataDir::new(&host.data),
        store: support::engine::connections(&host.data),
        vault: Arc::new(ledgerlink::auth::vault::MemoryVault::new()),
        clock: Arc::new(ledgerlink::runtime::SystemClock),
        http_limits: Default::default(),
        refresh: Default::default(),
        pacers: Default::default(),
    };
    let connection = services.store.get("books").unwrap();
    let rt = support::runtime(Duration::from_secs(5), 64);
    let other = rt.load_file(&fork).await.unwrap();
    let err = ledgerlink::auth::context::call_context(&services, &other, &connection)
        .await
        .unwrap_err()
        .to_string();
    let pin = connection.component.unwrap();
    assert_eq!(
        err,
        format!(
            "connection books is pinned to component sha256 {} (csv 0.1.0), but was asked to run csv-fork 0.1.0 (sha256 {}); its credentials are only used with its own component. Run the command again; `ledgerlink connections upgrade books` moves it to another version",
            pin.sha256,
            other.info().sha256
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_keeps_its_version_until_upgraded_and_the_upgrade_shows_the_new_host() {
    let host = Host::without_vault();
    let file = host.plugins().join("acme-books.wasm");
    let v1 = Variant {
        name: "acme-books",
        version: "1.0.0",
        ..Variant::default()
    };
    v1.write(&file);
    host.ok(&["connections", "add", "books", "--connector", "acme-books"]);
    let checked = host.ok(&["connections", "check", "books"]);
    assert!(
        checked.starts_with("books: impostor acme-books 1.0.0 called"),
        "{checked}"
    );

    // v2, with one more allowed host, replaces the file in plugins/.
    Variant {
        version: "2.0.0",
        extra_host: "https://collector.example:443",
        ..v1
    }
    .write(&file);
    let checked = host.ok(&["connections", "check", "books"]);
    assert!(
        checked.starts_with("books: impostor acme-books 1.0.0 called"),
        "{checked}"
    );
    let rows = host.plugins_list();
    let versions: Vec<(String, String, String)> = rows
        .iter()
        .filter(|r| r["name"] == "acme-books")
        .map(|r| {
            (
                r["version"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["connections"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            (
                "1.0.0".to_owned(),
                "pinned".to_owned(),
                "[\"books\"]".to_owned()
            ),
            ("2.0.0".to_owned(), "current".to_owned(), "[]".to_owned()),
        ]
    );

    // Without --yes and without a terminal, nothing changes.
    let (ok, out, err) = host.run(&["connections", "upgrade", "books"]);
    assert!(!ok);
    assert!(
        out.contains("\n  + allowed host https://collector.example:443\n"),
        "{out}"
    );
    assert_eq!(
        err,
        "error: upgrading books needs confirmation and standard input is not a terminal; run it on a terminal, or pass --yes to upgrade without asking. Nothing was changed\n"
    );
    let checked = host.ok(&["connections", "check", "books"]);
    assert!(
        checked.starts_with("books: impostor acme-books 1.0.0 called"),
        "{checked}"
    );

    let out = host.ok(&["connections", "upgrade", "books", "--yes"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("Upgrade books from acme-books 1.0.0 (sha256 "),
        "{out}"
    );
    assert_eq!(
        lines[1..],
        [
            "  + allowed host https://collector.example:443",
            "Upgraded books to acme-books 2.0.0."
        ]
    );
    let checked = host.ok(&["connections", "check", "books"]);
    assert!(
        checked.starts_with("books: impostor acme-books 2.0.0 called"),
        "{checked}"
    );
    let out = host.ok(&["connections", "upgrade", "books"]);
    assert!(
        out.starts_with("books already runs the current acme-books 2.0.0"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_manifest_delays_no_other_connection_and_is_listed_broken() {
    let host = Host::without_vault();
    host.ok(&["connections", "add", "books", "--connector", "csv"]);
    for n in 1..=3 {
        Variant {
            name: &format!("looper-{n}"),
            behaviour: "loop-manifest",
            ..Variant::default()
        }
        .write(&host.plugins().join(format!("looper-{n}.wasm")));
    }
    let started = Instant::now();
    let checked = host.ok(&["connections", "check", "books"]);
    assert!(
        checked.starts_with("books: CSV folder readable"),
        "{checked}"
    );
    // A guard against a hang (a check that waited on the loopers), not a speed target:
    // generous, because a CI machine under load compiles slowly.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "check took {:?}",
        started.elapsed()
    );

    // Listing examines each new file once, under the 2 s manifest limit, and records it.
    let started = Instant::now();
    let rows = host.plugins_list();
    // Each looper is stopped by its 2 s manifest deadline; the bound only catches a hang
    // (the last CI run took 18.7 s here under load, compiling the three components).
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "list took {:?}",
        started.elapsed()
    );
    for n in 1..=3 {
        let file = host.plugins().join(format!("looper-{n}.wasm"));
        let row = rows
            .iter()
            .find(|r| r["name"] == format!("looper-{n}"))
            .unwrap_or_else(|| panic!("looper-{n} not listed: {rows:?}"));
        assert_eq!(row["status"], "broken");
        assert_eq!(
            row["error"],
            format!(
                "{0} could not describe itself: plugin {0} did not finish manifest within 2s and was stopped",
                file.display()
            )
        );
    }
    // Afterwards it is a cached fact: no command waits for those plugins again.
    let started = Instant::now();
    host.plugins_list();
    host.ok(&["connections", "check", "books"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_csv_connection_is_added_used_and_removed_without_any_vault() {
    let host = Host::without_vault();
    host.ok(&["connections", "add", "books", "--connector", "csv"]);
    let checked = host.ok(&["connections", "check", "books"]);
    assert!(
        checked.starts_with("books: CSV folder readable"),
        "{checked}"
    );
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/home-corpus/good/book.json");
    host.ok(&["home", "import", book.to_str().unwrap()]);
    let compared = host.ok(&["compare", "customers", "--connection", "books", "--json"]);
    let plan = serde_json::from_str::<serde_json::Value>(&compared).unwrap()["plan"]
        .as_i64()
        .unwrap()
        .to_string();
    host.ok(&["sync", "--plan", &plan, "--all"]);
    let written = host.data.join("connections/books/files/customers.csv");
    assert!(
        written.is_file(),
        "nothing written to {}",
        written.display()
    );
    host.ok(&["connections", "remove", "books"]);
    // The vault really is unusable here: a connector with credentials says so.
    let (ok, _, err) = host.run_with(
        &[
            "connections",
            "add",
            "acme",
            "--connector",
            "xero",
            "--client-id",
            "id",
        ],
        &[("LEDGERLINK_CLIENT_SECRET", "secret")],
    );
    assert!(!ok);
    assert!(err.contains("no vault key is set"), "{err}");
}

#[test]
fn set_key_refuses_short_keys_and_connectors_without_a_key() {
    let host = Host::new();
    let file = host.scratch("keyed.wasm");
    Variant {
        name: "keyed",
        auth: "api-key",
        ..Variant::default()
    }
    .write(&file);
    host.ok(&["plugins", "install", file.to_str().unwrap()]);
    host.ok(&["connections", "add", "k", "--connector", "keyed"]);
    let (ok, _, err) = host.run_with(
        &["connections", "set-key", "k"],
        &[("LEDGERLINK_API_KEY", "abc1234")],
    );
    assert!(!ok);
    assert_eq!(
        err,
        "error: the API key given for k is 7 characters long; ledgerlink refuses keys shorter than 16 characters (a short key is easy to guess and cannot be reliably redacted when a vendor echoes it back). Nothing was stored; give the full key your vendor issued\n"
    );
    let (ok, out, err) = host.run_with(
        &["connections", "set-key", "k"],
        &[("LEDGERLINK_API_KEY", "k3y-0f-s1xteen-ch")],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "Stored the API key of k in the file vault.\n");

    host.ok(&["connections", "add", "books", "--connector", "csv"]);
    let (ok, _, err) = host.run_with(
        &["connections", "set-key", "books"],
        &[("LEDGERLINK_API_KEY", "k3y-0f-s1xteen-ch")],
    );
    assert!(!ok);
    assert_eq!(
        err,
        "error: connection books (connector csv) does not use an API key (its auth is none); nothing was stored\n"
    );
}

#[test]
fn a_connection_made_before_pinning_is_pinned_on_first_use() {
    let host = Host::without_vault();
    // As an older ledgerlink stored it: a connector name, no component.
    let store = support::engine::connections(&host.data);
    store.add("old", "csv", &BTreeMap::new()).unwrap();
    let listed = host.ok(&["plugins", "list"]);
    assert!(
        listed.contains(
            "Not pinned yet (made before components were recorded; pinned on first use): old."
        ),
        "{listed}"
    );
    let checked = host.ok(&["connections", "check", "old"]);
    assert!(checked.starts_with("old: CSV folder readable"), "{checked}");
    let csv = host
        .plugins_list()
        .into_iter()
        .find(|r| r["name"] == "csv")
        .unwrap();
    assert_eq!(csv["connections"], serde_json::json!(["old"]));
    let pin = store.get("old").unwrap().component.unwrap();
    assert_eq!(csv["sha256"].as_str().unwrap(), pin.sha256);
    // Its bytes are kept by content: a later ledgerlink with another built-in csv still has them.
    assert!(
        host.data
            .join(format!("components/{}.wasm", pin.sha256))
            .is_file()
    );
    let audit = host.ok(&["audit"]);
    assert!(
        audit.contains(&format!(
            "connection old: pinned to component csv 0.1.0 (sha256 {})",
            pin.sha256
        )),
        "{audit}"
    );
}
