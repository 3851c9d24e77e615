use crate::runtime::bindings::ledgerlink::connector::clock::Host;
use crate::runtime::state::CallState;

impl Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<String> {
        Ok(humantime::format_rfc3339_seconds(self.context.clock.now()).to_string())
    }
}
