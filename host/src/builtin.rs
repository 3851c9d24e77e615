//! First-party plugins embedded in the binary, so nobody has to build them by hand.
//!
//! `build.rs` compiles every crate under `plugins/` for `wasm32-wasip2` and includes the
//! components here. Their names are reserved: an installed plugin may not take one
//! (`registry`), so no installed file can stand in for a built-in connector.

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

/// A plugin compiled into this binary.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPlugin {
    /// The crate's directory name under `plugins/` (e.g. "csv").
    pub name: &'static str,
    /// The component's bytes.
    pub wasm: &'static [u8],
}

/// Every built-in plugin, sorted by name.
pub fn all() -> &'static [BuiltinPlugin] {
    BUILTIN_PLUGINS
}

/// The built-in plugin called `name`.
pub fn get(name: &str) -> Option<&'static BuiltinPlugin> {
    BUILTIN_PLUGINS.iter().find(|p| p.name == name)
}
