//! Which component a connection runs: plugin identity, installation and the manifest cache.
//!
//! - Components are identified by the SHA-256 of their bytes and kept content-addressed in the
//!   data folder (`components/<sha256>.wasm`), so replacing or deleting a file in `plugins/`
//!   changes no existing connection.
//! - Built-in connector names are reserved: an installed plugin (by `plugins install` or a
//!   file dropped in `plugins/`) that declares one is refused, with a message saying so.
//! - Every connection is pinned to one component and the manifest facts it declared then
//!   (allowed hosts, auth endpoints, scopes, capabilities); it only ever runs that exact
//!   component, and a component that declares anything else later is not run. A connection
//!   made before pinning existed is pinned on first use to what its connector name resolves
//!   to (built-in names: always the built-in).
//! - Installing another version changes which component *new* connections get; an existing
//!   connection moves only by [`Registry::plan_upgrade`] + [`Registry::apply_upgrade`], which
//!   lists what changed in the manifest.
//! - Loading is lazy and isolated: a command loads only the components it needs; listing
//!   reads manifests recorded at install or first load (keyed by SHA-256); a manifest call
//!   runs under [`MANIFEST_DEADLINE`], and a component whose manifest fails or times out is
//!   recorded broken once and never examined again unless reinstalled.

pub mod facts;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

pub use facts::Change;

use crate::builtin::{self, BuiltinPlugin};
use crate::runtime::cache::sha256_hex;
use crate::runtime::{Limits, LoadError, Plugin, Runtime};
use crate::store::DataDir;
use crate::store::connections::{Connection, ConnectionError, ConnectionStore, unix};
use crate::store::plugins::{
    ComponentFacts, ComponentOrigin, ComponentRecord, Pin, PluginStore, Problem, ProblemKind,
};

/// How long a plugin's `manifest()` may run (it only describes the plugin) before the plugin
/// is recorded as broken.
pub const MANIFEST_DEADLINE: Duration = Duration::from_secs(2);

/// Why the registry could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// An installed plugin claims a built-in connector's name.
    #[error(
        "{source_path} declares the name {name:?}, which is reserved for ledgerlink's built-in {name} connector; an installed plugin may not replace a built-in one (reserved: {reserved}). Give the plugin another name in its manifest (e.g. {name}-custom) and install it again"
    )]
    Reserved {
        /// The file.
        source_path: String,
        /// The name it claims.
        name: String,
        /// Every reserved name.
        reserved: String,
    },
    /// The component does not load (not a component, another contract, its manifest call
    /// failed or timed out, an invalid manifest).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// No connector has this name.
    #[error(
        "there is no connector called {name:?}; built-in: {builtin}; install one with `ledgerlink plugins install <file.wasm>` (`ledgerlink plugins list` shows all)"
    )]
    Unknown {
        /// The name asked for.
        name: String,
        /// The built-in names.
        builtin: String,
    },
    /// The only plugin by this name cannot be used.
    #[error("connector {name:?} ({source_path}) cannot be used: {problem}")]
    Unusable {
        /// The name asked for.
        name: String,
        /// Where it was found.
        source_path: String,
        /// Why.
        problem: String,
    },
    /// A connection's component is no longer in the store.
    #[error(
        "connection {connection} runs component {component} {version} (sha256 {sha256}), which is missing from {path}; install the same .wasm again with `ledgerlink plugins install <file>`, or move the connection to the current version with `ledgerlink connections upgrade {connection}`"
    )]
    Missing {
        /// The connection.
        connection: String,
        /// The component's name.
        component: String,
        /// Its version.
        version: String,
        /// Its SHA-256.
        sha256: String,
        /// Where it should be.
        path: PathBuf,
    },
    /// The stored file is not the component its name says.
    #[error(
        "{path} was changed outside ledgerlink: its sha256 is {found}, not {expected}, so it is not the component connection {connection} is pinned to and will not be run; install the original with `ledgerlink plugins install <file>`, or run `ledgerlink connections upgrade {connection}`"
    )]
    Tampered {
        /// The connection.
        connection: String,
        /// The file.
        path: PathBuf,
        /// The pinned SHA-256.
        expected: String,
        /// What the file hashes to.
        found: String,
    },
    /// The component declared another manifest than when the connection was pinned.
    #[error(
        "component {component} (sha256 {sha256}) now declares a different manifest than when connection {connection} was pinned to it ({changes}); a component must always declare the same manifest, so it is not run for this connection"
    )]
    Drifted {
        /// The connection.
        connection: String,
        /// The component's name.
        component: String,
        /// Its SHA-256.
        sha256: String,
        /// What differs.
        changes: String,
    },
    /// Another process changed the connection's pin meanwhile.
    #[error(
        "connection {connection} was pinned or upgraded by another ledgerlink process meanwhile; run `ledgerlink connections upgrade {connection}` again"
    )]
    Raced {
        /// The connection.
        connection: String,
    },
    /// A file could not be read or written.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// "read", "write", "list"...
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] ConnectionError),
}

