//! The sandbox, proven against real guest code: the `probe` fixture (tests/fixtures/probe)
//! misbehaves on request and the host must contain it.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ledgerlink::files::ConnectionFolder;
use ledgerlink::model::ConnectorError;
use ledgerlink::net::{Pacer, RateLimit, Routes};
use ledgerlink::runtime::{
    CacheOutcome, CallContext, CallError, Limits, LoadError, Runtime, RuntimeConfig,
};
use support::{context, fixture, load_fixture, runtime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn connector_error_message(e: &ConnectorError) -> &str {
    e.message()
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_deadline_and_the_next_call_works() {
    let rt = runtime(Duration::from_secs(1), 256);
    let probe = load_fixture(&rt, "probe").await;

    let started = Instant::now();
    let err = probe
        .check(&context(&probe, &[("behaviour", "spin")], None))
        .await
        .expect_err("a spinning call must not return");
    let took = started.elapsed();

    assert!(matches!(err, CallError::Deadline { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "plugin probe did not finish check within 1s and was stopped"
    );
    assert!(took >= Duration::from_secs(1), "stopped early: {took:?}");
    assert!(
        took < Duration::from_secs(2),
        "stopped later than deadline + 1 s: {took:?}"
    );

    let report = probe
        .check(&context(&probe, &[("behaviour", "ok")], None))
        .await
        .expect("the next call runs in a fresh instance")
        .expect("and succeeds");
    assert_eq!(report.message, "probe ok (ok)");
}

#[tokio::test]
async fn allocating_past_the_memory_cap_is_a_clean_error() {
    let rt = runtime(Duration::from_secs(30), 64);
    let probe = load_fixture(&rt, "probe").await;

    let err = probe
        .check(&context(&probe, &[("behaviour", "hog")], None))
        .await
        .expect_err("a hog must be stopped");
    assert!(
        matches!(err, CallError::Memory { limit, .. } if limit == 64 * 1024 * 1024),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "plugin probe exceeded its memory limit of 64 MiB in check and was stopped"
    );

    let report = probe
        .check(&context(&probe, &[("behaviour", "ok")], None))
        .await
        .expect("the next call works")
        .expect("and succeeds");
    assert_eq!(report.message, "probe ok (ok)");
}

#[tokio::test]
async fn a_panic_message_reaches_the_error_as_the_plugins_words() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;

    let err = probe
        .check(&context(&probe, &[("behaviour", "panic")], None))
        .await
        .expect_err("a panic is a failed call");
    let CallError::Crashed { reason, stderr, .. } = &err else {
        panic!("expected Crashed, got {err:?}");
    };
    // The host's reason is what the host knows; the panic text is the plugin's.
    assert_eq!(reason, "wasm trap: unreachable");
    assert!(
        stderr.contains("ledger on fire: 3 invoices lost"),
        "{stderr}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "plugin \"probe\" crashed in check (wasm trap: unreachable). The plugin printed: \"panicked at tests/fixtures/probe/src/lib.rs:"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(": ledger on fire: 3 invoices lost\""),
        "{text}"
    );
}

/// Case 16: text a plugin prints, dressed as a host message, is shown as the plugin's:
/// quoted, labelled, its escape sequence and direction override defused.
#[tokio::test]
async fn text_a_plugin_prints_is_never_passed_off_as_the_hosts() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let err = probe
        .check(&context(&probe, &[("behaviour", "fake-panic")], None))
        .await
        .expect_err("it traps");
    assert_eq!(
        err.to_string(),
        "plugin \"probe\" crashed in check (wasm trap: unreachable). The plugin printed: \"panicked at src/vendor.rs:1:1: your session expired \\u{1b}[31mcall +1-555-0100 to verify your account\\u{202e}\""
    );
    assert!(!err.to_string().contains('\u{1b}'));
}

/// More stderr than the host keeps: the plugin is not crashed by its own output, the host
/// keeps the last 64 KiB (where the panic is) and the message shows the panic.
#[tokio::test]
async fn stderr_is_capped_per_call_and_keeps_the_panic() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let err = probe
        .check(&context(
            &probe,
            &[("behaviour", "stderr-flood"), ("lines", "20000")],
            None,
        ))
        .await
        .expect_err("it panics");
    assert!(
        err.stderr().len() <= 64 * 1024,
        "{} bytes kept",
        err.stderr().len()
    );
    let text = err.to_string();
    assert!(
        text.starts_with("plugin \"probe\" crashed in check (wasm trap: unreachable). The plugin printed: \"panicked at tests/fixtures/probe/src/lib.rs:"),
        "{text}"
    );
    assert!(
        text.ends_with(": done flooding after 20000 lines\""),
        "{text}"
    );
}

/// A listener that counts the connections and bytes it receives, for a while.
fn counting_listener() -> (u16, Arc<AtomicUsize>, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let handle = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    // Count the connection itself as a byte so even an empty one fails the test.
                    counter.fetch_add(1, Ordering::SeqCst);
                    stream
                        .set_read_timeout(Some(Duration::from_millis(200)))
                        .unwrap();
                    let mut buf = [0u8; 4096];
                    if let Ok(n) = stream.read(&mut buf) {
                        counter.fetch_add(n, Ordering::SeqCst);
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (port, received, handle)
}

#[tokio::test]
async fn http_to_a_host_outside_the_manifest_is_refused_before_anything_is_sent() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let (port, received, listener) = counting_listener();

    let url = format!("http://127.0.0.1:{port}/api.xro/2.0/Contacts");
    let result = probe
        .check(&context(
            &probe,
            &[("behaviour", "http"), ("url", &url)],
            None,
        ))
        .await
        .expect("the call itself completes");
    let err = result.expect_err("the request must be refused");
    assert_eq!(
        connector_error_message(&err),
        format!(
            "the host refused the request to {url}: plugin probe may not connect to http://127.0.0.1:{port}: it is not in the plugin's allowed hosts (https://allowed.example:443); nothing was sent"
        )
    );

    listener.join().unwrap();
    assert_eq!(
        received.load(Ordering::SeqCst),
        0,
        "the listener must receive no connection and no byte"
    );
}

#[tokio::test]
async fn files_outside_the_connection_folder_are_refused() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "outside").unwrap();
    let conn = tmp.path().join("conn");

    let cases = [
        (
            "files-read",
            "../secret.txt",
            "'..' is not allowed; paths stay inside the connection folder",
        ),
        (
            "files-write",
            "../planted.txt",
            "'..' is not allowed; paths stay inside the connection folder",
        ),
        (
            "files-read",
            "/etc/passwd",
            "absolute paths are not allowed; paths are relative to the connection folder",
        ),
    ];
    let cases = cases.into_iter().chain([
        (
            "files-read-range",
            "../secret.txt",
            "'..' is not allowed; paths stay inside the connection folder",
        ),
        (
            "files-compose",
            "../secret.txt",
            "'..' is not allowed; paths stay inside the connection folder",
        ),
        (
            "files-read-range",
            "/etc/passwd",
            "absolute paths are not allowed; paths are relative to the connection folder",
        ),
    ]);
    for (behaviour, path, reason) in cases {
        let folder = ConnectionFolder::open(&conn).unwrap();
        let err = probe
            .check(&context(
                &probe,
                &[("behaviour", behaviour), ("path", path)],
                Some(folder),
            ))
            .await
            .expect("the call completes")
            .expect_err(path);
        assert_eq!(
            connector_error_message(&err),
            format!("denied: path {path:?} is refused: {reason}"),
            "{behaviour} {path}"
        );
    }
    assert!(
        !tmp.path().join("planted.txt").exists(),
        "nothing was written outside the folder"
    );

    // Inside the folder, the same plugin reads and writes normally.
    let folder = ConnectionFolder::open(&conn).unwrap();
    let report = probe
        .check(&context(
            &probe,
            &[("behaviour", "files-write"), ("path", "out/ok.txt")],
            Some(folder),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.message, "written");
    assert_eq!(std::fs::read(conn.join("out/ok.txt")).unwrap(), b"planted");

    // Parts of it, and a file composed from a span of it; a span past its end, or a range
    // read asking for more than 16 MiB, is refused without reading or writing anything.
    let run = |settings: Vec<(&'static str, &'static str)>| {
        let folder = ConnectionFolder::open(&conn).unwrap();
        let probe = &probe;
        async move {
            probe
                .check(&context(probe, &settings, Some(folder)))
                .await
                .expect("the call completes")
        }
    };
    let part = |offset, length| {
        vec![
            ("behaviour", "files-read-range"),
            ("path", "out/ok.txt"),
            ("offset", offset),
            ("length", length),
        ]
    };
    assert_eq!(run(part("2", "3")).await.unwrap().message, "ant");
    let err = run(part("0", "4294967295")).await.expect_err("too long");
    assert_eq!(
        connector_error_message(&err),
        "denied: path \"out/ok.txt\" is refused: a range read asks for 16 MiB at most; read 16 MiB at a time"
    );
    let compose = |length| {
        vec![
            ("behaviour", "files-compose"),
            ("path", "out/ok.txt"),
            ("offset", "1"),
            ("length", length),
        ]
    };
    assert_eq!(run(compose("4")).await.unwrap().message, "composed");
    assert_eq!(
        std::fs::read(conn.join("out/ok.txt")).unwrap(),
        b"lant+appended"
    );
    let err = run(compose("99")).await.expect_err("past the end");
    assert_eq!(
        connector_error_message(&err),
        "denied: path \"out/ok.txt\" is refused: the span of 99 bytes from byte 1 goes past the file's end (13 bytes); nothing was written. Read its size again and compose from that"
    );
    assert_eq!(
        std::fs::read(conn.join("out/ok.txt")).unwrap(),
        b"lant+appended"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_leaving_the_connection_folder_is_refused() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "outside").unwrap();
    let conn = tmp.path().join("conn");
    let folder = ConnectionFolder::open(&conn).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), conn.join("link.txt")).unwrap();

    let err = probe
        .check(&context(
            &probe,
            &[("behaviour", "files-read"), ("path", "link.txt")],
            Some(folder),
        ))
        .await
        .unwrap()
        .expect_err("symlink escape");
    assert_eq!(
        connector_error_message(&err),
        "denied: path \"link.txt\" is refused: it leads outside the connection folder (through a symlink)"
    );
}

