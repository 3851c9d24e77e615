//! [`Transfers`]: the one entry point every surface calls — compare, apply a plan, push
//! invoices, roll back — for any connection and record kind.
//!
//! It owns what a transfer needs besides its arguments: the connection's pinned component
//! (through the registry), its call context (credentials, HTTP policy, pacing), the sync
//! state and the home book. A surface builds one per command (the CLI) or per request (the
//! server), calls one method, and prints or serializes the value it returns.

use super::TransferError;
use super::invoice_plans::{self, InvoicePlan, RowSelection};
use super::invoices::{self as invoice_push, PushOptions};
use super::numbering::Numbering;
use crate::auth::context::{self, Services};
use crate::model::InvoiceKind;
use crate::registry::Registry;
use crate::runtime::{CallContext, Plugin, Runtime};
use crate::store::connections::Connection;

use crate::store::home::HomeStore;
use crate::store::sync_state::SyncState;
use crate::sync::apply::{self, Summary};
use crate::sync::compare::Direction;
use crate::sync::invoices::InvoiceJob;
use crate::sync::plan::{Plan, Selection};
use crate::sync::progress::Progress;

/// Which rows of a plan to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// Every row that writes (Conflicts only when picked by key; Locked never).
    All,
    /// Every Add.
    AllAdds,
    /// Every Update.
    AllUpdates,
    /// Exactly these keys (home keys; remote ids for a pull plan).
    Keys(Vec<String>),
}

/// How to apply a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The rows.
    pub pick: Pick,
    /// Make no call to the target and change nothing; say what would happen.
    pub dry_run: bool,
    /// Demo: only the first N picked rows (a later run applies the rest).
    pub demo: Option<usize>,
}

/// What applying a plan did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "direction", content = "summary")]
pub enum Applied {
    /// Written to the target.
    Push(Summary),
    /// Written into the home book.
    Pull(Summary),
}

/// A compared customer plan.
#[derive(Debug, Clone)]
pub struct CustomerComparison {
    /// The stored plan's number.
    pub plan_id: i64,
    /// The plan.
    pub plan: Plan,
}

/// A connection ready to be called: its record, its pinned component and its context.
pub struct Link {
    /// The connection.
    pub connection: Connection,
    /// Its component.
    pub plugin: Plugin,
    /// Credentials, HTTP policy and settings for its calls.
    pub ctx: CallContext,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("connection", &self.connection.name)
            .field("plugin", &self.plugin)
            .finish_non_exhaustive()
    }
}

/// The application layer's handle.
pub struct Transfers {
    services: Services,
    registry: Registry,
    state: SyncState,
    home: HomeStore,
}

impl std::fmt::Debug for Transfers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfers").finish_non_exhaustive()
    }
}

impl Transfers {
    /// Over the data folder of `services`, loading components with `runtime`.
    pub fn new(services: Services, runtime: Runtime) -> Result<Self, TransferError> {
        // One handle on the database for the whole layer: the connection store's.
        let db = services.db();
        let state = SyncState::from_db(db.clone());
        let home = HomeStore::from_db(db);
        let registry = Registry::new(services.data.clone(), runtime, services.store.clone());
        Ok(Transfers {
            services,
            registry,
            state,
            home,
        })
    }

    /// The sync state (runs, plans, id map), for reports.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// The home book.
    pub fn home(&self) -> &HomeStore {
        &self.home
    }

    /// Connection `name`, its pinned component and call context.
    pub async fn link(&self, name: &str) -> Result<Link, TransferError> {
        let connection = self.services.store.get(name)?;
        let plugin = self.registry.load_for(&connection).await?;
        let ctx = context::call_context(&self.services, &plugin, &connection).await?;
        Ok(Link {
            connection,
            plugin,
            ctx,
        })
    }

    /// Compare the home book's customers with `connection`'s: for a push, the customers due
    /// (flagged and changed since sent); for a pull, the whole book. `delta` reads only
    /// the target's customers changed since the last complete pull.
    pub async fn compare_customers(
        &self,
        connection: &str,
        direction: Direction,
        delta: bool,
    ) -> Result<CustomerComparison, TransferError> {
        let home = match direction {
            Direction::Push => super::due::customers(&self.home, &self.state, connection)?,
            Direction::Pull => super::due::all_customers(&self.home)?,
        };
        let since = if delta {
            let mark = self.state.watermark(connection, "customers", "pull")?;
            if mark.is_none() {
                return Err(TransferError::Refused(format!(
                    "there has been no complete pull of customers from {connection} yet, so there is nothing to take a delta from; compare without --delta, then `ledgerlink sync --plan <n> --all`"
                )));
            }
            mark
        } else {
            None
        };
        let link = self.link(connection).await?;
        let (plan_id, plan) = crate::sync::customers::compare_and_plan_since(
            &self.state,
            &link.plugin,
            &link.ctx,
            connection,
            home,
            direction,
            since,
        )
        .await?;
        Ok(CustomerComparison { plan_id, plan })
    }

