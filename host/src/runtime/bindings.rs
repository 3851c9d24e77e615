//! Host-side bindings for the `ledgerlink:connector` contract, generated from `wit/`.
//!
//! Imports are async (the HTTP import awaits the network) and trappable (a host failure
//! that is not the plugin's business, such as a poisoned lock, traps the call instead of
//! being handed to the guest).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    // Never stored or serialized: `runtime::convert` turns them into `crate::model` types.
    additional_derives: [PartialEq, Eq],
});

pub use exports::ledgerlink::connector::connector::CheckReport;
pub use ledgerlink::connector::manifest_types::{
    ApiKey, AuthKind, Capability, Oauth2, PluginManifest, RateLimit, Setting,
};
pub use ledgerlink::connector::types::{
    Address, ConnectorError, Customer, CustomerPage, CustomerQuery, CustomerRef, DuplicateDetail,
    ErrorDetail, Invoice, InvoiceKind, InvoiceLine, InvoicePage, InvoiceStatus, PushResult,
    RateLimitDetail, RecordKind, TaxMode, WriteAction, Written,
};
