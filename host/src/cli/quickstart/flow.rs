//! The quickstart: everything a first real transfer does, offline, in one command, through
//! the same application layer ([`ledgerlink::transfer::Transfers`]) every surface uses.
//!
//! 1. for an accounting system, start the sandbox (Xero and QuickBooks emulators) in this
//!    process (the csv target needs none);
//! 2. make a fresh data folder `<data-dir>/quickstart` (emptied on every run; tokens live
//!    in an in-memory vault and vanish with the process);
//! 3. import the bundled sample Tracker Pro book ([`super::book`]);
//! 4. add a connection; for an accounting system, connect it through the vendor's real
//!    OAuth flow, the consent page approved by [`super::browser`];
//! 5. compare customers and sync them; push job invoices and contract invoices, creating
//!    missing customers first; read the invoices back and check the totals;
//! 6. print the report.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use ledgerlink::auth::connect::{ConnectRequest, connect};
use ledgerlink::auth::context::Services;
use ledgerlink::auth::refresh::RefreshPolicy;
use ledgerlink::auth::vault::{MemoryVault, Secret};
use ledgerlink::home::import::{Format, SourceText, parse};
use ledgerlink::model::InvoiceKind;
use ledgerlink::net::HttpLimits;
use ledgerlink::runtime::SystemClock;
use ledgerlink::server::{self, ServeOptions, passwords};
use ledgerlink::store::DataDir;
use ledgerlink::store::accounts::{Role, SessionLimits};
use ledgerlink::store::engine::DatabaseUrl;
use ledgerlink::store::home::HomeStore;
use ledgerlink::sync::apply::Summary;
use ledgerlink::sync::compare::{Action, Direction};
use ledgerlink::transfer::session::CustomerComparison;
use ledgerlink::transfer::{Applied, ApplyOptions, Pick, Transfers};
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
    /// CSV files in the connection's folder (no sandbox, no credentials).
    Csv,
    /// Salesorder upload-template workbooks in the connection's folder (no sandbox, no
    /// credentials): the admin uploads them in Salesorder.
    Salesorder,
    /// An OrderTrac web import package in the connection's folder (no sandbox, no
    /// credentials): the admin sends it to OrderTrac's migration service.
    OrderTrac,
}

impl Target {
    fn connector(self) -> &'static str {
        match self {
            Target::Xero => "xero",
            Target::QuickBooks => "quickbooks",
            Target::Csv => "csv",
            Target::Salesorder => "salesorder",
            Target::OrderTrac => "ordertrac",
        }
    }

    fn client(self) -> (&'static str, &'static str) {
        match self {
            Target::Xero => (
                ledgerlink_sandbox::XERO_CLIENT_ID,
                ledgerlink_sandbox::XERO_CLIENT_SECRET,
            ),
            Target::QuickBooks | Target::Csv | Target::Salesorder | Target::OrderTrac => (
                ledgerlink_sandbox::QBO_CLIENT_ID,
                ledgerlink_sandbox::QBO_CLIENT_SECRET,
            ),
        }
    }

    /// Connection settings the sample book needs (its items and tax codes mapped).
    fn settings(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Target::Xero | Target::Csv | Target::Salesorder => &[],
            // The sample book's lines carry GST's code, not its rate: OrderTrac taxes each
            // line with a rate.
            Target::OrderTrac => &[("tax-rates", "OUTPUT2=15")],
            // Lines carry no item: bill them as item 1 ("Services"); tax code TAX as is.
            Target::QuickBooks => &[("default-item", "1"), ("tax-codes", "TAX=TAX")],
        }
    }

    fn locale(self) -> &'static book::Locale {
        match self {
            Target::Xero | Target::Csv | Target::Salesorder | Target::OrderTrac => &book::NZ,
            Target::QuickBooks => &book::US,
        }
    }

    fn tenant(self) -> Option<String> {
        match self {
            Target::Xero => Some(ledgerlink_sandbox::XERO_TENANT_NZ_ID.to_owned()),
            Target::QuickBooks | Target::Csv | Target::Salesorder | Target::OrderTrac => None,
        }
    }

    fn display(self) -> &'static str {
        match self {
            Target::Xero => "Xero",
            Target::QuickBooks => "QuickBooks Online",
            Target::Csv => "CSV files",
            Target::Salesorder => "Salesorder upload templates",
            Target::OrderTrac => "an OrderTrac web import package",
        }
    }

    /// Whether the target is files in the connection's folder (no sandbox, no OAuth).
    fn is_files(self) -> bool {
        matches!(self, Target::Csv | Target::Salesorder | Target::OrderTrac)
    }
}

