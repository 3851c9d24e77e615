//! CSV bytes ⇄ rows, with the `csv` crate doing quoting and escaping.
//!
//! Rows are plain `serde` structs whose fields are the columns, all text: numbers, dates and
//! flags are checked by the record mappers, which can name the canonical field at fault.
//! (Decimals in particular must never go through serde here: the `csv` deserializer would
//! read "10.50" as a float and lose its scale.)
//!
//! Columns are matched by header name, so a person may reorder them in a spreadsheet; extra
//! columns are ignored on read and not written back. A UTF-8 byte-order mark, as spreadsheets
//! write it, is skipped.

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::files::{ByteRange, Piece};

use crate::store::{Composed, Source};
use ledgerlink_sdk::types::ConnectorError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A row with the file line it starts on, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbered<R> {
    /// 1-based line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// The row.
    pub row: R,
}

/// Columns a file written before they existed lacks: such a file still reads, each of them
/// empty, and is written back with them. (`idempotency_key`: the key of the write that last
/// changed a record, so a replay of that write is answered with its first result.)
pub const OPTIONAL: [&str; 1] = ["idempotency_key"];

/// Parse `bytes` (the contents of `file`) into rows. The header must name every one of
/// `columns` but the [`OPTIONAL`] ones.
pub fn parse<R: DeserializeOwned>(
    bytes: &[u8],
    file: &str,
    columns: &[&str],
) -> Result<Vec<Numbered<R>>, ConnectorError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let headers = reader.headers().map_err(|e| unreadable(file, &e))?.clone();
    if headers.is_empty() {
        // An empty file: a table that was never written.
        return Ok(Vec::new());
    }
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|column| !OPTIONAL.contains(column) && !headers.iter().any(|h| h == *column))
        .collect();
    if !missing.is_empty() {
        return Err(error::validation(format!(
            "{file} has no column {}; its header row must name: {}",
            missing.join(", "),
            columns.join(", ")
        )));
    }

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(file, &e))?;
        let line = record.position().map_or(0, |p| p.line());
        let row = record
            .deserialize(Some(&headers))
            .map_err(|e| invalid_row(file, line, format!("{e}")))?;
        rows.push(Numbered { line, row });
    }
    Ok(rows)
}

/// Serialize `rows` under a header row of `columns`, quoting only where CSV needs it
/// (commas, quotes, line breaks).
///
/// `columns` must list the fields of `R` in order; each row mapper has a test proving it.
/// The header is written by hand, not by serde, so an empty table still has one.
pub fn serialize<R: Serialize>(columns: &[&str], rows: &[R]) -> Result<Vec<u8>, ConnectorError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(columns).map_err(|e| unwritable(&e))?;
    for row in rows {
        writer.serialize(row).map_err(|e| unwritable(&e))?;
    }
    writer
        .into_inner()
        .map_err(|e| error::transient(format!("could not finish the CSV table: {e}")))
}

/// Append `rows` to `out` as CSV rows (no header), quoted as [`serialize`] quotes them, so
/// rows added to an existing file read exactly as if the whole file had been serialized.
pub fn append_rows<R: Serialize>(out: &mut Vec<u8>, rows: &[R]) -> Result<(), ConnectorError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    for row in rows {
        writer.serialize(row).map_err(|e| unwritable(&e))?;
    }
    writer
        .flush()
        .map_err(|e| error::transient(format!("could not finish the CSV rows: {e}")))
}

/// An error about one row: where it is, what is wrong, and what to do.
///
/// `problem` is a sentence from a mapper, often an SDK error naming the canonical field.
pub fn invalid_row(file: &str, line: u64, problem: impl std::fmt::Display) -> ConnectorError {
    error::validation(format!(
        "{file} line {line}: {problem}. Correct the file and try again"
    ))
}

/// [`invalid_row`] for an SDK error, keeping the field it names.
pub fn invalid_row_error(file: &str, line: u64, e: &ConnectorError) -> ConnectorError {
    let located = invalid_row(file, line, e.message().trim_end_matches('.'));
    match e.field() {
        Some(field) => located.at(field),
        None => located,
    }
}

pub fn unreadable(file: &str, e: &csv::Error) -> ConnectorError {
    let line = e.position().map_or(0, |p| p.line());
    let what = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text; save it as UTF-8 CSV".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields where the header has {expected_len}"),
        _ => format!("could not be read: {e}"),
    };
    error::validation(format!(
        "{file} line {line} {what}. Correct the file and try again"
    ))
}

