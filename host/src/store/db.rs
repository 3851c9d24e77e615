//! The SQLite database in the data folder: opening it (WAL, busy timeout, foreign keys) and
//! bringing its schema up to date ([`super::migrations`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection as Sqlite;

use super::migrations;

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Opening failed.
    #[error("the ledgerlink database {path} could not be opened: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A schema migration failed; the schema is as it was before it.
    #[error("the ledgerlink database {path} could not be brought up to date: {source}")]
    Migrate {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite_migration::Error,
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
    /// A statement through the engine-neutral facade ([`super::sql`]) failed, or its
    /// PostgreSQL connection could not be made.
    #[error("database error: {0}")]
    Sql(#[from] super::sql::Error),
    /// A PostgreSQL schema migration failed; the schema is as it was before it.
    #[error("the ledgerlink database {database} could not be brought up to date: {source}")]
    MigratePostgres {
        /// user@host:port/database.
        database: String,
        /// The cause.
        source: super::sql::Error,
    },
    /// The database was written by a newer ledgerlink.
    #[error(
        "the database {database} has schema version {found}, newer than this ledgerlink understands ({known}); upgrade ledgerlink"
    )]
    TooNew {
        /// The file, or user@host:port/database.
        database: String,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
}

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
    wal(&db).map_err(open_err)?;
    db.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    db.pragma_update(None, "foreign_keys", "ON")
        .map_err(open_err)?;
    migrations::run(&mut db, path)?;
    // Every transaction takes the write lock when it begins. A deferred one that read and
    // then writes fails at once ("database is locked", no busy wait) when another process
    // wrote in between, as a second `ledgerlink serve` or a CLI command on the same data
    // folder does; an immediate one waits its turn under the busy timeout instead.
    db.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    Ok(db)
}

/// Switch to WAL. The switch needs the database to itself, and SQLite answers "database is
/// locked" at once, without the busy handler, when another connection opens it at the same
/// moment (two processes starting on a new data folder): try again for as long as the busy
/// timeout would have waited.
fn wal(db: &Sqlite) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match db.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
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
        assert_eq!(v, migrations::LATEST);
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
            for sql in &migrations::STEPS[..5] {
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
                migrations::LATEST
            )
        );
    }
}
