//! `customers.*`: create, read back, update, a stale update, an idempotent replay, a
//! duplicate name, and one bad record in a batch of ten.

use super::records::{self, customer_differences};
use super::report::Verdict;
use super::suite::{Checked, Suite, verdict};
use crate::model::{ConnectorError, Customer, RecordKind, WriteAction, Written};

/// The checks of this area, in the order they run.
pub(super) const CHECKS: [&str; 7] = [
    "customers.create",
    "customers.read-back",
    "customers.update",
    "customers.stale-update",
    "customers.idempotent-replay",
    "customers.duplicate-name",
    "customers.batch-one-bad",
];

/// Run the area and clean up after it.
pub(super) async fn run(s: &mut Suite<'_>) {
    if !s.can("push-customers") {
        for name in CHECKS {
            s.record(name, Ok(Suite::lacks("push-customers")));
        }
        return;
    }
    let mut first = records::customer(&s.tag, "Customer 1", "cf-customer-1".into());
    first.idempotency_key = Some(s.idempotency_key());
    let created = s.create_customer(first.clone()).await;
    let written = match created {
        Ok(w) => {
            s.record(CHECKS[0], Ok(Verdict::Pass));
            w
        }
        Err(e) => {
            s.record(CHECKS[0], Err(e));
            for name in &CHECKS[1..5] {
                s.record(*name, Err("not run: customers.create failed".into()));
            }
            let dup = duplicate_name(s, &first.name).await;
            s.record(CHECKS[5], dup);
            let bad = batch_one_bad(s).await;
            s.record(CHECKS[6], bad);
            s.clean_up().await;
            return;
        }
    };
    let checked = read_back(s, &first, &written.remote_id).await;
    s.record(CHECKS[1], checked);
    let (checked, updated) = update(s, &first, &written).await;
    s.record(CHECKS[2], checked);
    let checked = match &updated {
        Some((sent, now)) => stale_update(s, sent, &written, now).await,
        None => Err("not run: customers.update failed".into()),
    };
    s.record(CHECKS[3], checked);
    let checked = replay(s).await;
    s.record(CHECKS[4], checked);
    let checked = duplicate_name(s, &first.name).await;
    s.record(CHECKS[5], checked);
    let checked = batch_one_bad(s).await;
    s.record(CHECKS[6], checked);
    s.clean_up().await;
}

/// Found by name (`find-customers`) and in a whole pull, exactly once each, field by field
/// as sent.
async fn read_back(s: &Suite<'_>, sent: &Customer, id: &str) -> Checked {
    if !s.can("find-customers") && !s.can("pull-customers") {
        return Ok(Verdict::NotApplicable(
            "the manifest lists neither find-customers nor pull-customers".into(),
        ));
    }
    let mut failures = Vec::new();
    let mut ways: Vec<(&str, Vec<Customer>)> = Vec::new();
    if s.can("find-customers") {
        ways.push(("find-customers", s.read_customer(id, &sent.name).await?));
    }
    if s.can("pull-customers") {
        let pulled: Vec<Customer> = s
            .pull_customer_pages(None)
            .await?
            .concat()
            .into_iter()
            .filter(|c| c.remote_id.as_deref() == Some(id))
            .collect();
        ways.push(("pull-customers", pulled));
    }
    for (how, found) in ways {
        match found.as_slice() {
            [one] => failures.extend(
                customer_differences(sent, one)
                    .into_iter()
                    .map(|d| format!("{how}: {d}")),
            ),
            [] => failures.push(format!("{how} does not return customer {id}")),
            many => failures.push(format!("{how} returns customer {id} {} times", many.len())),
        }
    }
    verdict(failures)
}

/// Change e-mail and phone: answered `updated` with the same id, and read back so.
async fn update(
    s: &mut Suite<'_>,
    first: &Customer,
    written: &Written,
) -> (Checked, Option<(Customer, Written)>) {
    let mut changed = first.clone();
    changed.remote_id = Some(written.remote_id.clone());
    changed.version = written.version.clone();
    changed.email = Some(format!(
        "cf-{}-updated@example.com",
        s.tag.to_ascii_lowercase()
    ));
    changed.phone = Some("+64 9 555 0199".into());
    changed.idempotency_key = Some(s.idempotency_key());
    let outcome = match s.push_customer(changed.clone()).await {
        Ok(o) => o,
        Err(e) => return (Err(e), None),
    };
    let now = match outcome {
        Ok(w) if w.remote_id == written.remote_id && w.action == WriteAction::Updated => w,
        Ok(w) => {
            return (
                Err(format!(
                    "the update of {} was answered {:?} for id {}; Updated for the same id was expected",
                    written.remote_id, w.action, w.remote_id
                )),
                None,
            );
        }
        Err(e) => {
            return (
                Err(format!("the update was refused: {}", e.describe())),
                None,
            );
        }
    };
    if !s.can("find-customers") && !s.can("pull-customers") {
        return (Ok(Verdict::Pass), Some((changed, now)));
    }
    let checked = match s.read_customer(&written.remote_id, &changed.name).await {
        Ok(found) => match found.as_slice() {
            [one] => verdict(customer_differences(&changed, one)),
            _ => Err(format!(
                "customer {} is not there once after the update",
                written.remote_id
            )),
        },
        Err(e) => Err(e),
    };
    (checked, Some((changed, now)))
}

