//! The quickstart against an accounting system: everything a first real transfer does,
//! on the offline sandbox, in one command.
//!
//! 1. start the sandbox (Xero and QuickBooks emulators) in this process;
//! 2. make a fresh data folder `<data-dir>/quickstart` (emptied on every run; tokens live
//!    in an in-memory vault and vanish with the process);
//! 3. import the bundled sample Tracker Pro book ([`super::book`]);
//! 4. add a connection and connect it through the vendor's real OAuth flow, the consent
//!    page approved by [`super::browser`];
//! 5. compare customers and sync them; push job invoices and contract invoices, creating
//!    missing customers first; read the invoices back and check the totals;
//! 6. print the report.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use ledgerlink::auth::connect::{ConnectRequest, connect};
use ledgerlink::auth::context::{self, Services};
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{MemoryVault, Secret};
use ledgerlink::home::import::{Format, SourceText, parse};
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::SystemClock;
use ledgerlink::runtime::bindings::InvoiceKind;
use ledgerlink::store::DataDir;
use ledgerlink::store::connections::ConnectionStore;
use ledgerlink::store::home::HomeStore;
use ledgerlink::store::sync_state::SyncState;
use ledgerlink::sync::apply::{self, Summary};
use ledgerlink::sync::compare::{Action, Direction};
use ledgerlink::sync::customers::compare_and_plan;
use ledgerlink::sync::plan::Selection;
use ledgerlink_sandbox::{SandboxConfig, SandboxHandle};

use super::super::progress::Terminal;
use super::super::{Env, connectors, table};
use super::{book, browser};

/// Which accounting system the quickstart runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Xero (the sandbox's Demo Company (NZ)).
    Xero,
    /// QuickBooks Online (the sandbox company).
    QuickBooks,
}

impl Target {
    fn connector(self) -> &'static str {
        match self {
            Target::Xero => "xero",
            Target::QuickBooks => "quickbooks",
        }
    }

    fn client(self) -> (&'static str, &'static str) {
        match self {
            Target::Xero => (
                ledgerlink_sandbox::XERO_CLIENT_ID,
                ledgerlink_sandbox::XERO_CLIENT_SECRET,
            ),
            Target::QuickBooks => (
                ledgerlink_sandbox::QBO_CLIENT_ID,
                ledgerlink_sandbox::QBO_CLIENT_SECRET,
            ),
        }
    }

    /// Connection settings the sample book needs (its items and tax codes mapped).
    fn settings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Target::Xero => &[],
            // Lines carry no item: bill them as item 1 ("Services"); tax code TAX as is.
            Target::QuickBooks => &[("default-item", "1"), ("tax-codes", "TAX=TAX")],
        }
    }

    fn locale(self) -> &'static book::Locale {
        match self {
            Target::Xero => &book::NZ,
            Target::QuickBooks => &book::US,
        }
    }

    fn tenant(self) -> Option<String> {
        match self {
            Target::Xero => Some(ledgerlink_sandbox::XERO_TENANT_NZ_ID.to_owned()),
            Target::QuickBooks => None,
        }
    }
}

