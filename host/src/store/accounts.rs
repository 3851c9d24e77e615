//! The server's people: users (argon2id hashes), browser sessions, personal API tokens, the
//! failed sign-ins that throttle guessing, and audit lines that name who made a change.
//! Tables `users`, `sessions`, `api_tokens`, `sign_in_failures` (migration 9).
//!
//! Secrets never rest here in the clear: a session id and an API token are kept as SHA-256
//! (they are long random values, so a plain digest is enough), a password as a PHC string.
//! Hashing and checking passwords is `server::passwords`; this module only stores.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::connections::unix;
use super::db::{self, DbError};
use super::sql::{self, Db, Engine, Row, Tx, Value};

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

impl From<sql::Error> for AccountsError {
    fn from(e: sql::Error) -> Self {
        AccountsError::Db(DbError::Sql(e))
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
    db: Db,
}

impl Accounts {
    /// Open the SQLite database at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self, AccountsError> {
        Ok(Self::from_shared(Arc::new(Mutex::new(db::open(path)?))))
    }

    /// Over a SQLite connection shared with the other stores.
    pub fn from_shared(db: Arc<Mutex<rusqlite::Connection>>) -> Self {
        Self { db: Db::sqlite(db) }
    }

    /// Over a database on either engine ([`super::engine::open`]).
    pub fn from_db(db: Db) -> Self {
        Self { db }
    }

    /// How many users there are (none: the server serves only how to create one).
    pub fn user_count(&self) -> Result<i64, AccountsError> {
        Ok(self
            .db
            .query_one("SELECT count(*) FROM users", &[])?
            .i64(0)?)
    }

