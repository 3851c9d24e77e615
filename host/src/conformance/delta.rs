//! `delta.since`: a pull `since` an instant returns what changed at or after it and not what
//! did not.

use std::time::Duration;

use super::records;
use super::suite::{Checked, Suite, verdict};
use crate::model::Customer;

/// How long to wait between the two writes, so their times differ even on a target that
/// keeps whole seconds.
const GAP: Duration = Duration::from_millis(1_500);

pub(super) async fn run(s: &mut Suite<'_>) {
    let checked = check(s).await;
    s.record("delta.since", checked);
    s.clean_up().await;
}

async fn check(s: &mut Suite<'_>) -> Checked {
    if !s.can("pull-customers") {
        return Ok(Suite::lacks("pull-customers"));
    }
    if !s.can("push-customers") {
        return Ok(Suite::lacks("push-customers"));
    }
    let mut still = records::customer(&s.tag, "Unchanged", "cf-unchanged".into());
    still.idempotency_key = Some(s.idempotency_key());
    let still = s.create_customer(still).await?;
    let mut moved = records::customer(&s.tag, "Changed", "cf-changed".into());
    moved.idempotency_key = Some(s.idempotency_key());
    let written = s.create_customer(moved.clone()).await?;
    tokio::time::sleep(GAP).await;
    let before_update = chrono::DateTime::<chrono::Utc>::from(s.ctx.clock.now());
    moved.remote_id = Some(written.remote_id.clone());
    moved.version = written.version.clone();
    moved.email = Some(format!(
        "cf-{}-changed-again@example.com",
        s.tag.to_ascii_lowercase()
    ));
    moved.idempotency_key = Some(s.idempotency_key());
    if let Err(e) = s.push_customer(moved.clone()).await? {
        return Err(format!("updating a customer failed: {}", e.describe()));
    }
    // The target's own time of the change, where it says one; else the host's clock just
    // before the update.
    let found = s.read_customer(&written.remote_id, &moved.name).await?;
    let since = found
        .first()
        .and_then(|c: &Customer| c.updated_at.clone())
        .unwrap_or_else(|| before_update.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let delta: Vec<Customer> = s.pull_customer_pages(Some(since.clone())).await?.concat();
    let has = |id: &str| delta.iter().any(|c| c.remote_id.as_deref() == Some(id));
    let mut failures = Vec::new();
    if !has(&written.remote_id) {
        failures.push(format!(
            "customer {} changed at {since} but a pull since {since} does not return it",
            written.remote_id
        ));
    }
    if has(&still.remote_id) {
        failures.push(format!(
            "customer {} did not change after {since} but a pull since then returns it",
            still.remote_id
        ));
    }
    verdict(failures)
}
