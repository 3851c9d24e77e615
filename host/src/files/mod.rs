//! A connection's own folder, the only place a plugin's `files` import can touch.
//!
//! Paths from plugins are checked twice: lexically here (absolute paths, `..`, empty
//! components and backslashes are refused with a message that says why), then by `cap-std`,
//! which resolves every component inside the folder and refuses symlinks that lead out of it.

use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Why a file operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The path is not allowed (absolute, `..`, leaves the folder).
    #[error("path {path:?} is refused: {reason}")]
    Denied {
        /// The path as the plugin gave it.
        path: String,
        /// Why.
        reason: String,
    },
    /// No such file or folder.
    #[error("{path:?} does not exist in the connection folder")]
    NotFound {
        /// The path.
        path: String,
    },
    /// Other I/O failure.
    #[error("{op} {path:?} failed: {source}")]
    Io {
        /// The operation.
        op: &'static str,
        /// The path.
        path: String,
        /// The failure.
        source: io::Error,
    },
}

/// A folder a plugin may read and write, and nothing outside it.
#[derive(Debug)]
pub struct ConnectionFolder {
    root: PathBuf,
    dir: Dir,
}

impl ConnectionFolder {
    /// Open (creating if needed) `root` as a connection folder.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())?;
        Ok(Self {
            root: root.to_path_buf(),
            dir,
        })
    }

    /// Where the folder is on disk (for the admin, never for the plugin).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Read a whole file.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, FolderError> {
        let rel = checked(path, false)?;
        self.dir.read(&rel).map_err(|e| classify("read", path, e))
    }

    /// Replace a file atomically: write a temporary file beside it, flush it to disk, rename.
    pub fn write(&self, path: &str, contents: &[u8]) -> Result<(), FolderError> {
        let rel = checked(path, false)?;
        if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(e) = self.dir.create_dir_all(parent)
        {
            // Something is in the way; opening it tells a symlink out of the folder
            // (refused) from an ordinary file of that name.
            let e = self.dir.open_dir(parent).err().unwrap_or(e);
            return Err(classify("create folder for", path, e));
        }
        let tmp = temp_name(&rel);
        let result = (|| {
            let mut file = self.dir.create(&tmp)?;
            file.write_all(contents)?;
            file.sync_all()?;
            self.dir.rename(&tmp, &self.dir, &rel)
        })();
        if let Err(e) = result {
            // Best effort: the temporary file is ours and useless now.
            let _ = self.dir.remove_file(&tmp);
            return Err(classify("write", path, e));
        }
        Ok(())
    }

    /// Sorted names of a folder's entries; `""` is the connection folder itself. Temporary
    /// files of writes in progress are not listed.
    pub fn list(&self, path: &str) -> Result<Vec<String>, FolderError> {
        let rel = checked(path, true)?;
        let entries = if rel.as_os_str().is_empty() {
            self.dir.entries()
        } else {
            self.dir.read_dir(&rel)
        }
        .map_err(|e| classify("list", path, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| classify("list", path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(TEMP_PREFIX) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether a file or folder exists.
    pub fn exists(&self, path: &str) -> Result<bool, FolderError> {
        let rel = checked(path, true)?;
        if rel.as_os_str().is_empty() {
            return Ok(true);
        }
        match self.dir.metadata(&rel) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(classify("inspect", path, e)),
        }
    }
}

const TEMP_PREFIX: &str = ".ledgerlink-tmp-";

fn temp_name(rel: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("{TEMP_PREFIX}{}-{n}", std::process::id());
    rel.parent()
        .map_or_else(|| PathBuf::from(&name), |p| p.join(&name))
}

/// Lexical check of a plugin-supplied path. `allow_root` permits `""` (the folder itself).
fn checked(path: &str, allow_root: bool) -> Result<PathBuf, FolderError> {
    let deny = |reason: &str| FolderError::Denied {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if path.is_empty() {
        return if allow_root {
            Ok(PathBuf::new())
        } else {
            Err(deny(
                "it is empty; give a file name such as \"customers.csv\"",
            ))
        };
    }
    if path.contains('\0') {
        return Err(deny("it contains a NUL character"));
    }
    if path.contains('\\') {
        return Err(deny("use '/' to separate folders, not '\\'"));
    }
    let p = Path::new(path);
    if p.has_root() || path.starts_with('/') {
        return Err(deny(
            "absolute paths are not allowed; paths are relative to the connection folder",
        ));
    }
    let mut out = PathBuf::new();
    for component in p.components() {
        match component {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(deny(
                    "'..' is not allowed; paths stay inside the connection folder",
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(deny(
                    "absolute paths are not allowed; paths are relative to the connection folder",
                ));
            }
        }
    }
    if out
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX))
    {
        return Err(deny(
            "names starting with \".ledgerlink-tmp-\" are reserved for the host",
        ));
    }
    Ok(out)
}

fn classify(op: &'static str, path: &str, e: io::Error) -> FolderError {
    if e.kind() == io::ErrorKind::NotFound {
        return FolderError::NotFound {
            path: path.to_owned(),
        };
    }
    // cap-std reports an escape (through a symlink, say) as PermissionDenied with this text.
    if e.kind() == io::ErrorKind::PermissionDenied
        || e.to_string().contains("outside of the filesystem")
    {
        return FolderError::Denied {
            path: path.to_owned(),
            reason: "it leads outside the connection folder (through a symlink)".to_owned(),
        };
    }
    FolderError::Io {
        op,
        path: path.to_owned(),
        source: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> (tempfile::TempDir, ConnectionFolder) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let f = ConnectionFolder::open(&tmp.path().join("conn")).expect("open");
        (tmp, f)
    }

    #[test]
    fn writes_reads_and_lists_inside_the_folder() {
        let (_tmp, f) = folder();
        f.write("out/invoices.csv", b"a,b\n1,2\n").expect("write");
        assert_eq!(f.read("out/invoices.csv").expect("read"), b"a,b\n1,2\n");
        assert_eq!(f.list("").expect("list"), vec!["out".to_owned()]);
        assert_eq!(
            f.list("out").expect("list"),
            vec!["invoices.csv".to_owned()]
        );
        assert!(f.exists("./out/invoices.csv").expect("exists"));
        assert!(!f.exists("nope.csv").expect("exists"));
        f.write("out/invoices.csv", b"replaced").expect("rewrite");
        assert_eq!(f.read("out/invoices.csv").expect("read"), b"replaced");
    }

    #[test]
    fn refuses_paths_that_leave_the_folder() {
        let (tmp, f) = folder();
        std::fs::write(tmp.path().join("secret.txt"), "outside").expect("seed");
        let cases = [
            (
                "../secret.txt",
                "'..' is not allowed; paths stay inside the connection folder",
            ),
            (
                "a/../../secret.txt",
                "'..' is not allowed; paths stay inside the connection folder",
            ),
            (
                "/etc/passwd",
                "absolute paths are not allowed; paths are relative to the connection folder",
            ),
            ("a\\b", "use '/' to separate folders, not '\\'"),
        ];
        for (path, reason) in cases {
            match f.read(path) {
                Err(FolderError::Denied { reason: r, .. }) => assert_eq!(r, reason, "{path}"),
                other => panic!("{path}: expected Denied, got {other:?}"),
            }
        }
        assert!(matches!(
            f.write("../x", b"no"),
            Err(FolderError::Denied { .. })
        ));
        assert!(!tmp.path().join("x").exists(), "nothing written outside");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_that_leave_the_folder() {
        let (tmp, f) = folder();
        std::fs::write(tmp.path().join("secret.txt"), "outside").expect("seed");
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), f.root().join("link.txt"))
            .expect("symlink");
        std::os::unix::fs::symlink(tmp.path(), f.root().join("up")).expect("symlink");
        for path in ["link.txt", "up/secret.txt"] {
            match f.read(path) {
                Err(FolderError::Denied { reason, .. }) => {
                    assert_eq!(
                        reason,
                        "it leads outside the connection folder (through a symlink)"
                    )
                }
                other => panic!("{path}: expected Denied, got {other:?}"),
            }
        }
        let w = f.write("up/planted.txt", b"x");
        assert!(matches!(w, Err(FolderError::Denied { .. })), "{w:?}");
        assert!(!tmp.path().join("planted.txt").exists());
    }
}
