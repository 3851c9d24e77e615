//! `customers.csv` open for a push: only the customers a batch names are parsed.
//!
//! The invoices' treatment ([`crate::invoices::TableFile`]) for the customers file, which
//! is simpler: one row per customer. A file whose header row is exactly
//! [`customers::COLUMNS`] (every file this connector writes) is *canonical*: each row is
//! read as bytes, only its id, version and idempotency key are taken out (what the writer
//! compares across the table), ids are checked present and unique as a whole-file parse
//! checks them, and every row the batch does not name is copied back as a span of the file.
//! The file is streamed through the host's `read-range` and written back with `compose`, so
//! the plugin never holds it: a batch that only creates appends its rows; an update writes
//! its rows between the spans before and after it. Any other file is read whole as before
//! ([`customers::parse_table`]) and written back canonical.

use std::collections::{HashMap, HashSet};

use ledgerlink_sdk::error;
use ledgerlink_sdk::types::{ConnectorError, Customer};

use crate::customers::{self, COLUMNS};
use crate::store::{Composed, Source};
use crate::table;

const ID: usize = 0;
const VERSION: usize = 1;
const KEY: usize = 23;

/// Where a customer's row lies in its file, and the cells the writer compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub version: Option<String>,
    pub idempotency_key: Option<String>,
    /// Byte offset of its row.
    pub start: usize,
    /// Byte offset just past its row (and its line break, if it has one).
    pub end: usize,
}

/// A customer of a file open for a push: as it lies in the file, or parsed.
pub type Slot = crate::upsert::Slot<Entry, Customer>;

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
}

/// `customers.csv` open for a push: where its customers lie, for writing it back.
pub struct CustomerFile {
    head: table::Head,
    /// Byte offset of its first row.
    rows_start: usize,
}

fn header_line() -> String {
    COLUMNS.join(",")
}

/// Byte offset of the first row when `source` starts with the canonical header row.
fn canonical_rows_start(source: Source<'_>) -> Result<Option<usize>, ConnectorError> {
    let header = header_line();
    let start = source.span(0, header.len() + 2)?;
    let Some(rest) = start.strip_prefix(header.as_bytes()) else {
        return Ok(None);
    };
    Ok(if rest.is_empty() {
        Some(header.len())
    } else if rest.starts_with(b"\n") {
        Some(header.len() + 1)
    } else if rest.starts_with(b"\r\n") {
        Some(header.len() + 2)
    } else {
        None
    })
}

impl CustomerFile {
    /// Open `source` (the file `file`, `None` when it does not exist) for a push; the
    /// customers whose ids are in `named` are parsed, the rest located when the file is
    /// canonical.
    pub fn load(
        source: Option<Source<'_>>,
        file: &str,
        named: &HashSet<String>,
    ) -> Result<(CustomerFile, Vec<Slot>), ConnectorError> {
        let mut header = header_line().into_bytes();
        header.push(b'\n');
        let whole = |bytes: &[u8], header: Vec<u8>| {
            let slots = customers::parse_table(bytes, file)?
                .into_iter()
                .map(|c| Slot::Loaded(Box::new(c)))
                .collect();
            let rows_start = header.len();
            Ok((
                CustomerFile {
                    head: table::Head::Fresh(header),
                    rows_start,
                },
                slots,
            ))
        };
        let Some(source) = source else {
            return whole(b"", header);
        };
        let Some(rows_start) = canonical_rows_start(source)? else {
            return whole(&source.whole()?, header);
        };
        let slots = index(source, rows_start, file, named)?;
        let head = table::Head::kept(source)?;
        Ok((CustomerFile { head, rows_start }, slots))
    }

    /// The new contents of the file holding `slots`: the file up to the first customer that
    /// is not stored as it was, then every customer from there on (unchanged ones as spans
    /// of the file).
    pub fn contents(self, slots: &[Slot]) -> Result<Composed, ConnectorError> {
        self.head
            .contents(self.rows_start, slots, |c| vec![customers::to_row(c)])
    }
}

