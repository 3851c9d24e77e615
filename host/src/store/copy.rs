//! `ledgerlink store copy`: everything in a SQLite store (home book, connections, id maps,
//! plans, runs, outbox, audit, accounts, jobs, vault entries...) copied into a new, empty
//! database — PostgreSQL, or another SQLite file — and verified table by table: the same
//! row count and the same SHA-256 over every row, read back from the target (issue 21,
//! item 5).
//!
//! Both databases are migrated to the same schema first ([`super::engine::open`]). Tables
//! are copied in the order SQLite created them, which is the migrations' order, so a row
//! always comes after the rows it refers to. The copy is one transaction on the target:
//! a failure leaves it as empty as it was. PostgreSQL's identity columns are moved past the
//! copied ids afterwards (an insert with an explicit id does not advance them). Vault
//! entries are copied sealed, as they are: the same key opens them.

use sha2::{Digest, Sha256};

use super::sql::{self, Db, Engine, Tx, Value};

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source is not SQLite.
    #[error("store copy reads a SQLite store (--from sqlite:PATH); {0} is not one")]
    SourceNotSqlite(String),
    /// The target already holds data.
    #[error(
        "the target database {database} is not empty ({rows} row(s) in {table}); copy into a new, empty database — nothing was copied"
    )]
    TargetNotEmpty {
        /// The target.
        database: String,
        /// The first table found with rows.
        table: String,
        /// Its rows.
        rows: i64,
    },
    /// The target disagrees with the source after the copy.
    #[error(
        "table {table} differs after the copy ({what}); the copy was rolled back — nothing was kept"
    )]
    Mismatch {
        /// The table.
        table: String,
        /// How.
        what: String,
    },
    /// A statement failed.
    #[error("store copy failed: {0}")]
    Sql(#[from] sql::Error),
}

/// One table copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    /// The table.
    pub table: String,
    /// Rows copied (and counted again in the target).
    pub rows: i64,
    /// SHA-256 (hex) of its rows, the same in both.
    pub sha256: String,
}

/// A table's columns and the columns it is ordered by.
struct Table {
    name: String,
    columns: Vec<String>,
    /// The columns rows are read in order of (the primary key, else all).
    order: Vec<String>,
}

/// Copy every table of `from` (SQLite) into `to` (empty), verified; the tables copied.
pub fn copy(from: &Db, to: &Db) -> Result<Vec<CopiedTable>, CopyError> {
    if from.engine() != Engine::Sqlite {
        return Err(CopyError::SourceNotSqlite(from.describe()));
    }
    let tables = tables(from)?;
    let target = to.describe();
    to.transaction(|tx| {
        for t in &tables {
            let rows = count(tx, &t.name)?;
            if rows > 0 {
                return Err(CopyError::TargetNotEmpty {
                    database: target.clone(),
                    table: t.name.clone(),
                    rows,
                });
            }
        }
        let mut copied = Vec::new();
        for t in &tables {
            let text_columns = text_columns(tx, &t.name)?;
            let select = select_sql(t);
            let rows = from.query(&select, &[])?;
            let placeholders: Vec<String> = (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
            let insert = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                t.name,
                t.columns.join(", "),
                placeholders.join(", ")
            );
            let source_hash = digest(&rows, t.columns.len())?;
            for row in &rows {
                let mut values = Vec::with_capacity(t.columns.len());
                for (i, column) in t.columns.iter().enumerate() {
                    let v = row.value_at(i)?;
                    values.push(match v {
                        Value::Blob(b) if text_columns.contains(column) => {
                            Value::Text(String::from_utf8(b).map_err(|_| CopyError::Mismatch {
                                table: t.name.clone(),
                                what: format!("{column} holds bytes that are not text"),
                            })?)
                        }
                        other => other,
                    });
                }
                tx.execute(&insert, &values)?;
            }
            let read_back = tx.query(&select, &[])?;
            let target_hash = digest(&read_back, t.columns.len())?;
            let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            if read_back.len() != rows.len() {
                return Err(CopyError::Mismatch {
                    table: t.name.clone(),
                    what: format!("{} row(s) copied, {} read back", rows.len(), read_back.len()),
                });
            }
            if target_hash != source_hash {
                return Err(CopyError::Mismatch {
                    table: t.name.clone(),
                    what: "its rows read back differ from the source's".into(),
                });
            }
            if tx.engine() == Engine::Postgres && has_identity_id(tx, &t.name)? {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {0}",
                        t.name
                    ),
                    &[],
                )?;
            }
            copied.push(CopiedTable {
                table: t.name.clone(),
                rows: n,
                sha256: source_hash,
            });
        }
        Ok(copied)
    })
}

/// The tables of the SQLite store, in the order they were created, with their columns and
/// primary key.
fn tables(db: &Db) -> Result<Vec<Table>, sql::Error> {
    let names = db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        &[],
    )?;
    let mut out = Vec::new();
    for n in names {
        let name = n.text(0)?;
        let info = db.query(
            "SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid",
            &[Value::Text(name.clone())],
        )?;
        let mut columns = Vec::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in info {
            let column = c.text(0)?;
            let k = c.i64(1)?;
            if k > 0 {
                pk.push((k, column.clone()));
            }
            columns.push(column);
        }
        pk.sort();
        let order = if pk.is_empty() {
            columns.clone()
        } else {
            pk.into_iter().map(|(_, c)| c).collect()
        };
        out.push(Table {
            name,
            columns,
            order,
        });
    }
    Ok(out)
}

