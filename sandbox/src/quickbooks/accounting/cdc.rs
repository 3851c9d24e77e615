//! Change data capture: `GET /cdc?entities=Customer,Invoice&changedSince=...`
//! answers every entity of those types changed after `changedSince`,
//! inactive and deleted ones included (deleted as `{"Id", "status":
//! "Deleted", "MetaData", "domain"}`), at most 1000 per type.
//!
//! Intuit looks back at most 30 days; an older `changedSince` is refused
//! with the message Intuit sends ("... which is older than fixed days is not
//! supported"); code 1000 ("Operation failed") is the sandbox's choice.

use std::time::{Duration, SystemTime};

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::fault::QboFault;
use super::query::instant;
use super::realm::{Kind, Realm};

/// How far back CDC looks.
const LOOKBACK: Duration = Duration::from_secs(30 * 24 * 3600);
/// Most entities of one type in one answer.
const MAX_PER_ENTITY: usize = 1000;

/// The `CDCResponse` array for `entities` (comma-separated) since `changed_since`.
pub(crate) fn run(
    realm: &Realm,
    entities: &str,
    changed_since: &str,
    now: SystemTime,
) -> Result<Value, QboFault> {
    let since = instant(changed_since).ok_or_else(|| QboFault::unsupported("changedSince"))?;
    let since = SystemTime::from(since.with_timezone(&Utc));
    if since + LOOKBACK < now {
        return Err(QboFault::validation(
            "1000",
            "Operation failed",
            format!(
                "Operation cdc with changedSince date {changed_since} which is older than fixed \
                 days is not supported."
            ),
        )
        .at("changedSince"));
    }
    let mut responses = Vec::new();
    for name in entities
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let kind = Kind::from_name(name)
            .filter(|kind| {
                matches!(
                    kind,
                    Kind::Customer
                        | Kind::Invoice
                        | Kind::CreditMemo
                        | Kind::Item
                        | Kind::TaxCode
                        | Kind::Payment
                )
            })
            .ok_or_else(|| QboFault::unsupported(&format!("entities={name}")))?;
        let changed: Vec<Value> = realm
            .all(kind)
            .filter(|entity| entity.updated > since)
            .take(MAX_PER_ENTITY)
            .map(|entity| entity.served())
            .collect();
        let mut response = Map::new();
        if !changed.is_empty() {
            let returned = changed.len();
            response.insert(kind.name().to_owned(), Value::Array(changed));
            response.insert("startPosition".into(), json!(1));
            response.insert("maxResults".into(), json!(returned));
        }
        responses.push(Value::Object(response));
    }
    if responses.is_empty() {
        return Err(QboFault::required("entities"));
    }
    Ok(json!([{ "QueryResponse": responses }]))
}
