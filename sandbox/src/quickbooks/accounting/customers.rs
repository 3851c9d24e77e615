//! Customer create, full and sparse update, with Intuit's name rules:
//! `DisplayName` unique across customers, vendors and employees
//! (case-insensitive), length limits from Intuit's API reference, and no
//! `:`, tab or newline in a name.
//!
//! A customer's `CurrencyRef` is set when it is created (the home currency when none is
//! sent; a foreign one only in a multicurrency company, see [`super::currency`]) and fixed
//! afterwards: an update naming another currency is refused with 6000, element `CurrencyRef`
//! (detail `Business Validation Error: You can't change the currency of a customer once it's
//! set. Customer currency: USD, supplied: EUR`). An update without `CurrencyRef` keeps it.

use std::time::SystemTime;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::currency;
use super::fault::QboFault;
use super::money;
use super::realm::{Kind, Realm};
use super::validate::{self, boolean, id_and_sync, known_keys, max_length, reference, string};

/// Writable string elements and their maximum lengths.
const NAME_FIELDS: &[(&str, usize)] = &[
    ("Title", 16),
    ("GivenName", 100),
    ("MiddleName", 100),
    ("FamilyName", 100),
    ("Suffix", 16),
    ("DisplayName", 500),
    ("CompanyName", 100),
    ("PrintOnCheckName", 110),
    ("Notes", 2000),
];
/// Name parts that may not hold `:`, tab or newline.
const PLAIN_NAMES: &[&str] = &[
    "Title",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Suffix",
    "DisplayName",
];
/// Other writable elements.
const OTHER_WRITABLE: &[&str] = &[
    "Active",
    "Taxable",
    "PrimaryEmailAddr",
    "PrimaryPhone",
    "AlternatePhone",
    "Mobile",
    "Fax",
    "BillAddr",
    "ShipAddr",
    "PrimaryTaxIdentifier",
    "CurrencyRef",
];
/// Elements a client may send back as it read them; the sandbox keeps its own.
const READ_ONLY: &[&str] = &[
    "Id",
    "SyncToken",
    "sparse",
    "domain",
    "MetaData",
    "FullyQualifiedName",
    "Balance",
    "BalanceWithJobs",
    "Job",
    "BillWithParent",
    "PreferredDeliveryMethod",
    "IsProject",
    "V4IDPseudonym",
];
/// `PhysicalAddress` elements and their lengths.
const ADDRESS_FIELDS: &[(&str, usize)] = &[
    ("Line1", 500),
    ("Line2", 500),
    ("Line3", 500),
    ("Line4", 500),
    ("Line5", 500),
    ("City", 255),
    ("Country", 255),
    ("CountrySubDivisionCode", 255),
    ("PostalCode", 30),
];

/// `POST /customer`: create, or update when the body carries an `Id`.
pub(crate) fn write(realm: &mut Realm, body: &Value, now: SystemTime) -> Result<Value, QboFault> {
    let request = validate::object(body, "Customer")?;
    if request.contains_key("Id") {
        update(realm, request, now)
    } else {
        let customer = build(realm, request, None)?;
        let id = realm.insert(Kind::Customer, customer, now);
        refresh_balance(realm, &id);
        served(realm, &id)
    }
}

fn update(
    realm: &mut Realm,
    request: &Map<String, Value>,
    now: SystemTime,
) -> Result<Value, QboFault> {
    let (id, sync) = id_and_sync(request)?;
    let current = realm
        .get(Kind::Customer, &id)
        .ok_or_else(|| QboFault::not_found("Customer", &id))?;
    if current.sync_token() != sync {
        return Err(QboFault::stale());
    }
    let sparse = boolean(request, "sparse")?.unwrap_or(false);
    let merged = if sparse {
        let mut merged = current.body.clone();
        for (key, value) in request {
            merged.insert(key.clone(), value.clone());
        }
        merged
    } else {
        request.clone()
    };
    let stored_currency = current.body.get("CurrencyRef").cloned();
    let mut customer = build(realm, &merged, Some(&id))?;
    if let Some(stored) = stored_currency {
        let sent = reference(request, "CurrencyRef")?;
        if let (Some(sent), Some(kept)) = (sent, stored["value"].as_str())
            && sent != kept
        {
            return Err(currency::business(format!(
                "You can't change the currency of a customer once it's set. Customer currency: \
                 {kept}, supplied: {sent}"
            ))
            .at("CurrencyRef"));
        }
        customer.insert("CurrencyRef".into(), stored);
    }
    realm.replace(Kind::Customer, &id, customer, now);
    refresh_balance(realm, &id);
    served(realm, &id)
}

