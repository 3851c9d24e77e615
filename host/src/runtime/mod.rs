//! The plugin runtime: one wasmtime engine, loading and checking plugins, calling them
//! under limits, and the host side of the contract's imports.
//!
//! - [`engine`]: the shared [`wasmtime::Engine`] and the epoch ticker behind deadlines.
//! - [`cache`]: compiled components on disk.
//! - [`limits`]: per-call time budget, memory cap and log budget.
//! - `output`: a plugin's stderr (capped) and its log budget.
//! - [`manifest`]: manifest validation.
//! - [`plugin`]: a loaded plugin and the calls into it.
//! - [`state`]: what a call can reach ([`CallContext`]).
//! - `imports`: `http`, `log`, `config`, `clock`, `files`.

pub mod bindings;
pub mod cache;
pub(crate) mod convert;
pub mod engine;
pub mod error;
mod imports;
pub mod limits;
pub mod manifest;
mod output;
pub mod plugin;
pub(crate) mod since_v0_1;
pub mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker, types::ComponentItem};

pub use cache::{CacheOutcome, ComponentCache};
pub use error::{CallError, LoadError};
pub use limits::Limits;
pub use manifest::Manifest;
pub use plugin::{LoadInfo, Plugin};
pub use state::{CallContext, Clock, SystemClock};

use crate::contract;
use bindings::{Plugin as PluginWorld, PluginPre};
use state::CallState;

/// How to run plugins.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Limits for every call.
    pub limits: Limits,
    /// Where compiled components are cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
}

/// Loads plugins. Cheap to clone; one per process is enough.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallState>>,
    cache: Option<ComponentCache>,
    limits: Limits,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("cache", &self.cache)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The first bytes of every WebAssembly binary.
const WASM_MAGIC: &[u8; 4] = b"\0asm";
/// Version field of a core module (components use a different layer/version).
const CORE_MODULE_VERSION: [u8; 4] = [1, 0, 0, 0];

impl Runtime {
    /// Start a runtime: build the engine, start its epoch ticker, link the host imports.
    pub fn new(config: RuntimeConfig) -> Result<Self, LoadError> {
        let engine = engine::build().map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        engine::start_epoch_ticker(&engine)
            .map_err(|e| LoadError::Engine(format!("could not start the deadline timer: {e}")))?;
        let mut linker = Linker::<CallState>::new(&engine);
        // Rust's std imports WASI even in plugins that never touch it; the context in
        // CallState grants nothing through it.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        PluginWorld::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        // Contract 0.1's imports, forwarding to the current ones (`since_v0_1`).
        since_v0_1::Plugin::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |s| s)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            cache: config.cache_dir.map(ComponentCache::new),
            limits: config.limits,
        })
    }

    /// The shared engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits new plugins get.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The same runtime (engine, imports, cache) giving plugins it loads other limits; the
    /// registry loads manifests under a short deadline this way.
    pub fn with_limits(&self, limits: Limits) -> Runtime {
        Runtime {
            limits,
            ..self.clone()
        }
    }

    /// Load a plugin from a `.wasm` file.
    pub async fn load_file(&self, path: &Path) -> Result<Plugin, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: shown.clone(),
            source,
        })?;
        self.load_bytes(&bytes, &shown).await
    }

    /// Load a plugin from its bytes; `source` names it in errors ("built-in csv", a path).
    pub async fn load_bytes(&self, wasm: &[u8], source: &str) -> Result<Plugin, LoadError> {
        let what = source.to_owned();
        if wasm.len() < 8 || &wasm[..4] != WASM_MAGIC {
            return Err(LoadError::NotWasm { what });
        }
        if wasm[4..8] == CORE_MODULE_VERSION {
            return Err(LoadError::CoreModule { what });
        }
        let sha256 = cache::sha256_hex(wasm);
        let compile_error = |e: wasmtime::Error| LoadError::Compile {
            what: what.clone(),
            reason: format!("{e:#}"),
        };
        let (component, cache_outcome) = match &self.cache {
            Some(cache) => cache
                .load(&self.engine, wasm, &sha256)
                .map_err(compile_error)?,
            None => (
                Component::new(&self.engine, wasm).map_err(compile_error)?,
                CacheOutcome::Uncached,
            ),
        };

        let contract_version = self.contract_version(&component, &what)?;
        let binding =
            contract::check(&contract_version).map_err(|source| LoadError::Incompatible {
                what: what.clone(),
                source,
            })?;

        let instance_pre =
            self.linker
                .instantiate_pre(&component)
                .map_err(|e| LoadError::Link {
                    what: what.clone(),
                    reason: format!("{e:#}"),
                })?;
        let link_error = |e: wasmtime::Error| LoadError::Link {
            what: what.clone(),
            reason: format!("{e:#}"),
        };
        let manifest_error = |source| LoadError::ManifestCall {
            what: what.clone(),
            source: Box::new(source),
        };
        // Reading the manifest runs guest code, so it runs under the same limits as any call,
        // with nothing granted.
        let (pre, raw) = match binding {
            contract::Binding::Current => {
                let pre = PluginPre::new(instance_pre).map_err(link_error)?;
                let raw = plugin::run_call(
                    &pre,
                    &self.engine,
                    &what,
                    self.limits,
                    &CallContext::isolated(),
                    "manifest",
                    |p, s| Box::pin(p.ledgerlink_connector_connector().call_manifest(s)),
                )
                .await
                .map_err(manifest_error)?;
                (plugin::Pre::Current(pre), raw)
            }
            contract::Binding::V0_1 => {
                let pre = since_v0_1::PluginPre::new(instance_pre).map_err(link_error)?;
                let raw = plugin::run_call(
                    &pre,
                    &self.engine,
                    &what,
                    self.limits,
                    &CallContext::isolated(),
                    "manifest",
                    |p, s| Box::pin(p.ledgerlink_connector_connector().call_manifest(s)),
                )
                .await
                .map_err(manifest_error)?;
                (plugin::Pre::V0_1(pre), since_v0_1::convert::manifest(raw))
            }
        };
        let manifest =
            manifest::validate(raw, contract_version).map_err(|problems| LoadError::Manifest {
                what: what.clone(),
                problems,
            })?;

        Ok(Plugin {
            reserved: plugin::reserved_endpoints(&manifest),
            manifest,
            info: LoadInfo {
                source: what,
                sha256,
                size: wasm.len(),
                cache: cache_outcome,
            },
            pre,
            engine: self.engine.clone(),
            limits: self.limits,
        })
    }

    /// The contract version in the name of the connector interface the component exports.
    fn contract_version(
        &self,
        component: &Component,
        what: &str,
    ) -> Result<semver::Version, LoadError> {
        let ty = component.component_type();
        let mut exports = Vec::new();
        for (name, item) in ty.exports(&self.engine) {
            let version = name
                .strip_prefix(contract::CONNECTOR_INTERFACE)
                .and_then(|rest| rest.strip_prefix('@'))
                .filter(|_| matches!(item.ty, ComponentItem::ComponentInstance(_)))
                .and_then(|v| semver::Version::parse(v).ok());
            if let Some(version) = version {
                return Ok(version);
            }
            exports.push(name.to_owned());
        }
        Err(LoadError::NotAConnector {
            what: what.to_owned(),
            interface: contract::CONNECTOR_INTERFACE,
            exports: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        })
    }
}
