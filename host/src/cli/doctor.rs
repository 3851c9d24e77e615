//! `ledgerlink doctor`: how ledgerlink is set up on this machine, and what to fix.

use ledgerlink::auth::vault::{self, VaultPreference};
use ledgerlink::builtin;

use super::Env;

pub async fn run(env: &Env) -> anyhow::Result<()> {
    let mut problems = 0;
    println!("data folder: {}", env.data.root().display());
    // The URL's redacted form only: a PostgreSQL URL may carry a password.
    let database = env.database().redacted();
    let db = match env.store() {
        Ok(store) => {
            println!("database: {database} ({} connections)", store.list()?.len());
            let db = store.db();
            match db.transport() {
                Ok(t) => println!("database transport: {t}"),
                Err(e) => {
                    problems += 1;
                    println!("database transport: PROBLEM: {e}");
                }
            }
            Some(db)
        }
        Err(e) => {
            problems += 1;
            println!("database: {database}: PROBLEM: {e}");
            None
        }
    };
    // A vault outside the database is checked even when the database cannot be opened.
    let opened = VaultPreference::from_env().and_then(|p| match &db {
        Some(db) => vault::open(env.data.root(), db, p),
        None => vault::open_without_database(env.data.root(), p),
    });
    match opened {
        Ok(v) => println!("vault: {}", v.describe()),
        Err(vault::VaultError::DatabaseNotOpen) => {
            println!(
                "vault: not checked (LEDGERLINK_VAULT=database keeps it in the database, which could not be opened)"
            )
        }
        Err(e) => {
            problems += 1;
            println!("vault: PROBLEM: {e}");
        }
    }
    println!(
        "plugins: {} built-in ({}); installed ones go in {}",
        builtin::all().len(),
        builtin::all()
            .iter()
            .map(|b| b.name)
            .collect::<Vec<_>>()
            .join(", "),
        env.data.plugins().display()
    );
    println!(
        "compiled-plugin cache: {}",
        env.data.component_cache().display()
    );
    let limits = env.runtime.limits();
    println!(
        "plugin limits: {} per call, {} MiB memory",
        humantime::format_duration(limits.deadline),
        limits.memory_bytes / (1024 * 1024)
    );
    if problems > 0 {
        anyhow::bail!("{problems} problem(s) found; see above");
    }
    Ok(())
}
