//! The store's engine-neutral SQL facade: one [`Db`] over SQLite (rusqlite) or PostgreSQL
//! (the synchronous `postgres` client, on a thread of its own: [`pg`]), so a store module
//! writes each statement once and runs it on either (docs/architecture.md, "Store engines").
//!
//! Statements are written in SQLite's dialect with numbered placeholders (`?1`, `?2`), which
//! become `$1`, `$2` on PostgreSQL ([`placeholders`]). Parameters are [`Value`]s; rows come
//! back as [`Row`]s with typed getters. Integers are `BIGINT` on PostgreSQL (a `bool` a
//! PostgreSQL expression yields reads as 0 or 1, as SQLite's would); decimals are `TEXT` on
//! both, never floating point.
//!
//! PostgreSQL infers each parameter's type from where it is used. A parameter that may be NULL
//! and is only compared with `IS NULL` gives it nothing to infer from: write that use as
//! `CAST(?N AS BIGINT)` (or `TEXT`), which SQLite reads the same way.

#[cfg(test)]
pub mod each_engine;
mod pg;
mod pg_tls;
mod placeholders;
#[cfg(test)]
pub mod testing;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::types::{ToSqlOutput, ValueRef};

pub(crate) use pg::redact;
pub(crate) use placeholders::numbered_to_dollar;

