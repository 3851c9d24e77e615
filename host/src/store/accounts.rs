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
    /// A vendor's support engineer under a live support grant (migration 11): reads runs,
    /// jobs and the audit log, changes nothing, never sees a credential.
    Support,
}

impl Role {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Support => "support",
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
    /// A support grant's length is out of range.
    #[error(
        "support access lasts 1 to {MAX_SUPPORT_DAYS} days, not {0}; pass --days with a number in that range"
    )]
    SupportDays(i64),
    /// A support user's name is not usable.
    #[error(
        "the support user's name {0:?} must be 1 to 64 letters, digits, '-', '_' or '.'; choose another --name"
    )]
    SupportName(String),
    /// No such support grant, or it was already revoked.
    #[error("there is no unrevoked support grant {0}; `ledgerlink support list` shows the grants")]
    NoGrant(i64),
}

/// The longest support grant, in days.
pub const MAX_SUPPORT_DAYS: i64 = 90;

/// A support grant as listed (never its token or password).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SupportGrant {
    /// Id (for `support revoke`).
    pub id: i64,
    /// The support user's sign-in name.
    pub name: String,
    /// The admin who granted it.
    pub granted_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: the grant's sessions and tokens stop working then.
    pub expires_at: i64,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

impl SupportGrant {
    /// `active`, `expired` or `revoked` at `now` (Unix seconds).
    pub fn status(&self, now: i64) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at <= now {
            "expired"
        } else {
            "active"
        }
    }
}

/// A new support grant ([`Accounts::grant_support`]); the secrets are already hashed.
#[derive(Debug, Clone)]
pub struct NewGrant<'a> {
    /// The support user's name (`None`: `support-<grant id>`).
    pub name: Option<&'a str>,
    /// How many days it lasts (1 to [`MAX_SUPPORT_DAYS`]).
    pub days: i64,
    /// The SHA-256 of its API token.
    pub token_sha256: &'a str,
    /// The argon2id hash of its sign-in password, when one was made.
    pub password_hash: Option<&'a str>,
    /// The admin granting it.
    pub actor: &'a str,
}