    /// Compare the job or contract invoices due with `connection`'s documents.
    pub async fn compare_invoices(
        &self,
        connection: &str,
        kind: InvoiceKind,
        numbering: Numbering,
    ) -> Result<(i64, InvoicePlan), TransferError> {
        let link = self.link(connection).await?;
        takes(&link, kind)?;
        invoice_plans::compare(
            &self.home,
            &self.state,
            &link.plugin,
            &link.ctx,
            connection,
            kind,
            numbering,
        )
        .await
    }

    /// Apply the picked rows of plan `plan_id`, whatever its kind and direction.
    pub async fn apply(
        &self,
        plan_id: i64,
        options: &ApplyOptions,
        progress: &dyn Progress,
    ) -> Result<Applied, TransferError> {
        if let Some(plan) = invoice_plans::load(&self.state, plan_id)? {
            let selection = match &options.pick {
                Pick::All => RowSelection::All,
                Pick::AllAdds => RowSelection::AllAdds,
                Pick::AllUpdates => RowSelection::AllUpdates,
                Pick::Keys(keys) => RowSelection::Keys(keys.clone()),
            };
            let link = self.link(&plan.connection).await?;
            let summary = invoice_plans::apply(
                &self.state,
                &link.plugin,
                &link.ctx,
                plan_id,
                &plan,
                &selection,
                options.demo,
                options.dry_run,
                progress,
            )
            .await?;
            return Ok(Applied::Push(summary));
        }
        let plan = crate::sync::customers::load_plan(&self.state, plan_id)?;
        let selection = match &options.pick {
            Pick::All => Selection::All,
            Pick::AllAdds => Selection::AllAdds,
            Pick::AllUpdates => Selection::AllUpdates,
            Pick::Keys(keys) => Selection::Keys(keys.clone()),
        };
        // Demo: the first N picked rows only; a later full run applies the rest.
        let selection = match options.demo {
            None => selection,
            Some(n) => Selection::Keys(
                plan.items
                    .iter()
                    .filter(|p| selection.includes(&p.item))
                    .take(n)
                    .filter_map(|p| match plan.direction {
                        Direction::Push => p.item.home_key.clone(),
                        Direction::Pull => p.item.remote_id.clone(),
                    })
                    .collect(),
            ),
        };
        if plan.direction == Direction::Pull {
            let summary = crate::sync::pull::pull_customers(
                &self.state,
                &self.home,
                plan_id,
                &plan,
                &selection,
                options.dry_run,
            )?;
            return Ok(Applied::Pull(summary));
        }
        let link = self.link(&plan.connection).await?;
        let summary = apply::push_customers(
            &self.state,
            &link.plugin,
            &link.ctx,
            plan_id,
            plan,
            &selection,
            options.dry_run,
            progress,
        )
        .await?;
        Ok(Applied::Push(summary))
    }

    /// The invoices a push would send (a dry run: nothing is called).
    pub fn invoices_due(
        &self,
        connection: &str,
        options: PushOptions,
    ) -> Result<Vec<InvoiceJob>, TransferError> {
        invoice_push::due(&self.home, &self.state, connection, options)
    }

    /// Push every job or contract invoice due over `connection` (compare + apply every Add
    /// and Update in one step, for scripts and schedules).
    pub async fn push_invoices(
        &self,
        connection: &str,
        options: PushOptions,
        progress: &dyn Progress,
    ) -> Result<Summary, TransferError> {
        let link = self.link(connection).await?;
        takes(&link, options.kind)?;
        invoice_push::push(
            &self.home,
            &self.state,
            &link.plugin,
            &link.ctx,
            connection,
            options,
            progress,
        )
        .await
    }

    /// Undo what run `run_id` created (deleting or voiding it in the target).
    pub async fn rollback(&self, run_id: i64) -> Result<Summary, TransferError> {
        let (run, _) = self.state.run(run_id)?;
        let link = self.link(&run.connection).await?;
        if !link.plugin.can("delete") {
            return Err(TransferError::Refused(format!(
                "connector {} cannot delete records, so run {run_id} cannot be rolled back; remove what it created by hand (`ledgerlink runs show {run_id}` lists it)",
                link.plugin.manifest().name
            )));
        }
        Ok(crate::sync::rollback::rollback(
            &self.state,
            &link.plugin,
            &link.ctx,
            &run.connection,
            run_id,
        )
        .await?)
    }
}

/// Refuse a transfer of `kind` to a connector that does not take that kind at all, before
/// anything is read or sent.
fn takes(link: &Link, kind: InvoiceKind) -> Result<(), TransferError> {
    let (capability, what) = match kind {
        InvoiceKind::Job => ("push-job-invoices", "job invoices"),
        InvoiceKind::Contract => ("push-contract-invoices", "contract invoices"),
        InvoiceKind::Order => ("push-orders", "orders"),
    };
    if link.plugin.can(capability) {
        return Ok(());
    }
    Err(TransferError::Refused(format!(
        "connection {} runs connector {}, which does not take {what} (its manifest does not list {capability}); nothing was read or sent",
        link.connection.name,
        link.plugin.manifest().name
    )))
}
