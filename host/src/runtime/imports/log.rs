use crate::runtime::bindings::ledgerlink::connector::log::{Host, Level};
use crate::runtime::state::CallState;

/// Longest log line kept from a plugin; the rest is cut so a plugin cannot flood the log.
const MAX_LINE: usize = 4096;

impl Host for CallState {
    async fn write(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let message = truncate(&message, MAX_LINE);
        // Over the call's log budget: counted, dropped, summed up in one line when the
        // call ends (runtime::plugin).
        if !self.logs.admit(message.len()) {
            return Ok(());
        }
        // A plugin's line may hold terminal escapes or direction overrides: written as
        // escapes, so it cannot repaint or reorder what an admin reads.
        let message = crate::runtime::error::defuse_plugin_text(message);
        let plugin = self.plugin.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "ledgerlink::plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "ledgerlink::plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "ledgerlink::plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "ledgerlink::plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "ledgerlink::plugin", plugin, "{message}"),
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