/// What a stored password hash is when a support user has no sign-in password: not a PHC
/// string, so no password verifies against it.
const NO_PASSWORD: &str = "!no-password";

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
                    &format!("SELECT u.id, u.name, u.role, {GRANT_COLUMNS}, u.password_hash FROM users u {GRANT_JOIN} WHERE u.name = ?1"),
                    params![name],
                    |r| Ok((user_row(r)?, r.get::<_, String>(6)?)),
                )
                .optional()?;
            let Some((found, hash)) = row else {
                return Ok(None);
            };
            Ok(live(found)?.map(|u| (u, hash)))
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
                    &format!("SELECT u.id, u.name, u.role, {GRANT_COLUMNS}, s.csrf_token, s.created_at, s.last_seen_at
                     FROM sessions s JOIN users u ON u.id = s.user_id {GRANT_JOIN} WHERE s.id_sha256 = ?1"),
                    params![id_sha256],
                    |r| {
                        Ok((
                            user_row(r)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, i64>(7)?,
                            r.get::<_, i64>(8)?,
                        ))
                    },
                )
                .optional()?;
            let Some((found, csrf_token, created, seen)) = row else {
                return Ok(None);
            };
            let found = live(found)?;
            if t - seen > limits.idle_secs || t - created > limits.absolute_secs || found.is_none()
            {
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
            Ok(found.map(|user| SessionUser { user, csrf_token }))
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
                    &format!(
                        "SELECT u.id, u.name, u.role, {GRANT_COLUMNS}, t.id FROM api_tokens t
                     JOIN users u ON u.id = t.user_id {GRANT_JOIN}
                     WHERE t.token_sha256 = ?1 AND t.revoked_at IS NULL"
                    ),
                    params![token_sha256],
                    |r| Ok((user_row(r)?, r.get::<_, i64>(6)?)),
                )
                .optional()?;
            let Some((found, token)) = row else {
                return Ok(None);
            };
            let Some(user) = live(found)? else {
                return Ok(None);
            };
            db.execute(
                "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                params![token, now()],
            )?;
            Ok(Some(user))
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

    /// Grant time-limited support access: a support user, its API token, and (when
    /// `password_hash` is given) a sign-in password, all in one transaction, audited.
    pub fn grant_support(&self, new: &NewGrant<'_>) -> Result<SupportGrant, AccountsError> {
        if !(1..=MAX_SUPPORT_DAYS).contains(&new.days) {
            return Err(AccountsError::SupportDays(new.days));
        }
        if let Some(name) = new.name {
            let usable = (1..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !usable {
                return Err(AccountsError::SupportName(name.to_owned()));
            }
        }
        self.with(|db| {
            let tx = db.transaction()?;
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM support_grants",
                [],
                |r| r.get(0),
            )?;
            let name = new.name.map_or_else(|| format!("support-{next}"), str::to_owned);
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                params![name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(AccountsError::Exists(name));
            }
            let t = now();
            let expires_at = t + new.days * 86_400;
            // Stored as an operator (the CHECK allows no other); the grant row below makes
            // it a support user, and migration 11's triggers keep the grant from going away.
            tx.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, 'operator', ?2, ?3)",
                params![name, new.password_hash.unwrap_or(NO_PASSWORD), t],
            )?;
            let user_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO support_grants (id, user_id, name, granted_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![next, user_id, name, new.actor, t, expires_at],
            )?;
            tx.execute(
                "INSERT INTO api_tokens (user_id, token_sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user_id, new.token_sha256, format!("support grant {next}"), t],
            )?;
            audit_in(
                &tx,
                new.actor,
                "support",
                &format!(
                    "support grant {next}: user {name} may read runs, plans, jobs and the audit log for {} day(s){}",
                    new.days,
                    if new.password_hash.is_some() { ", with a sign-in password" } else { "" }
                ),
            )?;
            tx.commit()?;
            Ok(SupportGrant {
                id: next,
                name,
                granted_by: new.actor.to_owned(),
                created_at: t,
                expires_at,
                revoked_at: None,
                revoked_by: None,
            })
        })
    }

    /// Every support grant, newest first.
    pub fn support_grants(&self) -> Result<Vec<SupportGrant>, AccountsError> {
        self.with(|db| {
            let mut stmt = db.prepare(
                "SELECT id, name, granted_by, created_at, expires_at, revoked_at, revoked_by
                 FROM support_grants ORDER BY id DESC",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(SupportGrant {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        granted_by: r.get(2)?,
                        created_at: r.get(3)?,
                        expires_at: r.get(4)?,
                        revoked_at: r.get(5)?,
                        revoked_by: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Revoke support grant `id` at once: its sessions end and its tokens are revoked.
    pub fn revoke_support(&self, id: i64, actor: &str) -> Result<SupportGrant, AccountsError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let t = now();
            let user_id: Option<i64> = tx
                .query_row(
                    "UPDATE support_grants SET revoked_at = ?2, revoked_by = ?3
                     WHERE id = ?1 AND revoked_at IS NULL RETURNING user_id",
                    params![id, t, actor],
                    |r| r.get(0),
                )
                .optional()?;
            let user_id = user_id.ok_or(AccountsError::NoGrant(id))?;
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id])?;
            tx.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                params![user_id, t],
            )?;
            audit_in(
                &tx,
                actor,
                "support",
                &format!("support grant {id} revoked"),
            )?;
            tx.commit()?;
            Ok(())
        })?;
        self.support_grants()?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or(AccountsError::NoGrant(id))
    }

    /// Move when unrevoked support grant `id` ends to `expires_at` (Unix seconds; a time
    /// in the past ends it now, like an expiry), audited.
    pub fn set_support_expiry(
        &self,
        id: i64,
        expires_at: i64,
        actor: &str,
    ) -> Result<(), AccountsError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let n = tx.execute(
                "UPDATE support_grants SET expires_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, expires_at],
            )?;
            if n == 0 {
                return Err(AccountsError::NoGrant(id));
            }
            audit_in(
                &tx,
                actor,
                "support",
                &format!("support grant {id} now ends at {expires_at} (Unix seconds)"),
            )?;
            tx.commit()?;
            Ok(())
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

