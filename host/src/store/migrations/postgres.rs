//! The same schema steps on PostgreSQL: one SQL file per step in `postgres/`, numbered as its
//! SQLite step, with PostgreSQL's types (BIGINT for INTEGER, identity columns for SQLite's
//! `INTEGER PRIMARY KEY`) and the same table, column and index names. The
//! `the_two_schemas_do_not_drift` test compares the schemas both engines end at.
//!
//! The version is the one row of `ledgerlink_schema`. Every pending step runs in one
//! transaction that first takes a transaction-scoped advisory lock, so processes starting
//! together on a new database queue behind the first, then find its work done.

use super::super::db::DbError;
use super::super::sql::{Db, Value};
use super::LATEST;

/// The steps, in order, as [`super::STEPS`].
pub(crate) const STEPS: [&str; 16] = [
    include_str!("postgres/001-connections.sql"),
    include_str!("postgres/002-sync-engine.sql"),
    include_str!("postgres/003-home-book.sql"),
    include_str!("postgres/004-watermarks.sql"),
    include_str!("postgres/005-target-directory.sql"),
    include_str!("postgres/006-plugin-components.sql"),
    include_str!("postgres/007-paid-and-line-tax-rate.sql"),
    include_str!("postgres/008-outbox-indexes.sql"),
    include_str!("postgres/009-server.sql"),
    include_str!("postgres/010-schedules.sql"),
    include_str!("postgres/011-support-and-retention.sql"),
    include_str!("postgres/012-plan-bodies-by-blob.sql"),
    include_str!("postgres/013-job-progress-detail.sql"),
    include_str!("postgres/014-vault-entries.sql"),
    include_str!("postgres/015-deferrable-home-book-keys.sql"),
    include_str!("postgres/016-pacer-sends.sql"),
];

// A step added on one engine only does not compile.
const _: () = assert!(STEPS.len() == super::STEPS.len());

/// The advisory lock migrations take: a fixed key ("ll_schem" as ASCII), distinct from the
/// other advisory locks of the store.
const LOCK: i64 = 0x6c6c_5f73_6368_656d;

