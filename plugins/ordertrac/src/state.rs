//! The plugin's state file, `ordertrac-state.json` in the connection's folder: the
//! environment the package is for, every customer and document in the package (by id, with
//! its home key, content fingerprint and version). Every push applies its batch here and the
//! whole package is generated again from it, so batches, retries and resumed runs give the
//! same files as one run would.
//!
//! The rules of a push live here, as pure functions: create / unchanged / update, numbers
//! unique, quotes converted (never duplicated), documents OrderTrac shows as completed or
//! picked never changed (`locked`).

use std::collections::{BTreeMap, BTreeSet};

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{
    ConnectorError, Customer, Invoice, InvoiceKind, InvoiceStatus, WriteAction, Written,
};
use serde::{Deserialize, Serialize};

use crate::tax::{self, OtMoney};

/// The id prefix of a customer OrderTrac already holds, before its number from the customers
/// report (`OT-5001`); the package's own customers are `C-000001`, ….
pub const ORDERTRAC_CUSTOMER: &str = "OT-";

/// The state file's name.
pub const STATE_FILE: &str = "ordertrac-state.json";
/// The state format this code reads and writes.
pub const FORMAT: u32 = 1;

/// A customer as the package holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtCustomer {
    pub name: String,
    pub contact: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_number: Option<String>,
    pub address: Vec<Option<String>>,
    pub currency: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEntry {
    pub key: String,
    pub version: u32,
    /// When it was last created or changed here (RFC 3339); a pull `since` reads it. State
    /// files written before it existed read as unknown, which every delta includes.
    #[serde(default)]
    pub changed_at: Option<String>,
    pub fingerprint: String,
    pub customer: OtCustomer,
}

impl CustomerEntry {
    /// A customer's first version in the package.
    fn first(key: &str, fingerprint: String, customer: OtCustomer) -> Self {
        Self {
            key: key.to_owned(),
            version: 1,
            changed_at: None,
            fingerprint,
            customer,
        }
    }
}

/// Sales order or quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocType {
    SalesOrder,
    Quote,
}

impl DocType {
    pub fn label(self) -> &'static str {
        match self {
            DocType::SalesOrder => "Sales Order",
            DocType::Quote => "Quote",
        }
    }
    pub fn prefix(self) -> &'static str {
        match self {
            DocType::SalesOrder => "SO-",
            DocType::Quote => "Q-",
        }
    }
}

/// A document as the package holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtDocument {
    /// `job`, `contract` or `order`.
    pub kind: String,
    pub doc_type: DocType,
    /// Tracker Pro's number: the order's reference in OrderTrac.
    pub number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub issue_date: String,
    pub due_date: Option<String>,
    pub currency: String,
    /// `exclusive`, `inclusive` or `none`.
    pub tax_mode: String,
    pub memo: Option<String>,
    /// Tracker Pro's own subtotal, tax and total, for the manifest.
    pub source_subtotal: String,
    pub source_tax: String,
    pub money: OtMoney,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub key: String,
    pub version: u32,
    pub fingerprint: String,
    /// For a sales order that converts a quote: the quote's id.
    pub converted_from: Option<String>,
    /// For a quote converted to a sales order: the order's id (the quote leaves the package).
    pub converted_to: Option<String>,
    pub document: OtDocument,
}

/// The whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    /// `preview` or `production`: the environment this folder's package is for.
    pub environment: String,
    pub next_customer: u64,
    pub customers: BTreeMap<String, CustomerEntry>,
    pub documents: BTreeMap<String, DocumentEntry>,
}

/// What one record did.
pub type Outcome = Result<Written, ConnectorError>;

/// What a push needs besides the record.
#[derive(Debug, Clone, Default)]
pub struct PushContext {
    pub quotes: bool,
    pub tax_rates: BTreeMap<String, Decimal>,
    /// References OrderTrac's export shows as completed or picked, with that status.
    pub locked: BTreeMap<String, String>,
}

impl State {
    pub fn new(environment: &str) -> Self {
        State {
            format: FORMAT,
            environment: environment.to_owned(),
            next_customer: 1,
            customers: BTreeMap::new(),
            documents: BTreeMap::new(),
        }
    }

