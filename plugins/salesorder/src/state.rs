//! The plugin's own state file, `ledgerlink-state.json` in the connection's folder: every
//! customer and document it has written (by id, with its home key, content fingerprint,
//! version, the export it went into, and for an invoice its outstanding balance), and the
//! exports made so far.
//!
//! A push batch is a slice of a run, so nothing is ever written from the batch alone: the
//! batch is applied to this state, and then the current export's workbooks — and its
//! opening-balance journals — are generated again from the state as a whole. So batches,
//! retries and resumed runs give the same files as one run would.
//!
//! A call commits in this order: every workbook is generated and checked in memory; the
//! state is saved with the export marked unwritten; the workbooks are written; the state is
//! saved again, marked written. A call killed at any point leaves either the old state (its
//! records are sent again and written then) or the new one marked unwritten (the next call
//! writes those workbooks before anything else): never a row in a workbook that the state
//! does not know, which a later export would write a second time.
//!
//! The rules of a push live here, as pure functions over the state: create / unchanged /
//! update, duplicates by name and number, Historical invoices never rewritten (`locked`),
//! customers that must be known before a document names them.

use std::collections::BTreeMap;
use std::str::FromStr;

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{
    ConnectorError, Customer, Invoice, InvoiceKind, InvoiceStatus, WriteAction, Written,
};
use serde::{Deserialize, Serialize};

use crate::stored::{StoredCustomer, StoredInvoice, fingerprint};

/// The state file's name.
pub const STATE_FILE: &str = "ledgerlink-state.json";
/// The state format this code reads and writes.
pub const FORMAT: u32 = 1;

/// One export: a set of workbooks for the admin to upload together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub number: u32,
    /// When its first record was written (RFC 3339).
    pub started_at: String,
    /// When its last record was written (RFC 3339).
    pub last_write: String,
    /// Its workbooks may lag this state: a call saved the state and stopped (killed, or a
    /// file it could not write) before writing them. The next call writes them first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unwritten: bool,
}

/// A customer this connector wrote to a customers workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEntry {
    pub key: String,
    pub export: u32,
    pub version: u32,
    /// When it was last created or changed here (RFC 3339); `since` reads it. State files
    /// written before it existed read as unknown, which every delta includes.
    #[serde(default)]
    pub changed_at: Option<String>,
    pub fingerprint: String,
    pub customer: StoredCustomer,
}

/// A document this connector wrote to a transactions workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub key: String,
    pub export: u32,
    pub version: u32,
    /// As [`CustomerEntry::changed_at`].
    #[serde(default)]
    pub changed_at: Option<String>,
    pub fingerprint: String,
    /// Total − amount paid when it was written (0 for an order); journaled in its export.
    pub outstanding: String,
    /// `Historical` for an invoice, `Open` or `Pending` for an order.
    pub status: String,
    pub invoice: StoredInvoice,
}

/// The whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    pub next_customer: u64,
    pub exports: Vec<Export>,
    pub customers: BTreeMap<String, CustomerEntry>,
    pub documents: BTreeMap<String, DocumentEntry>,
}

impl Default for State {
    fn default() -> Self {
        State {
            format: FORMAT,
            next_customer: 1,
            exports: Vec::new(),
            customers: BTreeMap::new(),
            documents: BTreeMap::new(),
        }
    }
}

/// A customer already in Salesorder, read from a customers export the admin dropped in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCustomer {
    pub id: String,
    pub customer: StoredCustomer,
}

/// What one record did.
pub type Outcome = Result<Written, ConnectorError>;

impl State {
    /// Parse the state file.
    pub fn parse(bytes: &[u8]) -> Result<State, ConnectorError> {
        let state: State = serde_json::from_slice(bytes).map_err(|e| {
            error::validation(format!(
                "{STATE_FILE} is not a ledgerlink state file ({e}); restore it from a backup or move it away to start a new migration"
            ))
        })?;
        if state.format != FORMAT {
            return Err(error::validation(format!(
                "{STATE_FILE} has format {}, and this connector reads format {FORMAT}; upgrade ledgerlink",
                state.format
            )));
        }
        Ok(state)
    }

