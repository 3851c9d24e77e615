//! CSV files to [`Node`]s: one file per kind of record.
//!
//! - The kind is given by `--kind`, or else by the first column's name: `customer_id`,
//!   `job_id`, `contract_id` or `contract_invoice_id`.
//! - Columns are the JSON field names; the record's own `id` is `<kind>_id`; addresses are
//!   flattened as `billing_<part>` / `shipping_<part>`; invoice lines as `line_<field>`.
//! - Jobs and contract invoices take one row per invoice line; the rows of one record are
//!   consecutive, and its own (non-`line_`) columns are repeated on each row or left empty
//!   after the first. A row whose `line_` cells are all empty adds no line.
//! - An empty cell is a value not given.

use std::collections::HashMap;

use super::issues::Sink;
use super::node::{Node, Value};
use super::records::{
    ADDRESS_FIELDS, CONTRACT_FIELDS, CONTRACT_INVOICE_FIELDS, CUSTOMER_FIELDS, JOB_FIELDS,
    LINE_FIELDS,
};
use crate::home::model::RecordKind;

/// The name of the id column of a kind's file.
pub(crate) fn id_column(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Customer => "customer_id",
        RecordKind::Job => "job_id",
        RecordKind::Contract => "contract_id",
        RecordKind::ContractInvoice => "contract_invoice_id",
    }
}

/// Columns a kind's file must have.
pub(crate) fn required_columns(kind: RecordKind) -> &'static [&'static str] {
    const INVOICE: &[&str] = &[
        "number",
        "customer_id",
        "status",
        "invoice_date",
        "currency",
        "tax_mode",
        "subtotal",
        "tax_total",
        "total",
        "line_description",
        "line_quantity",
        "line_unit_price",
        "line_amount",
    ];
    match kind {
        RecordKind::Customer => &["name"],
        RecordKind::Job => INVOICE,
        RecordKind::Contract => &["number", "customer_id"],
        RecordKind::ContractInvoice => &[
            "number",
            "contract_id",
            "customer_id",
            "status",
            "invoice_date",
            "currency",
            "tax_mode",
            "subtotal",
            "tax_total",
            "total",
            "line_description",
            "line_quantity",
            "line_unit_price",
            "line_amount",
        ],
    }
}

/// Where a column's value goes in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Field(&'static str),
    Address(&'static str, &'static str),
    Line(&'static str),
}

/// Every column of a kind's file, in documentation order (the docs test checks them).
#[cfg(test)]
pub(crate) fn column_names(kind: RecordKind) -> Vec<String> {
    targets(kind).into_iter().map(|(name, _)| name).collect()
}

fn targets(kind: RecordKind) -> Vec<(String, Target)> {
    let fields: &[&'static str] = match kind {
        RecordKind::Customer => CUSTOMER_FIELDS,
        RecordKind::Job => JOB_FIELDS,
        RecordKind::Contract => CONTRACT_FIELDS,
        RecordKind::ContractInvoice => CONTRACT_INVOICE_FIELDS,
    };
    let mut out = Vec::new();
    for &field in fields {
        match field {
            "id" => out.push((id_column(kind).to_owned(), Target::Field("id"))),
            "billing_address" | "shipping_address" => {
                let prefix = field.trim_end_matches("_address");
                for &part in ADDRESS_FIELDS {
                    out.push((format!("{prefix}_{part}"), Target::Address(field, part)));
                }
            }
            "lines" => {
                for &l in LINE_FIELDS {
                    out.push((format!("line_{l}"), Target::Line(l)));
                }
            }
            _ => out.push((field.to_owned(), Target::Field(field))),
        }
    }
    out
}

/// Parse a CSV file of `kind` (or of the kind its first column names) into record nodes.
/// What a record's node goes to as soon as it is read: with the file's sink, so the
/// record's own problems are reported beside the file's.
pub(crate) type Emit<'e> = dyn FnMut(RecordKind, Node, &mut Sink) + 'e;

