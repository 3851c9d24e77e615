//! The outbox: the one crash-safe write path, for customers and both invoice kinds.
//!
//! 1. **Intent.** Before anything is sent, the record is stored (the host's own types in a
//!    versioned envelope, [`crate::model::stored`]) under a deterministic idempotency key
//!    ([`idempotency_key`]: the same content for the same record over the same connection
//!    always gets the same key, and the connector passes it to the vendor).
//! 2. **Send** in batches of [`BATCH`]; every result is checked as strictly as user input
//!    ([`super::results`]).
//! 3. **Settle** each record in one transaction: outbox, id map and run item together — or
//!    record the refusal — or, when the answer was lost (`transient`: a cut connection, a
//!    timeout, a 5xx after the request left), mark it **unknown**. An unknown outcome is not a
//!    failure: the vendor may well hold the record.
//! 4. **Recover** ([`recover`]) before anything new is sent on the connection: every intent an
//!    interrupted run left pending and every unknown one is looked up *in the target* — an
//!    invoice by its document number (or, when the target numbers it, by its reference), a
//!    customer by its name under the vendor's rule — never only by idempotency key, because
//!    vendors keep idempotency replies for a limited time (Xero and QuickBooks document no
//!    window longer than a day; see docs/admin-guide.md). Found: settled as "already in the
//!    target". Not found: sent again under the same key, "not in the target, sent again".

use std::collections::{HashMap, HashSet};
use std::future::Future;

use sha2::{Digest, Sha256};

use super::apply::ApplyError;
use super::matching::name_identity;
use super::paging;
use super::results::{self, Refusal};
use crate::model::fingerprint;
use crate::model::stored::Record;
use crate::model::{Customer, Invoice, InvoiceKind, PushResult, WriteAction, Written};
use crate::runtime::error::escape_plugin_text;
use crate::runtime::{CallContext, CallError, Plugin};
use crate::store::connections::unix;
use crate::store::sync_state::{MapEntry, NewIntent, RunItem, Settlement, SyncState};

/// Records per push call unless the connection's `push-batch-records` says otherwise
/// ([`super::settings::push_batch`]): a multiple of every vendor batch size the first-party
/// connectors use (Xero 50, QuickBooks 30), so a call splits into full vendor requests only.
/// A connector with no per-request limit (the csv files) declares a larger default.
pub const BATCH: usize = 300;

/// The idempotency key of writing a record: connection, entity, home key, the target id it
/// is written to (none for a creation), its content fingerprint and, when overwriting an
/// accountant's edit, the target version being overwritten (so neither the outbox nor the
/// vendor replays the earlier write instead).
pub fn idempotency_key(
    connection: &str,
    entity: &str,
    home_key: &str,
    remote_id: Option<&str>,
    fingerprint: &str,
    overwrite: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    for part in [
        connection,
        entity,
        home_key,
        remote_id.unwrap_or(""),
        fingerprint,
        overwrite.unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A record the outbox writes.
pub trait Outgoing: Clone + Send + Sync + Sized + 'static {
    /// The home key (Tracker Pro id).
    fn home_key(&self) -> &str;
    /// The target id it is written to (an update), if any.
    fn remote_id(&self) -> Option<&str>;
    /// Point it at a target id.
    fn set_remote_id(&mut self, id: String);
    /// Its content fingerprint.
    fn fingerprint(&self) -> String;
    /// Hand the connector the idempotency key.
    fn set_idempotency_key(&mut self, key: String);
    /// How a report names it.
    fn label(&self) -> String;
    /// As stored.
    fn stored(&self) -> Record;
    /// From storage; `None` when the stored record is of another type.
    fn from_stored(record: Record) -> Option<Self>;
    /// The id-map entities whose links a returned id must not already belong to.
    fn link_entities() -> &'static [&'static str];
    /// Send a batch.
    fn push<'a>(
        plugin: &'a Plugin,
        ctx: &'a CallContext,
        batch: Vec<Self>,
    ) -> impl Future<Output = Result<Vec<PushResult>, CallError>> + Send + 'a;
}

