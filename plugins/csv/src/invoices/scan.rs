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
//! The file stays where it is: a [`Source::File`] is read through the host's `read-range`
//! a part at a time (the index streams it; an invoice's rows are read by their span), and a
//! push writes the file back with `compose` — the unchanged spans copied by the host on disk,
//! only the changed invoices' rows passed as bytes — so the plugin never holds the file.
//!
//! Any other file (columns reordered or extra, a byte-order mark, an older file without the
//! `idempotency_key` column) is read whole as before ([`super::parse_table`]); the next push
//! writes it back canonical.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{ConnectorError, Invoice, InvoiceKind};
use time::OffsetDateTime;

use super::rows::{self, COLUMNS, InvoiceRow};
use crate::paging::{self, Page};
use crate::since;
use crate::store::{Composed, Source};
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
    source: Source<'a>,
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
    /// `source` as a canonical file, or `None` when its header row is not exactly
    /// [`COLUMNS`] (then it must be read whole).
    pub fn open(
        source: Source<'a>,
        file: &'a str,
        kind: InvoiceKind,
    ) -> Result<Option<Self>, ConnectorError> {
        let header = header_line();
        let start = source.span(0, header.len() + 2)?;
        let Some(rest) = start.strip_prefix(header.as_bytes()) else {
            return Ok(None);
        };
        let rows_start = if rest.is_empty() {
            header.len()
        } else if rest.starts_with(b"\n") {
            header.len() + 1
        } else if rest.starts_with(b"\r\n") {
            header.len() + 2
        } else {
            return Ok(None);
        };
        Ok(Some(Canonical {
            source,
            rows_start,
            file,
            kind,
        }))
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
        let rows = self.source.span(entry.start, entry.end)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(rows.as_ref());
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
                    && start <= self.source.len()
                    && line >= 2
                    && self.source.span(start - 1, start)?.as_ref() == b"\n" =>
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
                .buffer_capacity(64 * 1024)
                .from_reader(self.source.reader(start)),
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
    reader: csv::Reader<Box<dyn Read + 'f>>,
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

/// An invoices file open for a push: where its invoices lie, for writing it back.
pub struct TableFile {
    head: table::Head,
    /// Byte offset of its first row.
    rows_start: usize,
}

impl TableFile {
    /// Open `source` (the file `file`, `None` when it does not exist) for a push of invoices
    /// of `kind`; the invoices whose ids are in `named` are parsed, the rest located only
    /// when the file is canonical.
    pub fn load(
        source: Option<Source<'_>>,
        file: &str,
        kind: InvoiceKind,
        named: &HashSet<String>,
    ) -> Result<(TableFile, Vec<Slot>), ConnectorError> {
        let header = header_bytes();
        let fresh = |slots| {
            Ok((
                TableFile {
                    rows_start: header.len(),
                    head: table::Head::Fresh(header.clone()),
                },
                slots,
            ))
        };
        let Some(source) = source else {
            return fresh(Vec::new());
        };
        match Canonical::open(source, file, kind)? {
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
                Ok((
                    TableFile {
                        head: table::Head::kept(source)?,
                        rows_start: canonical.rows_start,
                    },
                    slots,
                ))
            }
            None => {
                let bytes = source.whole()?;
                let slots = super::parse_table(&bytes, file, kind)?
                    .into_iter()
                    .map(|i| Slot::Loaded(Box::new(i)))
                    .collect();
                fresh(slots)
            }
        }
    }

    /// The new contents of the file holding `slots`: the file up to the first invoice that
    /// is not stored as it was, then every invoice from there on — unchanged ones as spans
    /// of the file, changed and new ones as their rows.
    pub fn contents(self, slots: &[Slot]) -> Result<Composed, ConnectorError> {
        self.head.contents(self.rows_start, slots, rows::to_rows)
    }
}

/// The invoices of `source` (the file `file`) whose ids are in `wanted`, in file order.
///
/// A canonical file is read from its start only as far as the last wanted invoice: a
/// read-back asks for the documents a push just wrote, a page of ids at a time, and reading
/// the whole file for every page made the read-back of 100,000 invoices scan the 78 MB file
/// twenty times. Every row read is checked as a whole-file parse checks it, and an id met
/// twice among them is refused; the checks across the rest of the file (unique numbers,
/// every row of an invoice together) are a pull's and a push's, which read it all.
pub fn get(
    source: Source<'_>,
    file: &str,
    kind: InvoiceKind,
    wanted: &HashSet<String>,
) -> Result<Vec<Invoice>, ConnectorError> {
    match Canonical::open(source, file, kind)? {
        Some(canonical) => {
            let mut seen: HashMap<String, u64> = HashMap::new();
            let mut found = Vec::new();
            for entry in canonical.groups(canonical.rows_start, 2) {
                let entry = entry?;
                if let Some(first) = seen.insert(entry.id.clone(), entry.line) {
                    return Err(table::invalid_row(
                        file,
                        entry.line,
                        format!(
                            "invoice {} started on line {first}; the rows of one invoice must be consecutive",
                            entry.id
                        ),
                    ));
                }
                if wanted.contains(&entry.id) {
                    found.push(canonical.parse(&entry)?);
                    if found.len() == wanted.len() {
                        break;
                    }
                }
            }
            Ok(found)
        }
        None => Ok(super::parse_table(&source.whole()?, file, kind)?
            .into_iter()
            .filter(|i| i.remote_id.as_ref().is_some_and(|id| wanted.contains(id)))
            .collect()),
    }
}

