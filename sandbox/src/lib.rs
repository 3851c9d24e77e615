//! Offline emulators of the Xero and QuickBooks Online (Intuit) OAuth 2.0
//! authorization servers, plus one protected resource per vendor, so that
//! tests and the quickstart can connect, refresh, expire and revoke without
//! the internet; and "Notes" (`/notes`), a tiny generic CRM API with an API
//! key, to write a first connector against.
//!
//! Built from the vendors' public documentation and specifications only; it
//! shares no code with the host, the SDK or the connector plugins, so it
//! cannot agree with their mistakes.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ledgerlink_sandbox::{Profile, SandboxConfig, SandboxHandle, XERO_CLIENT_ID};
//!
//! let sandbox = SandboxHandle::start(SandboxConfig::default()).await?;
//! let authorize = sandbox.url("/xero/identity/connect/authorize");
//! // ... drive a client with XERO_CLIENT_ID against `authorize` ...
//! sandbox.advance_clock(std::time::Duration::from_secs(31 * 60));
//! assert_eq!(sandbox.refresh_count(Profile::Xero), 0);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Everything that expires does so by the sandbox's virtual clock
//! ([`SandboxHandle::advance_clock`], `POST /_sandbox/clock/advance`).
//! `GET /` on a running sandbox lists every endpoint.
//!
//! # Vendor rules emulated
//!
//! | | Xero (`/xero`) | QuickBooks Online (`/qbo`) |
//! |---|---|---|
//! | PKCE | S256 required | optional; verified if sent |
//! | access token | 30 min (`expires_in: 1800`) | 60 min (`expires_in: 3600`) |
//! | refresh token | only with scope `offline_access`; new value on every refresh | same value until it is 24 h old, then a new value and the old one fails |
//! | reuse of a used refresh token | accepted for 30 min after its first use, each time minting a fresh pair | same value: always (until rotated) |
//! | refresh token expiry | 60 days unused | 100 days after last refresh (rolling) |
//! | callback | `code`, `state` | `code`, `state`, `realmId` |
//!
//! Both: any loopback `redirect_uri` (RFC 8252), codes single-use and valid
//! 5 minutes, revoking any token of a grant ends the grant, errors in RFC
//! 6749 shape (`{"error": "invalid_grant", "error_description": ...}`),
//! `invalid_client` as 401.
//!
//! Known simplifications: the resources always answer JSON (the real APIs
//! answer XML unless `Accept: application/json`); access tokens are opaque
//! (Xero's are JWTs); no `id_token`; every Xero grant connects both demo
//! organisations.

#![warn(missing_docs)]

mod authorizations;
mod authorize;
mod bearer;
mod browser;
mod clients;
mod clock;
mod company;
mod config;
mod consent_page;
mod control;
mod credentials;
mod faults;
mod grants;
mod index;
mod log;
mod notes;
mod oauth_error;
mod params;
mod profile;
mod quickbooks;
mod redirect;
mod revoke;
mod server;
mod state;
mod token;
mod vendor;
mod xero;

/// `ledgerlink sandbox ordertrac-check`: what OrderTrac's migration would accept in an
/// OrderTrac import package, and the CSV reports the account would then show.
pub mod ordertrac_check;
pub mod origins;
/// `ledgerlink sandbox salesorder-check`: what Salesorder's import would accept and refuse
/// in a folder of upload-template workbooks.
pub mod salesorder_check;

pub use browser::approve_consent;
pub use clients::{QBO_CLIENT_ID, QBO_CLIENT_SECRET, XERO_CLIENT_ID, XERO_CLIENT_SECRET};
pub use company::{Company, UnknownCompany};
pub use config::SandboxConfig;
pub use faults::{Fault, FaultRates, FaultScope};
pub use log::LogEntry;
pub use notes::NOTES_API_KEY;
pub use profile::Profile;
pub use quickbooks::QBO_REALM_ID;
pub use server::{SandboxHandle, serve_forever};
pub use xero::tenants::{XERO_TENANT_NZ_ID, XERO_TENANT_US_ID};
