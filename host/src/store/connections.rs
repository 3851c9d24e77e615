//! Connections: one installed connector + its non-secret settings + its credential health.
//!
//! Secrets are never here: tokens, client secrets and API keys live in the vault
//! (`auth::vault`). This table holds what an admin may see: names, settings, routes, status,
//! expiry times and the last refresh outcome.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::db::{self, DbError};
use super::plugins::{Pin, PluginStore, facts_json, parse_facts};

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Added, never connected (or credentials removed).
    NotConnected,
    /// Credentials work.
    Connected,
    /// The vendor refused the credentials for good; an admin must reconnect.
    NeedsReconnect,
    /// The last attempt failed for another reason (network, vendor outage).
    Error,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::NotConnected => "not-connected",
            Status::Connected => "connected",
            Status::NeedsReconnect => "needs-reconnect",
            Status::Error => "error",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "connected" => Status::Connected,
            "needs-reconnect" => Status::NeedsReconnect,
            "error" => Status::Error,
            _ => Status::NotConnected,
        }
    }
}

/// What an admin sees of a connection's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    /// Never connected.
    NotConnected,
    /// Working.
    Connected,
    /// Working, but the refresh token (or key) expires within [`EXPIRING_WITHIN`].
    Expiring,
    /// An admin must run `ledgerlink connect`.
    NeedsReconnect,
    /// The last attempt failed; it may recover by itself.
    Error,
}

/// How close to its refresh-token expiry a connection is reported `expiring`.
pub const EXPIRING_WITHIN: Duration = Duration::from_secs(7 * 24 * 3600);

/// A stored connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Connection {
    /// Unique name, e.g. "acme-xero".
    pub name: String,
    /// The connector plugin's name, e.g. "xero".
    pub connector: String,
    /// Non-secret settings handed to the plugin through `config`.
    pub settings: BTreeMap<String, String>,
    /// Origin → base URL redirections (to a sandbox), applied by the host after the allowlist.
    pub routes: BTreeMap<String, String>,
    /// Stored status.
    pub status: Status,
    /// Why, for needs-reconnect and error: what happened and what to run.
    pub status_message: Option<String>,
    /// When the access token expires (Unix seconds).
    pub access_expires_at: Option<i64>,
    /// When the refresh token expires (Unix seconds), when known.
    pub refresh_expires_at: Option<i64>,
    /// When the tokens were last refreshed (Unix seconds).
    pub last_refresh_at: Option<i64>,
    /// The outcome of the last refresh ("ok", "invalid_grant", ...).
    pub last_refresh_outcome: Option<String>,
    /// The exact component this connection runs, and what it declared when pinned. `None`
    /// only for a connection made before components were recorded, until its first use.
    pub component: Option<Pin>,
}

impl Connection {
    /// The health an admin sees at `now`.
    pub fn health(&self, now: SystemTime) -> Health {
        match self.status {
            Status::NotConnected => Health::NotConnected,
            Status::NeedsReconnect => Health::NeedsReconnect,
            Status::Error => Health::Error,
            Status::Connected => {
                let soon = unix(now) + EXPIRING_WITHIN.as_secs() as i64;
                if self.refresh_expires_at.is_some_and(|t| t <= soon) {
                    Health::Expiring
                } else {
                    Health::Connected
                }
            }
        }
    }
}

/// Why a connection operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No such connection.
    #[error("there is no connection called {0:?}; `ledgerlink connections list` shows them")]
    NotFound(String),
    /// The name is taken.
    #[error("a connection called {0:?} already exists; pick another name or remove it first")]
    Exists(String),
    /// The name is not allowed.
    #[error(
        "{0:?} is not a valid connection name: use 1-64 lowercase letters, digits and '-', starting with a letter"
    )]
    InvalidName(String),
}

impl From<rusqlite::Error> for ConnectionError {
    fn from(e: rusqlite::Error) -> Self {
        ConnectionError::Db(DbError::Query(e))
    }
}

/// Seconds since the Unix epoch.
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The connections table. Cheap to clone; safe to share between threads and processes.
#[derive(Debug, Clone)]
pub struct ConnectionStore {
    db: Arc<Mutex<rusqlite::Connection>>,
}

/// The fields a token refresh updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenHealth {
    /// Access token expiry.
    pub access_expires_at: Option<i64>,
    /// Refresh token expiry.
    pub refresh_expires_at: Option<i64>,
}