/// Every row of a canonical file from `rows_start`: the rows whose ids are in `named`
/// parsed and checked as a whole-file parse checks them, the rest located.
fn index(
    source: Source<'_>,
    rows_start: usize,
    file: &str,
    named: &HashSet<String>,
) -> Result<Vec<Slot>, ConnectorError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(source.reader(rows_start));
    let headers = csv::StringRecord::from(COLUMNS.to_vec());
    let mut record = csv::ByteRecord::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut slots = Vec::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| table::unreadable(file, &e))?
    {
        let position = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let start = rows_start + byte_offset(position.byte())?;
        let end = rows_start + byte_offset(reader.position().byte())?;
        // The header is line 1.
        let line = position.line() + 1;
        if record.len() != COLUMNS.len() {
            return Err(table::invalid_row(
                file,
                line,
                format!(
                    "the row has {} fields where the header has {}",
                    record.len(),
                    COLUMNS.len()
                ),
            ));
        }
        let text = |column: usize| -> Result<Option<String>, ConnectorError> {
            let cell = record.get(column).unwrap_or_default();
            let cell = std::str::from_utf8(cell).map_err(|_| {
                error::validation(format!(
                    "{file} line {line} is not UTF-8 text; save it as UTF-8 CSV"
                ))
            })?;
            Ok((!cell.is_empty()).then(|| cell.to_owned()))
        };
        let Some(id) = text(ID)? else {
            return Err(table::invalid_row(file, line, "the row has no id"));
        };
        if let Some(first) = first_line_of.insert(id.clone(), line) {
            return Err(table::invalid_row(
                file,
                line,
                format!("id {id} is also on line {first}; ids must be unique"),
            ));
        }
        if named.contains(&id) {
            let string = csv::StringRecord::from_byte_record(record.clone()).map_err(|_| {
                error::validation(format!(
                    "{file} line {line} is not UTF-8 text; save it as UTF-8 CSV"
                ))
            })?;
            let row: customers::CustomerRow = string
                .deserialize(Some(&headers))
                .map_err(|e| table::invalid_row(file, line, format!("{e}")))?;
            let customer =
                customers::from_row(row).map_err(|e| table::invalid_row_error(file, line, &e))?;
            slots.push(Slot::Loaded(Box::new(customer)));
        } else {
            slots.push(Slot::Stored(Entry {
                id,
                version: text(VERSION)?,
                idempotency_key: text(KEY)?,
                start,
                end,
            }));
        }
    }
    Ok(slots)
}

