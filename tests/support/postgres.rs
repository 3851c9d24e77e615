//! A fresh PostgreSQL database per end-to-end test, on the cluster
//! `LEDGERLINK_TEST_DATABASE_URL` names (`.ci/postgres-cluster` starts one), for the binary
//! to be pointed at with `LEDGERLINK_DATABASE_URL`. The library's own
//! `store::sql::testing` does the same for its unit tests but is not built for this crate.

use std::sync::atomic::{AtomicU32, Ordering};

use ledgerlink::store::sql::Db;

/// A fresh database on the test cluster, dropped with this.
pub struct TestDatabase {
    admin: String,
    name: String,
    /// Its URL, for `LEDGERLINK_DATABASE_URL`.
    pub url: String,
}

impl TestDatabase {
    /// `None` when `LEDGERLINK_TEST_DATABASE_URL` is unset (no cluster: the test says so
    /// and passes).
    pub fn fresh() -> Option<Self> {
        let admin = std::env::var("LEDGERLINK_TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "ll_e2e_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        Db::connect_postgres(&admin)
            .unwrap()
            .execute_batch(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        Some(Self {
            admin,
            name,
            url: url.to_string(),
        })
    }
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
