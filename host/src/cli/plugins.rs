//! `ledgerlink plugins list` and `ledgerlink plugins inspect`.

use std::path::Path;

use anyhow::{Context as _, bail};
use ledgerlink::builtin;
use ledgerlink::runtime::{Manifest, Plugin};
use serde::Serialize;

use super::{Env, table};

#[derive(Serialize)]
struct Listed {
    name: String,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<Manifest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Every built-in and installed plugin; a plugin that fails to load is listed with its error.
pub async fn list(env: &Env, json: bool) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for b in builtin::all() {
        let loaded = env
            .runtime
            .load_bytes(b.wasm, &format!("built-in plugin {}", b.name))
            .await;
        rows.push(listed(b.name.to_owned(), "built-in".to_owned(), loaded));
    }
    let dir = env.data.plugins();
    if dir.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("could not list {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let loaded = env.runtime.load_file(&path).await;
            rows.push(listed(name, path.display().to_string(), loaded));
        }
    }

    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut t = table::new(&[
        "NAME",
        "VERSION",
        "CONTRACT",
        "AUTH",
        "CAPABILITIES",
        "SOURCE",
    ]);
    for r in &rows {
        match (&r.manifest, &r.error) {
            (Some(m), _) => t.add_row(vec![
                m.name.clone(),
                m.version.to_string(),
                m.contract.to_string(),
                m.auth.kind().to_owned(),
                m.capabilities.join(", "),
                r.source.clone(),
            ]),
            (None, error) => t.add_row(vec![
                r.name.clone(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                format!(
                    "not loadable: {}",
                    error.as_deref().unwrap_or("unknown error")
                ),
                r.source.clone(),
            ]),
        };
    }
    println!("{t}");
    if !dir.is_dir() {
        println!(
            "No installed plugins: put .wasm connectors in {}.",
            dir.display()
        );
    }
    Ok(())
}

fn listed(
    name: String,
    source: String,
    loaded: Result<Plugin, ledgerlink::runtime::LoadError>,
) -> Listed {
    match loaded {
        Ok(p) => Listed {
            name: p.manifest().name.clone(),
            source,
            manifest: Some(p.manifest().clone()),
            error: None,
        },
        Err(e) => Listed {
            name,
            source,
            manifest: None,
            error: Some(e.to_string()),
        },
    }
}

#[derive(Serialize)]
struct Inspected<'a> {
    manifest: &'a Manifest,
    load: &'a ledgerlink::runtime::LoadInfo,
}

/// Load one plugin and print its manifest.
pub async fn inspect(env: &Env, target: &str, json: bool) -> anyhow::Result<()> {
    let path = Path::new(target);
    let plugin = if path.exists() {
        if path.is_dir() {
            bail!(
                "{target} is a folder; pass a connector's .wasm file or a built-in plugin's name"
            );
        }
        env.runtime.load_file(path).await?
    } else if let Some(b) = builtin::get(target) {
        env.runtime
            .load_bytes(b.wasm, &format!("built-in plugin {}", b.name))
            .await?
    } else {
        let names: Vec<&str> = builtin::all().iter().map(|b| b.name).collect();
        bail!(
            "{target} is neither a file nor a built-in plugin; pass a path to a .wasm connector or one of: {}",
            names.join(", ")
        );
    };
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
