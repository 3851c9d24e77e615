//! Runs a sandbox until killed: `cargo run -p ledgerlink-sandbox --example serve [PORT]`.
//! (`ledgerlink sandbox` does the same from the main binary.)

use ledgerlink_sandbox::{SandboxConfig, serve_forever};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(port) => port.parse().map_err(std::io::Error::other)?,
        None => 0,
    };
    serve_forever(SandboxConfig { port }).await
}
