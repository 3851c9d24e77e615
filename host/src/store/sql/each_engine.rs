//! A fresh, migrated store database on every engine under test: SQLite always, PostgreSQL
//! when [`testing::VARIABLE`] names a test cluster. Each [`TestDb::open`] is a connection of
//! its own, as another process's would be, for tests of what two processes do at once.

use super::testing::{self, TestDatabase};
use super::{Db, Engine};
use crate::store::engine::{self, DatabaseUrl};

/// One test database; removed when this is dropped.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    engine: Engine,
    _keep: Keep,
}

/// What keeps the database alive: its folder, or its PostgreSQL database (held only to be
/// dropped at the test's end).
#[derive(Debug)]
#[allow(dead_code)]
enum Keep {
    Folder(tempfile::TempDir),
    Postgres(TestDatabase),
}

impl TestDb {
    /// A new connection to it (migrated on the first).
    pub fn open(&self) -> Db {
        engine::open(&DatabaseUrl::parse(&self.url).expect("a database URL"))
            .expect("opens the test database")
    }

    /// Its engine.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A new connection, with each of `columns` ((table, column)) given ICU's linguistic
    /// collation on PostgreSQL: it stands for a database made in a locale other than C (the
    /// test cluster's is C, where text already orders by bytes), for order tests. SQLite's
    /// are left as they are.
    pub fn open_linguistic(&self, columns: &[(&str, &str)]) -> Db {
        let db = self.open();
        if self.engine == Engine::Postgres {
            for (table, column) in columns {
                db.execute_batch(&format!(
                    "ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT COLLATE \"und-x-icu\""
                ))
                .expect("an ICU collation");
            }
        }
        db
    }
}

/// A fresh database on SQLite, and on PostgreSQL when the test cluster is set.
pub fn each_engine() -> Vec<TestDb> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut all = vec![TestDb {
        url: format!("sqlite:{}", tmp.path().join("ledgerlink.db").display()),
        engine: Engine::Sqlite,
        _keep: Keep::Folder(tmp),
    }];
    match testing::fresh_postgres() {
        Some(pg) => all.push(TestDb {
            url: pg.url().to_owned(),
            engine: Engine::Postgres,
            _keep: Keep::Postgres(pg),
        }),
        None => testing::sqlite_only(),
    }
    all
}