/// Read a CSV file of one kind of record, handing each record's [`Node`] to `emit` as soon
/// as its last row is read: the file's node tree is never held whole, only the rows of the
/// record being read. Returns the kind, `None` when the file cannot be read at all.
pub(crate) fn parse(
    text: &str,
    kind: Option<RecordKind>,
    sink: &mut Sink,
    emit: &mut Emit<'_>,
) -> Option<RecordKind> {
    if let Some(line) = unclosed_quote(text) {
        sink.push(
            Some(line),
            None,
            "a quoted value starts here and is never closed; add the closing \"",
        );
        return None;
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) if h.iter().any(|name| !name.is_empty()) => h.clone(),
        Ok(_) => {
            sink.push(
                Some(1),
                None,
                "the file is empty; its first line must name the columns",
            );
            return None;
        }
        Err(e) => {
            sink.push(Some(1), None, format!("not valid CSV: {e}"));
            return None;
        }
    };
    let kind = match kind {
        Some(k) => k,
        None => {
            let first = headers.get(0).unwrap_or_default();
            let found = RecordKind::ALL.into_iter().find(|k| id_column(*k) == first);
            let Some(k) = found else {
                sink.push(
                    Some(1),
                    None,
                    format!(
                        "cannot tell what this file holds from its first column {first:?}; make the first column \
                         customer_id, job_id, contract_id or contract_invoice_id, or pass --kind"
                    ),
                );
                return None;
            };
            k
        }
    };
    let layout = header_layout(kind, &headers, sink)?;
    let mut records = Grouper::new(kind, &layout);
    for result in reader.records() {
        match result {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                if record.iter().all(str::is_empty) {
                    continue;
                }
                records.row(line, record, sink, emit);
            }
            Err(e) => match e.kind() {
                ::csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => sink.push(
                    pos.as_ref().map(|p| p.line() as usize),
                    None,
                    format!(
                        "{len} values where the first line names {expected_len} columns; check for a missing \
                         or extra comma, and put quotes around a value that contains a comma"
                    ),
                ),
                _ => sink.push(None, None, format!("not valid CSV: {e}")),
            },
        }
    }
    records.finish(sink, emit);
    Some(kind)
}

/// Column index → where its value goes.
type Layout = Vec<(usize, String, Target)>;

fn header_layout(
    kind: RecordKind,
    headers: &::csv::StringRecord,
    sink: &mut Sink,
) -> Option<Layout> {
    let known = targets(kind);
    let mut layout = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let before = sink.count();
    for (i, h) in headers.iter().enumerate() {
        if seen.insert(h, i).is_some() {
            sink.at(1, h, "this column is named twice; keep one");
            continue;
        }
        match known.iter().find(|(name, _)| name == h) {
            Some((name, target)) => layout.push((i, name.clone(), *target)),
            None => sink.at(
                1,
                h,
                format!(
                    "not a column of a {} file; check its spelling (docs/home-format.md lists the columns)",
                    kind.singular()
                ),
            ),
        }
    }
    for &required in std::iter::once(&id_column(kind)).chain(required_columns(kind)) {
        if !seen.contains_key(required) {
            sink.at(
                1,
                required,
                "required column missing; add it to the first line",
            );
        }
    }
    (sink.count() == before).then_some(layout)
}

fn cell(label: &str, line: usize, value: &str) -> Node {
    Node {
        line,
        label: label.to_owned(),
        value: Value::Cell(value.to_owned()),
    }
}

/// The record node of one row (its lines, for jobs, are added by the caller).
fn row_node(
    kind: RecordKind,
    layout: &Layout,
    line: usize,
    row: &::csv::StringRecord,
    lines: Option<Vec<Node>>,
) -> Node {
    let mut entries: Vec<(String, Node)> = Vec::new();
    for (i, name, target) in layout {
        let value = row.get(*i).unwrap_or_default();
        match *target {
            Target::Field(key) => entries.push((key.to_owned(), cell(name, line, value))),
            Target::Address(key, part) => {
                let pos = entries.iter().position(|(k, _)| k == key);
                let pos = pos.unwrap_or_else(|| {
                    entries.push((
                        key.to_owned(),
                        Node {
                            line,
                            label: key.to_owned(),
                            value: Value::Object(Vec::new()),
                        },
                    ));
                    entries.len() - 1
                });
                if let Value::Object(parts) = &mut entries[pos].1.value {
                    parts.push((part.to_owned(), cell(name, line, value)));
                }
            }
            Target::Line(_) => {}
        }
    }
    if let Some(lines) = lines {
        entries.push((
            "lines".to_owned(),
            Node {
                line,
                label: "lines".to_owned(),
                value: Value::Array(lines),
            },
        ));
    }
    Node {
        line,
        label: id_column(kind).to_owned(),
        value: Value::Object(entries),
    }
}