impl Outgoing for Customer {
    fn home_key(&self) -> &str {
        &self.key
    }
    fn remote_id(&self) -> Option<&str> {
        self.remote_id.as_deref()
    }
    fn set_remote_id(&mut self, id: String) {
        self.remote_id = Some(id);
    }
    fn fingerprint(&self) -> String {
        fingerprint::customer(self)
    }
    fn set_idempotency_key(&mut self, key: String) {
        self.idempotency_key = Some(key);
    }
    fn label(&self) -> String {
        self.name.clone()
    }
    fn stored(&self) -> Record {
        Record::Customer(self.clone())
    }
    fn from_stored(record: Record) -> Option<Self> {
        match record {
            Record::Customer(c) => Some(c),
            Record::Invoice(_) => None,
        }
    }
    fn link_entities() -> &'static [&'static str] {
        &["customers"]
    }
    fn push<'a>(
        plugin: &'a Plugin,
        ctx: &'a CallContext,
        batch: Vec<Self>,
    ) -> impl Future<Output = Result<Vec<PushResult>, CallError>> + Send + 'a {
        plugin.push_customers(ctx, batch)
    }
}

impl Outgoing for Invoice {
    fn home_key(&self) -> &str {
        &self.key
    }
    fn remote_id(&self) -> Option<&str> {
        self.remote_id.as_deref()
    }
    fn set_remote_id(&mut self, id: String) {
        self.remote_id = Some(id);
    }
    fn fingerprint(&self) -> String {
        fingerprint::invoice(self)
    }
    fn set_idempotency_key(&mut self, key: String) {
        self.idempotency_key = Some(key);
    }
    fn label(&self) -> String {
        super::invoices::label(self)
    }
    fn stored(&self) -> Record {
        Record::Invoice(self.clone())
    }
    fn from_stored(record: Record) -> Option<Self> {
        match record {
            Record::Invoice(i) => Some(i),
            Record::Customer(_) => None,
        }
    }
    fn link_entities() -> &'static [&'static str] {
        &["job-invoices", "contract-invoices"]
    }
    fn push<'a>(
        plugin: &'a Plugin,
        ctx: &'a CallContext,
        batch: Vec<Self>,
    ) -> impl Future<Output = Result<Vec<PushResult>, CallError>> + Send + 'a {
        plugin.push_invoices(ctx, batch)
    }
}

/// A record whose intent is recorded, with its key.
#[derive(Debug, Clone)]
pub struct Queued<R> {
    /// The idempotency key (also set on the record).
    pub key: String,
    /// The record as sent.
    pub record: R,
}

/// How one write ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written: `created`, `updated` or `unchanged` (what happened in the target).
    Written {
        /// Its id in the target.
        remote_id: String,
        /// `created`, `updated` or `unchanged`.
        action: &'static str,
    },
    /// Refused (failed or conflict), nothing written.
    Refused(Refusal),
    /// Sent, answer lost: resolved by reading the target before anything is sent again.
    Unknown(String),
}

impl Outcome {
    /// The run-item outcome word.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Written { action, .. } => action,
            Outcome::Refused(r) => r.outcome(),
            Outcome::Unknown(_) => "unknown",
        }
    }
}

/// The outbox of one run: where intents are recorded and settled.
#[derive(Clone, Copy)]
pub struct Outbox<'a> {
    /// The sync state.
    pub state: &'a SyncState,
    /// The connector.
    pub plugin: &'a Plugin,
    /// Its call context.
    pub ctx: &'a CallContext,
    /// The connection.
    pub connection: &'a str,
    /// The id-map entity written.
    pub entity: &'a str,
    /// The run this is part of.
    pub run_id: i64,
}

