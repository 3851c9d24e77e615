//! A run's overall wall-clock budget (connection setting `run-budget-seconds`, default six
//! hours), so a connector cannot keep a run going forever one well-behaved call at a time.
//! Past it the run is stopped where it is — like a killed process, writes in flight stay in
//! the outbox and are resolved before the next run sends anything — and marked failed.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// The budget unless the connection says otherwise.
pub const DEFAULT: Duration = Duration::from_secs(6 * 60 * 60);

/// The budget a connection's settings ask for.
pub fn from_settings(settings: &BTreeMap<String, String>) -> Result<Duration, String> {
    match settings.get("run-budget-seconds").map(|v| v.trim()) {
        None | Some("") => Ok(DEFAULT),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Duration::from_secs)
            .ok_or_else(|| {
                format!(
                    "the setting run-budget-seconds is {v:?}; use a whole number of seconds above 0"
                )
            }),
    }
}

/// Why a run was stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "it went past its budget of {} seconds (connection setting run-budget-seconds) and was stopped; writes in flight are checked on the next run, so nothing is duplicated — raise the budget if the transfer really needs longer",
    .0.as_secs()
)]
pub struct OverBudget(pub Duration);

/// `work`, stopped when it runs past `budget`.
pub async fn within<T, E: From<OverBudget>>(
    budget: Duration,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    match tokio::time::timeout(budget, work).await {
        Ok(result) => result,
        Err(_) => Err(OverBudget(budget).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_past_the_budget_is_stopped() {
        let r: Result<(), OverBudget> = within(Duration::from_secs(5), async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        })
        .await;
        assert_eq!(r, Err(OverBudget(Duration::from_secs(5))));
        assert_eq!(
            from_settings(&BTreeMap::from([("run-budget-seconds".into(), "x".into())])),
            Err(
                "the setting run-budget-seconds is \"x\"; use a whole number of seconds above 0"
                    .into()
            )
        );
    }
}
