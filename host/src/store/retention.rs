//! Retention (`ledgerlink purge`, and `ledgerlink serve --retention` once a day): past a
//! period, plan bodies, outbox payloads and run items are removed, while id maps, run
//! summaries (with their per-outcome counts) and the outbox's keys and states stay.
//!
//! What is never touched, because crash recovery or work in progress still needs it: a run
//! that is `running` or `interrupted`, a run or plan a queued or running job names or
//! produced, an outbox intent not yet settled (`pending`, `unknown`), and the newest
//! settled payload of each record (compare shows what changed since it was sent).
//! Columns from migration 11 record what was removed and when.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::connections::unix;
use super::sql::{Engine, Tx, Value};
use super::sync_state::{SyncState, SyncStateError};

/// When a run's items were purged (Unix seconds), and how many of each outcome it had.
pub type PurgedItems = (i64, BTreeMap<String, u64>);

/// The shortest retention period: a day.
pub const MIN_PERIOD_SECS: i64 = 86_400;

/// A retention period, as written on the command line (`90d`, `12w`, `36h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    secs: i64,
    text_amount: i64,
    text_unit: char,
}

/// Why a retention period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not a number and a unit.
    #[error(
        "{0:?} is not a retention period; write a whole number and a unit: h (hours), d (days) or w (weeks), e.g. 90d or 12w"
    )]
    Unreadable(String),
    /// Shorter than a day.
    #[error("{0:?} is shorter than one day; retention keeps at least a day of history (e.g. 1d)")]
    TooShort(String),
}

impl std::str::FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let unreadable = || PeriodError::Unreadable(s.to_owned());
        let unit = text.chars().last().ok_or_else(unreadable)?;
        let per = match unit {
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(unreadable()),
        };
        let digits = &text[..text.len() - unit.len_utf8()];
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(unreadable());
        }
        let amount: i64 = digits.parse().map_err(|_| unreadable())?;
        // Past about 27 years nobody means it; refuse rather than overflow.
        let secs = amount
            .checked_mul(per)
            .filter(|s| *s <= 10_000 * 86_400)
            .ok_or_else(unreadable)?;
        if secs < MIN_PERIOD_SECS {
            return Err(PeriodError::TooShort(s.to_owned()));
        }
        Ok(Period {
            secs,
            text_amount: amount,
            text_unit: unit,
        })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.text_amount, self.text_unit)
    }
}

impl Period {
    /// The period in seconds.
    pub fn secs(self) -> i64 {
        self.secs
    }
}

/// What a purge removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    /// Plans whose body was removed.
    pub plan_bodies: u64,
    /// Outbox intents whose payload was removed.
    pub outbox_payloads: u64,
    /// Run items removed.
    pub run_items: u64,
    /// Runs whose items were removed (their summaries stay).
    pub runs: u64,
}

impl std::fmt::Display for Purged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} plan bodies, {} outbox payloads, {} run items (of {} runs)",
            self.plan_bodies, self.outbox_payloads, self.run_items, self.runs
        )
    }
}

/// A job request's field: `$.run` / `$.plan` as an integer, `$.kind` as text. Requests are
/// the host's own JSON, kept as text on both engines; PostgreSQL has no `json_extract`.
fn request_field(engine: Engine, field: &str, integer: bool) -> String {
    match (engine, integer) {
        (Engine::Sqlite, _) => format!("json_extract(request, '$.{field}')"),
        (Engine::Postgres, true) => format!("CAST(CAST(request AS jsonb) ->> '{field}' AS BIGINT)"),
        (Engine::Postgres, false) => format!("(CAST(request AS jsonb) ->> '{field}')"),
    }
}

