//! Invoice files read a call at a time: only the rows and columns a call needs.
//!
//! A file whose header row is exactly [`COLUMNS`] (every file this connector writes) is
//! *canonical*: its rows can be found, skipped and copied as bytes. For such a file
//!
//! * [`Canonical::index`] scans every row but reads only the columns that identify an
//!   invoice (id, number, version, idempotency key, `updated_at`) and where its rows lie,
//!   checking what a whole-file parse checks across rows (ids present and consecutive, rows
//!   of an invoice agreeing, numbers unique); every other column of an invoice is checked
//!   when that invoice is parsed ([`Canonical::parse`]);
//! * a pull page starts at the byte offset the previous page ended at (its cursor,
//!   `@{byte}:{line}`) and parses only the invoices it returns; the first page indexes the
//!   whole file, so a broken file is still reported on the first page;
//! * a push ([`Slot`]) parses only the invoices the batch names, keeps every other invoice
//!   as its bytes, and writes the file back as its unchanged prefix, then what follows: a
//!   batch that only creates appends its rows to the bytes read.
//!
//! Any other file (columns reordered or extra, a byte-order mark, an older file without the
//! `idempotency_key` column) is read whole as before ([`super::parse_table`]); the next push
//! writes it back canonical.

use std::collections::{HashMap, HashSet};

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{ConnectorError, Invoice, InvoiceKind};
use time::OffsetDateTime;

use super::rows::{self, COLUMNS, InvoiceRow};
use crate::paging::{self, Page};
use crate::since;
use crate::table::{self, Numbered};

const ID: usize = 0;
const VERSION: usize = 1;
const NUMBER: usize = 2;
const UPDATED_AT: usize = 15;
const KEY: usize = 25;

/// The columns every row of one invoice repeats: the invoice's own, not its line's.
fn invoice_columns() -> impl Iterator<Item = usize> {
    (0..16).chain([KEY])
}

/// Where an invoice lies in its file, and the columns that identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub number: String,
    pub version: Option<String>,
    pub idempotency_key: Option<String>,
    pub updated_at: Option<String>,
    /// Byte offset of its first row.
    pub start: usize,
    /// Byte offset just past its last row.
    pub end: usize,
    /// File line of its first row (the header is line 1).
    pub line: u64,
}

/// A canonical invoices file (see the module documentation).
pub struct Canonical<'a> {
    bytes: &'a [u8],
    /// Byte offset of the first row after the header.
    rows_start: usize,
    file: &'a str,
    kind: InvoiceKind,
}

/// The header row of a canonical file, without its line break.
fn header_line() -> String {
    COLUMNS.join(",")
}

impl<'a> Canonical<'a> {
    /// `bytes` as a canonical file, or `None` when its header row is not exactly
    /// [`COLUMNS`] (then it must be read whole).
    pub fn open(bytes: &'a [u8], file: &'a str, kind: InvoiceKind) -> Option<Self> {
        let header = header_line();
        let rest = bytes.strip_prefix(header.as_bytes())?;
        let rows_start = if rest.is_empty() {
            bytes.len()
        } else if rest.starts_with(b"\n") {
            header.len() + 1
        } else if rest.starts_with(b"\r\n") {
            header.len() + 2
        } else {
            return None;
        };
        Some(Canonical {
            bytes,
            rows_start,
            file,
            kind,
        })
    }

    /// Every invoice of the file, in file order, with the cross-row checks of a whole-file
    /// parse.
    pub fn index(&self) -> Result<Vec<Entry>, ConnectorError> {
        let mut started: HashMap<&str, u64> = HashMap::new();
        let mut numbers: HashMap<&str, usize> = HashMap::new();
        let groups: Vec<Entry> = self.groups(self.rows_start, 2).collect::<Result<_, _>>()?;
        for (position, entry) in groups.iter().enumerate() {
            if let Some(first) = started.insert(&entry.id, entry.line) {
                return Err(table::invalid_row(
                    self.file,
                    entry.line,
                    format!(
                        "invoice {} started on line {first}; the rows of one invoice must be consecutive",
                        entry.id
                    ),
                ));
            }
            if let Some(other) = numbers.insert(&entry.number, position) {
                let other = &groups[other];
                return Err(table::invalid_row(
                    self.file,
                    entry.line,
                    format!(
                        "invoice number {} is also used by {} on line {}; \
                         invoice numbers must be unique",
                        entry.number, other.id, other.line
                    ),
                ));
            }
        }
        Ok(groups)
    }