    /// The state as JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain maps of strings and numbers always serialize.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The export a write at `now` goes into: the last one while its last write is at most
    /// `window_seconds` before `now`, else the next number (not recorded until
    /// [`touch_export`](Self::touch_export)).
    pub fn export_for(&self, now: &str, window_seconds: i64) -> u32 {
        match self.exports.last() {
            Some(last) => match (seconds(now), seconds(&last.last_write)) {
                (Some(n), Some(l)) if window_seconds > 0 && n - l <= window_seconds => last.number,
                _ => last.number + 1,
            },
            None => 1,
        }
    }

    /// Record a write into `export` at `now`.
    pub fn touch_export(&mut self, export: u32, now: &str) {
        match self.exports.iter_mut().find(|e| e.number == export) {
            Some(e) => e.last_write = now.to_owned(),
            None => self.exports.push(Export {
                number: export,
                started_at: now.to_owned(),
                last_write: now.to_owned(),
                unwritten: false,
            }),
        }
    }

    /// The exports whose workbooks lag the state.
    pub fn unwritten(&self) -> Vec<u32> {
        self.exports
            .iter()
            .filter(|e| e.unwritten)
            .map(|e| e.number)
            .collect()
    }

    /// The workbooks of `exports` are about to be written.
    pub fn mark_unwritten(&mut self, exports: &[u32]) {
        for e in &mut self.exports {
            if exports.contains(&e.number) {
                e.unwritten = true;
            }
        }
    }

    /// Every export's workbooks now match the state.
    pub fn written(&mut self) {
        for e in &mut self.exports {
            e.unwritten = false;
        }
    }

