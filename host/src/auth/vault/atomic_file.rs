//! Replacing a file so that a crash leaves either the old or the new contents, never a mix,
//! and so that the file is readable by its owner only.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::VaultError;

/// Writes `bytes` to `path` atomically: a sibling temporary file (mode 0600 on Unix) is
/// written and fsynced, renamed over `path`, and the folder is fsynced so the rename itself
/// survives a power cut.
///
/// The caller must hold the vault's exclusive lock: the temporary file has a fixed name.
pub(super) fn replace_private(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let tmp = temp_path(path);
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| VaultError::Io {
            action,
            path,
            source,
        }
    };
    // A leftover from a crash may have other permissions; `create_new` below must make a
    // file with ours.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(io("remove the stale temporary file", &tmp)(err)),
    }
    let mut file = create_private(&tmp).map_err(io("create", &tmp))?;
    file.write_all(bytes).map_err(io("write", &tmp))?;
    file.sync_all().map_err(io("flush to disk", &tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io("replace the vault file", path))?;
    sync_parent(path)
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Creates `path` (which must not exist) readable and writable by the owner only.
pub(super) fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(unix)]
fn sync_parent(path: &Path) -> Result<(), VaultError> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| VaultError::Io {
            action: "flush to disk the folder of",
            path: path.to_owned(),
            source,
        })
}

#[cfg(not(unix))]
fn sync_parent(_path: &Path) -> Result<(), VaultError> {
    // Windows cannot open a directory as a file to flush it; NTFS journals the rename.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        replace_private(&path, b"one").expect("write");
        replace_private(&path, b"two").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        assert!(!dir.path().join("secrets.json.tmp").exists());
    }

    #[test]
    fn a_stale_temporary_file_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        std::fs::write(dir.path().join("secrets.json.tmp"), b"half-written").expect("write");
        replace_private(&path, b"whole").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"whole");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        replace_private(&path, b"x").expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
