//! Which database the store runs on: SQLite in a file (the default) or PostgreSQL, chosen by
//! a database URL, and opening it with its schema brought up to date
//! (docs/architecture.md, "Store engines").

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::db::{self, DbError};
use super::migrations;
use super::sql::{self, Db};

/// A database URL: `sqlite:PATH` / `sqlite://PATH`, or `postgres://...` / `postgresql://...`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (the URL as given, password included).
    Postgres(String),
}

// Never print the password, not even in a debug dump.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            DatabaseUrl::Postgres(u) => f.debug_tuple("Postgres").field(&sql::redact(u)).finish(),
        }
    }
}

/// A database URL ledgerlink does not take.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "unsupported database URL `{given}`: use sqlite:PATH (or sqlite://PATH) for a SQLite file, or postgres://USER@HOST:PORT/DATABASE for PostgreSQL"
)]
pub struct UnsupportedUrl {
    /// What was given, password removed.
    pub given: String,
}

impl DatabaseUrl {
    /// Read `url`.
    pub fn parse(url: &str) -> Result<Self, UnsupportedUrl> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .filter(|p| !p.is_empty());
        match path {
            Some(p) => Ok(DatabaseUrl::Sqlite(PathBuf::from(p))),
            None => Err(UnsupportedUrl {
                given: sql::redact(url),
            }),
        }
    }

    /// The URL for messages: the password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            DatabaseUrl::Postgres(u) => sql::redact(u),
        }
    }
}

/// Open the database `url` names, creating (SQLite) and migrating it.
pub fn open(url: &DatabaseUrl) -> Result<Db, DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Db::sqlite(Arc::new(Mutex::new(db::open(path)?)))),
        DatabaseUrl::Postgres(u) => {
            let db = Db::connect_postgres(u)?;
            migrations::postgres::run(&db)?;
            Ok(db)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_postgres_urls_are_read() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:data/ledgerlink.db"),
            Ok(DatabaseUrl::Sqlite("data/ledgerlink.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/ledgerlink.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/ledgerlink.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://ledgerlink.db"),
            Ok(DatabaseUrl::Sqlite("ledgerlink.db".into()))
        );
        for pg in [
            "postgres://ll@db.internal:5433/books",
            "postgresql://ll:pw@db.internal/books",
        ] {
            assert_eq!(DatabaseUrl::parse(pg), Ok(DatabaseUrl::Postgres(pg.into())));
        }
    }

    #[test]
    fn anything_else_is_refused_naming_both_forms_without_the_password() {
        let err = DatabaseUrl::parse("mysql://root:topsecret@db/books").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "unsupported database URL `mysql://root:***@db/books`: use sqlite:PATH (or sqlite://PATH) for a SQLite file, or postgres://USER@HOST:PORT/DATABASE for PostgreSQL"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:").expect_err("no path").given,
            "sqlite:"
        );
        assert_eq!(
            DatabaseUrl::parse("ledgerlink.db")
                .expect_err("no scheme")
                .given,
            "ledgerlink.db"
        );
        let pg = DatabaseUrl::parse("postgres://ll:topsecret@db/books").expect("reads");
        assert_eq!(pg.redacted(), "postgres://ll:***@db/books");
        assert!(!format!("{pg:?}").contains("topsecret"));
    }
}