    /// The customer with `id`, written here or known from Salesorder's export.
    pub fn customer<'a>(
        &'a self,
        id: &str,
        known: &'a [KnownCustomer],
    ) -> Option<&'a StoredCustomer> {
        self.customers
            .get(id)
            .map(|e| &e.customer)
            .or_else(|| known.iter().find(|k| k.id == id).map(|k| &k.customer))
    }

    /// Apply one customer to the state, writing into `export`.
    pub fn push_customer(&mut self, c: &Customer, export: u32, known: &[KnownCustomer]) -> Outcome {
        if c.name.trim().is_empty() {
            return Err(error::validation(
                "name is required: Salesorder's customer template needs a customer name",
            )
            .at("name"));
        }
        let content = StoredCustomer::of(c);
        let print = fingerprint(&content);
        let id = match &c.remote_id {
            Some(id) => id.clone(),
            None => {
                if let Some((id, e)) = self.customers.iter().find(|(_, e)| e.key == c.key) {
                    // Written before and the answer was lost: the same customer, not a new one.
                    let id = id.clone();
                    if e.fingerprint == print {
                        return Ok(written(id, e.version, WriteAction::Unchanged));
                    }
                    id
                } else if let Some(existing) = self.same_name(&c.name, known) {
                    return Err(error::duplicate(
                        format!(
                            "a customer named {:?} is already in Salesorder ({existing}); link this customer to it instead of creating another",
                            c.name
                        ),
                        Some(existing),
                    )
                    .at("name"));
                } else {
                    let id = format!("C-{:06}", self.next_customer);
                    self.next_customer += 1;
                    self.customers.insert(
                        id.clone(),
                        CustomerEntry {
                            key: c.key.clone(),
                            export,
                            version: 1,
                            changed_at: None,
                            fingerprint: print,
                            customer: content,
                        },
                    );
                    return Ok(written(id, 1, WriteAction::Created));
                }
            }
        };
        let before = match (self.customers.get(&id), known.iter().find(|k| k.id == id)) {
            (Some(e), _) => Some((e.customer.clone(), e.version, e.fingerprint.clone())),
            // A customer only in Salesorder's export is at version 1, as pulled.
            (None, Some(k)) => Some((k.customer.clone(), 1, fingerprint(&k.customer))),
            (None, None) => None,
        };
        let Some((old, version, old_print)) = before else {
            return Err(error::not_found(format!(
                "customer {id} is neither in a customers workbook this connection wrote nor in Salesorder's customers export; compare again"
            )));
        };
        if let Some(sent) = c.version.as_deref()
            && sent != version.to_string()
        {
            return Err(error::stale(format!(
                "customer {id} is at version {version}, not {sent}: it changed since it was read; compare again"
            ))
            .at("version"));
        }
        if old_print == print {
            return Ok(written(id, version, WriteAction::Unchanged));
        }
        if let (Some(was), Some(now)) = (&old.currency, &content.currency)
            && !was.eq_ignore_ascii_case(now)
        {
            return Err(error::locked(format!(
                "customer {:?} has currency {was} in Salesorder, which does not let a customer's currency change once set",
                c.name
            ))
            .at("currency"));
        }
        let version = version + 1;
        self.customers.insert(
            id.clone(),
            CustomerEntry {
                key: c.key.clone(),
                export,
                version,
                changed_at: None,
                fingerprint: print,
                customer: content,
            },
        );
        Ok(written(id, version, WriteAction::Updated))
    }

    /// Stamp what `outcome` created or changed with `now`, for `since`.
    pub fn stamp(&mut self, outcome: &Outcome, now: &str) {
        let Ok(w) = outcome else { return };
        if w.action == WriteAction::Unchanged {
            return;
        }
        let at = Some(now.to_owned());
        if let Some(e) = self.customers.get_mut(&w.remote_id) {
            e.changed_at = at;
        } else if let Some(e) = self.documents.get_mut(&w.remote_id) {
            e.changed_at = at;
        }
    }

    /// The id of a customer named `name` (case-insensitive), written here or in Salesorder.
    fn same_name(&self, name: &str, known: &[KnownCustomer]) -> Option<String> {
        let name = name.trim().to_lowercase();
        known
            .iter()
            .find(|k| k.customer.name.trim().to_lowercase() == name)
            .map(|k| k.id.clone())
            .or_else(|| {
                self.customers
                    .iter()
                    .find(|(_, e)| e.customer.name.trim().to_lowercase() == name)
                    .map(|(id, _)| id.clone())
            })
    }

    /// Apply one invoice or order to the state, writing into `export`; orders take `order_status`.
    pub fn push_invoice(
        &mut self,
        i: &Invoice,
        export: u32,
        known: &[KnownCustomer],
        order_status: &str,
    ) -> Outcome {
        let (prefix, status, noun) = match i.kind {
            InvoiceKind::Job | InvoiceKind::Contract => ("SI-", "Historical", "sales invoice"),
            InvoiceKind::Order => ("SO-", order_status, "sales order"),
        };
        match (i.kind, i.status) {
            (_, InvoiceStatus::Voided) => {
                return Err(error::validation(format!(
                    "{} is voided; voided documents are not exported to Salesorder (a Historical import would show it as a real sale)",
                    i.number
                ))
                .at("status"));
            }
            (InvoiceKind::Job | InvoiceKind::Contract, InvoiceStatus::Draft) => {
                return Err(error::validation(format!(
                    "{} is a draft; only approved invoices are exported to Salesorder (as Historical)",
                    i.number
                ))
                .at("status"));
            }
            _ => {}
        }
        if i.number.trim().is_empty() {
            return Err(error::validation(
                "number is required: the Tracker Pro number is the document's Ref # in Salesorder; push with --numbering keep",
            )
            .at("number"));
        }
        let Some(customer_id) = i.customer.remote_id.clone() else {
            return Err(error::not_found(format!(
                "{} has no customer in Salesorder yet; push its customer {:?} first",
                i.number, i.customer.name
            ))
            .at("customer.remote-id"));
        };
        let Some(customer) = self.customer(&customer_id, known).cloned() else {
            return Err(error::not_found(format!(
                "{}'s customer {customer_id} ({:?}) is neither in a customers workbook this connection wrote nor in Salesorder's customers export; push the customer first",
                i.number, i.customer.name
            ))
            .at("customer.remote-id"));
        };
        if let Some(cur) = &customer.currency
            && !cur.eq_ignore_ascii_case(&i.currency)
        {
            return Err(error::validation(format!(
                "{} is in {} but its customer {:?} trades in {cur}, and Salesorder keeps every transaction of a customer in the customer's currency",
                i.number, i.currency, customer.name
            ))
            .at("currency"));
        }
        let outstanding = outstanding(i)?;
        let mut content = StoredInvoice::of(i, &customer_id);
        content.customer_name = customer.name.clone();
        crate::render::check_document(&content, status)?;
        let print = content.fingerprint();
        let id = format!("{prefix}{}", i.number.trim());

        if let Some(e) = self.documents.get(&id) {
            if let Some(sent_to) = &i.remote_id
                && sent_to != &id
            {
                return Err(error::duplicate(
                    format!("number {} is already used by {id} in Salesorder", i.number),
                    Some(id),
                )
                .at("number"));
            }
            if e.key != i.key {
                return Err(error::duplicate(
                    format!(
                        "{} {} was already written for another Tracker Pro record ({}); Ref # is unique in Salesorder, give this one another number",
                        noun, i.number, e.key
                    ),
                    Some(id),
                )
                .at("number"));
            }
            if e.fingerprint == print {
                return Ok(written(id, e.version, WriteAction::Unchanged));
            }
            if i.kind != InvoiceKind::Order {
                return Err(error::locked(format!(
                    "{} was imported as a Historical sales invoice in export {} ({}); Historical is read-only in Salesorder: adjust it in Salesorder by hand",
                    i.number,
                    e.export,
                    crate::render::file_name(e.export, "upload-transactions")
                )));
            }
            let version = e.version + 1;
            self.documents.insert(
                id.clone(),
                DocumentEntry {
                    key: i.key.clone(),
                    export,
                    version,
                    changed_at: None,
                    fingerprint: print,
                    outstanding: "0".into(),
                    status: status.to_owned(),
                    invoice: content,
                },
            );
            return Ok(written(id, version, WriteAction::Updated));
        }
        if let Some(sent_to) = &i.remote_id {
            return Err(error::not_found(format!(
                "{} was written as {sent_to}, which this connection's state no longer holds; compare again",
                i.number
            )));
        }
        self.documents.insert(
            id.clone(),
            DocumentEntry {
                key: i.key.clone(),
                export,
                version: 1,
                changed_at: None,
                fingerprint: print,
                outstanding: outstanding.to_string(),
                status: status.to_owned(),
                invoice: content,
            },
        );
        Ok(written(id, 1, WriteAction::Created))
    }

    /// Remove a record this connector wrote (a rollback); the export it was in.
    pub fn remove(&mut self, id: &str, invoice: bool) -> Result<u32, ConnectorError> {
        if invoice {
            return self
                .documents
                .remove(id)
                .map(|e| e.export)
                .ok_or_else(|| error::not_found(format!("document {id} is not in {STATE_FILE}")));
        }
        if let Some((_, d)) = self
            .documents
            .iter()
            .find(|(_, d)| d.invoice.customer_id == id)
        {
            return Err(error::validation(format!(
                "customer {id} is named by {}; delete that document first",
                d.invoice.number
            )));
        }
        self.customers
            .remove(id)
            .map(|e| e.export)
            .ok_or_else(|| error::not_found(format!("customer {id} is not in {STATE_FILE}")))
    }
}