/// The support grant columns every query that reads a user selects (as columns 3 to 5),
/// with [`GRANT_JOIN`]: a user with a grant is a support user, whatever its stored role.
const GRANT_COLUMNS: &str = "g.id, g.expires_at, g.revoked_at";
const GRANT_JOIN: &str = "LEFT JOIN support_grants g ON g.user_id = u.id";

/// A user as read: (id, name, stored role, grant id, grant expiry, grant revocation).
type UserRow = (i64, String, String, Option<i64>, Option<i64>, Option<i64>);

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// The user of `row`, or `None` when it is a support user whose grant expired or was
/// revoked: such a user signs nobody in.
fn live(row: UserRow) -> Result<Option<User>, AccountsError> {
    let (id, name, role, grant, expires_at, revoked_at) = row;
    if grant.is_some() {
        let alive = revoked_at.is_none() && expires_at.is_some_and(|e| e > now());
        return Ok(alive.then_some(User {
            id,
            name,
            role: Role::Support,
        }));
    }
    let role = Role::parse(&role).ok_or_else(|| AccountsError::BadRole(name.clone()))?;
    Ok(Some(User { id, name, role }))
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

    #[test]
    fn a_support_grant_reads_as_support_until_it_expires_or_is_revoked_and_cannot_be_lost() {
        let (_tmp, a) = accounts();
        let grant = |name: Option<&'static str>, token: &'static str, days| NewGrant {
            name,
            days,
            token_sha256: token,
            password_hash: None,
            actor: "admin",
        };
        assert_eq!(
            a.grant_support(&grant(None, "t0", 91))
                .expect_err("too long")
                .to_string(),
            "support access lasts 1 to 90 days, not 91; pass --days with a number in that range"
        );
        assert!(matches!(
            a.grant_support(&grant(Some("a b"), "t0", 1)),
            Err(AccountsError::SupportName(_))
        ));
        let g1 = a.grant_support(&grant(None, "t1", 3)).expect("grants");
        assert_eq!((g1.id, g1.name.as_str()), (1, "support-1"));
        assert_eq!(g1.expires_at - g1.created_at, 3 * 86_400);
        let g2 = a
            .grant_support(&grant(Some("vendor-ann"), "t2", 1))
            .expect("grants");
        let support = a.token_user("t1").expect("reads").expect("live");
        assert_eq!(
            (support.name.as_str(), support.role),
            ("support-1", Role::Support)
        );
        // No password: nothing signs in with one.
        let (_, hash) = a.password_hash("support-1").expect("reads").expect("user");
        assert_eq!(hash, NO_PASSWORD);
        a.create_session("s1", support.id, "c").expect("session");
        let limits = SessionLimits {
            idle_secs: 600,
            absolute_secs: 3600,
        };
        assert!(a.session("s1", limits).expect("reads").is_some());

        let revoked = a.revoke_support(1, "admin").expect("revokes");
        assert_eq!(revoked.status(now()), "revoked");
        assert_eq!(a.token_user("t1").expect("reads"), None);
        assert_eq!(a.session("s1", limits).expect("reads"), None);
        assert_eq!(a.password_hash("support-1").expect("reads"), None);
        assert!(matches!(
            a.revoke_support(1, "admin"),
            Err(AccountsError::NoGrant(1))
        ));

        a.set_support_expiry(g2.id, now() - 1, "test")
            .expect("moves");
        assert_eq!(a.token_user("t2").expect("reads"), None);
        assert_eq!(
            a.support_grants().expect("lists")[0].status(now()),
            "expired"
        );

        // The grant that makes a user support cannot be deleted or moved while the user
        // exists, so a support user never turns into an operator.
        a.with(|db| {
            let deleted = db.execute("DELETE FROM support_grants WHERE id = 2", []);
            assert!(deleted.is_err(), "{deleted:?}");
            let moved = db.execute("UPDATE support_grants SET user_id = 1 WHERE id = 2", []);
            assert!(moved.is_err(), "{moved:?}");
            Ok(())
        })
        .expect("checked");
    }
}
