//! Checks across records: ids used twice in one import, and references to customers and
//! contracts that are neither in the import nor already in the home book.

use std::collections::{HashMap, HashSet};

use super::Entry;
use super::KnownIds;
use super::Parsed;
use super::issues::Sink;

/// Report every duplicate id and dangling reference of `parsed` into the sink of the file
/// each record came from.
pub(crate) fn check(parsed: &Parsed, known: &KnownIds, sinks: &mut [Sink]) {
    duplicates(&parsed.customers, |c| &c.id, "customer", sinks);
    duplicates(&parsed.jobs, |j| &j.id, "job", sinks);
    duplicates(&parsed.contracts, |c| &c.id, "contract", sinks);
    duplicates(
        &parsed.contract_invoices,
        |i| &i.id,
        "contract invoice",
        sinks,
    );
    invoice_numbers(parsed, known, sinks);

    let customers: HashSet<&str> = known
        .customers
        .iter()
        .map(String::as_str)
        .chain(parsed.customers.iter().map(|e| e.record.id.as_str()))
        .collect();
    let contracts: HashSet<&str> = known
        .contracts
        .iter()
        .map(String::as_str)
        .chain(parsed.contracts.iter().map(|e| e.record.id.as_str()))
        .collect();
    for e in &parsed.jobs {
        reference(
            e,
            "customer_id",
            &e.record.customer_id,
            &customers,
            "customer",
            sinks,
        );
    }
    for e in &parsed.contracts {
        reference(
            e,
            "customer_id",
            &e.record.customer_id,
            &customers,
            "customer",
            sinks,
        );
    }
    for e in &parsed.contract_invoices {
        reference(
            e,
            "contract_id",
            &e.record.contract_id,
            &contracts,
            "contract",
            sinks,
        );
        reference(
            e,
            "customer_id",
            &e.record.customer_id,
            &customers,
            "customer",
            sinks,
        );
    }
}

fn duplicates<T>(entries: &[Entry<T>], id: fn(&T) -> &String, what: &str, sinks: &mut [Sink]) {
    let mut first: HashMap<&str, (usize, usize)> = HashMap::new();
    for e in entries {
        let Some(at) = e.find("id") else { continue };
        let id = id(&e.record);
        match first.get(id.as_str()) {
            None => {
                first.insert(id, (e.file, at.line));
            }
            Some(&(file, line)) => {
                let place = if file == e.file {
                    format!("line {line}")
                } else {
                    format!("line {line} of {}", sinks[file].file())
                };
                sinks[e.file].at(
                    at.line,
                    &at.label,
                    format!("{id:?} is already the id of the {what} on {place}; give each {what} its own id"),
                );
            }
        }
    }
}

/// The form under which two invoice numbers are the same document number in a target:
/// accounting systems compare them without surrounding spaces, and some without case, so
/// "INV-1" and " inv-1" are one number.
fn number_identity(number: &str) -> String {
    number.trim().to_lowercase()
}

/// Jobs and contract invoices both become invoices in the target, numbered from one
/// sequence: no two documents may share a number, in this import or with a document
/// already in the home book (re-importing the same record with its own number is fine).
fn invoice_numbers(parsed: &Parsed, known: &KnownIds, sinks: &mut [Sink]) {
    struct Held {
        kind: &'static str,
        id: String,
        /// Where it was read in this import: (file, line).
        at: Option<(usize, usize)>,
    }
    let reimported: HashSet<(&str, &str)> = parsed
        .jobs
        .iter()
        .map(|e| ("job", e.record.id.as_str()))
        .chain(
            parsed
                .contract_invoices
                .iter()
                .map(|e| ("contract invoice", e.record.id.as_str())),
        )
        .collect();
    let mut held: HashMap<String, Held> = HashMap::new();
    for h in &known.invoice_numbers {
        if !reimported.contains(&(h.kind, h.id.as_str())) {
            held.insert(
                number_identity(&h.number),
                Held {
                    kind: h.kind,
                    id: h.id.clone(),
                    at: None,
                },
            );
        }
    }
    let documents = parsed
        .jobs
        .iter()
        .map(|e| {
            (
                "job",
                &e.record.id,
                &e.record.number,
                e.file,
                e.find("number"),
            )
        })
        .chain(parsed.contract_invoices.iter().map(|e| {
            (
                "contract invoice",
                &e.record.id,
                &e.record.number,
                e.file,
                e.find("number"),
            )
        }));
    for (kind, id, number, file, at) in documents {
        let Some(at) = at else { continue };
        let identity = number_identity(number);
        match held.get(&identity) {
            None => {
                held.insert(
                    identity,
                    Held {
                        kind,
                        id: id.clone(),
                        at: Some((file, at.line)),
                    },
                );
            }
            Some(first) if first.kind == kind && &first.id == id => {}
            Some(first) => {
                let place = match first.at {
                    None => "in the home book".to_owned(),
                    Some((f, line)) if f == file => format!("on line {line}"),
                    Some((f, line)) => format!("on line {line} of {}", sinks[f].file()),
                };
                sinks[file].at(
                    at.line,
                    &at.label,
                    format!(
                        "invoice number {number:?} is already used by {} {:?} {place}; \
                         jobs and contract invoices share one numbering in the accounting \
                         system, so give each document its own number",
                        first.kind, first.id
                    ),
                );
            }
        }
    }
}

fn reference<T>(
    e: &Entry<T>,
    key: &str,
    id: &str,
    ids: &HashSet<&str>,
    what: &str,
    sinks: &mut [Sink],
) {
    if ids.contains(id) {
        return;
    }
    if let Some(at) = e.find(key) {
        sinks[e.file].at(
            at.line,
            &at.label,
            format!("no {what} {id:?} in this import or in the home book; import that {what} too, or correct the id"),
        );
    }
}
