//! `paging.customers`: more customers than one page, each returned exactly once.

use std::collections::HashMap;

use super::records;
use super::report::Verdict;
use super::suite::{Checked, Suite, verdict};
use crate::model::RecordKind;

/// Customers created per push while looking for a second page.
const BATCH: usize = 50;

pub(super) async fn run(s: &mut Suite<'_>) {
    let checked = check(s).await;
    s.record("paging.customers", checked);
    s.clean_up().await;
}

async fn check(s: &mut Suite<'_>) -> Checked {
    if !s.can("pull-customers") {
        return Ok(Suite::lacks("pull-customers"));
    }
    let mut made: Vec<String> = Vec::new();
    // Create customers until a pull takes more than one page (or the limit is reached).
    loop {
        let first = s
            .plugin
            .pull_customers(s.ctx, None, None)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("pull-customers failed: {}", e.describe()))?;
        if first.next.is_some() {
            break;
        }
        if !s.can("push-customers") {
            return Ok(Verdict::NotApplicable(format!(
                "all {} customers fit one page and the manifest does not list push-customers to add more",
                first.items.len()
            )));
        }
        if made.len() >= s.options.paging_limit {
            return Ok(Verdict::NotApplicable(format!(
                "all {} customers still fit one page after creating {}; raise --paging-limit to go past the connector's page size",
                first.items.len(),
                made.len()
            )));
        }
        let room = (s.options.paging_limit - made.len()).min(BATCH);
        let mut batch = Vec::with_capacity(room);
        for _ in 0..room {
            let n = made.len() + batch.len() + 1;
            let mut c = records::customer(&s.tag, &format!("Page {n}"), format!("cf-page-{n}"));
            c.idempotency_key = Some(s.idempotency_key());
            batch.push(c);
        }
        for r in s.push_customers(batch).await? {
            match r.outcome {
                Ok(w) => {
                    s.created(RecordKind::Customer, &w.remote_id, "customer");
                    made.push(w.remote_id);
                }
                Err(e) => {
                    return Err(format!(
                        "creating customers to page through failed: {}",
                        e.describe()
                    ));
                }
            }
        }
    }
    let pages = s.pull_customer_pages(None).await?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut failures = Vec::new();
    for c in pages.iter().flatten() {
        match &c.remote_id {
            Some(id) => *seen.entry(id.clone()).or_default() += 1,
            None => failures.push(format!("a pulled customer ({:?}) has no id", c.name)),
        }
    }
    let mut repeated: Vec<String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| format!("{id} ×{n}"))
        .collect();
    repeated.sort();
    if !repeated.is_empty() {
        failures.push(format!("returned more than once: {}", repeated.join(", ")));
    }
    let missing: Vec<&String> = made.iter().filter(|id| !seen.contains_key(*id)).collect();
    if !missing.is_empty() {
        failures.push(format!(
            "{} created customers are on no page (first: {})",
            missing.len(),
            missing[0]
        ));
    }
    if pages.len() < 2 {
        failures.push("the whole pull took one page although the first page named a next".into());
    }
    verdict(failures)
}
