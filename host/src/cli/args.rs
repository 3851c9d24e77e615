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

    /// The store's database: sqlite:PATH for a SQLite file (default:
    /// sqlite:<data-dir>/ledgerlink.db) or postgres://USER[:PASSWORD]@HOST:PORT/DATABASE.
    /// Plugins, caches and connection files stay in the data folder either way. The value is
    /// never shown (it may hold a password).
    #[arg(
        long = "database",
        global = true,
        env = "LEDGERLINK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Seconds one call into a plugin may take before it is stopped, wherever it is: its own
    /// work, waiting for the vendor, retries and Retry-After all count.
    #[arg(long, global = true, env = "LEDGERLINK_DEADLINE", default_value_t = 30.0, value_name = "SECONDS",
          value_parser = parse_deadline)]
    pub deadline: f64,

    /// Seconds of waiting for the vendor's call limits (pacing) one plugin call may spend on
    /// top of --deadline; a request that would wait longer gets a 429 with Retry-After.
    #[arg(long, global = true, env = "LEDGERLINK_MAX_PACING_WAIT", default_value_t = 300.0, value_name = "SECONDS",
          value_parser = parse_pacing_wait)]
    pub max_pacing_wait: f64,

    /// Memory one plugin instance may use, in MiB.
    #[arg(long, global = true, env = "LEDGERLINK_MEMORY_MIB", default_value_t = 256, value_name = "MIB",
          value_parser = clap::value_parser!(u64).range(16..=4096))]
    pub memory_mib: u64,

    /// Log lines one plugin call may write; the rest are dropped and counted in one line.
    #[arg(long, global = true, env = "LEDGERLINK_PLUGIN_LOG_LINES", default_value_t = 1000, value_name = "LINES",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub plugin_log_lines: u32,

    /// KiB of log one plugin call may write; the rest is dropped and counted in one line.
    #[arg(long, global = true, env = "LEDGERLINK_PLUGIN_LOG_KIB", default_value_t = 1024, value_name = "KIB",
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub plugin_log_kib: u32,

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

