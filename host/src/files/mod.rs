//! A connection's own folder, the only place a plugin's `files` import can touch.
//!
//! Paths from plugins are checked twice: lexically here (absolute paths, `..`, empty
//! components and backslashes are refused with a message that says why), then by `cap-std`,
//! which resolves every component inside the folder and refuses symlinks that lead out of it.
//!
//! A folder has a disk quota (default [`DEFAULT_QUOTA`], 1 GiB; the connection setting
//! `disk-quota-mib` changes it). A write that would take the folder over it is refused
//! before anything is written, counting what the folder already holds (whoever put it
//! there). Usage counts each file's size rounded up to 4 KiB and 4 KiB per folder — about
//! what they take on disk — so a flood of empty files or folders reaches the quota too.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    /// The write would take the folder over its disk quota; nothing was written.
    #[error(
        "disk quota exceeded: writing {path:?} ({}) would bring the connection folder to {}, over its quota of {} ({} in use); nothing was written. An admin can raise it with the connection setting disk-quota-mib",
        human_bytes(*size), human_bytes(*after), human_bytes(*quota), human_bytes(*used)
    )]
    Quota {
        /// The path.
        path: String,
        /// What the write would take on disk.
        size: u64,
        /// What the folder would hold after it.
        after: u64,
        /// What the folder holds now.
        used: u64,
        /// The quota.
        quota: u64,
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

/// The most one range read returns: 16 MiB.
pub const MAX_RANGE: u64 = 16 * 1024 * 1024;

/// A part of a file's new contents for [`ConnectionFolder::compose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// `length` bytes of the file as it is now, from `offset`.
    Copy {
        /// Where the span starts.
        offset: u64,
        /// How many bytes.
        length: u64,
    },
    /// These bytes.
    Bytes(&'a [u8]),
}

/// 1 GiB per connection folder.
pub const DEFAULT_QUOTA: u64 = 1024 * 1024 * 1024;

/// The connection setting that sets a folder's quota, in MiB (a host setting: plugins do
/// not see it).
pub const QUOTA_SETTING: &str = "disk-quota-mib";

/// The quota a `disk-quota-mib` setting means: [`DEFAULT_QUOTA`] when unset.
pub fn quota_from_setting(value: Option<&str>) -> Result<u64, String> {
    let Some(value) = value else {
        return Ok(DEFAULT_QUOTA);
    };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|mib| (1..=16 * 1024 * 1024).contains(mib))
        .map(|mib| mib * 1024 * 1024)
        .ok_or_else(|| {
            format!(
                "the setting {QUOTA_SETTING} is {value:?}; it must be a whole number of MiB from 1 to 16777216 (default 1024, 1 GiB)"
            )
        })
}

/// Disk is counted in blocks of this size (a file of 1 byte takes one; a folder takes one).
const BLOCK: u64 = 4096;

/// How long a measured usage is trusted before the folder is walked again (writes of this
/// folder in between are added as they happen; other writers are seen at the next walk).
const USAGE_FRESH: Duration = Duration::from_secs(2);

/// A folder a plugin may read and write, and nothing outside it, up to its quota.
#[derive(Debug)]
pub struct ConnectionFolder {
    root: PathBuf,
    dir: Dir,
    quota: u64,
    /// Bytes in use, as last measured (plus this folder's own writes since), and when.
    usage: Mutex<Option<(u64, Instant)>>,
}

