//! `ledgerlink connections ...`, `ledgerlink connect`.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use ledgerlink::admin::{self, NewConnection, Revocation};
use ledgerlink::auth::connect::{self, ConnectRequest, ConnectUi, Tenant};
use ledgerlink::auth::context::{self, Services};
use ledgerlink::auth::tokens::{self, API_KEY, CLIENT_SECRET, TOKENS};
use ledgerlink::auth::vault::{Secret, SecretKey};
use ledgerlink::store::connections::Connection;
use serde::Serialize;

use super::args::{ConnectArgs, ConnectionsCommand};
use super::{Env, connectors, table};

/// Environment variable with the OAuth client id, when not given as `--client-id`.
const ENV_CLIENT_ID: &str = "LEDGERLINK_CLIENT_ID";
/// Environment variable with the OAuth client secret (never a command-line argument).
const ENV_CLIENT_SECRET: &str = "LEDGERLINK_CLIENT_SECRET";
/// Environment variable with an API key (or it is read from standard input).
const ENV_API_KEY: &str = "LEDGERLINK_API_KEY";

pub async fn run(env: &Env, command: ConnectionsCommand) -> anyhow::Result<()> {
    match command {
        ConnectionsCommand::Add {
            name,
            connector,
            set,
            client_id,
            sandbox,
            route,
        } => add(env, &name, &connector, &set, client_id, sandbox, &route).await,
        ConnectionsCommand::List { json } => list(env, json),
        ConnectionsCommand::Show { name, json } => show(env, &name, json),
        ConnectionsCommand::Remove { name } => remove(env, &name).await,
        ConnectionsCommand::SetKey { name } => set_key(env, &name).await,
        ConnectionsCommand::Set { name, settings } => {
            let pairs = parse_pairs(&settings, "setting")?;
            let store = env.store()?;
            for (key, value) in &pairs {
                ledgerlink::sync::settings::check(key, value).map_err(anyhow::Error::msg)?;
            }
            if let Some(value) = pairs.get(IDENTITY_SETTING) {
                refuse_environment_change(env, &store, &name, value)?;
            }
            for (key, value) in &pairs {
                store.set_setting(&name, key, (!value.is_empty()).then_some(value.as_str()))?;
                if value.is_empty() {
                    println!("{name}: {key} cleared.");
                } else {
                    println!("{name}: {key} = {value}.");
                }
            }
            Ok(())
        }
        ConnectionsCommand::Check { name, repeat } => check(env, &name, repeat).await,
        ConnectionsCommand::Upgrade { name, yes } => upgrade(env, &name, yes).await,
    }
}

/// The setting that says which of a vendor's environments a connection targets (OrderTrac
/// web: preview or production). Records linked over a connection belong to its
/// environment, so the setting cannot change while any are: an id map must never mix two.
const IDENTITY_SETTING: &str = "environment";

fn refuse_environment_change(
    env: &Env,
    store: &ledgerlink::store::connections::ConnectionStore,
    name: &str,
    value: &str,
) -> anyhow::Result<()> {
    let current = store.get(name)?.settings.get(IDENTITY_SETTING).cloned();
    if current.as_deref().map(str::trim) == Some(value.trim()) {
        return Ok(());
    }
    let state = env.sync_state()?;
    let links = state.link_count(name)?;
    if links > 0 {
        bail!(
            "connection {name} targets environment {} and has {links} linked record(s); records sent to one environment are never found in the other, so its environment cannot change. Make a new connection for {value} (ledgerlink connections add <name> --connector <connector> --set environment={value})",
            current.as_deref().unwrap_or("(the connector's default)")
        );
    }
    Ok(())
}

fn parse_pairs(pairs: &[String], what: &str) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .with_context(|| format!("{what} {p:?} is not of the form KEY=VALUE"))
        })
        .collect()
}

async fn add(
    env: &Env,
    name: &str,
    connector: &str,
    set: &[String],
    client_id: Option<String>,
    sandbox: Option<String>,
    route: &[String],
) -> anyhow::Result<()> {
    let services = env.services()?;
    let added = admin::add(
        &services,
        &connectors::registry(env)?,
        NewConnection {
            name: name.to_owned(),
            connector: connector.to_owned(),
            settings: parse_pairs(set, "--set")?,
            client_id: client_id.or_else(|| std::env::var(ENV_CLIENT_ID).ok()),
            client_secret: std::env::var(ENV_CLIENT_SECRET).ok().map(Secret::new),
            api_key: None,
            sandbox,
            routes: parse_pairs(route, "--route")?,
        },
    )
    .await?;
    let routes = &added.connection.routes;
    println!(
        "Added connection {} ({} {}, component sha256 {}).",
        added.connection.name, added.display_name, added.version, added.sha256
    );
    if !routes.is_empty() {
        println!(
            "Requests to {} are routed to the sandbox.",
            routes.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    match added.auth {
        "oauth2" => println!("Next: `ledgerlink connect {name}` to authorize access."),
        "api-key" => {
            println!("Next: `ledgerlink connections set-key {name}` to store its API key.")
        }
        _ => {}
    }
    Ok(())
}

#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    connection: &'a Connection,
    health: ledgerlink::store::connections::Health,
}

fn when(t: Option<i64>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |s| {
            let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(s).unwrap_or(0));
            humantime::format_rfc3339_seconds(at).to_string()
        },
    )
}