fn select_sql(t: &Table) -> String {
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        t.columns.join(", "),
        t.name,
        t.order.join(", ")
    )
}

/// Whether `table` has an identity column `id` (PostgreSQL).
fn has_identity_id(tx: &Tx<'_>, table: &str) -> Result<bool, sql::Error> {
    Ok(tx
        .query_opt(
            "SELECT 1 FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1
               AND column_name = 'id' AND is_identity = 'YES'",
            &[Value::Text(table.to_owned())],
        )?
        .is_some())
}

fn count(tx: &Tx<'_>, table: &str) -> Result<i64, sql::Error> {
    tx.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
        .i64(0)
}

/// The target's text columns of `table` (PostgreSQL; none needed on SQLite).
fn text_columns(tx: &Tx<'_>, table: &str) -> Result<Vec<String>, sql::Error> {
    if tx.engine() != Engine::Postgres {
        return Ok(Vec::new());
    }
    tx.query(
        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = ?1 AND data_type = 'text'",
        &[Value::Text(table.to_owned())],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// SHA-256 over `rows`, each value tagged by kind; text and bytes hash alike (a plan body
/// is bytes in SQLite and text in PostgreSQL).
fn digest(rows: &[sql::Row], columns: usize) -> Result<String, CopyError> {
    let mut h = Sha256::new();
    for row in rows {
        for i in 0..columns {
            match row.value_at(i)? {
                Value::Null => h.update([0u8]),
                Value::Int(n) => {
                    h.update([1u8]);
                    h.update(n.to_le_bytes());
                }
                Value::Text(t) => {
                    h.update([2u8]);
                    h.update((t.len() as u64).to_le_bytes());
                    h.update(t.as_bytes());
                }
                Value::Blob(b) => {
                    h.update([2u8]);
                    h.update((b.len() as u64).to_le_bytes());
                    h.update(&b);
                }
            }
        }
    }
    Ok(format!("{:x}", h.finalize()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::engine::{self, DatabaseUrl};
    use crate::store::sql::testing;

    /// A SQLite store with rows in several tables, ids not starting at 1, a plan body (a
    /// blob in SQLite, text in PostgreSQL) and a sealed vault entry.
    fn source(dir: &std::path::Path) -> Db {
        let db = engine::open(&DatabaseUrl::Sqlite(dir.join("source.db"))).unwrap();
        db.execute_batch(
            "INSERT INTO connections (name, connector, created_at, updated_at) VALUES ('books', 'csv', 1, 2);
             INSERT INTO audit_log (id, at, action, detail) VALUES (7, 10, 'connection', 'books added');
             INSERT INTO audit_log (id, at, action, detail) VALUES (9, 11, 'connection', 'books renamed');
             INSERT INTO vault_entries (name, nonce, ciphertext, updated_at) VALUES ('books/api-key', X'0102', X'A0B0C0', 5);",
        )
        .unwrap();
        db
    }

    fn targets(dir: &std::path::Path) -> Vec<(Option<testing::TestDatabase>, Db)> {
        let mut all = vec![(
            None,
            engine::open(&DatabaseUrl::Sqlite(dir.join("target.db"))).unwrap(),
        )];
        match testing::fresh_postgres() {
            Some(pg) => {
                let db = engine::open(&DatabaseUrl::parse(pg.url()).unwrap()).unwrap();
                all.push((Some(pg), db));
            }
            None => testing::sqlite_only(),
        }
        all
    }

    #[test]
    fn everything_is_copied_verified_and_new_ids_follow_the_copied_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let from = source(tmp.path());
        for (_keep, to) in targets(tmp.path()) {
            let copied = copy(&from, &to).unwrap();
            let rows = |t: &str| copied.iter().find(|c| c.table == t).unwrap().rows;
            assert_eq!(rows("connections"), 1);
            assert_eq!(rows("audit_log"), 2);
            assert_eq!(rows("vault_entries"), 1);
            assert_eq!(rows("jobs"), 0);
            let sealed = to
                .query_one(
                    "SELECT nonce, ciphertext FROM vault_entries WHERE name = 'books/api-key'",
                    &[],
                )
                .unwrap();
            assert_eq!(sealed.blob(0).unwrap(), vec![1, 2]);
            assert_eq!(sealed.blob(1).unwrap(), vec![0xA0, 0xB0, 0xC0]);
            // The next audit line gets an id after the copied ones (PostgreSQL's identity
            // was moved on).
            let next = to
                .query_one(
                    "INSERT INTO audit_log (at, action, detail) VALUES (12, 'x', 'y') RETURNING id",
                    &[],
                )
                .unwrap()
                .i64(0)
                .unwrap();
            assert_eq!(next, 10);
            // A second copy into it is refused, and changes nothing.
            let err = copy(&from, &to).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "the target database {} is not empty (1 row(s) in connections); copy into a new, empty database — nothing was copied",
                    to.describe()
                )
            );
        }
    }

    #[test]
    fn only_a_sqlite_store_is_read() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let from = engine::open(&DatabaseUrl::parse(pg.url()).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let to = engine::open(&DatabaseUrl::Sqlite(tmp.path().join("t.db"))).unwrap();
        let err = copy(&from, &to).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("store copy reads a SQLite store (--from sqlite:PATH); "),
            "{err}"
        );
    }
}
