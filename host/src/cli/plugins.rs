//! `ledgerlink plugins list` and `ledgerlink plugins inspect`.

use std::path::Path;

use anyhow::bail;
use ledgerlink::builtin;
use ledgerlink::registry::{ListedStatus, RegistryError};
use ledgerlink::runtime::Manifest;
use ledgerlink::store::plugins::{ComponentFacts, ComponentOrigin};
use serde::Serialize;

use super::{Env, connectors, table};

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Row<'a> {
    name: &'a str,
    origin: &'static str,
    version: Option<&'a str>,
    sha256: &'a str,
    status: ListedStatus,
    connections: &'a [String],
    /// "built-in", or the file it was installed from.
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<&'a ComponentFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Every built-in and installed plugin, from the manifest cache; a plugin that cannot be
/// used is listed with the reason.
pub async fn list(env: &Env, json: bool) -> anyhow::Result<()> {
    let listed = connectors::registry(env)?.list().await?;
    let rows: Vec<Row<'_>> = listed
        .iter()
        .map(|l| Row {
            name: &l.record.name,
            origin: l.record.origin.as_str(),
            version: l.record.facts.as_ref().map(|f| f.version.as_str()),
            sha256: &l.record.sha256,
            status: l.status,
            connections: &l.connections,
            source: if l.record.origin == ComponentOrigin::BuiltIn {
                "built-in"
            } else {
                &l.record.source
            },
            manifest: l.record.facts.as_ref(),
            error: l.record.problem.as_ref().map(|p| p.message.as_str()),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut t = table::new(&[
        "NAME",
        "ORIGIN",
        "VERSION",
        "SHA256",
        "STATUS",
        "AUTH",
        "CAPABILITIES",
        "CONNECTIONS",
    ]);
    for r in &rows {
        let status = match r.error {
            Some(e) => format!("{}: {e}", status_name(r.status)),
            None => status_name(r.status).to_owned(),
        };
        t.add_row(vec![
            r.name.to_owned(),
            r.origin.to_owned(),
            r.version.unwrap_or("-").to_owned(),
            r.sha256.get(..12).unwrap_or(r.sha256).to_owned(),
            status,
            r.manifest.map_or("-", |m| m.auth.kind()).to_owned(),
            r.manifest
                .map(|m| m.capabilities.join(", "))
                .unwrap_or_default(),
            r.connections.join(", "),
        ]);
    }
    println!("{t}");
    let unpinned: Vec<String> = env
        .store()?
        .list()?
        .into_iter()
        .filter(|c| c.component.is_none())
        .map(|c| c.name)
        .collect();
    if !unpinned.is_empty() {
        println!(
            "Not pinned yet (made before components were recorded; pinned on first use): {}.",
            unpinned.join(", ")
        );
    }
    println!(
        "Install a plugin with `ledgerlink plugins install <file.wasm>` (or put it in {}).",
        env.data.plugins().display()
    );
    Ok(())
}

fn status_name(s: ListedStatus) -> &'static str {
    match s {
        ListedStatus::Current => "current",
        ListedStatus::Pinned => "older, still used",
        ListedStatus::Broken => "broken",
        ListedStatus::Refused => "refused",
    }
}

/// `ledgerlink plugins install <file>`.
pub async fn install(env: &Env, file: &Path) -> anyhow::Result<()> {
    let installed = connectors::registry(env)?.install(file).await?;
    let f = &installed.facts;
    println!(
        "Installed {} {} (sha256 {}) from {}.",
        f.name,
        f.version,
        installed.sha256,
        file.display()
    );
    if let Some(old) = &installed.replaced {
        println!(
            "New {} connections get {} instead of {}.",
            f.name, f.version, old.version
        );
    }
    if !installed.not_upgraded.is_empty() {
        println!(
            "These connections keep the version they run until upgraded: {} (`ledgerlink connections upgrade <name>` shows what changes).",
            installed.not_upgraded.join(", ")
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct Inspected<'a> {
    manifest: &'a Manifest,
    load: &'a ledgerlink::runtime::LoadInfo,
}

/// Load one plugin and print its manifest.
pub async fn inspect(env: &Env, target: &str, json: bool) -> anyhow::Result<()> {
    let plugin = load(env, target).await?;
    let m = plugin.manifest();
    if json {
        let out = Inspected {
            manifest: m,
            load: plugin.info(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let mut t = table::new(&["FIELD", "VALUE"]);
    let auth = match &m.auth {
        ledgerlink::runtime::manifest::Auth::None => "none".to_owned(),
        ledgerlink::runtime::manifest::Auth::Oauth2 {
            authorize_url,
            token_url,
            scopes,
            ..
        } => {
            format!(
                "oauth2 (authorize {authorize_url}, token {token_url}, scopes {})",
                scopes.join(" ")
            )
        }
        ledgerlink::runtime::manifest::Auth::ApiKey { header, .. } => {
            format!("api-key in header {header}")
        }
    };
    let settings = if m.settings.is_empty() {
        "(none)".to_owned()
    } else {
        m.settings
            .iter()
            .map(|s| {
                let mut line = format!(
                    "{}{}: {}",
                    s.key,
                    if s.required { " (required)" } else { "" },
                    s.description
                );
                if let Some(d) = &s.default {
                    line.push_str(&format!(" [default {d}]"));
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let hosts = m.allowed_hosts.to_string();
    for (k, v) in [
        ("name", m.name.clone()),
        ("display name", m.display_name.clone()),
        ("version", m.version.to_string()),
        (
            "contract",
            format!("{}@{}", ledgerlink::contract::PACKAGE, m.contract),
        ),
        ("description", m.description.clone()),
        (
            "capabilities",
            if m.capabilities.is_empty() {
                "(none)".to_owned()
            } else {
                m.capabilities.join(", ")
            },
        ),
        ("auth", auth),
        ("allowed hosts", hosts),
        ("settings", settings),
        ("source", plugin.info().source.clone()),
        ("size", format!("{} bytes", plugin.info().size)),
        ("sha256", plugin.info().sha256.clone()),
    ] {
        t.add_row(vec![k.to_owned(), v]);
    }
    println!("{t}");
    Ok(())
}

/// Load a plugin the way the user named it: a .wasm file, or a built-in (or installed)
/// plugin's name.
pub(crate) async fn load(env: &Env, target: &str) -> anyhow::Result<ledgerlink::runtime::Plugin> {
    let path = Path::new(target);
    Ok(if path.exists() {
        if path.is_dir() {
            bail!(
                "{target} is a folder; pass a connector's .wasm file or a built-in plugin's name"
            );
        }
        env.runtime.load_file(path).await?
    } else {
        match connectors::registry(env)?.load_named(target).await {
            Ok(p) => p,
            Err(RegistryError::Unknown { .. }) => {
                let names: Vec<&str> = builtin::all().iter().map(|b| b.name).collect();
                bail!(
                    "{target} is neither a file nor a built-in plugin; pass a path to a .wasm connector or one of: {}",
                    names.join(", ")
                );
            }
            Err(e) => return Err(e.into()),
        }
    })
}