/// The purge's common table expressions: `busy_runs`, runs whose items and outbox rows stay
/// (in progress, interrupted — their next run resumes through the outbox — or named by or
/// produced by a queued or running job), and `busy_plans`, plans whose body stays (named by
/// a queued or running job, or applied by a busy run).
fn busy(engine: Engine) -> String {
    let kind = request_field(engine, "kind", false);
    let run = request_field(engine, "run", true);
    let plan = request_field(engine, "plan", true);
    format!(
        "WITH busy_runs(id) AS (
            SELECT id FROM runs WHERE status IN ('running', 'interrupted')
            UNION SELECT run_id FROM jobs WHERE status IN ('queued', 'running') AND run_id IS NOT NULL
            UNION SELECT {run} FROM jobs
                WHERE status IN ('queued', 'running') AND {kind} = 'rollback'),
         busy_plans(id) AS (
            SELECT {plan} FROM jobs
                WHERE status IN ('queued', 'running') AND {kind} = 'apply'
            UNION SELECT plan_id FROM runs WHERE plan_id IS NOT NULL
                AND id IN (SELECT id FROM runs WHERE status IN ('running', 'interrupted')
                           UNION SELECT run_id FROM jobs
                               WHERE status IN ('queued', 'running') AND run_id IS NOT NULL)) "
    )
}

/// The outbox rows whose payload goes: settled, failed or rolled back (never pending or
/// unknown), recorded before the cutoff (?1), of no busy run, and not the newest settled
/// payload of their record (ties broken by key, byte-wise, the same on both engines).
fn outbox_due(engine: Engine) -> String {
    let bytewise = engine.bytewise();
    format!(
        "SELECT o.idempotency_key FROM outbox o
         WHERE o.created_at < ?1 AND o.payload_purged_at IS NULL
           AND o.state NOT IN ('pending', 'unknown')
           AND o.run_id NOT IN (SELECT id FROM busy_runs WHERE id IS NOT NULL)
           AND NOT (o.state = 'settled' AND o.idempotency_key = (
               SELECT n.idempotency_key FROM outbox n
               WHERE n.connection = o.connection AND n.entity = o.entity AND n.home_key = o.home_key
                 AND n.state = 'settled'
               ORDER BY n.settled_at DESC, n.created_at DESC, n.idempotency_key{bytewise} DESC
               LIMIT 1))"
    )
}

/// The runs whose items go: ended before the cutoff (?1), not busy, not yet purged.
const RUNS_DUE: &str = "
    SELECT r.id FROM runs r
    WHERE COALESCE(r.finished_at, r.started_at) < ?1 AND r.items_purged_at IS NULL
      AND r.status NOT IN ('running', 'interrupted')
      AND r.id NOT IN (SELECT id FROM busy_runs WHERE id IS NOT NULL)
      AND EXISTS (SELECT 1 FROM run_items i WHERE i.run_id = r.id)";

/// The plans whose body goes: made before the cutoff (?1), not busy, not yet purged.
const PLANS_DUE: &str = "
    SELECT p.id FROM plans p
    WHERE p.created_at < ?1 AND p.body_purged_at IS NULL
      AND p.id NOT IN (SELECT id FROM busy_plans WHERE id IS NOT NULL)";

/// What a purged outbox payload becomes: `{"purged":1,"remote_id":...}`, keeping what
/// rollback reads (a `remote_id` of null: the write created the record). A payload that is
/// not JSON keeps a null one, as SQLite's `json_extract` of it would have.
fn purged_marker(payload: &str) -> String {
    let remote_id = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("remote_id").cloned())
        .unwrap_or(serde_json::Value::Null);
    serde_json::json!({ "purged": 1, "remote_id": remote_id }).to_string()
}

/// How many of each outcome run `run` has: what its summary keeps once its items go.
fn outcome_counts(tx: &Tx<'_>, run: i64) -> Result<BTreeMap<String, u64>, SyncStateError> {
    tx.query(
        "SELECT outcome, COUNT(*) FROM run_items WHERE run_id = ?1 GROUP BY outcome",
        &[Value::Int(run)],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, u64::try_from(r.i64(1)?).unwrap_or(0))))
    .collect()
}

