//! What the host knows of plugin components, by content (SHA-256), and which version of each
//! installed plugin is current.
//!
//! - `plugin_components`: every component the host has looked at (built-in, installed with
//!   `ledgerlink plugins install`, or found in `<data-dir>/plugins/`), keyed by the SHA-256
//!   of its bytes: where it came from, the manifest facts it declared (the manifest cache
//!   `plugins list` reads without running any plugin), or why it cannot be used (broken:
//!   its manifest call failed or timed out; refused: it claims a reserved name).
//! - `installed_plugins`: the current installed version of each plugin name, the one a new
//!   connection gets. Installing another version changes this row only; connections stay
//!   pinned to their own component (`connections.component_sha256`) until upgraded.
//!
//! Both tables, and the pin's columns of `connections`, are migration 6. The component bytes
//! themselves are files in the data folder's content-addressed store (`DataDir::component`),
//! not rows here.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::audit;
use super::connections::{ConnectionError, unix};

/// The manifest facts that decide what a connection's credentials may reach and what it
/// may do, as the host's own type (stored as JSON; never the contract's generated types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ComponentFacts {
    /// Machine name, e.g. "xero".
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The connector's own version (semver).
    pub version: String,
    /// The contract version it was built for.
    pub contract: String,
    /// Operations it implements, contract spelling.
    pub capabilities: Vec<String>,
    /// How it authenticates, with every endpoint the host contacts for it.
    pub auth: AuthFacts,
    /// Origins it may call (`scheme://host:port`).
    pub allowed_hosts: Vec<String>,
}

/// The authentication a component declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AuthFacts {
    /// No credentials.
    None,
    /// OAuth 2.0.
    #[serde(rename_all = "kebab-case")]
    Oauth2 {
        /// Authorization endpoint.
        authorize_url: String,
        /// Token endpoint: where refresh tokens and the client secret go.
        token_url: String,
        /// Revocation endpoint.
        revoke_url: Option<String>,
        /// Scopes requested.
        scopes: Vec<String>,
        /// Where the tenants of a grant are listed.
        tenant_discovery: Option<String>,
        /// Callback parameters kept as settings.
        callback_params: Vec<String>,
    },
    /// A static API key in a header.
    #[serde(rename_all = "kebab-case")]
    ApiKey {
        /// Header name.
        header: String,
        /// Text before the key.
        prefix: Option<String>,
    },
}

impl AuthFacts {
    /// "none", "oauth2" or "api-key".
    pub fn kind(&self) -> &'static str {
        match self {
            AuthFacts::None => "none",
            AuthFacts::Oauth2 { .. } => "oauth2",
            AuthFacts::ApiKey { .. } => "api-key",
        }
    }

    /// Whether connections of this kind keep anything in the vault.
    pub fn needs_vault(&self) -> bool {
        !matches!(self, AuthFacts::None)
    }
}

/// The exact component a connection runs, and what it declared when it was pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Pin {
    /// SHA-256 of the component bytes.
    pub sha256: String,
    /// Its manifest facts at pin time.
    pub facts: ComponentFacts,
}

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentOrigin {
    /// Embedded in this (or an earlier) ledgerlink binary.
    BuiltIn,
    /// Installed by an admin (`plugins install`, or a file in `<data-dir>/plugins/`).
    Installed,
}

impl ComponentOrigin {
    /// "built-in" or "installed".
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentOrigin::BuiltIn => "built-in",
            ComponentOrigin::Installed => "installed",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "built-in" {
            ComponentOrigin::BuiltIn
        } else {
            ComponentOrigin::Installed
        }
    }
}

/// Why a component cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Problem {
    /// Broken or refused.
    pub kind: ProblemKind,
    /// What is wrong and what to do, for the admin.
    pub message: String,
}

/// The kinds of [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// It does not load: not a component, another contract, its manifest call failed or
    /// timed out, or its manifest is invalid.
    Broken,
    /// It loads but may not be used: it claims the name of a built-in connector.
    Refused,
}

impl ProblemKind {
    /// "broken" or "refused".
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Broken => "broken",
            ProblemKind::Refused => "refused",
        }
    }
}

/// One component the host has looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ComponentRecord {
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Built-in or installed.
    pub origin: ComponentOrigin,
    /// Where it was first seen: "built-in", or the file it was installed from.
    pub source: String,
    /// Size in bytes.
    pub size: u64,
    /// Its manifest name, or (when it has no usable manifest) the file's name.
    pub name: String,
    /// The manifest facts, when its manifest loaded and validated.
    pub facts: Option<ComponentFacts>,
    /// Why it cannot be used, if so.
    pub problem: Option<Problem>,
    /// When it was recorded (Unix seconds).
    pub recorded_at: i64,
}

