//! Invoices: pull of one kind, push, and rollback (delete, else void).
//!
//! An invoice with a negative total is a QuickBooks `CreditMemo` with remote id `CM-<Id>`
//! (see [`crate::map::invoice`]): pushed through the same batches, pulled back with the
//! invoices, deleted on rollback (a credit memo cannot be voided through the API).
//!
//! Currency: when any record of a push names a currency, the company's preferences are read
//! once for the push (`GET /preferences`), and in a multicurrency company the currencies of
//! the records' customers once too (one query); a record QuickBooks cannot take in its
//! currency is refused before anything is sent ([`CompanyCurrency::check`]).

use ledgerlink_sdk::error;
use ledgerlink_sdk::log;
use ledgerlink_sdk::types::{
    ConnectorError, Invoice, InvoiceKind, InvoicePage, PushResult, WriteAction, Written,
};

use std::collections::HashMap;

use crate::api;
use crate::batch::{Entity, ItemOutcome};
use crate::fault;
use crate::map::invoice::{CREDIT_MEMO_PREFIX, CompanyCurrency, RemoteId, SalesTxn};
use crate::map::{invoice, qbo};
use crate::pull;
use crate::push::{self, Item};
use crate::query;
use crate::requestid;
use crate::settings::Settings;

/// One page of invoices of `kind`. A page may hold fewer invoices than QuickBooks returned:
/// those of the other kind are left out, and paging follows QuickBooks' positions.
pub fn pull(
    kind: InvoiceKind,
    since: Option<String>,
    cursor: Option<String>,
) -> Result<InvoicePage, ConnectorError> {
    let settings = Settings::load()?;
    let since = pull::normalize_since(since)?;
    let page = pull::sales_page(&settings, since.as_deref(), cursor.as_deref())?;
    let mut items = Vec::new();
    for q in page.found.invoices {
        if let Some(inv) = invoice::from_qbo(q, kind, &settings.invoices)? {
            items.push(inv);
        }
    }
    for q in page.found.credit_memos {
        if let Some(inv) = invoice::from_qbo_credit_memo(q, kind, &settings.invoices)? {
            items.push(inv);
        }
    }
    Ok(InvoicePage {
        items,
        next: page.next,
    })
}

/// The documents of `kind` with these remote ids: one query for invoices, one for credit
/// memos (`CM-…`); ids QuickBooks does not have are simply not returned.
pub fn get(kind: InvoiceKind, ids: Vec<String>) -> Result<Vec<Invoice>, ConnectorError> {
    let settings = Settings::load()?;
    let mut invoices = Vec::new();
    let mut memos = Vec::new();
    for id in &ids {
        match invoice::RemoteId::parse(id) {
            invoice::RemoteId::Invoice(i) => invoices.push(i),
            invoice::RemoteId::CreditMemo(m) => memos.push(m),
        }
    }
    let mut items = Vec::new();
    for chunk in invoices.chunks(query::PAGE_SIZE as usize) {
        let found = api::run_query(&settings, &query::by_id("Invoice", chunk), "invoices by id")?;
        for q in found.invoices {
            items.extend(invoice::from_qbo(q, kind, &settings.invoices)?);
        }
    }
    for chunk in memos.chunks(query::PAGE_SIZE as usize) {
        let found = api::run_query(
            &settings,
            &query::by_id("CreditMemo", chunk),
            "credit memos by id",
        )?;
        for q in found.credit_memos {
            items.extend(invoice::from_qbo_credit_memo(q, kind, &settings.invoices)?);
        }
    }
    Ok(items)
}

fn what(inv: &Invoice) -> String {
    format!("invoice {}", inv.number)
}