    /// Add a user with this (already hashed) password.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        actor: &str,
    ) -> Result<User, AccountsError> {
        self.db.transaction(|tx| {
            // ON CONFLICT rather than a check before the insert: on PostgreSQL two processes
            // adding the same name at once would both pass the check, and the loser's
            // transaction would end in a constraint error instead of `Exists`.
            let id = tx
                .query_opt(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (name) DO NOTHING RETURNING id",
                    &[
                        name.into(),
                        role.as_str().into(),
                        password_hash.into(),
                        Value::Int(now()),
                    ],
                )?
                .ok_or_else(|| AccountsError::Exists(name.to_owned()))?
                .i64(0)?;
            audit_in(
                tx,
                actor,
                "user",
                &format!("user {name} added ({})", role.as_str()),
            )?;
            Ok(User {
                id,
                name: name.to_owned(),
                role,
            })
        })
    }

    /// The user `name` and their password hash, if there is such a user.
    pub fn password_hash(&self, name: &str) -> Result<Option<(User, String)>, AccountsError> {
        let row = self.db.query_opt(
            &format!("SELECT u.id, u.name, u.role, {GRANT_COLUMNS}, u.password_hash FROM users u {GRANT_JOIN} WHERE u.name = ?1"),
            &[name.into()],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let hash = row.text(6)?;
        Ok(live(user_row(&row)?)?.map(|u| (u, hash)))
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
        self.db.execute(
            "INSERT INTO sessions (id_sha256, user_id, csrf_token, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            &[
                id_sha256.into(),
                Value::Int(user_id),
                csrf_token.into(),
                Value::Int(now()),
            ],
        )?;
        Ok(())
    }

    /// The live session `id_sha256` (touching it), or `None` when there is none or it has
    /// expired (an expired one is deleted).
    pub fn session(
        &self,
        id_sha256: &str,
        limits: SessionLimits,
    ) -> Result<Option<SessionUser>, AccountsError> {
        let t = now();
        let row = self.db.query_opt(
            &format!(
                "SELECT u.id, u.name, u.role, {GRANT_COLUMNS}, s.csrf_token, s.created_at, s.last_seen_at
                 FROM sessions s JOIN users u ON u.id = s.user_id {GRANT_JOIN} WHERE s.id_sha256 = ?1"
            ),
            &[id_sha256.into()],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (csrf_token, created, seen) = (row.text(6)?, row.i64(7)?, row.i64(8)?);
        let found = live(user_row(&row)?)?;
        if t - seen > limits.idle_secs || t - created > limits.absolute_secs || found.is_none() {
            self.db.execute(
                "DELETE FROM sessions WHERE id_sha256 = ?1",
                &[id_sha256.into()],
            )?;
            return Ok(None);
        }
        self.db.execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE id_sha256 = ?1",
            &[id_sha256.into(), Value::Int(t)],
        )?;
        Ok(found.map(|user| SessionUser { user, csrf_token }))
    }

    /// End session `id_sha256`.
    pub fn end_session(&self, id_sha256: &str) -> Result<(), AccountsError> {
        self.db.execute(
            "DELETE FROM sessions WHERE id_sha256 = ?1",
            &[id_sha256.into()],
        )?;
        Ok(())
    }

    /// Record a personal API token (its SHA-256) for `user`; returns its id.
    pub fn add_token(
        &self,
        user: &User,
        token_sha256: &str,
        label: &str,
    ) -> Result<i64, AccountsError> {
        self.db.transaction(|tx| {
            let id = tx
                .query_one(
                    "INSERT INTO api_tokens (user_id, token_sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)
                     RETURNING id",
                    &[
                        Value::Int(user.id),
                        token_sha256.into(),
                        label.into(),
                        Value::Int(now()),
                    ],
                )?
                .i64(0)?;
            audit_in(
                tx,
                "cli",
                "token",
                &format!("API token {id} ({label}) created for user {}", user.name),
            )?;
            Ok(id)
        })
    }

    /// The user of the unrevoked token whose SHA-256 is `token_sha256`.
    pub fn token_user(&self, token_sha256: &str) -> Result<Option<User>, AccountsError> {
        let row = self.db.query_opt(
            &format!(
                "SELECT u.id, u.name, u.role, {GRANT_COLUMNS}, t.id FROM api_tokens t
                 JOIN users u ON u.id = t.user_id {GRANT_JOIN}
                 WHERE t.token_sha256 = ?1 AND t.revoked_at IS NULL"
            ),
            &[token_sha256.into()],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = row.i64(6)?;
        let Some(user) = live(user_row(&row)?)? else {
            return Ok(None);
        };
        self.db.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            &[Value::Int(token), Value::Int(now())],
        )?;
        Ok(Some(user))
    }

    /// Revoke token `id`; false when there is no such live token.
    pub fn revoke_token(&self, id: i64) -> Result<bool, AccountsError> {
        self.db.transaction(|tx| {
            let n = tx.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                &[Value::Int(id), Value::Int(now())],
            )?;
            if n > 0 {
                audit_in(tx, "cli", "token", &format!("API token {id} revoked"))?;
            }
            Ok(n > 0)
        })
    }

    /// Every token (never its value).
    pub fn tokens(&self) -> Result<Vec<TokenLine>, AccountsError> {
        self.db
            .query(
                "SELECT t.id, u.name, t.label, t.created_at, t.revoked_at IS NOT NULL
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(TokenLine {
                    id: r.i64(0)?,
                    user: r.text(1)?,
                    label: r.text(2)?,
                    created_at: r.i64(3)?,
                    revoked: r.i64(4)? != 0,
                })
            })
            .collect()
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
        self.db.transaction(|tx| {
            // The grant's id is chosen before its row exists (the default user name carries
            // it). SQLite's transaction holds the write lock from its start, so no other grant
            // can choose the same id meanwhile; a PostgreSQL one at READ COMMITTED does not,
            // so it takes the table's lock first (other writers wait, readers do not).
            if tx.engine() == Engine::Postgres {
                tx.execute_batch("LOCK TABLE support_grants IN SHARE ROW EXCLUSIVE MODE")?;
            }
            let next = tx
                .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM support_grants", &[])?
                .i64(0)?;
            let name = new.name.map_or_else(|| format!("support-{next}"), str::to_owned);
            let t = now();
            let expires_at = t + new.days * 86_400;
            // Stored as an operator (the CHECK allows no other); the grant row below makes
            // it a support user, and migration 11's triggers keep the grant from going away.
            let user_id = tx
                .query_opt(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, 'operator', ?2, ?3)
                     ON CONFLICT (name) DO NOTHING RETURNING id",
                    &[
                        name.as_str().into(),
                        new.password_hash.unwrap_or(NO_PASSWORD).into(),
                        Value::Int(t),
                    ],
                )?
                .ok_or_else(|| AccountsError::Exists(name.clone()))?
                .i64(0)?;
            tx.execute(
                "INSERT INTO support_grants (id, user_id, name, granted_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[
                    Value::Int(next),
                    Value::Int(user_id),
                    name.as_str().into(),
                    new.actor.into(),
                    Value::Int(t),
                    Value::Int(expires_at),
                ],
            )?;
            tx.execute(
                "INSERT INTO api_tokens (user_id, token_sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                &[
                    Value::Int(user_id),
                    new.token_sha256.into(),
                    format!("support grant {next}").into(),
                    Value::Int(t),
                ],
            )?;
            audit_in(
                tx,
                new.actor,
                "support",
                &format!(
                    "support grant {next}: user {name} may read runs, plans, jobs and the audit log for {} day(s){}",
                    new.days,
                    if new.password_hash.is_some() { ", with a sign-in password" } else { "" }
                ),
            )?;
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
        self.db
            .query(
                "SELECT id, name, granted_by, created_at, expires_at, revoked_at, revoked_by
                 FROM support_grants ORDER BY id DESC",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(SupportGrant {
                    id: r.i64(0)?,
                    name: r.text(1)?,
                    granted_by: r.text(2)?,
                    created_at: r.i64(3)?,
                    expires_at: r.i64(4)?,
                    revoked_at: r.opt_i64(5)?,
                    revoked_by: r.opt_text(6)?,
                })
            })
            .collect()
    }

    /// Revoke support grant `id` at once: its sessions end and its tokens are revoked.
    pub fn revoke_support(&self, id: i64, actor: &str) -> Result<SupportGrant, AccountsError> {
        self.db.transaction(|tx| {
            let t = now();
            let user_id = tx
                .query_opt(
                    "UPDATE support_grants SET revoked_at = ?2, revoked_by = ?3
                     WHERE id = ?1 AND revoked_at IS NULL RETURNING user_id",
                    &[Value::Int(id), Value::Int(t), actor.into()],
                )?
                .ok_or(AccountsError::NoGrant(id))?
                .i64(0)?;
            tx.execute(
                "DELETE FROM sessions WHERE user_id = ?1",
                &[Value::Int(user_id)],
            )?;
            tx.execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                &[Value::Int(user_id), Value::Int(t)],
            )?;
            audit_in(tx, actor, "support", &format!("support grant {id} revoked"))?;
            Ok::<_, AccountsError>(())
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
        self.db.transaction(|tx| {
            let n = tx.execute(
                "UPDATE support_grants SET expires_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                &[Value::Int(id), Value::Int(expires_at)],
            )?;
            if n == 0 {
                return Err(AccountsError::NoGrant(id));
            }
            audit_in(
                tx,
                actor,
                "support",
                &format!("support grant {id} now ends at {expires_at} (Unix seconds)"),
            )?;
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
        let since = now() - window_secs;
        self.db.execute(
            "DELETE FROM sign_in_failures WHERE at < ?1",
            &[Value::Int(since)],
        )?;
        // Both counts in one statement: one round trip on PostgreSQL.
        let r = self.db.query_one(
            "SELECT count(*) FILTER (WHERE scope = 'account' AND key = ?1),
                    min(at) FILTER (WHERE scope = 'account' AND key = ?1),
                    count(*) FILTER (WHERE scope = 'address' AND key = ?2),
                    min(at) FILTER (WHERE scope = 'address' AND key = ?2)
             FROM sign_in_failures
             WHERE at >= ?3 AND ((scope = 'account' AND key = ?1) OR (scope = 'address' AND key = ?2))",
            &[account.into(), address.into(), Value::Int(since)],
        )?;
        let (a, a_first, b, b_first) = (r.i64(0)?, r.opt_i64(1)?, r.i64(2)?, r.opt_i64(3)?);
        Ok(((a, b), a_first.into_iter().chain(b_first).min()))
    }

    /// Record a failed sign-in as `account` from `address`.
    pub fn record_failure(&self, account: &str, address: &str) -> Result<(), AccountsError> {
        self.db.execute(
            "INSERT INTO sign_in_failures (scope, key, at) VALUES ('account', ?1, ?3), ('address', ?2, ?3)",
            &[account.into(), address.into(), Value::Int(now())],
        )?;
        self.audit(
            account,
            "sign-in",
            &format!("failed sign-in as {account} from {address}"),
        )
    }

    /// A successful sign-in clears the account's failures.
    pub fn clear_failures(&self, account: &str) -> Result<(), AccountsError> {
        self.db.execute(
            "DELETE FROM sign_in_failures WHERE scope = 'account' AND key = ?1",
            &[account.into()],
        )?;
        Ok(())
    }

    /// Append to the audit log as `actor`.
    pub fn audit(&self, actor: &str, action: &str, detail: &str) -> Result<(), AccountsError> {
        self.db
            .execute(AUDIT_INSERT, &audit_params(actor, action, detail))?;
        Ok(())
    }

    /// The audit log, newest first, after `before` (an id) when given: (id, at, actor,
    /// action, detail), at most `limit` rows.
    pub fn audit_page(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditLine>, AccountsError> {
        self.db
            .query(
                "SELECT id, at, actor, action, detail FROM audit_log
                 WHERE CAST(?1 AS BIGINT) IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2",
                &[before.into(), Value::Int(limit)],
            )?
            .iter()
            .map(|r| {
                Ok(AuditLine {
                    id: r.i64(0)?,
                    at: r.i64(1)?,
                    actor: r.opt_text(2)?,
                    action: r.text(3)?,
                    detail: r.text(4)?,
                })
            })
            .collect()
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

fn user_row(r: &Row) -> Result<UserRow, sql::Error> {
    Ok((
        r.i64(0)?,
        r.text(1)?,
        r.text(2)?,
        r.opt_i64(3)?,
        r.opt_i64(4)?,
        r.opt_i64(5)?,
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

const AUDIT_INSERT: &str =
    "INSERT INTO audit_log (at, action, detail, actor) VALUES (?1, ?2, ?3, ?4)";

fn audit_params(actor: &str, action: &str, detail: &str) -> [Value; 4] {
    [
        Value::Int(now()),
        action.into(),
        detail.into(),
        actor.into(),
    ]
}

fn audit_in(tx: &Tx<'_>, actor: &str, action: &str, detail: &str) -> Result<(), sql::Error> {
    tx.execute(AUDIT_INSERT, &audit_params(actor, action, detail))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::each_engine::each_engine;

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        for store in each_engine() {
            let a = Accounts::from_db(store.open());
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
    }

    #[test]
    fn revoked_tokens_sign_nobody_in_and_names_are_unique() {
        for store in each_engine() {
            let a = Accounts::from_db(store.open());
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
            let listed = a.tokens().expect("lists");
            assert_eq!(
                listed
                    .iter()
                    .map(|t| (t.id, t.user.as_str(), t.label.as_str(), t.revoked))
                    .collect::<Vec<_>>(),
                [(id, "bob", "laptop", true)]
            );
            // The audit log pages newest first, from the start or before an id.
            let details = |page: Vec<AuditLine>| -> Vec<String> {
                page.into_iter().map(|l| l.detail).collect()
            };
            let all = a.audit_page(None, 10).expect("reads");
            let newest = all[0].id;
            assert_eq!(
                details(all),
                [
                    format!("API token {id} revoked"),
                    format!("API token {id} (laptop) created for user bob"),
                    "user bob added (admin)".to_owned(),
                ]
            );
            assert_eq!(
                details(a.audit_page(Some(newest), 1).expect("reads")),
                [format!("API token {id} (laptop) created for user bob")]
            );
        }
    }

    #[test]
    fn failures_count_per_account_and_address() {
        for store in each_engine() {
            let a = Accounts::from_db(store.open());
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

    #[test]
    fn a_support_grant_reads_as_support_until_it_expires_or_is_revoked_and_cannot_be_lost() {
        for store in each_engine() {
            let a = Accounts::from_db(store.open());
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
            assert_eq!(g2.id, 2);
            let g2_user = a.user("vendor-ann").expect("a user").id;
            assert_eq!(
                a.grant_support(&grant(Some("vendor-ann"), "t3", 1))
                    .expect_err("the name is taken")
                    .to_string(),
                "there is already a user vendor-ann; choose another name"
            );
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
            // exists, so a support user never turns into an operator: migration 11's triggers,
            // on both engines.
            let db = store.open();
            let deleted = db
                .execute("DELETE FROM support_grants WHERE id = 2", &[])
                .expect_err("the grant stays");
            let moved = db
                .execute("UPDATE support_grants SET user_id = 1 WHERE id = 2", &[])
                .expect_err("the grant is pinned");
            let prefix = match store.engine() {
                Engine::Sqlite => "",
                Engine::Postgres => "ERROR: ",
            };
            assert_eq!(
                deleted.to_string(),
                format!(
                    "{prefix}a support grant cannot be deleted while its user exists; revoke it instead"
                )
            );
            assert_eq!(
                moved.to_string(),
                format!("{prefix}a support grant cannot move to another user")
            );
            let still = db
                .query_one("SELECT user_id, name FROM support_grants WHERE id = 2", &[])
                .expect("still there");
            assert_eq!(
                (still.i64(0).expect("user"), still.text(1).expect("name")),
                (g2_user, "vendor-ann".to_owned())
            );
        }
    }

    /// Two processes granting at once each choose the next id; on PostgreSQL that needs the
    /// table lock `grant_support` takes (without it both would read the same MAX).
    #[test]
    fn grants_made_at_once_by_two_processes_get_distinct_ids() {
        for store in each_engine() {
            let workers: Vec<_> = (0..2)
                .map(|p| {
                    let a = Accounts::from_db(store.open());
                    std::thread::spawn(move || {
                        (0..5)
                            .map(|i| {
                                let token = format!("t{p}-{i}");
                                let new = NewGrant {
                                    name: None,
                                    days: 1,
                                    token_sha256: &token,
                                    password_hash: None,
                                    actor: "admin",
                                };
                                a.grant_support(&new).expect("grants").id
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut ids: Vec<i64> = workers
                .into_iter()
                .flat_map(|w| w.join().expect("joins"))
                .collect();
            ids.sort_unstable();
            assert_eq!(ids, (1..=10).collect::<Vec<_>>(), "{:?}", store.engine());
            let a = Accounts::from_db(store.open());
            assert_eq!(a.user_count().expect("counts"), 10);
        }
    }
}
