//! The vendor's daily call budget (Xero: 5,000 per organisation a day), said before a run
//! starts: what the connection's runs used in the last 24 hours, and what this run will
//! need — estimated from the records it will write and the records per call this
//! connection's earlier runs achieved (before any history: one call per record, the worst
//! case, so the estimate is an upper bound).

use crate::store::sync_state::{SyncState, SyncStateError};

/// Reads the directory and the read-back need besides the writes.
const READS: u64 = 6;

/// A sentence for the person starting the run when it would not fit in what is left of
/// `daily` calls today; `None` when it fits.
pub fn warning(
    state: &SyncState,
    connection: &str,
    target: &str,
    daily: u32,
    records: usize,
    now: i64,
) -> Result<Option<String>, SyncStateError> {
    let (used, past_records, past_calls) = state.call_usage(connection, now - 86_400)?;
    let per_call = if past_calls > 0 && past_records > 0 {
        (past_records as f64 / past_calls as f64).max(1.0)
    } else {
        1.0
    };
    let needed = (records as f64 / per_call).ceil() as u64 + READS;
    let daily = u64::from(daily);
    if used + needed <= daily {
        return Ok(None);
    }
    let left = daily.saturating_sub(used);
    Ok(Some(format!(
        "{target} allows {daily} API calls a day for this connection; {used} were used in the last 24 hours, leaving {left}, and this run of {records} record(s) may need up to {needed} ({}). Past the budget {target} refuses every call until the day rolls over; push fewer now (--demo N) and the rest later.",
        if past_calls > 0 {
            format!("{per_call:.1} records a call, as earlier runs on this connection managed")
        } else {
            "one call a record until this connection has a history".to_owned()
        }
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::sync_state::RunItem;

    #[test]
    fn the_budget_is_said_only_when_the_run_would_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        let state = SyncState::open(&dir.path().join("db.sqlite")).unwrap();
        let now = crate::store::connections::unix(std::time::SystemTime::now());
        // No history: one call a record is assumed.
        assert_eq!(warning(&state, "x", "Xero", 5000, 4000, now).unwrap(), None);
        let w = warning(&state, "x", "Xero", 5000, 5000, now)
            .unwrap()
            .unwrap();
        assert!(w.starts_with("Xero allows 5000 API calls a day for this connection; 0 were used in the last 24 hours, leaving 5000, and this run of 5000 record(s) may need up to 5006 (one call a record"), "{w}");
        // A run that wrote 100 records in 2 calls teaches 50 records a call.
        let run = state
            .start_run(None, "x", "job-invoices", "push", false)
            .unwrap();
        for i in 0..100 {
            state
                .record_item(
                    run,
                    &RunItem {
                        home_key: Some(format!("J{i}")),
                        remote_id: Some(format!("R{i}")),
                        name: format!("J{i}"),
                        outcome: "created".into(),
                        reason: String::new(),
                    },
                )
                .unwrap();
        }
        state.record_calls(run, 4900).unwrap();
        // 4,900 used today: 200 records at (100/4900 → at least 1) a call do not fit.
        let w = warning(&state, "x", "Xero", 5000, 200, now)
            .unwrap()
            .unwrap();
        assert!(
            w.contains("4900 were used in the last 24 hours, leaving 100"),
            "{w}"
        );
    }
}