impl SyncState {
    /// Remove plan bodies, outbox payloads and run items older than `period` (see the
    /// module's documentation for what stays), in one transaction with its audit line as
    /// `actor`; with `dry_run`, only count what would go. Each statement touches one outbox
    /// row, one run's items or one plan, so none grows with the size of the history.
    pub fn purge(
        &self,
        period: Period,
        dry_run: bool,
        actor: &str,
    ) -> Result<Purged, SyncStateError> {
        let now = unix(SystemTime::now());
        let cutoff = now - period.secs();
        let engine = self.db().engine();
        self.transaction(|tx| {
            let with = busy(engine);
            let due = |select: &str| tx.query(&format!("{with}{select}"), &[Value::Int(cutoff)]);
            let outbox = due(&outbox_due(engine))?
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<Vec<_>, _>>()?;
            let runs = due(RUNS_DUE)?
                .iter()
                .map(|r| r.i64(0))
                .collect::<Result<Vec<_>, _>>()?;
            let plans = due(PLANS_DUE)?
                .iter()
                .map(|r| r.i64(0))
                .collect::<Result<Vec<_>, _>>()?;
            let counts = runs
                .iter()
                .map(|run| outcome_counts(tx, *run))
                .collect::<Result<Vec<_>, _>>()?;
            let purged = Purged {
                plan_bodies: plans.len() as u64,
                outbox_payloads: outbox.len() as u64,
                run_items: counts.iter().flat_map(BTreeMap::values).sum(),
                runs: runs.len() as u64,
            };
            if dry_run {
                return Ok(purged);
            }
            // Read again under a row lock on PostgreSQL (whose READ COMMITTED transaction
            // does not keep other writers out as SQLite's does): an intent recorded again
            // meanwhile is pending with a new payload, and must keep it.
            let read_payload = format!(
                "SELECT payload FROM outbox WHERE idempotency_key = ?1
                   AND payload_purged_at IS NULL AND state NOT IN ('pending', 'unknown'){}",
                match engine {
                    Engine::Sqlite => "",
                    Engine::Postgres => " FOR UPDATE",
                }
            );
            for key in &outbox {
                let Some(row) = tx.query_opt(&read_payload, &[key.as_str().into()])? else {
                    continue;
                };
                tx.execute(
                    "UPDATE outbox SET payload = ?2, payload_purged_at = ?3 WHERE idempotency_key = ?1",
                    &[
                        key.as_str().into(),
                        purged_marker(&row.text(0)?).into(),
                        Value::Int(now),
                    ],
                )?;
            }
            for (run, counts) in runs.iter().zip(&counts) {
                let counts = serde_json::to_string(counts).map_err(|e| SyncStateError::Corrupt {
                    what: "run",
                    id: *run,
                    reason: format!("its outcome counts could not be written as JSON: {e}"),
                })?;
                tx.execute(
                    "UPDATE runs SET items_purged_at = ?2, item_counts = ?3 WHERE id = ?1",
                    &[Value::Int(*run), Value::Int(now), counts.into()],
                )?;
                tx.execute(
                    "DELETE FROM run_items WHERE run_id = ?1",
                    &[Value::Int(*run)],
                )?;
            }
            for plan in &plans {
                tx.execute(
                    "UPDATE plans SET body = '', body_purged_at = ?2 WHERE id = ?1",
                    &[Value::Int(*plan), Value::Int(now)],
                )?;
            }
            tx.execute(
                "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, 'purge', ?2, ?3)",
                &[
                    Value::Int(now),
                    format!("purged what is older than {period}: {purged}").into(),
                    actor.into(),
                ],
            )?;
            Ok(purged)
        })
    }

