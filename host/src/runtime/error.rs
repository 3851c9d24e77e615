//! Errors of loading and calling plugins, worded for the person who has to act on them.

use std::time::Duration;

use crate::contract::Incompatible;

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// Not WebAssembly at all.
    #[error(
        "{what} is not a WebAssembly file; pass a connector built with `cargo build --target wasm32-wasip2`"
    )]
    NotWasm {
        /// The file or plugin.
        what: String,
    },
    /// A core module, not a component.
    #[error(
        "{what} is a core WebAssembly module, not a component; build the connector for the wasm32-wasip2 target, which produces a component"
    )]
    CoreModule {
        /// The file or plugin.
        what: String,
    },
    /// wasmtime refused the bytes.
    #[error("{what} could not be compiled: {reason}")]
    Compile {
        /// The file or plugin.
        what: String,
        /// wasmtime's reason.
        reason: String,
    },
    /// A component, but not a connector.
    #[error(
        "{what} is not a ledgerlink connector: it does not export {interface} (it exports: {exports})"
    )]
    NotAConnector {
        /// The file or plugin.
        what: String,
        /// The interface looked for.
        interface: &'static str,
        /// What it does export.
        exports: String,
    },
    /// Built for a contract this host cannot load.
    #[error("{what} cannot be loaded: {source}")]
    Incompatible {
        /// The file or plugin.
        what: String,
        /// The version mismatch.
        source: Incompatible,
    },
    /// It imports something the host does not provide.
    #[error("{what} cannot be loaded: it needs an import this host does not provide ({reason})")]
    Link {
        /// The file or plugin.
        what: String,
        /// wasmtime's reason.
        reason: String,
    },
    /// The manifest breaks the rules.
    #[error("{what} has an invalid manifest: {}", problems.join("; "))]
    Manifest {
        /// The file or plugin.
        what: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Calling `manifest` failed.
    #[error("{what} could not describe itself: {source}")]
    ManifestCall {
        /// The file or plugin.
        what: String,
        /// The failure.
        source: CallError,
    },
    /// The engine could not be set up.
    #[error("the plugin engine could not start: {0}")]
    Engine(String),
}

/// Why a call into a plugin did not return.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past its deadline and was stopped.
    #[error(
        "plugin {plugin} did not finish {op} within {} and was stopped{}",
        humantime::format_duration(*deadline),
        stderr_suffix(stderr)
    )]
    Deadline {
        /// The plugin.
        plugin: String,
        /// The operation.
        op: &'static str,
        /// The limit.
        deadline: Duration,
        /// What the plugin wrote to stderr.
        stderr: String,
    },
    /// The plugin tried to use more memory than allowed.
    #[error(
        "plugin {plugin} exceeded its memory limit of {} in {op} and was stopped{}",
        format_bytes(*limit),
        stderr_suffix(stderr)
    )]
    Memory {
        /// The plugin.
        plugin: String,
        /// The operation.
        op: &'static str,
        /// The cap in bytes.
        limit: usize,
        /// What the plugin wrote to stderr.
        stderr: String,
    },
    /// The plugin panicked or trapped.
    #[error("plugin {plugin} crashed in {op}: {reason}")]
    Crashed {
        /// The plugin.
        plugin: String,
        /// The operation.
        op: &'static str,
        /// The panic message (with its location) or the trap.
        reason: String,
        /// Everything the plugin wrote to stderr.
        stderr: String,
    },
    /// Setting up the call failed on the host's side.
    #[error("plugin {plugin} could not be started for {op}: {reason}")]
    Instantiate {
        /// The plugin.
        plugin: String,
        /// The operation.
        op: &'static str,
        /// Why.
        reason: String,
    },
}

impl CallError {
    /// What the plugin wrote to stderr during the failed call (may be empty).
    pub fn stderr(&self) -> &str {
        match self {
            CallError::Deadline { stderr, .. }
            | CallError::Memory { stderr, .. }
            | CallError::Crashed { stderr, .. } => stderr,
            CallError::Instantiate { .. } => "",
        }
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let last: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    match last.as_slice() {
        [] => String::new(),
        lines => {
            let tail = &lines[lines.len().saturating_sub(3)..];
            format!("; its last output: {}", tail.join(" / "))
        }
    }
}

fn format_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// The message of a Rust panic in the guest's stderr, with its location:
/// `panicked at src/lib.rs:12:9: ledger on fire`.
pub(crate) fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        if let Some(at) = line.find("panicked at ") {
            let location = line[at + "panicked at ".len()..]
                .trim_end_matches(':')
                .trim();
            let message: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("note: ") && !l.starts_with("stack backtrace"))
                .collect();
            let message = message.join("\n");
            return Some(if message.trim().is_empty() {
                format!("panicked at {location}")
            } else {
                format!("panicked at {location}: {}", message.trim())
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_panic_message_and_location() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:12:9:\nledger on fire\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("panicked at src/lib.rs:12:9: ledger on fire")
        );
        assert_eq!(panic_message("nothing here"), None);
    }
}
