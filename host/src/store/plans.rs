//! Stored plans: a compare's result, kept so that `apply` acts on exactly what was shown.
//! The body is the sync engine's own versioned JSON (`sync::plan`). Table `plans`
//! (migration 2; on SQLite `body` holds TEXT or BLOB since migration 12).
//!
//! How the body is kept differs by engine (docs/architecture.md, "Store engines"). On
//! SQLite a plan is streamed into its row's blob and parsed straight from it (incremental
//! blob I/O, through the raw connection [`SyncState::with`] gives): for 100,000 customers
//! the JSON is never held as one ~100 MB string. PostgreSQL has no incremental blob I/O
//! and its `body` is `TEXT` (its migrations keep SQLite's TEXT, not the blob of step 12):
//! the JSON is sent and read as one text value. Everything else is the same SQL on both.

use std::io::{self, BufReader, BufWriter, Write};
use std::time::SystemTime;

use rusqlite::MAIN_DB;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::connections::unix;
use super::sql::{Engine, Value};
use super::sync_state::{SyncState, SyncStateError};

impl SyncState {
    /// Store a plan (its body is the engine's JSON); returns its id.
    pub fn save_plan(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
        body: &str,
    ) -> Result<i64, SyncStateError> {
        let id = self.db().query_one(
            "INSERT INTO plans (connection, entity, direction, created_at, body) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            &[
                connection.into(),
                entity.into(),
                direction.into(),
                Value::Int(unix(SystemTime::now())),
                body.into(),
            ],
        )?;
        Ok(id.i64(0)?)
    }

    /// Store `plan` as its JSON. On SQLite without holding that JSON as one string: it is
    /// serialized once to measure it and once into the row's blob (SQLite's incremental
    /// blob I/O), a buffer at a time; for 100,000 customers that string was ~100 MB beside
    /// the plan itself. On PostgreSQL it is one `TEXT` value. Returns the plan's id.
    pub fn save_plan_as_json<P: Serialize>(
        &self,
        connection: &str,
        entity: &str,
        direction: &str,
        plan: &P,
    ) -> Result<i64, SyncStateError> {
        let unwritable = |e: serde_json::Error| SyncStateError::Corrupt {
            what: "new plan",
            id: 0,
            reason: format!("it could not be written as JSON: {e}"),
        };
        if self.db().engine() == Engine::Postgres {
            let body = serde_json::to_string(plan).map_err(unwritable)?;
            return self.save_plan(connection, entity, direction, &body);
        }
        let mut measure = Counted(0);
        serde_json::to_writer(&mut measure, plan).map_err(unwritable)?;
        let len = i64::try_from(measure.0).unwrap_or(i64::MAX);
        self.with(|db| {
            let tx = db.transaction()?;
            let id: i64 = tx.query_row(
                "INSERT INTO plans (connection, entity, direction, created_at, body) VALUES (?1, ?2, ?3, ?4, zeroblob(?5)) RETURNING id",
                rusqlite::params![connection, entity, direction, unix(SystemTime::now()), len],
                |r| r.get(0),
            )?;
            {
                let blob = tx.blob_open(MAIN_DB, c"plans", c"body", id, false)?;
                let mut out = BufWriter::with_capacity(64 * 1024, Counting { inner: blob, written: 0 });
                serde_json::to_writer(&mut out, plan).map_err(unwritable)?;
                out.flush().map_err(|e| unwritable(serde_json::Error::io(e)))?;
                let written = out.get_ref().written;
                if written != measure.0 {
                    return Err(unwritable(serde_json::Error::io(io::Error::other(format!(
                        "it measured {len} bytes and wrote {written}"
                    )))));
                }
            }
            tx.commit()?;
            Ok(id)
        })
    }

    /// Plan `id`'s (connection, entity, direction), without its body.
    pub fn plan_meta(&self, id: i64) -> Result<(String, String, String), SyncStateError> {
        let row = self
            .db()
            .query_opt(
                "SELECT connection, entity, direction, body_purged_at FROM plans WHERE id = ?1",
                &[Value::Int(id)],
            )?
            .ok_or(SyncStateError::NoPlan(id))?;
        if row.opt_i64(3)?.is_some() {
            return Err(SyncStateError::PlanPurged(id));
        }
        Ok((row.text(0)?, row.text(1)?, row.text(2)?))
    }

    /// Plan `id`'s body parsed as `P` straight from the stored bytes (on SQLite never held
    /// as one string); the inner `Err` when it is not a `P`, for the caller to say why in
    /// its terms.
    pub fn read_plan_json<P: DeserializeOwned>(
        &self,
        id: i64,
    ) -> Result<Result<P, serde_json::Error>, SyncStateError> {
        self.plan_meta(id)?;
        if self.db().engine() == Engine::Postgres {
            return Ok(serde_json::from_str(&self.plan_text(id)?));
        }
        self.with(|db| {
            let blob = db.blob_open(MAIN_DB, c"plans", c"body", id, true)?;
            Ok(serde_json::from_reader(BufReader::with_capacity(
                64 * 1024,
                blob,
            )))
        })
    }

    /// A plan's (connection, entity, direction, body), the body as one string (for tests and
    /// tools; the engine reads it with [`SyncState::read_plan_json`]).
    pub fn plan(&self, id: i64) -> Result<(String, String, String, String), SyncStateError> {
        let (connection, entity, direction) = self.plan_meta(id)?;
        let body = if self.db().engine() == Engine::Postgres {
            self.plan_text(id)?
        } else {
            self.with(|db| {
                let mut blob = db.blob_open(MAIN_DB, c"plans", c"body", id, true)?;
                let mut body = String::new();
                io::Read::read_to_string(&mut blob, &mut body).map_err(|e| {
                    SyncStateError::Corrupt {
                        what: "plan",
                        id,
                        reason: e.to_string(),
                    }
                })?;
                Ok(body)
            })?
        };
        Ok((connection, entity, direction, body))
    }

    /// Plan `id`'s body as the text PostgreSQL keeps it in.
    fn plan_text(&self, id: i64) -> Result<String, SyncStateError> {
        let row = self
            .db()
            .query_opt("SELECT body FROM plans WHERE id = ?1", &[Value::Int(id)])?
            .ok_or(SyncStateError::NoPlan(id))?;
        Ok(row.text(0)?)
    }

    /// When plan `id` was stored (Unix seconds).
    pub fn plan_created_at(&self, id: i64) -> Result<i64, SyncStateError> {
        let row = self
            .db()
            .query_opt(
                "SELECT created_at FROM plans WHERE id = ?1",
                &[Value::Int(id)],
            )?
            .ok_or(SyncStateError::NoPlan(id))?;
        Ok(row.i64(0)?)
    }
}

