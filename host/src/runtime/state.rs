//! What one call into a plugin can reach: the store data behind every import.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::limits::MemoryLimiter;
use crate::files::ConnectionFolder;
use crate::net::OutboundHttp;

/// Source of the current time for the `clock` import; tests and the sandbox replace it.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Everything a plugin may reach while working for one connection: its non-secret
/// settings, its outbound HTTP sender (with the connection's credentials inside, out of
/// the plugin's reach), its folder, and the clock.
#[derive(Clone)]
pub struct CallContext {
    /// Non-secret settings, returned by the `config` import.
    pub settings: BTreeMap<String, String>,
    /// Outbound HTTP; `None` refuses every request (as while loading).
    pub http: Option<OutboundHttp>,
    /// The connection's folder; `None` refuses every file operation.
    pub folder: Option<Arc<ConnectionFolder>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("settings", &self.settings)
            .field("http", &self.http)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl CallContext {
    /// A context that grants nothing: no settings, no HTTP, no files. Used to read manifests.
    pub fn isolated() -> Self {
        Self {
            settings: BTreeMap::new(),
            http: None,
            folder: None,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Store data of one call. A fresh store (and instance) serves every call, so nothing leaks
/// between calls and a trapped instance is never reused.
pub struct CallState {
    pub(crate) plugin: String,
    pub(crate) context: CallContext,
    pub(crate) limiter: MemoryLimiter,
    /// Time this call spent in the host's outbound HTTP, which its deadline does not count.
    pub(crate) host_time: Arc<HostTime>,
    wasi: WasiCtx,
    table: ResourceTable,
}

/// Most of a panic message that is kept; a plugin cannot flood the host's memory via stderr.
pub(crate) const STDERR_CAPACITY: usize = 64 * 1024;

impl CallState {
    /// State for one call of `plugin`, capturing the guest's stderr into `stderr`.
    pub(crate) fn new(
        plugin: &str,
        context: CallContext,
        memory_bytes: usize,
        stderr: MemoryOutputPipe,
    ) -> Self {
        // WASI is linked only because Rust's std imports it; this context grants no
        // filesystem, environment, arguments or network. stderr is captured for errors.
        let wasi = WasiCtxBuilder::new().stderr(stderr).build();
        Self {
            plugin: plugin.to_owned(),
            context,
            limiter: MemoryLimiter::new(memory_bytes),
            host_time: Arc::new(HostTime::new()),
            wasi,
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Time a call spends waiting in the host's outbound HTTP (the vendor's answer, pacing to
/// its rate limits, `Retry-After`, backoff). A plugin's deadline is for the plugin's own
/// work: HTTP has its own timeouts and bounded retries, and waiting a minute because the
/// vendor allows 60 calls a minute is not the plugin running away.
#[derive(Debug)]
pub struct HostTime {
    origin: std::time::Instant,
    /// Nanoseconds spent in finished HTTP requests.
    total: std::sync::atomic::AtomicU64,
    /// Nanoseconds after `origin` when the HTTP request in flight began, plus one; 0 when none.
    since: std::sync::atomic::AtomicU64,
}

impl HostTime {
    /// Starts counting now.
    pub(crate) fn new() -> Self {
        Self {
            origin: std::time::Instant::now(),
            total: std::sync::atomic::AtomicU64::new(0),
            since: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn now_nanos(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// An HTTP request begins.
    pub(crate) fn enter(&self) {
        self.since.store(
            self.now_nanos().saturating_add(1),
            std::sync::atomic::Ordering::SeqCst,
        );
    }

    /// The HTTP request in flight ended.
    pub(crate) fn leave(&self) {
        let since = self.since.swap(0, std::sync::atomic::Ordering::SeqCst);
        if since > 0 {
            let spent = self.now_nanos().saturating_sub(since - 1);
            self.total
                .fetch_add(spent, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Time since the call began that counts against its deadline.
    pub(crate) fn charged(&self) -> std::time::Duration {
        let now = self.now_nanos();
        let mut excused = self.total.load(std::sync::atomic::Ordering::SeqCst);
        let since = self.since.load(std::sync::atomic::Ordering::SeqCst);
        if since > 0 {
            excused = excused.saturating_add(now.saturating_sub(since - 1));
        }
        std::time::Duration::from_nanos(now.saturating_sub(excused))
    }
}
