//! The server's people: users (argon2id hashes), browser sessions, personal API tokens, the
//! failed sign-ins that throttle guessing, and audit lines that name who made a change.
//! Tables `users`, `sessions`, `api_tokens`, `sign_in_failures` (migration 9).
//!
//! Secrets never rest here in the clear: a session id and an API token are kept as SHA-256
//! (they are long random values, so a plain digest is enough), a password as a PHC string.
//! Hashing and checking passwords is `server::passwords`; this module only stores.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::{OptionalExtension, params};

use super::connections::unix;
use super::db::{self, DbError};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Home book, compare, sync, runs, rollback, reports; not connections, credentials,
    /// plugins or users.
    Operator,
}

impl Role {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// A user (never with the hash: [`Accounts::password_hash`] reads that alone).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// A live session's user and its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// Who.
    pub user: User,
    /// The token a state-changing request made with this session must carry.
    pub csrf_token: String,
}

/// Why an accounts operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The name is taken.
    #[error("there is already a user {0}; choose another name")]
    Exists(String),
    /// No such user.
    #[error("there is no user {0}; `ledgerlink users add {0} --role operator` creates one")]
    NoUser(String),
    /// A stored role is not one this ledgerlink knows.
    #[error("user {0} has an unknown role in the database")]
    BadRole(String),
}

impl From<rusqlite::Error> for AccountsError {
    fn from(e: rusqlite::Error) -> Self {
        AccountsError::Db(DbError::Query(e))
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Seconds without a request after which a session ends.
    pub idle_secs: i64,
    /// Seconds after sign-in after which a session ends, however busy.
    pub absolute_secs: i64,
}

/// Handle on the account tables. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Arc<Mutex<rusqlite::Connection>>,
}

