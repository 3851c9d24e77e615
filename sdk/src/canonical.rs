//! The canonical records as JSON: [`Customer`], [`Invoice`], their parts and [`Written`] ⇄
//! `serde_json::Value`.
//!
//! Many vendor APIs write records close to the canonical shape. Rather than copy twenty
//! fields by hand in each direction, turn the record into its canonical JSON, rename or
//! reshape the few fields the vendor spells differently, and send that; read the vendor's
//! JSON the same way back. Keys are the contract's field names as the Rust types spell them
//! (`remote_id`, `billing_address`, `postal_code`, `unit_price`); enums are the contract's
//! names (`"job"`, `"exclusive"`, `"authorised"`); absent options are `null`; money and
//! quantities stay decimal strings.
//!
//! Reading is strict: a field of the wrong type, a required one missing, or an unknown enum
//! name is a `validation` error naming the canonical field (`lines[1].unit-price`). Keys the
//! record does not have are ignored, and `key`, `idempotency_key` and `customer.name` may be
//! left out (they are empty on records read from a vendor).
//!
//! ```
//! use ledgerlink_sdk::canonical::{FromJson, ToJson};
//! use ledgerlink_sdk::types::Customer;
//! use serde_json::json;
//!
//! // The vendor's customer: "id" for the remote id, a numeric version, an extra field.
//! let mut vendor = json!({
//!     "id": "cus_7", "version": 3, "name": "Kea Electrical", "email": null, "phone": null,
//!     "account_number": "1002", "contact_name": null, "tax_number": null, "currency": "NZD",
//!     "active": true, "billing_address": {"line1": "5 Kauri Road", "city": "Whangārei"},
//!     "shipping_address": null, "updated_at": "2026-11-22T01:21:27Z", "created_at": "2026-11-01T00:00:00Z"
//! });
//! vendor["remote_id"] = vendor["id"].take();
//! vendor["version"] = json!(vendor["version"].to_string());
//! let customer = Customer::from_json(&vendor).unwrap();
//! assert_eq!(customer.remote_id.as_deref(), Some("cus_7"));
//! assert_eq!(customer.version.as_deref(), Some("3"));
//! assert_eq!(customer.billing_address.as_ref().and_then(|a| a.city.as_deref()), Some("Whangārei"));
//!
//! let back = customer.to_json();
//! assert_eq!(back["account_number"], "1002");
//! assert_eq!(back["billing_address"]["postal_code"], serde_json::Value::Null);
//! ```

use serde_json::{Map, Value};

use crate::error::{ConnectorErrorExt, validation};
use crate::types::{
    Address, ConnectorError, Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine,
    InvoiceStatus, RecordKind, TaxMode, WriteAction, Written,
};

/// A canonical value written as JSON.
pub trait ToJson {
    /// The value as canonical JSON.
    fn to_json(&self) -> Value;
}

/// A canonical value read from JSON.
pub trait FromJson: Sized {
    /// Read the value; errors name the canonical field.
    fn from_json(value: &Value) -> Result<Self, ConnectorError> {
        Self::from_json_at(value, "")
    }

    /// Read the value found at canonical field `field` (`""` for the record itself).
    fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError>;
}

fn wrong(field: &str, expected: &str, got: &Value) -> ConnectorError {
    let got = match got {
        Value::Null => "nothing".to_owned(),
        other => {
            let text = other.to_string();
            text.chars().take(60).collect()
        }
    };
    validation(format!("{field} must be {expected}, got {got}")).at(field)
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FromJson for String {
    fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| wrong(field, "text", value))
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromJson for bool {
    fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError> {
        value
            .as_bool()
            .ok_or_else(|| wrong(field, "true or false", value))
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_json_at(v, field).map(Some),
        }
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError> {
        value
            .as_array()
            .ok_or_else(|| wrong(field, "a list", value))?
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json_at(item, &format!("{field}[{i}]")))
            .collect()
    }
}

/// `parent.child` in the contract's spelling (`-` for `_`).
fn child(parent: &str, name: &str) -> String {
    let name = name.replace('_', "-");
    if parent.is_empty() {
        name
    } else {
        format!("{parent}.{name}")
    }
}

/// JSON for a record type: one key per field. A field written `name = default` may be
/// missing from the JSON (it then gets `default`).
macro_rules! record {
    ($ty:ident { $($field:ident $(= $default:expr)?),* $(,)? }) => {
        impl ToJson for $ty {
            fn to_json(&self) -> Value {
                let mut map = Map::new();
                $(map.insert(stringify!($field).to_owned(), self.$field.to_json());)*
                Value::Object(map)
            }
        }

        impl FromJson for $ty {
            fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError> {
                if !value.is_object() {
                    return Err(wrong(if field.is_empty() { stringify!($ty) } else { field }, "an object", value));
                }
                Ok($ty {
                    $($field: {
                        let v = &value[stringify!($field)];
                        $(if v.is_null() { $default } else)? {
                            FromJson::from_json_at(v, &child(field, stringify!($field)))?
                        }
                    },)*
                })
            }
        }
    };
}