fn byte_offset(byte: u64) -> Result<usize, ConnectorError> {
    usize::try_from(byte).map_err(|_| error::validation("the customers file is too large to read"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;

    fn customer(n: usize) -> Customer {
        Customer {
            key: format!("K{n}"),
            remote_id: Some(format!("C-{n:06}")),
            version: Some("1".into()),
            idempotency_key: Some(format!("key-{n}")),
            name: format!("Customer, \"{n}\""),
            account_number: None,
            contact_name: None,
            email: Some(format!("c{n}@example.com")),
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: Some("NZD".into()),
            active: true,
            updated_at: Some("2026-12-01T00:00:00Z".into()),
        }
    }

    /// What `opened` writes for `slots` over a file that was `old`.
    fn written(old: &[u8], opened: CustomerFile, slots: &[Slot]) -> Vec<u8> {
        table::composed(old, &opened.contents(slots).unwrap().pieces)
    }

    fn file(n: usize) -> Vec<u8> {
        customers::serialize_table(&(1..=n).map(customer).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn unnamed_rows_stay_bytes_and_named_rows_are_parsed() {
        let named = HashSet::from(["C-000002".to_owned()]);
        let (_, slots) =
            CustomerFile::load(Some(Source::Memory(&file(3))), "customers.csv", &named).unwrap();
        assert_eq!(slots.len(), 3);
        match (&slots[0], &slots[1], &slots[2]) {
            (Slot::Stored(a), Slot::Loaded(b), Slot::Stored(c)) => {
                assert_eq!(
                    (
                        a.id.as_str(),
                        a.version.as_deref(),
                        a.idempotency_key.as_deref()
                    ),
                    ("C-000001", Some("1"), Some("key-1"))
                );
                assert_eq!(**b, customers::parse_table(&file(3), "f").unwrap()[1]);
                assert_eq!(c.id, "C-000003");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_append_and_an_update_write_what_serializing_the_whole_table_writes() {
        let (opened, mut slots) = CustomerFile::load(
            Some(Source::Memory(&file(3))),
            "customers.csv",
            &HashSet::new(),
        )
        .unwrap();
        slots.push(Slot::Loaded(Box::new(customer(4))));
        assert_eq!(written(&file(3), opened, &slots), file(4));

        let named = HashSet::from(["C-000002".to_owned()]);
        let (opened, mut slots) =
            CustomerFile::load(Some(Source::Memory(&file(3))), "customers.csv", &named).unwrap();
        let mut changed = customer(2);
        changed.name = "Renamed".into();
        slots[1] = Slot::Loaded(Box::new(changed.clone()));
        let mut expected: Vec<Customer> = (1..=3).map(customer).collect();
        expected[1] = changed;
        assert_eq!(
            written(&file(3), opened, &slots),
            customers::serialize_table(&expected).unwrap()
        );
    }

    #[test]
    fn a_missing_file_starts_with_the_header() {
        let (opened, mut slots) =
            CustomerFile::load(None, "customers.csv", &HashSet::new()).unwrap();
        assert!(slots.is_empty());
        slots.push(Slot::Loaded(Box::new(customer(1))));
        assert_eq!(written(b"", opened, &slots), file(1));
    }

    #[test]
    fn a_repeated_id_is_refused_as_a_whole_file_parse_refuses_it() {
        let mut bytes = file(2);
        let second = String::from_utf8(bytes.clone()).unwrap();
        let row = second.lines().nth(1).unwrap().to_owned();
        bytes.extend_from_slice(row.as_bytes());
        bytes.push(b'\n');
        let index_error = CustomerFile::load(
            Some(Source::Memory(&bytes)),
            "customers.csv",
            &HashSet::new(),
        )
        .err()
        .unwrap();
        let parse_error = customers::parse_table(&bytes, "customers.csv").unwrap_err();
        assert_eq!(index_error.message(), parse_error.message());
    }

    #[test]
    fn a_file_in_another_layout_is_read_whole_and_written_back_canonical() {
        // An older file, without the idempotency key column.
        let mut older: Vec<Customer> = (1..=2).map(customer).collect();
        for c in &mut older {
            c.idempotency_key = None;
        }
        let canonical = customers::serialize_table(&older).unwrap();
        let text: String = String::from_utf8(canonical.clone())
            .unwrap()
            .lines()
            .map(|l| {
                let l = l.strip_suffix(",idempotency_key").unwrap_or(l);
                format!("{}\n", l.strip_suffix(',').unwrap_or(l))
            })
            .collect();
        let text = text.into_bytes();
        let (opened, slots) = CustomerFile::load(
            Some(Source::Memory(&text)),
            "customers.csv",
            &HashSet::new(),
        )
        .unwrap();
        assert!(slots.iter().all(|s| matches!(s, Slot::Loaded(_))));
        assert_eq!(written(&text, opened, &slots), canonical);
    }

    #[test]
    fn a_file_on_disk_is_streamed_and_written_back_with_compose() {
        use ledgerlink_sdk::testing::FakeHost;
        let host = FakeHost::new();
        host.put_file("customers.csv", file(3));
        let _g = host.install();
        let source = Source::File {
            path: "customers.csv",
            len: file(3).len() as u64,
        };
        let named = HashSet::from(["C-000002".to_owned()]);
        let (opened, mut slots) =
            CustomerFile::load(Some(source), "customers.csv", &named).unwrap();
        let mut changed = customer(2);
        changed.name = "Renamed".into();
        slots[1] = Slot::Loaded(Box::new(changed.clone()));
        slots.push(Slot::Loaded(Box::new(customer(4))));
        let composed = opened.contents(&slots).unwrap();
        assert_eq!(composed.read_len, Some(file(3).len() as u64));
        assert!(
            composed
                .pieces
                .iter()
                .any(|p| matches!(p, ledgerlink_sdk::files::Piece::Copy(_))),
            "the unchanged rows are copied by the host, not passed as bytes"
        );
        crate::store::compose("customers.csv", &composed).unwrap();
        let mut expected: Vec<Customer> = (1..=4).map(customer).collect();
        expected[1] = changed;
        assert_eq!(
            host.file("customers.csv").unwrap(),
            customers::serialize_table(&expected).unwrap()
        );
    }
}