/// A parameter or a column's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (`INTEGER` on SQLite, `BIGINT` on PostgreSQL).
    Int(i64),
    /// Text, decimals included.
    Text(String),
    /// Bytes (`BLOB` / `BYTEA`).
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Text(_) => "text",
            Value::Blob(_) => "bytes",
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// One row of a result, its columns named for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    fn value(&self, idx: usize) -> Result<&Value, Error> {
        self.values.get(idx).ok_or(Error::NoColumn {
            index: idx,
            count: self.values.len(),
        })
    }

    fn mismatch(&self, idx: usize, expected: &'static str, found: &Value) -> Error {
        Error::Type {
            column: self.columns.get(idx).cloned().unwrap_or_default(),
            expected,
            found: found.kind(),
        }
    }

    /// Column `idx` as an integer; NULL is an error.
    pub fn i64(&self, idx: usize) -> Result<i64, Error> {
        match self.value(idx)? {
            Value::Int(i) => Ok(*i),
            other => Err(self.mismatch(idx, "an integer", other)),
        }
    }

    /// Column `idx` as an integer or NULL.
    pub fn opt_i64(&self, idx: usize) -> Result<Option<i64>, Error> {
        match self.value(idx)? {
            Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            other => Err(self.mismatch(idx, "an integer or NULL", other)),
        }
    }

    /// Column `idx` as text; NULL is an error.
    pub fn text(&self, idx: usize) -> Result<String, Error> {
        match self.value(idx)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(self.mismatch(idx, "text", other)),
        }
    }

    /// Column `idx` as text or NULL.
    pub fn opt_text(&self, idx: usize) -> Result<Option<String>, Error> {
        match self.value(idx)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(self.mismatch(idx, "text or NULL", other)),
        }
    }

    /// Column `idx` as bytes; NULL is an error.
    pub fn blob(&self, idx: usize) -> Result<Vec<u8>, Error> {
        match self.value(idx)? {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(self.mismatch(idx, "bytes", other)),
        }
    }

    /// Column `idx` as bytes or NULL.
    pub fn opt_blob(&self, idx: usize) -> Result<Option<Vec<u8>>, Error> {
        match self.value(idx)? {
            Value::Null => Ok(None),
            Value::Blob(b) => Ok(Some(b.clone())),
            other => Err(self.mismatch(idx, "bytes or NULL", other)),
        }
    }

    /// Column `idx` as it came, whatever its kind.
    pub fn value_at(&self, idx: usize) -> Result<Value, Error> {
        self.value(idx).cloned()
    }

    /// The name of column `idx` (empty past the row's end), for a caller's own errors about
    /// a value it read.
    pub fn column_name(&self, idx: usize) -> &str {
        self.columns.get(idx).map_or("", String::as_str)
    }
}

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused or failed the statement.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed the statement.
    #[error("{}", pg::describe(.0))]
    Postgres(#[source] postgres::Error),
    /// No PostgreSQL connection could be made. `target` names the server and database,
    /// never the password.
    #[error("could not connect to PostgreSQL at {target}: {}{}", pg::describe(.source), pg::connect_hint(.source))]
    Connect {
        /// user@host:port/database.
        target: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The PostgreSQL URL could not be read; `url` has its password removed.
    #[error("the PostgreSQL URL {url} could not be read: {}", pg::describe(.source))]
    Url {
        /// The URL as given, password removed.
        url: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The URL's TLS parameters (`sslmode`, `sslrootcert`) cannot be used; `url` has its
    /// password removed.
    #[error("the PostgreSQL URL {url} cannot be used: {problem}")]
    Tls {
        /// The URL as given, password removed.
        url: String,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// The thread holding the PostgreSQL connection could not be started.
    #[error("could not start the PostgreSQL connection's thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The thread holding the PostgreSQL connection has stopped (it panicked).
    #[error("the PostgreSQL connection to {target} is gone (its thread stopped)")]
    Gone {
        /// user@host:port/database.
        target: String,
    },
    /// A column held another type than the code reading it expects.
    #[error("the column {column} holds {found} where {expected} was expected")]
    Type {
        /// The column's name.
        column: String,
        /// What the reader asked for.
        expected: &'static str,
        /// What the row holds.
        found: &'static str,
    },
    /// A column index past the row's end.
    #[error("no column {index} in a row of {count} columns")]
    NoColumn {
        /// Asked for.
        index: usize,
        /// There are.
        count: usize,
    },
    /// A PostgreSQL column of a type the facade does not read.
    #[error("the column {column} has PostgreSQL type {ty}, which the store does not read")]
    Unsupported {
        /// The column's name.
        column: String,
        /// Its type.
        ty: String,
    },
    /// A statement that must return a row returned none.
    #[error("the statement returned no row: {sql}")]
    NoRow {
        /// The statement.
        sql: String,
    },
    /// SQLite returned a floating-point value; the store keeps none (decimals are text).
    #[error("the column {column} holds a floating-point value; the store keeps decimals as text")]
    Real {
        /// The column's name.
        column: String,
    },
}

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite, in the data folder.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Engine {
    /// What follows a text expression in `ORDER BY` to order it by its bytes, as SQLite
    /// does by default (BINARY): ` COLLATE "C"` on PostgreSQL, which otherwise orders text by
    /// the database's collation (a linguistic one, such as en_US's "b" before "C", unless the
    /// cluster was made in the C locale); nothing on SQLite, which has no collation "C".
    pub fn bytewise(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " COLLATE \"C\"",
        }
    }
}

/// The store's database on either engine. Cheap to clone; clones share the connection (and
/// its statement count), and each call (or transaction) has it to itself until it returns.
#[derive(Debug, Clone)]
pub struct Db {
    conn: Conn,
    /// Statements sent on this connection ([`Db::statements`]).
    statements: Arc<AtomicU64>,
}

#[derive(Debug, Clone)]
enum Conn {
    /// A SQLite connection, shared with the stores not yet ported to this facade.
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
    /// A PostgreSQL connection on its own thread.
    Postgres(Arc<Mutex<pg::Connection>>),
}

// A poisoned mutex only means a panic elsewhere while the connection was held: SQLite keeps
// its own consistency, and a PostgreSQL transaction left open by that panic was rolled back
// by `pg::Open`'s drop.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Db {
    /// Over a SQLite connection opened by [`super::db::open`] (and maybe shared).
    pub fn sqlite(shared: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self::over(Conn::Sqlite(shared))
    }

    fn over(conn: Conn) -> Self {
        Db {
            conn,
            statements: Arc::default(),
        }
    }

    /// The SQLite connection itself, for the one caller that needs what only SQLite has (a
    /// plan's incremental blob I/O); `None` on PostgreSQL.
    pub(crate) fn sqlite_connection(&self) -> Option<&Arc<Mutex<rusqlite::Connection>>> {
        match &self.conn {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// How many statements this connection (and its clones) has sent since it was opened,
    /// `BEGIN` and `COMMIT` included: on PostgreSQL each is one round trip to the server
    /// (plus one the first time a statement's text is prepared); on SQLite each is one step
    /// into the library. The benchmarks divide it by the invoices a transfer moved.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Connect to PostgreSQL at `url` (`postgres://user[:password]@host:port/database`).
    /// The schema is not touched: [`super::engine::open`] migrates.
    pub fn connect_postgres(url: &str) -> Result<Self, Error> {
        Ok(Self::over(Conn::Postgres(Arc::new(Mutex::new(
            pg::Connection::open(url)?,
        )))))
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        match self.conn {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The database, for messages: the SQLite file or user@host:port/database.
    pub fn describe(&self) -> String {
        match &self.conn {
            Conn::Sqlite(c) => lock(c).path().unwrap_or("(in memory)").to_owned(),
            Conn::Postgres(c) => lock(c).target().to_owned(),
        }
    }

    /// How the store is reached, for `doctor`: SQLite's file is local; a PostgreSQL
    /// connection says whether it is encrypted, with which TLS version, and what was verified.
    pub fn transport(&self) -> Result<String, Error> {
        match &self.conn {
            Conn::Sqlite(_) => Ok("a local file".to_owned()),
            Conn::Postgres(c) => lock(c).transport(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let n = &self.statements;
        match &self.conn {
            Conn::Sqlite(c) => f(&Tx::Sqlite(&lock(c), n)),
            Conn::Postgres(c) => f(&Tx::Postgres(&lock(c), n)),
        }
    }

    /// Run one statement; the rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        self.with(|tx| tx.execute(sql, params))
    }

    /// Run one query; every row.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        self.with(|tx| tx.query(sql, params))
    }

    /// Run one query; its first row, if any.
    pub fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, Error> {
        self.with(|tx| tx.query_opt(sql, params))
    }

    /// Run one query that returns a row; that row.
    pub fn query_one(&self, sql: &str, params: &[Value]) -> Result<Row, Error> {
        self.with(|tx| tx.query_one(sql, params))
    }

    /// Run several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        self.with(|tx| tx.execute_batch(sql))
    }

    /// Run `f` in one transaction: committed when it returns `Ok`, rolled back when it returns
    /// `Err` (or panics). On SQLite the transaction takes the write lock when it begins (see
    /// `db::open`); on PostgreSQL it is `BEGIN` ... `COMMIT` at READ COMMITTED.
    pub fn transaction<T, E: From<Error>>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let n = &self.statements;
        match &self.conn {
            Conn::Sqlite(c) => sqlite_transaction(c, n, None, f),
            Conn::Postgres(c) => {
                let guard = lock(c);
                let open = pg::Open::begin(&guard, n)?;
                let out = f(&Tx::Postgres(&guard, n))?;
                open.commit()?;
                Ok(out)
            }
        }
    }

    /// Run the reads of `f` in one transaction that sees one snapshot and takes no write
    /// lock: a deferred transaction on SQLite (not `transaction`'s immediate one, which
    /// would queue readers behind writers), `REPEATABLE READ, READ ONLY` on PostgreSQL
    /// (whose default, READ COMMITTED, gives each statement a snapshot of its own).
    pub fn read<T, E: From<Error>>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let n = &self.statements;
        match &self.conn {
            Conn::Sqlite(c) => {
                sqlite_transaction(c, n, Some(rusqlite::TransactionBehavior::Deferred), f)
            }
            Conn::Postgres(c) => {
                let guard = lock(c);
                let open = pg::Open::begin(&guard, n)?;
                let tx = Tx::Postgres(&guard, n);
                tx.execute_batch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
                let out = f(&tx)?;
                open.commit()?;
                Ok(out)
            }
        }
    }
}

/// Run `f` in a SQLite transaction on `c`, of the connection's default behaviour or of
/// `behavior`: committed on `Ok`, rolled back on `Err` or panic (by the transaction's drop).
fn sqlite_transaction<T, E: From<Error>>(
    c: &Mutex<rusqlite::Connection>,
    statements: &AtomicU64,
    behavior: Option<rusqlite::TransactionBehavior>,
    f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let mut guard = lock(c);
    let tx = match behavior {
        Some(b) => guard.transaction_with_behavior(b),
        None => guard.transaction(),
    }
    .map_err(Error::from)?;
    let out = f(&Tx::Sqlite(&tx, statements))?;
    tx.commit().map_err(Error::from)?;
    // BEGIN and COMMIT.
    statements.fetch_add(2, Ordering::Relaxed);
    Ok(out)
}

/// A connection in use: inside [`Db::transaction`], or for one call.
pub enum Tx<'a> {
    /// SQLite, and the statement count of its [`Db`].
    Sqlite(&'a rusqlite::Connection, &'a AtomicU64),
    /// PostgreSQL, and the statement count of its [`Db`].
    Postgres(&'a pg::Connection, &'a AtomicU64),
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tx::Sqlite(..) => "Tx::Sqlite",
            Tx::Postgres(..) => "Tx::Postgres",
        })
    }
}