/// Bring the PostgreSQL database `db` to [`LATEST`].
pub(crate) fn run(db: &Db) -> Result<(), DbError> {
    let database = db.describe();
    db.transaction(|tx| {
        tx.execute("SELECT pg_advisory_xact_lock(?1)", &[Value::Int(LOCK)])?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS ledgerlink_schema (version BIGINT NOT NULL)")?;
        let version = match tx.query_opt("SELECT version FROM ledgerlink_schema", &[])? {
            Some(row) => row.i64(0)?,
            None => {
                tx.execute("INSERT INTO ledgerlink_schema (version) VALUES (0)", &[])?;
                0
            }
        };
        if version > LATEST {
            return Err(DbError::TooNew {
                database: database.clone(),
                found: version,
                known: LATEST,
            });
        }
        let done = usize::try_from(version).unwrap_or(0);
        for sql in &STEPS[done..] {
            tx.execute_batch(sql)
                .map_err(|source| DbError::MigratePostgres {
                    database: database.clone(),
                    source,
                })?;
        }
        tx.execute(
            "UPDATE ledgerlink_schema SET version = ?1",
            &[Value::Int(LATEST)],
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::store::engine::{self, DatabaseUrl};
    use crate::store::sql::testing;

    /// Per table: each column and whether it is NOT NULL, and the indexes made by name
    /// (not those behind a PRIMARY KEY or UNIQUE constraint, which each engine names itself).
    type Schema = BTreeMap<String, (BTreeMap<String, bool>, BTreeSet<String>)>;

    fn texts(db: &Db, sql: &str, params: &[Value]) -> Vec<String> {
        db.query(sql, params)
            .expect("reads the catalogue")
            .iter()
            .map(|r| r.text(0).expect("a name"))
            .collect()
    }

    fn sqlite_schema(db: &Db) -> Schema {
        let mut schema = Schema::new();
        for table in texts(
            db,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
        ) {
            let columns = db
                .query(
                    "SELECT name, \"notnull\", pk FROM pragma_table_info(?1)",
                    &[table.as_str().into()],
                )
                .expect("columns")
                .iter()
                // A primary key column is NOT NULL in a STRICT table, whatever `notnull` says.
                .map(|r| {
                    let not_null = r.i64(1).expect("notnull") != 0 || r.i64(2).expect("pk") > 0;
                    (r.text(0).expect("name"), not_null)
                })
                .collect();
            let indexes = texts(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
                &[table.as_str().into()],
            )
            .into_iter()
            .collect();
            schema.insert(table, (columns, indexes));
        }
        schema
    }

    fn postgres_schema(db: &Db) -> Schema {
        let mut schema = Schema::new();
        for table in texts(
            db,
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
               AND table_name <> 'ledgerlink_schema'",
            &[],
        ) {
            let columns = db
                .query(
                    "SELECT CAST(column_name AS TEXT), CAST(is_nullable AS TEXT)
                     FROM information_schema.columns
                     WHERE table_schema = 'public' AND table_name = ?1",
                    &[table.as_str().into()],
                )
                .expect("columns")
                .iter()
                .map(|r| {
                    (
                        r.text(0).expect("name"),
                        r.text(1).expect("nullable") == "NO",
                    )
                })
                .collect();
            let indexes = texts(
                db,
                "SELECT CAST(i.indexname AS TEXT) FROM pg_indexes i
                 WHERE i.schemaname = 'public' AND i.tablename = ?1
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                &[table.as_str().into()],
            )
            .into_iter()
            .collect();
            schema.insert(table, (columns, indexes));
        }
        schema
    }

    /// The SHA-256 of each PostgreSQL step, as `released_steps_are_unchanged` pins SQLite's:
    /// a failure means a released step was edited; undo that and append a step instead.
    #[test]
    fn released_steps_are_unchanged() {
        const RELEASED: [&str; 16] = [
            "5ad6d6bf49eb5b3ebfe954996a4075405acf2910ae703a1434b0dac5a257c960",
            "87f8659bb88d7b574f0ef45787f3a261fcd6a047a6cd75092de5e262c76997df",
            "146df91d2f6de6df1119391e486ea247c9b5d71f32baaa8cde3e22b375b47311",
            "0398eae69f3d69eca93ddbdb75a348ff2640a3cdce5ec7bec7ecb5ab83582fde",
            "5c1f6482314f4baecad4cdcf912da1974cbc188f7d43b023060c23ba2dc4622c",
            "f81059dc0c364a0aea4722828f35f0b336acb95ce7649ec66fc1fc57778c4d61",
            "5ab27c16c3934d8a9a80f061620c637363fea1d8ef5a22144ed0f52059915f2e",
            "1dbe77ad56e629b78f7b1484dfed043eff8b56070d7432acb895a44e573be5d5",
            "26ed84ade94814d71d663d53bcefaae0cfe4c28d47f645d16de968171166c983",
            "5402e4bf9b9983795db11e82bb26cb1bb14a9c8d85d3af1c90b2d9eb8f8cf407",
            "1a35d7bdd3b9023f08404c5acf4e79a3e93590e426d44d92726a4d10feb0fe59",
            "b94a9cf6f82b2d328e20120a97b878c0195b9c7cc0f2650e465365a80558ad14",
            "1199fa17b7312e9e8e27d1b6b0c4a3ad543f4ae7a41bc684b4f55914265be939",
            "e74b4411787db159cf0791a9c86a68d446185835c10ce0161ff766aca6aecd45",
            "4de54dd8802d3b49aac225f7ab2bb69165f82b5e2a2f05c1a64e3466ab4424f2",
            "cc09a8aa2974b38c486a67734e0560357b30e0158688eb874a0d1b2ccb4a8272",
        ];
        assert_eq!(super::super::tests::step_hashes(&STEPS), RELEASED);
    }

    fn fresh(pg: &testing::TestDatabase) -> Db {
        engine::open(&DatabaseUrl::parse(pg.url()).expect("a URL")).expect("opens and migrates")
    }

    #[test]
    fn the_two_schemas_do_not_drift() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        let sqlite =
            engine::open(&DatabaseUrl::Sqlite(tmp.path().join("ledgerlink.db"))).expect("opens");
        let on_sqlite = sqlite_schema(&sqlite);
        let on_postgres = postgres_schema(&fresh(&pg));
        assert_eq!(on_sqlite.len(), 29, "{:?}", on_sqlite.keys());
        for (table, sqlite_side) in &on_sqlite {
            assert_eq!(on_postgres.get(table), Some(sqlite_side), "table {table}");
        }
        assert_eq!(
            on_postgres.keys().collect::<Vec<_>>(),
            on_sqlite.keys().collect::<Vec<_>>()
        );
    }

    /// Migration 15: the home book's six foreign keys may be deferred (and are checked at
    /// once unless a transaction defers them); no other foreign key is deferrable.
    #[test]
    fn only_the_home_books_foreign_keys_are_deferrable_and_each_starts_immediate() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let keys: Vec<String> = fresh(&pg)
            .query(
                "SELECT CAST(conname AS TEXT), condeferrable, condeferred FROM pg_constraint
                 WHERE contype = 'f' AND connamespace = 'public'::regnamespace
                 ORDER BY conname COLLATE \"C\"",
                &[],
            )
            .expect("reads the catalogue")
            .iter()
            .map(|r| {
                format!(
                    "{} deferrable={} deferred={}",
                    r.text(0).expect("name"),
                    r.i64(1).expect("deferrable"),
                    r.i64(2).expect("deferred")
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                "api_tokens_user_id_fkey deferrable=0 deferred=0",
                "home_contract_invoice_lines_invoice_id_fkey deferrable=1 deferred=0",
                "home_contract_invoices_contract_id_fkey deferrable=1 deferred=0",
                "home_contract_invoices_customer_id_fkey deferrable=1 deferred=0",
                "home_contracts_customer_id_fkey deferrable=1 deferred=0",
                "home_job_lines_job_id_fkey deferrable=1 deferred=0",
                "home_jobs_customer_id_fkey deferrable=1 deferred=0",
                "installed_plugins_sha256_fkey deferrable=0 deferred=0",
                "sessions_user_id_fkey deferrable=0 deferred=0",
                "support_grants_user_id_fkey deferrable=0 deferred=0",
            ]
        );
    }

    #[test]
    fn migrating_again_changes_nothing_and_a_newer_schema_is_refused() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let db = fresh(&pg);
        run(&db).expect("again: nothing to do");
        let version = db
            .query_one("SELECT version FROM ledgerlink_schema", &[])
            .expect("one row");
        assert_eq!(version.i64(0).expect("version"), LATEST);
        db.execute("UPDATE ledgerlink_schema SET version = 99", &[])
            .expect("bump");
        let err = run(&db).expect_err("too new");
        assert_eq!(
            err.to_string(),
            format!(
                "the database {} has schema version 99, newer than this ledgerlink understands ({LATEST}); upgrade ledgerlink",
                db.describe()
            )
        );
    }

    #[test]
    fn processes_migrating_a_new_database_together_all_succeed() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let db = Db::connect_postgres(pg.url()).expect("connects");
                        barrier.wait();
                        run(&db)
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .expect("no panic")
                    .expect("migrates or finds it done");
            }
        });
        let db = fresh(&pg);
        let rows = db
            .query_one("SELECT COUNT(*), MAX(version) FROM ledgerlink_schema", &[])
            .expect("reads");
        assert_eq!(
            (rows.i64(0).expect("n"), rows.i64(1).expect("v")),
            (1, LATEST)
        );
    }

    #[test]
    fn a_support_grant_stays_while_its_user_exists() {
        let Some(pg) = testing::fresh_postgres() else {
            return testing::sqlite_only();
        };
        let db = fresh(&pg);
        db.execute_batch(
            "INSERT INTO users (id, name, role, password_hash, created_at) VALUES (1, 'sam', 'operator', 'h', 1);
             INSERT INTO users (id, name, role, password_hash, created_at) VALUES (2, 'kim', 'operator', 'h', 1);
             INSERT INTO support_grants (user_id, name, granted_by, created_at, expires_at) VALUES (1, 'sam', 'ann', 1, 2);",
        )
        .expect("rows");
        for (sql, refusal) in [
            (
                "DELETE FROM support_grants",
                "ERROR: a support grant cannot be deleted while its user exists; revoke it instead",
            ),
            (
                "UPDATE support_grants SET user_id = 2",
                "ERROR: a support grant cannot move to another user",
            ),
        ] {
            let err = db.execute(sql, &[]).expect_err("refused");
            assert_eq!(err.to_string(), refusal);
        }
        db.execute("DELETE FROM users WHERE id = 1", &[])
            .expect("the grant goes with its user");
        let left = db
            .query_one("SELECT COUNT(*) FROM support_grants", &[])
            .expect("count");
        assert_eq!(left.i64(0).expect("n"), 0);
    }
}
