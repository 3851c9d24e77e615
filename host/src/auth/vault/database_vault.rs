//! The vault in the database: each connection secret sealed exactly as the file vault seals
//! it (see `sealing.rs`) and kept in the `vault_entries` table, so every ledgerlink process
//! sharing one PostgreSQL database (or one SQLite file) reads the same secrets with the key
//! each host is given (`LEDGERLINK_VAULT_KEY` / `LEDGERLINK_VAULT_KEY_FILE`). The database
//! holds only ciphertext: read alone, it never reveals a token.
//!
//! A `vault_key_check` row, sealed under the same key, proves the key before any entry is
//! read or written, so a host given the wrong key fails at once and changes nothing.
//! [`DatabaseVault::rotate_key`] re-seals every entry under a new key in one transaction.

use super::sealing::{NONCE_LEN, Sealed, Sealer};
use super::{Secret, SecretKey, Vault, VaultError, VaultInfo, VaultKey, VaultKind};
use crate::store::sql::{self, Db, Tx, Value};

/// A [`Vault`] in the store's database.
pub struct DatabaseVault {
    db: Db,
    /// The database, for messages (taken once: describing it needs the connection, which
    /// a transaction holds).
    database: String,
    sealer: Sealer,
    key_origin: String,
    reason: String,
}

impl DatabaseVault {
    /// The vault in `db` (already migrated), opened with `key`. When the database holds a
    /// key check, `key` must open it ([`VaultError::DatabaseWrongKey`] otherwise); when it
    /// holds none, the first write records one.
    pub fn open(db: Db, key: &VaultKey, reason: impl Into<String>) -> Result<Self, VaultError> {
        let vault = Self {
            database: db.describe(),
            db,
            sealer: Sealer::new(key),
            key_origin: key.source().origin(),
            reason: reason.into(),
        };
        vault.db.transaction(|tx| vault.check_key(tx).map(|_| ()))?;
        Ok(vault)
    }

    fn database(&self) -> String {
        self.database.clone()
    }

    /// Whether a key check is stored, having proved it opens with this key.
    fn check_key(&self, tx: &Tx<'_>) -> Result<bool, VaultError> {
        let Some(row) = tx
            .query_opt(
                "SELECT nonce, ciphertext FROM vault_key_check WHERE id = 1",
                &[],
            )
            .map_err(|e| self.db_error(e))?
        else {
            return Ok(false);
        };
        let sealed = self.sealed(&row, 0, "the key check")?;
        if self.sealer.verify_key_check(&sealed) {
            Ok(true)
        } else {
            Err(VaultError::DatabaseWrongKey {
                database: self.database(),
                origin: self.key_origin.clone(),
            })
        }
    }