impl ConnectionFolder {
    /// Open (creating if needed) `root` as a connection folder, with the default quota.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())?;
        let folder = Self {
            root: root.to_path_buf(),
            dir,
            quota: DEFAULT_QUOTA,
            usage: Mutex::new(None),
        };
        // What a writer killed last time left at the top (where connectors keep their
        // files) goes now, whether or not this run writes there.
        folder.sweep_dead_temps(Path::new(""));
        Ok(folder)
    }

    /// The same folder with a quota of `bytes`.
    pub fn with_quota(mut self, bytes: u64) -> Self {
        self.quota = bytes;
        self
    }

    /// The quota in bytes.
    pub fn quota(&self) -> u64 {
        self.quota
    }

    /// What the folder holds, as the quota counts it (walks the folder).
    pub fn usage(&self) -> Result<u64, FolderError> {
        usage_of(&self.dir).map_err(|e| classify("measure", "", e))
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

    /// The size of a file in bytes.
    pub fn size(&self, path: &str) -> Result<u64, FolderError> {
        let rel = checked(path, false)?;
        let meta = self
            .dir
            .metadata(&rel)
            .map_err(|e| classify("inspect", path, e))?;
        if !meta.is_file() {
            return Err(FolderError::Denied {
                path: path.to_owned(),
                reason: "it is a folder, not a file".to_owned(),
            });
        }
        Ok(meta.len())
    }

    /// Up to `length` bytes of a file from `offset` (fewer at its end, none from its end on);
    /// `length` at most [`MAX_RANGE`].
    pub fn read_range(&self, path: &str, offset: u64, length: u32) -> Result<Vec<u8>, FolderError> {
        let rel = checked(path, false)?;
        if u64::from(length) > MAX_RANGE {
            return Err(FolderError::Denied {
                path: path.to_owned(),
                reason: format!(
                    "a range read asks for {} at most; read {} at a time",
                    human_bytes(MAX_RANGE),
                    human_bytes(MAX_RANGE)
                ),
            });
        }
        let mut file = self.dir.open(&rel).map_err(|e| classify("read", path, e))?;
        let mut out = Vec::new();
        (|| {
            file.seek(SeekFrom::Start(offset))?;
            file.take(u64::from(length)).read_to_end(&mut out)
        })()
        .map_err(|e| classify("read", path, e))?;
        Ok(out)
    }

    /// Replace a file atomically with `pieces` in order: spans of the file as it is now
    /// (copied on disk) and new bytes. A span past the file's end is refused and nothing is
    /// written; so is a folder over its quota, as for [`ConnectionFolder::write`].
    pub fn compose(&self, path: &str, pieces: &[Piece<'_>]) -> Result<(), FolderError> {
        let rel = checked(path, false)?;
        let copies = pieces.iter().any(|p| matches!(p, Piece::Copy { .. }));
        let (mut current, current_len) = if copies {
            let file = self
                .dir
                .open(&rel)
                .map_err(|e| classify("read", path, e))?
                .into_std();
            let len = file
                .metadata()
                .map_err(|e| classify("inspect", path, e))?
                .len();
            (Some(file), len)
        } else {
            (None, 0)
        };
        let mut total: u64 = 0;
        for piece in pieces {
            let len = match piece {
                Piece::Copy { offset, length } => {
                    if offset
                        .checked_add(*length)
                        .is_none_or(|end| end > current_len)
                    {
                        return Err(FolderError::Denied {
                            path: path.to_owned(),
                            reason: format!(
                                "the span of {length} bytes from byte {offset} goes past the file's end ({current_len} bytes); nothing was written. Read its size again and compose from that"
                            ),
                        });
                    }
                    *length
                }
                Piece::Bytes(bytes) => bytes.len() as u64,
            };
            total = total.saturating_add(len);
        }
        self.replace(path, &rel, total, |out| {
            for piece in pieces {
                match piece {
                    Piece::Copy { offset, length } => {
                        // `current` is open whenever a piece copies (checked above).
                        let Some(file) = current.as_mut() else {
                            return Err(io::Error::other("no file to copy from"));
                        };
                        file.seek(SeekFrom::Start(*offset))?;
                        let copied = io::copy(&mut file.take(*length), out)?;
                        if copied != *length {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "the file shrank while it was being copied",
                            ));
                        }
                    }
                    Piece::Bytes(bytes) => out.write_all(bytes)?,
                }
            }
            Ok(())
        })
    }

    /// Replace a file atomically: write a temporary file beside it, flush it to disk, rename.
    /// Refused with [`FolderError::Quota`] when the folder would go over its quota.
    pub fn write(&self, path: &str, contents: &[u8]) -> Result<(), FolderError> {
        let rel = checked(path, false)?;
        self.replace(path, &rel, contents.len() as u64, |out| {
            out.write_all(contents)
        })
    }

    /// Replace the file at `rel` with the `len` bytes `fill` writes, atomically and within
    /// the quota (see [`ConnectionFolder::write`]).
    fn replace(
        &self,
        path: &str,
        rel: &Path,
        len: u64,
        fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
    ) -> Result<(), FolderError> {
        self.sweep_dead_temps(rel.parent().unwrap_or(Path::new("")));
        // Held through the write, so two writes through this folder cannot both pass the
        // check on the same free space.
        let mut usage = self.usage.lock().unwrap_or_else(PoisonError::into_inner);
        let used = match *usage {
            Some((used, at)) if at.elapsed() < USAGE_FRESH => used,
            _ => usage_of(&self.dir).map_err(|e| classify("measure the folder for", path, e))?,
        };
        // What this write adds: the new file's blocks, less the file it replaces, plus any
        // folders it creates.
        let replaced = match self.dir.symlink_metadata(rel) {
            Ok(m) if m.is_file() => blocks(m.len()),
            _ => 0,
        };
        let new_folders = rel
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty() && self.dir.symlink_metadata(a).is_err())
            .count() as u64;
        let size = blocks(len);
        let after = used.saturating_sub(replaced) + size + new_folders * BLOCK;
        if after > self.quota && after > used {
            *usage = Some((used, Instant::now()));
            return Err(FolderError::Quota {
                path: path.to_owned(),
                size,
                after,
                used,
                quota: self.quota,
            });
        }
        let result = self.write_unchecked(path, rel, fill);
        *usage = match result {
            Ok(()) => Some((after, Instant::now())),
            // Unknown how far it got: measure again next time.
            Err(_) => None,
        };
        result
    }

    /// Remove the temporary files in `parent` that a process killed mid-write left behind
    /// (its pid in the name, no longer running), so they neither count against the quota nor
    /// lie beside the files a vendor imports. A temporary file of a live process — this one,
    /// or another writing now — is left alone; where liveness cannot be told (not Linux),
    /// nothing is removed. Best effort: a failure only leaves the file.
    fn sweep_dead_temps(&self, parent: &Path) {
        let entries = if parent.as_os_str().is_empty() {
            self.dir.entries()
        } else {
            self.dir.read_dir(parent)
        };
        let Ok(entries) = entries else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix(TEMP_PREFIX)
                .and_then(|rest| rest.split('-').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && process_gone(pid) {
                let _ = self.dir.remove_file(parent.join(&name));
                *self.usage.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
    }

    fn write_unchecked(
        &self,
        path: &str,
        rel: &Path,
        fill: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
    ) -> Result<(), FolderError> {
        if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(e) = self.dir.create_dir_all(parent)
        {
            // Something is in the way; opening it tells a symlink out of the folder
            // (refused) from an ordinary file of that name.
            let e = self.dir.open_dir(parent).err().unwrap_or(e);
            return Err(classify("create folder for", path, e));
        }
        let tmp = temp_name(rel);
        let result = (|| {
            // A std file, so spans copied into it go through the kernel (copy_file_range).
            let mut file = self.dir.create(&tmp)?.into_std();
            fill(&mut file)?;
            file.sync_all()?;
            self.dir.rename(&tmp, &self.dir, rel)
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

/// Whether process `pid` has certainly ended (Linux: no `/proc/<pid>`); elsewhere never
/// claimed, so nothing of a live writer is ever removed.
fn process_gone(pid: u32) -> bool {
    cfg!(target_os = "linux")
        && Path::new("/proc").is_dir()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

/// `len` bytes rounded up to whole blocks (at least one).
fn blocks(len: u64) -> u64 {
    len.div_ceil(BLOCK).max(1) * BLOCK
}

/// What `dir` holds, as the quota counts it. Symlinks are not followed (they count as one
/// block); the walk is iterative, so depth cannot exhaust the stack.
fn usage_of(dir: &Dir) -> io::Result<u64> {
    let mut total = 0u64;
    let mut pending = vec![dir.try_clone()?];
    while let Some(dir) = pending.pop() {
        for entry in dir.entries()? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                total += BLOCK;
                pending.push(entry.open_dir()?);
            } else if kind.is_file() {
                total += blocks(entry.metadata()?.len());
            } else {
                total += BLOCK;
            }
        }
    }
    Ok(total)
}

/// Sizes as people read them: "1 GiB", "12.5 MiB", "300 KiB", "20 bytes".
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * 1024;
    const GIB: u64 = MIB * 1024;
    let scaled = |unit: u64, name: &str| {
        if n.is_multiple_of(unit) {
            format!("{} {name}", n / unit)
        } else {
            // Display only; precision lost on huge values does not matter here.
            #[allow(clippy::cast_precision_loss)]
            let value = n as f64 / unit as f64;
            format!("{value:.1} {name}")
        }
    };
    match n {
        n if n >= GIB => scaled(GIB, "GiB"),
        n if n >= MIB => scaled(MIB, "MiB"),
        n if n >= KIB => scaled(KIB, "KiB"),
        n => format!("{n} bytes"),
    }
}

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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_write_removes_what_a_killed_writer_left_and_keeps_a_live_ones() {
        let (tmp, f) = folder();
        let root = tmp.path().join("conn");
        std::fs::create_dir_all(root.join("out")).expect("mkdir");
        // A process that has ended: start one and wait for it.
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let dead = child.id();
        child.wait().expect("wait");
        let left = format!("{TEMP_PREFIX}{dead}-7");
        let live = format!("{TEMP_PREFIX}{}-99", std::process::id());
        std::fs::write(root.join("out").join(&left), "partial").expect("seed");
        std::fs::write(root.join("out").join(&live), "in progress").expect("seed");
        f.write("out/orders.csv", b"a\n").expect("write");
        let mut names: Vec<String> = std::fs::read_dir(root.join("out"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![live, "orders.csv".to_owned()]);
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

    #[test]
    fn a_write_over_the_quota_is_refused_counting_what_is_there() {
        let (tmp, f) = folder();
        std::fs::write(f.root().join("already.bin"), vec![0u8; 6 * 4096]).expect("seed");
        let f = ConnectionFolder::open(f.root())
            .expect("open")
            .with_quota(10 * 4096);
        f.write("a.bin", &[1u8; 4096]).expect("7 of 10 blocks");
        match f.write("b.bin", &[1u8; 4 * 4096]) {
            Err(FolderError::Quota {
                size, after, used, ..
            }) => assert_eq!((size, after, used), (4 * 4096, 11 * 4096, 7 * 4096)),
            other => panic!("expected Quota, got {other:?}"),
        }
        assert!(!f.root().join("b.bin").exists());
        // Replacing a file counts only the difference.
        f.write("a.bin", &[1u8; 4 * 4096]).expect("10 of 10 blocks");
        let err = f
            .write("c/d.txt", b"x")
            .expect_err("a folder and a file more");
        assert_eq!(
            err.to_string(),
            "disk quota exceeded: writing \"c/d.txt\" (4 KiB) would bring the connection folder to 48 KiB, over its quota of 40 KiB (40 KiB in use); nothing was written. An admin can raise it with the connection setting disk-quota-mib"
        );
        assert_eq!(f.usage().expect("usage"), 10 * 4096);
        drop(tmp);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn ranges_read_parts_and_compose_copies_spans_atomically_within_the_quota() {
        let (_tmp, f) = folder();
        f.write("t.csv", b"head\nrow1\nrow2\n").unwrap();
        assert_eq!(f.size("t.csv").unwrap(), 15);
        assert_eq!(f.read_range("t.csv", 5, 4).unwrap(), b"row1");
        assert_eq!(f.read_range("t.csv", 13, 100).unwrap(), b"2\n");
        assert!(f.read_range("t.csv", 1 << 40, 4).unwrap().is_empty());
        assert!(matches!(
            f.read_range("t.csv", 0, MAX_RANGE as u32 + 1),
            Err(FolderError::Denied { .. })
        ));
        assert!(matches!(
            f.size("nope.csv"),
            Err(FolderError::NotFound { .. })
        ));
        assert!(matches!(
            f.read_range("../x", 0, 1),
            Err(FolderError::Denied { .. })
        ));

        // Append, then replace a row in the middle: spans of the old file and new bytes.
        let copy = |offset, length| Piece::Copy { offset, length };
        f.compose("t.csv", &[copy(0, 15), Piece::Bytes(b"row3\n")])
            .unwrap();
        assert_eq!(f.read("t.csv").unwrap(), b"head\nrow1\nrow2\nrow3\n");
        f.compose(
            "t.csv",
            &[copy(0, 5), Piece::Bytes(b"ROW1\n"), copy(10, 10)],
        )
        .unwrap();
        assert_eq!(f.read("t.csv").unwrap(), b"head\nROW1\nrow2\nrow3\n");
        // A new file from bytes alone.
        f.compose("out/new.csv", &[Piece::Bytes(b"x")]).unwrap();
        assert_eq!(f.read("out/new.csv").unwrap(), b"x");

        // A span past the end, or one that overflows, writes nothing.
        for bad in [copy(16, 5), copy(u64::MAX, 2)] {
            let e = f
                .compose("t.csv", &[Piece::Bytes(b"lost"), bad])
                .unwrap_err();
            assert!(
                e.to_string()
                    .contains("goes past the file's end (20 bytes); nothing was written"),
                "{e}"
            );
        }
        assert_eq!(f.read("t.csv").unwrap(), b"head\nROW1\nrow2\nrow3\n");
        assert!(matches!(
            f.compose("missing.csv", &[copy(0, 1)]),
            Err(FolderError::NotFound { .. })
        ));

        // Copies count against the quota like written bytes: a plugin cannot grow a file
        // past it by copying a span again and again.
        let (_tmp2, small) = {
            let tmp = tempfile::tempdir().unwrap();
            let f = ConnectionFolder::open(tmp.path())
                .unwrap()
                .with_quota(8 * 4096);
            (tmp, f)
        };
        small.write("a.bin", &[7u8; 4096]).unwrap();
        let many = vec![copy(0, 4096); 64];
        assert!(matches!(
            small.compose("a.bin", &many),
            Err(FolderError::Quota { .. })
        ));
        assert_eq!(small.read("a.bin").unwrap(), vec![7u8; 4096]);
        assert!(
            small.list("").unwrap() == ["a.bin"],
            "no temporary file left"
        );
    }

    #[test]
    fn the_quota_setting_is_whole_mib() {
        assert_eq!(quota_from_setting(None), Ok(DEFAULT_QUOTA));
        assert_eq!(quota_from_setting(Some("2048")), Ok(2 * DEFAULT_QUOTA));
        assert_eq!(
            quota_from_setting(Some("lots")),
            Err("the setting disk-quota-mib is \"lots\"; it must be a whole number of MiB from 1 to 16777216 (default 1024, 1 GiB)".to_owned())
        );
        assert!(quota_from_setting(Some("0")).is_err());
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_bytes(DEFAULT_QUOTA), "1 GiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(human_bytes(4096), "4 KiB");
        assert_eq!(human_bytes(20), "20 bytes");
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