impl std::fmt::Debug for Outbox<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("connection", &self.connection)
            .field("entity", &self.entity)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// The characters of a connector's note (`written.note`) a run report shows.
const NOTE_CHARS: usize = 300;

fn item(
    record: &impl Outgoing,
    remote_id: Option<String>,
    outcome: &str,
    reason: String,
) -> RunItem {
    RunItem {
        home_key: Some(record.home_key().to_owned()),
        remote_id,
        name: record.label(),
        outcome: outcome.to_owned(),
        reason,
    }
}

/// What settling one record writes, owned until the batch's transaction borrows it.
enum Settling {
    Written(MapEntry, RunItem),
    Failed(RunItem),
    Unknown(RunItem),
}

impl<'a> Outbox<'a> {
    /// Record the intent of writing `record`. `None` when an earlier run already settled
    /// this exact write (the target has it: nothing to send).
    pub fn enqueue<R: Outgoing>(
        &self,
        record: R,
        overwrite: Option<&str>,
    ) -> Result<Option<Queued<R>>, ApplyError> {
        Ok(self
            .enqueue_all(vec![(record, overwrite.map(str::to_owned))])?
            .pop()
            .flatten())
    }

    /// Record the intents of writing `records` (each with the target version it
    /// overwrites, if any), [`BATCH`] to a transaction, before any of them is sent. For
    /// each, in order: its queued write, or `None` when an earlier run already settled this
    /// exact write.
    pub fn enqueue_all<R: Outgoing>(
        &self,
        records: Vec<(R, Option<String>)>,
    ) -> Result<Vec<Option<Queued<R>>>, ApplyError> {
        let mut queued = Vec::with_capacity(records.len());
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk: Vec<Queued<R>> = records
                .by_ref()
                .take(BATCH)
                .map(|(mut record, overwrite)| {
                    let key = idempotency_key(
                        self.connection,
                        self.entity,
                        record.home_key(),
                        record.remote_id(),
                        &record.fingerprint(),
                        overwrite.as_deref(),
                    );
                    record.set_idempotency_key(key.clone());
                    Queued { key, record }
                })
                .collect();
            let intents: Vec<NewIntent<'_>> = chunk
                .iter()
                .map(|q| NewIntent {
                    home_key: q.record.home_key(),
                    key: &q.key,
                    payload: q.record.stored().to_json(),
                })
                .collect();
            let fresh =
                self.state
                    .record_intents(self.run_id, self.connection, self.entity, &intents)?;
            drop(intents);
            queued.extend(
                chunk
                    .into_iter()
                    .zip(fresh)
                    .map(|(q, fresh)| fresh.then_some(q)),
            );
        }
        Ok(queued)
    }

    /// Send `queued` in batches (`push-batch-records`, default [`BATCH`]) and settle each
    /// batch in one transaction. `note` is the run
    /// item's reason for a successful write; `after` sees every settled record (for the
    /// caller's own bookkeeping: counts, documents, read-back) and `batch_done` is called
    /// once a batch is settled (to store what `after` gathered).
    pub async fn deliver<R: Outgoing>(
        &self,
        queued: &[Queued<R>],
        note: &str,
        progress: &dyn super::progress::Progress,
        mut after: impl FnMut(&Queued<R>, &Outcome) -> Result<(), ApplyError>,
    ) -> Result<(), ApplyError> {
        self.deliver_batched(queued, note, progress, &mut after, || Ok(()))
            .await
    }

    /// [`Self::deliver`], calling `batch_done` after each batch's records were seen by
    /// `after`.
    pub async fn deliver_batched<R: Outgoing>(
        &self,
        queued: &[Queued<R>],
        note: &str,
        progress: &dyn super::progress::Progress,
        mut after: impl FnMut(&Queued<R>, &Outcome) -> Result<(), ApplyError>,
        mut batch_done: impl FnMut() -> Result<(), ApplyError>,
    ) -> Result<(), ApplyError> {
        let name = self.plugin.manifest().name.clone();
        let batch = super::settings::push_batch(&self.ctx.settings).map_err(ApplyError::Setting)?;
        for chunk in queued.chunks(batch) {
            // Let the run budget's timer be looked at between batches.
            tokio::task::yield_now().await;
            let batch: Vec<R> = chunk.iter().map(|q| q.record.clone()).collect();
            let results = R::push(self.plugin, self.ctx, batch).await?;
            // Whose each returned id already is, read in one query for the batch. A store
            // that cannot say fails the batch (its intents stay pending for recovery) rather
            // than let a connector's answer link a record that belongs to another.
            let returned: Vec<&str> = results
                .iter()
                .filter_map(|r| r.outcome.as_ref().ok())
                .map(|w| w.remote_id.as_str())
                .collect();
            let owners =
                self.state
                    .linked_home_keys(self.connection, R::link_entities(), &returned)?;
            drop(returned);
            let mut checked = results::check(
                &name,
                chunk
                    .iter()
                    .map(|q| (q.record.home_key(), q.record.remote_id())),
                results,
                |id| owners.get(id).cloned(),
            );
            let results: Vec<(&Queued<R>, Result<Written, Refusal>)> = chunk
                .iter()
                .map(|q| (q, results::take(&mut checked, &name, q.record.home_key())))
                .collect();
            for (q, outcome) in self.settle_all(results, note)? {
                after(q, &outcome)?;
            }
            batch_done()?;
            progress.advance(chunk.len() as u64);
        }
        Ok(())
    }

    /// The home records `ids` are already linked to (remote id → home key) in any of
    /// `entities`: one query per chunk of distinct ids.
    fn owners<'i>(
        &self,
        entities: &[&str],
        ids: impl Iterator<Item = &'i String>,
    ) -> Result<HashMap<String, String>, ApplyError> {
        let ids: Vec<&str> = ids
            .map(String::as_str)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        Ok(self
            .state
            .linked_home_keys(self.connection, entities, &ids)?)
    }

    /// Settle one record's result in the store.
    pub fn settle<R: Outgoing>(
        &self,
        q: &Queued<R>,
        result: Result<Written, Refusal>,
        note: &str,
    ) -> Result<Outcome, ApplyError> {
        let mut settled = self.settle_all(vec![(q, result)], note)?;
        Ok(settled
            .pop()
            .map_or(Outcome::Unknown(String::new()), |(_, o)| o))
    }

    /// Settle the results of one batch in one transaction: outbox, id map and run items of
    /// every record together. Returns each record's outcome, in order.
    fn settle_all<'q, R: Outgoing>(
        &self,
        results: Vec<(&'q Queued<R>, Result<Written, Refusal>)>,
        note: &str,
    ) -> Result<Vec<(&'q Queued<R>, Outcome)>, ApplyError> {
        let mut settling = Vec::with_capacity(results.len());
        let mut outcomes = Vec::with_capacity(results.len());
        for (q, result) in results {
            let (s, outcome) = self.settling(q, result, note);
            settling.push((q.key.as_str(), s));
            outcomes.push((q, outcome));
        }
        let settlements: Vec<Settlement<'_>> = settling
            .iter()
            .map(|(key, s)| match s {
                Settling::Written(entry, item) => Settlement::Written { key, entry, item },
                Settling::Failed(item) => Settlement::Failed { key, item },
                Settling::Unknown(item) => Settlement::Unknown { key, item },
            })
            .collect();
        self.state
            .settle_all(self.run_id, self.connection, self.entity, &settlements)?;
        Ok(outcomes)
    }

    /// What settling one record's result writes, and its outcome.
    fn settling<R: Outgoing>(
        &self,
        q: &Queued<R>,
        result: Result<Written, Refusal>,
        note: &str,
    ) -> (Settling, Outcome) {
        let record = &q.record;
        match result {
            Ok(w) => {
                // Say what happened in the target: a document named by its id was updated
                // there, whatever the connector calls it.
                let action = match (w.action, record.remote_id()) {
                    (WriteAction::Unchanged, _) => "unchanged",
                    (_, Some(_)) | (WriteAction::Updated, None) => "updated",
                    (WriteAction::Created, None) => "created",
                };
                let fp = record.fingerprint();
                let entry = MapEntry {
                    home_key: record.home_key().to_owned(),
                    remote_id: w.remote_id.clone(),
                    home_fingerprint: fp.clone(),
                    // The target now holds what was sent.
                    remote_fingerprint: fp,
                    synced_at: unix(std::time::SystemTime::now()),
                };
                let reason = match w.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    // The connector's own sentence, quoted and attributed: plugin text never
                    // passes for the host's.
                    Some(said) => {
                        let said = format!(
                            "{} says {}",
                            self.plugin.manifest().display_name,
                            escape_plugin_text(said, NOTE_CHARS)
                        );
                        if note.is_empty() {
                            said
                        } else {
                            format!("{note}; {said}")
                        }
                    }
                    None => note.to_owned(),
                };
                let item = item(record, Some(w.remote_id.clone()), action, reason);
                (
                    Settling::Written(entry, item),
                    Outcome::Written {
                        remote_id: w.remote_id,
                        action,
                    },
                )
            }
            Err(refusal) if refusal.unknown => {
                let target = &self.plugin.manifest().display_name;
                // The connector's raw text (transport details, internal addresses) goes to
                // the log, not to the report.
                tracing::info!(connection = self.connection, key = %q.key, detail = %refusal.reason, "write outcome unknown");
                let reason = format!(
                    "sent, but {target}'s answer was lost (the connection broke or timed out); ledgerlink looks for it in {target} before sending it again, so it is neither doubled nor lost — run the transfer again"
                );
                let item = item(
                    record,
                    record.remote_id().map(str::to_owned),
                    "unknown",
                    reason.clone(),
                );
                (Settling::Unknown(item), Outcome::Unknown(reason))
            }
            Err(refusal) => {
                let item = item(
                    record,
                    record.remote_id().map(str::to_owned),
                    refusal.outcome(),
                    refusal.reason.clone(),
                );
                (Settling::Failed(item), Outcome::Refused(refusal))
            }
        }
    }
}