fn health_name(h: ledgerlink::store::connections::Health) -> String {
    serde_json::to_value(h)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn list(env: &Env, json: bool) -> anyhow::Result<()> {
    let store = env.store()?;
    let now = SystemTime::now();
    let all = store.list()?;
    if json {
        let rows: Vec<_> = all
            .iter()
            .map(|c| Row {
                connection: c,
                health: c.health(now),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if all.is_empty() {
        println!(
            "No connections yet: `ledgerlink connections add <name> --connector <connector>` adds one."
        );
        return Ok(());
    }
    let mut t = table::new(&[
        "NAME",
        "CONNECTOR",
        "HEALTH",
        "ACCESS EXPIRES",
        "REFRESH EXPIRES",
        "LAST REFRESH",
        "MESSAGE",
    ]);
    for c in &all {
        t.add_row(vec![
            c.name.clone(),
            c.connector.clone(),
            health_name(c.health(now)),
            when(c.access_expires_at),
            when(c.refresh_expires_at),
            format!(
                "{} {}",
                when(c.last_refresh_at),
                c.last_refresh_outcome.as_deref().unwrap_or("")
            ),
            c.status_message.clone().unwrap_or_default(),
        ]);
    }
    println!("{t}");
    Ok(())
}

fn show(env: &Env, name: &str, json: bool) -> anyhow::Result<()> {
    let c = env.store()?.get(name)?;
    let health = c.health(SystemTime::now());
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Row {
                connection: &c,
                health
            })?
        );
        return Ok(());
    }
    let mut t = table::new(&["FIELD", "VALUE"]);
    let settings = c
        .settings
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let routes = c
        .routes
        .iter()
        .map(|(k, v)| format!("{k} → {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    for (k, v) in [
        ("name", c.name.clone()),
        ("connector", c.connector.clone()),
        (
            "component",
            c.component.as_ref().map_or_else(
                || "not pinned yet (pinned on first use)".to_owned(),
                |p| format!("{} {} (sha256 {})", p.facts.name, p.facts.version, p.sha256),
            ),
        ),
        (
            "allowed hosts",
            c.component
                .as_ref()
                .map(|p| p.facts.allowed_hosts.join("\n"))
                .unwrap_or_default(),
        ),
        ("health", health_name(health)),
        ("message", c.status_message.clone().unwrap_or_default()),
        ("access token expires", when(c.access_expires_at)),
        ("refresh token expires", when(c.refresh_expires_at)),
        (
            "last refresh",
            format!(
                "{} {}",
                when(c.last_refresh_at),
                c.last_refresh_outcome.as_deref().unwrap_or("")
            ),
        ),
        ("settings", settings),
        ("routes", routes),
    ] {
        t.add_row(vec![k.to_owned(), v]);
    }
    println!("{t}");
    Ok(())
}

async fn remove(env: &Env, name: &str) -> anyhow::Result<()> {
    let services = env.services()?;
    let removed = admin::remove(&services, &connectors::registry(env)?, name).await?;
    match removed.revocation {
        Revocation::NotNeeded => {}
        Revocation::Revoked(vendor) => println!("Revoked ledgerlink's access at {vendor}."),
        Revocation::Failed(vendor, e) => println!(
            "Could not revoke access at {vendor} ({e}); remove ledgerlink from its connected apps by hand."
        ),
    }
    println!("Removed connection {name} and its credentials.");
    Ok(())
}

async fn set_key(env: &Env, name: &str) -> anyhow::Result<()> {
    let services = env.services()?;
    let key = match std::env::var(ENV_API_KEY) {
        Ok(k) => k,
        Err(_) => {
            if std::io::stdin().is_terminal() {
                eprint!("API key for {name}: ");
            }
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim().to_owned()
        }
    };
    if key.is_empty() {
        bail!("no API key given; set {ENV_API_KEY} or pipe the key to standard input");
    }
    admin::set_key(
        &services,
        &connectors::registry(env)?,
        name,
        Secret::new(key),
    )
    .await?;
    println!(
        "Stored the API key of {name} in the {} vault.",
        services.vault.describe().kind
    );
    Ok(())
}

async fn check(env: &Env, name: &str, repeat: u32) -> anyhow::Result<()> {
    let services = env.services()?;
    let mut failures = 0;
    for i in 0..repeat.max(1) {
        // Re-read each time: another process may have changed the connection's state.
        let connection = services.store.get(name)?;
        let plugin = connectors::for_connection(env, &connection).await?;
        let ctx = context::call_context(&services, &plugin, &connection).await?;
        match plugin.check(&ctx).await? {
            Ok(report) => println!("{name}: {}", super::table::printable(&report.message)),
            Err(e) => {
                failures += 1;
                println!(
                    "{name}: check {} failed: {}",
                    i + 1,
                    super::table::printable(&e.describe())
                );
            }
        }
    }
    if failures > 0 {
        bail!("{failures} of {} checks of {name} failed", repeat.max(1));
    }
    Ok(())
}

async fn upgrade(env: &Env, name: &str, yes: bool) -> anyhow::Result<()> {
    let services = env.services()?;
    let connection = services.store.get(name)?;
    let registry = connectors::registry(env)?;
    let plan = registry.plan_upgrade(&connection).await?;
    let (from, to) = (&plan.from, &plan.to);
    if plan.is_current() {
        println!(
            "{name} already runs the current {} {} (sha256 {}); nothing to upgrade.",
            to.facts.name, to.facts.version, to.sha256
        );
        return Ok(());
    }
    println!(
        "Upgrade {name} from {} {} (sha256 {}) to {} {} ({}, sha256 {}):",
        from.facts.name,
        from.facts.version,
        from.sha256,
        to.facts.name,
        to.facts.version,
        plan.origin.as_str(),
        to.sha256
    );
    let manifest_changes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.what != "version")
        .collect();
    if manifest_changes.is_empty() {
        println!("  no change to allowed hosts, auth endpoints, scopes or capabilities");
    }
    for change in &manifest_changes {
        println!("  {change}");
    }
    if plan.moves_credentials() {
        println!(
            "The new version obtains or sends credentials elsewhere: {name}'s stored tokens and key will be removed, and `ledgerlink connect {name}` (or `connections set-key`) is needed afterwards."
        );
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "upgrading {name} needs confirmation and standard input is not a terminal; run it on a terminal, or pass --yes to upgrade without asking. Nothing was changed"
            );
        }
        print!("Upgrade {name}? [y/N] ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            bail!("upgrade of {name} cancelled; nothing was changed");
        }
    }
    registry.apply_upgrade(&plan)?;
    if plan.moves_credentials() {
        for item in [TOKENS, API_KEY] {
            services.vault.delete(&SecretKey::new(name, item)?)?;
        }
        services.store.clear_tokens(name)?;
    }
    println!("Upgraded {name} to {} {}.", to.facts.name, to.facts.version);
    Ok(())
}

