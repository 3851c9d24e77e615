//! Shared helpers for the end-to-end tests: fixtures, runtimes, contexts.
#![allow(dead_code, clippy::unwrap_used)]

pub mod engine;
pub mod postgres;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ledgerlink::files::ConnectionFolder;
use ledgerlink::net::{HttpLimits, NoCredentials, OutboundHttp};
use ledgerlink::runtime::{CallContext, Limits, Plugin, Runtime, RuntimeConfig, SystemClock};

/// A fixture component built from `tests/fixtures/<name>` by host/build.rs in this test run.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("LEDGERLINK_FIXTURES_DIR")).join(format!("{name}.wasm"))
}

/// A runtime with the given limits and no compile cache.
pub fn runtime(deadline: Duration, memory_mib: usize) -> Runtime {
    Runtime::new(RuntimeConfig {
        limits: Limits {
            deadline,
            memory_bytes: memory_mib * 1024 * 1024,
            ..Limits::default()
        },
        cache_dir: None,
    })
    .expect("runtime starts")
}

/// Load a fixture.
pub async fn load_fixture(rt: &Runtime, name: &str) -> Plugin {
    rt.load_file(&fixture(name)).await.expect("fixture loads")
}

/// A call context with `settings`, HTTP under the plugin's own allowlist, and optionally a folder.
pub fn context(
    plugin: &Plugin,
    settings: &[(&str, &str)],
    folder: Option<ConnectionFolder>,
) -> CallContext {
    let http = OutboundHttp::new(
        &plugin.manifest().name,
        plugin.manifest().allowed_hosts.clone(),
        HttpLimits::default(),
        Arc::new(NoCredentials),
    )
    .expect("http client");
    CallContext {
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        http: Some(http),
        folder: folder.map(Arc::new),
        clock: Arc::new(SystemClock),
    }
}

/// The standard output of the binary's run of `args`, which must have succeeded (else the
/// test fails showing both streams).
pub fn succeeded(args: &[&str], out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
