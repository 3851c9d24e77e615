//! The one place that decides which store engine a test's data folder runs on: SQLite (its
//! `ledgerlink.db`) in the `e2e` binary, a PostgreSQL database of its own in `e2e_postgres`
//! (`crate::engine::POSTGRES`, set by each crate root). Every test spawns the binary with
//! [`command`] and opens the store with [`db`] (or the store helpers below), so the same test
//! runs on either engine.
//!
//! On PostgreSQL a data folder's database is created on the cluster
//! `LEDGERLINK_TEST_DATABASE_URL` names the first time the folder is used, named from the
//! process id and a hash of the folder's path (`ll_dir_<pid>_<hash>`), so every process a test
//! starts on that folder finds the same one. It is dropped once the folder is gone (or, for
//! a folder the binary had yet to make, its parent), checked whenever another one is
//! created; a process's first creation drops what dead processes (the pid in the name) left
//! behind.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, PoisonError};

use ledgerlink::store::DataDir;
use ledgerlink::store::accounts::Accounts;
use ledgerlink::store::connections::ConnectionStore;
use ledgerlink::store::engine::{self, DatabaseUrl};
use ledgerlink::store::home::HomeStore;
use ledgerlink::store::sql::{Db, Value};
use ledgerlink::store::sync_state::SyncState;

/// The variable naming the test cluster.
pub const CLUSTER: &str = "LEDGERLINK_TEST_DATABASE_URL";

/// Whether this test binary runs the store on PostgreSQL.
pub fn postgres() -> bool {
    crate::engine::POSTGRES
}

/// The binary on the data folder `data`, its store on this binary's engine.
pub fn command(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ledgerlink"));
    cmd.env("LEDGERLINK_DATA_DIR", data);
    if postgres() {
        cmd.env("LEDGERLINK_DATABASE_URL", url(data));
    } else {
        cmd.env_remove("LEDGERLINK_DATABASE_URL");
    }
    cmd
}

/// [`command`] as an `assert_cmd` command.
pub fn assert_command(data: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(command(data))
}

/// The database URL of `data`'s store: `sqlite:<data>/ledgerlink.db`, or its own database on
/// the test cluster (created on first use).
pub fn url(data: &Path) -> String {
    if postgres() {
        postgres_database(data)
    } else {
        format!("sqlite:{}", DataDir::new(data).database().display())
    }
}

/// `data`'s store, opened (and migrated) as the binary opens it.
pub fn db(data: &Path) -> Db {
    engine::open(&DatabaseUrl::parse(&url(data)).unwrap()).unwrap()
}

/// `data`'s connection store.
pub fn connections(data: &Path) -> ConnectionStore {
    ConnectionStore::from_db(db(data))
}

/// `data`'s sync state.
pub fn sync_state(data: &Path) -> SyncState {
    SyncState::from_db(db(data))
}

/// `data`'s home book.
pub fn home(data: &Path) -> HomeStore {
    HomeStore::from_db(db(data))
}

/// `data`'s users, sessions, tokens and support grants.
pub fn accounts(data: &Path) -> Accounts {
    Accounts::from_db(db(data))
}

/// The single integer `sql` (SQLite's dialect, `?N` parameters) reads from `db`.
pub fn count(db: &Db, sql: &str, params: &[Value]) -> i64 {
    db.query_one(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .i64(0)
        .unwrap()
}

/// The databases this process made, by name, with the folder each is for.
struct Made {
    admin: Option<Db>,
    folders: BTreeMap<String, Folder>,
}

/// A data folder with a database, and whether it existed when the database was made.
struct Folder {
    path: PathBuf,
    existed: bool,
}

impl Folder {
    /// Whether its test is over: the folder was there and is gone, or it was not there yet
    /// (the binary makes it) and its parent is gone too.
    fn gone(&self) -> bool {
        !self.path.exists() && (self.existed || !self.path.parent().is_some_and(Path::exists))
    }
}

static MADE: Mutex<Made> = Mutex::new(Made {
    admin: None,
    folders: BTreeMap::new(),
});

fn postgres_database(data: &Path) -> String {
    let Some(cluster) = std::env::var(CLUSTER).ok().filter(|v| !v.is_empty()) else {
        panic!(
            "this e2e_postgres binary was built with {CLUSTER} set but runs without it: set it \
             (`source .ci/postgres-cluster`), or build again without it (an empty binary)"
        );
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut hasher);
    let name = format!("ll_dir_{}_{:016x}", std::process::id(), hasher.finish());
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    if !made.folders.contains_key(&name) {
        let first = made.admin.is_none();
        let admin = made
            .admin
            .get_or_insert_with(|| Db::connect_postgres(&cluster).unwrap())
            .clone();
        let mut gone: Vec<String> = made
            .folders
            .iter()
            .filter(|(_, folder)| folder.gone())
            .map(|(name, _)| name.clone())
            .collect();
        if first {
            gone.extend(left_by_dead_processes(&admin));
        }
        for old in gone {
            admin
                .execute_batch(&format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)"))
                .unwrap();
            made.folders.remove(&old);
        }
        admin
            .execute_batch(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let folder = Folder {
            path: data.to_path_buf(),
            existed: data.exists(),
        };
        made.folders.insert(name.clone(), folder);
    }
    let mut url = url::Url::parse(&cluster).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The folder databases of processes no longer running (none where there is no `/proc` to
/// tell).
fn left_by_dead_processes(admin: &Db) -> Vec<String> {
    if !Path::new("/proc/self").exists() {
        return Vec::new();
    }
    admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'll\\_dir\\_%'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.text(0).unwrap())
        .filter(|name| {
            name.split('_')
                .nth(2)
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        })
        .collect()
}
