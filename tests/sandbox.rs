//! The sandbox, proven against real guest code: the `probe` fixture (tests/fixtures/probe)
//! misbehaves on request and the host must contain it.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ledgerlink::files::ConnectionFolder;
use ledgerlink::runtime::bindings::ConnectorError;
use ledgerlink::runtime::{CacheOutcome, CallError, LoadError, Runtime, RuntimeConfig};
use support::{context, fixture, load_fixture, runtime};

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
async fn a_panic_message_reaches_the_error() {
    let rt = runtime(Duration::from_secs(30), 256);
    let probe = load_fixture(&rt, "probe").await;

    let err = probe
        .check(&context(&probe, &[("behaviour", "panic")], None))
        .await
        .expect_err("a panic is a failed call");
    let CallError::Crashed { reason, stderr, .. } = &err else {
        panic!("expected Crashed, got {err:?}");
    };
    assert!(
        reason.starts_with("panicked at tests/fixtures/probe/src/lib.rs:"),
        "{reason}"
    );
    assert!(
        reason.ends_with(": ledger on fire: 3 invoices lost"),
        "{reason}"
    );
    assert!(
        stderr.contains("ledger on fire: 3 invoices lost"),
        "{stderr}"
    );
    assert!(
        err.to_string().starts_with(
            "plugin probe crashed in check: panicked at tests/fixtures/probe/src/lib.rs:"
        ),
        "{err}"
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
            "{} cannot be loaded: it was built for contract ledgerlink:connector@1.0.0, and this ledgerlink loads ledgerlink:connector@0.1.0 (compatible: 0.1.x); rebuild the plugin against ledgerlink-sdk 0.1",
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

/// Waiting for the vendor is not the plugin's time: a call whose HTTP answer takes longer
/// than the plugin's deadline (a slow vendor, pacing to a rate limit, `Retry-After`) still
/// completes; the deadline stops only the plugin's own runaway work (tested above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_spent_waiting_on_outbound_http_does_not_count_against_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            std::thread::sleep(Duration::from_millis(1800));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    let rt = runtime(Duration::from_secs(1), 256);
    let probe = load_fixture(&rt, "probe").await;
    let mut ctx = context(
        &probe,
        &[
            ("behaviour", "http"),
            ("url", "https://allowed.example/slow"),
        ],
        None,
    );
    let routes = ledgerlink::net::Routes::parse(&std::collections::BTreeMap::from([(
        "https://allowed.example:443".to_owned(),
        format!("http://127.0.0.1:{port}"),
    )]))
    .unwrap();
    ctx.http = ctx.http.map(|h| h.with_routes(routes));
    let started = Instant::now();
    let report = probe.check(&ctx).await.unwrap().unwrap();
    assert_eq!(report.message, "status 200");
    assert!(started.elapsed() >= Duration::from_millis(1800));
}
