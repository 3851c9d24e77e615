//! Checks across records: ids used twice in one import, and references to customers and
//! contracts that are neither in the import nor already in the home book.

use std::collections::{HashMap, HashSet};

use super::Entry;
use super::Parsed;
use super::issues::Sink;
use crate::store::home::KnownIds;

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
