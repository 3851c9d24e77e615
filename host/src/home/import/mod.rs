//! `ledgerlink home import`: JSON and CSV files into the home book, all or nothing.
//!
//! Every file of an import is read and checked before anything is written: UTF-8, syntax,
//! each field (`fields`, `records`), then ids used twice and references to customers and
//! contracts that are in neither the import nor the book (`checks`). Any problem refuses
//! the whole import with every problem listed by file, line and field
//! ([`InvalidImport`]); otherwise the book is handed back whole, for the store to upsert by
//! id in one transaction (`transfer::home_book::import` does both). The formats are
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
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub customers: Vec<Entry<HomeCustomer>>,
    pub jobs: Vec<Entry<HomeJob>>,
    pub contracts: Vec<Entry<HomeContract>>,
    pub contract_invoices: Vec<Entry<HomeContractInvoice>>,
}

impl Parsed {
    fn add(&mut self, kind: RecordKind, node: &Node, file: usize, sink: &mut Sink) {
        fn push<T>(to: &mut Vec<Entry<T>>, file: usize, read: Option<(T, Vec<Ref>)>) {
            if let Some((record, refs)) = read {
                to.push(Entry { record, file, refs });
            }
        }
        match kind {
            RecordKind::Customer => push(&mut self.customers, file, records::customer(node, sink)),
            RecordKind::Job => push(&mut self.jobs, file, records::job(node, sink)),
            RecordKind::Contract => push(&mut self.contracts, file, records::contract(node, sink)),
            RecordKind::ContractInvoice => push(
                &mut self.contract_invoices,
                file,
                records::contract_invoice(node, sink),
            ),
        }
    }

    fn into_book(self) -> HomeBook {
        fn records<T>(v: Vec<Entry<T>>) -> Vec<T> {
            v.into_iter().map(|e| e.record).collect()
        }
        HomeBook {
            customers: records(self.customers),
            jobs: records(self.jobs),
            contracts: records(self.contracts),
            contract_invoices: records(self.contract_invoices),
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
    let mut parsed = Parsed::default();
    let mut sinks: Vec<Sink> = sources.iter().map(|s| Sink::new(s.name.clone())).collect();
    for (file, (source, sink)) in sources.iter().zip(sinks.iter_mut()).enumerate() {
        let Some(text) = text::decode(source.bytes, sink) else {
            continue;
        };
        match source.format {
            Format::Json => {
                if let Some(doc) = json::parse(text, sink) {
                    document(&doc, file, sink, &mut parsed);
                }
            }
            Format::Csv => {
                // Each record is checked and kept as it is read, its node then dropped.
                csv::parse(text, source.kind, sink, &mut |kind, node, sink| {
                    parsed.add(kind, &node, file, sink);
                });
            }
        }
    }
    checks::check(&parsed, known, &mut sinks);
    let issues: Vec<Issue> = sinks.into_iter().flat_map(Sink::into_issues).collect();
    if issues.is_empty() {
        Ok(parsed.into_book())
    } else {
        Err(InvalidImport { issues })
    }
}

/// Read and check `sources` against the book's `known` ids.
pub fn read(sources: &[ImportSource], known: &KnownIds) -> Result<HomeBook, ImportError> {
    let mut contents = Vec::with_capacity(sources.len());
    for s in sources {
        let format = match s.format.or_else(|| Format::from_path(&s.path)) {
            Some(f) => f,
            None => {
                return Err(ImportError::UnknownFormat {
                    path: s.path.clone(),
                });
            }
        };
        if format == Format::Json && s.kind.is_some() {
            return Err(ImportError::KindWithJson {
                path: s.path.clone(),
            });
        }
        let bytes = std::fs::read(&s.path).map_err(|source| ImportError::Read {
            path: s.path.clone(),
            source,
        })?;
        contents.push((s.path.display().to_string(), bytes, format, s.kind));
    }
    let texts: Vec<SourceText<'_>> = contents
        .iter()
        .map(|(name, bytes, format, kind)| SourceText {
            name: name.clone(),
            bytes,
            format: *format,
            kind: *kind,
        })
        .collect();
    Ok(parse(&texts, known)?)
}

/// The top of a JSON document: `{"version": 1, "customers": [...], "jobs": [...],
/// "contracts": [...], "contract_invoices": [...]}`, every key optional.
fn document(doc: &Node, file: usize, sink: &mut Sink, parsed: &mut Parsed) {
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
                    parsed.add(kind, item, file, sink);
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