/// The plugin registry's tables. Shares the database handle of a
/// [`ConnectionStore`](super::connections::ConnectionStore).
#[derive(Debug, Clone)]
pub struct PluginStore {
    db: Arc<Mutex<rusqlite::Connection>>,
}

impl PluginStore {
    pub(super) fn new(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, ConnectionError>,
    ) -> Result<T, ConnectionError> {
        // As in ConnectionStore::with: SQLite's transactions keep the data consistent after a
        // panic elsewhere, so a poisoned lock still guards a usable connection.
        let guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&guard)
    }

    /// Record (or replace what is known of) a component.
    pub fn record(&self, c: &ComponentRecord) -> Result<(), ConnectionError> {
        let facts = c.facts.as_ref().map(facts_json);
        self.with(|db| {
            db.execute(
                "INSERT INTO plugin_components
                     (sha256, origin, source, size, name, facts, problem_kind, problem,
                      recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(sha256) DO UPDATE SET
                     source = excluded.source, name = excluded.name, facts = excluded.facts,
                     problem_kind = excluded.problem_kind, problem = excluded.problem,
                     recorded_at = excluded.recorded_at",
                params![
                    c.sha256,
                    c.origin.as_str(),
                    c.source,
                    i64::try_from(c.size).unwrap_or(i64::MAX),
                    c.name,
                    facts,
                    c.problem.as_ref().map(|p| p.kind.as_str()),
                    c.problem.as_ref().map(|p| p.message.as_str()),
                    c.recorded_at
                ],
            )?;
            Ok(())
        })
    }

    /// The component with this SHA-256, if it was ever recorded.
    pub fn component(&self, sha256: &str) -> Result<Option<ComponentRecord>, ConnectionError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    &format!("{SELECT} WHERE sha256 = ?1"),
                    params![sha256],
                    component_row,
                )
                .optional()?)
        })
    }

    /// Every recorded component, by name then time recorded.
    pub fn components(&self) -> Result<Vec<ComponentRecord>, ConnectionError> {
        self.with(|db| {
            let mut stmt = db.prepare(&format!("{SELECT} ORDER BY name, recorded_at, sha256"))?;
            let rows = stmt
                .query_map([], component_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Make `sha256` the current installed version of plugin `name` (audited).
    pub fn set_installed(
        &self,
        name: &str,
        sha256: &str,
        version: &str,
    ) -> Result<(), ConnectionError> {
        let now = unix(SystemTime::now());
        self.with(|db| {
            let before: Option<String> = db
                .query_row(
                    "SELECT sha256 FROM installed_plugins WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()?;
            if before.as_deref() == Some(sha256) {
                return Ok(());
            }
            db.execute(
                "INSERT INTO installed_plugins (name, sha256, installed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET sha256 = excluded.sha256,
                     installed_at = excluded.installed_at",
                params![name, sha256, now],
            )?;
            audit::append(
                db,
                "plugin",
                &format!("plugin {name} {version} installed (sha256 {sha256})"),
            )?;
            Ok(())
        })
    }

    /// The current installed version of plugin `name`.
    pub fn installed(&self, name: &str) -> Result<Option<String>, ConnectionError> {
        self.with(|db| {
            Ok(db
                .query_row(
                    "SELECT sha256 FROM installed_plugins WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Every installed plugin name and the SHA-256 of its current version.
    pub fn installed_all(&self) -> Result<Vec<(String, String)>, ConnectionError> {
        self.with(|db| {
            let mut stmt =
                db.prepare("SELECT name, sha256 FROM installed_plugins ORDER BY name")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

/// Facts as stored.
pub(super) fn facts_json(facts: &ComponentFacts) -> String {
    // A struct of strings and vectors always serialises.
    serde_json::to_string(facts).unwrap_or_default()
}

/// Facts as stored; unreadable facts (a newer ledgerlink's format) read as none.
pub(super) fn parse_facts(json: Option<String>) -> Option<ComponentFacts> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

const SELECT: &str = "SELECT sha256, origin, source, size, name, facts, problem_kind, problem,
    recorded_at FROM plugin_components";

fn component_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ComponentRecord> {
    let origin: String = r.get(1)?;
    let size: i64 = r.get(3)?;
    Ok(ComponentRecord {
        sha256: r.get(0)?,
        origin: ComponentOrigin::parse(&origin),
        source: r.get(2)?,
        size: u64::try_from(size).unwrap_or(0),
        name: r.get(4)?,
        facts: parse_facts(r.get(5)?),
        problem: match (
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
        ) {
            (Some(kind), Some(message)) => Some(Problem {
                kind: if kind == "refused" {
                    ProblemKind::Refused
                } else {
                    ProblemKind::Broken
                },
                message,
            }),
            _ => None,
        },
        recorded_at: r.get(8)?,
    })
}