    /// Parse the state file; it must be for `environment`.
    pub fn parse(bytes: &[u8], environment: &str) -> Result<State, ConnectorError> {
        let state: State = serde_json::from_slice(bytes).map_err(|e| {
            error::validation(format!(
                "{STATE_FILE} is not a ledgerlink OrderTrac state file ({e}); restore it from a backup or move it away to start a new package"
            ))
        })?;
        if state.format != FORMAT {
            return Err(error::validation(format!(
                "{STATE_FILE} has format {}, and this connector reads format {FORMAT}; upgrade ledgerlink",
                state.format
            )));
        }
        if state.environment != environment {
            return Err(error::validation(format!(
                "this connection's folder holds a package for OrderTrac {}, but the connection targets {environment}; records sent to one environment are never found in the other: make a new connection for {environment}",
                state.environment
            ))
            .at("environment"));
        }
        Ok(state)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain maps of strings and numbers always serialize.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Apply one customer.
    pub fn push_customer(&mut self, c: &Customer) -> Outcome {
        if c.name.trim().is_empty() {
            return Err(error::validation(format!(
                "customer {}: name is required: OrderTrac needs a customer name; fill it in Tracker Pro",
                c.key
            ))
            .at("name"));
        }
        let addr = c.billing_address.as_ref();
        let content = OtCustomer {
            name: c.name.trim().to_owned(),
            contact: c.contact_name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            tax_number: c.tax_number.clone(),
            address: vec![
                addr.and_then(|a| a.line1.clone()),
                addr.and_then(|a| a.line2.clone()),
                addr.and_then(|a| a.city.clone()),
                addr.and_then(|a| a.region.clone()),
                addr.and_then(|a| a.postal_code.clone()),
                addr.and_then(|a| a.country.clone()),
            ],
            currency: c.currency.clone(),
            active: c.active,
        };
        let print = fingerprint(&content);
        let existing = match &c.remote_id {
            Some(id) => Some(id.clone()),
            None => self
                .customers
                .iter()
                .find(|(_, e)| e.key == c.key)
                .map(|(id, _)| id.clone()),
        };
        let Some(id) = existing else {
            let name = content.name.to_lowercase();
            if let Some((id, _)) = self
                .customers
                .iter()
                .find(|(_, e)| e.customer.name.to_lowercase() == name)
            {
                return Err(error::duplicate(
                    format!(
                        "a customer named {:?} is already in the package ({id}); link this customer to it instead of creating another",
                        c.name
                    ),
                    Some(id.clone()),
                )
                .at("name"));
            }
            let id = format!("C-{:06}", self.next_customer);
            self.next_customer += 1;
            self.customers
                .insert(id.clone(), CustomerEntry::first(&c.key, print, content));
            return Ok(written(id, 1, WriteAction::Created));
        };
        if !self.customers.contains_key(&id) && id.starts_with(ORDERTRAC_CUSTOMER) {
            // A customer OrderTrac already holds (its customers report): the package carries
            // it under OrderTrac's own number, for the migration to update, not create.
            self.customers
                .insert(id.clone(), CustomerEntry::first(&c.key, print, content));
            return Ok(written(id, 1, WriteAction::Updated));
        }
        let Some(e) = self.customers.get_mut(&id) else {
            return Err(error::not_found(format!(
                "customer {id} is not in this connection's package; compare again"
            )));
        };
        if e.fingerprint == print {
            return Ok(written(id, e.version, WriteAction::Unchanged));
        }
        // An update must be based on the version here: another write since it was read
        // would otherwise be overwritten unseen.
        if let Some(v) = c.version.as_deref()
            && v.trim() != e.version.to_string()
        {
            return Err(error::stale(format!(
                "customer {id} is at version {} in the package, not {v}: it changed since it was read; compare again",
                e.version
            ))
            .at("version"));
        }
        e.version += 1;
        e.fingerprint = print;
        e.customer = content;
        Ok(written(id.clone(), e.version, WriteAction::Updated))
    }

    /// Apply one invoice or order.
    pub fn push_invoice(&mut self, i: &Invoice, cx: &PushContext) -> Outcome {
        if i.status == InvoiceStatus::Voided {
            return Err(error::validation(format!(
                "{} is voided; voided documents are not sent to OrderTrac",
                i.number
            ))
            .at("status"));
        }
        let number = i.number.trim();
        if number.is_empty() {
            return Err(error::validation(
                "number is required: the Tracker Pro number is the order's reference in OrderTrac; push with --numbering keep",
            )
            .at("number"));
        }
        let Some(customer_id) = i.customer.remote_id.clone() else {
            return Err(error::not_found(format!(
                "{number} has no customer in the package yet; push its customer {:?} first",
                i.customer.name
            ))
            .at("customer.remote-id"));
        };
        let Some(customer) = self.customers.get(&customer_id) else {
            return Err(error::not_found(format!(
                "{number}'s customer {customer_id} ({:?}) is not in this connection's package; push the customer first",
                i.customer.name
            ))
            .at("customer.remote-id"));
        };
        let money = tax::compute(i, &cx.tax_rates)?;
        let doc_type = if i.kind == InvoiceKind::Order && cx.quotes {
            DocType::Quote
        } else {
            DocType::SalesOrder
        };
        let document = OtDocument {
            kind: kind_name(i.kind).to_owned(),
            doc_type,
            number: number.to_owned(),
            customer_id: customer_id.clone(),
            customer_name: customer.customer.name.clone(),
            issue_date: i.issue_date.clone(),
            due_date: i.due_date.clone(),
            currency: i.currency.clone(),
            tax_mode: format!("{:?}", i.tax_mode).to_lowercase(),
            memo: i.memo.clone(),
            source_subtotal: i.subtotal.clone(),
            source_tax: i.tax_total.clone(),
            money,
        };
        let print = fingerprint(&document);
        // For the run report: the line OrderTrac's per-line rounding made necessary.
        let adjusted = document.money.adjustment.as_ref().map(|a| {
            format!(
                "{} line of {a} added: OrderTrac's per-line tax would otherwise miss Tracker Pro's total",
                tax::ADJUSTMENT
            )
        });
        let id = format!("{}{number}", doc_type.prefix());
        // A quote of this number waiting for its job to close: this sales order converts it.
        let quote = format!("{}{number}", DocType::Quote.prefix());
        let converts = doc_type == DocType::SalesOrder
            && self
                .documents
                .get(&quote)
                .is_some_and(|q| q.converted_to.is_none() && q.key == i.key);
        if let Some(status) = cx.locked.get(number) {
            let unchanged = self
                .documents
                .get(&id)
                .is_some_and(|e| e.fingerprint == print);
            if unchanged {
                let e = &self.documents[&id];
                return Ok(written(id, e.version, WriteAction::Unchanged));
            }
            return Err(error::locked(format!(
                "{number} is {status} in OrderTrac (its export says so), and an order picked or completed there takes no change; it is not sent again: adjust it in OrderTrac by hand"
            )));
        }
        if let Some(e) = self.documents.get_mut(&id) {
            if e.key != i.key {
                return Err(error::duplicate(
                    format!(
                        "{} {number} is already in the package for another Tracker Pro record ({}); the reference is unique in OrderTrac, give this one another number",
                        doc_type.label(),
                        e.key
                    ),
                    Some(id.clone()),
                )
                .at("number"));
            }
            if e.fingerprint == print {
                return Ok(written(id, e.version, WriteAction::Unchanged));
            }
            e.version += 1;
            e.fingerprint = print;
            e.document = document;
            return Ok(Written {
                note: adjusted,
                ..written(id.clone(), e.version, WriteAction::Updated)
            });
        }
        let mut converted_from = None;
        let mut note = adjusted;
        if converts {
            let converted = format!("converts quote {quote}, which is not sent again");
            note = Some(note.map_or(converted.clone(), |n| format!("{n}; {converted}")));
            if let Some(q) = self.documents.get_mut(&quote) {
                q.converted_to = Some(id.clone());
            }
            converted_from = Some(quote);
        }
        self.documents.insert(
            id.clone(),
            DocumentEntry {
                key: i.key.clone(),
                version: 1,
                fingerprint: print,
                converted_from,
                converted_to: None,
                document,
            },
        );
        Ok(Written {
            note,
            ..written(id, 1, WriteAction::Created)
        })
    }

    /// Remove a record (a rollback).
    pub fn remove(&mut self, id: &str, invoice: bool) -> Result<(), ConnectorError> {
        if invoice {
            let e = self
                .documents
                .remove(id)
                .ok_or_else(|| error::not_found(format!("document {id} is not in {STATE_FILE}")))?;
            // Undoing a conversion puts the quote back.
            if let Some(q) = e.converted_from.and_then(|q| self.documents.get_mut(&q)) {
                q.converted_to = None;
            }
            return Ok(());
        }
        if let Some(d) = self
            .documents
            .values()
            .find(|d| d.document.customer_id == id)
        {
            return Err(error::validation(format!(
                "customer {id} is named by {}; delete that document first",
                d.document.number
            )));
        }
        self.customers
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| error::not_found(format!("customer {id} is not in {STATE_FILE}")))
    }