impl ConnectionStore {
    /// Open the store in `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, ConnectionError> {
        Ok(Self {
            db: Arc::new(Mutex::new(db::open(db_path)?)),
        })
    }

    /// The database handle, for the other stores of the same process to share
    /// ([`crate::store::sync_state::SyncState::from_shared`], [`crate::store::home::HomeStore::from_shared`]).
    /// Every store locks it for one statement or one transaction at a time and never calls
    /// another store while holding it.
    pub fn shared_db(&self) -> Arc<Mutex<rusqlite::Connection>> {
        Arc::clone(&self.db)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, ConnectionError>,
    ) -> Result<T, ConnectionError> {
        // A poisoned lock means a panic mid-query elsewhere; SQLite's own transaction kept the
        // data consistent, so carrying on with the connection is safe.
        let guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&guard)
    }

    /// The plugin registry's tables, on the same database.
    pub fn plugins(&self) -> PluginStore {
        PluginStore::new(self.db.clone())
    }

    /// Pin `name` to `pin`'s component, if it still runs `was` (`None`: not pinned yet).
    /// Returns whether it changed: `false` when another process pinned or upgraded it first.
    pub fn pin(&self, name: &str, pin: &Pin, was: Option<&str>) -> Result<bool, ConnectionError> {
        let facts = facts_json(&pin.facts);
        self.with(|db| {
            let changed = db.execute(
                "UPDATE connections SET component_sha256 = ?2, component_facts = ?3,
                     updated_at = unixepoch()
                 WHERE name = ?1 AND component_sha256 IS ?4",
                params![name, pin.sha256, facts, was],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            let detail = match was {
                None => format!(
                    "connection {name}: pinned to component {} {} (sha256 {})",
                    pin.facts.name, pin.facts.version, pin.sha256
                ),
                Some(old) => format!(
                    "connection {name}: upgraded from component sha256 {old} to {} {} (sha256 {})",
                    pin.facts.name, pin.facts.version, pin.sha256
                ),
            };
            audit(db, "connection", &detail)?;
            Ok(true)
        })
    }

    /// Add a connection, not pinned to a component yet (the registry pins it on first use).
    pub fn add(
        &self,
        name: &str,
        connector: &str,
        settings: &BTreeMap<String, String>,
    ) -> Result<Connection, ConnectionError> {
        self.insert(name, connector, settings, None)
    }

    /// Add a connection pinned to `pin`'s component, in one statement.
    pub fn add_pinned(
        &self,
        name: &str,
        connector: &str,
        settings: &BTreeMap<String, String>,
        pin: &Pin,
    ) -> Result<Connection, ConnectionError> {
        self.insert(name, connector, settings, Some(pin))
    }

    fn insert(
        &self,
        name: &str,
        connector: &str,
        settings: &BTreeMap<String, String>,
        pin: Option<&Pin>,
    ) -> Result<Connection, ConnectionError> {
        validate_name(name)?;
        let now = unix(SystemTime::now());
        let settings_json = serde_json::to_string(settings).unwrap_or_else(|_| "{}".to_owned());
        let sha256 = pin.map(|p| p.sha256.as_str());
        let facts = pin.map(|p| facts_json(&p.facts));
        self.with(|db| {
            let inserted = db.execute(
                "INSERT INTO connections (name, connector, settings, created_at, updated_at,
                     component_sha256, component_facts)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6) ON CONFLICT(name) DO NOTHING",
                params![name, connector, settings_json, now, sha256, facts],
            )?;
            if inserted == 0 {
                return Err(ConnectionError::Exists(name.to_owned()));
            }
            let keys: Vec<&str> = settings.keys().map(String::as_str).collect();
            audit(
                db,
                "connection",
                &format!(
                    "connection {name} added (connector {connector}; settings: {})",
                    if keys.is_empty() {
                        "none".to_owned()
                    } else {
                        keys.join(", ")
                    }
                ),
            )?;
            Ok(())
        })?;
        self.get(name)
    }

    /// One connection.
    pub fn get(&self, name: &str) -> Result<Connection, ConnectionError> {
        self.with(|db| {
            db.query_row(&format!("{SELECT} WHERE name = ?1"), params![name], row)
                .optional()?
                .ok_or_else(|| ConnectionError::NotFound(name.to_owned()))
        })
    }

    /// Every connection, by name.
    pub fn list(&self) -> Result<Vec<Connection>, ConnectionError> {
        self.with(|db| {
            let mut stmt = db.prepare(&format!("{SELECT} ORDER BY name"))?;
            let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Remove a connection.
    pub fn remove(&self, name: &str) -> Result<(), ConnectionError> {
        self.with(|db| {
            match db.execute("DELETE FROM connections WHERE name = ?1", params![name])? {
                0 => Err(ConnectionError::NotFound(name.to_owned())),
                _ => audit(db, "connection", &format!("connection {name} removed")),
            }
        })
    }

    /// Set (or with `None`, clear) one setting.
    pub fn set_setting(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), ConnectionError> {
        let mut c = self.get(name)?;
        match value {
            Some(v) => c.settings.insert(key.to_owned(), v.to_owned()),
            None => c.settings.remove(key),
        };
        let json = serde_json::to_string(&c.settings).unwrap_or_else(|_| "{}".to_owned());
        self.update(name, "settings = ?2", params![name, json])?;
        // Settings are not secret (secrets live in the vault), so the value is recorded.
        let detail = match value {
            Some(v) => format!("connection {name}: setting {key} set to {v:?}"),
            None => format!("connection {name}: setting {key} cleared"),
        };
        self.with(|db| audit(db, "connection", &detail))
    }

    /// Replace the routes.
    pub fn set_routes(
        &self,
        name: &str,
        routes: &BTreeMap<String, String>,
    ) -> Result<(), ConnectionError> {
        let before = self.get(name)?.routes;
        let json = serde_json::to_string(routes).unwrap_or_else(|_| "{}".to_owned());
        self.update(name, "routes = ?2", params![name, json])?;
        if &before == routes {
            return Ok(());
        }
        let detail = if routes.is_empty() {
            format!("connection {name}: routes cleared")
        } else {
            let list: Vec<String> = routes
                .iter()
                .map(|(from, to)| format!("{from} → {to}"))
                .collect();
            format!("connection {name}: routes set: {}", list.join(", "))
        };
        self.with(|db| audit(db, "connection", &detail))
    }

    /// Record a successful connect or refresh.
    pub fn record_tokens(
        &self,
        name: &str,
        health: &TokenHealth,
        now: SystemTime,
    ) -> Result<(), ConnectionError> {
        let was = self.get(name)?.status;
        if was != Status::Connected {
            self.with(|db| {
                audit(
                    db,
                    "connection",
                    &format!("connection {name}: connected (was {})", was.as_str()),
                )
            })?;
        }
        self.update(
            name,
            "status = 'connected', status_message = NULL, access_expires_at = ?2,
             refresh_expires_at = COALESCE(?3, refresh_expires_at), last_refresh_at = ?4,
             last_refresh_outcome = 'ok'",
            params![
                name,
                health.access_expires_at,
                health.refresh_expires_at,
                unix(now)
            ],
        )
    }

    /// Record a failed refresh and the status it leads to, with the message for the admin.
    pub fn record_failure(
        &self,
        name: &str,
        status: Status,
        outcome: &str,
        message: &str,
        now: SystemTime,
    ) -> Result<(), ConnectionError> {
        let was = self.get(name)?.status;
        if was != status {
            self.with(|db| {
                audit(
                    db,
                    "connection",
                    &format!(
                        "connection {name}: {} (was {}): {message}",
                        status.as_str(),
                        was.as_str()
                    ),
                )
            })?;
        }
        self.update(
            name,
            "status = ?2, status_message = ?3, last_refresh_at = ?4, last_refresh_outcome = ?5",
            params![name, status.as_str(), message, unix(now), outcome],
        )
    }

    /// Forget credential health (after credentials are removed).
    pub fn clear_tokens(&self, name: &str) -> Result<(), ConnectionError> {
        self.update(
            name,
            "status = 'not-connected', status_message = NULL, access_expires_at = NULL,
             refresh_expires_at = NULL",
            params![name],
        )?;
        self.with(|db| {
            audit(
                db,
                "connection",
                &format!("connection {name}: credentials removed"),
            )
        })
    }

    fn update(
        &self,
        name: &str,
        set: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), ConnectionError> {
        let sql = format!("UPDATE connections SET {set}, updated_at = unixepoch() WHERE name = ?1");
        self.with(|db| match db.execute(&sql, params)? {
            0 => Err(ConnectionError::NotFound(name.to_owned())),
            _ => Ok(()),
        })
    }
}

const SELECT: &str = "SELECT name, connector, settings, routes, status, status_message,
    access_expires_at, refresh_expires_at, last_refresh_at, last_refresh_outcome,
    component_sha256, component_facts FROM connections";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Connection> {
    let settings: String = r.get(2)?;
    let routes: String = r.get(3)?;
    let status: String = r.get(4)?;
    Ok(Connection {
        name: r.get(0)?,
        connector: r.get(1)?,
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        routes: serde_json::from_str(&routes).unwrap_or_default(),
        status: Status::parse(&status),
        status_message: r.get(5)?,
        access_expires_at: r.get(6)?,
        refresh_expires_at: r.get(7)?,
        last_refresh_at: r.get(8)?,
        last_refresh_outcome: r.get(9)?,
        component: match (r.get::<_, Option<String>>(10)?, parse_facts(r.get(11)?)) {
            (Some(sha256), Some(facts)) => Some(Pin { sha256, facts }),
            _ => None,
        },
    })
}

fn validate_name(name: &str) -> Result<(), ConnectionError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ConnectionError::InvalidName(name.to_owned()))
    }
}