    /// The nonce and ciphertext in columns `at` and `at + 1` of `row`.
    fn sealed(&self, row: &sql::Row, at: usize, what: &str) -> Result<Sealed, VaultError> {
        let nonce = row.blob(at).map_err(|e| self.db_error(e))?;
        let ciphertext = row.blob(at + 1).map_err(|e| self.db_error(e))?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Database {
            database: self.database(),
            detail: format!("{what} has a nonce that is not {NONCE_LEN} bytes"),
        })?;
        Ok(Sealed { nonce, ciphertext })
    }

    fn db_error(&self, e: sql::Error) -> VaultError {
        VaultError::Database {
            database: self.database(),
            detail: e.to_string(),
        }
    }

    /// Re-seal every entry and the key check under `new`, in one transaction: every entry
    /// moves to the new key or none does. Returns how many entries were re-sealed. Every
    /// host must be given `new` afterwards; a host still on the old key is refused
    /// ([`VaultError::DatabaseWrongKey`]) and changes nothing.
    pub fn rotate_key(&self, new: &VaultKey) -> Result<usize, VaultError> {
        let next = Sealer::new(new);
        if next.verify_key_check(&self.sealer.seal_key_check()?) {
            return Err(VaultError::SameKey);
        }
        self.db.transaction(|tx| {
            self.check_key(tx)?;
            let rows = tx
                .query(
                    "SELECT name, nonce, ciphertext FROM vault_entries ORDER BY name",
                    &[],
                )
                .map_err(|e| self.db_error(e))?;
            for row in &rows {
                let name = row.text(0).map_err(|e| self.db_error(e))?;
                let sealed = self.sealed(row, 1, &name)?;
                let plain = self.sealer.open_entry(&name, &sealed).ok_or_else(|| {
                    VaultError::DatabaseEntryTampered {
                        database: self.database(),
                        key: name.clone(),
                    }
                })?;
                let resealed = next.seal_entry(&name, &plain)?;
                tx.execute(
                    "UPDATE vault_entries SET nonce = ?1, ciphertext = ?2 WHERE name = ?3",
                    &[
                        Value::Blob(resealed.nonce.to_vec()),
                        Value::Blob(resealed.ciphertext),
                        Value::Text(name),
                    ],
                )
                .map_err(|e| self.db_error(e))?;
            }
            self.put_key_check(tx, &next)?;
            Ok(rows.len())
        })
    }

    fn put_key_check(&self, tx: &Tx<'_>, sealer: &Sealer) -> Result<(), VaultError> {
        let check = sealer.seal_key_check()?;
        tx.execute(
            "INSERT INTO vault_key_check (id, nonce, ciphertext) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext",
            &[
                Value::Blob(check.nonce.to_vec()),
                Value::Blob(check.ciphertext),
            ],
        )
        .map_err(|e| self.db_error(e))?;
        Ok(())
    }
}