#[tokio::test]
async fn a_plugin_built_for_another_contract_major_version_is_refused_at_load() {
    let rt = runtime(Duration::from_secs(30), 256);
    let path = fixture("future-contract");
    let err = rt.load_file(&path).await.expect_err("must be refused");
    assert!(matches!(err, LoadError::Incompatible { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} cannot be loaded: it was built for contract ledgerlink:connector@1.0.0, and this ledgerlink loads ledgerlink:connector@0.2.0 and the versions it stays compatible with (0.2.x, 0.1.x); rebuild the plugin against ledgerlink-sdk 0.2",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_plugin_built_for_a_newer_minor_before_1_0_is_refused_naming_both_versions() {
    let rt = runtime(Duration::from_secs(30), 256);
    let path = fixture("next-minor");
    let err = rt.load_file(&path).await.expect_err("must be refused");
    assert_eq!(
        err.to_string(),
        format!(
            "{} cannot be loaded: it was built for contract ledgerlink:connector@0.3.0, and this ledgerlink loads ledgerlink:connector@0.2.0 and the versions it stays compatible with (0.2.x, 0.1.x); rebuild the plugin against ledgerlink-sdk 0.2",
            path.display()
        )
    );
}

#[tokio::test]
async fn what_is_not_a_component_connector_is_refused_with_a_reason() {
    let rt = runtime(Duration::from_secs(30), 256);
    let err = rt
        .load_bytes(b"customer,total\nAcme,10.50\n", "notes.csv")
        .await
        .expect_err("text");
    assert_eq!(
        err.to_string(),
        "notes.csv is not a WebAssembly file; pass a connector built with `cargo build --target wasm32-wasip2`"
    );
    let err = rt
        .load_bytes(b"\0asm\x01\0\0\0", "old.wasm")
        .await
        .expect_err("core module");
    assert_eq!(
        err.to_string(),
        "old.wasm is a core WebAssembly module, not a component; build the connector for the wasm32-wasip2 target, which produces a component"
    );
}

#[tokio::test]
async fn the_second_load_uses_the_compiled_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let cache_dir = tmp.path().join("cache");
    let rt = Runtime::new(RuntimeConfig {
        limits: Default::default(),
        cache_dir: Some(cache_dir.clone()),
    })
    .unwrap();
    let first = rt.load_file(&fixture("probe")).await.unwrap();
    assert_eq!(first.info().cache, CacheOutcome::Miss);
    let entries: Vec<_> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 1);
    let name = entries[0].to_string_lossy().into_owned();
    assert!(name.starts_with(&first.info().sha256), "{name}");
    assert!(
        name.contains(&format!(
            "-wasmtime{}-",
            ledgerlink::runtime::cache::wasmtime_version()
        )),
        "{name}"
    );

    let second = rt.load_file(&fixture("probe")).await.unwrap();
    assert_eq!(second.info().cache, CacheOutcome::Hit);
    let report = second
        .check(&context(&second, &[("behaviour", "ok")], None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.message, "probe ok (ok)");

    // A corrupt entry is a miss, recompiled and overwritten, never a crash.
    let entry = cache_dir.join(&name);
    std::fs::write(&entry, b"garbage").unwrap();
    let third = rt.load_file(&fixture("probe")).await.unwrap();
    assert_eq!(third.info().cache, CacheOutcome::Miss);
}

/// A local server: answers request `n` (0-based) with `response(n)` (`None`: never answer),
/// and records every request it gets.
struct Server {
    port: u16,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

async fn serve(response: impl Fn(usize) -> Option<Vec<u8>> + Send + Sync + 'static) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let response = Arc::new(response);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (seen, response) = (seen.clone(), response.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    return;
                }
                let index = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    seen.len() - 1
                };
                match response(index) {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(120)).await,
                }
            });
        }
    });
    Server { port, requests }
}

