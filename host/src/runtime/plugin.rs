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
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use super::bindings::{
    CheckReport, ConnectorError, Customer, CustomerPage, CustomerQuery, ErrorDetail, Invoice,
    InvoiceKind, InvoicePage, Plugin as PluginWorld, PluginPre, PushResult, RecordKind,
};
use super::cache::CacheOutcome;
use super::engine::ticks_for;
use super::error::{CallError, panic_message};
use super::limits::{Limits, MemoryLimitHit};
use super::manifest::Manifest;
use super::state::{CallContext, CallState, STDERR_CAPACITY};

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
    pub(crate) pre: PluginPre<CallState>,
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.name)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

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
        self.call(ctx, "check", |p, s| {
            Box::pin(p.ledgerlink_connector_connector().call_check(s))
        })
        .await
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
        self.call(ctx, "pull-customers", move |p, s| {
            Box::pin(async move {
                p.ledgerlink_connector_connector()
                    .call_pull_customers(s, since.as_ref(), cursor.as_ref())
                    .await
            })
        })
        .await
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
        self.call(ctx, "find-customers", move |p, s| {
            Box::pin(async move {
                p.ledgerlink_connector_connector()
                    .call_find_customers(s, &query)
                    .await
            })
        })
        .await
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
        self.call(ctx, "push-customers", move |p, s| {
            Box::pin(async move {
                p.ledgerlink_connector_connector()
                    .call_push_customers(s, &batch)
                    .await
            })
        })
        .await
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
        self.call(ctx, "pull-invoices", move |p, s| {
            Box::pin(async move {
                p.ledgerlink_connector_connector()
                    .call_pull_invoices(s, kind, since.as_ref(), cursor.as_ref())
                    .await
            })
        })
        .await
    }

    /// `push-invoices`: one result per record, in input order. Invoices of a kind the
    /// manifest does not list get an `unsupported` result without reaching the plugin.
    pub async fn push_invoices(
        &self,
        ctx: &CallContext,
        batch: Vec<Invoice>,
    ) -> Result<Vec<PushResult>, CallError> {
        let capable = |kind: InvoiceKind| match kind {
            InvoiceKind::Job => self.can("push-job-invoices"),
            InvoiceKind::Contract => self.can("push-contract-invoices"),
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
            self.call(ctx, "push-invoices", move |p, s| {
                Box::pin(async move {
                    p.ledgerlink_connector_connector()
                        .call_push_invoices(s, &send)
                        .await
                })
            })
            .await?
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
        self.call(ctx, "delete", move |p, s| {
            Box::pin(async move {
                p.ledgerlink_connector_connector()
                    .call_delete(s, kind, &id)
                    .await
            })
        })
        .await
    }

    /// Instantiate without calling anything; for the benchmarks.
    #[doc(hidden)]
    pub async fn instantiate_only(&self, ctx: &CallContext) -> Result<(), CallError> {
        let (mut store, _stderr) = new_store(&self.engine, &self.manifest.name, self.limits, ctx);
        self.pre
            .instantiate_async(&mut store)
            .await
            .map(|_| ())
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

    /// Run one export in a fresh instance under the deadline and memory cap.
    pub(crate) async fn call<R, F>(
        &self,
        ctx: &CallContext,
        op: &'static str,
        f: F,
    ) -> Result<R, CallError>
    where
        F: for<'a> FnOnce(&'a PluginWorld, &'a mut Store<CallState>) -> CallFuture<'a, R>,
    {
        run_call(
            &self.pre,
            &self.engine,
            &self.manifest.name,
            self.limits,
            ctx,
            op,
            f,
        )
        .await
    }
}

/// A fresh store for one call: memory cap, deadline, captured stderr.
fn new_store(
    engine: &Engine,
    plugin: &str,
    limits: Limits,
    ctx: &CallContext,
) -> (Store<CallState>, MemoryOutputPipe) {
    let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
    let state = CallState::new(plugin, ctx.clone(), limits.memory_bytes, stderr.clone());
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(ticks_for(limits.deadline));
    // When the epoch deadline passes, time spent waiting on outbound HTTP is given back:
    // only the plugin's own time counts.
    let deadline = limits.deadline;
    store.epoch_deadline_callback(move |ctx| {
        let charged = ctx.data().host_time.charged();
        if charged >= deadline {
            Ok(wasmtime::UpdateDeadline::Interrupt)
        } else {
            Ok(wasmtime::UpdateDeadline::Continue(ticks_for(
                deadline - charged,
            )))
        }
    });
    (store, stderr)
}

/// The body of every call; also used at load, before a [`Plugin`] exists, to read the manifest.
pub(crate) async fn run_call<R, F>(
    pre: &PluginPre<CallState>,
    engine: &Engine,
    plugin: &str,
    limits: Limits,
    ctx: &CallContext,
    op: &'static str,
    f: F,
) -> Result<R, CallError>
where
    F: for<'a> FnOnce(&'a PluginWorld, &'a mut Store<CallState>) -> CallFuture<'a, R>,
{
    let (mut store, stderr) = new_store(engine, plugin, limits, ctx);
    let host_time = store.data().host_time.clone();

    let span = tracing::debug_span!("plugin_call", plugin, op);
    let _enter = span.enter();

    let guarded = async {
        let instance = pre.instantiate_async(&mut store).await?;
        f(&instance, &mut store).await
    };
    // The epoch traps guest code that overruns; this outer timeout also stops a call that
    // is stuck in a host import other than HTTP (which has its own timeouts), where the
    // guest is not running. Like the epoch, it does not count time spent in outbound HTTP.
    let outer = limits.deadline + Duration::from_millis(250);
    tokio::pin!(guarded);
    let outcome = loop {
        let left = outer.saturating_sub(host_time.charged());
        if left.is_zero() {
            break Err(());
        }
        match tokio::time::timeout(left, &mut guarded).await {
            Ok(result) => break Ok(result),
            Err(_) => continue,
        }
    };
    let stderr_text = || String::from_utf8_lossy(&stderr.contents()).into_owned();
    match outcome {
        Ok(Ok(value)) => {
            let out = stderr_text();
            if !out.trim().is_empty() {
                tracing::debug!(target: "ledgerlink::plugin", plugin, op, "stderr: {}", out.trim());
            }
            Ok(value)
        }
        Err(()) => Err(CallError::Deadline {
            plugin: plugin.to_owned(),
            op,
            deadline: limits.deadline,
            stderr: stderr_text(),
        }),
        Ok(Err(e)) => Err(classify(e, plugin, op, limits, stderr_text())),
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
            stderr,
        };
    }
    let reason = panic_message(&stderr).unwrap_or_else(|| match e.downcast_ref::<Trap>() {
        Some(trap) => format!("it trapped: {trap}"),
        None => format!("{e:#}"),
    });
    CallError::Crashed {
        plugin: plugin.to_owned(),
        op,
        reason,
        stderr,
    }
}
