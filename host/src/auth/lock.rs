//! Single-flight per connection, across tasks of this process and across processes.
//!
//! An in-process async mutex per lock file keeps tasks from piling onto the blocking file
//! lock; the exclusive `flock` on `<data>/locks/<connection>.lock` excludes other processes.
//! Both are released when the guard drops.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use fs4::FileExt;
use tokio::sync::OwnedMutexGuard;

/// Held while a connection's credentials are being renewed.
#[derive(Debug)]
pub struct ConnectionLock {
    file: File,
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

/// Take the lock of `connection` in `locks_dir`, waiting as long as another holder needs.
pub async fn acquire(locks_dir: &Path, connection: &str) -> std::io::Result<ConnectionLock> {
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
    Ok(ConnectionLock {
        file,
        _local: local,
    })
}
