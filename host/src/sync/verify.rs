//! The read-back of an invoice push: every document the run created or updated is read from
//! the target and compared ([`super::readback::compare`]) with what was sent — read from the
//! store, the outbox payloads of the run's written documents, a page at a time — so the host
//! holds one page of documents, never a copy of everything the run wrote. Each page's
//! verdicts are recorded as it is compared: a document that reads back the same keeps its
//! run item and gets the target's fingerprint (marked [`READ_BACK_MARK`]); one that differs
//! or is not returned becomes `failed` with both values of every field that differs.

use std::collections::{HashMap, HashSet};

use super::apply::{ApplyError, Summary};
use super::invoices::label;
use crate::model::stored::Record;
use crate::model::{Invoice, InvoiceKind, fingerprint};
use crate::runtime::{CallContext, Plugin};
use crate::store::sync_state::{SyncState, WrittenDocument};

/// Marks a remote fingerprint taken from the target's own version (the read-back), which a
/// later compare can hold a fresh read against to see an accountant's edit.
pub const READ_BACK_MARK: &str = "target:";

/// Documents written by one run up to which the read-back asks for them by id
/// (`get-invoices`, at most [`crate::runtime::plugin::GET_IDS`] a call); above it, one delta
/// read of the documents changed since the run began, at the connector's page size, costs
/// fewer calls (a vendor pages at 100 or more) and — for a connector that reads a file per
/// call — far less work.
pub const READ_BACK_BY_ID_MAX: usize = 5_000;

/// What the read-back of one run needs to know.
pub struct Written<'a> {
    /// The sync state (what was sent, and where verdicts go).
    pub state: &'a SyncState,
    /// The connector.
    pub plugin: &'a Plugin,
    /// Its call context.
    pub ctx: &'a CallContext,
    /// The connection.
    pub connection: &'a str,
    /// The invoice kind written.
    pub kind: InvoiceKind,
    /// The run.
    pub run_id: i64,
    /// How many documents the run created or updated.
    pub count: usize,
}

/// The run items already judged (by sequence number, one bit each: 12.5 KB for 100,000).
#[derive(Default)]
struct Judged(Vec<u64>);

