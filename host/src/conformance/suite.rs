//! The state one run carries from check to check, and every call into the plugin the checks
//! make: each answer validated as strictly as the sync engine would (one result per record,
//! matched by key; ids present), so a connector cannot pass a check by answering nonsense.

use std::collections::HashSet;

use super::options::Options;
use super::report::{CheckResult, Verdict};
use crate::model::{
    ConnectorError, Customer, CustomerQuery, Invoice, InvoiceKind, PushResult, RecordKind, Written,
};
use crate::runtime::{CallContext, Plugin};

/// Pages a pull may take before the suite calls the connector's paging broken.
const MAX_PAGES: usize = 10_000;

/// What a check returns: a verdict, or the reason it failed.
pub(super) type Checked = Result<Verdict, String>;

/// Something a check created, to remove when its area is done.
#[derive(Debug, Clone)]
struct Created {
    kind: RecordKind,
    id: String,
    what: String,
}

/// One run: the plugin, its call context, the options and what has been found and made.
pub(super) struct Suite<'a> {
    pub plugin: &'a Plugin,
    pub ctx: &'a CallContext,
    pub options: &'a Options,
    /// In every name and number the run creates.
    pub tag: String,
    /// The date documents are issued on (the clock's, UTC).
    pub today: String,
    writes: u32,
    checks: Vec<CheckResult>,
    created: Vec<Created>,
    leftovers: Vec<String>,
}

impl<'a> Suite<'a> {
    pub fn new(
        plugin: &'a Plugin,
        ctx: &'a CallContext,
        options: &'a Options,
        tag: String,
        today: String,
    ) -> Self {
        Suite {
            plugin,
            ctx,
            options,
            tag,
            today,
            writes: 0,
            checks: Vec::new(),
            created: Vec::new(),
            leftovers: Vec::new(),
        }
    }

    /// The checks and leftovers, when the run is over.
    pub fn finish(self) -> (Vec<CheckResult>, Vec<String>) {
        (self.checks, self.leftovers)
    }

    /// Record check `name`'s outcome.
    pub fn record(&mut self, name: impl Into<String>, checked: Checked) {
        let verdict = checked.unwrap_or_else(Verdict::Fail);
        self.checks.push(CheckResult {
            name: name.into(),
            verdict,
        });
    }

    /// Whether the manifest lists `capability`.
    pub fn can(&self, capability: &str) -> bool {
        self.plugin.can(capability)
    }

    /// "not applicable" because the manifest does not list `capability`.
    pub fn lacks(capability: &str) -> Verdict {
        Verdict::NotApplicable(format!("the manifest does not list {capability}"))
    }

    /// A fresh idempotency key, unique to this run and write.
    pub fn idempotency_key(&mut self) -> String {
        self.writes += 1;
        format!("conformance:{}:{}", self.tag, self.writes)
    }

    /// Remember `id` for the clean-up at the end of the current area.
    pub fn created(&mut self, kind: RecordKind, id: &str, what: impl Into<String>) {
        self.created.push(Created {
            kind,
            id: id.to_owned(),
            what: what.into(),
        });
    }

    /// Delete what the area created, newest first (invoices before their customers). What
    /// cannot be deleted is listed in the report's leftovers with why.
    pub async fn clean_up(&mut self) {
        let created = std::mem::take(&mut self.created);
        for c in created.into_iter().rev() {
            if !self.can("delete") {
                self.leftovers.push(format!(
                    "{} {} (the manifest does not list delete)",
                    c.what, c.id
                ));
                continue;
            }
            let outcome = match self.plugin.delete(self.ctx, c.kind, c.id.clone()).await {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e.describe(),
                Err(e) => e.to_string(),
            };
            self.leftovers
                .push(format!("{} {}: {outcome}", c.what, c.id));
        }
    }

    /// Forget `id` (deleted by the check itself).
    pub fn forget(&mut self, id: &str) {
        self.created.retain(|c| c.id != id);
    }