impl Accounts {
    /// Open the database at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self, AccountsError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(path)?))))
    }

    /// Over a connection shared with the other stores.
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> Result<T, AccountsError>,
    ) -> Result<T, AccountsError> {
        // SQLite keeps its own consistency; a poisoned mutex only means a panic elsewhere.
        let mut guard = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// How many users there are (none: the server serves only how to create one).
    pub fn user_count(&self) -> Result<i64, AccountsError> {
        self.with(|db| Ok(db.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
    }

    /// Add a user with this (already hashed) password.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        actor: &str,
    ) -> Result<User, AccountsError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                params![name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(AccountsError::Exists(name.to_owned()));
            }
            tx.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name, role.as_str(), password_hash, now()],
            )?;
            let id = tx.last_insert_rowid();
            audit_in(
                &tx,
                actor,
                "user",
                &format!("user {name} added ({})", role.as_str()),
            )?;
            tx.commit()?;
            Ok(User {
                id,
                name: name.to_owned(),
                role,
            })
        })
    }

    /// The user `name` and their password hash, if there is such a user.
    pub fn password_hash(&self, name: &str) -> Result<Option<(User, String)>, AccountsError> {
        self.with(|db| {
            let row = db
                .query_row(
                    "SELECT id, name, role, password_hash FROM users WHERE name = ?1",
                    params![name],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(id, name, role, hash)| Ok((user(id, name, &role)?, hash)))
                .transpose()
        })
    }

    /// The user `name`.
    pub fn user(&self, name: &str) -> Result<User, AccountsError> {
        self.password_hash(name)?
            .map(|(u, _)| u)
            .ok_or_else(|| AccountsError::NoUser(name.to_owned()))
    }

    /// Start a session whose cookie value hashes to `id_sha256`.
    pub fn create_session(
        &self,
        id_sha256: &str,
        user_id: i64,
        csrf_token: &str,
    ) -> Result<(), AccountsError> {
        self.with(|db| {
            let t = now();
            db.execute(
                "INSERT INTO sessions (id_sha256, user_id, csrf_token, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![id_sha256, user_id, csrf_token, t],
            )?;
            Ok(())
        })
    }

    /// The live session `id_sha256` (touching it), or `None` when there is none or it has
    /// expired (an expired one is deleted).
    pub fn session(
        &self,
        id_sha256: &str,
        limits: SessionLimits,
    ) -> Result<Option<SessionUser>, AccountsError> {
        self.with(|db| {
            let t = now();
            let row = db
                .query_row(
                    "SELECT u.id, u.name, u.role, s.csrf_token, s.created_at, s.last_seen_at
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_sha256 = ?1",
                    params![id_sha256],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, i64>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, name, role, csrf_token, created, seen)) = row else {
                return Ok(None);
            };
            if t - seen > limits.idle_secs || t - created > limits.absolute_secs {
                db.execute(
                    "DELETE FROM sessions WHERE id_sha256 = ?1",
                    params![id_sha256],
                )?;
                return Ok(None);
            }
            db.execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE id_sha256 = ?1",
                params![id_sha256, t],
            )?;
            Ok(Some(SessionUser {
                user: user(id, name, &role)?,
                csrf_token,
            }))
        })
    }

    /// End session `id_sha256`.
    pub fn end_session(&self, id_sha256: &str) -> Result<(), AccountsError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM sessions WHERE id_sha256 = ?1",
                params![id_sha256],
            )?;
            Ok(())
        })
    }

    /// Record a personal API token (its SHA-256) for `user`; returns its id.
    pub fn add_token(
        &self,
        user: &User,
        token_sha256: &str,
        label: &str,
    ) -> Result<i64, AccountsError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute(
                "INSERT INTO api_tokens (user_id, token_sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user.id, token_sha256, label, now()],
            )?;
            let id = tx.last_insert_rowid();
            audit_in(
                &tx,
                "cli",
                "token",
                &format!("API token {id} ({label}) created for user {}", user.name),
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// The user of the unrevoked token whose SHA-256 is `token_sha256`.
    pub fn token_user(&self, token_sha256: &str) -> Result<Option<User>, AccountsError> {
        self.with(|db| {
            let row = db
                .query_row(
                    "SELECT u.id, u.name, u.role, t.id FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_sha256 = ?1 AND t.revoked_at IS NULL",
                    params![token_sha256],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, name, role, token)) = row else {
                return Ok(None);
            };
            db.execute(
                "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                params![token, now()],
            )?;
            Ok(Some(user(id, name, &role)?))
        })
    }

    /// Revoke token `id`; false when there is no such live token.
    pub fn revoke_token(&self, id: i64) -> Result<bool, AccountsError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let n = tx.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now()],
            )?;
            if n > 0 {
                audit_in(&tx, "cli", "token", &format!("API token {id} revoked"))?;
            }
            tx.commit()?;
            Ok(n > 0)
        })
    }

    /// Every token (never its value).
    pub fn tokens(&self) -> Result<Vec<TokenLine>, AccountsError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT t.id, u.name, t.label, t.created_at, t.revoked_at IS NOT NULL
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(TokenLine {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        label: r.get(2)?,
                        created_at: r.get(3)?,
                        revoked: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Failed sign-ins for this account and this address within the last `window_secs`,
    /// and the oldest of them (for Retry-After).
    pub fn recent_failures(
        &self,
        account: &str,
        address: &str,
        window_secs: i64,
    ) -> Result<((i64, i64), Option<i64>), AccountsError> {
        self.with(|db| {
            let since = now() - window_secs;
            db.execute(
                "DELETE FROM sign_in_failures WHERE at < ?1",
                params![since],
            )?;
            let count = |scope: &str, key: &str| -> rusqlite::Result<(i64, Option<i64>)> {
                db.query_row(
                    "SELECT count(*), min(at) FROM sign_in_failures WHERE scope = ?1 AND key = ?2 AND at >= ?3",
                    params![scope, key, since],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            };
            let (a, a_first) = count("account", account)?;
            let (b, b_first) = count("address", address)?;
            Ok(((a, b), a_first.into_iter().chain(b_first).min()))
        })
    }

    /// Record a failed sign-in as `account` from `address`.
    pub fn record_failure(&self, account: &str, address: &str) -> Result<(), AccountsError> {
        self.with(|db| {
            let t = now();
            db.execute(
                "INSERT INTO sign_in_failures (scope, key, at) VALUES ('account', ?1, ?3), ('address', ?2, ?3)",
                params![account, address, t],
            )?;
            audit_in(
                db,
                account,
                "sign-in",
                &format!("failed sign-in as {account} from {address}"),
            )?;
            Ok(())
        })
    }

    /// A successful sign-in clears the account's failures.
    pub fn clear_failures(&self, account: &str) -> Result<(), AccountsError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM sign_in_failures WHERE scope = 'account' AND key = ?1",
                params![account],
            )?;
            Ok(())
        })
    }

    /// Append to the audit log as `actor`.
    pub fn audit(&self, actor: &str, action: &str, detail: &str) -> Result<(), AccountsError> {
        self.with(|db| Ok(audit_in(db, actor, action, detail)?))
    }

    /// The audit log, newest first, after `before` (an id) when given: (id, at, actor,
    /// action, detail), at most `limit` rows.
    pub fn audit_page(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditLine>, AccountsError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT id, at, actor, action, detail FROM audit_log
                 WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![before, limit], |r| {
                    Ok(AuditLine {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        detail: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

/// A personal API token as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLine {
    /// Id (for `tokens revoke`).
    pub id: i64,
    /// Its user.
    pub user: String,
    /// What it is for.
    pub label: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditLine {
    /// Id (the cursor).
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who (a server user), when known.
    pub actor: Option<String>,
    /// What kind of change.
    pub action: String,
    /// What changed.
    pub detail: String,
}

fn user(id: i64, name: String, role: &str) -> Result<User, AccountsError> {
    let role = Role::parse(role).ok_or_else(|| AccountsError::BadRole(name.clone()))?;
    Ok(User { id, name, role })
}

fn now() -> i64 {
    unix(SystemTime::now())
}

fn audit_in(
    db: &rusqlite::Connection,
    actor: &str,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    db.execute(
        "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, ?2, ?3, ?4)",
        params![now(), action, detail, actor],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> (tempfile::TempDir, Accounts) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = Accounts::open(&tmp.path().join("ledgerlink.db")).expect("opens");
        (tmp, a)
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let (_tmp, a) = accounts();
        let u = a
            .add_user("ann", Role::Operator, "$argon2id$x", "cli")
            .expect("adds");
        a.create_session("s1", u.id, "c1").expect("session");
        let live = SessionLimits {
            idle_secs: 60,
            absolute_secs: 3600,
        };
        let found = a.session("s1", live).expect("reads").expect("live");
        assert_eq!(found.user.name, "ann");
        assert_eq!(found.csrf_token, "c1");
        let dead = SessionLimits {
            idle_secs: -1,
            absolute_secs: 3600,
        };
        assert_eq!(a.session("s1", dead).expect("reads"), None);
        // ...and it is gone for good.
        assert_eq!(a.session("s1", live).expect("reads"), None);
    }

    #[test]
    fn revoked_tokens_sign_nobody_in_and_names_are_unique() {
        let (_tmp, a) = accounts();
        let u = a
            .add_user("bob", Role::Admin, "$argon2id$x", "cli")
            .expect("adds");
        assert!(matches!(
            a.add_user("bob", Role::Admin, "h", "cli"),
            Err(AccountsError::Exists(_))
        ));
        let id = a.add_token(&u, "t-sha", "laptop").expect("token");
        assert_eq!(a.token_user("t-sha").expect("reads"), Some(u));
        assert!(a.revoke_token(id).expect("revokes"));
        assert_eq!(a.token_user("t-sha").expect("reads"), None);
        assert!(!a.revoke_token(id).expect("second revoke"));
    }

    #[test]
    fn failures_count_per_account_and_address() {
        let (_tmp, a) = accounts();
        for _ in 0..3 {
            a.record_failure("ann", "10.0.0.1").expect("records");
        }
        a.record_failure("bob", "10.0.0.1").expect("records");
        let ((account, address), first) = a.recent_failures("ann", "10.0.0.1", 900).expect("n");
        assert_eq!((account, address), (3, 4));
        assert!(first.is_some());
        a.clear_failures("ann").expect("clears");
        let ((account, address), _) = a.recent_failures("ann", "10.0.0.1", 900).expect("n");
        assert_eq!((account, address), (0, 4));
    }
}
