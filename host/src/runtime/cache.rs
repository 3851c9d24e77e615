//! Compiled components cached on disk, so a plugin is compiled once per wasmtime version.
//!
//! The key is the SHA-256 of the component's bytes, the wasmtime version, and the engine's
//! compatibility hash (target and settings). A changed plugin, a wasmtime upgrade or a
//! different engine setting is therefore a miss, never a wrong hit. A corrupt or
//! incompatible entry is treated as a miss and overwritten.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Whether a load compiled or reused a compiled artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheOutcome {
    /// Loaded from the cache; nothing was compiled.
    Hit,
    /// Compiled, then stored in the cache.
    Miss,
    /// Compiled; there is no cache configured (or storing failed).
    Uncached,
}

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A folder of compiled components.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

impl ComponentCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Where entries live.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, engine: &Engine, wasm_sha256: &str) -> PathBuf {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        self.dir.join(format!(
            "{wasm_sha256}-wasmtime{}-{:016x}.cwasm",
            wasmtime_version(),
            hasher.finish()
        ))
    }

    /// Load a compiled component, compiling and storing it on a miss.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        wasm_sha256: &str,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry(engine, wasm_sha256);
        // Read into memory rather than mmap the file: a file truncated or replaced under a
        // live mapping would crash the process (SIGBUS); a copy costs well under a millisecond.
        if let Ok(bytes) = std::fs::read(&path) {
            // SAFETY: `deserialize` trusts its input to be a component compiled by this
            // wasmtime with this engine's settings. Entries are written only by `store`
            // below, from `Engine::precompile_component`, in the host's private data folder;
            // the file name pins the wasm hash, wasmtime version and engine settings, and
            // wasmtime itself re-checks the version and settings, refusing a mismatch.
            #[allow(unsafe_code)]
            let loaded = unsafe { Component::deserialize(engine, &bytes) };
            match loaded {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable compiled-plugin cache entry: {e}")
                }
            }
        }
        let compiled = engine.precompile_component(wasm)?;
        // SAFETY: the bytes were produced a moment ago by this engine's own compiler.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        match self.store(&path, &compiled) {
            Ok(()) => Ok((component, CacheOutcome::Miss)),
            Err(e) => {
                tracing::warn!(path = %path.display(), "could not store the compiled plugin (it will be compiled again next time): {e}");
                Ok((component, CacheOutcome::Uncached))
            }
        }
    }

    fn store(&self, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        // Write aside and rename, so a concurrent loader never reads half an entry.
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(compiled)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

/// The wasmtime version compiled in (read from Cargo.lock by build.rs), part of every cache key.
pub fn wasmtime_version() -> &'static str {
    env!("LEDGERLINK_WASMTIME_VERSION")
}
