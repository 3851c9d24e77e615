//! `/Contacts`: the contact record, its validation and its endpoints.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::call::Call;
use super::errors::{self, Reply};
use super::{Data, lists, wire, writes};
use crate::state::Core;

/// Longest `Name` Xero accepts.
const MAX_NAME_LEN: usize = 255;

/// Text fields kept as sent, with their maximum lengths from the spec.
const TEXT_FIELDS: [(&str, usize); 7] = [
    ("FirstName", 255),
    ("LastName", 255),
    ("EmailAddress", 255),
    ("ContactNumber", 50),
    ("AccountNumber", 50),
    ("TaxNumber", 50),
    ("CompanyNumber", 50),
];

const ADDRESS_FIELDS: [&str; 10] = [
    "AddressType",
    "AddressLine1",
    "AddressLine2",
    "AddressLine3",
    "AddressLine4",
    "City",
    "Region",
    "PostalCode",
    "Country",
    "AttentionTo",
];
const PHONE_FIELDS: [&str; 4] = [
    "PhoneType",
    "PhoneNumber",
    "PhoneAreaCode",
    "PhoneCountryCode",
];

/// One contact.
#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    /// `ACTIVE` or `ARCHIVED`.
    pub(crate) status: &'static str,
    /// The [`TEXT_FIELDS`] that are set.
    text: Map<String, Value>,
    addresses: Vec<Value>,
    phones: Vec<Value>,
    pub(crate) is_customer: bool,
    pub(crate) is_supplier: bool,
    default_currency: Option<String>,
    pub(crate) updated: SystemTime,
}

impl Contact {
    /// A new active contact with only a name (Xero creates these for an
    /// invoice whose `Contact` names no existing contact).
    pub(crate) fn named(name: &str, now: SystemTime) -> Contact {
        Contact {
            id: Uuid::new_v4(),
            name: name.trim().to_owned(),
            status: "ACTIVE",
            text: Map::new(),
            addresses: Vec::new(),
            phones: Vec::new(),
            is_customer: false,
            is_supplier: false,
            default_currency: None,
            updated: now,
        }
    }

    pub(crate) fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// The contact as the API returns it.
    pub(crate) fn to_json(&self) -> Value {
        let mut contact = json!({
            "ContactID": self.id.to_string(),
            "ContactStatus": self.status,
            "Name": self.name,
            "Addresses": self.addresses,
            "Phones": self.phones,
            "UpdatedDateUTC": wire::ms_date(self.updated),
            "ContactGroups": [],
            "IsSupplier": self.is_supplier,
            "IsCustomer": self.is_customer,
            "ContactPersons": [],
            "HasAttachments": false,
            "HasValidationErrors": false,
        });
        if let Value::Object(object) = &mut contact {
            object.extend(self.text.clone());
            if let Some(currency) = &self.default_currency {
                object.insert("DefaultCurrency".into(), json!(currency));
            }
        }
        contact
    }

    /// The short form embedded in an invoice.
    pub(crate) fn summary_json(&self) -> Value {
        let mut contact = json!({
            "ContactID": self.id.to_string(),
            "ContactStatus": self.status,
            "Name": self.name,
            "HasValidationErrors": false,
        });
        if let (Value::Object(object), Some(email)) = (&mut contact, self.text.get("EmailAddress"))
        {
            object.insert("EmailAddress".into(), email.clone());
        }
        contact
    }

    fn text_field(&self, name: &str) -> Option<&str> {
        self.text.get(name).and_then(Value::as_str)
    }

    /// `searchTerm`: case-insensitive contains over the searchable fields.
    fn matches_search(&self, term: &str) -> bool {
        let term = term.to_lowercase();
        std::iter::once(self.name.as_str())
            .chain(
                [
                    "FirstName",
                    "LastName",
                    "EmailAddress",
                    "ContactNumber",
                    "AccountNumber",
                ]
                .into_iter()
                .filter_map(|field| self.text_field(field)),
            )
            .any(|value| value.to_lowercase().contains(&term))
    }
}

