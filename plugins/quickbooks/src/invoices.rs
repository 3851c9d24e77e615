//! Invoices: pull of one kind, push, and rollback (delete, else void).

use ledgerlink_sdk::error;
use ledgerlink_sdk::log;
use ledgerlink_sdk::types::{
    ConnectorError, Invoice, InvoiceKind, InvoicePage, PushResult, WriteAction, Written,
};

use crate::api;
use crate::batch::{Entity, ItemOutcome};
use crate::fault;
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
    let page = pull::page(&settings, "Invoice", since.as_deref(), cursor.as_deref())?;
    let mut items = Vec::new();
    for q in page.found.invoices {
        if let Some(inv) = invoice::from_qbo(q, kind, &settings.invoices)? {
            items.push(inv);
        }
    }
    Ok(InvoicePage {
        items,
        next: page.next,
    })
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
    let mut results: Vec<Option<Result<Written, ConnectorError>>> = vec![None; batch.len()];
    let mut items = Vec::new();
    for (index, inv) in batch.iter().enumerate() {
        let token = match (&inv.remote_id, &inv.version) {
            (Some(_), Some(v)) => Ok(Some(v.clone())),
            (Some(id), None) => api::read_invoice(&settings, id).map(|q| q.sync_token),
            (None, _) => Ok(None),
        };
        match token.and_then(|t| invoice::to_qbo(inv, t.as_deref(), &settings.invoices)) {
            Ok(q) => items.push(Item {
                index,
                entity: Entity::Invoice(q),
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
                    d.existing_id = existing_by_number(settings, &inv.number);
                    if let Some(id) = &d.existing_id {
                        d.message = format!(
                            "invoice number {} is already used in QuickBooks by invoice {id}",
                            inv.number
                        );
                    }
                    Err(ConnectorError::Duplicate(d))
                }
                other => Err(other),
            }
        }
    }
}

fn existing_by_number(settings: &Settings, number: &str) -> Option<String> {
    let text = format!(
        "select * from Invoice where DocNumber = '{}'",
        query::escape(number.trim())
    );
    api::run_query(settings, &text, "the duplicate number lookup")
        .ok()?
        .invoices
        .into_iter()
        .find_map(|q| q.id)
}

/// Rollback of an invoice: delete it; when QuickBooks refuses because a payment is linked,
/// `locked`; when it refuses for another business rule, void it instead (a void keeps the
/// number and zeroes every amount, which undoes the invoice in the books). An invoice already
/// deleted or voided is done.
pub fn delete(settings: &Settings, id: &str) -> Result<(), ConnectorError> {
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
