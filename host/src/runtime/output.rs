//! What a plugin can print, bounded per call: its stderr (kept for error messages) and its
//! `log` lines (passed to the host's log).
//!
//! - stderr: the last [`STDERR_CAPACITY`] bytes are kept (a panic message is at the end);
//!   older output is counted and dropped. Writes never fail, so a chatty plugin is not
//!   crashed by its own `eprintln!`.
//! - log: at most `Limits::log_lines` lines and `Limits::log_bytes` bytes per call reach the
//!   host's log; beyond that lines are counted, dropped, and one line at the end of the call
//!   says how many.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Most stderr kept per call.
pub(crate) const STDERR_CAPACITY: usize = 64 * 1024;

/// A plugin's stderr for one call: the last `capacity` bytes, and how many came before.
#[derive(Debug, Clone)]
pub(crate) struct CappedStderr {
    capacity: usize,
    inner: Arc<Mutex<Tail>>,
}

#[derive(Debug, Default)]
struct Tail {
    kept: VecDeque<u8>,
    dropped: u64,
}

impl CappedStderr {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Arc::new(Mutex::new(Tail::default())),
        }
    }

    fn push(&self, bytes: &[u8]) {
        // Plain bytes; a poisoned lock still holds valid ones.
        let mut tail = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = if bytes.len() > self.capacity {
            let skip = bytes.len() - self.capacity;
            tail.dropped += skip as u64;
            &bytes[skip..]
        } else {
            bytes
        };
        let over = (tail.kept.len() + bytes.len()).saturating_sub(self.capacity);
        tail.kept.drain(..over);
        tail.dropped += over as u64;
        tail.kept.extend(bytes);
    }

    /// The text kept (lossy UTF-8), and how many earlier bytes were dropped.
    pub(crate) fn contents(&self) -> (String, u64) {
        let tail = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (a, b) = tail.kept.as_slices();
        let mut bytes = Vec::with_capacity(a.len() + b.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        (String::from_utf8_lossy(&bytes).into_owned(), tail.dropped)
    }
}

impl IsTerminal for CappedStderr {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedStderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl OutputStream for CappedStderr {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always room: old output makes way for new.
        Ok(self.capacity.max(1))
    }
}

#[async_trait::async_trait]
impl Pollable for CappedStderr {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CappedStderr {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The log lines and bytes one call may still write.
#[derive(Debug)]
pub(crate) struct LogBudget {
    max_lines: u64,
    max_bytes: u64,
    lines: AtomicU64,
    bytes: AtomicU64,
    dropped_lines: AtomicU64,
    dropped_bytes: AtomicU64,
}

impl LogBudget {
    pub(crate) fn new(max_lines: u32, max_bytes: usize) -> Self {
        Self {
            max_lines: u64::from(max_lines),
            max_bytes: max_bytes as u64,
            lines: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            dropped_lines: AtomicU64::new(0),
            dropped_bytes: AtomicU64::new(0),
        }
    }

    /// Whether a line of `len` bytes may be logged; counts it either way. Once one line is
    /// dropped, every later one is too, so the log never has gaps in the middle.
    pub(crate) fn admit(&self, len: usize) -> bool {
        let len = len as u64;
        if self.dropped_lines.load(Ordering::Relaxed) == 0
            && self.lines.load(Ordering::Relaxed) < self.max_lines
            && self.bytes.load(Ordering::Relaxed) + len <= self.max_bytes
        {
            self.lines.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(len, Ordering::Relaxed);
            return true;
        }
        self.dropped_lines.fetch_add(1, Ordering::Relaxed);
        self.dropped_bytes.fetch_add(len, Ordering::Relaxed);
        false
    }

    /// Lines and bytes dropped so far.
    pub(crate) fn dropped(&self) -> (u64, u64) {
        (
            self.dropped_lines.load(Ordering::Relaxed),
            self.dropped_bytes.load(Ordering::Relaxed),
        )
    }

    /// The per-call budget, for the summary line.
    pub(crate) fn limits(&self) -> (u64, u64) {
        (self.max_lines, self.max_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_keeps_the_tail_and_counts_the_rest() {
        let s = CappedStderr::new(8);
        s.push(b"abcdef");
        s.push(b"ghij");
        assert_eq!(s.contents(), ("cdefghij".to_owned(), 2));
        s.push(b"0123456789");
        assert_eq!(s.contents(), ("23456789".to_owned(), 12));
    }

    #[test]
    fn the_log_budget_stops_at_lines_or_bytes_and_stays_stopped() {
        let b = LogBudget::new(3, 10);
        assert!(b.admit(4));
        assert!(b.admit(4));
        assert!(!b.admit(4), "over 10 bytes");
        assert!(!b.admit(1), "after a drop, everything is dropped");
        assert_eq!(b.dropped(), (2, 5));
        let b = LogBudget::new(2, 1000);
        assert!(b.admit(1) && b.admit(1));
        assert!(!b.admit(1));
        assert_eq!(b.dropped(), (1, 1));
    }
}