/// How many unresolved writes [`recover`] resolved, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Found in the target: settled with its id.
    pub found: usize,
    /// Not in the target: sent again.
    pub resent: usize,
}

impl Recovered {
    /// Both together.
    pub fn total(&self) -> usize {
        self.found + self.resent
    }
}

/// Resolve every write of `entity` over `connection` whose outcome is not known (left
/// pending by an interrupted run, or marked unknown when its answer was lost), before
/// anything new is sent: look each up in the target; settle the ones found; send the rest
/// again under their own keys. Runs as its own `recover` run.
pub async fn recover<R: Locate>(
    state: &SyncState,
    plugin: &Plugin,
    ctx: &CallContext,
    connection: &str,
    entity: &str,
) -> Result<Recovered, ApplyError> {
    let pending = state.pending(connection, entity)?;
    if pending.is_empty() {
        return Ok(Recovered::default());
    }
    let run_id = state.start_run(None, connection, entity, "recover", false)?;
    let outbox = Outbox {
        state,
        plugin,
        ctx,
        connection,
        entity,
        run_id,
    };
    let outcome = async {
        let mut queued = Vec::with_capacity(pending.len());
        for intent in &pending {
            state.mark_interrupted(intent.run_id)?;
            let record = Record::from_json(&intent.payload)
                .ok()
                .and_then(R::from_stored)
                .ok_or_else(|| {
                    ApplyError::Recovery(format!(
                        "the unfinished write of {} {} cannot be read (its stored record is not a record this ledgerlink reads); nothing was sent — run the version of ledgerlink that wrote it to finish it",
                        entity, intent.home_key
                    ))
                })?;
            queued.push(Queued {
                key: intent.idempotency_key.clone(),
                record,
            });
        }
        let found = R::locate(&outbox, &queued).await?;
        let mut recovered = Recovered::default();
        let mut again = Vec::new();
        let target = plugin.manifest().display_name.clone();
        for q in queued {
            match found.get(q.record.home_key()) {
                Some(id) => {
                    let w = Written {
                        remote_id: id.clone(),
                        version: None,
                        action: if q.record.remote_id().is_some() {
                            WriteAction::Updated
                        } else {
                            WriteAction::Created
                        },
                        note: None,
                    };
                    outbox.settle(
                        &q,
                        Ok(w),
                        &format!("already in {target}: the earlier write had reached it (found by reading {target}, not sent again)"),
                    )?;
                    recovered.found += 1;
                }
                None => again.push(q),
            }
        }
        recovered.resent = again.len();
        outbox
            .deliver(
                &again,
                &format!("not in {target} after the earlier attempt: sent again"),
                &super::progress::Silent,
                |_, _| Ok(()),
            )
            .await?;
        Ok(recovered)
    }
    .await;
    super::apply::ended(state, run_id, outcome)
}