/// Append to the audit log ([`super::audit`], the same table runs are recorded in).
fn audit(db: &rusqlite::Connection, action: &str, detail: &str) -> Result<(), ConnectionError> {
    Ok(super::audit::append(db, action, detail)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ConnectionStore) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let s = ConnectionStore::open(&tmp.path().join("ledgerlink.db")).expect("open");
        (tmp, s)
    }

    #[test]
    fn add_get_list_remove() {
        let (_tmp, s) = store();
        let settings = BTreeMap::from([("tenant-id".to_owned(), "abc".to_owned())]);
        let c = s.add("acme-xero", "xero", &settings).expect("add");
        assert_eq!(c.status, Status::NotConnected);
        assert_eq!(c.settings, settings);
        assert!(matches!(
            s.add("acme-xero", "xero", &settings),
            Err(ConnectionError::Exists(_))
        ));
        s.add("beta", "csv", &BTreeMap::new()).expect("add");
        let names: Vec<_> = s
            .list()
            .expect("list")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["acme-xero", "beta"]);
        s.remove("beta").expect("remove");
        assert_eq!(
            s.get("beta").expect_err("gone").to_string(),
            "there is no connection called \"beta\"; `ledgerlink connections list` shows them"
        );
    }

    #[test]
    fn health_follows_tokens_and_failures() {
        let (_tmp, s) = store();
        s.add("a", "xero", &BTreeMap::new()).expect("add");
        let now = SystemTime::now();
        let in_days = |d: i64| unix(now) + d * 86_400;
        s.record_tokens(
            "a",
            &TokenHealth {
                access_expires_at: Some(in_days(0) + 1800),
                refresh_expires_at: Some(in_days(60)),
            },
            now,
        )
        .expect("record");
        let c = s.get("a").expect("get");
        assert_eq!(c.health(now), Health::Connected);
        assert_eq!(c.last_refresh_outcome.as_deref(), Some("ok"));
        s.record_tokens(
            "a",
            &TokenHealth {
                access_expires_at: Some(in_days(0)),
                refresh_expires_at: Some(in_days(3)),
            },
            now,
        )
        .expect("record");
        assert_eq!(s.get("a").expect("get").health(now), Health::Expiring);
        s.record_failure(
            "a",
            Status::NeedsReconnect,
            "invalid_grant",
            "run `ledgerlink connect a`",
            now,
        )
        .expect("fail");
        let c = s.get("a").expect("get");
        assert_eq!(c.health(now), Health::NeedsReconnect);
        assert_eq!(
            c.status_message.as_deref(),
            Some("run `ledgerlink connect a`")
        );
    }

    #[test]
    fn names_are_validated() {
        let (_tmp, s) = store();
        assert_eq!(
            s.add("Acme Xero", "xero", &BTreeMap::new())
                .expect_err("bad")
                .to_string(),
            "\"Acme Xero\" is not a valid connection name: use 1-64 lowercase letters, digits and '-', starting with a letter"
        );
    }
}