fn served(realm: &Realm, id: &str) -> Result<Value, QboFault> {
    realm
        .get(Kind::Customer, id)
        .map(|entity| entity.served())
        .ok_or_else(|| QboFault::not_found("Customer", id))
}

/// The stored body for `request` (all writable fields; `own_id` when updating).
fn build(
    realm: &Realm,
    request: &Map<String, Value>,
    own_id: Option<&str>,
) -> Result<Map<String, Value>, QboFault> {
    let allowed: Vec<&str> = NAME_FIELDS
        .iter()
        .map(|(name, _)| *name)
        .chain(OTHER_WRITABLE.iter().copied())
        .chain(READ_ONLY.iter().copied())
        .collect();
    known_keys(request, &allowed, "")?;
    let mut customer = Map::new();
    for (field, max) in NAME_FIELDS {
        if let Some(text) = string(request, field)? {
            max_length(text, *max, field)?;
            if PLAIN_NAMES.contains(field) && text.contains([':', '\t', '\n', '\r']) {
                return Err(QboFault::validation(
                    "2040",
                    "Invalid Character",
                    format!(
                        "Invalid character found in {field}: a name cannot contain a colon (:), \
                         a tab or a new line"
                    ),
                )
                .at(field));
            }
            customer.insert((*field).to_owned(), json!(text));
        }
    }
    let display = match string(request, "DisplayName")?.map(str::trim) {
        Some(display) if !display.is_empty() => display.to_owned(),
        _ => derived_display_name(&customer).ok_or_else(|| {
            QboFault::validation(
                "6080",
                "No Name Provided",
                "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these \
                 must be non-empty"
                    .to_owned(),
            )
        })?,
    };
    max_length(&display, 500, "DisplayName")?;
    ensure_unique_name(realm, &display, own_id)?;
    customer.insert("DisplayName".into(), json!(display));
    customer.insert("FullyQualifiedName".into(), json!(display));
    if !customer.contains_key("PrintOnCheckName") {
        customer.insert("PrintOnCheckName".into(), json!(display));
    }
    customer.insert(
        "Active".into(),
        json!(boolean(request, "Active")?.unwrap_or(true)),
    );
    customer.insert(
        "Taxable".into(),
        json!(boolean(request, "Taxable")?.unwrap_or(true)),
    );
    if let Some(email) = request.get("PrimaryEmailAddr").filter(|v| !v.is_null()) {
        let email = validate::object(email, "PrimaryEmailAddr")?;
        known_keys(
            email,
            &["Address", "Id", "Default", "Tag"],
            "PrimaryEmailAddr",
        )?;
        let address = string(email, "Address")?.unwrap_or("");
        max_length(address, 100, "PrimaryEmailAddr.Address")?;
        customer.insert("PrimaryEmailAddr".into(), json!({ "Address": address }));
    }
    for phone in ["PrimaryPhone", "AlternatePhone", "Mobile", "Fax"] {
        if let Some(number) = request.get(phone).filter(|v| !v.is_null()) {
            let number = validate::object(number, phone)?;
            known_keys(
                number,
                &["FreeFormNumber", "Id", "Default", "Tag", "DeviceType"],
                phone,
            )?;
            let text = string(number, "FreeFormNumber")?.unwrap_or("");
            max_length(text, 30, &format!("{phone}.FreeFormNumber"))?;
            customer.insert(phone.to_owned(), json!({ "FreeFormNumber": text }));
        }
    }
    for address in ["BillAddr", "ShipAddr"] {
        if let Some(value) = request.get(address).filter(|v| !v.is_null()) {
            customer.insert(
                address.to_owned(),
                Value::Object(physical_address(value, address)?),
            );
        }
    }
    // Finance.xsd: the customer's tax id (QBO); Intuit answers it masked but for the last
    // four characters.
    if let Some(tax_id) = string(request, "PrimaryTaxIdentifier")? {
        max_length(tax_id, 20, "PrimaryTaxIdentifier")?;
        let keep = tax_id.chars().count().saturating_sub(4);
        let masked: String = tax_id
            .chars()
            .enumerate()
            .map(|(i, c)| if i < keep { 'X' } else { c })
            .collect();
        customer.insert("PrimaryTaxIdentifier".into(), json!(masked));
    }
    customer.insert("Job".into(), json!(false));
    customer.insert("BillWithParent".into(), json!(false));
    customer.insert("Balance".into(), json!(0));
    customer.insert("BalanceWithJobs".into(), json!(0));
    let home = realm.home_currency();
    let currency = match reference(request, "CurrencyRef")? {
        Some(code) => currency::resolve(code, home, realm.multi_currency)?,
        None => home,
    };
    customer.insert("CurrencyRef".into(), currency.reference());
    customer.insert("PreferredDeliveryMethod".into(), json!("Print"));
    customer.insert("IsProject".into(), json!(false));
    Ok(customer)
}