/// Run the quickstart for `target`; with `serve`, then leave the sandbox and the web admin
/// running on the quickstart's data (until Ctrl-C) so a newcomer can look at what was
/// transferred in a browser.
pub async fn run(env: &Env, target: Target, serve: Option<SocketAddr>) -> anyhow::Result<()> {
    let root = env.data.root().join("quickstart");
    if root.exists() {
        std::fs::remove_dir_all(&root)
            .with_context(|| format!("could not empty the quickstart folder {}", root.display()))?;
    }
    std::fs::create_dir_all(&root)
        .with_context(|| format!("could not create the quickstart folder {}", root.display()))?;
    // The quickstart's data is thrown away on every run, so it never goes into the
    // database --database names (which it could not empty): it has its own SQLite file.
    let data = DataDir::new(&root);
    let database = DatabaseUrl::Sqlite(data.database());
    if env.database() != &DatabaseUrl::Sqlite(env.data.database()) {
        println!(
            "(--database {} is not used: the quickstart keeps its throwaway data in {})",
            env.database().redacted(),
            data.database().display()
        );
    }
    let qs = Env::with_database(data, env.runtime.clone(), database);
    let connection_name = target.connector();

    let sandbox = match target {
        Target::Csv | Target::Salesorder | Target::OrderTrac => None,
        Target::Xero | Target::QuickBooks => Some(
            SandboxHandle::start(SandboxConfig::default())
                .await
                .context("could not start the offline sandbox on 127.0.0.1")?,
        ),
    };
    println!(
        "ledgerlink quickstart: the sample Tracker Pro book → {}{}",
        target.display(),
        sandbox
            .as_ref()
            .map(|s| format!(" (offline sandbox at {})", s.base_url()))
            .unwrap_or_default()
    );

    // 1. The sample book. One handle on the database for the whole run.
    let store = qs.store()?;
    let home = HomeStore::from_db(store.db());
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
        store,
        vault: Arc::new(MemoryVault::new()),
        clock: Arc::new(SystemClock),
        http_limits: HttpLimits::default(),
        refresh: RefreshPolicy::default(),
        pacers: Default::default(),
    };
    let (plugin, pin) = connectors::load_new(&qs, target.connector()).await?;
    let mut settings = BTreeMap::new();
    if let Some(sandbox) = &sandbox {
        settings.insert("client-id".to_owned(), target.client().0.to_owned());
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
                client_id: target.client().0.to_owned(),
                client_secret: Secret::from(target.client().1),
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
        print!(
            "2. Connected {} through the sandbox's OAuth consent page (approved for you){}",
            plugin.manifest().display_name,
            connected
                .tenant
                .as_ref()
                .map(|t| format!(", organisation {}", t.name))
                .unwrap_or_default(),
        );
    } else {
        for (key, value) in target.settings() {
            settings.insert((*key).to_owned(), (*value).to_owned());
        }
        services
            .store
            .add_pinned(connection_name, target.connector(), &settings, &pin)?;
        print!(
            "2. Added connection {connection_name} ({}), writing to {}",
            plugin.manifest().display_name,
            qs.data.connection_files(connection_name).display()
        );
    }
    let transfers = Transfers::new(services.clone(), qs.runtime.clone())?;
    let link = transfers.link(connection_name).await?;
    let check = link
        .plugin
        .check(&link.ctx)
        .await?
        .map_err(|e| anyhow::anyhow!("the connection check failed: {}", e.describe()))?;
    println!(": {}", check.message);

    // 3. Compare customers and sync them: the plan, then Start Sync with every row.
    let CustomerComparison { plan_id, plan } = transfers
        .compare_customers(connection_name, Direction::Push, false)
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
    let applied = transfers
        .apply(
            plan_id,
            &ApplyOptions {
                pick: Pick::All,
                dry_run: false,
                demo: None,
            },
            &progress,
        )
        .await?;
    let Applied::Push(pushed) = applied else {
        bail!("plan {plan_id} is not a push plan");
    };

    // 4. Invoices: job invoices, then contract invoices (and, for Salesorder, open jobs as
    //    sales orders).
    let mut runs = vec![("customers", pushed)];
    let mut kinds = vec![
        ("job invoices", InvoiceKind::Job),
        ("contract invoices", InvoiceKind::Contract),
    ];
    if matches!(target, Target::Salesorder | Target::OrderTrac) {
        kinds.push(("orders", InvoiceKind::Order));
    }
    for (label, kind) in kinds {
        let summary = transfers
            .push_invoices(
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
    let (plugin, ctx) = (&link.plugin, &link.ctx);

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
    let contacts = ledgerlink::sync::customers::pull_all(plugin, ctx)
        .await?
        .len();
    let mut invoices = 0;
    // OrderTrac is read back from its own reports, which exist only after the import.
    let read_back_kinds: &[InvoiceKind] = if target == Target::OrderTrac {
        &[]
    } else {
        &[InvoiceKind::Job, InvoiceKind::Contract]
    };
    for &kind in read_back_kinds {
        let mut cursor = None;
        loop {
            let page = plugin
                .pull_invoices(ctx, kind, None, cursor)
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
    let sandbox_used = sandbox.is_some();
    if target.is_files() {
        let folder = qs.data.connection_files(connection_name);
        println!("   The files: {}", folder.display());
        if target == Target::Salesorder {
            println!(
                "   Upload them in Salesorder (Setup > Import Data) in this order (README.txt there says the same):"
            );
            for (n, file) in upload_order(&folder).iter().enumerate() {
                println!("     {}. {file}", n + 1);
            }
        }
        if target == Target::OrderTrac {
            super::ordertrac::explain(&folder);
        }
    }
    let failed: usize = runs.iter().map(|(_, s)| s.failed).sum();
    let outcome = if failed > 0 {
        let worst = runs
            .iter()
            .find(|(_, s)| s.failed > 0)
            .map(|(_, s)| s.run_id)
            .unwrap_or_default();
        Err(anyhow::anyhow!(
            "{failed} record(s) failed; `ledgerlink --data-dir {} runs show {worst}` says which and why",
            root.display()
        ))
    } else {
        println!(
            "Done: every customer and invoice is in {}{}, and every invoice's totals read back equal to the cent.",
            if sandbox_used { "the sandbox " } else { "" },
            plugin.manifest().display_name
        );
        Ok(())
    };
    // The web admin on what was just transferred (failures included: that is when a look
    // helps most), with the sandbox still answering for the connection.
    if let Some(listen) = serve {
        drop(transfers);
        serve_web_admin(&qs, services, listen, sandbox_used).await?;
    }
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    outcome
}

/// `quickstart --serve`: an admin user with a fresh password for the quickstart's throwaway
/// data, then `ledgerlink serve` on it in this process — the same services, so the
/// connection's tokens (in this process's memory vault) keep working — until Ctrl-C.
async fn serve_web_admin(
    qs: &Env,
    services: Services,
    listen: SocketAddr,
    sandbox: bool,
) -> anyhow::Result<()> {
    let accounts = qs.accounts()?;
    let password = passwords::random_secret("")?;
    accounts.add_user(
        "admin",
        Role::Admin,
        &passwords::hash(&password)?,
        "quickstart",
    )?;
    println!();
    println!(
        "The web admin runs on this quickstart's data at the address below (open it in a browser)."
    );
    println!(
        "Sign in as admin with the password {password} (made for this run's throwaway data; a new one every run)."
    );
    println!(
        "Ctrl-C stops the server{}.",
        if sandbox { " and the sandbox" } else { "" }
    );
    server::serve(
        services,
        qs.runtime.clone(),
        ServeOptions {
            listen,
            tls: None,
            insecure_http: false,
            job_lease: Duration::from_secs(30),
            sessions: SessionLimits {
                idle_secs: 30 * 60,
                absolute_secs: 12 * 3600,
            },
            public_url: None,
            run_jobs: true,
            retention: None,
        },
    )
    .await?;
    Ok(())
}

/// The Salesorder workbooks in `folder` in upload order: by export, then customers,
/// transactions, journals (`ledgerlink-0001-customers.xlsx`, …).
fn upload_order(folder: &std::path::Path) -> Vec<String> {
    const ORDER: [&str; 3] = ["customers", "upload-transactions", "upload-journals"];
    let mut files: Vec<(String, usize, String)> = std::fs::read_dir(folder)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|name| {
                    let rest = name.strip_prefix("ledgerlink-")?.strip_suffix(".xlsx")?;
                    let (export, stem) = rest.split_once('-')?;
                    let rank = ORDER.iter().position(|o| *o == stem)?;
                    Some((export.to_owned(), rank, name))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.into_iter().map(|(_, _, name)| name).collect()
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