/// Looking records up in the target, for recovery.
pub trait Locate: Outgoing {
    /// For each of `queued` found in the target: home key → its id there. An update is
    /// never "found" (sending the same content again is harmless); a creation is found
    /// by its identity in the target, and only when no other home record is linked to it.
    fn locate<'a>(
        outbox: &'a Outbox<'a>,
        queued: &'a [Queued<Self>],
    ) -> impl Future<Output = Result<HashMap<String, String>, ApplyError>> + Send + 'a;
}

impl Locate for Customer {
    async fn locate<'a>(
        outbox: &'a Outbox<'a>,
        queued: &'a [Queued<Self>],
    ) -> Result<HashMap<String, String>, ApplyError> {
        let creating: Vec<&Customer> = queued
            .iter()
            .map(|q| &q.record)
            .filter(|c| c.remote_id.is_none())
            .collect();
        let mut found = HashMap::new();
        if creating.is_empty() {
            return Ok(found);
        }
        let Outbox {
            state,
            plugin,
            ctx,
            connection,
            run_id,
            ..
        } = *outbox;
        // The vendor's rule: one customer per name (trimmed, any case).
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        if super::directory::refresh_customers(state, plugin, ctx, connection, run_id).await? {
            for c in state.target_customers(connection)? {
                by_name
                    .entry(name_identity(&c.name))
                    .or_default()
                    .push(c.remote_id);
            }
        } else {
            for c in &creating {
                let query = crate::model::CustomerQuery {
                    name: Some(c.name.clone()),
                    email: None,
                    tax_number: None,
                };
                let there = plugin.find_customers(ctx, query).await?.map_err(|e| {
                        ApplyError::Recovery(format!(
                            "cannot tell whether customer {} was created before the interruption: {}; nothing was sent — run it again when the connection works",
                            c.name,
                            e.describe()
                        ))
                    })?;
                for t in there {
                    if let Some(id) = t.remote_id {
                        by_name.entry(name_identity(&t.name)).or_default().push(id);
                    }
                }
            }
        }
        let owners = outbox.owners(
            Customer::link_entities(),
            creating
                .iter()
                .filter_map(|c| by_name.get(&name_identity(&c.name)))
                .flatten(),
        )?;
        for c in creating {
            let candidates: Vec<&String> = by_name
                .get(&name_identity(&c.name))
                .into_iter()
                .flatten()
                .filter(|id| owners.get(id.as_str()).is_none_or(|k| *k == c.key))
                .collect();
            if let [one] = candidates.as_slice() {
                found.insert(c.key.clone(), (*one).clone());
            }
        }
        Ok(found)
    }
}

