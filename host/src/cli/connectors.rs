//! Finding the component a connection runs, or a connector by name for a new connection
//! (the logic is `ledgerlink::registry`).

use ledgerlink::registry::Registry;
use ledgerlink::runtime::Plugin;
use ledgerlink::store::connections::Connection;
use ledgerlink::store::plugins::Pin;

use super::Env;

/// The registry over this data folder.
pub fn registry(env: &Env) -> anyhow::Result<Registry> {
    Ok(Registry::new(
        env.data.clone(),
        env.runtime.clone(),
        env.store()?,
    ))
}

/// The exact component `connection` is pinned to (pinning it first if it predates pinning).
pub async fn for_connection(env: &Env, connection: &Connection) -> anyhow::Result<Plugin> {
    Ok(registry(env)?.load_for(connection).await?)
}

/// The current component of connector `name`, and the pin a new connection gets.
pub async fn load_new(env: &Env, name: &str) -> anyhow::Result<(Plugin, Pin)> {
    Ok(registry(env)?.load_new(name).await?)
}
