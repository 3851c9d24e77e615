//! Per-call limits: the deadline and the memory cap, and the limiter that enforces the cap.

use std::time::Duration;

/// Limits applied to every call into a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time a call may run before it is trapped.
    pub deadline: Duration,
    /// Linear memory one plugin instance may grow to, in bytes.
    pub memory_bytes: usize,
}

impl Limits {
    /// 30 s per call.
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
    /// 256 MiB per instance.
    pub const DEFAULT_MEMORY_BYTES: usize = 256 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Self::DEFAULT_DEADLINE,
            memory_bytes: Self::DEFAULT_MEMORY_BYTES,
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