/// A component [`Registry::install`] installed.
#[derive(Debug, Clone)]
pub struct Installed {
    /// Its SHA-256.
    pub sha256: String,
    /// What it declares.
    pub facts: ComponentFacts,
    /// The version it replaced as current, if another was installed.
    pub replaced: Option<ComponentFacts>,
    /// Connections of this connector that run another component (upgrade candidates).
    pub not_upgraded: Vec<String>,
}

/// What moving a connection to the current version of its connector would change.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The connection.
    pub connection: String,
    /// What it runs now.
    pub from: Pin,
    /// What it would run.
    pub to: Pin,
    /// Built-in or installed (the new component).
    pub origin: ComponentOrigin,
    /// Every difference in the manifest facts.
    pub changes: Vec<Change>,
}

impl Upgrade {
    /// Whether the connection already runs the current version.
    pub fn is_current(&self) -> bool {
        self.from.sha256 == self.to.sha256
    }

    /// Whether the stored credentials must be dropped (see [`Change::moves_credentials`]).
    pub fn moves_credentials(&self) -> bool {
        self.changes.iter().any(Change::moves_credentials)
    }
}

/// How a listed component stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListedStatus {
    /// The current version of its name: new connections get it.
    Current,
    /// An older version that connections still run.
    Pinned,
    /// Its manifest call failed or timed out, or it is not a connector.
    Broken,
    /// It claims a reserved name.
    Refused,
}

/// One row of `plugins list`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Listed {
    /// The component's record (manifest facts or problem).
    #[serde(flatten)]
    pub record: ComponentRecord,
    /// How it stands.
    pub status: ListedStatus,
    /// Connections pinned to it.
    pub connections: Vec<String>,
}

/// The plugin registry over one data folder.
#[derive(Debug, Clone)]
pub struct Registry {
    data: DataDir,
    runtime: Runtime,
    connections: ConnectionStore,
    plugins: PluginStore,
}

/// The names installed plugins may not take.
pub fn reserved_names() -> Vec<&'static str> {
    builtin::all().iter().map(|b| b.name).collect()
}

/// Each built-in plugin with the SHA-256 of its bytes (hashed once per process).
fn builtins() -> &'static [(BuiltinPlugin, String)] {
    static HASHED: OnceLock<Vec<(BuiltinPlugin, String)>> = OnceLock::new();
    HASHED.get_or_init(|| {
        builtin::all()
            .iter()
            .map(|b| (*b, sha256_hex(b.wasm)))
            .collect()
    })
}

fn builtin_sha(name: &str) -> Option<(&'static BuiltinPlugin, &'static str)> {
    builtins()
        .iter()
        .find(|(b, _)| b.name == name)
        .map(|(b, sha)| (b, sha.as_str()))
}