/// What is still owed on an invoice: `amount-due` when given, else total − amount paid
/// (nothing paid when not given); 0 for an order, which posts nothing.
pub fn outstanding(i: &Invoice) -> Result<Decimal, ConnectorError> {
    let parse = |v: &str, field: &str| ledgerlink_sdk::decimal::parse(v, field);
    let total = parse(&i.total, "total")?;
    for (n, l) in i.lines.iter().enumerate() {
        l.quantity_decimal(n)?;
        l.unit_price_decimal(n)?;
        l.amount_decimal(n)?;
    }
    parse(&i.subtotal, "subtotal")?;
    parse(&i.tax_total, "tax-total")?;
    if i.kind == InvoiceKind::Order {
        return Ok(Decimal::ZERO);
    }
    let paid = match &i.amount_paid {
        Some(p) => parse(p, "amount-paid")?,
        None => Decimal::ZERO,
    };
    match &i.amount_due {
        Some(d) => parse(d, "amount-due"),
        None => Ok(total - paid),
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

/// Seconds since 1970 of an RFC 3339 UTC timestamp (`2026-11-22T01:21:27Z`, fractions
/// allowed); `None` for anything else (then a new export starts, which is always safe).
pub fn seconds(ts: &str) -> Option<i64> {
    let (date, time) = ts.split_once('T')?;
    let time = time.strip_suffix('Z')?;
    let (y, m, d) = crate::sheet::ymd(date).ok()?;
    let mut hms = time.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let s: f64 = hms.next()?.parse().ok()?;
    let days = days_from_civil(i64::from(y), i64::from(m), i64::from(d));
    // Whole seconds only: the fraction cannot matter for a window of minutes.
    Some(days * 86_400 + h * 3600 + mi * 60 + s.trunc() as i64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A decimal stored by this module (always written from a parsed `Decimal`).
pub fn stored_decimal(v: &str) -> Decimal {
    Decimal::from_str(v).unwrap_or(Decimal::ZERO)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::render::{JournalSettings, journal};
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

    fn invoice(
        key: &str,
        number: &str,
        customer: Option<&str>,
        total: &str,
        paid: &str,
    ) -> Invoice {
        Invoice {
            key: key.into(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            kind: InvoiceKind::Job,
            number: number.into(),
            customer: CustomerRef {
                remote_id: customer.map(str::to_owned),
                name: "Harbour".into(),
            },
            issue_date: "2026-11-02".into(),
            due_date: None,
            currency: "NZD".into(),
            tax_mode: TaxMode::None,
            lines: vec![InvoiceLine {
                description: "Work".into(),
                quantity: "1".into(),
                unit_price: total.into(),
                discount_percent: None,
                amount: total.into(),
                item_code: None,
                account_code: None,
                tax_code: None,
                tax_amount: None,
                tax_rate: None,
            }],
            subtotal: total.into(),
            tax_total: "0".into(),
            total: total.into(),
            reference: None,
            memo: None,
            status: InvoiceStatus::Authorised,
            amount_paid: Some(paid.into()),
            amount_due: None,
            locked: None,
            updated_at: None,
        }
    }

    fn js() -> JournalSettings<'static> {
        JournalSettings {
            date: "2026-11-30",
            receivables: "Accounts Receivable",
            control: "Migration Control",
        }
    }

    #[test]
    fn a_customer_without_a_name_is_refused_and_nothing_is_recorded() {
        let mut s = State::default();
        let e = s.push_customer(&customer("k", "  "), 1, &[]).unwrap_err();
        assert_eq!(e.field(), Some("name"));
        assert!(s.customers.is_empty());
    }

    #[test]
    fn an_invoice_whose_customer_is_unknown_is_refused_not_found() {
        let mut s = State::default();
        let e = s
            .push_invoice(
                &invoice("j1", "J1", Some("C-000009"), "10.00", "0"),
                1,
                &[],
                "Open",
            )
            .unwrap_err();
        assert!(matches!(e, ConnectorError::NotFound(_)), "{e:?}");
        assert_eq!(e.field(), Some("customer.remote-id"));
        assert!(s.documents.is_empty());
    }

    #[test]
    fn balances_aggregate_per_customer_a_credit_nets_to_the_credit_side_and_journals_balance() {
        let mut s = State::default();
        let c = s
            .push_customer(&customer("c1", "Harbour"), 1, &[])
            .unwrap()
            .remote_id;
        let d = s
            .push_customer(&customer("c2", "Kea"), 1, &[])
            .unwrap()
            .remote_id;
        s.push_invoice(
            &invoice("j1", "J1", Some(&c), "490.19", "0"),
            1,
            &[],
            "Open",
        )
        .unwrap();
        s.push_invoice(
            &invoice("j2", "J2", Some(&c), "100.00", "20.00"),
            1,
            &[],
            "Open",
        )
        .unwrap();
        s.push_invoice(
            &invoice("j3", "J3", Some(&c), "50.00", "50.00"),
            1,
            &[],
            "Open",
        )
        .unwrap();
        s.push_invoice(
            &invoice("j4", "J4", Some(&d), "-57.50", "0"),
            1,
            &[],
            "Open",
        )
        .unwrap();
        let (lines, totals) = journal(&s, 1, &js()).unwrap();
        let amounts: Vec<(String, Option<String>, Option<String>)> = lines
            .iter()
            .map(|l| {
                (
                    l.account.clone(),
                    l.debit.map(|d| d.to_string()),
                    l.credit.map(|d| d.to_string()),
                )
            })
            .collect();
        assert_eq!(
            amounts,
            [
                ("Accounts Receivable".into(), Some("570.19".into()), None),
                ("Migration Control".into(), None, Some("570.19".into())),
                ("Accounts Receivable".into(), None, Some("57.50".into())),
                ("Migration Control".into(), Some("57.50".into()), None),
            ]
        );
        assert_eq!(totals[0].debits, totals[0].credits);
        assert_eq!(
            lines[0].memo,
            "Opening balance of Harbour: 2 invoice(s) J1, J2"
        );
    }

    #[test]
    fn a_historical_invoice_is_never_written_again_an_edit_is_locked() {
        let mut s = State::default();
        let c = s
            .push_customer(&customer("c1", "Harbour"), 1, &[])
            .unwrap()
            .remote_id;
        let w = s
            .push_invoice(&invoice("j1", "J1", Some(&c), "10.00", "0"), 1, &[], "Open")
            .unwrap();
        // Sent again (a lost answer): the same document, unchanged.
        let again = s
            .push_invoice(&invoice("j1", "J1", Some(&c), "10.00", "0"), 2, &[], "Open")
            .unwrap();
        assert_eq!(
            (again.remote_id.as_str(), again.action),
            (w.remote_id.as_str(), WriteAction::Unchanged)
        );
        // A payment alone is not a change of the document.
        let mut paid = invoice("j1", "J1", Some(&c), "10.00", "10.00");
        paid.remote_id = Some(w.remote_id.clone());
        assert_eq!(
            s.push_invoice(&paid, 2, &[], "Open").unwrap().action,
            WriteAction::Unchanged
        );
        let mut edited = invoice("j1", "J1", Some(&c), "12.00", "0");
        edited.remote_id = Some(w.remote_id.clone());
        let e = s.push_invoice(&edited, 2, &[], "Open").unwrap_err();
        assert!(matches!(e, ConnectorError::Locked(_)), "{e:?}");
        assert!(
            e.message()
                .contains("Historical is read-only in Salesorder: adjust it in Salesorder by hand")
        );
        assert_eq!(s.documents[&w.remote_id].export, 1);
        // Another record with the same number is a duplicate, never an overwrite.
        let e = s
            .push_invoice(&invoice("j9", "J1", Some(&c), "10.00", "0"), 2, &[], "Open")
            .unwrap_err();
        assert!(matches!(e, ConnectorError::Duplicate(_)), "{e:?}");
    }

    #[test]
    fn exports_advance_after_the_window() {
        let mut s = State::default();
        assert_eq!(s.export_for("2026-11-22T01:00:00Z", 600), 1);
        s.touch_export(1, "2026-11-22T01:00:00Z");
        assert_eq!(s.export_for("2026-11-22T01:09:59Z", 600), 1);
        assert_eq!(s.export_for("2026-11-22T01:10:01Z", 600), 2);
        assert_eq!(s.export_for("2026-11-22T01:00:00Z", 0), 2);
    }
}