impl Locate for Invoice {
    async fn locate<'a>(
        outbox: &'a Outbox<'a>,
        queued: &'a [Queued<Self>],
    ) -> Result<HashMap<String, String>, ApplyError> {
        let creating: Vec<&Invoice> = queued
            .iter()
            .map(|q| &q.record)
            .filter(|i| i.remote_id.is_none())
            .collect();
        let mut found = HashMap::new();
        if creating.is_empty() || !outbox.plugin.can("pull-invoices") {
            // Without a way to read the target, the connector's idempotency key is all
            // that keeps a resend single.
            return Ok(found);
        }
        let Outbox {
            state,
            plugin,
            ctx,
            connection,
            run_id,
            ..
        } = *outbox;
        let not_ours = |owners: &HashMap<String, String>, id: &str, key: &str| {
            owners.get(id).is_none_or(|k| k == key)
        };
        // Numbered documents: by number, from the target's documents (read by delta).
        super::directory::refresh_documents(state, plugin, ctx, connection, run_id).await?;
        let mut by_number: HashMap<String, Vec<String>> = HashMap::new();
        for d in state.target_documents(connection)? {
            if d.entity == outbox.entity {
                by_number
                    .entry(name_identity(&d.number))
                    .or_default()
                    .push(d.remote_id);
            }
        }
        let owners = outbox.owners(
            Invoice::link_entities(),
            creating
                .iter()
                .filter(|i| !i.number.is_empty())
                .filter_map(|i| by_number.get(&name_identity(&i.number)))
                .flatten(),
        )?;
        let mut unnumbered: HashSet<&str> = HashSet::new();
        for i in &creating {
            if i.number.is_empty() {
                unnumbered.insert(i.key.as_str());
                continue;
            }
            let candidates: Vec<&String> = by_number
                .get(&name_identity(&i.number))
                .into_iter()
                .flatten()
                .filter(|id| not_ours(&owners, id, &i.key))
                .collect();
            if let [one] = candidates.as_slice() {
                found.insert(i.key.clone(), (*one).clone());
            }
        }
        // Documents the target numbered: by the reference that carries Tracker Pro's
        // number (a full read of that kind, only when there are such writes to resolve).
        if !unnumbered.is_empty() {
            let kind = creating
                .iter()
                .find(|i| unnumbered.contains(i.key.as_str()))
                .map_or(InvoiceKind::Job, |i| i.kind);
            let (pulled, _refused) = paging::invoices(plugin, ctx, kind, None)
                    .await
                    .map_err(|e| {
                        ApplyError::Recovery(format!(
                            "cannot tell which invoices reached {connection} before the interruption: {e}; nothing was sent — run it again when the connection works"
                        ))
                    })?;
            let mut by_reference: HashMap<String, Vec<String>> = HashMap::new();
            for there in pulled {
                if let (Some(r), Some(id)) = (there.reference, there.remote_id) {
                    by_reference.entry(name_identity(&r)).or_default().push(id);
                }
            }
            let resolving = || {
                creating
                    .iter()
                    .filter(|i| unnumbered.contains(i.key.as_str()))
            };
            let owners = outbox.owners(
                Invoice::link_entities(),
                resolving()
                    .filter_map(|i| i.reference.as_ref())
                    .filter_map(|r| by_reference.get(&name_identity(r)))
                    .flatten(),
            )?;
            for i in resolving() {
                let Some(reference) = &i.reference else {
                    continue;
                };
                let candidates: Vec<&String> = by_reference
                    .get(&name_identity(reference))
                    .into_iter()
                    .flatten()
                    .filter(|id| not_ours(&owners, id, &i.key))
                    .collect();
                if let [one] = candidates.as_slice() {
                    found.insert(i.key.clone(), (*one).clone());
                }
            }
        }
        Ok(found)
    }
}
