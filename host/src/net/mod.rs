//! Outbound HTTP policy: every request a plugin makes goes through here.
//!
//! Order of checks, each before anything is sent: the URL parses; its origin is in the
//! plugin's allowlist ([`allowlist`]); the plugin sets no credential header; then the
//! connection's credentials are added ([`credentials`]) and the request is sent with a
//! timeout and a response-size cap ([`client`]). Redirects are followed only to allowed
//! origins. Requests are paced to the vendor's declared call limits ([`pacing`]) and sent
//! again after throttling, outages and lost connections where that is safe ([`retry`]),
//! within the time the plugin call has left ([`budget`]). The connection's OAuth token and
//! revocation endpoints are the host's alone ([`reserved`]).

pub mod allowlist;
pub mod budget;
pub mod client;
pub mod credentials;
pub mod pacing;
pub mod reserved;
pub mod retry;
pub mod routes;

pub use allowlist::{AllowedHosts, Origin, OriginError};
pub use budget::CallBudget;
pub use client::{HttpLimits, NetError, OutboundHttp, OutboundRequest, OutboundResponse};
pub use credentials::{Credentials, NoCredentials};
pub use pacing::{Pacer, RateLimit};
pub use reserved::ReservedEndpoints;
pub use retry::RetryPolicy;
pub use routes::{RouteError, Routes};
