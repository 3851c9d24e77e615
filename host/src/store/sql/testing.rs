//! A fresh PostgreSQL database per test, on the cluster `LEDGERLINK_TEST_DATABASE_URL` names
//! (`.ci/postgres-cluster` starts one and sets it). Unset: no PostgreSQL, and the tests run
//! on SQLite only.

use std::sync::atomic::{AtomicU32, Ordering};

use super::Db;

/// The variable naming the test cluster (a database on it to connect to first).
pub const VARIABLE: &str = "LEDGERLINK_TEST_DATABASE_URL";

/// A database made for one test; dropped (with any connection still on it) when this is.
#[derive(Debug)]
pub struct TestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A new, empty database on the test cluster, or `None` when [`VARIABLE`] is unset.
pub fn fresh_postgres() -> Option<TestDatabase> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var(VARIABLE).ok().filter(|v| !v.is_empty())?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "ll_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let db = Db::connect_postgres(&admin).expect("connects to the test cluster");
    db.execute_batch(&format!("CREATE DATABASE {name}"))
        .expect("creates a test database");
    let mut url = url::Url::parse(&admin).expect("the test cluster's URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(TestDatabase {
        admin,
        name,
        url: url.to_string(),
    })
}

/// Say that a test that runs on both engines ran on SQLite only.
pub fn sqlite_only() {
    println!("{VARIABLE} is not set: ran on SQLite only");
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(db) = Db::connect_postgres(&self.admin) {
            let _ = db.execute_batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