struct TerminalUi {
    open_browser: bool,
}

impl ConnectUi for TerminalUi {
    fn authorize(&mut self, url: &url::Url) {
        println!("Open this URL in a browser and approve access:\n{url}");
        let _ = std::io::stdout().flush();
        if self.open_browser && webbrowser::open(url.as_str()).is_err() {
            println!("(could not open a browser; open the URL above by hand)");
        }
    }

    fn choose_tenant(&mut self, tenants: &[Tenant]) -> Result<usize, String> {
        let list = tenants
            .iter()
            .map(|t| format!("{} ({})", t.name, t.id))
            .collect::<Vec<_>>()
            .join(", ");
        if !std::io::stdin().is_terminal() {
            return Err(format!(
                "this authorization covers several organisations; pass --tenant with the id or name of one: {list}"
            ));
        }
        for (i, t) in tenants.iter().enumerate() {
            println!("  {}. {} ({})", i + 1, t.name, t.id);
        }
        print!(
            "Which organisation should this connection use? [1-{}] ",
            tenants.len()
        );
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line.trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=tenants.len()).contains(n))
            .map(|n| n - 1)
            .ok_or_else(|| {
                format!(
                    "{:?} is not one of 1-{}; run the command again",
                    line.trim(),
                    tenants.len()
                )
            })
    }
}

pub async fn connect(env: &Env, args: ConnectArgs) -> anyhow::Result<()> {
    let services: Services = env.services()?;
    let connection = services.store.get(&args.name)?;
    let plugin = connectors::for_connection(env, &connection).await?;
    let client_id = connection
        .settings
        .get("client-id")
        .cloned()
        .or_else(|| std::env::var(ENV_CLIENT_ID).ok())
        .with_context(|| format!("connection {} has no OAuth client id: set {ENV_CLIENT_ID} (or add the connection with --client-id)", args.name))?;
    let secret = match std::env::var(ENV_CLIENT_SECRET) {
        Ok(s) => Secret::new(s),
        Err(_) => tokens::secret(services.vault.as_ref(), &args.name, CLIENT_SECRET)?.with_context(|| {
            format!("connection {} has no OAuth client secret in the vault: set {ENV_CLIENT_SECRET} and run the command again", args.name)
        })?,
    };
    let mut ui = TerminalUi {
        open_browser: !args.no_browser,
    };
    let connected = connect::connect(
        ConnectRequest {
            services: &services,
            plugin: &plugin,
            connection: &connection,
            client_id,
            client_secret: secret,
            tenant: args.tenant,
            timeout: Duration::from_secs(args.timeout),
        },
        &mut ui,
    )
    .await?;
    match connected.tenant {
        Some(t) => println!("Connected {} to {} ({}).", args.name, t.name, t.id),
        None => println!("Connected {}.", args.name),
    }
    Ok(())
}
