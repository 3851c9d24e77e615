//! The files edge: the only module that calls the host's `files` import.
//!
//! Everything here is a thin wrapper that turns bytes into tables (with the pure functions in
//! [`customers`] and [`invoices`]) and file errors into
//! [`ConnectorError`] classes. Keeping the import calls in one place is what lets every other
//! module be tested natively, where the imports are stubs.
//!
//! A missing file is an empty table, so a new connection needs no set-up: the first push
//! creates the file. Writes replace the whole file; the host's `write` is atomic, so a reader
//! never sees half a table.

use std::borrow::Cow;
use std::io::Read;

use ledgerlink_sdk::error;
use ledgerlink_sdk::files::{self, FileError};
use ledgerlink_sdk::types::{ConnectorError, Customer, Invoice, InvoiceKind};

use crate::{customers, invoices};

/// How much of a file one `read-range` call asks for while streaming it (in tests, less
/// than a row, so rows and fields cross the parts).
pub const CHUNK: u32 = if cfg!(test) { 7 } else { 1024 * 1024 };

/// Where a table file's bytes come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Bytes in memory (the unit tests' files).
    #[cfg(test)]
    Memory(&'a [u8]),
    /// A file of the connection folder, `len` bytes when measured, read through the host's
    /// `read-range` a part at a time.
    File {
        /// Its path in the connection folder.
        path: &'a str,
        /// Its size when measured.
        len: u64,
    },
}

impl<'a> Source<'a> {
    /// Its size in bytes.
    pub fn len(&self) -> usize {
        match *self {
            #[cfg(test)]
            Source::Memory(bytes) => bytes.len(),
            Source::File { len, .. } => usize::try_from(len).unwrap_or(usize::MAX),
        }
    }

    /// The bytes from `start` to the end, streamed.
    pub fn reader(&self, start: usize) -> Box<dyn Read + 'a> {
        match *self {
            #[cfg(test)]
            Source::Memory(bytes) => Box::new(bytes.get(start..).unwrap_or_default()),
            Source::File { path, .. } => Box::new(files::Reader::new(path, start as u64, CHUNK)),
        }
    }

    /// The bytes `start..end` (fewer when the file is shorter).
    pub fn span(&self, start: usize, end: usize) -> Result<Cow<'a, [u8]>, ConnectorError> {
        match *self {
            #[cfg(test)]
            Source::Memory(bytes) => Ok(Cow::Borrowed(
                bytes.get(start..end.min(bytes.len())).unwrap_or_default(),
            )),
            Source::File { path, .. } => read_span(path, start as u64, end as u64).map(Cow::Owned),
        }
    }
}

impl Source<'_> {
    /// Whether its last byte is a line break (an empty file counts as one).
    pub fn ends_with_newline(&self) -> Result<bool, ConnectorError> {
        let len = self.len();
        if len == 0 {
            return Ok(true);
        }
        Ok(self.span(len - 1, len)?.as_ref() == b"\n")
    }

    /// Its whole contents: for a file not in the connector's layout, which can only be
    /// parsed whole.
    pub fn whole(&self) -> Result<Cow<'_, [u8]>, ConnectorError> {
        self.span(0, self.len())
    }
}

/// The customers in `path`; none when the file does not exist.
pub fn load_customers(path: &str) -> Result<Vec<Customer>, ConnectorError> {
    match read(path)? {
        Some(bytes) => customers::parse_table(&bytes, path),
        None => Ok(Vec::new()),
    }
}

/// Replace `path` with `table`.
pub fn save_customers(path: &str, table: &[Customer]) -> Result<(), ConnectorError> {
    write(path, &customers::serialize_table(table)?)
}

/// The invoices of `kind` in `path`; none when the file does not exist.
pub fn load_invoices(path: &str, kind: InvoiceKind) -> Result<Vec<Invoice>, ConnectorError> {
    match read(path)? {
        Some(bytes) => invoices::parse_table(&bytes, path, kind),
        None => Ok(Vec::new()),
    }
}

/// The size of `path` in bytes, `None` when it does not exist.
pub fn size(path: &str) -> Result<Option<u64>, ConnectorError> {
    match files::size(path) {
        Ok(size) => Ok(Some(size)),
        Err(FileError::NotFound(_)) => Ok(None),
        Err(e) => Err(file_error(path, "read", e)),
    }
}

