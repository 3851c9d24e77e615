//! Connections: one installed connector + its non-secret settings + its credential health.
//!
//! Secrets are never here: tokens, client secrets and API keys live in the vault
//! (`auth::vault`). This table holds what an admin may see: names, settings, routes, status,
//! expiry times and the last refresh outcome.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::db::{self, DbError};
use super::plugins::{Pin, PluginStore, facts_json, parse_facts};
use super::sql::{self, Db, Row, Tx, Value};

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

impl From<sql::Error> for ConnectionError {
    fn from(e: sql::Error) -> Self {
        ConnectionError::Db(DbError::Sql(e))
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
    db: Db,
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
    /// Open the store in the SQLite database `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, ConnectionError> {
        Ok(Self::from_db(Db::sqlite(Arc::new(Mutex::new(db::open(
            db_path,
        )?)))))
    }

    /// Over a database on either engine ([`super::engine::open`]).
    pub fn from_db(db: Db) -> Self {
        Self { db }
    }

    /// The database, for the other stores of the same process to share, on either engine.
    pub fn db(&self) -> Db {
        self.db.clone()
    }

    /// The plugin registry's tables, on the same database.
    pub fn plugins(&self) -> PluginStore {
        PluginStore::from_db(self.db.clone())
    }

    /// Pin `name` to `pin`'s component, if it still runs `was` (`None`: not pinned yet).
    /// Returns whether it changed: `false` when another process pinned or upgraded it first.
    pub fn pin(&self, name: &str, pin: &Pin, was: Option<&str>) -> Result<bool, ConnectionError> {
        let facts = facts_json(&pin.facts);
        let now = unix(SystemTime::now());
        self.db.transaction(|tx| {
            let changed = tx.execute(
                "UPDATE connections SET component_sha256 = ?2, component_facts = ?3,
                     updated_at = ?5
                 WHERE name = ?1 AND component_sha256 IS NOT DISTINCT FROM ?4",
                &[
                    name.into(),
                    pin.sha256.as_str().into(),
                    facts.into(),
                    was.into(),
                    Value::Int(now),
                ],
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
            audit(tx, "connection", &detail)?;
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
        self.db.transaction(|tx| {
            let inserted = tx.execute(
                "INSERT INTO connections (name, connector, settings, created_at, updated_at,
                     component_sha256, component_facts)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6) ON CONFLICT(name) DO NOTHING",
                &[
                    name.into(),
                    connector.into(),
                    settings_json.into(),
                    Value::Int(now),
                    sha256.into(),
                    facts.into(),
                ],
            )?;
            if inserted == 0 {
                return Err(ConnectionError::Exists(name.to_owned()));
            }
            let keys: Vec<&str> = settings.keys().map(String::as_str).collect();
            audit(
                tx,
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
        match self
            .db
            .query_opt(&format!("{SELECT} WHERE name = ?1"), &[name.into()])?
        {
            Some(r) => Ok(row(&r)?),
            None => Err(ConnectionError::NotFound(name.to_owned())),
        }
    }

    /// Every connection, by name (bytewise, on both engines).
    pub fn list(&self) -> Result<Vec<Connection>, ConnectionError> {
        let rows = self.db.query(
            &format!("{SELECT} ORDER BY name{}", self.db.engine().bytewise()),
            &[],
        )?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Remove a connection.
    pub fn remove(&self, name: &str) -> Result<(), ConnectionError> {
        self.db.transaction(|tx| {
            match tx.execute("DELETE FROM connections WHERE name = ?1", &[name.into()])? {
                0 => Err(ConnectionError::NotFound(name.to_owned())),
                _ => audit(tx, "connection", &format!("connection {name} removed")),
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
        self.update(name, "settings = ?2", vec![name.into(), json.into()])?;
        // Settings are not secret (secrets live in the vault), so the value is recorded.
        let detail = match value {
            Some(v) => format!("connection {name}: setting {key} set to {v:?}"),
            None => format!("connection {name}: setting {key} cleared"),
        };
        self.audit("connection", &detail)
    }

    /// Replace the routes.
    pub fn set_routes(
        &self,
        name: &str,
        routes: &BTreeMap<String, String>,
    ) -> Result<(), ConnectionError> {
        let before = self.get(name)?.routes;
        let json = serde_json::to_string(routes).unwrap_or_else(|_| "{}".to_owned());
        self.update(name, "routes = ?2", vec![name.into(), json.into()])?;
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
        self.audit("connection", &detail)
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
            self.audit(
                "connection",
                &format!("connection {name}: connected (was {})", was.as_str()),
            )?;
        }
        self.update(
            name,
            "status = 'connected', status_message = NULL, access_expires_at = ?2,
             refresh_expires_at = COALESCE(?3, refresh_expires_at), last_refresh_at = ?4,
             last_refresh_outcome = 'ok'",
            vec![
                name.into(),
                health.access_expires_at.into(),
                health.refresh_expires_at.into(),
                Value::Int(unix(now)),
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
            self.audit(
                "connection",
                &format!(
                    "connection {name}: {} (was {}): {message}",
                    status.as_str(),
                    was.as_str()
                ),
            )?;
        }
        self.update(
            name,
            "status = ?2, status_message = ?3, last_refresh_at = ?4, last_refresh_outcome = ?5",
            vec![
                name.into(),
                status.as_str().into(),
                message.into(),
                Value::Int(unix(now)),
                outcome.into(),
            ],
        )
    }

    /// Forget credential health (after credentials are removed).
    pub fn clear_tokens(&self, name: &str) -> Result<(), ConnectionError> {
        self.update(
            name,
            "status = 'not-connected', status_message = NULL, access_expires_at = NULL,
             refresh_expires_at = NULL",
            vec![name.into()],
        )?;
        self.audit(
            "connection",
            &format!("connection {name}: credentials removed"),
        )
    }

    /// Set `set` (whose placeholders are `?2`... after the name's `?1`) on connection `name`,
    /// and its `updated_at` to now.
    fn update(&self, name: &str, set: &str, mut params: Vec<Value>) -> Result<(), ConnectionError> {
        params.push(Value::Int(unix(SystemTime::now())));
        let sql = format!(
            "UPDATE connections SET {set}, updated_at = ?{} WHERE name = ?1",
            params.len()
        );
        match self.db.execute(&sql, &params)? {
            0 => Err(ConnectionError::NotFound(name.to_owned())),
            _ => Ok(()),
        }
    }

    fn audit(&self, action: &str, detail: &str) -> Result<(), ConnectionError> {
        self.db.transaction(|tx| audit(tx, action, detail))
    }
}

const SELECT: &str = "SELECT name, connector, settings, routes, status, status_message,
    access_expires_at, refresh_expires_at, last_refresh_at, last_refresh_outcome,
    component_sha256, component_facts FROM connections";

fn row(r: &Row) -> Result<Connection, sql::Error> {
    Ok(Connection {
        name: r.text(0)?,
        connector: r.text(1)?,
        settings: serde_json::from_str(&r.text(2)?).unwrap_or_default(),
        routes: serde_json::from_str(&r.text(3)?).unwrap_or_default(),
        status: Status::parse(&r.text(4)?),
        status_message: r.opt_text(5)?,
        access_expires_at: r.opt_i64(6)?,
        refresh_expires_at: r.opt_i64(7)?,
        last_refresh_at: r.opt_i64(8)?,
        last_refresh_outcome: r.opt_text(9)?,
        component: match (r.opt_text(10)?, parse_facts(r.opt_text(11)?)) {
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

/// Append to the audit log inside `tx` ([`super::audit::record`]).
pub(super) fn audit(tx: &Tx<'_>, action: &str, detail: &str) -> Result<(), ConnectionError> {
    super::audit::record(tx, action, detail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::plugins::{AuthFacts, ComponentFacts};
    use crate::store::sql::each_engine::each_engine;

    fn facts(version: &str) -> ComponentFacts {
        ComponentFacts {
            name: "xero".to_owned(),
            display_name: "Xero".to_owned(),
            version: version.to_owned(),
            contract: "0.1.0".to_owned(),
            capabilities: vec!["push-invoices".to_owned()],
            auth: AuthFacts::None,
            allowed_hosts: vec!["https://api.xero.com:443".to_owned()],
        }
    }

    fn names(s: &ConnectionStore) -> Vec<String> {
        s.list()
            .expect("list")
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    fn audit_lines(db: &Db) -> Vec<String> {
        db.query(
            "SELECT detail FROM audit_log WHERE action = 'connection' ORDER BY id",
            &[],
        )
        .expect("reads")
        .iter()
        .map(|r| r.text(0).expect("detail"))
        .collect()
    }

    #[test]
    fn add_get_list_remove() {
        for t in each_engine() {
            let s = ConnectionStore::from_db(t.open());
            let settings = BTreeMap::from([("tenant-id".to_owned(), "abc".to_owned())]);
            let c = s.add("acme-xero", "xero", &settings).expect("add");
            assert_eq!(c.status, Status::NotConnected);
            assert_eq!(c.settings, settings);
            assert!(matches!(
                s.add("acme-xero", "xero", &settings),
                Err(ConnectionError::Exists(_))
            ));
            s.add("beta", "csv", &BTreeMap::new()).expect("add");
            assert_eq!(names(&s), ["acme-xero", "beta"]);
            s.remove("beta").expect("remove");
            assert_eq!(
                s.get("beta").expect_err("gone").to_string(),
                "there is no connection called \"beta\"; `ledgerlink connections list` shows them"
            );
        }
    }

    #[test]
    fn health_follows_tokens_and_failures() {
        for t in each_engine() {
            let s = ConnectionStore::from_db(t.open());
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
    }

    #[test]
    fn names_are_validated() {
        for t in each_engine() {
            let s = ConnectionStore::from_db(t.open());
            assert_eq!(
                s.add("Acme Xero", "xero", &BTreeMap::new())
                    .expect_err("bad")
                    .to_string(),
                "\"Acme Xero\" is not a valid connection name: use 1-64 lowercase letters, digits and '-', starting with a letter"
            );
        }
    }

    #[test]
    fn settings_routes_and_credentials_are_kept_and_audited() {
        for t in each_engine() {
            let db = t.open();
            let s = ConnectionStore::from_db(db.clone());
            s.add("a", "xero", &BTreeMap::new()).expect("add");
            s.set_setting("a", "tenant-id", Some("t-1")).expect("set");
            s.set_setting("a", "region", Some("eu")).expect("set");
            s.set_setting("a", "region", None).expect("clear");
            let routes = BTreeMap::from([(
                "https://api.xero.com:443".to_owned(),
                "http://127.0.0.1:9000".to_owned(),
            )]);
            s.set_routes("a", &routes).expect("routes");
            s.set_routes("a", &routes)
                .expect("the same routes, not audited again");
            s.record_tokens("a", &TokenHealth::default(), SystemTime::now())
                .expect("tokens");
            s.clear_tokens("a").expect("clear");
            let c = s.get("a").expect("get");
            assert_eq!(
                c.settings,
                BTreeMap::from([("tenant-id".to_owned(), "t-1".to_owned())])
            );
            assert_eq!(c.routes, routes);
            assert_eq!(
                (c.status, c.access_expires_at, c.last_refresh_outcome),
                (Status::NotConnected, None, Some("ok".to_owned()))
            );
            assert_eq!(
                s.set_setting("nope", "k", Some("v"))
                    .expect_err("no such connection")
                    .to_string(),
                "there is no connection called \"nope\"; `ledgerlink connections list` shows them"
            );
            assert_eq!(
                audit_lines(&db),
                [
                    "connection a added (connector xero; settings: none)",
                    "connection a: setting tenant-id set to \"t-1\"",
                    "connection a: setting region set to \"eu\"",
                    "connection a: setting region cleared",
                    "connection a: routes set: https://api.xero.com:443 → http://127.0.0.1:9000",
                    "connection a: connected (was not-connected)",
                    "connection a: credentials removed",
                ]
            );
        }
    }

    /// `list` orders names by their bytes on both engines (PostgreSQL's own collation
    /// would not, in another locale than C).
    #[test]
    fn list_orders_names_bytewise() {
        for t in each_engine() {
            let s = ConnectionStore::from_db(t.open());
            for name in ["b", "ab", "a-c", "a1", "a"] {
                s.add(name, "csv", &BTreeMap::new()).expect("add");
            }
            assert_eq!(names(&s), ["a", "a-c", "a1", "ab", "b"], "{:?}", t.engine());
        }
    }

    #[test]
    fn a_pin_changes_only_what_it_was_read_as() {
        for t in each_engine() {
            let db = t.open();
            let s = ConnectionStore::from_db(db.clone());
            s.add("a", "xero", &BTreeMap::new()).expect("add");
            let v1 = Pin {
                sha256: "11".repeat(32),
                facts: facts("1.0.0"),
            };
            let v2 = Pin {
                sha256: "22".repeat(32),
                facts: facts("2.0.0"),
            };
            // Not pinned yet: only a pin from "not pinned" takes.
            assert!(!s.pin("a", &v1, Some(&v2.sha256)).expect("pin"));
            assert!(s.pin("a", &v1, None).expect("pin"));
            assert!(!s.pin("a", &v2, None).expect("pinned by another first"));
            assert!(s.pin("a", &v2, Some(&v1.sha256)).expect("upgrade"));
            assert_eq!(s.get("a").expect("get").component, Some(v2.clone()));
            let pinned = s
                .add_pinned("b", "xero", &BTreeMap::new(), &v1)
                .expect("add pinned");
            assert_eq!(pinned.component, Some(v1.clone()));
            assert_eq!(
                audit_lines(&db)[1..3],
                [
                    format!(
                        "connection a: pinned to component xero 1.0.0 (sha256 {})",
                        v1.sha256
                    ),
                    format!(
                        "connection a: upgraded from component sha256 {} to xero 2.0.0 (sha256 {})",
                        v1.sha256, v2.sha256
                    ),
                ]
            );
        }
    }

    /// Engine-dependent: four processes adding one name at once; the insert's `ON CONFLICT`
    /// makes one the winner and the others told the name is taken, on both engines.
    #[test]
    fn one_name_added_at_once_by_four_is_added_once() {
        for t in each_engine() {
            let stores: Vec<ConnectionStore> =
                (0..4).map(|_| ConnectionStore::from_db(t.open())).collect();
            let barrier = std::sync::Barrier::new(stores.len());
            let results: Vec<Result<Connection, String>> = std::thread::scope(|scope| {
                let handles: Vec<_> = stores
                    .iter()
                    .map(|s| {
                        let barrier = &barrier;
                        scope.spawn(move || {
                            barrier.wait();
                            s.add("acme", "xero", &BTreeMap::new())
                                .map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("joins"))
                    .collect()
            });
            assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
            for err in results.iter().filter_map(|r| r.as_ref().err()) {
                assert_eq!(
                    err,
                    "a connection called \"acme\" already exists; pick another name or remove it first"
                );
            }
            assert_eq!(stores[0].list().expect("list").len(), 1);
        }
    }
}
