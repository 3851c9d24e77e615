//! A loaded plugin and the calls into it.
//!
//! Every call gets a fresh store and instance from the plugin's [`InstancePre`]-backed
//! `PluginPre` (microseconds), with its own memory cap, deadline and captured stderr. So a
//! plugin keeps no state between calls, one call cannot see another's data, and an instance
//! poisoned by a trap or a timeout is never entered again.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use wasmtime::{Engine, Store, Trap};

use super::bindings::{self as wit, Plugin as PluginWorld, PluginPre};
use super::cache::CacheOutcome;
use super::convert::answer;
use super::engine::ticks_for;
use super::error::{CallError, escape_plugin_text};
use super::limits::{Limits, MemoryLimitHit};
use super::manifest::{Auth, Manifest};
use super::output::{CappedStderr, STDERR_CAPACITY};
use super::since_v0_1::{self, ledgerlink::connector::types as v01};
use super::state::{CallContext, CallState};
use crate::model::{
    CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, ErrorDetail, Invoice,
    InvoiceKind, InvoicePage, PushResult, RecordKind,
};
use crate::net::ReservedEndpoints;

/// How a plugin was loaded, for `plugins inspect` and the benchmarks.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LoadInfo {
    /// Where it came from: a path, or "built-in".
    pub source: String,
    /// SHA-256 of the component bytes.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// Whether the compiled code came from the cache.
    pub cache: CacheOutcome,
}

/// A loaded, validated plugin, ready to be called.
pub struct Plugin {
    pub(crate) manifest: Manifest,
    pub(crate) info: LoadInfo,
    pub(crate) pre: Pre,
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
    /// URLs of its own manifest only the host calls (OAuth token and revocation).
    pub(crate) reserved: ReservedEndpoints,
}

/// The endpoints of `manifest` a plugin may never request itself: the OAuth token and
/// revocation endpoints, whose answers carry tokens (the host calls them; see
/// [`crate::net::reserved`]).
pub(crate) fn reserved_endpoints(manifest: &Manifest) -> ReservedEndpoints {
    match &manifest.auth {
        Auth::Oauth2 {
            token_url,
            revoke_url,
            ..
        } => ReservedEndpoints::new(
            std::iter::once((token_url.as_str(), "OAuth token endpoint")).chain(
                revoke_url
                    .as_deref()
                    .map(|u| (u, "OAuth revocation endpoint")),
            ),
        ),
        Auth::None | Auth::ApiKey { .. } => ReservedEndpoints::default(),
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.name)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// A plugin's pre-instantiated component, in the contract version it speaks.
pub(crate) enum Pre {
    /// The current contract.
    Current(PluginPre<CallState>),
    /// Contract 0.1 (`runtime::since_v0_1`).
    V0_1(since_v0_1::PluginPre<CallState>),
}

/// Instantiating a pre-instantiated world of some contract version.
pub(crate) trait Instantiate: Sync {
    /// The world's instance.
    type World: Send + Sync;
    /// A fresh instance in `store`.
    fn instantiate_in<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> Pin<Box<dyn Future<Output = wasmtime::Result<Self::World>> + Send + 'a>>;
}

impl Instantiate for PluginPre<CallState> {
    type World = PluginWorld;
    fn instantiate_in<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> Pin<Box<dyn Future<Output = wasmtime::Result<Self::World>> + Send + 'a>> {
        Box::pin(self.instantiate_async(store))
    }
}

impl Instantiate for since_v0_1::PluginPre<CallState> {
    type World = since_v0_1::Plugin;
    fn instantiate_in<'a>(
        &'a self,
        store: &'a mut Store<CallState>,
    ) -> Pin<Box<dyn Future<Output = wasmtime::Result<Self::World>> + Send + 'a>> {
        Box::pin(self.instantiate_async(store))
    }
}

/// Run `$body` with `$pre` bound to the plugin's pre-instantiated world, whichever contract
/// version it speaks. The body is the same text for every version: its `.into()`
/// conversions take each version's types from the export's signature.
macro_rules! each_version {
    ($plugin:expr, $pre:ident => $body:expr) => {
        match &$plugin.pre {
            Pre::Current($pre) => $body,
            Pre::V0_1($pre) => $body,
        }
    };
}