/// The bytes `start..end` of `path`, read a host call of at most [`files::MAX_RANGE`] at a
/// time. Fewer when the file is shorter (it changed since it was measured).
pub fn read_span(path: &str, start: u64, end: u64) -> Result<Vec<u8>, ConnectorError> {
    let mut out = Vec::with_capacity(usize::try_from(end.saturating_sub(start)).unwrap_or(0));
    let mut at = start;
    while at < end {
        let want = u32::try_from(end - at)
            .unwrap_or(u32::MAX)
            .min(files::MAX_RANGE);
        let part = files::read_range(path, at, want).map_err(|e| file_error(path, "read", e))?;
        if part.is_empty() {
            break;
        }
        at += part.len() as u64;
        out.extend_from_slice(&part);
    }
    Ok(out)
}

/// A file's new contents, as pieces for the host's `compose`: spans of the file as it was
/// read (copied on disk by the host) and new bytes.
pub struct Composed {
    /// The pieces, in order.
    pub pieces: Vec<files::Piece>,
    /// The size the file had when its spans were located; `None` when no piece copies.
    pub read_len: Option<u64>,
}

impl Composed {
    /// New contents that copy nothing of the old file.
    pub fn bytes(bytes: Vec<u8>) -> Self {
        Composed {
            pieces: vec![files::Piece::Bytes(bytes)],
            read_len: None,
        }
    }
}

/// Replace `path` with `composed`. Its spans were located in the file as it was read; a file
/// of another size now was changed by someone else in between, and copying those spans would
/// mix two versions, so nothing is written and the batch fails as transient (the host tries
/// again, reading the file anew).
pub fn compose(path: &str, composed: &Composed) -> Result<(), ConnectorError> {
    if let Some(read_len) = composed.read_len {
        let now = size(path)?.unwrap_or(0);
        if now != read_len {
            return Err(error::transient(format!(
                "{path} changed while this batch was being written (it was {read_len} bytes, it is {now}); nothing was written. Try again"
            )));
        }
    }
    files::compose(path, &composed.pieces).map_err(|e| file_error(path, "write", e))
}

/// Replace `path` with `table`.
pub fn save_invoices(path: &str, table: &[Invoice]) -> Result<(), ConnectorError> {
    write(path, &invoices::serialize_table(table)?)
}

/// The file beside `path` that keeps the highest id number handed out in it.
fn issued_path(path: &str) -> String {
    format!("{path}.last-id")
}

/// The highest id number handed out in `path`, records since deleted included; 0 when no
/// record was ever deleted from it (the file's own ids then say it).
pub fn load_issued(path: &str) -> Result<u64, ConnectorError> {
    let beside = issued_path(path);
    match read(&beside)? {
        None => Ok(0),
        Some(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                error::validation(format!(
                    "{beside} must hold one whole number (the highest id number {path} has handed out); correct or delete it"
                ))
            }),
    }
}

/// Record that `number` was handed out in `path` (kept when it is higher than what is
/// recorded), before the record holding it is deleted.
pub fn save_issued(path: &str, number: u64) -> Result<(), ConnectorError> {
    if number <= load_issued(path)? {
        return Ok(());
    }
    write(&issued_path(path), format!("{number}\n").as_bytes())
}

/// Prove the connection folder can be listed.
pub fn list_folder() -> Result<(), ConnectorError> {
    files::list_dir("")
        .map(|_| ())
        .map_err(|e| file_error("the connection folder", "list", e))
}

/// Read a whole file, or `None` when it does not exist.
///
/// Reading and treating not-found as empty (rather than asking `exists` first) leaves no gap
/// in which the file could appear or vanish between two calls.
fn read(path: &str) -> Result<Option<Vec<u8>>, ConnectorError> {
    match files::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(FileError::NotFound(_)) => Ok(None),
        Err(e) => Err(file_error(path, "read", e)),
    }
}

fn write(path: &str, bytes: &[u8]) -> Result<(), ConnectorError> {
    files::write(path, bytes).map_err(|e| file_error(path, "write", e))
}

/// Classify a file error: a refused path is a settings mistake the admin must fix
/// (validation); any other I/O failure may pass (transient), so the host may retry.
fn file_error(path: &str, verb: &str, e: FileError) -> ConnectorError {
    match e {
        FileError::Denied(m) => error::validation(format!(
            "could not {verb} {path}: {m}; file settings must name a path inside the connection folder"
        )),
        FileError::NotFound(m) => {
            error::transient(format!("could not {verb} {path}: not found: {m}"))
        }
        FileError::Io(m) => error::transient(format!("could not {verb} {path}: {m}")),
    }
}