    /// The invoice `entry` locates, every row checked as a whole-file parse checks it.
    pub fn parse(&self, entry: &Entry) -> Result<Invoice, ConnectorError> {
        let headers = csv::StringRecord::from(COLUMNS.to_vec());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&self.bytes[entry.start..entry.end]);
        let mut group: Vec<Numbered<InvoiceRow>> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| self.unreadable(entry.line, &e))?;
            let line = entry.line + record.position().map_or(1, |p| p.line()) - 1;
            let row = record
                .deserialize(Some(&headers))
                .map_err(|e| table::invalid_row(self.file, line, format!("{e}")))?;
            group.push(Numbered { line, row });
        }
        rows::from_rows(&group, self.file, self.kind)
    }

    /// The page of invoices changed at or after `since` that starts at `cursor` (`None`:
    /// the first page, which indexes and so checks the whole file).
    pub fn page(
        &self,
        since: Option<&str>,
        cursor: Option<&str>,
        size: usize,
    ) -> Result<Page<Invoice>, ConnectorError> {
        let since = since.map(|s| since::parse(s, "since")).transpose()?;
        match cursor {
            None => self.take_page(self.index()?.into_iter().map(Ok), since, size),
            Some(cursor) => {
                let (start, line) = self.parse_cursor(cursor)?;
                self.take_page(self.groups(start, line), since, size)
            }
        }
    }

    fn take_page(
        &self,
        entries: impl Iterator<Item = Result<Entry, ConnectorError>>,
        since: Option<OffsetDateTime>,
        size: usize,
    ) -> Result<Page<Invoice>, ConnectorError> {
        let mut items = Vec::new();
        for entry in entries {
            let entry = entry?;
            let included = match (since, &entry.updated_at) {
                (Some(since), Some(at)) => since::parse(at, "updated-at")? >= since,
                _ => true,
            };
            if !included {
                continue;
            }
            if items.len() == size {
                return Ok(Page {
                    items,
                    next: Some(format!("@{}:{}", entry.start, entry.line)),
                });
            }
            items.push(self.parse(&entry)?);
        }
        Ok(Page { items, next: None })
    }

    /// A cursor made by [`Canonical::page`]: the byte offset and line of a row that starts
    /// an invoice. One that points elsewhere (not made here, or the file changed under it)
    /// is refused.
    fn parse_cursor(&self, cursor: &str) -> Result<(usize, u64), ConnectorError> {
        let parsed = cursor
            .strip_prefix('@')
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(byte, line)| {
                Some((byte.parse::<usize>().ok()?, line.parse::<u64>().ok()?))
            });
        match parsed {
            Some((start, line))
                if start >= self.rows_start
                    && start <= self.bytes.len()
                    && self.bytes.get(start.wrapping_sub(1)) == Some(&b'\n')
                    && line >= 2 =>
            {
                Ok((start, line))
            }
            Some(_) => Err(error::validation(format!(
                "cursor {cursor:?} no longer points at an invoice of {}; the file changed \
                 since the previous page, start again without a cursor",
                self.file
            ))
            .at("cursor")),
            None => Err(bad_cursor(cursor)),
        }
    }

    /// The invoices from byte `start` (file line `line`) on, one [`Entry`] per run of rows
    /// with the same id.
    fn groups(&self, start: usize, line: u64) -> Groups<'_> {
        Groups {
            file: self,
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&self.bytes[start..]),
            base: start,
            base_line: line,
            pending: None,
            done: false,
        }
    }

    fn unreadable(&self, line: u64, e: &csv::Error) -> ConnectorError {
        match e.kind() {
            csv::ErrorKind::Utf8 { .. } => not_utf8(self.file, line),
            _ => table::unreadable(self.file, e),
        }
    }
}