fn answer(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\n{headers}connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `ctx` with the probe's allowed host routed to the local server on `port`.
fn routed(mut ctx: CallContext, port: u16) -> CallContext {
    let routes = Routes::parse(&std::collections::BTreeMap::from([(
        "https://allowed.example:443".to_owned(),
        format!("http://127.0.0.1:{port}"),
    )]))
    .unwrap();
    ctx.http = ctx.http.map(|h| h.with_routes(routes));
    ctx
}

fn runtime_with(limits: Limits) -> Runtime {
    Runtime::new(RuntimeConfig {
        limits,
        cache_dir: None,
    })
    .unwrap()
}

/// Case 3: time in `http.send` counts. A plugin looping over fast requests is stopped at its
/// deadline like any loop.
#[tokio::test]
async fn a_plugin_looping_over_fast_requests_is_stopped_at_the_deadline() {
    let server = serve(|_| Some(answer("200 OK", "", "ok"))).await;
    let rt = runtime(Duration::from_secs(1), 256);
    let probe = load_fixture(&rt, "probe").await;
    let ctx = routed(
        context(
            &probe,
            &[
                ("behaviour", "http-loop"),
                ("url", "https://allowed.example/x"),
            ],
            None,
        ),
        server.port,
    );
    let started = Instant::now();
    let err = probe
        .check(&ctx)
        .await
        .expect_err("it never ends by itself");
    let took = started.elapsed();
    assert!(matches!(err, CallError::Deadline { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("plugin probe did not finish check within 1s and was stopped"),
        "{err}"
    );
    assert!(took < Duration::from_secs(1 + 5), "stopped after {took:?}");
    assert!(server.count() > 1, "it was looping over requests");
}

/// Case 4: a vendor that never answers costs one deadline, not attempts × timeouts; the
/// message says what the call was waiting for.
#[tokio::test]
async fn a_slow_vendor_stops_the_call_at_its_deadline_after_one_request() {
    let server = serve(|_| None).await;
    let rt = runtime(Duration::from_secs(2), 256);
    let probe = load_fixture(&rt, "probe").await;
    let ctx = routed(
        context(
            &probe,
            &[
                ("behaviour", "http-status"),
                ("url", "https://allowed.example/slow"),
            ],
            None,
        ),
        server.port,
    );
    let started = Instant::now();
    let err = probe.check(&ctx).await.expect_err("stopped");
    let took = started.elapsed();
    assert_eq!(
        err.to_string(),
        "plugin probe did not finish check within 2s and was stopped while waiting for an answer from https://allowed.example:443"
    );
    assert!(took >= Duration::from_secs(2), "stopped early: {took:?}");
    assert!(took < Duration::from_secs(2 + 5), "stopped after {took:?}");
    assert_eq!(server.count(), 1, "no retry was started");
}

/// Case 4: a `Retry-After` longer than the call has left goes back to the plugin at once,
/// with the wait the vendor asked for, so the connector reports rate-limited.
#[tokio::test]
async fn a_retry_after_longer_than_the_budget_reaches_the_plugin_at_once() {
    let server = serve(|_| {
        Some(answer(
            "429 Too Many Requests",
            "retry-after: 120\r\n",
            "slow down",
        ))
    })
    .await;
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let ctx = routed(
        context(
            &probe,
            &[
                ("behaviour", "http-status"),
                ("url", "https://allowed.example/x"),
            ],
            None,
        ),
        server.port,
    );
    let started = Instant::now();
    let err = probe
        .check(&ctx)
        .await
        .expect("the call returns")
        .expect_err("rate-limited");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let ConnectorError::RateLimited(detail) = &err else {
        panic!("expected rate-limited, got {err:?}");
    };
    assert_eq!(detail.retry_after_ms, Some(120_000));
    assert_eq!(detail.message, "the vendor answered 429: slow down");
    assert_eq!(server.count(), 1);
}

/// Case 5: a redirect the allowlist refuses is a refusal, not a transport failure to retry.
#[tokio::test]
async fn a_refused_redirect_reaches_the_plugin_at_once_and_is_not_retried() {
    let elsewhere = serve(|_| Some(answer("200 OK", "", "leaked"))).await;
    let to = format!("http://127.0.0.1:{}/collect", elsewhere.port);
    let bouncer =
        serve(move |_| Some(answer("302 Found", &format!("location: {to}\r\n"), ""))).await;
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let ctx = routed(
        context(
            &probe,
            &[
                ("behaviour", "http-status"),
                ("url", "https://allowed.example/start"),
            ],
            None,
        ),
        bouncer.port,
    );
    let started = Instant::now();
    let err = probe.check(&ctx).await.unwrap().expect_err("refused");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        connector_error_message(&err),
        format!(
            "the host refused the request to https://allowed.example/start: plugin probe's request to https://allowed.example:443 was redirected to http://127.0.0.1:{}, which is not an allowed host; the redirect was not followed and the request was not retried",
            elsewhere.port
        )
    );
    assert_eq!(bouncer.count(), 1, "sent once");
    assert_eq!(elsewhere.count(), 0, "the other origin got nothing");
}

/// Case 15: `Host` is the host's; setting it could reach another virtual host on an
/// allowed address. Nothing is sent.
#[tokio::test]
async fn a_plugin_may_not_set_the_host_header() {
    let server = serve(|_| Some(answer("200 OK", "", "ok"))).await;
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let ctx = routed(
        context(
            &probe,
            &[
                ("behaviour", "http-status"),
                ("url", "https://allowed.example/admin"),
                ("header", "Host: internal.allowed.example"),
            ],
            None,
        ),
        server.port,
    );
    let err = probe.check(&ctx).await.unwrap().expect_err("refused");
    assert_eq!(
        connector_error_message(&err),
        "the host refused the request to https://allowed.example/admin: plugin probe may not set the host header: the host sets it from the URL, so a request reaches only the host its URL names"
    );
    assert_eq!(server.count(), 0, "nothing was sent");
}

/// Case 14: the plugin cannot call its own manifest's OAuth token or revocation endpoint
/// (however it spells it): their answers carry tokens. Nothing is sent.
#[tokio::test]
async fn a_plugin_may_not_call_its_own_oauth_token_or_revocation_endpoint() {
    let server = serve(|_| Some(answer("200 OK", "", "{\"access_token\":\"t\"}"))).await;
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let cases = [
        (
            "https://allowed.example/oauth/token",
            "OAuth token endpoint",
        ),
        (
            "https://allowed.example//OAuth/%74oken/?grant_type=refresh_token",
            "OAuth token endpoint",
        ),
        (
            "https://allowed.example/oauth/revoke",
            "OAuth revocation endpoint",
        ),
    ];
    for (url, what) in cases {
        let ctx = routed(
            context(&probe, &[("behaviour", "http-status"), ("url", url)], None),
            server.port,
        );
        let err = probe.check(&ctx).await.unwrap().expect_err(url);
        assert_eq!(
            connector_error_message(&err),
            format!(
                "the host refused the request to {url}: plugin probe may not send requests to {url}: it is this connection's {what}, which only the host calls; nothing was sent"
            )
        );
    }
    assert_eq!(server.count(), 0, "the listener saw no request");
}

/// Pacing to the vendor's call limits is the host's policy: its waits are given back to the
/// call, up to `max_pacing_wait`; past that the plugin gets a 429 made by the host at once.
#[tokio::test]
async fn pacing_waits_are_excused_from_the_deadline_up_to_their_cap() {
    let server = serve(|_| Some(answer("200 OK", "", "ok"))).await;
    let limits = Limits {
        deadline: Duration::from_millis(1500),
        max_pacing_wait: Duration::from_secs(10),
        ..Limits::default()
    };
    let pace = || {
        Arc::new(Pacer::new(
            &[RateLimit {
                requests: 2,
                window: Duration::from_secs(1),
            }],
            1,
        ))
    };
    let probe = load_fixture(&runtime_with(limits), "probe").await;
    let settings = [
        ("behaviour", "http-loop"),
        ("url", "https://allowed.example/x"),
        ("count", "6"),
    ];
    let mut ctx = routed(context(&probe, &settings, None), server.port);
    ctx.http = ctx.http.map(|h| h.with_pacer(pace()));
    // Six requests at two a second: ~2 s of pacing, more than the 1.5 s deadline.
    let started = Instant::now();
    let report = probe.check(&ctx).await.unwrap().unwrap();
    assert_eq!(report.message, "sent 6");
    assert!(started.elapsed() >= Duration::from_secs(2));

    // The same with pacing capped at 0.5 s per call: the third request would need ~1 s.
    let capped = Limits {
        max_pacing_wait: Duration::from_millis(500),
        ..limits
    };
    let probe = load_fixture(&runtime_with(capped), "probe").await;
    let before = server.count();
    let mut ctx = routed(context(&probe, &settings, None), server.port);
    ctx.http = ctx.http.map(|h| h.with_pacer(pace()));
    let started = Instant::now();
    let err = probe.check(&ctx).await.unwrap().expect_err("rate-limited");
    assert!(started.elapsed() < Duration::from_secs(3));
    let ConnectorError::RateLimited(detail) = &err else {
        panic!("expected rate-limited, got {err:?}");
    };
    assert!(
        matches!(detail.retry_after_ms, Some(1000..=2000)),
        "{:?}",
        detail.retry_after_ms
    );
    assert!(
        detail.message.starts_with("the vendor answered 429: not sent: ledgerlink keeps this connection under https://allowed.example:443's declared call limits"),
        "{}",
        detail.message
    );
    assert_eq!(
        server.count() - before,
        2,
        "the refused request was not sent"
    );
}

/// Case 8: a connection folder has a quota, counting what it already holds; a write over it
/// is refused with a clear message and nothing more lands on disk.
#[tokio::test]
async fn a_connection_folder_stops_at_its_disk_quota() {
    const MIB: usize = 1024 * 1024;
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;
    let tmp = tempfile::tempdir().unwrap();
    let conn = tmp.path().join("conn");
    std::fs::create_dir_all(&conn).unwrap();
    std::fs::write(conn.join("earlier.xlsx"), vec![0u8; 3 * MIB]).unwrap();
    let folder = ConnectionFolder::open(&conn)
        .unwrap()
        .with_quota(10 * MIB as u64);
    let size = MIB.to_string();
    let err = probe
        .check(&context(
            &probe,
            &[
                ("behaviour", "files-flood"),
                ("size", &size),
                ("count", "20"),
            ],
            Some(folder),
        ))
        .await
        .unwrap()
        .expect_err("over quota");
    assert_eq!(
        connector_error_message(&err),
        "after 7 files: denied: disk quota exceeded: writing \"big-7.bin\" (1 MiB) would bring the connection folder to 11 MiB, over its quota of 10 MiB (10 MiB in use); nothing was written. An admin can raise it with the connection setting disk-quota-mib"
    );
    let on_disk: u64 = std::fs::read_dir(&conn)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(on_disk, 10 * MIB as u64);
    assert!(!conn.join("big-7.bin").exists());
}

/// A `MakeWriter` collecting everything logged on this thread.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Case 9: a call may log so many lines and bytes; the rest is dropped and one line says
/// how much.
#[tokio::test]
async fn a_log_flood_is_cut_at_the_calls_log_budget() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let limits = Limits {
        log_lines: 1000,
        log_bytes: 64 * 1024,
        ..Limits::default()
    };
    let probe = load_fixture(&runtime_with(limits), "probe").await;

    // Lines: 5,000 short lines, 1,000 kept.
    let report = probe
        .check(&context(
            &probe,
            &[
                ("behaviour", "log-flood"),
                ("lines", "5000"),
                ("size", "40"),
            ],
            None,
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.message, "logged 5000 lines");
    // Bytes: 100 lines of 2,009 bytes, 32 fit in 64 KiB.
    probe
        .check(&context(
            &probe,
            &[
                ("behaviour", "log-flood"),
                ("lines", "100"),
                ("size", "2000"),
            ],
            None,
        ))
        .await
        .unwrap()
        .unwrap();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let flood = |size: usize| {
        let marker = format!(" {}", "y".repeat(size));
        text.lines()
            .filter(|l| l.contains(&marker) && !l.contains(&format!("{marker}y")))
            .count()
    };
    assert_eq!(flood(40), 1000);
    assert_eq!(flood(2000), 32);
    let summaries: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("went over its log budget"))
        .collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(
        summaries[0].contains(
            "plugin probe went over its log budget in check (1000 lines or 64 KiB per call): 4000 more lines (196000 bytes) were dropped"
        ),
        "{}",
        summaries[0]
    );
    assert!(
        summaries[1].contains(
            "plugin probe went over its log budget in check (1000 lines or 64 KiB per call): 68 more lines (136612 bytes) were dropped"
        ),
        "{}",
        summaries[1]
    );
}