    /// Push `batch`; one result per record, matched by key, in order.
    pub async fn push_customers(&self, batch: Vec<Customer>) -> Result<Vec<PushResult>, String> {
        let keys: Vec<String> = batch.iter().map(|c| c.key.clone()).collect();
        let results = self
            .plugin
            .push_customers(self.ctx, batch)
            .await
            .map_err(|e| e.to_string())?;
        one_per_key(&keys, results)
    }

    /// Push `batch` of invoices; one result per record, matched by key, in order.
    pub async fn push_invoices(&self, batch: Vec<Invoice>) -> Result<Vec<PushResult>, String> {
        let keys: Vec<String> = batch.iter().map(|c| c.key.clone()).collect();
        let results = self
            .plugin
            .push_invoices(self.ctx, batch)
            .await
            .map_err(|e| e.to_string())?;
        one_per_key(&keys, results)
    }

    /// Push one customer; its outcome.
    pub async fn push_customer(
        &self,
        customer: Customer,
    ) -> Result<Result<Written, ConnectorError>, String> {
        let mut results = self.push_customers(vec![customer]).await?;
        Ok(results.remove(0).outcome)
    }

    /// Push one invoice; its outcome.
    pub async fn push_invoice(
        &self,
        invoice: Invoice,
    ) -> Result<Result<Written, ConnectorError>, String> {
        let mut results = self.push_invoices(vec![invoice]).await?;
        Ok(results.remove(0).outcome)
    }

    /// Create `customer`, which must be answered `created` with an id; remembered for the
    /// clean-up.
    pub async fn create_customer(&mut self, customer: Customer) -> Result<Written, String> {
        let name = customer.name.clone();
        let written = self
            .push_customer(customer)
            .await?
            .map_err(|e| format!("creating customer {name:?} was refused: {}", e.describe()))?;
        self.created(RecordKind::Customer, &written.remote_id, "customer");
        created(&written, &format!("customer {name:?}"))?;
        Ok(written)
    }

    /// Create `invoice`, which must be answered `created` with an id; remembered for the
    /// clean-up.
    pub async fn create_invoice(&mut self, invoice: Invoice) -> Result<Written, String> {
        let number = invoice.number.clone();
        let written = self
            .push_invoice(invoice)
            .await?
            .map_err(|e| format!("creating invoice {number} was refused: {}", e.describe()))?;
        self.created(RecordKind::Invoice, &written.remote_id, "invoice");
        created(&written, &format!("invoice {number}"))?;
        Ok(written)
    }