/// Reads `input` onto `contact`; returns what is wrong with it.
fn apply(contact: &mut Contact, input: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(name) = input.get("Name") {
        match name {
            Value::String(name) => contact.name = name.trim().to_owned(),
            Value::Null => contact.name.clear(),
            _ => problems.push("Name must be text.".to_owned()),
        }
    }
    for (field, max) in TEXT_FIELDS {
        match input.get(field) {
            None => {}
            Some(Value::Null) => {
                contact.text.remove(field);
            }
            Some(Value::String(value)) if value.chars().count() > max => {
                problems.push(format!(
                    "{field} must not be more than {max} characters long."
                ));
            }
            Some(Value::String(value)) if value.is_empty() => {
                contact.text.remove(field);
            }
            Some(Value::String(value)) => {
                contact.text.insert(field.to_owned(), json!(value));
            }
            Some(_) => problems.push(format!("{field} must be text.")),
        }
    }
    match input.get("ContactStatus").map(|status| status.as_str()) {
        None => {}
        Some(Some(status)) if status.eq_ignore_ascii_case("ACTIVE") => contact.status = "ACTIVE",
        Some(Some(status)) if status.eq_ignore_ascii_case("ARCHIVED") => {
            contact.status = "ARCHIVED"
        }
        Some(_) => problems.push("ContactStatus must be ACTIVE or ARCHIVED.".to_owned()),
    }
    for (flag, target) in [
        ("IsSupplier", &mut contact.is_supplier),
        ("IsCustomer", &mut contact.is_customer),
    ] {
        if let Some(value) = input.get(flag).and_then(Value::as_bool) {
            *target = value;
        }
    }
    if let Some(currency) = input.get("DefaultCurrency").and_then(Value::as_str) {
        contact.default_currency = Some(currency.to_owned());
    }
    if let Some(addresses) = input.get("Addresses") {
        match sub_records(
            addresses,
            &ADDRESS_FIELDS,
            "AddressType",
            &["POBOX", "STREET"],
        ) {
            Ok(addresses) => contact.addresses = addresses,
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(phones) = input.get("Phones") {
        let types = ["DEFAULT", "DDI", "MOBILE", "FAX", "OFFICE"];
        match sub_records(phones, &PHONE_FIELDS, "PhoneType", &types) {
            Ok(phones) => contact.phones = phones,
            Err(problem) => problems.push(problem),
        }
    }
    if contact.name.is_empty() {
        problems.push("A contact name must be specified.".to_owned());
    } else if contact.name.chars().count() > MAX_NAME_LEN {
        problems.push(format!(
            "The contact name must not be more than {MAX_NAME_LEN} characters long."
        ));
    }
    problems
}

/// `Addresses` / `Phones`: the known text fields of each object; `kind`
/// must be one of `kinds`.
fn sub_records(
    value: &Value,
    fields: &[&str],
    kind: &str,
    kinds: &[&str],
) -> Result<Vec<Value>, String> {
    let Value::Array(records) = value else {
        return Err(format!("{kind} records must be sent as an array."));
    };
    records
        .iter()
        .map(|record| {
            let mut kept = Map::new();
            for field in fields {
                if let Some(text) = record.get(*field).and_then(Value::as_str) {
                    kept.insert((*field).to_owned(), json!(text));
                }
            }
            match kept.get(kind).and_then(Value::as_str) {
                Some(value) if !kinds.contains(&value) => Err(format!(
                    "{kind} '{value}' is not one of {}.",
                    kinds.join(", ")
                )),
                _ => Ok(Value::Object(kept)),
            }
        })
        .collect()
}

/// Xero's message for a name another active contact has.
fn duplicate_name(name: &str) -> String {
    format!(
        "The contact name {name} is already assigned to another contact. \
         The contact name must be unique across all active contacts."
    )
}

/// Index of the active contact called `name` (any case), other than `except`.
pub(crate) fn active_named(data: &Data, name: &str, except: Option<Uuid>) -> Option<usize> {
    data.contacts.iter().position(|contact| {
        contact.is_active()
            && Some(contact.id) != except
            && contact.name.to_lowercase() == name.trim().to_lowercase()
    })
}

/// Creates or updates every element of a batch; see the module doc of
/// [`super`] for `summarizeErrors`.
fn save(
    data: &mut Data,
    elements: &[Value],
    summarize: bool,
    path_id: Option<Uuid>,
    now: SystemTime,
) -> Reply {
    let mut draft = data.clone();
    let mut rendered = Vec::new();
    let mut refused = Vec::new();
    for element in elements {
        let empty = Map::new();
        let input = element.as_object().unwrap_or(&empty);
        let mut problems = Vec::new();
        if !element.is_object() {
            problems.push("Each contact must be a JSON object.".to_owned());
        }
        let id = match (path_id, input.get("ContactID")) {
            (Some(id), _) => Some(Ok(id)),
            (None, Some(Value::String(id))) => Some(Uuid::parse_str(id).map_err(|_| id.clone())),
            (None, Some(Value::Null) | None) => None,
            (None, Some(other)) => Some(Err(other.to_string())),
        };
        let existing = match id {
            Some(Ok(id)) => match draft.contacts.iter().position(|contact| contact.id == id) {
                Some(index) => Some(index),
                None => {
                    if path_id.is_some() {
                        return Reply::NotFound;
                    }
                    problems.push(format!(
                        "The contact with ContactID '{id}' could not be found."
                    ));
                    None
                }
            },
            Some(Err(id)) => {
                problems.push(format!("ContactID '{id}' is not a valid identifier."));
                None
            }
            None => input
                .get("ContactNumber")
                .and_then(Value::as_str)
                .filter(|number| !number.is_empty())
                .and_then(|number| {
                    draft
                        .contacts
                        .iter()
                        .position(|contact| contact.text_field("ContactNumber") == Some(number))
                }),
        };
        let mut contact = match existing {
            Some(index) => draft.contacts[index].clone(),
            None => Contact::named("", now),
        };
        problems.extend(apply(&mut contact, input));
        contact.updated = now;
        if contact.is_active()
            && !contact.name.is_empty()
            && active_named(&draft, &contact.name, Some(contact.id)).is_some()
        {
            problems.push(duplicate_name(&contact.name));
        }
        let mut json = contact.to_json();
        if problems.is_empty() {
            match existing {
                Some(index) => draft.contacts[index] = contact,
                None => draft.contacts.push(contact),
            }
            if !summarize {
                json["StatusAttributeString"] = json!("OK");
            }
            rendered.push(json);
        } else {
            writes::mark_refused(&mut json, &problems, "HasValidationErrors");
            refused.push(json.clone());
            rendered.push(json);
        }
    }
    if summarize && !refused.is_empty() {
        return errors::validation(refused);
    }
    *data = draft;
    Reply::Json(StatusCode::OK, json!({ "Contacts": rendered }))
}

async fn write(
    core: Arc<Core>,
    headers: HeaderMap,
    query: Option<String>,
    method: &str,
    path_id: Option<String>,
    body: Bytes,
) -> Response {
    let call = match Call::open(core, &headers, query, true).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let path_id = match path_id.map(|id| Uuid::parse_str(&id)) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return call.finish(Reply::NotFound).await,
    };
    let elements = match writes::elements(&body, "Contacts") {
        Ok(elements) => elements,
        Err(reply) => return call.finish(reply).await,
    };
    let summarize = writes::summarize_errors(&call);
    let path = format!(
        "Contacts/{}",
        path_id.map(|id| id.to_string()).unwrap_or_default()
    );
    writes::run(call, &headers, method, &path, &body, |data, call| {
        save(data, &elements, summarize, path_id, call.core.clock.now())
    })
    .await
}

/// `PUT /Contacts`.
pub(crate) async fn put(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(core, headers, query, "PUT", None, body).await
}

/// `POST /Contacts`.
pub(crate) async fn post(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(core, headers, query, "POST", None, body).await
}

/// `POST /Contacts/{ContactID}`.
pub(crate) async fn post_one(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(core, headers, query, "POST", Some(id), body).await
}

/// `GET /Contacts`.
pub(crate) async fn list(
    State(core): State<Arc<Core>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let include_archived = call.query.flag("includeArchived").unwrap_or(false);
    let ids = call.query.list("IDs");
    let search = call.query.get("searchTerm").map(str::to_owned);
    let records = call.core.xero_books.with(call.tenant, |ledger| {
        ledger
            .data
            .contacts
            .iter()
            .filter(|contact| include_archived || contact.is_active())
            .filter(|contact| {
                ids.as_ref().is_none_or(|ids| {
                    ids.iter()
                        .any(|id| id.eq_ignore_ascii_case(&contact.id.to_string()))
                })
            })
            .filter(|contact| {
                search
                    .as_deref()
                    .is_none_or(|term| contact.matches_search(term))
            })
            .map(|contact| (contact.updated, contact.to_json()))
            .collect()
    });
    let reply = lists::reply(&call, &headers, "Contacts", records);
    call.finish(reply).await
}

/// `GET /Contacts/{ContactID}` (or a ContactNumber).
pub(crate) async fn get_one(
    State(core): State<Arc<Core>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let call = match Call::open(core, &headers, query, false).await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let found = call.core.xero_books.with(call.tenant, |ledger| {
        ledger
            .data
            .contacts
            .iter()
            .find(|contact| {
                contact.id.to_string().eq_ignore_ascii_case(&id)
                    || contact.text_field("ContactNumber") == Some(id.as_str())
            })
            .map(Contact::to_json)
    });
    let reply = match found {
        Some(contact) => Reply::Json(StatusCode::OK, json!({ "Contacts": [contact] })),
        None => Reply::NotFound,
    };
    call.finish(reply).await
}

/// Every contact of a tenant, archived included (for the control API).
pub(crate) fn dump(data: &Data) -> Value {
    let contacts: Vec<Value> = data.contacts.iter().map(Contact::to_json).collect();
    json!({ "Contacts": contacts })
}