/// JSON for an enum: the contract's names.
macro_rules! names {
    ($ty:ident { $($variant:ident = $name:literal),* $(,)? }) => {
        impl ToJson for $ty {
            fn to_json(&self) -> Value {
                Value::String(match self { $($ty::$variant => $name,)* }.to_owned())
            }
        }

        impl FromJson for $ty {
            fn from_json_at(value: &Value, field: &str) -> Result<Self, ConnectorError> {
                match value.as_str() {
                    $(Some($name) => Ok($ty::$variant),)*
                    _ => Err(wrong(field, concat!("one of" $(, " ", $name)*), value)),
                }
            }
        }
    };
}

names!(InvoiceKind { Job = "job", Contract = "contract", Order = "order" });
names!(TaxMode { Exclusive = "exclusive", Inclusive = "inclusive", None = "none" });
names!(InvoiceStatus {
    Draft = "draft",
    Authorised = "authorised",
    Paid = "paid",
    Voided = "voided",
});

names!(RecordKind {
    Customer = "customer",
    Invoice = "invoice"
});
names!(WriteAction {
    Created = "created",
    Updated = "updated",
    Unchanged = "unchanged",
});

record!(Written {
    remote_id,
    version,
    action,
    note
});

record!(Address {
    line1,
    line2,
    city,
    region,
    postal_code,
    country
});

record!(Customer {
    key = String::new(),
    remote_id,
    version,
    idempotency_key = None,
    name,
    account_number,
    contact_name,
    email,
    phone,
    tax_number,
    billing_address,
    shipping_address,
    currency,
    active,
    updated_at,
});

record!(CustomerRef {
    remote_id,
    name = String::new()
});

record!(InvoiceLine {
    description,
    quantity,
    unit_price,
    discount_percent,
    amount,
    item_code,
    account_code,
    tax_code,
    tax_amount,
    tax_rate,
});

record!(Invoice {
    key = String::new(),
    remote_id,
    version,
    idempotency_key = None,
    kind,
    number,
    customer,
    issue_date,
    due_date,
    currency,
    tax_mode,
    lines,
    subtotal,
    tax_total,
    total,
    reference,
    memo,
    status,
    amount_paid,
    amount_due,
    locked = None,
    updated_at,
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invoice_json() -> Value {
        json!({
            "remote_id": "inv_1", "version": "2", "kind": "contract", "number": "SC-7",
            "customer": {"remote_id": "cus_1"}, "issue_date": "2026-11-02", "due_date": null,
            "currency": "NZD", "tax_mode": "inclusive",
            "lines": [{"description": "Service", "quantity": "1", "unit_price": "115.00",
                       "discount_percent": null, "amount": "115.00", "item_code": null,
                       "account_code": "200", "tax_code": "GST", "tax_amount": "15.00", "tax_rate": "15"}],
            "subtotal": "115.00", "tax_total": "15.00", "total": "115.00", "reference": null,
            "memo": null, "status": "authorised", "amount_paid": "0.00", "amount_due": "115.00",
            "updated_at": null
        })
    }

    #[test]
    fn an_invoice_round_trips() {
        let invoice = Invoice::from_json(&invoice_json()).expect("reads");
        assert_eq!(invoice.kind, InvoiceKind::Contract);
        assert_eq!(invoice.key, "");
        assert_eq!(invoice.customer.name, "");
        assert_eq!(invoice.lines[0].tax_rate.as_deref(), Some("15"));
        let again = Invoice::from_json(&invoice.to_json()).expect("reads its own JSON");
        assert_eq!(again, invoice);
    }

    #[test]
    fn errors_name_the_canonical_field() {
        let mut v = invoice_json();
        v["lines"][0]["unit_price"] = json!(115);
        let e = Invoice::from_json(&v).expect_err("a number is not a decimal string");
        assert_eq!(e.field(), Some("lines[0].unit-price"));
        assert_eq!(e.message(), "lines[0].unit-price must be text, got 115");

        let mut v = invoice_json();
        v["status"] = json!("open");
        let e = Invoice::from_json(&v).expect_err("not a contract status");
        assert_eq!(
            e.message(),
            "status must be one of draft authorised paid voided, got \"open\""
        );

        let mut v = invoice_json();
        v["customer"] = json!({});
        assert_eq!(
            Invoice::from_json(&v).map(|i| i.customer.remote_id),
            Ok(None)
        );
        let e = Customer::from_json(&json!([])).expect_err("not an object");
        assert_eq!(e.message(), "Customer must be an object, got []");
    }
}
