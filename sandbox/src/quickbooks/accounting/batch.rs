//! `POST /batch`: up to 30 `BatchItemRequest`s (fewer after a reset with
//! `batchLimit`, see `control`), each applied on its own
//! (one failing does not undo another), answered in order as
//! `BatchItemResponse`s carrying the entity, a `QueryResponse` or a `Fault`.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::fault::QboFault;
use super::realm::{Kind, Realm};
use super::{control, customers, invoices, payments, query, validate};

/// Most items in one batch.
pub(crate) const MAX_ITEMS: usize = 30;

/// The whole batch: the `BatchItemResponse` body, or a fault for the request.
pub(crate) fn run(realm: &mut Realm, body: &Value, now: SystemTime) -> Result<Value, QboFault> {
    let request = validate::object(body, "IntuitBatchRequest")?;
    let items = request
        .get("BatchItemRequest")
        .and_then(Value::as_array)
        .ok_or_else(|| QboFault::required("BatchItemRequest"))?;
    // 30 unless the control endpoint lowered it for this realm.
    let limit = control::batch_limit(realm);
    if items.len() > limit {
        return Err(QboFault::validation(
            "1040",
            "Batch size exceeds allowed limit",
            format!(
                "Batch size {} exceeds the allowed limit of {limit}",
                items.len()
            ),
        ));
    }
    let responses: Vec<Value> = items.iter().map(|item| one(realm, item, now)).collect();
    Ok(json!({ "BatchItemResponse": responses }))
}

fn one(realm: &mut Realm, item: &Value, now: SystemTime) -> Value {
    let b_id = item.get("bId").cloned().unwrap_or(Value::Null);
    let (key, result) = match answer(realm, item, now) {
        Ok((key, value)) => (key, value),
        Err(fault) => ("Fault", fault.fault_json()),
    };
    let mut response = serde_json::Map::new();
    response.insert("bId".into(), b_id);
    response.insert(key.to_owned(), result);
    Value::Object(response)
}

fn answer(
    realm: &mut Realm,
    item: &Value,
    now: SystemTime,
) -> Result<(&'static str, Value), QboFault> {
    let item = validate::object(item, "BatchItemRequest")?;
    if let Some(text) = item.get("Query") {
        let text = text
            .as_str()
            .ok_or_else(|| QboFault::unsupported("Query"))?;
        return Ok(("QueryResponse", query::run(realm, text)?));
    }
    let operation = item
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("create");
    if let Some(customer) = item.get("Customer") {
        return match operation {
            "create" | "update" => Ok(("Customer", customers::write(realm, customer, now)?)),
            other => Err(invoices::unsupported_operation(other)),
        };
    }
    if let Some(invoice) = item.get("Invoice") {
        return match operation {
            "create" | "update" | "delete" | "void" => Ok((
                "Invoice",
                invoices::write(realm, Kind::Invoice, invoice, Some(operation), now)?,
            )),
            other => Err(invoices::unsupported_operation(other)),
        };
    }
    if let Some(memo) = item.get("CreditMemo") {
        return match operation {
            "create" | "update" | "delete" => Ok((
                "CreditMemo",
                invoices::write(realm, Kind::CreditMemo, memo, Some(operation), now)?,
            )),
            other => Err(invoices::unsupported_operation(other)),
        };
    }
    if let Some(payment) = item.get("Payment") {
        return match operation {
            "create" => Ok(("Payment", payments::write(realm, payment, now)?)),
            other => Err(invoices::unsupported_operation(other)),
        };
    }
    Err(QboFault::required(
        "Customer|Invoice|CreditMemo|Payment|Query",
    ))
}
