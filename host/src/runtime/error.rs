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
        /// The failure (boxed: a call error is large, a load error is passed around).
        source: Box<CallError>,
    },
    /// The engine could not be set up.
    #[error("the plugin engine could not start: {0}")]
    Engine(String),
}

/// Why a call into a plugin did not return.
///
/// Every message keeps what the host knows (plugin, operation, limit, trap) apart from
/// what the plugin printed to stderr: that is shown last, after `The plugin printed:`, in
/// quotes, cut to [`PRINTED_MAX`] characters, with control and bidi characters escaped — a
/// plugin chooses that text (a "panic message" included) and must not pass it off as ours.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past its time budget and was stopped.
    #[error(
        "plugin {plugin} did not finish {op} within {} and was stopped{}{}",
        humantime::format_duration(*deadline),
        waiting_on.as_deref().map(|o| format!(" while waiting for an answer from {o}")).unwrap_or_default(),
        printed_suffix(stderr)
    )]
    Deadline {
        /// The plugin.
        plugin: String,
        /// The operation.
        op: &'static str,
        /// The limit.
        deadline: Duration,
        /// The origin of the HTTP request in flight when it was stopped, if any.
        waiting_on: Option<String>,
        /// What the plugin wrote to stderr.
        stderr: String,
    },
    /// The plugin tried to use more memory than allowed.
    #[error(
        "plugin {plugin} exceeded its memory limit of {} in {op} and was stopped{}",
        format_bytes(*limit),
        printed_suffix(stderr)
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
    #[error(
        "plugin \"{plugin}\" crashed in {op} ({reason}){}",
        printed_suffix(stderr)
    )]
    Crashed {
        /// The plugin.
        plugin: String,
        /// The operation.
        op: &'static str,
        /// What the host knows: the trap (`wasm trap: unreachable` for a Rust panic) or
        /// the rule the plugin broke. Never text the plugin printed.
        reason: String,
        /// What the plugin wrote to stderr (its last 64 KiB).
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

    /// The part of the plugin's stderr a message shows (escaped, cut), if any.
    pub fn printed(&self) -> Option<String> {
        printed_excerpt(self.stderr())
    }
}

/// Most characters of plugin-printed text an error message shows.
pub const PRINTED_MAX: usize = 500;

/// The plugin's words in a message: a Rust panic message (`panicked at …: …`) when there is
/// one, else its last three non-empty lines; escaped and cut to [`PRINTED_MAX`].
fn printed_excerpt(stderr: &str) -> Option<String> {
    let text = panic_message(stderr).unwrap_or_else(|| {
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(3)..].join("\n")
    });
    let text = text.trim();
    (!text.is_empty()).then(|| escape_plugin_text(text, PRINTED_MAX))
}

fn printed_suffix(stderr: &str) -> String {
    printed_excerpt(stderr).map_or_else(String::new, |p| format!(". The plugin printed: {p}"))
}

/// `text` (chosen by a plugin) made safe to show: in double quotes, with `"` and `\`
/// escaped, control characters (C0, DEL, C1) and the invisible or direction-changing
/// characters (bidi overrides and isolates, zero-width, line separators) written as
/// escapes, and cut after `max` characters with the cut said outside the quotes.
pub fn escape_plugin_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max) + 2);
    out.push('"');
    let mut shown = 0usize;
    let mut chars = text.chars();
    for c in chars.by_ref() {
        let escaped: String = match c {
            '"' => "\\\"".to_owned(),
            '\\' => "\\\\".to_owned(),
            '\n' => "\\n".to_owned(),
            '\r' => "\\r".to_owned(),
            '\t' => "\\t".to_owned(),
            c if c.is_control() || is_invisible_format(c) => format!("\\u{{{:x}}}", u32::from(c)),
            c => c.to_string(),
        };
        out.push_str(&escaped);
        shown += 1;
        if shown >= max {
            break;
        }
    }
    out.push('"');
    let rest = chars.count();
    if rest > 0 {
        out.push_str(&format!(" (cut: {rest} more characters)"));
    }
    out
}

/// `text` (chosen by a plugin) with control and invisible formatting characters written as
/// escapes (`\u{1b}`), newlines as `\n`: safe to put in a log line or on a terminal.
pub fn defuse_plugin_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters that change how surrounding text is displayed without showing themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
    )
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
/// `panicked at src/lib.rs:12:9: ledger on fire`. This is text the plugin printed, so it
/// can be forged: it is only ever shown as the plugin's (see [`CallError`]).
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

    #[test]
    fn plugin_text_is_quoted_escaped_and_cut() {
        assert_eq!(
            escape_plugin_text("a \"b\"\\ \u{1b}[31mred\u{202e}x\n\u{85}", 100),
            "\"a \\\"b\\\"\\\\ \\u{1b}[31mred\\u{202e}x\\n\\u{85}\""
        );
        assert_eq!(
            escape_plugin_text("abcdef", 4),
            "\"abcd\" (cut: 2 more characters)"
        );
    }

    #[test]
    fn log_text_is_defused_without_quotes() {
        assert_eq!(defuse_plugin_text("plain \"text\""), "plain \"text\"");
        assert_eq!(
            defuse_plugin_text("red \u{1b}[31m\nnext\u{202e}"),
            "red \\u{1b}[31m\\nnext\\u{202e}"
        );
    }

    #[test]
    fn a_crash_keeps_the_hosts_words_apart_from_the_plugins() {
        let e = CallError::Crashed {
            plugin: "x".to_owned(),
            op: "push-invoices",
            reason: "wasm trap: unreachable".to_owned(),
            stderr: "panicked at src/vendor.rs:1:1:\ncall +1-555-0100\u{7}\nnote: run with\n"
                .to_owned(),
        };
        assert_eq!(
            e.to_string(),
            "plugin \"x\" crashed in push-invoices (wasm trap: unreachable). The plugin printed: \"panicked at src/vendor.rs:1:1: call +1-555-0100\\u{7}\""
        );
    }
}