pub async fn run(env: &Env, target: Target) -> anyhow::Result<()> {
    let root = env.data.root().join("quickstart");
    if root.exists() {
        std::fs::remove_dir_all(&root)
            .with_context(|| format!("could not empty the quickstart folder {}", root.display()))?;
    }
    std::fs::create_dir_all(&root)
        .with_context(|| format!("could not create the quickstart folder {}", root.display()))?;
    let qs = Env {
        data: DataDir::new(&root),
        runtime: env.runtime.clone(),
    };
    let connection_name = target.connector();

    let sandbox = SandboxHandle::start(SandboxConfig::default())
        .await
        .context("could not start the offline sandbox on 127.0.0.1")?;
    println!(
        "ledgerlink quickstart: the sample Tracker Pro book → {} (offline sandbox at {})",
        match target {
            Target::Xero => "Xero",
            Target::QuickBooks => "QuickBooks Online",
        },
        sandbox.base_url()
    );

    // 1. The sample book.
    let home = HomeStore::open(&qs.data.database())?;
    let text = book::json(target.locale());
    let parsed = parse(
        &[SourceText {
            name: "the bundled sample book".into(),
            bytes: text.as_bytes(),
            format: Format::Json,
            kind: None,
        }],
        &home.known_ids()?,
    )?;
    let counts = home.import(&parsed)?;
    println!(
        "1. Imported the sample Tracker Pro book: {} customers, {} closed jobs, {} service contracts with {} contract invoices ({} records added).",
        parsed.customers.len(),
        parsed.jobs.len(),
        parsed.contracts.len(),
        parsed.contract_invoices.len(),
        counts.customers.total()
            + counts.jobs.total()
            + counts.contracts.total()
            + counts.contract_invoices.total()
    );

    // 2. Connect through the vendor's OAuth flow.
    let services = Services {
        data: qs.data.clone(),
        store: ConnectionStore::open(&qs.data.database())?,
        vault: Arc::new(MemoryVault::new()),
        clock: Arc::new(SystemClock),
        http_limits: HttpLimits::default(),
        refresh: RefreshPolicy::default(),
        pacers: Default::default(),
    };
    let (plugin, pin) = connectors::load_new(&qs, target.connector()).await?;
    let (client_id, client_secret) = target.client();
    let mut settings = BTreeMap::new();
    settings.insert("client-id".to_owned(), client_id.to_owned());
    for (key, value) in target.settings() {
        settings.insert((*key).to_owned(), (*value).to_owned());
    }
    services
        .store
        .add_pinned(connection_name, target.connector(), &settings, &pin)?;
    services
        .store
        .set_routes(connection_name, &sandbox.routes())?;
    let connection = services.store.get(connection_name)?;
    let mut ui = browser::Approving {
        tenant: target.tenant(),
        played: None,
    };
    let connected = connect(
        ConnectRequest {
            services: &services,
            plugin: &plugin,
            connection: &connection,
            client_id: client_id.to_owned(),
            client_secret: Secret::from(client_secret),
            tenant: target.tenant(),
            timeout: Duration::from_secs(60),
        },
        &mut ui,
    )
    .await?;
    if let Some(played) = ui.played.take()
        && let Ok(Err(e)) = played.await
    {
        bail!("the consent step failed: {e}");
    }
    let connection = services.store.get(connection_name)?;
    let ctx = context::call_context(&services, &plugin, &connection).await?;
    let check = plugin
        .check(&ctx)
        .await?
        .map_err(|e| anyhow::anyhow!("the connection check failed: {}", e.describe()))?;
    println!(
        "2. Connected {} through the sandbox's OAuth consent page (approved for you){}: {}",
        plugin.manifest().display_name,
        connected
            .tenant
            .as_ref()
            .map(|t| format!(", organisation {}", t.name))
            .unwrap_or_default(),
        check.message
    );

    // 3. Compare customers and sync them.
    let state = SyncState::open(&qs.data.database())?;
    let home = ledgerlink::store::home::HomeStore::open(&qs.data.database())?;
    let customers = ledgerlink::transfer::due::customers(&home, &state, connection_name)?;
    let (plan_id, plan) = compare_and_plan(
        &state,
        &plugin,
        &ctx,
        connection_name,
        &customers,
        Direction::Push,
    )
    .await?;
    let count = |a: Action| plan.items.iter().filter(|p| p.item.action == a).count();
    println!(
        "3. Compared customers (plan {plan_id}): {} to add, {} to update, {} unchanged, {} in conflict.",
        count(Action::Add),
        count(Action::Update),
        count(Action::Unchanged),
        count(Action::Conflict)
    );
    let progress = Terminal::new();
    let pushed = apply::push_customers(
        &state,
        &plugin,
        &ctx,
        plan_id,
        &plan,
        &Selection::All,
        false,
        &progress,
    )
    .await?;

    // 4. Invoices: job invoices, then contract invoices.
    let mut runs = vec![("customers", pushed)];
    for (label, kind) in [
        ("job invoices", InvoiceKind::Job),
        ("contract invoices", InvoiceKind::Contract),
    ] {
        let summary = ledgerlink::transfer::invoices::push(
            &home,
            &state,
            &plugin,
            &ctx,
            connection_name,
            ledgerlink::transfer::invoices::PushOptions {
                kind,
                numbering: ledgerlink::transfer::numbering::Numbering::Keep,
                demo: None,
            },
            &progress,
        )
        .await?;
        runs.push((label, summary));
    }

    // 5. The report.
    println!(
        "4. Transferred (every record of every run: `ledgerlink --data-dir {} runs show <run>`):",
        root.display()
    );
    let mut t = table::new(&[
        "RUN",
        "WHAT",
        "CREATED",
        "UPDATED",
        "UNCHANGED",
        "SKIPPED",
        "FAILED",
    ]);
    for (label, s) in &runs {
        t.add_row(row(label, s));
    }
    println!("{t}");
    // What the target holds now, read through the connector.
    let contacts = ledgerlink::sync::customers::pull_all(&plugin, &ctx)
        .await?
        .len();
    let mut invoices = 0;
    for kind in [InvoiceKind::Job, InvoiceKind::Contract] {
        let mut cursor = None;
        loop {
            let page = plugin
                .pull_invoices(&ctx, kind, None, cursor)
                .await?
                .map_err(|e| anyhow::anyhow!("reading invoices back failed: {}", e.describe()))?;
            invoices += page.items.len();
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    println!(
        "5. Read back from {}: {contacts} customers, {invoices} invoices.",
        plugin.manifest().display_name
    );
    let failed: usize = runs.iter().map(|(_, s)| s.failed).sum();
    sandbox.shutdown().await;
    if failed > 0 {
        let worst = runs
            .iter()
            .find(|(_, s)| s.failed > 0)
            .map(|(_, s)| s.run_id)
            .unwrap_or_default();
        bail!(
            "{failed} record(s) failed; `ledgerlink --data-dir {} runs show {worst}` says which and why",
            root.display()
        );
    }
    println!(
        "Done: every customer and invoice is in the sandbox {}, and every invoice's totals read back equal to the cent.",
        plugin.manifest().display_name
    );
    Ok(())
}

fn row(label: &str, s: &Summary) -> Vec<String> {
    vec![
        s.run_id.to_string(),
        label.to_owned(),
        s.created.to_string(),
        s.updated.to_string(),
        s.unchanged.to_string(),
        s.skipped.to_string(),
        s.failed.to_string(),
    ]
}
