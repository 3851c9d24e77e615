//! API latency and throughput of `ledgerlink serve`, measured as a client meets it: the real
//! binary, over loopback HTTP, with a personal API token.
//!
//! ```sh
//! cargo bench -p ledgerlink --bench api
//! ```
//!
//! 1. **Run items**: a 10,000-record run (written into the store as a transfer writes it),
//!    then `GET /api/v1/runs/{id}/items?limit=500` for the first page, a middle page and the
//!    last page, sequentially, 200 times each (p50 / p99), and the time to walk all 20 pages.
//! 2. **Connections under load**: 20 connections, 50 concurrent clients each sending
//!    `GET /api/v1/connections` back to back for 10 seconds: requests/s, p50 / p99.
//!
//! `LEDGERLINK_BENCH_ITEMS` and `LEDGERLINK_BENCH_CLIENTS` change the sizes. The binary is the
//! one cargo built beside this bench (`CARGO_BIN_EXE_ledgerlink`). Figures go into
//! docs/performance.md; this is a bench command, never a timed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ledgerlink::store::DataDir;
use ledgerlink::store::sync_state::{RunItem, SyncState};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ledgerlink(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ledgerlink"));
    c.env("LEDGERLINK_DATA_DIR", data)
        .env("LEDGERLINK_VAULT", "file")
        .env(
            "LEDGERLINK_VAULT_KEY",
            "bench-vault-key-0123456789abcdef0123456789",
        )
        .env_remove("LEDGERLINK_LOG");
    c
}

fn ok(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A data folder with an admin, its API token, `connections` csv connections and a run of
/// `items` records.
fn prepare(data: &Path, connections: usize, items: usize) -> (String, i64) {
    let mut add = ledgerlink(data);
    let mut child = add
        .args(["users", "add", "bench", "--role", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "correct horse battery staple").unwrap();
    assert!(child.wait().unwrap().success());
    let mut c = ledgerlink(data);
    c.args(["tokens", "create", "--user", "bench"]);
    let token = ok(c).trim().to_owned();
    for n in 0..connections {
        let mut c = ledgerlink(data);
        c.args([
            "connections",
            "add",
            &format!("books-{n:02}"),
            "--connector",
            "csv",
        ]);
        ok(c);
    }
    let state = SyncState::open(&DataDir::new(data).database()).unwrap();
    let run = state
        .start_run(None, "books-00", "customers", "push", false)
        .unwrap();
    let rows: Vec<RunItem> = (0..items)
        .map(|i| RunItem {
            home_key: Some(format!("TP-CUST-{i:06}")),
            remote_id: Some(format!("C-{i:06}")),
            name: format!("Customer {i:06} Limited"),
            outcome: if i % 10 == 0 { "updated" } else { "created" }.to_owned(),
            reason: if i % 10 == 0 {
                "changed since the last sync".to_owned()
            } else {
                String::new()
            },
        })
        .collect();
    state.record_items(run, &rows).unwrap();
    state.finish_run(run).unwrap();
    (token, run)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(data: &Path, client: &reqwest::Client) -> (Server, String) {
    let port = free_port();
    let mut c = ledgerlink(data);
    c.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = Server(c.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/api/v1/health")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, base)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> serde_json::Value {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

async fn run_items(client: &reqwest::Client, base: &str, token: &str, run: i64, items: usize) {
    // The cursors of the first, a middle and the last page, from one walk.
    let mut cursors: Vec<Option<String>> = vec![None];
    let started = Instant::now();
    let mut seen = 0usize;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/runs/{run}/items?limit=500");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = get(client, &url, token).await;
        seen += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => {
                cursor = Some(c.to_owned());
                cursors.push(cursor.clone());
            }
            None => break,
        }
    }
    let walk = started.elapsed();
    assert_eq!(seen, items);
    let pages = cursors.len();
    println!(
        "run items: {items} records, {pages} pages of 500; whole walk {}",
        ms(walk)
    );
    for (label, cursor) in [
        ("first page", cursors[0].clone()),
        ("middle page", cursors[pages / 2].clone()),
        ("last page", cursors[pages - 1].clone()),
    ] {
        let mut url = format!("{base}/api/v1/runs/{run}/items?limit=500");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let mut times = Vec::with_capacity(200);
        for _ in 0..200 {
            let t = Instant::now();
            let page = get(client, &url, token).await;
            times.push(t.elapsed());
            assert!(!page["items"].as_array().unwrap().is_empty());
        }
        times.sort();
        println!(
            "  GET /api/v1/runs/{{id}}/items?limit=500, {label}: p50 {}, p99 {} (200 requests)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99))
        );
    }
}

async fn connections_under_load(base: &str, token: &str, clients: usize) {
    let window = Duration::from_secs(10);
    let url = format!("{base}/api/v1/connections");
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let url = url.clone();
            let token = token.to_owned();
            tokio::spawn(async move {
                // One connection per client, as 50 separate clients would have.
                let client = reqwest::Client::new();
                let mut times = Vec::new();
                while started.elapsed() < window {
                    let t = Instant::now();
                    let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                    let _ = r.bytes().await.unwrap();
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    times.sort();
    println!(
        "GET /api/v1/connections (20 connections), {clients} concurrent clients for {:.1} s: {} requests, {:.0} requests/s, p50 {}, p99 {}",
        elapsed.as_secs_f64(),
        times.len(),
        times.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
}

fn main() {
    let items = env_usize("LEDGERLINK_BENCH_ITEMS", 10_000);
    let clients = env_usize("LEDGERLINK_BENCH_CLIENTS", 50);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (token, run) = prepare(&data, 20, items);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let (_server, base) = start(&data, &client).await;
        run_items(&client, &base, &token, run, items).await;
        connections_under_load(&base, &token, clients).await;
    });
}