/// Push a batch; one result per record, in order.
pub fn push(batch: Vec<Invoice>) -> Vec<PushResult> {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            return batch
                .into_iter()
                .map(|i| PushResult {
                    key: i.key,
                    outcome: Err(e.clone()),
                })
                .collect();
        }
    };
    let (company, customers) = match currencies(&settings, &batch) {
        Ok(c) => c,
        Err(e) => {
            return batch
                .into_iter()
                .map(|i| PushResult {
                    key: i.key,
                    outcome: Err(e.clone()),
                })
                .collect();
        }
    };
    let paid = match with_payments(&settings, &batch) {
        Ok(p) => p,
        Err(e) => {
            return batch
                .into_iter()
                .map(|i| PushResult {
                    key: i.key,
                    outcome: Err(e.clone()),
                })
                .collect();
        }
    };
    let mut results: Vec<Option<Result<Written, ConnectorError>>> = vec![None; batch.len()];
    let mut items = Vec::new();
    for (index, inv) in batch.iter().enumerate() {
        if let Some(id) = inv.remote_id.as_deref()
            && let RemoteId::Invoice(id) = RemoteId::parse(id)
            && paid.contains(id)
        {
            results[index] = Some(Err(error::locked(format!(
                "{} (Id {id}) has a payment applied in QuickBooks, which changing it would no longer match; change it in QuickBooks instead",
                what(inv)
            ))));
            continue;
        }
        let checked = match &company {
            Some(company) => {
                let customer = inv
                    .customer
                    .remote_id
                    .as_deref()
                    .and_then(|id| customers.get(id.trim()))
                    .map(|(name, currency)| (name.as_str(), currency.as_str()));
                company.check(&what(inv), &inv.currency, customer)
            }
            None => Ok(()),
        };
        let token = checked.and_then(|()| match (&inv.remote_id, &inv.version) {
            (Some(_), Some(v)) => Ok(Some(v.clone())),
            (Some(id), None) => match RemoteId::parse(id) {
                RemoteId::Invoice(id) => api::read_invoice(&settings, id).map(|q| q.sync_token),
                RemoteId::CreditMemo(id) => {
                    api::read_credit_memo(&settings, id).map(|q| q.sync_token)
                }
            },
            (None, _) => Ok(None),
        });
        match token.and_then(|t| invoice::to_qbo_txn(inv, t.as_deref(), &settings.invoices)) {
            Ok(txn) => items.push(Item {
                index,
                entity: match txn {
                    SalesTxn::Invoice(q) => Entity::Invoice(q),
                    SalesTxn::CreditMemo(q) => Entity::CreditMemo(q),
                },
                key: inv.idempotency_key.clone(),
            }),
            Err(e) => results[index] = Some(Err(e)),
        }
    }
    for (index, outcome) in push::send_all(&settings, "invoices", &items) {
        let inv = &batch[index];
        results[index] = Some(outcome.and_then(|o| settle(&settings, inv, o)));
    }
    batch
        .into_iter()
        .zip(results)
        .map(|(inv, r)| PushResult {
            key: inv.key,
            outcome: r.unwrap_or_else(|| {
                Err(error::transient("the invoice was not sent; push it again"))
            }),
        })
        .collect()
}

/// The Ids of the invoices the batch updates that have a payment applied (`Balance` below
/// `TotalAmt`): one query per 1000. QuickBooks itself would take the change and leave the
/// payment unmatched, so the connector refuses it as `locked`, as Xero does.
fn with_payments(
    settings: &Settings,
    batch: &[Invoice],
) -> Result<std::collections::HashSet<String>, ConnectorError> {
    let ids: Vec<&str> = batch
        .iter()
        .filter_map(|i| match RemoteId::parse(i.remote_id.as_deref()?) {
            RemoteId::Invoice(id) => Some(id),
            RemoteId::CreditMemo(_) => None,
        })
        .collect();
    let mut paid = std::collections::HashSet::new();
    for chunk in ids.chunks(query::PAGE_SIZE as usize) {
        let found = api::run_query(
            settings,
            &query::by_id("Invoice", chunk),
            "the invoices' payments",
        )?;
        for q in found.invoices {
            let total = q.total_amt.map(|a| a.0).unwrap_or_default();
            let balance = q.balance.map(|a| a.0).unwrap_or(total);
            if balance < total
                && invoice::status_of(&q) != ledgerlink_sdk::types::InvoiceStatus::Voided
                && let Some(id) = q.id
            {
                paid.insert(id);
            }
        }
    }
    Ok(paid)
}

