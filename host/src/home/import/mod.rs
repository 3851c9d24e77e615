//! `ledgerlink home import`: JSON and CSV files into the home book, all or nothing.
//!
//! Every file of an import is read and checked before anything is kept: UTF-8, syntax,
//! each field (`fields`, `records`), then ids used twice and references to customers and
//! contracts that are in neither the import nor the book (`checks`). Any problem refuses
//! the whole import with every problem listed by file, line and field
//! ([`InvalidImport`]). Records are handed on as they are read ([`read_each`]), and only the
//! keys the checks across records need are kept: the store writes each record in one open
//! transaction and commits it only when the whole import is free of problems
//! (`transfer::home_book::import` joins the two), so a 100,000-job import never holds the book.
//! [`parse`] and [`read`] collect the records into a [`HomeBook`] instead. The formats are
//! documented in `docs/home-format.md`.

mod checks;
pub(crate) mod csv;
mod fields;
mod issues;
mod json;
mod known;
mod node;
mod records;
mod text;

use std::path::{Path, PathBuf};

pub use issues::{InvalidImport, Issue, LISTED};
pub use known::{KnownIds, NumberHolder};

use crate::home::model::{
    FORMAT_VERSION, HomeBook, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, RecordKind,
};
use fields::Ref;
use issues::Sink;
use node::{Node, Value};

/// A home-book file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON document with every kind of record.
    Json,
    /// One CSV file per kind of record.
    Csv,
}

impl Format {
    /// The format a file's extension names (`.json`, `.csv`, any letter case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// One file to import.
#[derive(Debug, Clone)]
pub struct ImportSource {
    /// The file; messages name it as given here.
    pub path: PathBuf,
    /// Its format; `None`: from its extension.
    pub format: Option<Format>,
    /// For CSV: what it holds; `None`: from its first column.
    pub kind: Option<RecordKind>,
}

/// Why an import did not happen. Nothing was written in every case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The format is not given and the extension does not say.
    #[error(
        "cannot tell the format of {} from its name; pass --format json or --format csv",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// `--kind` was given for a JSON file.
    #[error(
        "--kind applies to CSV files only; {} is JSON, whose lists name their kind",
        path.display()
    )]
    KindWithJson {
        /// The file.
        path: PathBuf,
    },
    /// The files have problems; every one is listed.
    #[error(transparent)]
    Invalid(#[from] InvalidImport),
}

/// A record read from a file, with where it came from.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub record: T,
    /// Index of its file in the import.
    pub file: usize,
    refs: Vec<Ref>,
}

impl<T> Entry<T> {
    fn find(&self, key: &str) -> Option<&Ref> {
        self.refs.iter().find(|r| r.key == key)
    }
}

/// Every record read so far.
/// What the checks across records need of one record: its id, the ids it refers to and its
/// invoice number (empty where the kind has none). The record itself goes on as soon as it
/// is read ([`ImportRecord`]), so an import never holds the book.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    pub id: String,
    pub customer_id: String,
    pub contract_id: String,
    pub number: String,
}

/// The keys of every record read so far, for the checks across records.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub customers: Vec<Entry<Keys>>,
    pub jobs: Vec<Entry<Keys>>,
    pub contracts: Vec<Entry<Keys>>,
    pub contract_invoices: Vec<Entry<Keys>>,
}

/// A record of an import whose own fields are valid, handed on as it is read. Whether the
/// import as a whole may be kept is known only at its end (ids given twice, references,
/// invoice numbers): whoever takes the records must be able to drop them all then (the
/// store writes them in one transaction and rolls it back).
#[derive(Debug, Clone, PartialEq)]
pub enum ImportRecord {
    /// A customer.
    Customer(HomeCustomer),
    /// A job with its lines.
    Job(HomeJob),
    /// A service contract.
    Contract(HomeContract),
    /// A contract invoice.
    ContractInvoice(HomeContractInvoice),
}

