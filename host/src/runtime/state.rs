//! What one call into a plugin can reach: the store data behind every import.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::limits::{Limits, MemoryLimiter};
use super::output::{CappedStderr, LogBudget};
use crate::files::ConnectionFolder;
use crate::net::{CallBudget, OutboundHttp};

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
    /// The call's wall-clock budget, shared with outbound HTTP.
    pub(crate) budget: Arc<CallBudget>,
    /// The log lines and bytes it may still write.
    pub(crate) logs: Arc<LogBudget>,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl CallState {
    /// State for one call of `plugin` under `limits`, capturing the guest's stderr into
    /// `stderr`. The budget starts now.
    pub(crate) fn new(
        plugin: &str,
        context: CallContext,
        limits: Limits,
        stderr: CappedStderr,
    ) -> Self {
        // WASI is linked only because Rust's std imports it; this context grants no
        // filesystem, environment, arguments or network. stderr is captured for errors.
        let wasi = WasiCtxBuilder::new().stderr(stderr).build();
        Self {
            plugin: plugin.to_owned(),
            context,
            limiter: MemoryLimiter::new(limits.memory_bytes),
            budget: Arc::new(CallBudget::new(limits.deadline, limits.max_pacing_wait)),
            logs: Arc::new(LogBudget::new(limits.log_lines, limits.log_bytes)),
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