/// The header serde would write for `row`: lets each mapper's tests prove its `COLUMNS`
/// constant lists the row's fields in order.
/// The new contents of a file read as `bytes` (its rows from `rows_start`) that now holds
/// `slots`: the bytes up to the first record that is not stored as it was, then every record
/// from there on — stored ones copied as their bytes, parsed ones written by `rows_of`. A
/// batch that only creates appends to the bytes read.
pub fn rewrite<E: crate::upsert::Located, R, W: Serialize>(
    bytes: Vec<u8>,
    rows_start: usize,
    slots: &[crate::upsert::Slot<E, R>],
    rows_of: impl Fn(&R) -> Vec<W>,
) -> Result<Vec<u8>, ConnectorError> {
    use crate::upsert::Slot;
    let (kept, prefix_end) = unchanged_prefix(rows_start, slots);
    // What follows the prefix is built apart first, so the file's bytes grow once, by
    // exactly that much (a file near the memory cap is not held twice).
    let mut rest = Vec::new();
    for slot in &slots[kept..] {
        match slot {
            Slot::Stored(e) => {
                let (start, end) = e.span();
                rest.extend_from_slice(&bytes[start..end]);
                if rest.last() != Some(&b'\n') {
                    // A file edited by hand may lack the final line break.
                    rest.push(b'\n');
                }
            }
            Slot::Loaded(record) => append_rows(&mut rest, &rows_of(record))?,
        }
    }
    let mut out = bytes;
    out.truncate(prefix_end);
    out.reserve_exact(rest.len() + 1);
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    out.extend_from_slice(&rest);
    Ok(out)
}

/// How many of `slots` lie unchanged at the start of the file, and the byte offset where
/// they end (`rows_start` when none does).
fn unchanged_prefix<E: crate::upsert::Located, R>(
    rows_start: usize,
    slots: &[crate::upsert::Slot<E, R>],
) -> (usize, usize) {
    use crate::upsert::Slot;
    let kept = slots
        .iter()
        .position(|s| matches!(s, Slot::Loaded(_)))
        .unwrap_or(slots.len());
    let prefix_end = match kept.checked_sub(1).map(|last| &slots[last]) {
        Some(Slot::Stored(e)) => e.span().1,
        _ => rows_start,
    };
    (kept, prefix_end)
}

/// As [`rewrite`], for a file that stays on disk: the new contents as pieces for the host's
/// `compose` — the spans of the file (`len` bytes, `ends_with_newline` or not) that stay as
/// they were, copied by the host, and the rows of parsed records as new bytes. The plugin
/// holds only what changes: a batch that only creates is `[copy(0, len), bytes(new rows)]`.
pub fn compose<E: crate::upsert::Located, R, W: Serialize>(
    len: usize,
    ends_with_newline: bool,
    rows_start: usize,
    slots: &[crate::upsert::Slot<E, R>],
    rows_of: impl Fn(&R) -> Vec<W>,
) -> Result<Vec<Piece>, ConnectorError> {
    use crate::upsert::Slot;
    let (kept, prefix_end) = unchanged_prefix(rows_start, slots);
    let mut pieces = Pieces {
        len,
        ends_with_newline,
        done: Vec::new(),
        bytes: Vec::new(),
    };
    pieces.copy(0, prefix_end);
    for slot in &slots[kept..] {
        match slot {
            Slot::Stored(e) => {
                let (start, end) = e.span();
                pieces.copy(start, end);
            }
            Slot::Loaded(record) => append_rows(&mut pieces.bytes, &rows_of(record))?,
        }
    }
    Ok(pieces.finish())
}

/// What a push writes a table file's rows after.
pub enum Head {
    /// A canonical file, left where it is: its unchanged spans are copied by the host.
    Kept {
        /// Its size when read.
        len: usize,
        /// Whether its last byte is a line break.
        ends_with_newline: bool,
        /// Whether the spans are of the file on disk (then its size is checked again
        /// before writing) or of bytes in memory (tests).
        on_disk: bool,
    },
    /// A bare header: a new file, or one read whole (written back canonical).
    Fresh(Vec<u8>),
}

impl Head {
    /// A canonical file read from `source`.
    pub fn kept(source: Source<'_>) -> Result<Head, ConnectorError> {
        Ok(Head::Kept {
            len: source.len(),
            ends_with_newline: source.ends_with_newline()?,
            on_disk: matches!(source, Source::File { .. }),
        })
    }

    /// The new contents of the file holding `slots` (its rows from `rows_start`): the file
    /// up to the first record that is not stored as it was, then every record from there on
    /// — unchanged ones as spans of the file, changed and new ones as their rows.
    pub fn contents<E: crate::upsert::Located, R, W: Serialize>(
        self,
        rows_start: usize,
        slots: &[crate::upsert::Slot<E, R>],
        rows_of: impl Fn(&R) -> Vec<W>,
    ) -> Result<Composed, ConnectorError> {
        match self {
            Head::Fresh(header) => Ok(Composed::bytes(rewrite(
                header, rows_start, slots, rows_of,
            )?)),
            Head::Kept {
                len,
                ends_with_newline,
                on_disk,
            } => Ok(Composed {
                pieces: compose(len, ends_with_newline, rows_start, slots, rows_of)?,
                read_len: on_disk.then_some(len as u64),
            }),
        }
    }
}

/// Pieces being built by [`compose`]: adjacent spans merged, new bytes gathered.
struct Pieces {
    len: usize,
    ends_with_newline: bool,
    done: Vec<Piece>,
    bytes: Vec<u8>,
}