/// An update based on the version before the last update is refused as `stale` and not
/// applied. Not applicable when the target gives no versions.
async fn stale_update(
    s: &mut Suite<'_>,
    current: &Customer,
    before: &Written,
    now: &Written,
) -> Checked {
    let (Some(old), Some(new)) = (&before.version, &now.version) else {
        return Ok(Verdict::NotApplicable(
            "the connector returns no version (concurrency token) for customers".into(),
        ));
    };
    if old == new {
        return Err(format!(
            "the update was answered with the version it replaced ({old}); a version must change with every write"
        ));
    }
    let mut late = current.clone();
    late.version = Some(old.clone());
    late.email = Some(format!(
        "cf-{}-stale@example.com",
        s.tag.to_ascii_lowercase()
    ));
    late.idempotency_key = Some(s.idempotency_key());
    let id = before.remote_id.clone();
    match s.push_customer(late).await? {
        Err(ConnectorError::Stale(_)) => {}
        Err(e) => {
            return Err(format!(
                "an update based on version {old} (the record is at {new}) was refused as {}, not stale: {}",
                e.class(),
                e.message()
            ));
        }
        Ok(w) => {
            return Err(format!(
                "an update based on version {old} (the record is at {new}) was applied ({:?}); it must be refused as stale",
                w.action
            ));
        }
    }
    if s.can("find-customers") || s.can("pull-customers") {
        let found = s.read_customer(&id, &current.name).await?;
        if found.iter().any(|c| c.email != current.email) {
            return Err(
                "the stale update was answered stale but its e-mail is in the record anyway".into(),
            );
        }
    }
    Ok(Verdict::Pass)
}

/// The same create twice under one idempotency key: the second answer is the first's id,
/// and the target holds one record.
async fn replay(s: &mut Suite<'_>) -> Checked {
    let mut c = records::customer(&s.tag, "Replayed", "cf-replayed".into());
    c.idempotency_key = Some(s.idempotency_key());
    let first = s.create_customer(c.clone()).await?;
    let second = s.push_customer(c.clone()).await?;
    let mut failures = Vec::new();
    match second {
        Ok(w) if w.remote_id == first.remote_id => {}
        Ok(w) => {
            s.created(RecordKind::Customer, &w.remote_id, "customer");
            failures.push(format!(
                "the replay was answered with another record ({} after {}); the same idempotency key must answer the first result",
                w.remote_id, first.remote_id
            ));
        }
        Err(e) => failures.push(format!(
            "the replay was refused ({}); the same idempotency key must answer the first result",
            e.describe()
        )),
    }
    if s.can("find-customers") || s.can("pull-customers") {
        let named = s.customers_named(&c.name).await?;
        if named.len() != 1 {
            failures.push(format!(
                "the target holds {} customers named {:?} after the replay",
                named.len(),
                c.name
            ));
        }
    }
    verdict(failures)
}

/// A second customer with an existing customer's name is refused as `duplicate`; not
/// applicable when the target accepts it (it is then removed).
async fn duplicate_name(s: &mut Suite<'_>, existing: &str) -> Checked {
    let mut twin = records::customer(&s.tag, "Twin", "cf-twin".into());
    twin.name = existing.to_owned();
    twin.idempotency_key = Some(s.idempotency_key());
    match s.push_customer(twin).await? {
        Err(ConnectorError::Duplicate(_)) => Ok(Verdict::Pass),
        Ok(w) => {
            s.created(RecordKind::Customer, &w.remote_id, "customer");
            Ok(Verdict::NotApplicable(
                "the target accepts two customers of one name (the second was removed)".into(),
            ))
        }
        Err(e) => Err(format!(
            "a second customer named {existing:?} was refused as {}, not duplicate: {}",
            e.class(),
            e.message()
        )),
    }
}

/// Ten customers, the fifth without a name: it alone fails, the nine are created.
async fn batch_one_bad(s: &mut Suite<'_>) -> Checked {
    let mut batch = Vec::new();
    for i in 1..=10 {
        let mut c = records::customer(&s.tag, &format!("Batch {i}"), format!("cf-batch-{i}"));
        if i == 5 {
            c.name = String::new();
        }
        c.idempotency_key = Some(s.idempotency_key());
        batch.push(c);
    }
    let results = s.push_customers(batch).await?;
    let mut failures = Vec::new();
    for (i, r) in results.iter().enumerate() {
        match (&r.outcome, i == 4) {
            (Ok(w), false) => {
                s.created(RecordKind::Customer, &w.remote_id, "customer");
            }
            (Err(_), true) => {}
            (Ok(w), true) => {
                s.created(RecordKind::Customer, &w.remote_id, "customer");
                failures.push("the customer without a name was accepted".to_owned());
            }
            (Err(e), false) => failures.push(format!(
                "good record {} failed with the bad one: {}",
                r.key,
                e.describe()
            )),
        }
    }
    verdict(failures)
}