impl Registry {
    /// A registry over `data`, loading with `runtime`, recording in `connections`' database.
    pub fn new(data: DataDir, runtime: Runtime, connections: ConnectionStore) -> Self {
        let plugins = connections.plugins();
        Self {
            data,
            runtime,
            connections,
            plugins,
        }
    }

    /// The component tables.
    pub fn plugins(&self) -> &PluginStore {
        &self.plugins
    }

    /// Load `wasm` with the manifest call under [`MANIFEST_DEADLINE`], and record what it
    /// declared, or why it cannot be used. Installed components may not take reserved names.
    async fn examine(
        &self,
        wasm: &[u8],
        source: &str,
        origin: ComponentOrigin,
        fallback_name: &str,
    ) -> Result<Plugin, RegistryError> {
        let sha256 = sha256_hex(wasm);
        let limits = self.runtime.limits();
        let quick = self.runtime.with_limits(Limits {
            deadline: limits.deadline.min(MANIFEST_DEADLINE),
            ..limits
        });
        let mut record = ComponentRecord {
            sha256,
            origin,
            source: source.to_owned(),
            size: wasm.len() as u64,
            name: fallback_name.to_owned(),
            facts: None,
            problem: None,
            recorded_at: unix(SystemTime::now()),
        };
        let loaded = quick.load_bytes(wasm, source).await;
        let result = match loaded {
            Err(e) => {
                record.problem = Some(Problem {
                    kind: ProblemKind::Broken,
                    message: e.to_string(),
                });
                Err(RegistryError::Load(e))
            }
            Ok(mut plugin) => {
                let facts = facts::of(plugin.manifest());
                record.name = facts.name.clone();
                if origin == ComponentOrigin::Installed && builtin::get(&facts.name).is_some() {
                    let e = RegistryError::Reserved {
                        source_path: source.to_owned(),
                        name: facts.name.clone(),
                        reserved: reserved_names().join(", "),
                    };
                    record.problem = Some(Problem {
                        kind: ProblemKind::Refused,
                        message: e.to_string(),
                    });
                    record.facts = Some(facts);
                    Err(e)
                } else {
                    record.facts = Some(facts);
                    plugin.set_limits(limits);
                    Ok(plugin)
                }
            }
        };
        let known = self.plugins.component(&record.sha256)?;
        let unchanged = known
            .as_ref()
            .is_some_and(|k| k.facts == record.facts && k.problem == record.problem);
        if !unchanged {
            // A built-in seen again keeps its origin; so does an installed file.
            if let Some(k) = known {
                record.origin = k.origin;
                record.source = k.source;
            }
            self.plugins.record(&record)?;
        }
        result
    }

