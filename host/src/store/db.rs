//! The SQLite database in the data folder: opening it (WAL, busy timeout) and migrations.
//!
//! Migrations are code, applied in order and recorded in `PRAGMA user_version`, each in its
//! own transaction, so a crash mid-migration leaves the previous schema intact.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection as Sqlite;

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Opening or migrating failed.
    #[error("the ledgerlink database {path} could not be opened: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] rusqlite::Error),
    /// The folder could not be created.
    #[error("could not create the data folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database was written by a newer ledgerlink.
    #[error(
        "the database {path} has schema version {found}, newer than this ledgerlink understands ({known}); upgrade ledgerlink"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
}

/// Schema migrations, in order. Never edit a released one; append.
const MIGRATIONS: &[&str] = &[
    // 1: connections and their (non-secret) credential health.
    "CREATE TABLE connections (
        name                 TEXT PRIMARY KEY,
        connector            TEXT NOT NULL,
        settings             TEXT NOT NULL DEFAULT '{}',
        routes               TEXT NOT NULL DEFAULT '{}',
        status               TEXT NOT NULL DEFAULT 'not-connected',
        status_message       TEXT,
        access_expires_at    INTEGER,
        refresh_expires_at   INTEGER,
        last_refresh_at      INTEGER,
        last_refresh_outcome TEXT,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL
    ) STRICT;",
    // 2: the sync engine: id map, plans, runs and their items, outbox, audit log.
    super::sync_state::MIGRATION,
    // 3: the home book: Tracker Pro's customers, jobs, contracts and contract invoices.
    super::home::MIGRATION,
    // 4: delta watermarks: where the last complete pull of an entity began.
    super::sync_state::WATERMARKS,
    // 5: what the host knows of each target (customers for matching, document numbers)
    // and the review items customer matching raised.
    super::directory::MIGRATION,
    // 6: plugin components by SHA-256 (the manifest cache), the current installed version of
    // each plugin, and the component each connection is pinned to.
    super::plugins::MIGRATION,
];

/// Open (creating and migrating) the database at `path`.
pub fn open(path: &Path) -> Result<Sqlite, DbError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| DbError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let open_err = |source| DbError::Open {
        path: path.to_path_buf(),
        source,
    };
    let mut db = Sqlite::open(path).map_err(open_err)?;
    // Several processes share the database: WAL lets readers run beside a writer, and a
    // writer waits for another instead of failing at once.
    db.busy_timeout(Duration::from_secs(10)).map_err(open_err)?;
    db.pragma_update(None, "journal_mode", "WAL")
        .map_err(open_err)?;
    db.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    db.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_err)?;
    migrate(&mut db, path)?;
    Ok(db)
}

fn migrate(db: &mut Sqlite, path: &Path) -> Result<(), DbError> {
    let known = MIGRATIONS.len() as i64;
    loop {
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > known {
            return Err(DbError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_reopens() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("ledgerlink.db");
        drop(open(&path).expect("first open"));
        let db = open(&path).expect("second open");
        let v: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, MIGRATIONS.len() as i64);
        let mode: String = db
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
    }

    #[test]
    fn connections_from_before_migration_6_stay_usable_and_unpinned() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("ledgerlink.db");
        {
            // A database as ledgerlink left it before components were recorded.
            let db = Sqlite::open(&path).expect("open");
            for sql in &MIGRATIONS[..5] {
                db.execute_batch(sql).expect("old migration");
            }
            db.pragma_update(None, "user_version", 5).expect("version");
            db.execute(
                "INSERT INTO connections (name, connector, created_at, updated_at)
                 VALUES ('old', 'xero', 1, 1)",
                [],
            )
            .expect("old connection");
        }
        let store = super::super::connections::ConnectionStore::open(&path).expect("migrates");
        let old = store.get("old").expect("still there");
        assert_eq!(old.connector, "xero");
        assert_eq!(old.component, None);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("ledgerlink.db");
        let db = open(&path).expect("open");
        db.pragma_update(None, "user_version", 99).expect("bump");
        drop(db);
        let err = open(&path).expect_err("too new");
        assert_eq!(
            err.to_string(),
            format!(
                "the database {} has schema version 99, newer than this ledgerlink understands ({}); upgrade ledgerlink",
                path.display(),
                MIGRATIONS.len()
            )
        );
    }
}