/// Customer Id → `(DisplayName, CurrencyRef.value)`.
type CustomerCurrencies = HashMap<String, (String, String)>;

/// The company's currency settings, when any record names a currency (one `GET
/// /preferences`), and, in a multicurrency company, the `(DisplayName, currency)` of the
/// records' customers by Id (one query per 1000 customers). A failed customer query is only
/// logged: QuickBooks itself then refuses a currency that is not the customer's.
fn currencies(
    settings: &Settings,
    batch: &[Invoice],
) -> Result<(Option<CompanyCurrency>, CustomerCurrencies), ConnectorError> {
    let mut customers = HashMap::new();
    if batch.iter().all(|i| i.currency.trim().is_empty()) {
        return Ok((None, customers));
    }
    let company = CompanyCurrency::from_preferences(&api::read_preferences(settings)?);
    if company.as_ref().is_some_and(|c| c.multi_currency) {
        let mut ids: Vec<&str> = batch
            .iter()
            .filter_map(|i| i.customer.remote_id.as_deref())
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(crate::query::PAGE_SIZE as usize) {
            let text = query::customers_by_id(chunk);
            match api::run_query(settings, &text, "the customers' currencies") {
                Ok(found) => {
                    for c in found.customers {
                        if let (Some(id), Some(currency)) = (c.id, c.currency_ref) {
                            let name = c.display_name.unwrap_or_default();
                            customers.insert(id, (name, currency.value));
                        }
                    }
                }
                Err(e) => log::warn(format!(
                    "could not read the currencies of the invoices' customers: {}",
                    ledgerlink_sdk::error::ConnectorErrorExt::message(&e)
                )),
            }
        }
    }
    Ok((company, customers))
}

fn settle(
    settings: &Settings,
    inv: &Invoice,
    outcome: ItemOutcome,
) -> Result<Written, ConnectorError> {
    match outcome {
        ItemOutcome::Written { id, sync_token } => Ok(Written {
            remote_id: id,
            version: sync_token,
            action: if inv.remote_id.is_some() {
                WriteAction::Updated
            } else {
                WriteAction::Created
            },
            note: None,
        }),
        ItemOutcome::Missing => Err(error::transient(format!(
            "QuickBooks' batch answer has no result for {}; push it again",
            what(inv)
        ))),
        ItemOutcome::Fault(f) => {
            let e = fault::classify(&f, 400, None, &what(inv));
            match e {
                ConnectorError::Duplicate(mut d)
                    if fault::code(&f) == Some(fault::DUPLICATE_DOC_NUMBER) =>
                {
                    let credit = inv
                        .total_decimal()
                        .is_ok_and(|t| t < ledgerlink_sdk::Decimal::ZERO);
                    d.existing_id = existing_by_number(settings, &inv.number, credit);
                    if let Some(id) = &d.existing_id {
                        d.message = format!(
                            "invoice number {} is already used in QuickBooks by {} {id}",
                            inv.number,
                            if credit { "credit memo" } else { "invoice" }
                        );
                    }
                    Err(ConnectorError::Duplicate(d))
                }
                other => Err(other),
            }
        }
    }
}