impl Judged {
    fn set(&mut self, seq: i64) {
        let i = usize::try_from(seq).unwrap_or(0);
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn has(&self, seq: i64) -> bool {
        let i = usize::try_from(seq).unwrap_or(0);
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

impl Written<'_> {
    /// Read back every document the run wrote and record the verdicts (see the module
    /// doc); `summary` moves each document found wanting from created/updated to failed.
    /// When the target cannot be read, the documents not compared yet are failed with why.
    /// `since` bounds the delta read (the documents changed since a little before the run).
    pub async fn read_back(&self, since: &str, summary: &mut Summary) -> Result<(), ApplyError> {
        let mut judged = Judged::default();
        let read = if self.plugin.can("get-invoices") && self.count <= READ_BACK_BY_ID_MAX {
            self.by_id(&mut judged, summary).await
        } else {
            self.by_delta(since, &mut judged, summary).await
        };
        let reason = match read {
            Ok(()) => None,
            Err(ApplyError::Connector(e)) => return Err(e.into()),
            Err(e) => Some(format!(
                "written, but it could not be read back to check it: {e}"
            )),
        };
        // What was written and not judged: not returned by the target, or not read at all.
        let mut after = 0;
        loop {
            let page = self.page_after(&mut after)?;
            if page.is_empty() {
                break;
            }
            let mut differ = Vec::new();
            for doc in page.into_iter().filter(|d| !judged.has(d.seq)) {
                let why = match &reason {
                    Some(reason) => reason.clone(),
                    None => not_returned(&doc, &sent(&doc)?),
                };
                differ.push((doc, why));
            }
            self.record(Vec::new(), differ, summary)?;
        }
        Ok(())
    }

    /// The next documents the run wrote (a `get-invoices` call's worth) after run item
    /// `after`, which moves past them.
    fn page_after(&self, after: &mut i64) -> Result<Vec<WrittenDocument>, ApplyError> {
        let page = self.state.written_after(
            self.run_id,
            self.connection,
            super::invoices::entity(self.kind),
            *after,
            crate::runtime::plugin::GET_IDS,
        )?;
        if let Some(last) = page.last() {
            *after = last.seq;
        }
        Ok(page)
    }

    /// By id (`get-invoices`): the run's documents a call's worth at a time, each compared
    /// with what the target returns for it.
    async fn by_id(&self, judged: &mut Judged, summary: &mut Summary) -> Result<(), ApplyError> {
        let mut after = 0;
        loop {
            let page = self.page_after(&mut after)?;
            if page.is_empty() {
                break;
            }
            let ids: Vec<String> = page.iter().map(|d| d.remote_id.clone()).collect();
            let there = self
                .plugin
                .get_invoices(self.ctx, self.kind, ids)
                .await?
                .map_err(|e| ApplyError::Read(e.describe()))?;
            // Only what was asked for, each checked like any pulled record.
            let (there, refused) =
                super::inspect::sift(&self.plugin.manifest().name, there, &mut HashSet::new());
            for r in &refused {
                tracing::warn!(remote_id = ?r.remote_id, reason = %r.reason, "read-back record refused");
            }
            self.judge(page, &there, judged, summary, true)?;
        }
        Ok(())
    }

    /// By one delta read of the documents changed since `since` (contract 0.1 has no read by
    /// id; above [`READ_BACK_BY_ID_MAX`] it costs fewer calls): each page compared with what
    /// the run sent of the documents on it, as the page arrives.
    async fn by_delta(
        &self,
        since: &str,
        judged: &mut Judged,
        summary: &mut Summary,
    ) -> Result<(), ApplyError> {
        let entity = super::invoices::entity(self.kind);
        // The page sink cannot fail: the first store error stops the comparing and is
        // returned once the read ends.
        let mut failed: Option<ApplyError> = None;
        let take = |page: Vec<Invoice>| {
            if failed.is_some() {
                return;
            }
            let ids: Vec<&str> = page.iter().filter_map(|i| i.remote_id.as_deref()).collect();
            let judging = self
                .state
                .written_among(self.run_id, self.connection, entity, &ids)
                .map_err(ApplyError::from)
                .and_then(|docs| self.judge(docs, &page, judged, summary, false));
            if let Err(e) = judging {
                failed = Some(e);
            }
        };
        match super::paging::invoices_each(
            self.plugin,
            self.ctx,
            self.kind,
            Some(since.to_owned()),
            take,
        )
        .await
        {
            Ok(_refused) => {}
            Err(super::paging::PullError::Call(e)) => return Err(e.into()),
            Err(e) => return Err(ApplyError::Read(e.to_string())),
        }
        failed.map_or(Ok(()), Err)
    }

    /// Compare `docs` (what the run sent) with the target's documents `there`; when
    /// `complete`, `there` is everything the target returned for `docs`, so a document
    /// missing from it was not returned (otherwise it may come on a later page).
    fn judge(
        &self,
        docs: Vec<WrittenDocument>,
        there: &[Invoice],
        judged: &mut Judged,
        summary: &mut Summary,
        complete: bool,
    ) -> Result<(), ApplyError> {
        let by_id: HashMap<&str, &Invoice> = there
            .iter()
            .filter_map(|i| i.remote_id.as_deref().map(|id| (id, i)))
            .collect();
        let mut matched = Vec::new();
        let mut differ = Vec::new();
        for doc in docs {
            let Some(there) = by_id.get(doc.remote_id.as_str()) else {
                if complete {
                    judged.set(doc.seq);
                    let why = not_returned(&doc, &sent(&doc)?);
                    differ.push((doc, why));
                }
                continue;
            };
            judged.set(doc.seq);
            let sent = sent(&doc)?;
            let differences = super::readback::compare(&sent, there);
            if differences.is_empty() {
                matched.push((
                    doc.home_key,
                    READ_BACK_MARK.to_owned() + &fingerprint::invoice(there),
                ));
            } else {
                let why = format!(
                    "{} as {}, but the target holds it differently — {}; correct invoice {} in the target or the home book",
                    doc.outcome,
                    doc.remote_id,
                    super::readback::describe(&differences),
                    label(&sent)
                );
                differ.push((doc, why));
            }
        }
        self.record(matched, differ, summary)
    }

    /// Record one page's verdicts: the matched documents' target fingerprints, and each
    /// document found wanting failed with why (counted out of created/updated).
    fn record(
        &self,
        matched: Vec<(String, String)>,
        differ: Vec<(WrittenDocument, String)>,
        summary: &mut Summary,
    ) -> Result<(), ApplyError> {
        let entity = super::invoices::entity(self.kind);
        self.state
            .set_remote_fingerprints(self.connection, entity, &matched)?;
        for (doc, why) in differ {
            self.state
                .amend_item(self.run_id, &doc.home_key, "failed", &why)?;
            match doc.outcome.as_str() {
                "created" => summary.created = summary.created.saturating_sub(1),
                _ => summary.updated = summary.updated.saturating_sub(1),
            }
            summary.failed += 1;
        }
        Ok(())
    }
}

/// The invoice as it was sent (its outbox payload), pointed at its id in the target.
fn sent(doc: &WrittenDocument) -> Result<Invoice, ApplyError> {
    match Record::from_json(&doc.payload) {
        Ok(Record::Invoice(mut invoice)) => {
            invoice.remote_id = Some(doc.remote_id.clone());
            Ok(invoice)
        }
        Ok(Record::Customer(_)) => Err(ApplyError::Source(format!(
            "the outbox holds a customer for invoice {}; the read-back cannot compare it",
            doc.home_key
        ))),
        Err(e) => Err(ApplyError::Source(format!(
            "what was sent for invoice {} cannot be read from the outbox: {e}",
            doc.home_key
        ))),
    }
}

fn not_returned(doc: &WrittenDocument, sent: &Invoice) -> String {
    format!(
        "{} as {}, but the target did not return it when read back; check invoice {} there",
        doc.outcome,
        doc.remote_id,
        label(sent)
    )
}