impl Pieces {
    fn copy(&mut self, start: usize, end: usize) {
        if end <= start {
            return;
        }
        if !self.bytes.is_empty() {
            self.done
                .push(Piece::Bytes(std::mem::take(&mut self.bytes)));
        }
        match self.done.last_mut() {
            Some(Piece::Copy(range)) if range.offset + range.length == start as u64 => {
                range.length += (end - start) as u64;
            }
            _ => self.done.push(Piece::Copy(ByteRange {
                offset: start as u64,
                length: (end - start) as u64,
            })),
        }
        if end == self.len && !self.ends_with_newline {
            // A file edited by hand may lack the final line break.
            self.bytes.push(b'\n');
        }
    }

    fn finish(mut self) -> Vec<Piece> {
        if !self.bytes.is_empty() {
            self.done.push(Piece::Bytes(self.bytes));
        }
        self.done
    }
}

/// The bytes `pieces` make of a file that was `old` (what the host's `compose` writes).
#[cfg(test)]
pub fn composed(old: &[u8], pieces: &[Piece]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Copy(r) => {
                out.extend_from_slice(&old[r.offset as usize..(r.offset + r.length) as usize])
            }
            Piece::Bytes(b) => out.extend_from_slice(b),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub fn serde_header<R: Serialize>(row: &R) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.serialize(row).unwrap();
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    text.lines().next().unwrap_or_default().to_owned()
}

fn unwritable(e: &csv::Error) -> ConnectorError {
    // Writing to memory fails only on a bug (a row that is not flat), not on bad data.
    error::transient(format!("could not build the CSV table: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    struct Pair {
        name: String,
        note: Option<String>,
    }

    const COLUMNS: [&str; 2] = ["name", "note"];

    fn pair(name: &str, note: Option<&str>) -> Pair {
        Pair {
            name: name.into(),
            note: note.map(Into::into),
        }
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_and_survive() {
        let rows = vec![
            pair("Smith, Jones & Co", Some("say \"hi\"")),
            pair("Two\nlines", None),
            pair("plain", Some("")),
        ];
        let bytes = serialize(&COLUMNS, &rows).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "name,note\n\"Smith, Jones & Co\",\"say \"\"hi\"\"\"\n\"Two\nlines\",\nplain,\n"
        );

        let back: Vec<Numbered<Pair>> = parse(&bytes, "t.csv", &COLUMNS).unwrap();
        // An empty cell reads as `None`: the file cannot tell "" from absent.
        assert_eq!(
            back,
            vec![
                Numbered {
                    line: 2,
                    row: rows[0].clone()
                },
                Numbered {
                    line: 3,
                    row: rows[1].clone()
                },
                Numbered {
                    line: 5,
                    row: pair("plain", None)
                },
            ]
        );
    }

    #[test]
    fn an_empty_table_still_has_its_header() {
        let bytes = serialize::<Pair>(&COLUMNS, &[]).unwrap();
        assert_eq!(bytes, b"name,note\n");
        assert_eq!(parse::<Pair>(&bytes, "t.csv", &COLUMNS).unwrap(), vec![]);
    }

    #[test]
    fn an_empty_file_is_an_empty_table() {
        assert_eq!(parse::<Pair>(b"", "t.csv", &COLUMNS).unwrap(), vec![]);
    }

    #[test]
    fn columns_are_found_by_name_and_extra_columns_ignored() {
        let bytes = b"\xef\xbb\xbfextra,note,name\nx,n1,Ann\n";
        let rows: Vec<Numbered<Pair>> = parse(bytes, "t.csv", &COLUMNS).unwrap();
        assert_eq!(
            rows,
            vec![Numbered {
                line: 2,
                row: pair("Ann", Some("n1"))
            }]
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let e = parse::<Pair>(b"name\nAnn\n", "t.csv", &COLUMNS).unwrap_err();
        assert_eq!(
            e.message(),
            "t.csv has no column note; its header row must name: name, note"
        );
    }

    #[test]
    fn a_short_row_names_its_line() {
        let e = parse::<Pair>(b"name,note\nAnn,x\nBob\n", "t.csv", &COLUMNS).unwrap_err();
        assert_eq!(
            e.message(),
            "t.csv line 3 has 1 fields where the header has 2. Correct the file and try again"
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let e = parse::<Pair>(b"name,note\nCaf\xe9,x\n", "t.csv", &COLUMNS).unwrap_err();
        assert_eq!(
            e.message(),
            "t.csv line 2 is not UTF-8 text; save it as UTF-8 CSV. Correct the file and try again"
        );
    }

    #[test]
    fn a_located_sdk_error_keeps_its_field() {
        let e = ledgerlink_sdk::decimal::parse("x", "lines[0].amount").unwrap_err();
        let located = invalid_row_error("j.csv", 4, &e);
        assert_eq!(
            located.message(),
            "j.csv line 4: lines[0].amount must be a decimal number like \"1234.50\", got \"x\". \
             Correct the file and try again"
        );
        assert_eq!(located.field(), Some("lines[0].amount"));
    }
}