/// The remote id of the live invoice (or, for a credit, credit memo) numbered `number`.
fn existing_by_number(settings: &Settings, number: &str, credit: bool) -> Option<String> {
    let entity = if credit { "CreditMemo" } else { "Invoice" };
    let text = format!(
        "select * from {entity} where DocNumber = '{}'",
        query::escape(number.trim())
    );
    let found = api::run_query(settings, &text, "the duplicate number lookup").ok()?;
    if credit {
        found
            .credit_memos
            .into_iter()
            .find_map(|q| q.id)
            .map(|id| format!("{CREDIT_MEMO_PREFIX}{id}"))
    } else {
        found.invoices.into_iter().find_map(|q| q.id)
    }
}

/// Rollback of an invoice: delete it; when QuickBooks refuses because a payment is linked,
/// `locked`; when it refuses for another business rule, void it instead (a void keeps the
/// number and zeroes every amount, which undoes the invoice in the books). An invoice already
/// deleted or voided is done. A remote id `CM-<Id>` is a credit memo: see
/// [`delete_credit_memo`].
pub fn delete(settings: &Settings, id: &str) -> Result<(), ConnectorError> {
    let id = match RemoteId::parse(id) {
        RemoteId::CreditMemo(memo) => return delete_credit_memo(settings, memo),
        RemoteId::Invoice(id) => id,
    };
    let current = match api::read_invoice(settings, id) {
        Ok(q) => q,
        Err(ConnectorError::NotFound(_)) => {
            log::info(format!("invoice {id} is already gone from QuickBooks"));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if invoice::status_of(&current) == ledgerlink_sdk::types::InvoiceStatus::Voided {
        return Ok(());
    }
    let label = match current.doc_number.as_deref() {
        Some(n) => format!("invoice {n} (Id {id})"),
        None => format!("invoice {id}"),
    };
    let token = current.sync_token.clone().unwrap_or_default();
    let body = qbo::Invoice {
        id: Some(id.to_owned()),
        sync_token: Some(token.clone()),
        ..qbo::Invoice::default()
    };
    let rid = requestid::derive("invoice/delete", [id, token.as_str()]);
    let answer = api::post(
        settings,
        "invoice",
        &[("operation", "delete")],
        Some(&rid),
        &body,
    )?;
    let refused = match answer.into_result(&label) {
        Ok(_) => return Ok(()),
        Err(ConnectorError::NotFound(_)) => return Ok(()),
        Err(e @ ConnectorError::Validation(_)) => e,
        Err(e) => return Err(e),
    };
    log::warn(format!(
        "QuickBooks refused to delete {label}; voiding it instead"
    ));
    let rid = requestid::derive("invoice/void", [id, token.as_str()]);
    let answer = api::post(
        settings,
        "invoice",
        &[("operation", "void")],
        Some(&rid),
        &body,
    )?;
    match answer.into_result(&label) {
        Ok(_) => Ok(()),
        Err(_) => Err(refused),
    }
}

/// Rollback of a credit memo (QuickBooks `Id` `id`): delete it; `locked` when QuickBooks
/// refuses because it is applied to (linked with) a payment. QuickBooks' API has no void for
/// credit memos, so any other refusal is returned as it is. One already deleted is done.
pub fn delete_credit_memo(settings: &Settings, id: &str) -> Result<(), ConnectorError> {
    let current = match api::read_credit_memo(settings, id) {
        Ok(q) => q,
        Err(ConnectorError::NotFound(_)) => {
            log::info(format!("credit memo {id} is already gone from QuickBooks"));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let label = match current.doc_number.as_deref() {
        Some(n) => format!("credit memo {n} (Id {id})"),
        None => format!("credit memo {id}"),
    };
    let token = current.sync_token.unwrap_or_default();
    let body = qbo::Invoice {
        id: Some(id.to_owned()),
        sync_token: Some(token.clone()),
        ..qbo::Invoice::default()
    };
    let rid = requestid::derive("creditmemo/delete", [id, token.as_str()]);
    let answer = api::post(
        settings,
        "creditmemo",
        &[("operation", "delete")],
        Some(&rid),
        &body,
    )?;
    match answer.into_result(&label) {
        Ok(_) | Err(ConnectorError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