    /// The documents that are in the package now (converted quotes have left it).
    pub fn live(&self) -> impl Iterator<Item = (&String, &DocumentEntry)> {
        self.documents
            .iter()
            .filter(|(_, e)| e.converted_to.is_none())
    }

    /// References that appear more than once among live documents (should be none).
    pub fn duplicate_references(&self) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut dup = BTreeSet::new();
        for (_, e) in self.live() {
            if !seen.insert(e.document.number.clone()) {
                dup.insert(e.document.number.clone());
            }
        }
        dup
    }
}

pub fn kind_name(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Job => "job",
        InvoiceKind::Contract => "contract",
        InvoiceKind::Order => "order",
    }
}

fn written(id: String, version: u32, action: WriteAction) -> Written {
    Written {
        remote_id: id,
        version: Some(version.to_string()),
        action,
        note: None,
    }
}

/// SHA-256 of a value's JSON, hex.
pub fn fingerprint<T: Serialize>(value: &T) -> String {
    // Serializing plain structs of strings cannot fail; an empty text would only make
    // every fingerprint equal, which the unit tests would catch.
    sha256_hex(&serde_json::to_vec(value).unwrap_or_default())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;
    use ledgerlink_sdk::types::{CustomerRef, InvoiceLine, TaxMode};

    fn customer(key: &str, name: &str) -> Customer {
        Customer {
            key: key.into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            name: name.into(),
            account_number: None,
            contact_name: None,
            email: None,
            phone: None,
            tax_number: None,
            billing_address: None,
            shipping_address: None,
            currency: Some("NZD".into()),
            active: true,
            updated_at: None,
        }
    }

    /// Three lines of 10.10 at 15 %, taxed once on the document: 4.55, where per line it is
    /// 3 × 1.52 = 4.56.
    fn invoice(kind: InvoiceKind, customer: &str) -> Invoice {
        let line = InvoiceLine {
            description: "Work".into(),
            quantity: "1".into(),
            unit_price: "10.10".into(),
            discount_percent: None,
            amount: "10.10".into(),
            item_code: None,
            account_code: None,
            tax_code: None,
            tax_amount: None,
            tax_rate: Some("15".into()),
        };
        Invoice {
            key: "TP-JOB-1".into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            kind,
            number: "J1".into(),
            customer: CustomerRef {
                remote_id: Some(customer.into()),
                name: "Harbour".into(),
            },
            issue_date: "2026-11-02".into(),
            due_date: None,
            currency: "NZD".into(),
            tax_mode: TaxMode::Exclusive,
            lines: vec![line.clone(), line.clone(), line],
            subtotal: "30.30".into(),
            tax_total: "4.55".into(),
            total: "34.85".into(),
            reference: None,
            memo: None,
            status: InvoiceStatus::Authorised,
            amount_paid: Some("4.85".into()),
            amount_due: None,
            locked: None,
            updated_at: None,
        }
    }

    #[test]
    fn a_customer_without_a_name_is_refused_naming_record_and_field() {
        let mut s = State::new("preview");
        let e = s.push_customer(&customer("TP-CUST-9", " ")).unwrap_err();
        assert_eq!(e.field(), Some("name"));
        assert!(
            e.message()
                .starts_with("customer TP-CUST-9: name is required")
        );
        assert!(s.customers.is_empty());
    }

    #[test]
    fn per_line_rounding_adds_one_adjustment_that_restores_the_total() {
        let mut s = State::new("preview");
        let c = s
            .push_customer(&customer("c", "Harbour"))
            .unwrap()
            .remote_id;
        let w = s
            .push_invoice(&invoice(InvoiceKind::Job, &c), &PushContext::default())
            .unwrap();
        let m = &s.documents[&w.remote_id].document.money;
        assert_eq!(m.tax, "4.56");
        assert_eq!(m.adjustment.as_deref(), Some("-0.01"));
        assert_eq!(m.subtotal, "30.29");
        assert_eq!(m.total, "34.85");
        assert_eq!(m.balance_due, "30.00");
    }

    #[test]
    fn a_quote_converts_to_the_sales_order_once_and_a_locked_order_is_refused() {
        let mut s = State::new("preview");
        let c = s
            .push_customer(&customer("c", "Harbour"))
            .unwrap()
            .remote_id;
        let quotes = PushContext {
            quotes: true,
            ..PushContext::default()
        };
        let q = s
            .push_invoice(&invoice(InvoiceKind::Order, &c), &quotes)
            .unwrap();
        assert_eq!(q.remote_id, "Q-J1");
        let so = s
            .push_invoice(&invoice(InvoiceKind::Job, &c), &quotes)
            .unwrap();
        assert_eq!(so.remote_id, "SO-J1");
        assert_eq!(s.documents["Q-J1"].converted_to.as_deref(), Some("SO-J1"));
        assert_eq!(s.documents["SO-J1"].converted_from.as_deref(), Some("Q-J1"));
        assert_eq!(s.live().count(), 1);
        assert!(s.duplicate_references().is_empty());

        let mut locked = PushContext::default();
        locked.locked.insert("J1".into(), "completed".into());
        let mut edited = invoice(InvoiceKind::Job, &c);
        edited.memo = Some("changed".into());
        let e = s.push_invoice(&edited, &locked).unwrap_err();
        assert!(matches!(e, ConnectorError::Locked(_)), "{e:?}");
        assert!(e.message().starts_with("J1 is completed in OrderTrac"));
    }

    #[test]
    fn a_state_for_another_environment_is_refused() {
        let bytes = State::new("preview").to_bytes();
        let e = State::parse(&bytes, "production").unwrap_err();
        assert!(e.message().contains("make a new connection for production"));
    }
}