impl Tx<'_> {
    fn count(&self) {
        match self {
            Tx::Sqlite(_, n) | Tx::Postgres(_, n) => n.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(..) => Engine::Sqlite,
            Tx::Postgres(..) => Engine::Postgres,
        }
    }

    /// Run one statement; the rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        self.count();
        match self {
            Tx::Sqlite(c, _) => {
                let n = c
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params))?;
                Ok(n as u64)
            }
            Tx::Postgres(c, _) => c.execute(sql, params),
        }
    }

    /// Run one query; every row.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        self.count();
        match self {
            Tx::Sqlite(c, _) => sqlite_query(c, sql, params),
            Tx::Postgres(c, _) => c.query(sql, params),
        }
    }

    /// Run one query; its first row, if any. The statement runs to its end (an
    /// `UPDATE ... RETURNING` changes every row it matches).
    pub fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, Error> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Run one query that returns a row; that row.
    pub fn query_one(&self, sql: &str, params: &[Value]) -> Result<Row, Error> {
        self.query_opt(sql, params)?.ok_or_else(|| Error::NoRow {
            sql: sql.to_owned(),
        })
    }

    /// Run several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        self.count();
        match self {
            Tx::Sqlite(c, _) => Ok(c.execute_batch(sql)?),
            Tx::Postgres(c, _) => c.batch(sql),
        }
    }
}

