//! Locks that hold across every process on every host sharing the database: PostgreSQL's
//! session-level advisory locks (issue 21: token refresh single-flight across hosts).
//!
//! A lock is taken with `pg_try_advisory_lock`, which never blocks the connection — the
//! process shares one connection between its tasks, and a blocking wait would stall all of
//! them — and released with `pg_advisory_unlock` when the guard drops, or by PostgreSQL
//! itself when the session ends (a killed process never leaves one held). Session locks
//! are re-entrant within a session, so callers keep an in-process mutex per key too
//! (`auth::lock` does). On SQLite there is nothing to take: the database is one file on one
//! machine, where `auth::lock`'s file lock already excludes other processes.

use sha2::{Digest, Sha256};

use super::sql::{self, Db, Engine, Value};

/// A held advisory lock; released on drop.
#[derive(Debug)]
pub struct AdvisoryLock {
    db: Db,
    key: i64,
}

/// The lock key of `name` in `namespace`: the first 8 bytes of SHA-256 of both, so keys
/// are stable across processes, versions and hosts.
pub fn key(namespace: &str, name: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(namespace.as_bytes())
        .chain_update([0u8])
        .chain_update(name.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

impl AdvisoryLock {
    /// Take the lock `key` if no other session holds it: `Ok(None)` when one does. On
    /// SQLite always `Ok(Some(..))` (see the module's doc).
    pub fn try_acquire(db: &Db, key: i64) -> Result<Option<Self>, sql::Error> {
        if db.engine() == Engine::Postgres {
            let got = db
                .query_one(
                    "SELECT CAST(CASE WHEN pg_try_advisory_lock(?1) THEN 1 ELSE 0 END AS BIGINT)",
                    &[Value::Int(key)],
                )?
                .i64(0)?;
            if got == 0 {
                return Ok(None);
            }
        }
        Ok(Some(Self {
            db: db.clone(),
            key,
        }))
    }

    /// Wait (polling every 50 ms, never blocking the shared connection) until the lock is
    /// free, then take it.
    pub async fn acquire(db: &Db, key: i64) -> Result<Self, sql::Error> {
        loop {
            if let Some(lock) = Self::try_acquire(db, key)? {
                return Ok(lock);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        if self.db.engine() == Engine::Postgres {
            // A failed unlock (the connection is gone) needs nothing: the session's end
            // released it.
            let _ = self
                .db
                .execute("SELECT pg_advisory_unlock(?1)", &[Value::Int(self.key)]);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::engine::{self, DatabaseUrl};
    use crate::store::sql::testing;

    #[test]
    fn keys_are_stable_and_distinct() {
        assert_eq!(
            key("token-refresh", "acme-xero"),
            key("token-refresh", "acme-xero")
        );
        assert_ne!(
            key("token-refresh", "acme-xero"),
            key("token-refresh", "acme-xer0")
        );
        assert_ne!(key("token-refresh", "a"), key("token-refresha", ""));
    }

    #[test]
    fn one_session_at_a_time_and_released_on_drop_or_when_the_session_ends() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let open = || engine::open(&DatabaseUrl::parse(pg.url()).unwrap()).unwrap();
        let (host_a, host_b) = (open(), open());
        let k = key("token-refresh", "acme-xero");
        let held = AdvisoryLock::try_acquire(&host_a, k).unwrap().unwrap();
        assert!(AdvisoryLock::try_acquire(&host_b, k).unwrap().is_none());
        // Another key is free.
        assert!(
            AdvisoryLock::try_acquire(&host_b, key("token-refresh", "kea-qbo"))
                .unwrap()
                .is_some()
        );
        drop(held);
        let again = AdvisoryLock::try_acquire(&host_b, k).unwrap().unwrap();
        assert!(AdvisoryLock::try_acquire(&host_a, k).unwrap().is_none());
        // A process that dies holding it: its session ends (here: ended by the server), and
        // the lock is free.
        let pid = host_b
            .query_one("SELECT CAST(pg_backend_pid() AS BIGINT)", &[])
            .unwrap()
            .i64(0)
            .unwrap();
        host_a
            .execute(
                "SELECT pg_terminate_backend(CAST(?1 AS INTEGER))",
                &[Value::Int(pid)],
            )
            .unwrap();
        drop(again);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if AdvisoryLock::try_acquire(&host_a, k).unwrap().is_some() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "never released");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn on_sqlite_there_is_nothing_to_take() {
        let tmp = tempfile::tempdir().unwrap();
        let db = engine::open(&DatabaseUrl::Sqlite(tmp.path().join("ledgerlink.db"))).unwrap();
        let a = AdvisoryLock::try_acquire(&db, 7).unwrap();
        let b = AdvisoryLock::try_acquire(&db, 7).unwrap();
        assert!(a.is_some() && b.is_some());
    }
}