/// A writer that only counts what it is given.
struct Counted(u64);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_state::testing::each_engine;
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Body {
        rows: Vec<String>,
    }

    #[test]
    fn a_plan_streamed_into_its_blob_reads_back_and_an_older_text_body_still_reads() {
        for (_keep, s) in each_engine() {
            a_plan_reads_back(&s);
        }
    }

    fn a_plan_reads_back(s: &SyncState) {
        // Bigger than the 64 KiB buffers, with text that JSON escapes.
        let body = Body {
            rows: (0..5_000)
                .map(|i| format!("row {i} \"quoted\" \u{e9}"))
                .collect(),
        };
        let id = s
            .save_plan_as_json("books", "customers", "push", &body)
            .expect("saves");
        assert_eq!(
            s.plan_meta(id).expect("reads"),
            ("books".into(), "customers".into(), "push".into())
        );
        let back: Body = s.read_plan_json(id).expect("reads").expect("parses");
        assert_eq!(back, body);
        let (.., text) = s.plan(id).expect("reads");
        assert_eq!(text, serde_json::to_string(&body).expect("serializes"));
        assert!(s.plan_created_at(id).expect("reads") > 1_600_000_000);
        // How the body is kept: a blob on SQLite (streamed), TEXT on PostgreSQL.
        let kept = match s.db().engine() {
            Engine::Sqlite => "SELECT typeof(body) FROM plans WHERE id = ?1",
            Engine::Postgres => "SELECT pg_typeof(body)::text FROM plans WHERE id = ?1",
        };
        let kept = s
            .db()
            .query_one(kept, &[Value::Int(id)])
            .expect("reads")
            .text(0)
            .expect("a type name");
        let expected = match s.db().engine() {
            Engine::Sqlite => "blob",
            Engine::Postgres => "text",
        };
        assert_eq!(kept, expected);

        // A body stored as text (before plans were streamed) reads the same way.
        let old = s
            .save_plan("books", "customers", "push", "{\"rows\":[\"a\"]}")
            .expect("saves");
        let back: Body = s.read_plan_json(old).expect("reads").expect("parses");
        assert_eq!(back.rows, ["a"]);
        // A body of another shape is the caller's to explain.
        let wrong = s.read_plan_json::<Vec<u8>>(old).expect("reads");
        assert!(wrong.is_err());
        assert!(matches!(
            s.read_plan_json::<Body>(999),
            Err(SyncStateError::NoPlan(999))
        ));
        assert!(matches!(
            s.plan_created_at(999),
            Err(SyncStateError::NoPlan(999))
        ));
    }
}