impl HomeBook {
    /// Add `record` to its list.
    pub fn push(&mut self, record: ImportRecord) {
        match record {
            ImportRecord::Customer(r) => self.customers.push(r),
            ImportRecord::Job(r) => self.jobs.push(r),
            ImportRecord::Contract(r) => self.contracts.push(r),
            ImportRecord::ContractInvoice(r) => self.contract_invoices.push(r),
        }
    }
}

impl Parsed {
    fn add(
        &mut self,
        kind: RecordKind,
        node: &Node,
        file: usize,
        sink: &mut Sink,
        out: &mut dyn FnMut(ImportRecord),
    ) {
        fn entry(record: Keys, file: usize, refs: Vec<Ref>) -> Entry<Keys> {
            Entry { record, file, refs }
        }
        match kind {
            RecordKind::Customer => {
                if let Some((r, refs)) = records::customer(node, sink) {
                    let keys = Keys {
                        id: r.id.clone(),
                        ..Keys::default()
                    };
                    self.customers.push(entry(keys, file, refs));
                    out(ImportRecord::Customer(r));
                }
            }
            RecordKind::Job => {
                if let Some((r, refs)) = records::job(node, sink) {
                    let keys = Keys {
                        id: r.id.clone(),
                        customer_id: r.customer_id.clone(),
                        number: r.number.clone(),
                        ..Keys::default()
                    };
                    self.jobs.push(entry(keys, file, refs));
                    out(ImportRecord::Job(r));
                }
            }
            RecordKind::Contract => {
                if let Some((r, refs)) = records::contract(node, sink) {
                    let keys = Keys {
                        id: r.id.clone(),
                        customer_id: r.customer_id.clone(),
                        ..Keys::default()
                    };
                    self.contracts.push(entry(keys, file, refs));
                    out(ImportRecord::Contract(r));
                }
            }
            RecordKind::ContractInvoice => {
                if let Some((r, refs)) = records::contract_invoice(node, sink) {
                    let keys = Keys {
                        id: r.id.clone(),
                        customer_id: r.customer_id.clone(),
                        contract_id: r.contract_id.clone(),
                        number: r.number.clone(),
                    };
                    self.contract_invoices.push(entry(keys, file, refs));
                    out(ImportRecord::ContractInvoice(r));
                }
            }
        }
    }
}

/// One file's content, already read.
#[derive(Debug, Clone)]
pub struct SourceText<'a> {
    /// How messages name the file.
    pub name: String,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// Its format.
    pub format: Format,
    /// For CSV: what it holds, when not from its first column.
    pub kind: Option<RecordKind>,
}

