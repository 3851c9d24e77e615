//! Contract 0.1.0, still loaded: plugins built against `ledgerlink:connector@0.1.0` (the
//! frozen copy in `wit/frozen/0.1.0/`) run on this host unchanged.
//!
//! As in Zed's extension host, the old version is a thin layer over the current one: its
//! host imports forward to the current implementations ([`imports`]), and its records
//! convert to and from the host's own model ([`convert`]). Nothing else in the host knows
//! that a plugin is 0.1: what 0.1 cannot express (orders, `get-invoices`, payment amounts,
//! per-line tax rates) is simply absent — an order is refused as `unsupported` before it
//! reaches the plugin, a pulled invoice carries no payment amounts.

pub(crate) mod convert;
mod imports;

wasmtime::component::bindgen!({
    path: "../wit/frozen/0.1.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    additional_derives: [PartialEq, Eq],
});
