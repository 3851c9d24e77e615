//! The vendor call windows of an organisation, shared by every ledgerlink process on the
//! store (issue 21, item 4): before a request goes to the vendor, [`reserve`] counts every
//! process's sends to that organisation (of every connection to it) in each of the
//! vendor's windows and either records this one or says how long to wait. Sends are kept
//! under the pacing key (`auth::context::pacing_key`: connector, organisation, routes),
//! in the `connection` column of `pacer_sends`. `net::pacing::Pacer` calls it when the store is
//! shared; five workers then spend one organisation's 60 calls a minute together, not 60
//! each.
//!
//! A reservation is one transaction: on PostgreSQL it first takes a transaction advisory
//! lock of the pacing key (two hosts counting at once would both see room), and its clock
//! is the database's (`clock_timestamp()`), one clock for every host; on SQLite the
//! transaction's write lock serialises, and the clock is this machine's.

use super::advisory;
use super::sql::{self, Db, Engine, Tx, Value};

/// One vendor limit: at most `requests` sends in any `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Sends allowed in a window.
    pub requests: u32,
    /// The window, in milliseconds.
    pub window_ms: i64,
}

/// The advisory lock namespace of the windows.
const PACER_LOCKS: &str = "pacer";

/// Record a send under pacing key `key` now if every window in `windows` has room: `Ok(None)`.
/// Otherwise record nothing and answer how many milliseconds until the fullest window has
/// room: `Ok(Some(ms))`.
pub fn reserve(db: &Db, key: &str, windows: &[Window]) -> Result<Option<i64>, sql::Error> {
    let longest = windows.iter().map(|w| w.window_ms).max().unwrap_or(0);
    db.transaction(|tx| {
        let now = now_ms(tx, key)?;
        tx.execute(
            "DELETE FROM pacer_sends WHERE connection = ?1 AND sent_at_ms <= ?2",
            &[key.into(), Value::Int(now - longest)],
        )?;
        let mut wait = 0i64;
        for w in windows.iter().filter(|w| w.requests > 0 && w.window_ms > 0) {
            // The send that has to leave the window before this one fits: the
            // `requests`-th newest inside it.
            let blocking = tx.query_opt(
                "SELECT sent_at_ms FROM pacer_sends
                 WHERE connection = ?1 AND sent_at_ms > ?2
                 ORDER BY sent_at_ms DESC LIMIT 1 OFFSET ?3",
                &[
                    key.into(),
                    Value::Int(now - w.window_ms),
                    Value::Int(i64::from(w.requests) - 1),
                ],
            )?;
            if let Some(row) = blocking {
                wait = wait.max(row.i64(0)? + w.window_ms - now);
            }
        }
        if wait > 0 {
            return Ok(Some(wait));
        }
        tx.execute(
            "INSERT INTO pacer_sends (connection, sent_at_ms) VALUES (?1, ?2)",
            &[key.into(), Value::Int(now)],
        )?;
        Ok(None)
    })
}

/// The clock every process agrees on, in Unix milliseconds; on PostgreSQL after taking the
/// pacing key's lock for the rest of the transaction.
fn now_ms(tx: &Tx<'_>, key: &str) -> Result<i64, sql::Error> {
    match tx.engine() {
        Engine::Postgres => {
            tx.execute(
                "SELECT pg_advisory_xact_lock(?1)",
                &[Value::Int(advisory::key(PACER_LOCKS, key))],
            )?;
            tx.query_one(
                "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)",
                &[],
            )?
            .i64(0)
        }
        Engine::Sqlite => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::sql::each_engine::each_engine;

    #[test]
    fn processes_share_one_budget_per_connection() {
        for test_db in each_engine() {
            let (a, b) = (test_db.open(), test_db.open());
            let minute = [Window {
                requests: 5,
                window_ms: 60_000,
            }];
            // Two processes alternate: five sends in all, then both must wait.
            for i in 0..5 {
                let db = if i % 2 == 0 { &a } else { &b };
                assert_eq!(reserve(db, "acme-xero", &minute).unwrap(), None, "send {i}");
            }
            let wait_a = reserve(&a, "acme-xero", &minute).unwrap().expect("full");
            let wait_b = reserve(&b, "acme-xero", &minute).unwrap().expect("full");
            assert!((55_000..=60_000).contains(&wait_a), "{wait_a}");
            assert!((55_000..=60_000).contains(&wait_b), "{wait_b}");
            // A refused reservation recorded nothing; another connection has its own budget.
            let count = a
                .query_one(
                    "SELECT COUNT(*) FROM pacer_sends WHERE connection = 'acme-xero'",
                    &[],
                )
                .unwrap()
                .i64(0)
                .unwrap();
            assert_eq!(count, 5);
            assert_eq!(reserve(&b, "kea-qbo", &minute).unwrap(), None);
        }
    }

    #[test]
    fn the_tightest_window_decides_and_old_sends_leave() {
        for test_db in each_engine() {
            let a = test_db.open();
            let windows = [
                Window {
                    requests: 2,
                    window_ms: 300,
                },
                Window {
                    requests: 100,
                    window_ms: 60_000,
                },
            ];
            assert_eq!(reserve(&a, "c", &windows).unwrap(), None);
            assert_eq!(reserve(&a, "c", &windows).unwrap(), None);
            let wait = reserve(&a, "c", &windows)
                .unwrap()
                .expect("the short window is full");
            assert!((1..=300).contains(&wait), "{wait}");
            std::thread::sleep(std::time::Duration::from_millis(
                u64::try_from(wait).unwrap() + 20,
            ));
            assert_eq!(reserve(&a, "c", &windows).unwrap(), None);
        }
    }

    #[test]
    fn four_processes_at_once_never_exceed_the_window() {
        for test_db in each_engine() {
            let windows = [Window {
                requests: 10,
                window_ms: 60_000,
            }];
            let granted: usize = std::thread::scope(|s| {
                (0..4)
                    .map(|_| {
                        // Each "process" its own connection.
                        let db = test_db.open();
                        s.spawn(move || {
                            (0..8)
                                .filter(|_| reserve(&db, "acme-xero", &windows).unwrap().is_none())
                                .count()
                        })
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .sum()
            });
            assert_eq!(granted, 10);
        }
    }
}