/// Check files already in memory against the book's `known` ids; the records when every
/// file is free of problems.
pub fn parse(sources: &[SourceText<'_>], known: &KnownIds) -> Result<HomeBook, InvalidImport> {
    let mut book = HomeBook::default();
    let mut import = Import::new(sources.iter().map(|s| s.name.clone()).collect());
    for (file, source) in sources.iter().enumerate() {
        import.source(file, source, &mut |r| book.push(r));
    }
    import.finish(known)?;
    Ok(book)
}

/// An import in progress: the files' problems so far and the keys of the records read.
struct Import {
    parsed: Parsed,
    sinks: Vec<Sink>,
}

impl Import {
    fn new(names: Vec<String>) -> Self {
        Import {
            parsed: Parsed::default(),
            sinks: names.into_iter().map(Sink::new).collect(),
        }
    }

    /// Read file number `file`, handing each record whose own fields are valid to `out`.
    fn source(&mut self, file: usize, source: &SourceText<'_>, out: &mut dyn FnMut(ImportRecord)) {
        let parsed = &mut self.parsed;
        let sink = &mut self.sinks[file];
        let Some(text) = text::decode(source.bytes, sink) else {
            return;
        };
        match source.format {
            Format::Json => {
                if let Some(doc) = json::parse(text, sink) {
                    document(&doc, file, sink, parsed, out);
                }
            }
            Format::Csv => {
                // Each record is checked and handed on as it is read, its node then dropped.
                csv::parse(text, source.kind, sink, &mut |kind, node, sink| {
                    parsed.add(kind, &node, file, sink, out);
                });
            }
        }
    }

    /// The checks across records and files; every problem of every file, or none.
    fn finish(mut self, known: &KnownIds) -> Result<(), InvalidImport> {
        checks::check(&self.parsed, known, &mut self.sinks);
        let issues: Vec<Issue> = self.sinks.into_iter().flat_map(Sink::into_issues).collect();
        if issues.is_empty() {
            Ok(())
        } else {
            Err(InvalidImport { issues })
        }
    }
}

/// Read and check `sources` against the book's `known` ids, one file at a time, handing
/// each record to `out` as it is read (its file's bytes dropped before the next file is
/// read). `Ok` only when the whole import is free of problems; on `Err` every record handed
/// out must be dropped — the import is all or nothing.
pub fn read_each(
    sources: &[ImportSource],
    known: &KnownIds,
    out: &mut dyn FnMut(ImportRecord),
) -> Result<(), ImportError> {
    let mut formats = Vec::with_capacity(sources.len());
    for s in sources {
        formats.push(format_of(s)?);
    }
    let mut import = Import::new(
        sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect(),
    );
    for (file, (s, format)) in sources.iter().zip(formats).enumerate() {
        let bytes = std::fs::read(&s.path).map_err(|source| ImportError::Read {
            path: s.path.clone(),
            source,
        })?;
        let text = SourceText {
            name: s.path.display().to_string(),
            bytes: &bytes,
            format,
            kind: s.kind,
        };
        import.source(file, &text, out);
    }
    Ok(import.finish(known)?)
}

/// The format of `s`: given, or told by its name; `--kind` only with CSV.
fn format_of(s: &ImportSource) -> Result<Format, ImportError> {
    let format = s
        .format
        .or_else(|| Format::from_path(&s.path))
        .ok_or_else(|| ImportError::UnknownFormat {
            path: s.path.clone(),
        })?;
    if format == Format::Json && s.kind.is_some() {
        return Err(ImportError::KindWithJson {
            path: s.path.clone(),
        });
    }
    Ok(format)
}

/// Read and check `sources` against the book's `known` ids.
pub fn read(sources: &[ImportSource], known: &KnownIds) -> Result<HomeBook, ImportError> {
    let mut book = HomeBook::default();
    read_each(sources, known, &mut |r| book.push(r))?;
    Ok(book)
}

/// The top of a JSON document: `{"version": 1, "customers": [...], "jobs": [...],
/// "contracts": [...], "contract_invoices": [...]}`, every key optional.
fn document(
    doc: &Node,
    file: usize,
    sink: &mut Sink,
    parsed: &mut Parsed,
    out: &mut dyn FnMut(ImportRecord),
) {
    let Value::Object(entries) = &doc.value else {
        sink.push(
            Some(doc.line),
            None,
            format!(
                "expected an object with the lists customers, jobs, contracts and contract_invoices, found {}",
                doc.value.describe()
            ),
        );
        return;
    };
    for (key, node) in entries {
        if key == "version" {
            match &node.value {
                Value::Number(n) if n == &FORMAT_VERSION.to_string() => {}
                other => sink.at(
                    node.line,
                    key,
                    format!(
                        "this ledgerlink reads version {FORMAT_VERSION} of the format, found {}; \
                         export the file again or upgrade ledgerlink",
                        other.describe()
                    ),
                ),
            }
            continue;
        }
        let Some(kind) = RecordKind::ALL.into_iter().find(|k| k.json_key() == key) else {
            sink.at(
                node.line,
                key,
                "unknown list; the lists are customers, jobs, contracts and contract_invoices",
            );
            continue;
        };
        match &node.value {
            Value::Array(items) => {
                for item in items {
                    parsed.add(kind, item, file, sink, out);
                }
            }
            Value::Null => {}
            other => sink.at(
                node.line,
                key,
                format!("expected a list, found {}", other.describe()),
            ),
        }
    }
}