/// The line node of a row, when any of its `line_` cells is filled.
fn line_node(layout: &Layout, line: usize, row: &::csv::StringRecord) -> Option<Node> {
    let entries: Vec<(String, Node)> = layout
        .iter()
        .filter_map(|(i, name, target)| match *target {
            Target::Line(key) => Some((
                key.to_owned(),
                cell(name, line, row.get(*i).unwrap_or_default()),
            )),
            _ => None,
        })
        .collect();
    entries
        .iter()
        .any(|(_, n)| !n.value.is_absent())
        .then(|| Node {
            line,
            label: "line".to_owned(),
            value: Value::Object(entries),
        })
}

/// Rows to records, one record at a time. Customers and contracts take one row each; jobs
/// and contract invoices take one row per line, the rows of one record consecutive (the
/// first row's id), its own columns repeated or left empty after the first row.
struct Grouper<'l> {
    kind: RecordKind,
    layout: &'l Layout,
    id_index: Option<usize>,
    /// The record being read: its first row, that row's line, and its line nodes.
    current: Option<(usize, ::csv::StringRecord, Vec<Node>)>,
    /// The first line of every record id seen, to refuse a record that continues after
    /// others.
    started: HashMap<String, usize>,
}

impl<'l> Grouper<'l> {
    fn new(kind: RecordKind, layout: &'l Layout) -> Self {
        let id_index = layout
            .iter()
            .find(|(_, _, t)| *t == Target::Field("id"))
            .map(|(i, _, _)| *i);
        Grouper {
            kind,
            layout,
            id_index,
            current: None,
            started: HashMap::new(),
        }
    }

    fn row(&mut self, line: usize, row: ::csv::StringRecord, sink: &mut Sink, emit: &mut Emit<'_>) {
        let (kind, layout) = (self.kind, self.layout);
        if matches!(kind, RecordKind::Customer | RecordKind::Contract) {
            emit(kind, row_node(kind, layout, line, &row, None), sink);
            return;
        }
        let field = |r: &::csv::StringRecord| {
            self.id_index
                .and_then(|i| r.get(i))
                .unwrap_or_default()
                .to_owned()
        };
        let id = field(&row);
        let what = kind.singular();
        if let Some((first_line, first_row, lines)) = &mut self.current
            && !id.is_empty()
            && field(first_row) == id
        {
            for (i, name, target) in layout {
                let (Target::Field(_) | Target::Address(..)) = target else {
                    continue;
                };
                let (v, w) = (
                    row.get(*i).unwrap_or_default(),
                    first_row.get(*i).unwrap_or_default(),
                );
                if !v.is_empty() && v != w {
                    sink.at(
                        line,
                        name,
                        format!(
                            "{v:?} differs from {w:?} on line {first_line}, the first line of {what} {id:?}; \
                             repeat the {what}'s values on each of its lines or leave them empty"
                        ),
                    );
                }
            }
            lines.extend(line_node(layout, line, &row));
            return;
        }
        if let Some(first_line) = self.started.get(&id).filter(|_| !id.is_empty()) {
            sink.at(
                line,
                id_column(kind),
                format!(
                    "{what} {id:?} continues here after other records (it starts on line {first_line}); \
                     keep the lines of a {what} together"
                ),
            );
            return;
        }
        self.finish(sink, emit);
        let lines = line_node(layout, line, &row).into_iter().collect();
        self.started.insert(id, line);
        self.current = Some((line, row, lines));
    }

