//! `ledgerlink support` (time-limited support access) and `ledgerlink purge` (retention):
//! parse, call the library ([`ledgerlink::server::support`], [`ledgerlink::store::sync_state::SyncState::purge`]), print.

use anyhow::Context as _;
use clap::Subcommand;
use ledgerlink::server::support;
use ledgerlink::store::accounts::MAX_SUPPORT_DAYS;
use ledgerlink::store::retention::Period;

use super::{Env, table};

/// `ledgerlink support ...`
#[derive(Debug, Subcommand)]
pub enum SupportCommand {
    /// Grant a vendor's support engineer read-only access to runs, plans, jobs and the audit log for
    /// N days (never connections, credentials, settings, users, tokens or plugins, and no
    /// change). Prints the support user's API token once (and, with --with-password, a
    /// sign-in password); every request it makes is audited.
    Grant {
        /// How many days the access lasts (1 to 90).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=MAX_SUPPORT_DAYS))]
        days: i64,
        /// The support user's name (default: support-<grant id>).
        #[arg(long)]
        name: Option<String>,
        /// Also make a sign-in password (for a browser session).
        #[arg(long)]
        with_password: bool,
    },
    /// List support grants with their expiry and status.
    List,
    /// Revoke a support grant at once: its sessions end and its token stops working.
    Revoke {
        /// The id `support list` shows.
        id: i64,
    },
}

/// `ledgerlink purge`
#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    /// Remove plan bodies, outbox payloads and run items older than this: a whole number and
    /// a unit, h, d or w (e.g. 90d, 12w); at least a day.
    #[arg(long, value_name = "PERIOD")]
    pub older_than: Period,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn support(env: &Env, command: SupportCommand) -> anyhow::Result<()> {
    let accounts = env.accounts()?;
    match command {
        SupportCommand::Grant {
            days,
            name,
            with_password,
        } => {
            let granted = support::grant(&accounts, days, name.as_deref(), with_password, "cli")?;
            let g = &granted.grant;
            // The secrets go to standard output alone (token first), so a script can
            // capture them; what they are goes to standard error.
            println!("{}", granted.token);
            if let Some(password) = &granted.password {
                println!("{password}");
            }
            eprintln!(
                "Support grant {} for user {}: read-only (runs, plans, jobs, audit log) until {}. Above: its API token{}, shown once and stored only hashed; send it as `Authorization: Bearer <token>`. Revoke it with `ledgerlink support revoke {}`.",
                g.id,
                g.name,
                time(g.expires_at),
                if granted.password.is_some() {
                    ", then its sign-in password"
                } else {
                    ""
                },
                g.id
            );
        }
        SupportCommand::List => {
            let now = chrono::Utc::now().timestamp();
            let mut t = table::new(&["ID", "USER", "GRANTED BY", "CREATED", "EXPIRES", "STATUS"]);
            for g in accounts.support_grants()? {
                t.add_row(vec![
                    g.id.to_string(),
                    g.name.clone(),
                    g.granted_by.clone(),
                    time(g.created_at),
                    time(g.expires_at),
                    g.status(now).to_owned(),
                ]);
            }
            println!("{t}");
        }
        SupportCommand::Revoke { id } => {
            let g = accounts.revoke_support(id, "cli")?;
            println!(
                "Revoked support grant {id} (user {}): its sessions ended and its token stopped working.",
                g.name
            );
        }
    }
    Ok(())
}

pub fn purge(env: &Env, args: PurgeArgs) -> anyhow::Result<()> {
    let state = env.sync_state()?;
    let purged = state
        .purge(args.older_than, args.dry_run, "cli")
        .with_context(|| format!("could not purge what is older than {}", args.older_than))?;
    println!(
        "{} older than {}{}:",
        if args.dry_run {
            "Would remove what is"
        } else {
            "Removed what is"
        },
        args.older_than,
        if args.dry_run {
            " (dry run: nothing was changed)"
        } else {
            ""
        }
    );
    let mut t = table::new(&["KIND", "COUNT"]);
    t.add_row(vec![
        "plan bodies".to_owned(),
        purged.plan_bodies.to_string(),
    ]);
    t.add_row(vec![
        "outbox payloads".to_owned(),
        purged.outbox_payloads.to_string(),
    ]);
    t.add_row(vec!["run items".to_owned(), purged.run_items.to_string()]);
    t.add_row(vec![
        "runs (summaries kept)".to_owned(),
        purged.runs.to_string(),
    ]);
    println!("{t}");
    println!("Id maps, run summaries and unsettled outbox intents are kept.");
    Ok(())
}