// A transaction's own BEGIN or COMMIT failing (its statements' errors name the database).
impl From<sql::Error> for VaultError {
    fn from(e: sql::Error) -> Self {
        VaultError::Database {
            database: "of this ledgerlink".into(),
            detail: e.to_string(),
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Vault for DatabaseVault {
    fn get(&self, key: &SecretKey) -> Result<Option<Secret>, VaultError> {
        let name = key.to_string();
        // One statement, so the key check and the entry are read from one snapshot (a
        // rotation committing in between cannot pair an old check with a new entry).
        let row = self
            .db
            .query_opt(
                "SELECT k.nonce, k.ciphertext, e.nonce, e.ciphertext
                 FROM vault_key_check k LEFT JOIN vault_entries e ON e.name = ?1
                 WHERE k.id = 1",
                &[Value::Text(name.clone())],
            )
            .map_err(|e| self.db_error(e))?;
        // No key check: nothing was ever stored (the first write records one).
        let Some(row) = row else {
            return Ok(None);
        };
        if !self
            .sealer
            .verify_key_check(&self.sealed(&row, 0, "the key check")?)
        {
            return Err(VaultError::DatabaseWrongKey {
                database: self.database(),
                origin: self.key_origin.clone(),
            });
        }
        if row.opt_blob(2).map_err(|e| self.db_error(e))?.is_none() {
            return Ok(None);
        }
        let sealed = self.sealed(&row, 2, &name)?;
        let plain = self.sealer.open_entry(&name, &sealed).ok_or_else(|| {
            VaultError::DatabaseEntryTampered {
                database: self.database(),
                key: name.clone(),
            }
        })?;
        Secret::from_plaintext(plain, name, || self.database()).map(Some)
    }

    fn set(&self, key: &SecretKey, value: &Secret) -> Result<(), VaultError> {
        let name = key.to_string();
        let sealed = self.sealer.seal_entry(&name, value.expose().as_bytes())?;
        self.db.transaction(|tx| {
            if !self.check_key(tx)? {
                self.put_key_check(tx, &self.sealer)?;
            }
            tx.execute(
                "INSERT INTO vault_entries (name, nonce, ciphertext, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce,
                     ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
                &[
                    Value::Text(name.clone()),
                    Value::Blob(sealed.nonce.to_vec()),
                    Value::Blob(sealed.ciphertext.clone()),
                    Value::Int(now()),
                ],
            )
            .map_err(|e| self.db_error(e))?;
            Ok(())
        })
    }

    fn delete(&self, key: &SecretKey) -> Result<(), VaultError> {
        let name = key.to_string();
        self.db.transaction(|tx| {
            self.check_key(tx)?;
            tx.execute(
                "DELETE FROM vault_entries WHERE name = ?1",
                &[Value::Text(name.clone())],
            )
            .map_err(|e| self.db_error(e))?;
            Ok(())
        })
    }

    fn rotate_key(&self, new: &VaultKey) -> Result<usize, VaultError> {
        DatabaseVault::rotate_key(self, new)
    }

    fn describe(&self) -> VaultInfo {
        VaultInfo {
            kind: VaultKind::Database,
            location: self.database(),
            reason: self.reason.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::auth::vault::{KeySource, generate_key};
    use crate::store::sql::each_engine::each_engine;

    fn key() -> VaultKey {
        VaultKey::from_base64(&generate_key().unwrap(), KeySource::Supplied).unwrap()
    }

    fn same(k: &VaultKey) -> VaultKey {
        VaultKey::from_base64(
            &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, k.bytes()),
            KeySource::Environment,
        )
        .unwrap()
    }

    fn name(s: &str) -> SecretKey {
        let (connection, item) = s.split_once('/').unwrap();
        SecretKey::new(connection, item).unwrap()
    }

    #[test]
    fn secrets_round_trip_and_the_database_holds_only_ciphertext() {
        for test_db in each_engine() {
            let db = test_db.open();
            let k = key();
            let vault = DatabaseVault::open(db.clone(), &k, "test").unwrap();
            let tokens = name("acme-xero/tokens");
            assert_eq!(
                vault.get(&tokens).unwrap().map(|s| s.expose().to_owned()),
                None
            );
            vault
                .set(&tokens, &Secret::new("refresh-token-SECRET-1"))
                .unwrap();
            vault
                .set(&tokens, &Secret::new("refresh-token-SECRET-2"))
                .unwrap();
            assert_eq!(
                vault.get(&tokens).unwrap().unwrap().expose(),
                "refresh-token-SECRET-2"
            );
            // Another process on the same database with the same key reads it.
            let other = DatabaseVault::open(db.clone(), &same(&k), "test").unwrap();
            assert_eq!(
                other.get(&tokens).unwrap().unwrap().expose(),
                "refresh-token-SECRET-2"
            );
            // Nothing stored holds the secret.
            for row in db
                .query("SELECT name, nonce, ciphertext FROM vault_entries", &[])
                .unwrap()
            {
                assert_eq!(row.text(0).unwrap(), "acme-xero/tokens");
                let bytes = row.blob(2).unwrap();
                assert!(!bytes.windows(6).any(|w| w == b"SECRET"));
            }
            vault.delete(&tokens).unwrap();
            assert!(vault.get(&tokens).unwrap().is_none());
            vault.delete(&tokens).unwrap();
        }
    }

    #[test]
    fn a_wrong_key_is_refused_before_anything_is_read_or_written() {
        for test_db in each_engine() {
            let db = test_db.open();
            let vault = DatabaseVault::open(db.clone(), &key(), "test").unwrap();
            vault
                .set(&name("acme-xero/tokens"), &Secret::new("t-1"))
                .unwrap();
            let wrong = same(&key());
            let err = DatabaseVault::open(db.clone(), &wrong, "test")
                .err()
                .expect("refused");
            assert_eq!(
                err.to_string(),
                format!(
                    "the vault key does not decrypt the vault in the database {}: LEDGERLINK_VAULT_KEY is not the key its entries were sealed with; give every ledgerlink process the fleet's vault key (nothing was changed)",
                    db.describe()
                )
            );
        }
    }

    #[test]
    fn a_row_moved_to_another_entry_does_not_open() {
        for test_db in each_engine() {
            let db = test_db.open();
            let vault = DatabaseVault::open(db.clone(), &key(), "test").unwrap();
            vault
                .set(&name("acme-xero/tokens"), &Secret::new("t-acme"))
                .unwrap();
            vault
                .set(&name("kea-xero/tokens"), &Secret::new("t-kea"))
                .unwrap();
            // An attacker with the database copies Acme's ciphertext over Kea's.
            db.execute(
                "UPDATE vault_entries SET nonce = (SELECT nonce FROM vault_entries WHERE name = 'acme-xero/tokens'),
                     ciphertext = (SELECT ciphertext FROM vault_entries WHERE name = 'acme-xero/tokens')
                 WHERE name = 'kea-xero/tokens'",
                &[],
            )
            .unwrap();
            let err = vault.get(&name("kea-xero/tokens")).expect_err("refused");
            assert!(
                matches!(err, VaultError::DatabaseEntryTampered { ref key, .. } if key == "kea-xero/tokens"),
                "{err}"
            );
        }
    }

    #[test]
    fn rotating_the_key_reseals_every_entry_in_one_transaction() {
        for test_db in each_engine() {
            let db = test_db.open();
            let old = key();
            let vault = DatabaseVault::open(db.clone(), &old, "test").unwrap();
            for (n, s) in [
                ("a/tokens", "one"),
                ("b/tokens", "two"),
                ("c/api-key", "three"),
            ] {
                vault.set(&name(n), &Secret::new(s)).unwrap();
            }
            let before: Vec<Vec<u8>> = db
                .query("SELECT ciphertext FROM vault_entries ORDER BY name", &[])
                .unwrap()
                .iter()
                .map(|r| r.blob(0).unwrap())
                .collect();
            assert!(matches!(
                vault.rotate_key(&same(&old)),
                Err(VaultError::SameKey)
            ));
            let new = key();
            assert_eq!(vault.rotate_key(&new).unwrap(), 3);
            let after: Vec<Vec<u8>> = db
                .query("SELECT ciphertext FROM vault_entries ORDER BY name", &[])
                .unwrap()
                .iter()
                .map(|r| r.blob(0).unwrap())
                .collect();
            assert!(before.iter().zip(&after).all(|(b, a)| b != a));
            // The new key opens everything; the old one is refused.
            let rotated = DatabaseVault::open(db.clone(), &same(&new), "test").unwrap();
            assert_eq!(
                rotated.get(&name("b/tokens")).unwrap().unwrap().expose(),
                "two"
            );
            assert!(matches!(
                DatabaseVault::open(db.clone(), &same(&old), "test"),
                Err(VaultError::DatabaseWrongKey { .. })
            ));
            // A tampered entry stops the rotation before anything changes.
            db.execute(
                "UPDATE vault_entries SET ciphertext = (SELECT ciphertext FROM vault_entries WHERE name = 'a/tokens') WHERE name = 'c/api-key'",
                &[],
            )
            .unwrap();
            let snapshot: Vec<Vec<u8>> = db
                .query("SELECT ciphertext FROM vault_entries ORDER BY name", &[])
                .unwrap()
                .iter()
                .map(|r| r.blob(0).unwrap())
                .collect();
            let err = rotated.rotate_key(&key()).expect_err("refused");
            assert!(
                matches!(err, VaultError::DatabaseEntryTampered { .. }),
                "{err}"
            );
            let unchanged: Vec<Vec<u8>> = db
                .query("SELECT ciphertext FROM vault_entries ORDER BY name", &[])
                .unwrap()
                .iter()
                .map(|r| r.blob(0).unwrap())
                .collect();
            assert_eq!(unchanged, snapshot);
            assert_eq!(
                rotated.get(&name("a/tokens")).unwrap().unwrap().expose(),
                "one"
            );
        }
    }
}