    /// Hand the record being read to `emit`.
    fn finish(&mut self, sink: &mut Sink, emit: &mut Emit<'_>) {
        if let Some((line, row, lines)) = self.current.take() {
            emit(
                self.kind,
                row_node(self.kind, self.layout, line, &row, Some(lines)),
                sink,
            );
        }
    }
}

/// The line of a quoted value that is never closed (RFC 4180 quoting: a quote opens a
/// value only at its start, `""` inside is a quote), which the csv crate would silently run
/// to the end of the file.
fn unclosed_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut line, mut opened_on) = (1, 0);
    let (mut in_quotes, mut at_start) = (false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => in_quotes = false,
                b'\n' => line += 1,
                _ => {}
            }
        } else {
            match b {
                b'"' if at_start => {
                    in_quotes = true;
                    opened_on = line;
                }
                b',' | b'\r' => {
                    at_start = true;
                    i += 1;
                    continue;
                }
                b'\n' => {
                    line += 1;
                    at_start = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            at_start = false;
        }
        i += 1;
    }
    in_quotes.then_some(opened_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(text: &str) -> Vec<String> {
        let mut sink = Sink::new("x.csv");
        let _ = parse(text, None, &mut sink, &mut |_, _, _| {});
        sink.into_issues().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_documentation_lists_every_column() {
        let docs = include_str!("../../../../docs/home-format.md");
        for kind in RecordKind::ALL {
            for column in column_names(kind) {
                assert!(
                    docs.contains(&format!("`{column}`")),
                    "{column} is not documented"
                );
            }
        }
    }

    #[test]
    fn an_unclosed_quote_is_found_where_it_opens() {
        assert_eq!(unclosed_quote("a,b\n\"x,\"\"y\"\"\",z\n"), None);
        assert_eq!(unclosed_quote("a,b\n1,\"2\n3,4\n"), Some(2));
        assert_eq!(
            unclosed_quote("a,b\n1,5\"\n"),
            None,
            "a quote inside a value"
        );
    }

    #[test]
    fn header_problems_are_all_reported() {
        assert_eq!(
            issues("customer_id,nmae,name,name\nA,B,C,D\n"),
            vec![
                "x.csv:1: nmae: not a column of a customer file; check its spelling (docs/home-format.md lists the columns)",
                "x.csv:1: name: this column is named twice; keep one",
            ]
        );
        assert_eq!(
            issues("contract_id,number\nA,B\n"),
            vec!["x.csv:1: customer_id: required column missing; add it to the first line"]
        );
        assert_eq!(
            issues("id,name\n"),
            vec![
                "x.csv:1: cannot tell what this file holds from its first column \"id\"; make the first column \
                 customer_id, job_id, contract_id or contract_invoice_id, or pass --kind"
            ]
        );
    }

    #[test]
    fn job_rows_group_into_records_with_lines() {
        let text = "job_id,number,customer_id,status,invoice_date,currency,tax_mode,subtotal,tax_total,total,\
                    line_description,line_quantity,line_unit_price,line_amount\n\
                    J1,1,C,closed,2026-11-02,NZD,none,3,0,3,a,1,1,1\n\
                    J1,,,,,,,,,,b,1,2,2\n\
                    J2,2,C,open,2026-11-02,NZD,none,0,0,0,,,,\n\
                    J1,1,C,closed,2026-11-02,NZD,none,3,0,3,c,1,1,1\n";
        let mut sink = Sink::new("x.csv");
        let mut nodes = Vec::new();
        let kind =
            parse(text, None, &mut sink, &mut |_, node, _| nodes.push(node)).expect("parses");
        assert_eq!(kind, RecordKind::Job);
        assert_eq!(nodes.len(), 2);
        let Value::Object(job) = &nodes[0].value else {
            panic!("object")
        };
        let lines = job.iter().find(|(k, _)| k == "lines").expect("lines");
        let Value::Array(lines) = &lines.1.value else {
            panic!("array")
        };
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].line, 3);
        assert_eq!(
            sink.into_issues()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "x.csv:5: job_id: job \"J1\" continues here after other records (it starts on line 2); \
                 keep the lines of a job together"
            ]
        );
    }
}
