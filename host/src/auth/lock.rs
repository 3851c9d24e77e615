//! Single-flight per connection, across tasks of this process, across processes and across
//! hosts.
//!
//! An in-process async mutex per lock file keeps tasks from piling onto the blocking file
//! lock; the exclusive `flock` on `<data>/locks/<connection>.lock` excludes other processes
//! on this machine; when the store is PostgreSQL, an advisory lock on the database
//! ([`crate::store::advisory`]) excludes every process on every host sharing it. All are
//! released when the guard drops (and the advisory lock by PostgreSQL when a process dies).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use fs4::FileExt;
use tokio::sync::OwnedMutexGuard;

use crate::store::advisory::{self, AdvisoryLock};
use crate::store::sql::Db;

/// The advisory lock namespace of token refreshes.
const REFRESH_LOCKS: &str = "token-refresh";

/// Held while a connection's credentials are being renewed.
#[derive(Debug)]
pub struct ConnectionLock {
    file: File,
    _shared: AdvisoryLock,
    _local: OwnedMutexGuard<()>,
}

impl Drop for ConnectionLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it immediate.
        let _ = FileExt::unlock(&self.file);
    }
}

fn local_mutex(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let map = LOCKS.get_or_init(Default::default);
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(path.to_path_buf()).or_default().clone()
}

/// Take the lock of `connection` in `locks_dir` and in the store's database `db`, waiting
/// as long as another holder needs.
pub async fn acquire(
    locks_dir: &Path,
    db: &Db,
    connection: &str,
) -> std::io::Result<ConnectionLock> {
    std::fs::create_dir_all(locks_dir)?;
    let path = locks_dir.join(format!("{connection}.lock"));
    let local = local_mutex(&path).lock_owned().await;
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        FileExt::lock(&file)?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)??;
    let shared = AdvisoryLock::acquire(db, advisory::key(REFRESH_LOCKS, connection))
        .await
        .map_err(std::io::Error::other)?;
    Ok(ConnectionLock {
        file,
        _shared: shared,
        _local: local,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;
    use crate::store::engine::{self, DatabaseUrl};
    use crate::store::sql::testing;

    /// Two hosts (their own lock folders, their own connections) sharing one PostgreSQL
    /// database: the second waits until the first lets go.
    #[tokio::test]
    async fn two_hosts_on_one_database_take_turns() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let open = || engine::open(&DatabaseUrl::parse(pg.url()).unwrap()).unwrap();
        let (db_a, db_b) = (open(), open());
        let (host_a, host_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = acquire(host_a.path(), &db_a, "acme-xero").await.unwrap();
        let dir_b = host_b.path().to_path_buf();
        let waiting = tokio::spawn(async move {
            let lock = acquire(&dir_b, &db_b, "acme-xero").await.unwrap();
            drop(lock);
            std::time::Instant::now()
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "the second host got the lock while the first held it"
        );
        let released = std::time::Instant::now();
        drop(first);
        let got = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .unwrap()
            .unwrap();
        assert!(got >= released);
        // Another connection's lock was never in the way.
        let other = acquire(host_a.path(), &db_a, "kea-qbo").await.unwrap();
        drop(other);
    }
}