/// A cursor this connector did not make.
pub fn bad_cursor(cursor: &str) -> ConnectorError {
    error::validation(format!(
        "cursor {cursor:?} was not made by this connector; start again without a cursor"
    ))
    .at("cursor")
}

fn not_utf8(file: &str, line: u64) -> ConnectorError {
    error::validation(format!(
        "{file} line {line} is not UTF-8 text; save it as UTF-8 CSV. Correct the file and try again"
    ))
}

/// A row read by [`Groups`]: its fields, byte range and line.
struct Row {
    record: csv::ByteRecord,
    start: usize,
    end: usize,
    line: u64,
}

/// The invoices of a canonical file from a row on: see [`Canonical::groups`].
struct Groups<'f> {
    file: &'f Canonical<'f>,
    reader: csv::Reader<&'f [u8]>,
    base: usize,
    base_line: u64,
    pending: Option<Row>,
    done: bool,
}

impl Groups<'_> {
    fn read(&mut self) -> Result<Option<Row>, ConnectorError> {
        let mut record = csv::ByteRecord::new();
        let line_of = |position: Option<&csv::Position>| {
            self.base_line + position.map_or(1, csv::Position::line) - 1
        };
        let read = self.reader.read_byte_record(&mut record);
        let more = read.map_err(|e| {
            let line = line_of(e.position());
            self.file.unreadable(line, &e)
        })?;
        if !more {
            return Ok(None);
        }
        let line = line_of(record.position());
        let start = self.base + record.position().map_or(0, |p| p.byte() as usize);
        let end = self.base + self.reader.position().byte() as usize;
        if record.len() != COLUMNS.len() {
            return Err(error::validation(format!(
                "{} line {line} has {} fields where the header has {}. Correct the file and try again",
                self.file.file,
                record.len(),
                COLUMNS.len()
            )));
        }
        Ok(Some(Row {
            record,
            start,
            end,
            line,
        }))
    }

    fn text(&self, row: &Row, column: usize) -> Result<Option<String>, ConnectorError> {
        let bytes = row.record.get(column).unwrap_or_default();
        if bytes.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(bytes)
            .map(|s| Some(s.to_owned()))
            .map_err(|_| not_utf8(self.file.file, row.line))
    }

    fn group(&mut self) -> Result<Option<Entry>, ConnectorError> {
        let first = match self.pending.take() {
            Some(row) => row,
            None => match self.read()? {
                Some(row) => row,
                None => return Ok(None),
            },
        };
        let Some(id) = self.text(&first, ID)? else {
            return Err(table::invalid_row(
                self.file.file,
                first.line,
                "id is empty; every row needs its invoice's id",
            ));
        };
        let mut end = first.end;
        while let Some(row) = self.read()? {
            if row.record.get(ID) != first.record.get(ID) {
                self.pending = Some(row);
                break;
            }
            if invoice_columns().any(|c| row.record.get(c) != first.record.get(c)) {
                return Err(table::invalid_row(
                    self.file.file,
                    row.line,
                    format!(
                        "the invoice columns of {id} differ from its first row on line {}; \
                         every row of an invoice repeats the same invoice columns",
                        first.line
                    ),
                ));
            }
            end = row.end;
        }
        Ok(Some(Entry {
            number: self.text(&first, NUMBER)?.unwrap_or_default(),
            version: self.text(&first, VERSION)?,
            idempotency_key: self.text(&first, KEY)?,
            updated_at: self.text(&first, UPDATED_AT)?,
            id,
            start: first.start,
            end,
            line: first.line,
        }))
    }
}

impl Iterator for Groups<'_> {
    type Item = Result<Entry, ConnectorError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.group().transpose();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