fn parse_pacing_wait(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 86400"
        )),
    }
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A first transfer on embedded defaults: starts the offline sandbox, imports a sample
    /// Tracker Pro book (50 customers, 200 closed jobs, 30 service contracts), connects through
    /// the real OAuth flow, compares and syncs customers, pushes job and contract invoices,
    /// and prints the report. Works in <data-dir>/quickstart, emptied on every run.
    Quickstart {
        /// The accounting system (sandbox) to transfer to; `csv` writes files instead.
        #[arg(long, value_enum, default_value_t = QuickstartTarget::Xero)]
        target: QuickstartTarget,
        /// Then leave the sandbox and the web admin running on the quickstart's data (until
        /// Ctrl-C), with an admin user whose password is printed, to look at what was
        /// transferred in a browser.
        #[arg(long)]
        serve: bool,
        /// Where --serve listens.
        #[arg(long, requires = "serve", default_value = ledgerlink::server::listen::DEFAULT_LISTEN, value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
    },
    /// List and inspect connector plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Add, list, show, check and remove connections (a connector + settings + credentials).
    Connections {
        #[command(subcommand)]
        command: ConnectionsCommand,
    },
    /// Authorize a connection with its vendor (OAuth 2.0 with PKCE, in the browser).
    Connect(ConnectArgs),
    /// Serve the offline vendor sandbox (OAuth servers and API emulators) and print its URLs.
    Sandbox {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[command(subcommand)]
        command: Option<SandboxCommand>,
    },
    /// Say how ledgerlink is set up here: data folder, database, vault, plugins.
    Doctor,
    /// Tracker Pro's records (the home book): import, export, show, flags.
    Home {
        #[command(subcommand)]
        command: super::home::HomeCommand,
    },
    /// Compare Tracker Pro with a connection's target and store the result as a plan.
    Compare(CompareArgs),
    /// Apply (part of) a stored plan: exactly what the compare showed, nothing else.
    Sync(SyncArgs),
    /// Push the invoices that are due (closed jobs with both Ready-for-Invoice flags, or
    /// ready contract invoices), creating missing customers in the target first.
    PushInvoices(PushInvoicesArgs),
    /// What transfers did, record by record.
    Runs {
        #[command(subcommand)]
        command: RunsCommand,
    },
    /// Stored compares (plans): read one back, filtered by flag or a search, before applying
    /// it with `ledgerlink sync --plan`.
    Plans {
        #[command(subcommand)]
        command: super::plans::PlansCommand,
    },
    /// Customers that look like a target customer without the evidence to link them (an
    /// e-mail or tax number alone, an archived or several namesakes): list and decide.
    Reviews {
        #[command(subcommand)]
        command: ReviewsCommand,
    },
    /// The audit log: every run and every change to a connection, oldest first.
    Audit {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run the conformance suite against a live connection (a vendor's test company): every
    /// check of the connector contract, pass / fail / not applicable, cleaning up after itself.
    Conformance(super::conformance::ConformanceArgs),
    /// Start something new: `new connector <name>` writes a connector crate to fill in.
    New {
        #[command(subcommand)]
        command: super::new_connector::NewCommand,
    },
    /// Serve the REST API (`/api/v1`, OpenAPI at /api/v1/openapi.json) and run transfers
    /// started through it as background jobs. Until a user exists it serves only how to
    /// create one (`ledgerlink users add`).
    Serve(super::serve::ServeArgs),
    /// Run transfer jobs and fire schedules without serving HTTP, beside `ledgerlink serve`
    /// (or other workers) on the same data folder: each job runs in exactly one process, and
    /// a job whose process died is taken over after its lease.
    Worker(super::serve::WorkerArgs),
    /// Users of `ledgerlink serve`.
    Users {
        #[command(subcommand)]
        command: super::serve::UsersCommand,
    },
    /// Scheduled transfers, run by `ledgerlink serve` (cron, in UTC or a named time zone).
    Schedules {
        #[command(subcommand)]
        command: super::schedules::SchedulesCommand,
    },
    /// Personal API tokens for `ledgerlink serve`.
    Tokens {
        #[command(subcommand)]
        command: super::serve::TokensCommand,
    },
    /// Time-limited, read-only support access for a vendor's support engineer.
    Support {
        #[command(subcommand)]
        command: super::support::SupportCommand,
    },
    /// Retention: remove plan bodies, outbox payloads and run items older than a period,
    /// keeping id maps and run summaries.
    Purge(super::support::PurgeArgs),
    /// The store itself.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Vault utilities.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
}

/// `ledgerlink store ...`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy everything in a SQLite store into a new, empty database (PostgreSQL, or another
    /// SQLite file), in one transaction, and verify every table (row count and SHA-256 of
    /// its rows read back). Vault entries are copied sealed: the same key opens them.
    Copy {
        /// The store to read: sqlite:PATH.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The new, empty database: postgres://USER@HOST:PORT/DATABASE or sqlite:PATH.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// `ledgerlink vault ...`
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Print a new random key for the encrypted file vault (for LEDGERLINK_VAULT_KEY or a
    /// 0600 key file named by LEDGERLINK_VAULT_KEY_FILE).
    InitKey,
    /// Re-encrypt every vault entry under a new key, all or nothing (the file vault, or the
    /// vault in the database with LEDGERLINK_VAULT=database). The current key is the one
    /// configured as usual; afterwards give every ledgerlink process the new one.
    RotateKey {
        /// A 0600 file holding the new key (from `ledgerlink vault init-key`); without it
        /// the new key is read from LEDGERLINK_NEW_VAULT_KEY.
        #[arg(long, value_name = "PATH")]
        new_key_file: Option<std::path::PathBuf>,
    },
}

/// `ledgerlink connect <name>`
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The connection.
    pub name: String,
    /// Print the authorization URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// The organisation to use when the authorization covers several (id or name).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

/// `ledgerlink connections ...`
#[derive(Debug, Subcommand)]
pub enum ConnectionsCommand {
    /// Add a connection. OAuth client id: --client-id or LEDGERLINK_CLIENT_ID; client secret:
    /// LEDGERLINK_CLIENT_SECRET (stored in the vault, never in plain config).
    Add {
        /// Name, e.g. "acme-xero".
        name: String,
        /// Connector plugin name, e.g. "xero".
        #[arg(long)]
        connector: String,
        /// A setting, KEY=VALUE (repeatable).
        #[arg(long, value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// OAuth client id.
        #[arg(long)]
        client_id: Option<String>,
        /// Route the connector's vendor origins to a running `ledgerlink sandbox` at this URL.
        #[arg(long, value_name = "URL")]
        sandbox: Option<String>,
        /// Route one origin elsewhere, ORIGIN=URL (repeatable).
        #[arg(long, value_name = "ORIGIN=URL")]
        route: Vec<String>,
    },
    /// List connections with their health and token expiry.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one connection.
    Show {
        /// The connection.
        name: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove a connection: revoke its access at the vendor, delete its credentials.
    Remove {
        /// The connection.
        name: String,
    },
    /// Change (KEY=VALUE) or clear (KEY=) non-secret settings of a connection, e.g.
    /// `customer-matching=name+email`.
    Set {
        /// The connection.
        name: String,
        /// KEY=VALUE pairs; an empty value clears the setting.
        #[arg(value_name = "KEY=VALUE", required = true)]
        settings: Vec<String>,
    },
    /// Store the API key of a connection (from LEDGERLINK_API_KEY or standard input).
    SetKey {
        /// The connection.
        name: String,
    },
    /// Run the connector's check against the vendor (refreshing credentials as needed).
    Check {
        /// The connection.
        name: String,
        /// How many times to run it.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
    /// Move a connection to the current version of its connector. A connection runs the
    /// exact component it was made with until this is run; it shows what changes in the
    /// manifest (allowed hosts, auth endpoints, scopes, capabilities) and asks first.
    Upgrade {
        /// The connection.
        name: String,
        /// Upgrade without asking (for scripts; without it, standard input must be a terminal).
        #[arg(long)]
        yes: bool,
    },
}

/// `ledgerlink plugins ...`
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the built-in and installed plugins: origin, version, sha256, status (broken or
    /// refused ones say why) and the connections that run each.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Install a connector plugin (.wasm): it is checked (a component for this contract, a
    /// manifest that answers within 2 s, not a built-in connector's name) and kept in the data
    /// folder by content. New connections get it; existing ones keep their version until
    /// `ledgerlink connections upgrade`.
    Install {
        /// The .wasm component.
        file: PathBuf,
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

/// What a compare is about.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Entity {
    /// Customers.
    Customers,
    /// Job invoices (Compare Jobs): closed jobs with both Ready-for-Invoice flags.
    JobInvoices,
    /// Contract invoices (Compare Contracts): generated, with both flags.
    ContractInvoices,
    /// Orders: jobs still open, for connectors that take them (`push-orders`).
    Orders,
}

/// `ledgerlink compare <entity> --connection <name>`
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// What to compare.
    #[arg(value_enum)]
    pub entity: Entity,
    /// The connection.
    #[arg(long)]
    pub connection: String,
    /// Compare for a transfer from the target into Tracker Pro (default: Tracker Pro → target).
    #[arg(long)]
    pub pull: bool,
    /// With --pull: read only the target's records changed since the last complete pull
    /// (its watermark), instead of all of them.
    #[arg(long, requires = "pull")]
    pub delta: bool,
    /// Invoices: who numbers them (as for push-invoices).
    #[arg(long, value_enum, default_value_t = Numbering::Keep)]
    pub numbering: Numbering,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `ledgerlink sync --plan <id> ...`
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The plan (from `ledgerlink compare`).
    #[arg(long)]
    pub plan: i64,
    /// Apply these rows: comma-separated Tracker Pro keys (or target ids for a pull).
    #[arg(long, value_name = "KEYS")]
    pub select: Option<String>,
    /// Apply every Add and Update (never a Conflict).
    #[arg(long)]
    pub all: bool,
    /// Apply every Add.
    #[arg(long)]
    pub all_adds: bool,
    /// Apply every Update.
    #[arg(long)]
    pub all_updates: bool,
    /// Demo: apply only the first N of the selected rows. A later run of a new compare
    /// applies the rest without duplicating these.
    #[arg(long, value_name = "N")]
    pub demo: Option<usize>,
    /// Report what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `ledgerlink runs ...`
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Every run, newest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete from the target what a run created, newest first.
    Rollback {
        /// The run.
        id: i64,
    },
    /// One run, record by record.
    Show {
        /// The run.
        id: i64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Print the skipped and failed records as CSV.
        #[arg(long)]
        csv: bool,
    },
}

/// `ledgerlink reviews ...`
#[derive(Debug, Subcommand)]
pub enum ReviewsCommand {
    /// Every review item, open and decided.
    List {
        /// Only this connection's.
        #[arg(long)]
        connection: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Decide a review item; the next push applies the decision.
    Resolve {
        /// The connection.
        #[arg(long)]
        connection: String,
        /// The Tracker Pro customer's key (the TRACKER PRO column of `reviews list`).
        key: String,
        /// Link it to this target customer (its id; may be left out when the item has one
        /// candidate).
        #[arg(long, num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["create", "skip"])]
        link: Option<String>,
        /// Create a new customer in the target for it.
        #[arg(long, conflicts_with = "skip")]
        create: bool,
        /// Leave it (and its invoices) out.
        #[arg(long)]
        skip: bool,
    },
}

/// Where `ledgerlink quickstart` transfers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QuickstartTarget {
    /// Xero (the sandbox's Demo Company (NZ)).
    Xero,
    /// QuickBooks Online (the sandbox company).
    Quickbooks,
    /// The built-in CSV connector (files in <data-dir>/connections/quickstart).
    Csv,
    /// The built-in Salesorder connector: upload-template workbooks to upload in Salesorder.
    Salesorder,
    /// The built-in OrderTrac web connector: an import package for OrderTrac's migration
    /// service (preview environment).
    Ordertrac,
}

/// Who numbers pushed invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Numbering {
    /// Keep Tracker Pro's document numbers.
    Keep,
    /// Let the target number them.
    Target,
}

/// Which invoices.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InvoiceKindArg {
    /// Job invoices.
    Job,
    /// Contract (service) invoices.
    Contract,
    /// Orders: jobs still open (a sales order, a quote), for connectors that take them
    /// (`push-orders` in their manifest).
    Order,
}

/// `ledgerlink push-invoices --connection <name> --kind job|contract`
#[derive(Debug, clap::Args)]
pub struct PushInvoicesArgs {
    /// The connection.
    #[arg(long)]
    pub connection: String,
    /// Job or contract invoices.
    #[arg(long, value_enum)]
    pub kind: InvoiceKindArg,
    /// Demo: send only the first N due invoices (with the customers they need). A later
    /// full run sends the rest without duplicating these.
    #[arg(long, value_name = "N")]
    pub demo: Option<usize>,
    /// Invoice numbers: `keep` sends Tracker Pro's numbers (the default); `target` leaves
    /// numbering to the accounting system (its next number in sequence). With `target`, an
    /// interrupted push is resolved by the idempotency key alone.
    #[arg(long, value_enum, default_value_t = Numbering::Keep)]
    pub numbering: Numbering,
    /// List what would be sent; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `ledgerlink sandbox <command>`: offline checks next to the emulators.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Check a folder of Salesorder upload workbooks as Salesorder's import would: print
    /// what it would accept and refuse (file, sheet, row); exit 1 when anything is refused.
    SalesorderCheck {
        /// The folder (a Salesorder connection's files folder).
        dir: PathBuf,
    },
    /// Check an OrderTrac import package as OrderTrac's migration would: recompute every
    /// line's tax, check totals, adjustment lines, references and customers; exit 1 when
    /// anything is refused. With --write-exports, also write the CSV reports an OrderTrac
    /// account holding the package would show into DIR/exports/ (for reconciliation).
    OrdertracCheck {
        /// The folder (an OrderTrac connection's files folder).
        dir: PathBuf,
        /// Write the sales-order and customers reports into DIR/exports/.
        #[arg(long)]
        write_exports: bool,
        /// With --write-exports: REFERENCE=STATUS for a document whose report status is not
        /// Open (e.g. J5001=Completed); repeatable.
        #[arg(long = "status", value_name = "REFERENCE=STATUS")]
        statuses: Vec<String>,
    },
}
