//! Checks shared by the entity writers: the request body must be an object
//! of known elements, strings within Intuit's lengths, references resolvable.

use serde_json::{Map, Value};

use super::fault::QboFault;

/// The object in `value`, or 2010 naming `element`.
pub(crate) fn object<'a>(
    value: &'a Value,
    element: &str,
) -> Result<&'a Map<String, Value>, QboFault> {
    value
        .as_object()
        .ok_or_else(|| QboFault::unsupported(element))
}

/// Refuses any key of `object` outside `allowed` (Intuit answers 2010 for
/// an element it does not know).
pub(crate) fn known_keys(
    object: &Map<String, Value>,
    allowed: &[&str],
    parent: &str,
) -> Result<(), QboFault> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) if parent.is_empty() => Err(QboFault::unsupported(key)),
        Some(key) => Err(QboFault::unsupported(&format!("{parent}.{key}"))),
        None => Ok(()),
    }
}

/// The string at `field`, if present and not null; 2010 if not a string.
pub(crate) fn string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, QboFault> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(QboFault::unsupported(field)),
    }
}

/// 2050 when `text` is longer than `max` characters.
pub(crate) fn max_length(text: &str, max: usize, element: &str) -> Result<(), QboFault> {
    let length = text.chars().count();
    if length > max {
        return Err(QboFault::too_long(element, max, length));
    }
    Ok(())
}

/// The `value` of a `ReferenceType` (`{"value": "1", "name": "..."}`).
pub(crate) fn reference<'a>(
    object: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, QboFault> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(reference)) => match reference.get("value") {
            Some(Value::String(id)) => Ok(Some(id)),
            _ => Err(QboFault::required(&format!("{field}.value"))),
        },
        Some(_) => Err(QboFault::unsupported(field)),
    }
}

/// The boolean at `field`, if present.
pub(crate) fn boolean(object: &Map<String, Value>, field: &str) -> Result<Option<bool>, QboFault> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => Err(QboFault::unsupported(field)),
    }
}

/// `Id` and `SyncToken` of an update, delete or void request.
pub(crate) fn id_and_sync(object: &Map<String, Value>) -> Result<(String, String), QboFault> {
    let id = string(object, "Id")?.ok_or_else(|| QboFault::required("Id"))?;
    let sync = string(object, "SyncToken")?.ok_or_else(|| QboFault::required("SyncToken"))?;
    Ok((id.to_owned(), sync.to_owned()))
}
