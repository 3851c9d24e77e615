//! Command-line interface: argument parsing, dispatch, and how errors are shown.
//!
//! Every command returns `anyhow::Result`; `main` prints the error as one line per cause
//! (`error: ...` then `  caused by: ...`) and exits 1. No panics, no debug dumps.

mod args;
mod conformance;
mod connections;
mod connectors;
mod doctor;
mod home;
mod new_connector;
mod plans;
mod plugins;
mod progress;
mod quickstart;
mod reviews;
mod schedules;
mod serve;
mod support;
mod table;
mod transfers;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory as _, Parser as _};

use args::{Cli, Command, PluginsCommand, StoreCommand, VaultCommand};
use ledgerlink::auth::context::Services;
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{self, VaultPreference};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::{Limits, Runtime, RuntimeConfig};
use ledgerlink::store::DataDir;
use ledgerlink::store::accounts::Accounts;
use ledgerlink::store::connections::ConnectionStore;
use ledgerlink::store::engine::{self, DatabaseUrl};
use ledgerlink::store::sql::Db;
use ledgerlink::store::sync_state::SyncState;

/// Parse arguments, run the command, report errors.
pub fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // Read before anything is touched; taken out of `cli` so the URL as given (password
    // included) is held nowhere else. A bad URL is a usage error (exit 2), and clap's own
    // "invalid value" message would repeat the value, password and all.
    let database = match cli.database.take().as_deref().map(DatabaseUrl::parse) {
        None => None,
        Some(Ok(url)) => Some(url),
        Some(Err(e)) => Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, e)
            .exit(),
    };
    init_logging(cli.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli, database)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let top = e.to_string();
            eprintln!("error: {top}");
            // Library errors often repeat their cause in their own text; print only news.
            for cause in e.chain().skip(1).map(|c| c.to_string()) {
                if !top.contains(&cause) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,ledgerlink=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEDGERLINK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a server's log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// What every command needs: the data folder, a plugin runtime over it, and the database
/// (opened once, on first need: plugin commands and `vault init-key` never open it).
pub(crate) struct Env {
    pub data: DataDir,
    pub runtime: Runtime,
    database: DatabaseUrl,
    db: std::sync::OnceLock<Db>,
}

impl Env {
    /// Over `data` and `runtime`, keeping the store in `database`.
    pub fn with_database(data: DataDir, runtime: Runtime, database: DatabaseUrl) -> Self {
        Self {
            data,
            runtime,
            database,
            db: std::sync::OnceLock::new(),
        }
    }

    fn new(cli: &Cli, database: Option<DatabaseUrl>) -> anyhow::Result<Self> {
        let data = DataDir::resolve(cli.data_dir.as_deref())?;
        let database = database.unwrap_or_else(|| DatabaseUrl::Sqlite(data.database()));
        let limits = Limits {
            deadline: std::time::Duration::from_secs_f64(cli.deadline),
            max_pacing_wait: std::time::Duration::from_secs_f64(cli.max_pacing_wait),
            memory_bytes: usize::try_from(cli.memory_mib.saturating_mul(1024 * 1024))
                .unwrap_or(usize::MAX),
            log_lines: cli.plugin_log_lines,
            log_bytes: usize::try_from(u64::from(cli.plugin_log_kib) * 1024).unwrap_or(usize::MAX),
        };
        let runtime = Runtime::new(RuntimeConfig {
            limits,
            cache_dir: Some(data.component_cache()),
        })
        .context("could not start the plugin runtime")?;
        Ok(Self::with_database(data, runtime, database))
    }

    /// The database URL, for messages: [`DatabaseUrl::redacted`].
    pub fn database(&self) -> &DatabaseUrl {
        &self.database
    }

    /// The process's one handle on the database, opened (and migrated) on first use; every
    /// store of the command is made over it with `from_db`.
    pub fn db(&self) -> anyhow::Result<Db> {
        if let Some(db) = self.db.get() {
            return Ok(db.clone());
        }
        // Its errors name the database already (the file, or user@host:port/database).
        let db = engine::open(&self.database)?;
        // Were two callers to race here (no command does), each would open one and the
        // first kept is the one every store shares; the other is dropped at once.
        Ok(self.db.get_or_init(|| db).clone())
    }

    /// The connections table.
    pub fn store(&self) -> anyhow::Result<ConnectionStore> {
        Ok(ConnectionStore::from_db(self.db()?))
    }

    /// The sync state (runs, plans, id map, outbox, audit).
    pub fn sync_state(&self) -> anyhow::Result<SyncState> {
        Ok(SyncState::from_db(self.db()?))
    }

    /// Users, sessions, tokens and support grants (SQLite only until they are ported).
    pub fn accounts(&self) -> anyhow::Result<Accounts> {
        Ok(Accounts::from_db(self.db()?))
    }

    /// Store, vault and the rest, for commands that run connections. The vault is opened
    /// when a secret is first needed, so a connection without credentials (csv) never needs
    /// a keychain or a vault key.
    pub fn services(&self) -> anyhow::Result<Services> {
        let preference = VaultPreference::from_env()?;
        let store = self.store()?;
        let vault = std::sync::Arc::new(vault::LazyVault::new(
            self.data.root(),
            store.db(),
            preference,
        ));
        Ok(Services {
            data: self.data.clone(),
            store,
            vault,
            clock: std::sync::Arc::new(ledgerlink::runtime::SystemClock),
            http_limits: http_limits()?,
            refresh: RefreshPolicy::default(),
            pacers: Default::default(),
        })
    }
}

/// Outbound HTTP limits; `LEDGERLINK_RATE_LIMIT_SCALE` divides the vendors' rate-limit
/// windows, for a sandbox running its limits on a shortened time scale (never for a real
/// vendor).
fn http_limits() -> anyhow::Result<HttpLimits> {
    let mut limits = HttpLimits::default();
    if let Ok(scale) = std::env::var("LEDGERLINK_RATE_LIMIT_SCALE") {
        limits.rate_limit_scale = scale.trim().parse().ok().filter(|s| *s >= 1).ok_or_else(|| {
            anyhow::anyhow!(
                "LEDGERLINK_RATE_LIMIT_SCALE is {scale:?}; it must be a whole number of at least 1 (1 = the vendors' real limits)"
            )
        })?;
    }
    Ok(limits)
}

async fn run(cli: Cli, database: Option<DatabaseUrl>) -> anyhow::Result<()> {
    // Writing a crate needs no data folder and no plugin runtime.
    if let Command::New { command } = &cli.command {
        return new_connector::run(command);
    }
    let env = Env::new(&cli, database)?;
    match cli.command {
        Command::Quickstart {
            target,
            serve,
            listen,
        } => quickstart::run(&env, target, serve.then_some(listen)).await,
        Command::Connections { command } => connections::run(&env, command).await,
        Command::Connect(args) => connections::connect(&env, args).await,
        Command::Sandbox { port, command } => sandbox(port, command).await,
        Command::Doctor => doctor::run(&env).await,
        Command::Home { command } => home::run(&env, command),
        Command::Compare(args) => transfers::compare(&env, args).await,
        Command::Sync(args) => transfers::sync(&env, args).await,
        Command::Runs { command } => transfers::runs(&env, command).await,
        Command::PushInvoices(args) => transfers::push_invoices(&env, args).await,
        Command::Audit { json } => transfers::audit(&env, json),
        Command::Serve(args) => serve::serve(&env, args).await,
        Command::Worker(args) => serve::worker(&env, args).await,
        Command::Users { command } => serve::users(&env, command),
        Command::Tokens { command } => serve::tokens(&env, command),
        Command::Schedules { command } => schedules::run(&env, command),
        Command::Support { command } => support::support(&env, command),
        Command::Purge(args) => support::purge(&env, args),
        Command::Plans { command } => plans::run(&env, command),
        Command::Reviews { command } => reviews::run(&env, command),
        Command::Conformance(args) => conformance::run(&env, args).await,
        Command::New { command } => new_connector::run(&command),
        Command::Vault {
            command: VaultCommand::InitKey,
        } => {
            println!("{}", vault::generate_key()?);
            Ok(())
        }
        Command::Store {
            command: StoreCommand::Copy { from, to },
        } => copy_store(&from, &to),
        Command::Vault {
            command: VaultCommand::RotateKey { new_key_file },
        } => rotate_vault_key(&env, new_key_file.as_deref()),
        Command::Plugins { command } => match command {
            PluginsCommand::List { json } => plugins::list(&env, json).await,
            PluginsCommand::Install { file } => plugins::install(&env, &file).await,
            PluginsCommand::Inspect { plugin, json } => plugins::inspect(&env, &plugin, json).await,
        },
    }
}

async fn sandbox(port: u16, command: Option<args::SandboxCommand>) -> anyhow::Result<()> {
    use ledgerlink_sandbox::{SandboxConfig, SandboxHandle};
    if let Some(args::SandboxCommand::SalesorderCheck { dir }) = command {
        let report = ledgerlink_sandbox::salesorder_check::check_dir(&dir)?;
        println!("{report}");
        if !report.accepted() {
            anyhow::bail!(
                "Salesorder's import would refuse {} thing(s) in {}",
                report.refusals.len(),
                dir.display()
            );
        }
        return Ok(());
    }
    if let Some(args::SandboxCommand::OrdertracCheck {
        dir,
        write_exports,
        statuses,
    }) = command
    {
        use ledgerlink_sandbox::ordertrac_check;
        let report = ordertrac_check::check_dir(&dir)?;
        println!("{report}");
        if !report.accepted() {
            anyhow::bail!(
                "OrderTrac's migration would refuse {} thing(s) in {}",
                report.refusals.len(),
                dir.display()
            );
        }
        if write_exports {
            let statuses: Vec<(String, String)> = statuses
                .iter()
                .map(|s| {
                    s.split_once('=')
                        .map(|(r, v)| (r.trim().to_owned(), v.trim().to_owned()))
                        .with_context(|| format!("--status {s:?} is not REFERENCE=STATUS"))
                })
                .collect::<anyhow::Result<_>>()?;
            let out = dir.join("exports");
            ordertrac_check::export::write_exports(&report, &out, &statuses)?;
            println!(
                "Wrote {} and {} into {}",
                ordertrac_check::export::ORDERS_EXPORT,
                ordertrac_check::export::CUSTOMERS_EXPORT,
                out.display()
            );
        }
        return Ok(());
    }
    let mut handle = SandboxHandle::start(SandboxConfig { port })
        .await
        .with_context(|| format!("could not start the sandbox on 127.0.0.1:{port}"))?;
    println!("{}", handle.banner());
    println!(
        "Route a connection to it with `ledgerlink connections add <name> --connector <c> --sandbox {}`. Stop with Ctrl-C.",
        handle.base_url()
    );
    handle.wait().await.context("the sandbox stopped")?;
    Ok(())
}

/// The variable `vault rotate-key` reads the new key from when no file is named.
const ENV_NEW_VAULT_KEY: &str = "LEDGERLINK_NEW_VAULT_KEY";

/// `ledgerlink vault rotate-key`: every entry re-sealed under the new key, or none.
fn rotate_vault_key(env: &Env, new_key_file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let new = match new_key_file {
        Some(path) => vault::VaultKey::from_file(path)?,
        None => {
            let text = zeroize::Zeroizing::new(
                std::env::var(ENV_NEW_VAULT_KEY)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "no new vault key: pass --new-key-file PATH (a 0600 file holding the output of `ledgerlink vault init-key`) or set {ENV_NEW_VAULT_KEY}; nothing was changed"
                        )
                    })?,
            );
            vault::VaultKey::from_base64(&text, vault::KeySource::Supplied)?
        }
    };
    // Only the vault in the database opens the database: rotating a file vault's key
    // touches nothing else (and makes no store where there was none).
    let vault = match VaultPreference::from_env()? {
        VaultPreference::Database => {
            vault::open(env.data.root(), &env.db()?, VaultPreference::Database)?
        }
        other => vault::open_without_database(env.data.root(), other)?,
    };
    let count = vault.rotate_key(&new)?;
    println!(
        "re-encrypted {count} {} ({}); give every ledgerlink process the new key now: the old one no longer opens the vault",
        if count == 1 { "entry" } else { "entries" },
        vault.describe()
    );
    Ok(())
}

/// `ledgerlink store copy`: everything from a SQLite store into a new, empty database.
fn copy_store(from: &str, to: &str) -> anyhow::Result<()> {
    let from = engine::DatabaseUrl::parse(from)?;
    let to = engine::DatabaseUrl::parse(to)?;
    let source = engine::open(&from)?;
    let target = engine::open(&to)?;
    let tables = ledgerlink::store::copy::copy(&source, &target)?;
    let rows: i64 = tables.iter().map(|t| t.rows).sum();
    for t in &tables {
        println!(
            "  {:<28} {:>9} row(s)  sha256 {}",
            t.table,
            t.rows,
            &t.sha256[..16]
        );
    }
    println!(
        "Copied {} tables, {rows} row(s), from {} to {}; every table verified (row count and SHA-256 read back from the target).",
        tables.len(),
        from.redacted(),
        to.redacted()
    );
    Ok(())
}
