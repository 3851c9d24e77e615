//! `ledgerlink serve`, `ledgerlink users`, `ledgerlink tokens`: parse, call the library's
//! server and account store, print.

use std::io::{BufRead as _, IsTerminal as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;
use ledgerlink::server::{self, ServeOptions, WorkOptions, passwords};
use ledgerlink::store::accounts::{Accounts, Role, SessionLimits};

use super::{Env, table};

/// `ledgerlink serve`
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but a loopback address needs --tls-cert and --tls-key,
    /// or --insecure-http.
    #[arg(long, default_value = server::listen::DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// TLS certificate chain (PEM); serves HTTPS with --tls-key.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (only behind a proxy that terminates TLS).
    #[arg(long)]
    pub insecure_http: bool,
    /// Seconds a job's lease lasts without a heartbeat: how soon another `serve` process (or
    /// the next start) takes over a job whose process died.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECONDS")]
    pub job_lease: u64,
    /// Minutes without a request after which a browser session ends.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=1440), value_name = "MINUTES")]
    pub session_idle: i64,
    /// Hours after sign-in after which a browser session ends, however busy.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(i64).range(1..=168), value_name = "HOURS")]
    pub session_max: i64,
    /// The address browsers reach this server at, e.g. https://ledgerlink.example.com (behind
    /// a proxy, or listening on every interface). Its /oauth/callback is the redirect URL to
    /// register with each OAuth vendor. Default: the address it listens on.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<url::Url>,
    /// Serve the API only: run no jobs and fire no schedules here, and leave them to
    /// `ledgerlink worker` processes on the same data folder.
    #[arg(long)]
    pub no_jobs: bool,
    /// Retention: at start and once a day, remove plan bodies, outbox payloads and run items
    /// older than this (e.g. 90d, 12w), as `ledgerlink purge --older-than` does. Off unless
    /// given.
    #[arg(long, value_name = "PERIOD")]
    pub retention: Option<ledgerlink::store::retention::Period>,
}

/// `ledgerlink worker`
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Seconds a job's lease lasts without a heartbeat: how soon another process takes over a
    /// job whose process died.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECONDS")]
    pub job_lease: u64,
    /// Jobs this process runs at once; each connection still runs one job at a time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64), value_name = "N")]
    pub concurrency: u64,
    /// Retention: at start and once a day, remove plan bodies, outbox payloads and run items
    /// older than this (e.g. 90d, 12w), as `ledgerlink purge --older-than` does. Off unless
    /// given.
    #[arg(long, value_name = "PERIOD")]
    pub retention: Option<ledgerlink::store::retention::Period>,
}

/// `ledgerlink users ...`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user of `ledgerlink serve`. The password is asked for (not echoed), or read as
    /// one line from standard input when that is not a terminal.
    Add {
        /// The sign-in name.
        name: String,
        /// admin: everything; operator: home book, compare, sync, runs, rollback, reports.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

/// A user's role.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    /// Everything.
    Admin,
    /// Not connections, credentials, plugins or users.
    Operator,
}

/// `ledgerlink tokens ...`
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a personal API token for a user; it is printed once and stored only hashed.
    Create {
        /// The user it acts as.
        #[arg(long)]
        user: String,
        /// What it is for (shown in `tokens list`).
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// List tokens (never their values).
    List,
    /// Revoke a token by its id.
    Revoke {
        /// The id `tokens list` shows.
        id: i64,
    },
}

pub async fn serve(env: &Env, args: ServeArgs) -> anyhow::Result<()> {
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(c), Some(k)) => Some((c, k)),
        _ => None,
    };
    let options = ServeOptions {
        listen: args.listen,
        tls,
        insecure_http: args.insecure_http,
        job_lease: Duration::from_secs(args.job_lease),
        sessions: SessionLimits {
            idle_secs: args.session_idle * 60,
            absolute_secs: args.session_max * 3600,
        },
        public_url: args.public_url,
        run_jobs: !args.no_jobs,
        retention: args.retention,
    };
    server::serve(env.services()?, env.runtime.clone(), options).await?;
    Ok(())
}

pub async fn worker(env: &Env, args: WorkerArgs) -> anyhow::Result<()> {
    let options = WorkOptions {
        job_lease: Duration::from_secs(args.job_lease),
        // At most 64 by the argument's range.
        concurrency: usize::try_from(args.concurrency).unwrap_or(1),
        retention: args.retention,
    };
    server::work(env.services()?, env.runtime.clone(), options).await?;
    Ok(())
}

fn accounts(env: &Env) -> anyhow::Result<Accounts> {
    env.accounts()
}

pub fn users(env: &Env, command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add { name, role } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Operator => Role::Operator,
            };
            let accounts = accounts(env)?;
            let password = read_password(&format!("Password for {name}: "))?;
            let hash = passwords::hash(&password)?;
            accounts.add_user(&name, role, &hash, "cli")?;
            println!("Added {} user {name}.", role.as_str());
            Ok(())
        }
    }
}

pub fn tokens(env: &Env, command: TokensCommand) -> anyhow::Result<()> {
    let accounts = accounts(env)?;
    match command {
        TokensCommand::Create { user, label } => {
            let user = accounts.user(&user)?;
            let token = passwords::random_secret("llk_")?;
            let id = accounts.add_token(&user, &passwords::digest(&token), &label)?;
            // The token goes to standard output alone, so a script can capture it.
            println!("{token}");
            eprintln!(
                "API token {id} for {} ({}): shown once, stored only hashed; send it as `Authorization: Bearer <token>`. Revoke it with `ledgerlink tokens revoke {id}`.",
                user.name,
                user.role.as_str()
            );
        }
        TokensCommand::List => {
            let mut t = table::new(&["ID", "USER", "LABEL", "CREATED", "REVOKED"]);
            for line in accounts.tokens()? {
                t.add_row(vec![
                    line.id.to_string(),
                    line.user,
                    line.label,
                    chrono::DateTime::from_timestamp(line.created_at, 0)
                        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default(),
                    if line.revoked { "yes" } else { "" }.to_owned(),
                ]);
            }
            println!("{t}");
        }
        TokensCommand::Revoke { id } => {
            if !accounts.revoke_token(id)? {
                bail!("there is no live API token {id}; `ledgerlink tokens list` shows them");
            }
            println!("Revoked API token {id}.");
        }
    }
    Ok(())
}

/// A password from the terminal (not echoed) or one line of standard input.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("{prompt}");
    }
    let _echo = terminal.then(EchoOff::new).flatten();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("could not read the password")?;
    if terminal {
        eprintln!();
    }
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given; type one at the prompt or pipe it to standard input");
    }
    Ok(password)
}

/// Terminal echo off while alive (Unix); restored on drop.
struct EchoOff {
    #[cfg(unix)]
    saved: libc::termios,
}

impl EchoOff {
    #[cfg(unix)]
    #[allow(unsafe_code)]
    fn new() -> Option<Self> {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed, then filled, termios struct
        // that lives on this stack frame; a failure is reported and leaves echo on.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(EchoOff { saved })
        }
    }

    #[cfg(not(unix))]
    fn new() -> Option<Self> {
        None
    }
}

impl Drop for EchoOff {
    #[cfg(unix)]
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: restores the attributes read in `new` on the same descriptor.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }

    #[cfg(not(unix))]
    fn drop(&mut self) {}
}
