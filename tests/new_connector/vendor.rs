//! Notes, the sandbox's generic CRM: customers and invoices over its JSON API, written with
//! the SDK's helpers. This file replaces the `src/vendor.rs` that `ledgerlink new connector
//! notes --auth api-key` writes; tests/new_connector.rs counts its lines.
//!
//! Notes writes records close to the canonical shape, so each direction is the canonical
//! JSON (`ledgerlink_sdk::canonical`) with the few fields Notes spells differently moved:
//! `id` for `remote_id`, a numeric `version`, `customer_id`, and its own invoice statuses.

use ledgerlink_sdk::client::Call;
use ledgerlink_sdk::prelude::*;
use serde_json::{Value, json};

pub const DESCRIPTION: &str = "Notes CRM: customers and invoices.";
pub const ORIGIN: &str = "https://api.notes.example:443";
pub const CAPABILITIES: &[Capability] = &[
    Capability::PullCustomers,
    Capability::PushCustomers,
    Capability::PullInvoices,
    Capability::GetInvoices,
    Capability::PushJobInvoices,
    Capability::PushContractInvoices,
    Capability::Delete,
];
pub const SETTINGS: &[(&str, &str, bool, Option<&str>)] = &[];

/// Canonical invoice statuses ⇄ Notes' (`paid` is the same; Notes refuses it on a write).
const STATUSES: [(&str, &str); 3] = [
    ("draft", "draft"),
    ("authorised", "open"),
    ("voided", "void"),
];

/// Fields of the canonical JSON that Notes does not take in a write (`locked` is what a
/// target reports, never what it is sent).
const NOT_WRITTEN: [&str; 8] = [
    "key",
    "remote_id",
    "idempotency_key",
    "updated_at",
    "customer",
    "amount_paid",
    "amount_due",
    "locked",
];

/// Notes' API, and how it says no: `{"error": {"code", "message", "field", "existing_id"}}`.
fn api() -> JsonClient {
    JsonClient::new("https://api.notes.example/v1").errors(
        ErrorTable::new()
            .message_at("/error/message")
            .existing_id_at("/error/existing_id")
            .field_at("/error/field")
            .rule(409, "duplicate", ErrorClass::Duplicate)
            .rule(409, "version_conflict", ErrorClass::Stale)
            .rule(409, "in_use", ErrorClass::Locked),
    )
}

/// One page of a list (`{"data": [...], "next_cursor": ...}`), from `cursor`.
fn page(list: Call, cursor: Option<&str>) -> Result<Page<Value>, ConnectorError> {
    let list = list.query("limit", "100").query_opt("cursor", cursor);
    list.fetch_page("/data", "/next_cursor")
}

/// Notes → canonical JSON: `id` is the remote id, the version a string, times in UTC.
fn incoming(mut record: Value) -> Result<Value, ConnectorError> {
    record["remote_id"] = record["id"].take();
    record["version"] = json!(record["version"].as_u64().map(|v| v.to_string()));
    if let Some(at) = record["updated_at"].as_str() {
        record["updated_at"] = json!(timestamp::normalize(at, "updated-at")?);
    }
    Ok(record)
}

/// Create (POST) or replace (PUT, with its version) a record, once per idempotency key.
fn save(path: &str, mut record: Value) -> Result<Written, ConnectorError> {
    let (id, key) = (record["remote_id"].take(), record["idempotency_key"].take());
    let version = record["version"]
        .as_str()
        .map(str::parse::<u64>)
        .transpose();
    let version = version.map_err(|_| error::validation("not a Notes version").at("version"))?;
    record["version"] = json!(version);
    record
        .as_object_mut()
        .map(|r| NOT_WRITTEN.map(|field| r.remove(field)));
    let call = match id.as_str() {
        Some(id) => api().put(&format!("{path}/{id}")),
        None => api().post(path),
    };
    let mut saved = incoming(call.json(&record)?.idempotency_key(key.as_str()).fetch()?)?;
    saved["action"] = json!(if id.is_null() { "created" } else { "updated" });
    Written::from_json(&saved)
}

fn invoice_in(record: Value) -> Result<Invoice, ConnectorError> {
    let mut record = incoming(record)?;
    record["customer"] = json!({ "remote_id": record["customer_id"].take() });
    if let Some((ours, _)) = STATUSES
        .iter()
        .find(|(_, theirs)| record["status"] == *theirs)
    {
        record["status"] = json!(ours);
    }
    let total = decimal::parse(record["total"].as_str().unwrap_or_default(), "total")?;
    let paid = decimal::parse(record["amount_paid"].as_str().unwrap_or("0"), "amount-paid")?;
    record["amount_due"] = json!(decimal::to_wire(decimal::round_cents(total - paid)));
    Invoice::from_json(&record)
}

pub fn check() -> Result<CheckReport, ConnectorError> {
    let account: Value = api().get("/account").fetch()?;
    let message = format!(
        "Connected to {} ({} customers)",
        account["name"], account["customers"]
    );
    Ok(CheckReport { message })
}

pub fn pull_customers(
    since: Option<&str>,
    cursor: Option<&str>,
) -> Result<CustomerPage, ConnectorError> {
    let list = api().get("/customers").query_opt("updated_since", since);
    let page = page(list, cursor)?.try_map(|c| Customer::from_json(&incoming(c)?))?;
    Ok(page.into())
}

pub fn find_customers(query: &CustomerQuery) -> Result<Vec<Customer>, ConnectorError> {
    let _ = query;
    Err(error::unsupported("find-customers"))
}

pub fn push_customer(customer: Customer) -> Result<Written, ConnectorError> {
    save("/customers", customer.to_json())
}

pub fn pull_invoices(
    kind: InvoiceKind,
    since: Option<&str>,
    cursor: Option<&str>,
) -> Result<InvoicePage, ConnectorError> {
    let list = api()
        .get("/invoices")
        .query_opt("kind", kind.to_json().as_str());
    Ok(page(list.query_opt("updated_since", since), cursor)?
        .try_map(invoice_in)?
        .into())
}

pub fn get_invoices(kind: InvoiceKind, ids: &[String]) -> Result<Vec<Invoice>, ConnectorError> {
    let (kind, ids) = (kind.to_json(), ids.join(","));
    let list = || {
        api()
            .get("/invoices")
            .query_opt("kind", kind.as_str())
            .query("ids", &ids)
    };
    let found = paging::collect(10, |cursor| page(list(), cursor))?;
    found.into_iter().map(invoice_in).collect()
}

pub fn push_invoice(invoice: Invoice) -> Result<Written, ConnectorError> {
    let mut record = invoice.to_json();
    record["customer_id"] = record["customer"]["remote_id"].take();
    if let Some((_, theirs)) = STATUSES.iter().find(|(ours, _)| record["status"] == *ours) {
        record["status"] = json!(theirs);
    }
    save("/invoices", record)
}

pub fn delete(kind: RecordKind, id: &str) -> Result<(), ConnectorError> {
    let path = format!("/{}s/{id}", kind.to_json().as_str().unwrap_or_default());
    api().delete(&path).send().map(|_| ())
}