    /// Every customer a pull returns (changed since `since`), page by page; refused when a
    /// page repeats a cursor or there are more than [`MAX_PAGES`].
    pub async fn pull_customer_pages(
        &self,
        since: Option<String>,
    ) -> Result<Vec<Vec<Customer>>, String> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let page = self
                .plugin
                .pull_customers(self.ctx, since.clone(), cursor.clone())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("pull-customers failed: {}", e.describe()))?;
            pages.push(page.items);
            match page.next {
                None => return Ok(pages),
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(format!(
                        "pull-customers returned cursor {next:?} twice; the pull would never end"
                    ));
                }
                Some(_) if pages.len() >= MAX_PAGES => {
                    return Err(format!(
                        "pull-customers did not end after {MAX_PAGES} pages"
                    ));
                }
                Some(next) => cursor = Some(next),
            }
        }
    }

    /// The customer `id`, read the ways the connector offers: `find-customers` by `name`
    /// when listed, else a whole pull. Also says how many records carried the id.
    pub async fn read_customer(&self, id: &str, name: &str) -> Result<Vec<Customer>, String> {
        let found: Vec<Customer> = if self.can("find-customers") {
            self.plugin
                .find_customers(
                    self.ctx,
                    CustomerQuery {
                        name: Some(name.to_owned()),
                        ..CustomerQuery::default()
                    },
                )
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("find-customers failed: {}", e.describe()))?
        } else if self.can("pull-customers") {
            self.pull_customer_pages(None).await?.concat()
        } else {
            return Err("the manifest lists neither find-customers nor pull-customers".into());
        };
        Ok(found
            .into_iter()
            .filter(|c| c.remote_id.as_deref() == Some(id))
            .collect())
    }

    /// The customers named `name` (as `find-customers` or a pull shows them).
    pub async fn customers_named(&self, name: &str) -> Result<Vec<Customer>, String> {
        let all = if self.can("find-customers") {
            self.plugin
                .find_customers(
                    self.ctx,
                    CustomerQuery {
                        name: Some(name.to_owned()),
                        ..CustomerQuery::default()
                    },
                )
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("find-customers failed: {}", e.describe()))?
        } else {
            self.pull_customer_pages(None).await?.concat()
        };
        Ok(all
            .into_iter()
            .filter(|c| c.name.trim().eq_ignore_ascii_case(name.trim()))
            .collect())
    }

    /// Whether the suite can read invoices of `kind` back.
    pub fn reads_invoices(&self) -> bool {
        self.can("get-invoices") || self.can("pull-invoices")
    }

    /// The documents of `kind` with `ids` as the target holds them: `get-invoices` when
    /// listed, else a whole pull.
    pub async fn read_invoices(
        &self,
        kind: InvoiceKind,
        ids: &[String],
    ) -> Result<Vec<Invoice>, String> {
        let all = if self.can("get-invoices") {
            self.plugin
                .get_invoices(self.ctx, kind, ids.to_vec())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("get-invoices failed: {}", e.describe()))?
        } else {
            let mut all = Vec::new();
            let mut cursor = None;
            let mut seen = HashSet::new();
            loop {
                let page = self
                    .plugin
                    .pull_invoices(self.ctx, kind, None, cursor.clone())
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("pull-invoices failed: {}", e.describe()))?;
                all.extend(page.items);
                match page.next {
                    Some(next) if seen.insert(next.clone()) && seen.len() < MAX_PAGES => {
                        cursor = Some(next);
                    }
                    Some(next) => {
                        return Err(format!("pull-invoices did not end (cursor {next:?})"));
                    }
                    None => break,
                }
            }
            all
        };
        Ok(all
            .into_iter()
            .filter(|i| i.remote_id.as_ref().is_some_and(|id| ids.contains(id)))
            .collect())
    }

    /// The one document `id` of `kind`; an error when it is missing or there twice.
    pub async fn read_invoice(&self, kind: InvoiceKind, id: &str) -> Result<Invoice, String> {
        let mut found = self.read_invoices(kind, &[id.to_owned()]).await?;
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(format!("invoice {id} is not there on read-back")),
            n => Err(format!("invoice {id} came back {n} times")),
        }
    }
}

/// `written` must be a creation with an id.
pub(super) fn created(written: &Written, what: &str) -> Result<(), String> {
    if written.remote_id.trim().is_empty() {
        return Err(format!("{what} was answered with an empty id"));
    }
    if written.action != crate::model::WriteAction::Created {
        return Err(format!(
            "{what} was new, but the connector answered {:?} instead of Created",
            written.action
        ));
    }
    Ok(())
}

/// The results must be one per key, in the batch's order.
fn one_per_key(keys: &[String], results: Vec<PushResult>) -> Result<Vec<PushResult>, String> {
    let answered: Vec<&str> = results.iter().map(|r| r.key.as_str()).collect();
    if answered != keys.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(format!(
            "the push of {} records was answered with keys {answered:?}; one result per record, in order, was expected",
            keys.len()
        ));
    }
    Ok(results)
}

/// Ok(Verdict::Pass) when `failures` is empty; else the failures in one sentence.
pub(super) fn verdict(failures: Vec<String>) -> Checked {
    if failures.is_empty() {
        Ok(Verdict::Pass)
    } else {
        Err(failures.join("; "))
    }
}
