//! `ledgerlink new connector <name>`: write a connector crate to start from.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use ledgerlink::scaffold::{self, Auth, ConnectorName, Sdk, Spec};

/// `ledgerlink new ...`
#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// Write a connector crate: a manifest, check, customers and invoices operations that
    /// answer `unsupported` until their mapping (src/vendor.rs) is written, native unit tests
    /// against the SDK's fake host, and a README with the next steps. It builds for
    /// wasm32-wasip2 as it stands.
    Connector(NewConnectorArgs),
}

/// `ledgerlink new connector ...`
#[derive(Debug, clap::Args)]
pub struct NewConnectorArgs {
    /// The connector's machine name: lowercase letters, digits and '-', starting with a letter
    /// (e.g. "acme-books"). The crate is ledgerlink-plugin-<name>.
    pub name: String,
    /// How the vendor authenticates; the host runs it and keeps the credentials.
    #[arg(long, value_enum, default_value_t = AuthArg::None)]
    pub auth: AuthArg,
    /// The folder to write the crate into; it must not exist, or be empty. Default: ./<name>.
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Depend on the ledgerlink-sdk crate in this folder (the sdk/ of a ledgerlink checkout)
    /// instead of the published ledgerlink-sdk.
    #[arg(long, value_name = "PATH")]
    pub sdk_path: Option<PathBuf>,
}

/// `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// OAuth 2.0 authorization code with PKCE.
    Oauth2,
    /// A static API key sent in a header.
    ApiKey,
    /// No credentials (a public API, or files).
    None,
}

impl From<AuthArg> for Auth {
    fn from(a: AuthArg) -> Self {
        match a {
            AuthArg::Oauth2 => Auth::OAuth2,
            AuthArg::ApiKey => Auth::ApiKey,
            AuthArg::None => Auth::None,
        }
    }
}

/// Run `ledgerlink new ...`.
pub fn run(command: &NewCommand) -> anyhow::Result<()> {
    match command {
        NewCommand::Connector(args) => connector(args),
    }
}

fn connector(args: &NewConnectorArgs) -> anyhow::Result<()> {
    let name = ConnectorName::parse(&args.name)?;
    let sdk = match &args.sdk_path {
        Some(path) => Sdk::local(path)?,
        None => Sdk::published(),
    };
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(name.as_str()));
    let spec = Spec {
        name,
        auth: args.auth.into(),
        sdk,
    };
    let files = scaffold::write(&spec, &dir)
        .with_context(|| format!("could not create connector {}", spec.name.as_str()))?;
    let sdk = match &spec.sdk {
        Sdk::Version(v) => format!("ledgerlink-sdk {v} from crates.io"),
        Sdk::Path(p) => format!("ledgerlink-sdk from {}", p.display()),
    };
    println!(
        "Created connector {} in {} (crate {}, auth {}, {sdk}): {}.",
        spec.name.as_str(),
        dir.display(),
        spec.name.crate_name(),
        spec.auth.as_str(),
        files.join(", ")
    );
    let wasm = format!(
        "target/wasm32-wasip2/release/{}.wasm",
        spec.name.crate_ident()
    );
    println!("Next (README.md has the details):");
    println!(
        "  1. Fill in the mapping in {}: the vendor's endpoints and records, with the SDK's JsonClient, ErrorTable, paging, decimal and timestamp helpers.",
        dir.join("src").join("vendor.rs").display()
    );
    println!(
        "  2. Test it natively against the SDK's fake host: cd {} && cargo test",
        dir.display()
    );
    println!(
        "  3. Build and try it: cargo build --target wasm32-wasip2 --release; ledgerlink plugins install {wasm}; ledgerlink conformance {wasm} --connection <connection>"
    );
    Ok(())
}
