//! Finding a connector plugin by name: installed plugins first, then the built-in ones.

use anyhow::bail;
use ledgerlink::builtin;
use ledgerlink::runtime::Plugin;

use super::Env;

/// Load the connector called `name`.
pub async fn load(env: &Env, name: &str) -> anyhow::Result<Plugin> {
    let dir = env.data.plugins();
    if dir.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        // A file named after the connector is the likely one; try it first.
        files.sort_by_key(|p| p.file_stem().is_none_or(|s| s != name));
        for path in files {
            match env.runtime.load_file(&path).await {
                Ok(p) if p.manifest().name == name => return Ok(p),
                Ok(_) => {}
                Err(e) => tracing::warn!("skipping {}: {e}", path.display()),
            }
        }
    }
    if let Some(b) = builtin::get(name) {
        return Ok(env
            .runtime
            .load_bytes(b.wasm, &format!("built-in plugin {}", b.name))
            .await?);
    }
    let names: Vec<&str> = builtin::all().iter().map(|b| b.name).collect();
    bail!(
        "there is no connector called {name:?}; built-in: {}; installed ones are in {} (`ledgerlink plugins list` shows all)",
        names.join(", "),
        dir.display()
    )
}