    /// Keep `wasm` in the content-addressed store (atomically; a no-op when present).
    fn keep(&self, sha256: &str, wasm: &[u8]) -> Result<PathBuf, RegistryError> {
        let path = self.data.component(sha256);
        if path.is_file() {
            return Ok(path);
        }
        let dir = self.data.components();
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| RegistryError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
        let tmp = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(io("write", &tmp))?;
        f.write_all(wasm).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("write", &tmp))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io("write", &path))?;
        Ok(path)
    }

    /// Register every new file in `<data-dir>/plugins/`: each goes through the checks of
    /// [`install`](Self::install) once (keyed by its SHA-256); a good one becomes the current
    /// version of its name. Files seen before cost a hash, nothing more. Problems are
    /// recorded for `plugins list`, not returned: one bad file never stops a command.
    pub async fn scan(&self) -> Result<(), RegistryError> {
        let dir = self.data.plugins();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
            .collect();
        files.sort();
        for path in files {
            let wasm = match std::fs::read(&path) {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!("skipping {}: {e}", path.display());
                    continue;
                }
            };
            let sha256 = sha256_hex(&wasm);
            if self.plugins.component(&sha256)?.is_some() {
                continue;
            }
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match self
                .examine(
                    &wasm,
                    &path.display().to_string(),
                    ComponentOrigin::Installed,
                    &stem,
                )
                .await
            {
                Ok(plugin) => {
                    self.keep(&sha256, &wasm)?;
                    let f = facts::of(plugin.manifest());
                    self.plugins.set_installed(&f.name, &sha256, &f.version)?;
                }
                Err(e) => tracing::info!("plugin file {} not used: {e}", path.display()),
            }
        }
        Ok(())
    }

    /// `ledgerlink plugins install <file>`: load it (manifest under [`MANIFEST_DEADLINE`]),
    /// refuse reserved names, keep it in the component store and make it the current version
    /// of its name. Existing connections keep their component.
    pub async fn install(&self, path: &Path) -> Result<Installed, RegistryError> {
        let wasm = std::fs::read(path).map_err(|source| RegistryError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.install_bytes(&wasm, &path.display().to_string(), &stem)
            .await
    }

    /// [`Registry::install`] of a component given as bytes (an upload through the API):
    /// `source` says where it came from, `stem` names it while it has no usable manifest.
    /// The same checks: manifest deadline, reserved names, content-addressed keeping.
    pub async fn install_bytes(
        &self,
        wasm: &[u8],
        source: &str,
        stem: &str,
    ) -> Result<Installed, RegistryError> {
        let sha256 = sha256_hex(wasm);
        let plugin = self
            .examine(wasm, source, ComponentOrigin::Installed, stem)
            .await?;
        let facts = facts::of(plugin.manifest());
        self.keep(&sha256, wasm)?;
        let replaced = match self.plugins.installed(&facts.name)? {
            Some(old) if old != sha256 => self.plugins.component(&old)?.and_then(|r| r.facts),
            _ => None,
        };
        self.plugins
            .set_installed(&facts.name, &sha256, &facts.version)?;
        let not_upgraded = self
            .connections
            .list()?
            .into_iter()
            .filter(|c| {
                c.connector == facts.name && c.component.as_ref().is_none_or(|p| p.sha256 != sha256)
            })
            .map(|c| c.name)
            .collect();
        Ok(Installed {
            sha256,
            facts,
            replaced,
            not_upgraded,
        })
    }

    /// The component a new connection of connector `name` gets: the built-in one for a
    /// built-in name (always), else the current installed version.
    pub async fn resolve(&self, name: &str) -> Result<(String, ComponentOrigin), RegistryError> {
        if let Some((_, sha)) = builtin_sha(name) {
            return Ok((sha.to_owned(), ComponentOrigin::BuiltIn));
        }
        self.scan().await?;
        if let Some(sha) = self.plugins.installed(name)? {
            return Ok((sha, ComponentOrigin::Installed));
        }
        // Say why a plugin by that name is not usable, if there is one.
        let problem = self
            .plugins
            .components()?
            .into_iter()
            .rev()
            .find(|r| r.name == name && r.problem.is_some());
        if let Some(r) = problem {
            let problem = r.problem.map(|p| p.message).unwrap_or_default();
            return Err(RegistryError::Unusable {
                name: name.to_owned(),
                source_path: r.source,
                problem,
            });
        }
        Err(RegistryError::Unknown {
            name: name.to_owned(),
            builtin: reserved_names().join(", "),
        })
    }

    /// The bytes of component `sha256`: embedded for a current built-in, else the stored file.
    fn bytes(&self, sha256: &str) -> Result<Option<(Vec<u8>, String)>, RegistryError> {
        if let Some((b, _)) = builtins().iter().find(|(_, s)| s == sha256) {
            return Ok(Some((
                b.wasm.to_vec(),
                format!("built-in plugin {}", b.name),
            )));
        }
        let path = self.data.component(sha256);
        match std::fs::read(&path) {
            Ok(w) => Ok(Some((w, path.display().to_string()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(RegistryError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Load the current component of connector `name`, for a new connection (or an upgrade),
    /// with the pin it would get. A built-in's bytes are kept in the component store too, so
    /// the connection keeps running them after ledgerlink itself is upgraded.
    pub async fn load_new(&self, name: &str) -> Result<(Plugin, Pin), RegistryError> {
        let (sha256, origin) = self.resolve(name).await?;
        let Some((wasm, source)) = self.bytes(&sha256)? else {
            return Err(RegistryError::Unusable {
                name: name.to_owned(),
                source_path: self.data.component(&sha256).display().to_string(),
                problem: "its component file is missing from the component store; install it again with `ledgerlink plugins install <file>`".to_owned(),
            });
        };
        let plugin = self.examine(&wasm, &source, origin, name).await?;
        if plugin.info().sha256 != sha256 {
            return Err(RegistryError::Unusable {
                name: name.to_owned(),
                source_path: source,
                problem: format!(
                    "its stored component was changed outside ledgerlink (sha256 {}, expected {sha256}); install it again with `ledgerlink plugins install <file>`",
                    plugin.info().sha256
                ),
            });
        }
        let facts = facts::of(plugin.manifest());
        if facts.name != name {
            return Err(RegistryError::Unusable {
                name: name.to_owned(),
                source_path: source,
                problem: format!("it declares the name {:?}", facts.name),
            });
        }
        if origin == ComponentOrigin::BuiltIn {
            self.keep(&sha256, &wasm)?;
        }
        Ok((plugin, Pin { sha256, facts }))
    }

    /// The plugin to run for `connection`: exactly its pinned component, declaring exactly
    /// the manifest facts recorded when it was pinned. A connection not pinned yet (made
    /// before pinning existed) is pinned now to what its connector name resolves to.
    pub async fn load_for(&self, connection: &Connection) -> Result<Plugin, RegistryError> {
        let Some(pin) = &connection.component else {
            let (plugin, pin) = self.load_new(&connection.connector).await?;
            if self.connections.pin(&connection.name, &pin, None)? {
                return Ok(plugin);
            }
            // Another process pinned it first: run what it pinned.
            let pinned = self.connections.get(&connection.name)?;
            if pinned.component.is_none() {
                return Err(RegistryError::Raced {
                    connection: connection.name.clone(),
                });
            }
            return Box::pin(self.load_for(&pinned)).await;
        };
        let Some((wasm, source)) = self.bytes(&pin.sha256)? else {
            return Err(RegistryError::Missing {
                connection: connection.name.clone(),
                component: pin.facts.name.clone(),
                version: pin.facts.version.clone(),
                sha256: pin.sha256.clone(),
                path: self.data.component(&pin.sha256),
            });
        };
        let origin = self
            .plugins
            .component(&pin.sha256)?
            .map_or(ComponentOrigin::Installed, |r| r.origin);
        let plugin = self
            .examine(&wasm, &source, origin, &pin.facts.name)
            .await?;
        if plugin.info().sha256 != pin.sha256 {
            return Err(RegistryError::Tampered {
                connection: connection.name.clone(),
                path: self.data.component(&pin.sha256),
                expected: pin.sha256.clone(),
                found: plugin.info().sha256.clone(),
            });
        }
        let now = facts::of(plugin.manifest());
        if now != pin.facts {
            let mut changes: Vec<String> = facts::diff(&pin.facts, &now)
                .iter()
                .map(ToString::to_string)
                .collect();
            if changes.is_empty() {
                changes.push("its name or display name".to_owned());
            }
            return Err(RegistryError::Drifted {
                connection: connection.name.clone(),
                component: pin.facts.name.clone(),
                sha256: pin.sha256.clone(),
                changes: changes.join("; "),
            });
        }
        Ok(plugin)
    }

    /// What `connections upgrade` would change for `connection`.
    pub async fn plan_upgrade(&self, connection: &Connection) -> Result<Upgrade, RegistryError> {
        let from = match &connection.component {
            Some(p) => p.clone(),
            None => {
                // Pin first, so the plan compares with what the connection really runs.
                self.load_for(connection).await?;
                let pinned = self.connections.get(&connection.name)?;
                pinned.component.ok_or_else(|| RegistryError::Raced {
                    connection: connection.name.clone(),
                })?
            }
        };
        let (sha, origin) = self.resolve(&connection.connector).await?;
        let to = if sha == from.sha256 {
            from.clone()
        } else {
            self.load_new(&connection.connector).await?.1
        };
        let changes = facts::diff(&from.facts, &to.facts);
        Ok(Upgrade {
            connection: connection.name.clone(),
            from,
            to,
            origin,
            changes,
        })
    }

    /// Move the connection to the upgrade's component (if it still runs the old one).
    pub fn apply_upgrade(&self, upgrade: &Upgrade) -> Result<(), RegistryError> {
        if upgrade.is_current() {
            return Ok(());
        }
        if self
            .connections
            .pin(&upgrade.connection, &upgrade.to, Some(&upgrade.from.sha256))?
        {
            Ok(())
        } else {
            Err(RegistryError::Raced {
                connection: upgrade.connection.clone(),
            })
        }
    }

    /// Every built-in component, every installed plugin's current version, every component
    /// a connection runs, and every plugin file in `plugins/` that cannot be used — read
    /// from the manifest cache; only components never seen before are loaded.
    pub async fn list(&self) -> Result<Vec<Listed>, RegistryError> {
        let mut builtin_shas = Vec::new();
        for (b, sha) in builtins() {
            if self.plugins.component(sha)?.is_none() {
                // Recorded either way (facts or problem); a problem shows in the list.
                let _ = self
                    .examine(
                        b.wasm,
                        &format!("built-in plugin {}", b.name),
                        ComponentOrigin::BuiltIn,
                        b.name,
                    )
                    .await;
            }
            builtin_shas.push(sha.as_str());
        }
        self.scan().await?;
        let current: Vec<String> = self
            .plugins
            .installed_all()?
            .into_iter()
            .map(|(_, sha)| sha)
            .collect();
        let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in self.connections.list()? {
            if let Some(p) = c.component {
                users.entry(p.sha256).or_default().push(c.name);
            }
        }
        let mut rows = Vec::new();
        for record in self.plugins.components()? {
            let connections = users.remove(&record.sha256).unwrap_or_default();
            let is_builtin = builtin_shas.contains(&record.sha256.as_str());
            let status = match &record.problem {
                Some(p) if p.kind == ProblemKind::Refused => ListedStatus::Refused,
                Some(_) => ListedStatus::Broken,
                None if is_builtin || current.contains(&record.sha256) => ListedStatus::Current,
                None => ListedStatus::Pinned,
            };
            let shown = match status {
                ListedStatus::Current => true,
                ListedStatus::Pinned => !connections.is_empty(),
                // A problem file is listed while it is still there to fix or remove.
                ListedStatus::Broken | ListedStatus::Refused => {
                    is_builtin || Path::new(&record.source).is_file()
                }
            };
            if shown {
                rows.push(Listed {
                    record,
                    status,
                    connections,
                });
            }
        }
        rows.sort_by(|a, b| {
            let key = |l: &Listed| {
                (
                    l.record.origin != ComponentOrigin::BuiltIn,
                    l.record.name.clone(),
                    l.record
                        .facts
                        .as_ref()
                        .and_then(|f| semver::Version::parse(&f.version).ok()),
                    l.record.recorded_at,
                )
            };
            key(a).cmp(&key(b))
        });
        Ok(rows)
    }

    /// Load a plugin by connector name (for `plugins inspect`).
    pub async fn load_named(&self, name: &str) -> Result<Plugin, RegistryError> {
        Ok(self.load_new(name).await?.0)
    }
}