/// How many rows one multi-row statement ([`rows_of`]) writes at most: a few thousand
/// parameters, well inside both engines' limits (SQLite 32,766; PostgreSQL 65,535).
pub const ROWS_PER_STATEMENT: usize = 250;

/// The `VALUES` rows of a statement that writes many rows at once: `shape` is one row with
/// `$` where each row's own parameter goes (e.g. `($, ?1, $, 'pending')`, `?1` being a
/// parameter every row shares), repeated `rows` times with the `$`s numbered on from
/// `first`. One statement is one round trip on PostgreSQL, where a statement per row
/// costs one each.
pub fn rows_of(shape: &str, rows: usize, first: usize) -> String {
    let mut out = String::with_capacity((shape.len() + 8) * rows);
    let mut n = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        for c in shape.chars() {
            if c == '$' {
                out.push('?');
                out.push_str(&n.to_string());
                n += 1;
            } else {
                out.push(c);
            }
        }
    }
    out
}

fn sqlite_query(c: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
    let mut stmt = c.prepare_cached(sql)?;
    let columns: Arc<[String]> = stmt
        .column_names()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut values = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            values.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                ValueRef::Real(_) => {
                    return Err(Error::Real {
                        column: column.clone(),
                    });
                }
            });
        }
        out.push(Row {
            columns: Arc::clone(&columns),
            values,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite() -> Db {
        let c = rusqlite::Connection::open_in_memory().expect("opens");
        Db::sqlite(Arc::new(Mutex::new(c)))
    }

    /// Every engine to test on: SQLite always, PostgreSQL when the test database is set.
    fn engines() -> Vec<(Db, Option<testing::TestDatabase>)> {
        let mut all = vec![(sqlite(), None)];
        match testing::fresh_postgres() {
            Some(pg) => all.push((Db::connect_postgres(pg.url()).expect("connects"), Some(pg))),
            None => testing::sqlite_only(),
        }
        all
    }

    #[test]
    fn values_go_in_and_come_back_typed_on_both_engines() {
        for (db, _pg) in engines() {
            let blob = if db.engine() == Engine::Postgres {
                "BYTEA"
            } else {
                "BLOB"
            };
            db.execute_batch(&format!(
                "CREATE TABLE t (n BIGINT, s TEXT, b {blob}, m TEXT)"
            ))
            .expect("table");
            let n = db
                .execute(
                    "INSERT INTO t (n, s, b, m) VALUES (?1, ?2, ?3, ?4), (?5, NULL, NULL, ?2)",
                    &[
                        Value::Int(i64::MAX),
                        "it's \"quoted\" ?1".into(),
                        Value::Blob(vec![0, 255, 7]),
                        "1234.5600".into(),
                        Value::Null,
                    ],
                )
                .expect("inserts");
            assert_eq!(n, 2);
            let rows = db
                .query("SELECT n, s, b, m FROM t ORDER BY n NULLS LAST", &[])
                .expect("reads");
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[0].i64(0).expect("n"), i64::MAX);
            assert_eq!(rows[0].text(1).expect("s"), "it's \"quoted\" ?1");
            assert_eq!(rows[0].blob(2).expect("b"), vec![0, 255, 7]);
            // A decimal keeps its scale: it is text on both engines.
            assert_eq!(rows[0].text(3).expect("m"), "1234.5600");
            assert_eq!((rows[0].column_name(3), rows[0].column_name(4)), ("m", ""));
            assert_eq!(rows[1].opt_i64(0).expect("n"), None);
            assert_eq!(rows[1].opt_text(1).expect("s"), None);
            assert_eq!(
                rows[1].i64(1).expect_err("NULL is no integer").to_string(),
                "the column s holds NULL where an integer was expected"
            );
            assert_eq!(
                rows[0]
                    .text(0)
                    .expect_err("a number is no text")
                    .to_string(),
                "the column n holds an integer where text was expected"
            );
            let exists = db
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM t WHERE n = ?1)",
                    &[Value::Int(i64::MAX)],
                )
                .expect("exists");
            assert_eq!(exists.i64(0).expect("a bool reads as 0/1"), 1);
            let none = db
                .query_opt(
                    "SELECT n FROM t WHERE CAST(?1 AS BIGINT) IS NULL OR n < ?1",
                    &[Value::Int(0)],
                )
                .expect("reads");
            assert_eq!(none, None);
        }
    }

    #[test]
    fn a_transaction_commits_on_ok_and_rolls_back_on_err() {
        for (db, _pg) in engines() {
            db.execute_batch("CREATE TABLE t (n BIGINT NOT NULL)")
                .expect("table");
            db.transaction(|tx| tx.execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(1)]))
                .expect("commits");
            let err = db
                .transaction(|tx| {
                    tx.execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(2)])?;
                    tx.execute("INSERT INTO t (n) VALUES (?1)", &[Value::Null])
                })
                .expect_err("the NULL is refused");
            let expected = match db.engine() {
                Engine::Sqlite => "NOT NULL constraint failed: t.n",
                Engine::Postgres => {
                    "ERROR: null value in column \"n\" of relation \"t\" violates not-null constraint (Failing row contains (null).)"
                }
            };
            assert_eq!(err.to_string(), expected);
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = db.transaction(|tx| -> Result<(), Error> {
                    tx.execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(3)])?;
                    panic!("mid-transaction");
                });
            }));
            assert!(panicked.is_err());
            let rows = db.query("SELECT n FROM t ORDER BY n", &[]).expect("reads");
            let ns: Vec<i64> = rows.iter().map(|r| r.i64(0).expect("n")).collect();
            assert_eq!(ns, vec![1], "{:?}", db.engine());
        }
    }

    #[test]
    fn rows_of_numbers_each_rows_own_parameters_after_the_shared_ones() {
        assert_eq!(
            rows_of("($, ?1, $, 'pending')", 3, 2),
            "(?2, ?1, ?3, 'pending'), (?4, ?1, ?5, 'pending'), (?6, ?1, ?7, 'pending')"
        );
        assert_eq!(rows_of("($)", 1, 1), "(?1)");
        assert_eq!(rows_of("($)", 0, 1), "");
    }

    #[test]
    fn every_statement_sent_is_counted_once_on_both_engines() {
        for (db, _pg) in engines() {
            let start = db.statements();
            db.execute_batch("CREATE TABLE t (n BIGINT NOT NULL)")
                .expect("table");
            db.execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(1)])
                .expect("inserts");
            assert_eq!(db.statements() - start, 2, "{:?}", db.engine());
            // A clone shares the count.
            let clone = db.clone();
            clone
                .transaction(|tx| -> Result<(), Error> {
                    tx.execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(2)])?;
                    tx.query("SELECT n FROM t", &[])?;
                    Ok(())
                })
                .expect("commits");
            // BEGIN, two statements, COMMIT.
            assert_eq!(db.statements() - start, 6, "{:?}", db.engine());
            db.read(|tx| tx.query_one("SELECT COUNT(*) FROM t", &[]))
                .expect("reads");
            let read = match db.engine() {
                // BEGIN, the query, COMMIT.
                Engine::Sqlite => 3,
                // BEGIN, SET TRANSACTION, the query, COMMIT.
                Engine::Postgres => 4,
            };
            assert_eq!(db.statements() - start, 6 + read, "{:?}", db.engine());
        }
    }

    /// The reason the PostgreSQL client has a thread of its own: called straight from a
    /// thread driving tokio, `postgres::Client` panics; through `Db` it answers.
    #[tokio::test]
    async fn postgres_answers_from_inside_a_tokio_runtime() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let db = Db::connect_postgres(pg.url()).expect("connects");
        let sum = db
            .query_one("SELECT ?1 + ?2 AS sum", &[Value::Int(2), Value::Int(40)])
            .expect("answers");
        assert_eq!(sum.i64(0).expect("sum"), 42);
        let on_a_worker = tokio::task::spawn_blocking(move || {
            db.transaction(|tx| tx.query_one("SELECT CAST(?1 AS TEXT) AS t", &["x".into()]))
        })
        .await
        .expect("joins")
        .expect("answers");
        assert_eq!(on_a_worker.text(0).expect("t"), "x");
    }

    #[test]
    fn bytewise_orders_text_by_bytes_on_both_engines() {
        for (db, _pg) in engines() {
            // A column with a linguistic collation stands for a database made in such a
            // locale (the test cluster is in C, which would hide the difference).
            let collate = match db.engine() {
                Engine::Sqlite => "",
                Engine::Postgres => " COLLATE \"und-x-icu\"",
            };
            db.execute_batch(&format!("CREATE TABLE t (s TEXT{collate})"))
                .expect("table");
            for s in ["b", "C", "a-c", "ab", "A", "é", "Z"] {
                db.execute("INSERT INTO t (s) VALUES (?1)", &[s.into()])
                    .expect("inserts");
            }
            let order = |sql: &str| -> Vec<String> {
                db.query(sql, &[])
                    .expect("reads")
                    .iter()
                    .map(|r| r.text(0).expect("s"))
                    .collect()
            };
            let bytewise = order(&format!(
                "SELECT s FROM t ORDER BY s{}",
                db.engine().bytewise()
            ));
            assert_eq!(bytewise, ["A", "C", "Z", "a-c", "ab", "b", "é"]);
            if db.engine() == Engine::Postgres {
                // Without it, PostgreSQL orders by the collation: what the clause is for.
                assert_eq!(
                    order("SELECT s FROM t ORDER BY s"),
                    ["A", "a-c", "ab", "b", "C", "é", "Z"]
                );
            }
        }
    }

    /// A read sees one snapshot on both engines, and on SQLite does not stop another
    /// connection from writing meanwhile.
    #[test]
    fn a_read_sees_one_snapshot_while_another_connection_writes() {
        for t in each_engine::each_engine() {
            let (reader, writer) = (t.open(), t.open());
            writer
                .execute_batch("CREATE TABLE t (n BIGINT NOT NULL)")
                .expect("table");
            writer
                .execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(1)])
                .expect("inserts");
            let count = |tx: &Tx<'_>| -> Result<i64, Error> {
                tx.query_one("SELECT COUNT(*) FROM t", &[])?.i64(0)
            };
            let (before, after) = reader
                .read(|tx| -> Result<_, Error> {
                    let before = count(tx)?;
                    writer
                        .execute("INSERT INTO t (n) VALUES (?1)", &[Value::Int(2)])
                        .expect("another connection writes during the read");
                    Ok((before, count(tx)?))
                })
                .expect("reads");
            assert_eq!((before, after), (1, 1), "{:?}", t.engine());
            assert_eq!(reader.read(count).expect("reads"), 2);
        }
    }
}