/// Ids per `get-invoices` call, at most.
pub const GET_IDS: usize = 100;

type CallFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

impl Plugin {
    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// How it was loaded.
    pub fn info(&self) -> &LoadInfo {
        &self.info
    }

    /// The limits its calls run under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Change the limits for later calls (the next call uses them).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Whether the manifest lists `capability` (contract spelling, e.g. "push-customers").
    pub fn can(&self, capability: &str) -> bool {
        self.manifest.capabilities.iter().any(|c| c == capability)
    }

    /// `check`: verify the connection works.
    pub async fn check(
        &self,
        ctx: &CallContext,
    ) -> Result<Result<CheckReport, ConnectorError>, CallError> {
        Ok(each_version!(self, pre => answer(
            self.call(pre, ctx, "check", |p, s| {
                Box::pin(p.ledgerlink_connector_connector().call_check(s))
            })
            .await?,
        )))
    }

    /// `pull-customers`: one page of customers changed since `since`.
    pub async fn pull_customers(
        &self,
        ctx: &CallContext,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<Result<CustomerPage, ConnectorError>, CallError> {
        if !self.can("pull-customers") {
            return Ok(Err(self.not_capable("pull-customers")));
        }
        Ok(each_version!(self, pre => answer(
            self.call(pre, ctx, "pull-customers", move |p, s| {
                Box::pin(async move {
                    p.ledgerlink_connector_connector()
                        .call_pull_customers(s, since.as_ref(), cursor.as_ref())
                        .await
                })
            })
            .await?,
        )))
    }

    /// `find-customers`: customers in the target matching `query`.
    pub async fn find_customers(
        &self,
        ctx: &CallContext,
        query: CustomerQuery,
    ) -> Result<Result<Vec<Customer>, ConnectorError>, CallError> {
        if !self.can("find-customers") {
            return Ok(Err(self.not_capable("find-customers")));
        }
        Ok(each_version!(self, pre => {
            let query = query.into();
            self.call(pre, ctx, "find-customers", move |p, s| {
                Box::pin(async move {
                    p.ledgerlink_connector_connector()
                        .call_find_customers(s, &query)
                        .await
                })
            })
            .await?
            .map(|found| found.into_iter().map(Into::into).collect())
            .map_err(Into::into)
        }))
    }

    /// `push-customers`: one result per record, in order.
    pub async fn push_customers(
        &self,
        ctx: &CallContext,
        batch: Vec<Customer>,
    ) -> Result<Vec<PushResult>, CallError> {
        if !self.can("push-customers") {
            let e = self.not_capable("push-customers");
            return Ok(batch
                .into_iter()
                .map(|c| PushResult {
                    key: c.key,
                    outcome: Err(e.clone()),
                })
                .collect());
        }
        Ok(each_version!(self, pre => {
            let batch: Vec<_> = batch.into_iter().map(Into::into).collect();
            self.call(pre, ctx, "push-customers", move |p, s| {
                Box::pin(async move {
                    p.ledgerlink_connector_connector()
                        .call_push_customers(s, &batch)
                        .await
                })
            })
            .await?
            .into_iter()
            .map(Into::into)
            .collect()
        }))
    }

    /// `pull-invoices`: one page of invoices of `kind` changed since `since`.
    pub async fn pull_invoices(
        &self,
        ctx: &CallContext,
        kind: InvoiceKind,
        since: Option<String>,
        cursor: Option<String>,
    ) -> Result<Result<InvoicePage, ConnectorError>, CallError> {
        if !self.can("pull-invoices") {
            return Ok(Err(self.not_capable("pull-invoices")));
        }
        Ok(match &self.pre {
            Pre::Current(pre) => {
                let kind: wit::InvoiceKind = kind.into();
                answer(
                    self.call(pre, ctx, "pull-invoices", move |p, s| {
                        Box::pin(async move {
                            p.ledgerlink_connector_connector()
                                .call_pull_invoices(s, kind, since.as_ref(), cursor.as_ref())
                                .await
                        })
                    })
                    .await?,
                )
            }
            Pre::V0_1(pre) => {
                // 0.1 has no orders: there are none to pull.
                let Some(kind) = since_v0_1::convert::kind_out(kind) else {
                    return Ok(Ok(InvoicePage {
                        items: Vec::new(),
                        next: None,
                    }));
                };
                answer(
                    self.call(pre, ctx, "pull-invoices", move |p, s| {
                        Box::pin(async move {
                            p.ledgerlink_connector_connector()
                                .call_pull_invoices(s, kind, since.as_ref(), cursor.as_ref())
                                .await
                        })
                    })
                    .await?,
                )
            }
        })
    }

    /// `get-invoices`: the documents of `kind` with these ids (contract 0.2, capability
    /// `get-invoices`). At most [`GET_IDS`] ids a call; an id the target lacks is left out.
    pub async fn get_invoices(
        &self,
        ctx: &CallContext,
        kind: InvoiceKind,
        ids: Vec<String>,
    ) -> Result<Result<Vec<Invoice>, ConnectorError>, CallError> {
        let Pre::Current(pre) = &self.pre else {
            return Ok(Err(self.not_capable("get-invoices")));
        };
        if !self.can("get-invoices") {
            return Ok(Err(self.not_capable("get-invoices")));
        }
        let kind: wit::InvoiceKind = kind.into();
        Ok(self
            .call(pre, ctx, "get-invoices", move |p, s| {
                Box::pin(async move {
                    p.ledgerlink_connector_connector()
                        .call_get_invoices(s, kind, &ids)
                        .await
                })
            })
            .await?
            .map(|found| found.into_iter().map(Into::into).collect())
            .map_err(Into::into))
    }

    /// `push-invoices`: one result per record, in input order. Invoices of a kind the
    /// manifest does not list (or the plugin's contract cannot carry) get an `unsupported`
    /// result without reaching the plugin.
    pub async fn push_invoices(
        &self,
        ctx: &CallContext,
        batch: Vec<Invoice>,
    ) -> Result<Vec<PushResult>, CallError> {
        let capable = |kind: InvoiceKind| match kind {
            InvoiceKind::Job => self.can("push-job-invoices"),
            InvoiceKind::Contract => self.can("push-contract-invoices"),
            InvoiceKind::Order => self.can("push-orders"),
        };
        let mut slots: Vec<Option<PushResult>> = Vec::with_capacity(batch.len());
        let mut send = Vec::with_capacity(batch.len());
        for invoice in batch {
            if capable(invoice.kind) {
                slots.push(None);
                send.push(invoice);
            } else {
                let op = match invoice.kind {
                    InvoiceKind::Job => "push-job-invoices",
                    InvoiceKind::Contract => "push-contract-invoices",
                    InvoiceKind::Order => "push-orders",
                };
                slots.push(Some(PushResult {
                    key: invoice.key,
                    outcome: Err(self.not_capable(op)),
                }));
            }
        }
        let sent = send.len();
        let mut results = if send.is_empty() {
            Vec::new()
        } else {
            match &self.pre {
                Pre::Current(pre) => {
                    let send: Vec<wit::Invoice> = send.into_iter().map(Into::into).collect();
                    self.call(pre, ctx, "push-invoices", move |p, s| {
                        Box::pin(async move {
                            p.ledgerlink_connector_connector()
                                .call_push_invoices(s, &send)
                                .await
                        })
                    })
                    .await?
                    .into_iter()
                    .map(PushResult::from)
                    .collect()
                }
                Pre::V0_1(pre) => {
                    // `capable` let no order through (0.1 manifests cannot list push-orders).
                    let send: Vec<v01::Invoice> = send
                        .into_iter()
                        .filter_map(since_v0_1::convert::invoice_out)
                        .collect();
                    self.call(pre, ctx, "push-invoices", move |p, s| {
                        Box::pin(async move {
                            p.ledgerlink_connector_connector()
                                .call_push_invoices(s, &send)
                                .await
                        })
                    })
                    .await?
                    .into_iter()
                    .map(PushResult::from)
                    .collect()
                }
            }
        }
        .into_iter();
        if results.len() != sent {
            return Err(CallError::Crashed {
                plugin: self.manifest.name.clone(),
                op: "push-invoices",
                reason: format!(
                    "it returned {} results for {sent} invoices; every record needs exactly one result",
                    results.len()
                ),
                stderr: String::new(),
            });
        }
        Ok(slots
            .into_iter()
            .map(|slot| slot.or_else(|| results.next()))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default())
    }

    /// `delete`: remove a record this host created, for rollback.
    pub async fn delete(
        &self,
        ctx: &CallContext,
        kind: RecordKind,
        id: String,
    ) -> Result<Result<(), ConnectorError>, CallError> {
        if !self.can("delete") {
            return Ok(Err(self.not_capable("delete")));
        }
        Ok(each_version!(self, pre => {
            let kind = kind.into();
            self.call(pre, ctx, "delete", move |p, s| {
                Box::pin(async move {
                    p.ledgerlink_connector_connector()
                        .call_delete(s, kind, &id)
                        .await
                })
            })
            .await?
            .map_err(Into::into)
        }))
    }

    /// Instantiate without calling anything; for the benchmarks.
    #[doc(hidden)]
    pub async fn instantiate_only(&self, ctx: &CallContext) -> Result<(), CallError> {
        let (mut store, _stderr) = new_store(&self.engine, &self.manifest.name, self.limits, ctx);
        match &self.pre {
            Pre::Current(pre) => pre.instantiate_in(&mut store).await.map(|_| ()),
            Pre::V0_1(pre) => pre.instantiate_in(&mut store).await.map(|_| ()),
        }
        .map_err(|e| self.instantiate_error("instantiate", e))
    }

    fn not_capable(&self, op: &str) -> ConnectorError {
        ConnectorError::Unsupported(ErrorDetail {
            message: format!(
                "connector {} does not offer {op} (its manifest does not list it)",
                self.manifest.name
            ),
            field: None,
        })
    }

    fn instantiate_error(&self, op: &'static str, e: wasmtime::Error) -> CallError {
        CallError::Instantiate {
            plugin: self.manifest.name.clone(),
            op,
            reason: format!("{e:#}"),
        }
    }

    /// Run one export in a fresh instance of `pre` under the deadline and memory cap.
    pub(crate) async fn call<P, R, F>(
        &self,
        pre: &P,
        ctx: &CallContext,
        op: &'static str,
        f: F,
    ) -> Result<R, CallError>
    where
        P: Instantiate,
        F: for<'a> FnOnce(&'a P::World, &'a mut Store<CallState>) -> CallFuture<'a, R>,
    {
        // Whatever context the caller built, the plugin's own OAuth endpoints stay the host's.
        let mut ctx = ctx.clone();
        if !self.reserved.is_empty() {
            ctx.http = ctx.http.map(|h| h.with_reserved(self.reserved.clone()));
        }
        run_call(
            pre,
            &self.engine,
            &self.manifest.name,
            self.limits,
            &ctx,
            op,
            f,
        )
        .await
    }
}

/// A fresh store for one call: memory cap, time budget, log budget, captured stderr.
fn new_store(
    engine: &Engine,
    plugin: &str,
    limits: Limits,
    ctx: &CallContext,
) -> (Store<CallState>, CappedStderr) {
    let stderr = CappedStderr::new(STDERR_CAPACITY);
    let state = CallState::new(plugin, ctx.clone(), limits, stderr.clone());
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(ticks_for(limits.deadline));
    // When the epoch deadline passes, the budget decides: it is the deadline plus any
    // pacing wait given back (capped), so only a call that really has time left goes on.
    store.epoch_deadline_callback(move |ctx| match ctx.data().budget.remaining() {
        Some(left) if !left.is_zero() => Ok(wasmtime::UpdateDeadline::Continue(ticks_for(left))),
        _ => Ok(wasmtime::UpdateDeadline::Interrupt),
    });
    (store, stderr)
}

/// How long after its budget ran out a call stuck in a host import is dropped; the epoch
/// stops guest code on its own, this only covers time outside the guest.
const OUTER_GRACE: Duration = Duration::from_millis(250);

/// The body of every call; also used at load, before a [`Plugin`] exists, to read the manifest.
pub(crate) async fn run_call<P, R, F>(
    pre: &P,
    engine: &Engine,
    plugin: &str,
    limits: Limits,
    ctx: &CallContext,
    op: &'static str,
    f: F,
) -> Result<R, CallError>
where
    P: Instantiate,
    F: for<'a> FnOnce(&'a P::World, &'a mut Store<CallState>) -> CallFuture<'a, R>,
{
    let (mut store, stderr) = new_store(engine, plugin, limits, ctx);
    let budget = store.data().budget.clone();
    let logs = store.data().logs.clone();

    let span = tracing::debug_span!("plugin_call", plugin, op);
    let _enter = span.enter();

    let guarded = async {
        let instance = pre.instantiate_in(&mut store).await?;
        f(&instance, &mut store).await
    };
    // The epoch traps guest code that overruns; this outer timeout stops a call wherever
    // else it is — waiting on a vendor's answer, a retry, a Retry-After, any host import —
    // when the same budget runs out. Dropping the future abandons the request in flight.
    tokio::pin!(guarded);
    let outcome = loop {
        let left = budget.remaining().unwrap_or(Duration::MAX);
        if left.is_zero() {
            break Err(budget.waiting_on());
        }
        match tokio::time::timeout(left.saturating_add(OUTER_GRACE), &mut guarded).await {
            Ok(result) => break Ok(result),
            // Pacing waits given back may have moved the end; look again.
            Err(_) => continue,
        }
    };
    report_dropped_logs(&logs, plugin, op);
    // The earlier output a chatty plugin printed is not kept (only the tail, where a panic
    // message is): `output::CappedStderr`.
    let (stderr_text, _dropped) = stderr.contents();
    match outcome {
        Ok(Ok(value)) => {
            let out = stderr_text.trim();
            if !out.is_empty() {
                tracing::debug!(target: "ledgerlink::plugin", plugin, op, "stderr: {}", escape_plugin_text(out, 4096));
            }
            Ok(value)
        }
        Err(waiting_on) => Err(CallError::Deadline {
            plugin: plugin.to_owned(),
            op,
            deadline: limits.deadline,
            waiting_on,
            stderr: stderr_text,
        }),
        Ok(Err(e)) => Err(classify(e, plugin, op, limits, stderr_text)),
    }
}

/// One line for everything the call's log budget dropped.
fn report_dropped_logs(logs: &super::output::LogBudget, plugin: &str, op: &str) {
    let (lines, bytes) = logs.dropped();
    if lines > 0 {
        let (max_lines, max_bytes) = logs.limits();
        tracing::warn!(
            target: "ledgerlink::plugin",
            plugin,
            "plugin {plugin} went over its log budget in {op} ({max_lines} lines or {} per call): {lines} more lines ({bytes} bytes) were dropped",
            crate::files::human_bytes(max_bytes)
        );
    }
}

fn classify(
    e: wasmtime::Error,
    plugin: &str,
    op: &'static str,
    limits: Limits,
    stderr: String,
) -> CallError {
    if let Some(hit) = e.downcast_ref::<MemoryLimitHit>() {
        return CallError::Memory {
            plugin: plugin.to_owned(),
            op,
            limit: hit.limit,
            stderr,
        };
    }
    if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
        return CallError::Deadline {
            plugin: plugin.to_owned(),
            op,
            deadline: limits.deadline,
            waiting_on: None,
            stderr,
        };
    }
    // Only what the host knows goes in the reason; whatever the plugin printed (a panic
    // message included: its text is the plugin's to choose) is shown apart, quoted.
    let reason = match e.downcast_ref::<Trap>() {
        Some(Trap::UnreachableCodeReached) => "wasm trap: unreachable".to_owned(),
        Some(trap) => format!("wasm trap: {trap}"),
        None => format!("host error: {}", escape_plugin_text(&format!("{e:#}"), 300)),
    };
    CallError::Crashed {
        plugin: plugin.to_owned(),
        op,
        reason,
        stderr,
    }
}