/// The header row of an invoices file and its line break, as a new file starts.
fn header_bytes() -> Vec<u8> {
    let mut bytes = header_line().into_bytes();
    bytes.push(b'\n');
    bytes
}

/// An invoice of a file open for a push: as it lies in the file, or parsed.
pub type Slot = crate::upsert::Slot<Entry, Invoice>;

impl crate::upsert::Located for Entry {
    fn id(&self) -> &str {
        &self.id
    }
    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
    fn span(&self) -> (usize, usize) {
        (self.start, self.end)
    }
    fn unique_value(&self) -> Option<&str> {
        Some(&self.number)
    }
}

/// An invoices file open for a push: its invoices and the bytes they were read from.
pub struct TableFile {
    /// The file as read (or a bare header for a file read whole or absent).
    bytes: Vec<u8>,
    /// Byte offset of its first row.
    rows_start: usize,
}

impl TableFile {
    /// Open `bytes` (the contents of `file`, `None` when it does not exist) for a push of
    /// invoices of `kind`; the invoices whose ids are in `named` are parsed, the rest kept
    /// as bytes when the file is canonical.
    pub fn load(
        bytes: Option<Vec<u8>>,
        file: &str,
        kind: InvoiceKind,
        named: &HashSet<String>,
    ) -> Result<(TableFile, Vec<Slot>), ConnectorError> {
        let header = header_bytes();
        let Some(bytes) = bytes else {
            let rows_start = header.len();
            return Ok((
                TableFile {
                    bytes: header,
                    rows_start,
                },
                Vec::new(),
            ));
        };
        let (slots, rows_start) = match Canonical::open(&bytes, file, kind) {
            Some(canonical) => {
                let slots = canonical
                    .index()?
                    .into_iter()
                    .map(|entry| {
                        if named.contains(&entry.id) {
                            canonical.parse(&entry).map(|i| Slot::Loaded(Box::new(i)))
                        } else {
                            Ok(Slot::Stored(entry))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (slots, canonical.rows_start)
            }
            None => {
                let slots = super::parse_table(&bytes, file, kind)?
                    .into_iter()
                    .map(|i| Slot::Loaded(Box::new(i)))
                    .collect();
                let rows_start = header.len();
                return Ok((
                    TableFile {
                        bytes: header,
                        rows_start,
                    },
                    slots,
                ));
            }
        };
        Ok((TableFile { bytes, rows_start }, slots))
    }

    /// The new contents of the file holding `slots`: the file's bytes up to the first
    /// invoice that is not stored as it was, then every invoice from there on.
    pub fn contents(self, slots: &[Slot]) -> Result<Vec<u8>, ConnectorError> {
        table::rewrite(self.bytes, self.rows_start, slots, rows::to_rows)
    }
}

/// The invoices of `bytes` (the contents of `file`) whose ids are in `wanted`.
pub fn get(
    bytes: &[u8],
    file: &str,
    kind: InvoiceKind,
    wanted: &HashSet<String>,
) -> Result<Vec<Invoice>, ConnectorError> {
    match Canonical::open(bytes, file, kind) {
        Some(canonical) => canonical
            .index()?
            .iter()
            .filter(|e| wanted.contains(&e.id))
            .map(|e| canonical.parse(e))
            .collect(),
        None => Ok(super::parse_table(bytes, file, kind)?
            .into_iter()
            .filter(|i| i.remote_id.as_ref().is_some_and(|id| wanted.contains(id)))
            .collect()),
    }
}

/// A page of the invoices of `bytes` (the contents of `file`) changed at or after `since`.
pub fn page(
    bytes: &[u8],
    file: &str,
    kind: InvoiceKind,
    since: Option<&str>,
    cursor: Option<&str>,
    size: usize,
) -> Result<Page<Invoice>, ConnectorError> {
    match Canonical::open(bytes, file, kind) {
        Some(canonical) => canonical.page(since, cursor, size),
        None => {
            let offset = paging::parse_cursor(cursor)?;
            let table = super::parse_table(bytes, file, kind)?;
            let selected = since::changed_since(table, since)?;
            Ok(paging::page(selected, offset, size))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::invoices::tests::{invoice, three_lines};
    use crate::invoices::{parse_table, serialize_table};

    const FILE: &str = "job-invoices.csv";

    fn stored(n: usize) -> Vec<Invoice> {
        (1..=n)
            .map(|i| {
                let mut inv = invoice(
                    Some(&format!("J-{i:06}")),
                    &format!("INV-{i}"),
                    three_lines(),
                );
                inv.updated_at = Some(format!("2026-11-{:02}T00:00:00Z", 10 + i));
                inv
            })
            .collect()
    }

    /// [`stored`] without memos, so each row is one text line.
    fn plain(n: usize) -> Vec<Invoice> {
        let mut table = stored(n);
        for i in &mut table {
            i.memo = None;
        }
        table
    }

    /// Compare invoices through their rows: the SDK types have no `PartialEq`.
    fn assert_same(a: &[Invoice], b: &[Invoice]) {
        let rows = |v: &[Invoice]| v.iter().flat_map(rows::to_rows).collect::<Vec<_>>();
        assert_eq!(rows(a), rows(b));
    }

    fn loaded(i: Invoice) -> Slot {
        Slot::Loaded(Box::new(i))
    }

    #[test]
    fn an_append_writes_what_serializing_the_whole_table_writes() {
        let table = stored(3);
        let bytes = serialize_table(&table).unwrap();
        let (file, mut slots) =
            TableFile::load(Some(bytes), FILE, InvoiceKind::Job, &HashSet::new()).unwrap();
        assert!(slots.iter().all(|s| matches!(s, Slot::Stored(_))));
        let mut new = stored(4).pop().unwrap();
        new.number = "INV-new".into();
        slots.push(loaded(new.clone()));
        let mut all = table;
        all.push(new);
        assert_eq!(
            file.contents(&slots).unwrap(),
            serialize_table(&all).unwrap()
        );
    }

    #[test]
    fn an_update_in_the_middle_keeps_the_rows_before_and_after_it() {
        let mut table = stored(3);
        let bytes = serialize_table(&table).unwrap();
        let named: HashSet<String> = ["J-000002".to_owned()].into();
        let (file, mut slots) =
            TableFile::load(Some(bytes), FILE, InvoiceKind::Job, &named).unwrap();
        match &slots[1] {
            Slot::Loaded(i) => assert_same(&[(**i).clone()], &table[1..2]),
            other => panic!("the named invoice is parsed: {other:?}"),
        }
        table[1].lines.pop();
        table[1].memo = Some("changed, \"quoted\"".into());
        slots[1] = loaded(table[1].clone());
        assert_eq!(
            file.contents(&slots).unwrap(),
            serialize_table(&table).unwrap()
        );
    }

    #[test]
    fn a_file_without_its_final_line_break_still_appends_on_a_new_line() {
        let table = stored(1);
        let mut bytes = serialize_table(&table).unwrap();
        assert_eq!(bytes.pop(), Some(b'\n'));
        let (file, mut slots) =
            TableFile::load(Some(bytes), FILE, InvoiceKind::Job, &HashSet::new()).unwrap();
        let mut new = stored(2).pop().unwrap();
        new.number = "INV-new".into();
        slots.push(loaded(new.clone()));
        let back = parse_table(&file.contents(&slots).unwrap(), FILE, InvoiceKind::Job).unwrap();
        assert_same(&back, &[table[0].clone(), new]);
    }

    #[test]
    fn pages_follow_byte_cursors_and_match_a_whole_file_parse() {
        let table = stored(5);
        let bytes = serialize_table(&table).unwrap();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let p = page(&bytes, FILE, InvoiceKind::Job, None, cursor.as_deref(), 2).unwrap();
            pages += 1;
            seen.extend(p.items);
            match p.next {
                Some(next) => {
                    assert!(next.starts_with('@'), "{next}");
                    cursor = Some(next);
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_same(&seen, &parse_table(&bytes, FILE, InvoiceKind::Job).unwrap());

        // `since` selects as `changed_since` does, and the cursor skips what was returned.
        let since = Some("2026-11-13T00:00:00Z");
        let first = page(&bytes, FILE, InvoiceKind::Job, since, None, 2).unwrap();
        let ids = |p: &Page<Invoice>| -> Vec<String> {
            p.items
                .iter()
                .map(|i| i.remote_id.clone().unwrap())
                .collect()
        };
        assert_eq!(ids(&first), ["J-000003", "J-000004"]);
        let last = page(
            &bytes,
            FILE,
            InvoiceKind::Job,
            since,
            first.next.as_deref(),
            2,
        )
        .unwrap();
        assert_eq!(ids(&last), ["J-000005"]);
        assert_eq!(last.next, None);
    }

    #[test]
    fn a_cursor_not_made_here_or_out_of_place_is_refused() {
        let bytes = serialize_table(&stored(2)).unwrap();
        for bad in ["abc", "7", "@x:2", "@1:2", "@99999:2"] {
            let e = page(&bytes, FILE, InvoiceKind::Job, None, Some(bad), 2).unwrap_err();
            assert!(matches!(e, ConnectorError::Validation(_)), "{bad}: {e:?}");
            assert_eq!(e.field(), Some("cursor"), "{bad}");
        }
    }

    #[test]
    fn a_file_not_in_the_connectors_layout_is_read_whole_as_before() {
        // Columns reordered by a spreadsheet: not canonical.
        let canonical = String::from_utf8(serialize_table(&plain(2)).unwrap()).unwrap();
        let mut lines = canonical.lines();
        let header = lines.next().unwrap();
        assert_eq!(header, header_line());
        let swapped: Vec<String> = std::iter::once(header)
            .chain(lines)
            .map(|l| {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(l.as_bytes());
                let record = reader.records().next().unwrap().unwrap();
                let mut fields: Vec<&str> = record.iter().collect();
                fields.swap(0, 1);
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(&fields).unwrap();
                String::from_utf8(w.into_inner().unwrap()).unwrap()
            })
            .collect();
        let bytes = swapped.concat().into_bytes();
        assert!(Canonical::open(&bytes, FILE, InvoiceKind::Job).is_none());
        let p = page(&bytes, FILE, InvoiceKind::Job, None, None, 5).unwrap();
        assert_same(&p.items, &plain(2));
        let (file, slots) =
            TableFile::load(Some(bytes), FILE, InvoiceKind::Job, &HashSet::new()).unwrap();
        assert!(slots.iter().all(|s| matches!(s, Slot::Loaded(_))));
        // Written back in the connector's own layout.
        assert_eq!(
            file.contents(&slots).unwrap(),
            serialize_table(&plain(2)).unwrap()
        );
    }

    /// The index of `bytes` fails with the error a whole-file parse gives.
    fn refused_alike(bytes: &[u8]) {
        let whole = parse_table(bytes, FILE, InvoiceKind::Job).unwrap_err();
        let indexed = Canonical::open(bytes, FILE, InvoiceKind::Job)
            .unwrap()
            .index()
            .unwrap_err();
        assert_eq!(indexed, whole);
    }

    #[test]
    fn the_index_refuses_what_a_whole_file_parse_refuses() {
        let mut table = stored(3);
        table[2].number = "INV-1".into();
        refused_alike(&serialize_table(&table).unwrap());

        // The rows of one invoice split by another's.
        let text = String::from_utf8(serialize_table(&plain(2)).unwrap()).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(3, 4);
        refused_alike((lines.join("\n") + "\n").as_bytes());
    }

    #[test]
    fn get_parses_only_the_wanted_invoices() {
        let table = stored(4);
        let bytes = serialize_table(&table).unwrap();
        let wanted: HashSet<String> = ["J-000004".to_owned(), "J-000002".to_owned()].into();
        let got = get(&bytes, FILE, InvoiceKind::Job, &wanted).unwrap();
        assert_same(&got, &[table[1].clone(), table[3].clone()]);
    }
}
