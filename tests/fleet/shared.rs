//! What the fleet scale test (tests/fleet.rs) and the workers benchmark
//! (host/benches/workers.rs, which includes this file by path) share: the home book (USD and
//! untaxed, so one book goes into every sandbox organisation: Xero NZ with USD added, Xero
//! US, QuickBooks) and the services that connect connections into the database vault.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use ledgerlink::auth::context::Services;
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{self, VaultPreference};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::SystemClock;
use ledgerlink::store::DataDir;
use ledgerlink::store::connections::ConnectionStore;
use ledgerlink::store::engine::{self, DatabaseUrl};
use serde_json::{Value, json};

/// The variable the vault key is read from.
pub const VAULT_KEY: &str = "LEDGERLINK_VAULT_KEY";

/// The data folder of process `process` below `root` (each process of the fleet its own,
/// as on its own host), made if missing.
pub fn process_data(root: &Path, process: &str) -> std::path::PathBuf {
    let data = root.join(process);
    std::fs::create_dir_all(&data).unwrap();
    data
}

/// The `ledgerlink` binary as process `process` of a fleet runs it: its own data folder
/// below `root`, the store at `url`, the database vault sealed by `key`, pacing at
/// `scale` (the sandbox's time scale).
pub fn fleet_command(
    root: &Path,
    process: &str,
    url: &str,
    key: &str,
    scale: u32,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ledgerlink"));
    cmd.env("LEDGERLINK_DATA_DIR", process_data(root, process))
        .env("LEDGERLINK_DATABASE_URL", url)
        .env("LEDGERLINK_VAULT", "database")
        .env(VAULT_KEY, key)
        .env("LEDGERLINK_RATE_LIMIT_SCALE", scale.to_string())
        .env_remove("LEDGERLINK_LOG");
    cmd
}

/// Services over the store at `url` with the database vault sealed by `key` (as every
/// process of the fleet opens it), `data` their data folder: for connecting connections in
/// process.
pub fn database_services(data: &Path, url: &str, key: &str) -> Services {
    let db = engine::open(&DatabaseUrl::parse(url).unwrap()).unwrap();
    let key = key.to_owned();
    Services {
        data: DataDir::new(data),
        vault: vault::open_with_env(data, &db, VaultPreference::Database, &move |name| {
            (name == VAULT_KEY).then(|| key.clone())
        })
        .unwrap(),
        store: ConnectionStore::from_db(db),
        clock: Arc::new(SystemClock),
        http_limits: HttpLimits::default(),
        refresh: RefreshPolicy::default(),
        pacers: Default::default(),
    }
}

/// A home book: `customers` flagged customers (named by [`customer_name`]), `jobs` closed
/// ready jobs of one untaxed USD line each, numbered by [`job_number`].
pub fn book(customers: usize, jobs: usize) -> String {
    let customers_json: Vec<Value> = (0..customers)
        .map(|c| {
            json!({"id": format!("C{c}"), "name": customer_name(c),
                   "email": format!("c{c}@fleet.example"), "currency": "USD",
                   "flagged_for_integration": true})
        })
        .collect();
    let jobs_json: Vec<Value> = (0..jobs)
        .map(|j| {
            let cents = 1000 + (j as i64 * 37) % 9000;
            let amount = format!("{}.{:02}", cents / 100, cents % 100);
            json!({
                "id": format!("JOB{j}"), "number": job_number(j),
                "customer_id": format!("C{}", j % customers), "status": "closed",
                "ready_for_invoice_1": true, "ready_for_invoice_2": true,
                "invoice_date": "2026-11-20", "currency": "USD", "tax_mode": "none",
                "subtotal": amount, "tax_total": "0", "total": amount,
                "lines": [{"description": "Service call", "quantity": "1",
                           "unit_price": amount, "amount": amount, "account_code": "200"}],
            })
        })
        .collect();
    json!({"version": 1, "customers": customers_json, "jobs": jobs_json}).to_string()
}

/// The name of customer `c` of [`book`].
pub fn customer_name(c: usize) -> String {
    format!("Fleet Customer {c}")
}

/// The number of job `j` of [`book`].
pub fn job_number(j: usize) -> String {
    format!("J{}", 100_001 + j)
}