    /// When run `id`'s items were purged, and how many of each outcome it had.
    pub fn purged_items(&self, id: i64) -> Result<Option<PurgedItems>, SyncStateError> {
        let row = self.db().query_opt(
            "SELECT items_purged_at, item_counts FROM runs WHERE id = ?1",
            &[Value::Int(id)],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(at) = row.opt_i64(0)? else {
            return Ok(None);
        };
        let counts = match row.opt_text(1)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| SyncStateError::Corrupt {
                what: "run",
                id,
                reason: e.to_string(),
            })?,
            None => BTreeMap::new(),
        };
        Ok(Some((at, counts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::id_map::MapEntry;
    use crate::store::outbox::{NewIntent, Settlement};
    use crate::store::runs::RunItem;
    use crate::store::sync_state::testing::each_engine;

    fn item(key: &str, outcome: &str) -> RunItem {
        RunItem {
            home_key: Some(key.to_owned()),
            remote_id: None,
            name: format!("Name of {key}"),
            outcome: outcome.to_owned(),
            reason: String::new(),
        }
    }

    fn entry(key: &str, remote: &str) -> MapEntry {
        MapEntry {
            home_key: key.to_owned(),
            remote_id: remote.to_owned(),
            home_fingerprint: "h".into(),
            remote_fingerprint: "r".into(),
            synced_at: 1,
        }
    }

    /// Move every timestamp of run `run` (and its plan and outbox rows) `days` into the past.
    fn backdate(s: &SyncState, run: i64, days: i64) {
        let by = days * 86_400;
        let db = s.db();
        for sql in [
            "UPDATE runs SET started_at = started_at - ?2, finished_at = finished_at - ?2 WHERE id = ?1",
            "UPDATE plans SET created_at = created_at - ?2 WHERE id = (SELECT plan_id FROM runs WHERE id = ?1)",
            "UPDATE outbox SET created_at = created_at - ?2, settled_at = settled_at - ?2 WHERE run_id = ?1",
        ] {
            db.execute(sql, &[Value::Int(run), Value::Int(by)])
                .expect("backdates");
        }
    }

    /// A finished push run over `keys` whose writes all settled (creations), on its own plan.
    fn settled_run(s: &SyncState, keys: &[&str], remote_prefix: &str) -> i64 {
        let plan = s
            .save_plan("xero", "customers", "push", "{\"rows\":[]}")
            .expect("plan");
        let run = s
            .start_run(Some(plan), "xero", "customers", "push", false)
            .expect("run");
        let intents: Vec<NewIntent<'_>> = keys
            .iter()
            .map(|k| NewIntent {
                home_key: k,
                key: k,
                payload: format!("{{\"name\":\"{k}\",\"remote_id\":null}}"),
            })
            .collect();
        // Keys are per run here, so two runs over one record do not share an intent.
        let keyed: Vec<String> = keys.iter().map(|k| format!("{run}:{k}")).collect();
        let intents: Vec<NewIntent<'_>> = intents
            .into_iter()
            .zip(&keyed)
            .map(|(i, key)| NewIntent { key, ..i })
            .collect();
        s.record_intents(run, "xero", "customers", &intents)
            .expect("intents");
        let entries: Vec<MapEntry> = keys
            .iter()
            .map(|k| entry(k, &format!("{remote_prefix}-{k}")))
            .collect();
        let items: Vec<RunItem> = keys.iter().map(|k| item(k, "created")).collect();
        let settlements: Vec<Settlement<'_>> = keyed
            .iter()
            .zip(&entries)
            .zip(&items)
            .map(|((key, entry), item)| Settlement::Written { key, entry, item })
            .collect();
        s.settle_all(run, "xero", "customers", &settlements)
            .expect("settles");
        s.record_item(run, &item("TP-SKIP", "skipped"))
            .expect("item");
        s.finish_run(run).expect("finishes");
        run
    }

    /// Run A (100 days old): two records created and one skipped. Run B (95 days old) sends
    /// TP-1 again, so A's TP-1 payload is superseded; B's is TP-1's newest and stays. Run C
    /// is fresh. Returns (A, B, C).
    fn two_old_runs_and_a_fresh_one(s: &SyncState) -> (i64, i64, i64) {
        let a = settled_run(s, &["TP-1", "TP-2"], "A");
        let b = settled_run(s, &["TP-1"], "B");
        let fresh = settled_run(s, &["TP-3"], "C");
        backdate(s, a, 100);
        backdate(s, b, 95);
        (a, b, fresh)
    }

    fn purge_past_a_day(s: &SyncState) -> Purged {
        s.purge("1d".parse().expect("period"), false, "cli")
            .expect("purges")
    }

    fn count(s: &SyncState, sql: &str) -> i64 {
        s.db()
            .query_one(sql, &[])
            .and_then(|r| r.i64(0))
            .expect("counts")
    }

    #[test]
    fn periods_parse_and_nonsense_is_refused() {
        let p: Period = "90d".parse().expect("90d");
        assert_eq!(p.secs(), 90 * 86_400);
        assert_eq!(p.to_string(), "90d");
        assert_eq!("12w".parse::<Period>().expect("12w").secs(), 84 * 86_400);
        assert_eq!("24h".parse::<Period>().expect("24h").secs(), 86_400);
        assert_eq!(
            "23h".parse::<Period>().expect_err("too short").to_string(),
            "\"23h\" is shorter than one day; retention keeps at least a day of history (e.g. 1d)"
        );
        assert_eq!(
            "0d".parse::<Period>(),
            Err(PeriodError::TooShort("0d".into()))
        );
        for bad in [
            "",
            "d",
            "90",
            "ninety days",
            "-5d",
            "9.5d",
            "90y",
            "99999999999999w",
        ] {
            assert_eq!(
                bad.parse::<Period>(),
                Err(PeriodError::Unreadable(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            "90x".parse::<Period>().expect_err("unit").to_string(),
            "\"90x\" is not a retention period; write a whole number and a unit: h (hours), d (days) or w (weeks), e.g. 90d or 12w"
        );
    }

    #[test]
    fn purge_removes_old_bodies_payloads_and_items_and_keeps_maps_and_summaries() {
        for (_keep, s) in each_engine() {
            let (a, b, fresh) = two_old_runs_and_a_fresh_one(&s);
            let period: Period = "90d".parse().expect("period");

            let dry = s.purge(period, true, "cli").expect("dry run");
            let expected = Purged {
                plan_bodies: 2,
                // A's TP-1 (superseded by B's); A's TP-2 and B's TP-1 are their records' newest.
                outbox_payloads: 1,
                run_items: 5,
                runs: 2,
            };
            assert_eq!(dry, expected);
            assert_eq!(
                count(&s, "SELECT COUNT(*) FROM run_items"),
                7,
                "dry run removes nothing"
            );

            assert_eq!(s.purge(period, false, "cli").expect("purges"), expected);
            assert_eq!(
                count(
                    &s,
                    &format!("SELECT COUNT(*) FROM run_items WHERE run_id IN ({a}, {b})")
                ),
                0
            );
            assert_eq!(
                count(
                    &s,
                    &format!("SELECT COUNT(*) FROM run_items WHERE run_id = {fresh}")
                ),
                2
            );
            // Summaries, id maps and outbox keys stay.
            let runs = s.runs().expect("runs");
            assert_eq!(runs.len(), 3);
            assert_eq!(runs.iter().filter(|r| r.status == "finished").count(), 3);
            let (at, counts) = s.purged_items(a).expect("reads").expect("purged");
            assert!(at > 0);
            assert_eq!(
                counts,
                BTreeMap::from([("created".to_owned(), 2), ("skipped".to_owned(), 1)])
            );
            assert_eq!(s.purged_items(fresh).expect("reads"), None);
            assert_eq!(count(&s, "SELECT COUNT(*) FROM id_map"), 3);
            assert_eq!(count(&s, "SELECT COUNT(*) FROM outbox"), 4);
            assert_eq!(
                count(
                    &s,
                    "SELECT COUNT(*) FROM outbox WHERE payload_purged_at IS NOT NULL"
                ),
                1
            );
            // The newest payload of TP-1 is still what compare shows as last sent.
            assert_eq!(
                s.last_sent("xero", "customers", "TP-1").expect("reads"),
                Some("{\"name\":\"TP-1\",\"remote_id\":null}".to_owned())
            );
            // Rollback of run A still finds what it created.
            let created = s.created_in_run(a).expect("created");
            assert_eq!(created.len(), 2, "{created:?}");
            // A purged plan cannot be applied any more, and says why.
            let plan_a = runs
                .iter()
                .find(|r| r.id == a)
                .and_then(|r| r.plan_id)
                .expect("plan");
            assert_eq!(
                s.plan_meta(plan_a).expect_err("purged").to_string(),
                format!(
                    "plan {plan_a} was removed by retention (`ledgerlink purge`); compare again for a new plan"
                )
            );
            // A second purge finds nothing more; the audit log has both purges that removed.
            assert_eq!(
                s.purge(period, false, "cli").expect("again"),
                Purged::default()
            );
            assert_eq!(
                count(
                    &s,
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'purge' AND actor = 'cli'"
                ),
                2
            );
        }
    }

    #[test]
    fn purge_never_touches_work_in_progress_or_unsettled_intents() {
        for (_keep, s) in each_engine() {
            // An old run that died mid-push: one write settled, one pending, one unknown.
            let plan = s
                .save_plan("xero", "customers", "push", "{\"rows\":[]}")
                .expect("plan");
            let run = s
                .start_run(Some(plan), "xero", "customers", "push", false)
                .expect("run");
            let intents = [
                NewIntent {
                    home_key: "TP-1",
                    key: "k1",
                    payload: "{\"n\":1}".into(),
                },
                NewIntent {
                    home_key: "TP-2",
                    key: "k2",
                    payload: "{\"n\":2}".into(),
                },
                NewIntent {
                    home_key: "TP-3",
                    key: "k3",
                    payload: "{\"n\":3}".into(),
                },
            ];
            s.record_intents(run, "xero", "customers", &intents)
                .expect("intents");
            let e1 = entry("TP-1", "X-1");
            let done = item("TP-1", "created");
            let lost = item("TP-3", "unknown");
            s.settle_all(
                run,
                "xero",
                "customers",
                &[
                    Settlement::Written {
                        key: "k1",
                        entry: &e1,
                        item: &done,
                    },
                    Settlement::Unknown {
                        key: "k3",
                        item: &lost,
                    },
                ],
            )
            .expect("settles");
            s.mark_interrupted(run).expect("interrupted");
            // An old, finished run whose rollback is queued as a job.
            let queued_rollback = settled_run(&s, &["TP-9"], "Q");
            // An old plan a queued apply job names.
            let queued_plan = s
                .save_plan("xero", "customers", "push", "{\"rows\":[1]}")
                .expect("plan");
            s.db()
            .execute_batch(&format!(
                "INSERT INTO jobs (kind, connection, request, status, created_by, created_at)
                 VALUES ('rollback', 'xero', '{{\"version\":1,\"kind\":\"rollback\",\"run\":{queued_rollback}}}', 'queued', 'ann', 1),
                        ('apply', 'xero', '{{\"version\":1,\"kind\":\"apply\",\"plan\":{queued_plan},\"pick\":\"all\",\"dry_run\":false,\"demo\":null}}', 'running', 'ann', 1);
                 UPDATE plans SET created_at = created_at - 400 * 86400;
                 UPDATE runs SET started_at = started_at - 400 * 86400,
                     finished_at = finished_at - 400 * 86400;
                 UPDATE outbox SET created_at = created_at - 400 * 86400;"
            ))
            .expect("old and busy");

            let purged = purge_past_a_day(&s);
            // Only the plan of the run whose rollback is queued goes: a rollback reads the
            // outbox, never the plan.
            assert_eq!(
                purged,
                Purged {
                    plan_bodies: 1,
                    ..Purged::default()
                }
            );
            // The pending and unknown intents keep their payloads: recovery replays or looks up
            // exactly what was to be sent.
            let pending = s.pending("xero", "customers").expect("pending");
            let payloads: Vec<(&str, &str)> = pending
                .iter()
                .map(|i| (i.idempotency_key.as_str(), i.payload.as_str()))
                .collect();
            assert_eq!(payloads, [("k2", "{\"n\":2}"), ("k3", "{\"n\":3}")]);
            assert_eq!(count(&s, "SELECT COUNT(*) FROM run_items"), 4);
            assert!(s.plan_meta(plan).is_ok());
            assert!(s.plan_meta(queued_plan).is_ok());

            // Once the job is done and the interrupted run's intents are resolved, they go.
            s.db()
                .execute_batch(
                    "UPDATE jobs SET status = 'succeeded';
                 UPDATE runs SET status = 'finished';
                 UPDATE outbox SET state = 'failed' WHERE state IN ('pending', 'unknown');",
                )
                .expect("settles");
            let purged = purge_past_a_day(&s);
            assert_eq!(
                purged,
                Purged {
                    plan_bodies: 2,
                    outbox_payloads: 2,
                    run_items: 4,
                    runs: 2
                }
            );
        }
    }

    #[test]
    fn an_intent_recorded_again_after_its_payload_was_purged_carries_the_new_payload() {
        for (_keep, s) in each_engine() {
            let run = s
                .start_run(None, "xero", "customers", "push", false)
                .expect("run");
            let failed = item("TP-1", "failed");
            s.record_intents(
                run,
                "xero",
                "customers",
                &[NewIntent {
                    home_key: "TP-1",
                    key: "k1",
                    payload: "{\"n\":1}".into(),
                }],
            )
            .expect("intent");
            s.settle_all(
                run,
                "xero",
                "customers",
                &[Settlement::Failed {
                    key: "k1",
                    item: &failed,
                }],
            )
            .expect("fails");
            s.finish_run(run).expect("finishes");
            s.db()
            .execute_batch(
                "UPDATE outbox SET created_at = created_at - 10 * 86400;
                 UPDATE runs SET started_at = started_at - 10 * 86400, finished_at = finished_at - 10 * 86400;",
            )
            .expect("backdates");
            let purged = purge_past_a_day(&s);
            assert_eq!(purged.outbox_payloads, 1);
            // The same write tried again: recovery must see the new payload, not the marker.
            let again = s
                .start_run(None, "xero", "customers", "push", false)
                .expect("run");
            s.record_intents(
                again,
                "xero",
                "customers",
                &[NewIntent {
                    home_key: "TP-1",
                    key: "k1",
                    payload: "{\"n\":1}".into(),
                }],
            )
            .expect("again");
            let pending = s.pending("xero", "customers").expect("pending");
            assert_eq!(pending.len(), 1);
            assert_eq!(pending[0].payload, "{\"n\":1}");
        }
    }

    /// `ledgerlink purge` on either engine removes exactly the due rows: which outbox
    /// payloads became markers (and what the marker keeps), which runs lost their items,
    /// which plans lost their bodies.
    #[test]
    fn purge_removes_exactly_the_due_rows_on_both_engines() {
        for (_keep, s) in each_engine() {
            let (old, newer, fresh) = two_old_runs_and_a_fresh_one(&s);
            let purged = s
                .purge("90d".parse().expect("period"), false, "cli")
                .expect("purges");
            assert_eq!(
                purged.to_string(),
                "2 plan bodies, 1 outbox payloads, 5 run items (of 2 runs)"
            );
            let strings = |sql: &str| -> Vec<String> {
                s.db()
                    .query(sql, &[])
                    .expect("reads")
                    .iter()
                    .map(|r| {
                        (0..2)
                            .map(|i| match r.opt_text(i) {
                                Ok(t) => t.unwrap_or_default(),
                                Err(_) => r.i64(i).expect("a number").to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect()
            };
            let engine = s.db().engine();
            assert_eq!(
                strings(&format!(
                    "SELECT idempotency_key, payload FROM outbox
                     WHERE payload_purged_at IS NOT NULL ORDER BY idempotency_key{}",
                    engine.bytewise()
                )),
                [format!("{old}:TP-1 {{\"purged\":1,\"remote_id\":null}}")],
                "{engine:?}"
            );
            assert_eq!(
                strings(&format!(
                    "SELECT run_id, home_key FROM run_items ORDER BY run_id, home_key{}",
                    engine.bytewise()
                )),
                [format!("{fresh} TP-3"), format!("{fresh} TP-SKIP")],
                "{engine:?}"
            );
            assert_eq!(
                strings(
                    "SELECT id, item_counts FROM runs WHERE items_purged_at IS NOT NULL ORDER BY id"
                ),
                [
                    format!("{old} {{\"created\":2,\"skipped\":1}}"),
                    format!("{newer} {{\"created\":1,\"skipped\":1}}")
                ],
                "{engine:?}"
            );
            let runs = s.runs().expect("runs");
            let plan_of = |run: i64| {
                let plan = runs.iter().find(|r| r.id == run).and_then(|r| r.plan_id);
                format!("{} ", plan.expect("a plan"))
            };
            assert_eq!(
                strings(
                    "SELECT p.id, p.body FROM plans p JOIN runs r ON r.plan_id = p.id
                     WHERE p.body_purged_at IS NOT NULL ORDER BY r.id"
                ),
                [plan_of(old), plan_of(newer)],
                "{engine:?}"
            );
        }
    }
}
