use crate::runtime::bindings::ledgerlink::connector::config::Host;
use crate::runtime::state::CallState;

impl Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.context.settings.get(&key).cloned())
    }

    async fn all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        // A BTreeMap iterates sorted, as the contract promises.
        Ok(self
            .context
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}