/// A page of the invoices of `source` (the file `file`) changed at or after `since`.
pub fn page(
    source: Source<'_>,
    file: &str,
    kind: InvoiceKind,
    since: Option<&str>,
    cursor: Option<&str>,
    size: usize,
) -> Result<Page<Invoice>, ConnectorError> {
    match Canonical::open(source, file, kind)? {
        Some(canonical) => canonical.page(since, cursor, size),
        None => {
            let offset = paging::parse_cursor(cursor)?;
            let table = super::parse_table(&source.whole()?, file, kind)?;
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

    /// `bytes` open for a push that names no stored invoice.
    fn open_all(bytes: &[u8]) -> (TableFile, Vec<Slot>) {
        TableFile::load(
            Some(Source::Memory(bytes)),
            FILE,
            InvoiceKind::Job,
            &HashSet::new(),
        )
        .unwrap()
    }

    /// A new invoice to append after [`stored`]`(n - 1)`.
    fn new_invoice(n: usize) -> Invoice {
        let mut new = stored(n).pop().unwrap();
        new.number = "INV-new".into();
        new
    }

    fn loaded(i: Invoice) -> Slot {
        Slot::Loaded(Box::new(i))
    }

    #[test]
    fn an_append_writes_what_serializing_the_whole_table_writes() {
        let table = stored(3);
        let bytes = serialize_table(&table).unwrap();
        let (file, mut slots) = open_all(&bytes);
        assert!(slots.iter().all(|s| matches!(s, Slot::Stored(_))));
        let new = new_invoice(4);
        slots.push(loaded(new.clone()));
        let mut all = table;
        all.push(new);
        let composed = file.contents(&slots).unwrap();
        assert_eq!(
            composed.pieces.len(),
            2,
            "a copy of the file and the new rows"
        );
        assert_eq!(
            table::composed(&bytes, &composed.pieces),
            serialize_table(&all).unwrap()
        );
    }

    #[test]
    fn an_update_in_the_middle_keeps_the_rows_before_and_after_it() {
        let mut table = stored(3);
        let bytes = serialize_table(&table).unwrap();
        let named: HashSet<String> = ["J-000002".to_owned()].into();
        let (file, mut slots) =
            TableFile::load(Some(Source::Memory(&bytes)), FILE, InvoiceKind::Job, &named).unwrap();
        match &slots[1] {
            Slot::Loaded(i) => assert_same(&[(**i).clone()], &table[1..2]),
            other => panic!("the named invoice is parsed: {other:?}"),
        }
        table[1].lines.pop();
        table[1].memo = Some("changed, \"quoted\"".into());
        slots[1] = loaded(table[1].clone());
        let composed = file.contents(&slots).unwrap();
        assert_eq!(composed.pieces.len(), 3, "before, the invoice, after");
        assert_eq!(
            table::composed(&bytes, &composed.pieces),
            serialize_table(&table).unwrap()
        );
    }

    #[test]
    fn a_file_without_its_final_line_break_still_appends_on_a_new_line() {
        let table = stored(1);
        let mut bytes = serialize_table(&table).unwrap();
        assert_eq!(bytes.pop(), Some(b'\n'));
        let (file, mut slots) = open_all(&bytes);
        let new = new_invoice(2);
        slots.push(loaded(new.clone()));
        let composed = file.contents(&slots).unwrap();
        let back = parse_table(
            &table::composed(&bytes, &composed.pieces),
            FILE,
            InvoiceKind::Job,
        )
        .unwrap();
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
            let p = page(
                Source::Memory(&bytes),
                FILE,
                InvoiceKind::Job,
                None,
                cursor.as_deref(),
                2,
            )
            .unwrap();
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
        let first = page(
            Source::Memory(&bytes),
            FILE,
            InvoiceKind::Job,
            since,
            None,
            2,
        )
        .unwrap();
        let ids = |p: &Page<Invoice>| -> Vec<String> {
            p.items
                .iter()
                .map(|i| i.remote_id.clone().unwrap())
                .collect()
        };
        assert_eq!(ids(&first), ["J-000003", "J-000004"]);
        let last = page(
            Source::Memory(&bytes),
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
            let e = page(
                Source::Memory(&bytes),
                FILE,
                InvoiceKind::Job,
                None,
                Some(bad),
                2,
            )
            .unwrap_err();
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
        assert!(
            Canonical::open(Source::Memory(&bytes), FILE, InvoiceKind::Job)
                .unwrap()
                .is_none()
        );
        let p = page(
            Source::Memory(&bytes),
            FILE,
            InvoiceKind::Job,
            None,
            None,
            5,
        )
        .unwrap();
        assert_same(&p.items, &plain(2));
        let (file, slots) = open_all(&bytes);
        assert!(slots.iter().all(|s| matches!(s, Slot::Loaded(_))));
        // Written back in the connector's own layout.
        let composed = file.contents(&slots).unwrap();
        assert_eq!(
            composed.read_len, None,
            "nothing copied from a file read whole"
        );
        assert_eq!(
            table::composed(&bytes, &composed.pieces),
            serialize_table(&plain(2)).unwrap()
        );
    }

    /// The index of `bytes` fails with the error a whole-file parse gives.
    fn refused_alike(bytes: &[u8]) {
        let whole = parse_table(bytes, FILE, InvoiceKind::Job).unwrap_err();
        let indexed = Canonical::open(Source::Memory(bytes), FILE, InvoiceKind::Job)
            .unwrap()
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
        let got = get(Source::Memory(&bytes), FILE, InvoiceKind::Job, &wanted).unwrap();
        assert_same(&got, &[table[1].clone(), table[3].clone()]);
    }

    #[test]
    fn get_reads_no_further_than_the_last_wanted_invoice() {
        let table = plain(3);
        let mut bytes = serialize_table(&table).unwrap();
        // Past the wanted invoices, a row no parse could read: never reached.
        bytes.extend_from_slice(b"J-000009,not,enough,fields\n");
        let wanted: HashSet<String> = ["J-000002".to_owned()].into();
        let got = get(Source::Memory(&bytes), FILE, InvoiceKind::Job, &wanted).unwrap();
        assert_same(&got, &table[1..2]);
        // An id not in the file reads it all, and the broken row is reported.
        let missing: HashSet<String> = ["J-000002".to_owned(), "J-000099".to_owned()].into();
        let e = get(Source::Memory(&bytes), FILE, InvoiceKind::Job, &missing).unwrap_err();
        assert!(e.message().contains("line "), "{e:?}");
        // An id met twice among the rows read is refused as a whole-file parse refuses it.
        let text = String::from_utf8(serialize_table(&plain(2)).unwrap()).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(3, 4);
        let split = (lines.join("\n") + "\n").into_bytes();
        let all: HashSet<String> = ["J-000003".to_owned()].into();
        let e = get(Source::Memory(&split), FILE, InvoiceKind::Job, &all).unwrap_err();
        assert!(e.message().contains("must be consecutive"), "{e:?}");
    }

    /// The same push and reads against a file in the (fake) host's folder: streamed through
    /// `read-range` in parts smaller than a row, and written with `compose`.
    #[test]
    fn a_file_on_disk_is_streamed_and_composed_not_held() {
        use ledgerlink_sdk::testing::FakeHost;
        let table = stored(4);
        let bytes = serialize_table(&table).unwrap();
        let host = FakeHost::new();
        host.put_file(FILE, bytes.clone());
        let _g = host.install();
        let source = || Source::File {
            path: FILE,
            len: bytes.len() as u64,
        };
        let wanted: HashSet<String> = ["J-000003".to_owned()].into();
        assert_same(
            &get(source(), FILE, InvoiceKind::Job, &wanted).unwrap(),
            &table[2..3],
        );
        let first = page(source(), FILE, InvoiceKind::Job, None, None, 3).unwrap();
        let rest = page(
            source(),
            FILE,
            InvoiceKind::Job,
            None,
            first.next.as_deref(),
            3,
        )
        .unwrap();
        assert_same(&[first.items, rest.items].concat(), &table);

        let named: HashSet<String> = ["J-000002".to_owned()].into();
        let (file, mut slots) =
            TableFile::load(Some(source()), FILE, InvoiceKind::Job, &named).unwrap();
        let mut changed = table.clone();
        changed[1].memo = Some("re-sent".into());
        slots[1] = loaded(changed[1].clone());
        let new = new_invoice(5);
        slots.push(loaded(new.clone()));
        changed.push(new);
        let composed = file.contents(&slots).unwrap();
        assert_eq!(composed.read_len, Some(bytes.len() as u64));
        crate::store::compose(FILE, &composed).unwrap();
        assert_eq!(host.file(FILE).unwrap(), serialize_table(&changed).unwrap());

        // Spans located in a file someone changed since are not copied.
        let (file, slots) =
            TableFile::load(Some(source()), FILE, InvoiceKind::Job, &named).unwrap();
        let composed = file.contents(&slots).unwrap();
        let e = crate::store::compose(FILE, &composed).unwrap_err();
        assert!(matches!(e, ConnectorError::Transient(_)), "{e:?}");
        assert!(
            format!("{e:?}").contains("changed while this batch was being written"),
            "{e:?}"
        );
        assert_eq!(host.file(FILE).unwrap(), serialize_table(&changed).unwrap());
    }
}
