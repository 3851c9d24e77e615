//! The versioned envelope of every record the host stores (outbox payloads; plan bodies
//! carry their own version field): `{"v": 1, "customer": {...}}` or `{"v": 1, "invoice":
//! {...}}`.
//!
//! Rows written before the envelope existed (host 0.1, which stored the contract's
//! generated types directly) have no `v`; their shape is the same as version 1's record,
//! so they read as version 1. A version newer than this host knows is refused with both
//! versions named, never guessed at.

use serde::{Deserialize, Serialize};

use super::{Customer, Invoice};

/// The envelope version this host writes.
pub const VERSION: u32 = 1;

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A customer.
    Customer(Customer),
    /// A job or contract invoice.
    Invoice(Invoice),
}

#[derive(Serialize)]
struct Out<'a> {
    v: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<&'a Customer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoice: Option<&'a Invoice>,
}

#[derive(Deserialize)]
struct In {
    v: u32,
    customer: Option<Customer>,
    invoice: Option<Invoice>,
}

/// Why a stored record cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    /// Written by a newer host.
    #[error(
        "it was stored by a newer ledgerlink (record format {found}; this one reads up to {VERSION}); run that version, or upgrade this one"
    )]
    Newer {
        /// The version found.
        found: u32,
    },
    /// Not a record at all.
    #[error("it is not a stored record: {0}")]
    Malformed(String),
}

impl Record {
    /// The envelope as JSON text.
    pub fn to_json(&self) -> String {
        let out = match self {
            Record::Customer(c) => Out {
                v: VERSION,
                customer: Some(c),
                invoice: None,
            },
            Record::Invoice(i) => Out {
                v: VERSION,
                customer: None,
                invoice: Some(i),
            },
        };
        // Serializing plain structs of strings, options and unit enums cannot fail.
        serde_json::to_string(&out).unwrap_or_default()
    }

    /// Read a stored record, enveloped or (from host 0.1) bare.
    pub fn from_json(text: &str) -> Result<Record, StoredError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StoredError::Malformed(e.to_string()))?;
        let malformed = |e: serde_json::Error| StoredError::Malformed(e.to_string());
        match value.get("v").and_then(serde_json::Value::as_u64) {
            None => {
                // Host 0.1 stored the record itself; an invoice has a `lines` list.
                if value.get("lines").is_some() {
                    serde_json::from_value(value)
                        .map(Record::Invoice)
                        .map_err(malformed)
                } else {
                    serde_json::from_value(value)
                        .map(Record::Customer)
                        .map_err(malformed)
                }
            }
            Some(v) if v > u64::from(VERSION) => Err(StoredError::Newer {
                found: u32::try_from(v).unwrap_or(u32::MAX),
            }),
            Some(_) => {
                let envelope: In = serde_json::from_value(value).map_err(malformed)?;
                let _ = envelope.v;
                match (envelope.customer, envelope.invoice) {
                    (Some(c), None) => Ok(Record::Customer(c)),
                    (None, Some(i)) => Ok(Record::Invoice(i)),
                    _ => Err(StoredError::Malformed(
                        "it holds neither exactly one customer nor one invoice".to_owned(),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CustomerRef, InvoiceKind, InvoiceStatus, TaxMode};

    fn customer() -> Customer {
        Customer {
            key: "C1".into(),
            remote_id: None,
            version: None,
            idempotency_key: Some("k".into()),
            name: "Acme".into(),
            account_number: None,
            contact_name: None,
            email: None,
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: None,
            active: true,
            updated_at: None,
        }
    }

    #[test]
    fn round_trips_with_a_version_tag() {
        let text = Record::Customer(customer()).to_json();
        assert!(text.starts_with("{\"v\":1,"), "{text}");
        assert_eq!(
            Record::from_json(&text).expect("reads"),
            Record::Customer(customer())
        );
    }

    #[test]
    fn reads_the_bare_rows_host_0_1_wrote() {
        // Exactly what host 0.1 stored: the contract's generated invoice type as serde JSON.
        let old = r#"{"key":"J1","remote_id":null,"version":null,"idempotency_key":"abc","kind":"Job","number":"1001","customer":{"remote_id":"X","name":"Acme"},"issue_date":"2026-01-02","due_date":null,"currency":"USD","tax_mode":"Exclusive","lines":[{"description":"Labour","quantity":"1","unit_price":"10.00","discount_percent":null,"amount":"10.00","item_code":null,"account_code":null,"tax_code":null,"tax_amount":"1.00"}],"subtotal":"10.00","tax_total":"1.00","total":"11.00","reference":null,"memo":null,"status":"Authorised","updated_at":null}"#;
        let Record::Invoice(i) = Record::from_json(old).expect("reads") else {
            panic!("an invoice");
        };
        assert_eq!(i.number, "1001");
        assert_eq!(i.kind, InvoiceKind::Job);
        assert_eq!(i.tax_mode, TaxMode::Exclusive);
        assert_eq!(i.status, InvoiceStatus::Authorised);
        assert_eq!(
            i.customer,
            CustomerRef {
                remote_id: Some("X".into()),
                name: "Acme".into()
            }
        );
        let old_customer = serde_json::to_string(&customer()).expect("json");
        assert_eq!(
            Record::from_json(&old_customer).expect("reads"),
            Record::Customer(customer())
        );
    }

    #[test]
    fn a_newer_version_is_refused_naming_both() {
        let err = Record::from_json(r#"{"v":2,"customer":{}}"#).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "it was stored by a newer ledgerlink (record format 2; this one reads up to 1); run that version, or upgrade this one"
        );
    }
}