/// A checked `PhysicalAddress`.
fn physical_address(value: &Value, element: &str) -> Result<Map<String, Value>, QboFault> {
    let address = validate::object(value, element)?;
    let mut allowed: Vec<&str> = ADDRESS_FIELDS.iter().map(|(name, _)| *name).collect();
    allowed.push("Id");
    known_keys(address, &allowed, element)?;
    let mut clean = Map::new();
    for (field, max) in ADDRESS_FIELDS {
        if let Some(text) = string(address, field)? {
            max_length(text, *max, &format!("{element}.{field}"))?;
            clean.insert((*field).to_owned(), json!(text));
        }
    }
    Ok(clean)
}

/// Intuit's default display name: the name parts joined by spaces.
fn derived_display_name(customer: &Map<String, Value>) -> Option<String> {
    let parts: Vec<&str> = ["Title", "GivenName", "MiddleName", "FamilyName", "Suffix"]
        .iter()
        .filter_map(|field| customer.get(*field).and_then(Value::as_str))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" ")).or_else(|| {
        customer
            .get("CompanyName")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// 6240 when another customer, a vendor or an employee has `display`.
fn ensure_unique_name(realm: &Realm, display: &str, own_id: Option<&str>) -> Result<(), QboFault> {
    let wanted = display.trim().to_lowercase();
    let taken = [Kind::Customer, Kind::Vendor, Kind::Employee]
        .into_iter()
        .flat_map(|kind| realm.all(kind).map(move |entity| (kind, entity)))
        .filter(|(_, entity)| !entity.deleted)
        .filter(|(kind, entity)| !(*kind == Kind::Customer && Some(entity.id()) == own_id))
        .find(|(_, entity)| {
            entity
                .body
                .get("DisplayName")
                .and_then(Value::as_str)
                .is_some_and(|name| name.trim().to_lowercase() == wanted)
        });
    match taken {
        Some(_) => Err(QboFault::validation(
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another customer, vendor or employee is \
             already using this name. Please use a different name."
                .to_owned(),
        )
        .at("DisplayName")),
        None => Ok(()),
    }
}

/// Sets the customer's `Balance` to the open balance of its live invoices less the unapplied
/// credit of its live credit memos (a derived field: it does not advance `SyncToken`).
pub(crate) fn refresh_balance(realm: &mut Realm, customer_id: &str) {
    let open: Decimal = realm
        .txns_of(customer_id)
        .filter_map(|(kind, txn)| {
            let balance = money::decimal(&txn.body["Balance"], "Balance").ok()?;
            Some(if kind == Kind::CreditMemo {
                -balance
            } else {
                balance
            })
        })
        .sum();
    if let Some(customer) = realm.body_mut(Kind::Customer, customer_id) {
        customer.insert("Balance".into(), money::number(open));
        customer.insert("BalanceWithJobs".into(), money::number(open));
    }
}
