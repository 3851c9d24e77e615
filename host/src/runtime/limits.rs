//! Per-call limits: the time budget, the memory cap and the log budget, and the limiter
//! that enforces the memory cap.

use std::time::Duration;

/// Limits applied to every call into a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time a call may take, wherever it spends it: the plugin's own work,
    /// waiting for a vendor's answer, retries, backoff and `Retry-After` all count. When it
    /// runs out the call is stopped (in the guest by the epoch, in a host import by an outer
    /// timeout). CLI: `--deadline` / `LEDGERLINK_DEADLINE`.
    pub deadline: Duration,
    /// Waiting for the connection's pacer (the host keeping under the vendor's declared call
    /// limits) is given back to the call, up to this much per call; a request that would
    /// need to wait longer is not sent and the plugin gets a 429 with `Retry-After` (see
    /// [`crate::net::budget`]). CLI: `--max-pacing-wait` / `LEDGERLINK_MAX_PACING_WAIT`.
    pub max_pacing_wait: Duration,
    /// Linear memory one plugin instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// `log` lines one call may write; later ones are dropped and counted. CLI:
    /// `--plugin-log-lines` / `LEDGERLINK_PLUGIN_LOG_LINES`.
    pub log_lines: u32,
    /// `log` bytes one call may write (each line counted after the host cuts it to 4 KiB).
    /// CLI: `--plugin-log-kib` / `LEDGERLINK_PLUGIN_LOG_KIB`.
    pub log_bytes: usize,
}

impl Limits {
    /// 30 s per call, HTTP included.
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
    /// Up to 5 minutes of pacing waits per call on top of the deadline.
    pub const DEFAULT_MAX_PACING_WAIT: Duration = Duration::from_secs(300);
    /// 256 MiB per instance.
    pub const DEFAULT_MEMORY_BYTES: usize = 256 * 1024 * 1024;
    /// 1,000 log lines per call.
    pub const DEFAULT_LOG_LINES: u32 = 1000;
    /// 1 MiB of log per call.
    pub const DEFAULT_LOG_BYTES: usize = 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Self::DEFAULT_DEADLINE,
            max_pacing_wait: Self::DEFAULT_MAX_PACING_WAIT,
            memory_bytes: Self::DEFAULT_MEMORY_BYTES,
            log_lines: Self::DEFAULT_LOG_LINES,
            log_bytes: Self::DEFAULT_LOG_BYTES,
        }
    }
}

/// The error a denied memory growth traps with; found again by downcasting the trap.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes reached (the plugin asked for {desired} bytes)")]
pub struct MemoryLimitHit {
    /// The cap.
    pub limit: usize,
    /// What the guest asked to grow to.
    pub desired: usize,
}

/// A [`wasmtime::ResourceLimiter`] that traps, with [`MemoryLimitHit`], on growth past the
/// cap. Trapping (rather than letting `memory.grow` return -1) gives a clean, recognisable
/// error instead of whatever the guest's allocator does on failure.
#[derive(Debug)]
pub struct MemoryLimiter {
    limit: usize,
}

impl MemoryLimiter {
    /// A limiter capping each memory at `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self { limit }
    }
}

/// Tables and instances are bounded too, so a plugin cannot exhaust host memory through them.
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitHit {
                limit: self.limit,
                desired,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
