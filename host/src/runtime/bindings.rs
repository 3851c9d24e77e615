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
    // Records are compared in compare/plan and in tests.
    additional_derives: [PartialEq, Eq, serde::Serialize, serde::Deserialize],
});

pub use exports::ledgerlink::connector::connector::CheckReport;
pub use ledgerlink::connector::manifest_types::{
    ApiKey, AuthKind, Capability, Oauth2, PluginManifest, Setting,
};
pub use ledgerlink::connector::types::{
    Address, ConnectorError, Customer, CustomerPage, CustomerQuery, CustomerRef, DuplicateDetail,
    ErrorDetail, Invoice, InvoiceKind, InvoiceLine, InvoicePage, InvoiceStatus, PushResult,
    RateLimitDetail, RecordKind, TaxMode, WriteAction, Written,
};
