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

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::connections::{ConnectionError, audit, unix};
use super::sql::{self, Db, Row, Value};

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

/// The plugin registry's tables. Shares the database of a
/// [`ConnectionStore`](super::connections::ConnectionStore).
#[derive(Debug, Clone)]
pub struct PluginStore {
    db: Db,
}

impl PluginStore {
    /// Over a database on either engine ([`super::engine::open`]).
    pub fn from_db(db: Db) -> Self {
        Self { db }
    }

    /// Record (or replace what is known of) a component.
    pub fn record(&self, c: &ComponentRecord) -> Result<(), ConnectionError> {
        let facts = c.facts.as_ref().map(facts_json);
        self.db.execute(
            "INSERT INTO plugin_components
                 (sha256, origin, source, size, name, facts, problem_kind, problem,
                  recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(sha256) DO UPDATE SET
                 source = excluded.source, name = excluded.name, facts = excluded.facts,
                 problem_kind = excluded.problem_kind, problem = excluded.problem,
                 recorded_at = excluded.recorded_at",
            &[
                c.sha256.as_str().into(),
                c.origin.as_str().into(),
                c.source.as_str().into(),
                Value::Int(i64::try_from(c.size).unwrap_or(i64::MAX)),
                c.name.as_str().into(),
                facts.into(),
                c.problem.as_ref().map(|p| p.kind.as_str()).into(),
                c.problem.as_ref().map(|p| p.message.as_str()).into(),
                Value::Int(c.recorded_at),
            ],
        )?;
        Ok(())
    }

    /// The component with this SHA-256, if it was ever recorded.
    pub fn component(&self, sha256: &str) -> Result<Option<ComponentRecord>, ConnectionError> {
        let found = self
            .db
            .query_opt(&format!("{SELECT} WHERE sha256 = ?1"), &[sha256.into()])?;
        Ok(found.as_ref().map(component_row).transpose()?)
    }

    /// Every recorded component, by name then time recorded (names by their bytes, on both
    /// engines).
    pub fn components(&self) -> Result<Vec<ComponentRecord>, ConnectionError> {
        let bytewise = self.db.engine().bytewise();
        let rows = self.db.query(
            &format!("{SELECT} ORDER BY name{bytewise}, recorded_at, sha256{bytewise}"),
            &[],
        )?;
        Ok(rows.iter().map(component_row).collect::<Result<_, _>>()?)
    }

    /// Make `sha256` the current installed version of plugin `name` (audited).
    pub fn set_installed(
        &self,
        name: &str,
        sha256: &str,
        version: &str,
    ) -> Result<(), ConnectionError> {
        let now = unix(SystemTime::now());
        self.db.transaction(|tx| {
            let before = tx.query_opt(
                "SELECT sha256 FROM installed_plugins WHERE name = ?1",
                &[name.into()],
            )?;
            if before.map(|r| r.text(0)).transpose()?.as_deref() == Some(sha256) {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO installed_plugins (name, sha256, installed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET sha256 = excluded.sha256,
                     installed_at = excluded.installed_at",
                &[name.into(), sha256.into(), Value::Int(now)],
            )?;
            audit(
                tx,
                "plugin",
                &format!("plugin {name} {version} installed (sha256 {sha256})"),
            )
        })
    }

    /// The current installed version of plugin `name`.
    pub fn installed(&self, name: &str) -> Result<Option<String>, ConnectionError> {
        let found = self.db.query_opt(
            "SELECT sha256 FROM installed_plugins WHERE name = ?1",
            &[name.into()],
        )?;
        Ok(found.map(|r| r.text(0)).transpose()?)
    }

    /// Every installed plugin name and the SHA-256 of its current version, by name (bytes).
    pub fn installed_all(&self) -> Result<Vec<(String, String)>, ConnectionError> {
        let rows = self.db.query(
            &format!(
                "SELECT name, sha256 FROM installed_plugins ORDER BY name{}",
                self.db.engine().bytewise()
            ),
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect::<Result<_, sql::Error>>()?)
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

fn component_row(r: &Row) -> Result<ComponentRecord, sql::Error> {
    Ok(ComponentRecord {
        sha256: r.text(0)?,
        origin: ComponentOrigin::parse(&r.text(1)?),
        source: r.text(2)?,
        size: u64::try_from(r.i64(3)?).unwrap_or(0),
        name: r.text(4)?,
        facts: parse_facts(r.opt_text(5)?),
        problem: match (r.opt_text(6)?, r.opt_text(7)?) {
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
        recorded_at: r.i64(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::connections::ConnectionStore;
    use crate::store::sql::each_engine::each_engine;

    fn facts(name: &str) -> ComponentFacts {
        ComponentFacts {
            name: name.to_owned(),
            display_name: name.to_uppercase(),
            version: "1.2.0".to_owned(),
            contract: "0.1.0".to_owned(),
            capabilities: vec!["pull-customers".to_owned()],
            auth: AuthFacts::ApiKey {
                header: "Authorization".to_owned(),
                prefix: Some("Bearer ".to_owned()),
            },
            allowed_hosts: vec!["https://api.example.com:443".to_owned()],
        }
    }

    fn component(sha: &str, name: &str, recorded_at: i64) -> ComponentRecord {
        ComponentRecord {
            sha256: sha.repeat(32),
            origin: ComponentOrigin::Installed,
            source: format!("/plugins/{name}.wasm"),
            size: 4096,
            name: name.to_owned(),
            facts: Some(facts(name)),
            problem: None,
            recorded_at,
        }
    }

    #[test]
    fn a_component_is_recorded_replaced_and_read_back() {
        for t in each_engine() {
            let p = ConnectionStore::from_db(t.open()).plugins();
            let mut c = component("ab", "acme", 100);
            p.record(&c).expect("records");
            assert_eq!(p.component(&c.sha256).expect("reads"), Some(c.clone()));
            assert_eq!(p.component(&"00".repeat(32)).expect("reads"), None);
            // Seen again, now broken: what is known of it is replaced, its origin kept.
            let again = ComponentRecord {
                origin: ComponentOrigin::BuiltIn,
                source: "/elsewhere/acme.wasm".to_owned(),
                facts: None,
                problem: Some(Problem {
                    kind: ProblemKind::Broken,
                    message: "its manifest call timed out".to_owned(),
                }),
                recorded_at: 200,
                ..c.clone()
            };
            p.record(&again).expect("records");
            c = ComponentRecord {
                origin: ComponentOrigin::Installed,
                ..again
            };
            assert_eq!(p.components().expect("reads"), vec![c]);
        }
    }

    /// Component names come from manifests and files, in any case: ordered by their bytes
    /// on both engines, also where PostgreSQL's collation is a linguistic one.
    #[test]
    fn components_and_installed_plugins_order_by_bytes() {
        for t in each_engine() {
            let db =
                t.open_linguistic(&[("plugin_components", "name"), ("installed_plugins", "name")]);
            let p = ConnectionStore::from_db(db).plugins();
            for (sha, name, at) in [
                ("01", "acme", 5),
                ("02", "Zeta", 5),
                ("03", "Acme", 5),
                ("04", "acme", 1),
                ("05", "beta", 5),
            ] {
                p.record(&component(sha, name, at)).expect("records");
                p.set_installed(name, &sha.repeat(32), "1.2.0")
                    .expect("installs");
            }
            let order: Vec<(String, i64)> = p
                .components()
                .expect("reads")
                .into_iter()
                .map(|c| (c.name, c.recorded_at))
                .collect();
            assert_eq!(
                order,
                [
                    ("Acme".to_owned(), 5),
                    ("Zeta".to_owned(), 5),
                    ("acme".to_owned(), 1),
                    ("acme".to_owned(), 5),
                    ("beta".to_owned(), 5),
                ],
                "{:?}",
                t.engine()
            );
            let installed: Vec<String> = p
                .installed_all()
                .expect("reads")
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            assert_eq!(installed, ["Acme", "Zeta", "acme", "beta"]);
        }
    }

    #[test]
    fn installing_a_version_changes_the_current_one_and_is_audited_once() {
        for t in each_engine() {
            let db = t.open();
            let p = ConnectionStore::from_db(db.clone()).plugins();
            let (v1, v2) = (component("11", "acme", 1), component("22", "acme", 2));
            p.record(&v1).expect("records");
            p.record(&v2).expect("records");
            assert_eq!(p.installed("acme").expect("reads"), None);
            p.set_installed("acme", &v1.sha256, "1.0.0")
                .expect("installs");
            p.set_installed("acme", &v1.sha256, "1.0.0")
                .expect("already current");
            p.set_installed("acme", &v2.sha256, "2.0.0")
                .expect("installs");
            assert_eq!(p.installed("acme").expect("reads"), Some(v2.sha256.clone()));
            assert_eq!(
                p.installed_all().expect("reads"),
                vec![("acme".to_owned(), v2.sha256.clone())]
            );
            let audit: Vec<String> = db
                .query(
                    "SELECT detail FROM audit_log WHERE action = 'plugin' ORDER BY id",
                    &[],
                )
                .expect("reads")
                .iter()
                .map(|r| r.text(0).expect("detail"))
                .collect();
            assert_eq!(
                audit,
                [
                    format!("plugin acme 1.0.0 installed (sha256 {})", v1.sha256),
                    format!("plugin acme 2.0.0 installed (sha256 {})", v2.sha256),
                ]
            );
        }
    }
}
