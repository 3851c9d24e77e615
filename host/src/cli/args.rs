//! Every command and flag, documented where it is defined (`ledgerlink help` prints these).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// ledgerlink moves customers, job invoices and contract invoices between Tracker Pro and
/// accounting systems through WebAssembly connector plugins.
#[derive(Debug, Parser)]
#[command(name = "ledgerlink", version, about, propagate_version = true)]
pub struct Cli {
    /// Data folder (plugins, compiled-plugin cache, connections). Default: the platform's
    /// data folder, e.g. ~/.local/share/ledgerlink.
    #[arg(long, global = true, env = "LEDGERLINK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Seconds one call into a plugin may run before it is stopped.
    #[arg(long, global = true, env = "LEDGERLINK_DEADLINE", default_value_t = 30.0, value_name = "SECONDS",
          value_parser = parse_deadline)]
    pub deadline: f64,

    /// Memory one plugin instance may use, in MiB.
    #[arg(long, global = true, env = "LEDGERLINK_MEMORY_MIB", default_value_t = 256, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(16..=4096))]
    pub memory_mib: u64,

    /// More log output (-v, -vv). LEDGERLINK_LOG=<filter> sets it precisely.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

fn parse_deadline(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 3600"
        )),
    }
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Transfer a sample Tracker Pro book (customers, job and contract invoices) through the
    /// built-in CSV connector into <data-dir>/connections/quickstart, read it back, and check it.
    Quickstart,
    /// List and inspect connector plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
}

/// `ledgerlink plugins ...`
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the built-in plugins and those installed in <data-dir>/plugins.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Load a plugin and show its manifest: a .wasm file, or the name of a built-in plugin.
    Inspect {
        /// Path to a .wasm component, or a built-in plugin's name (e.g. "csv").
        plugin: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}
