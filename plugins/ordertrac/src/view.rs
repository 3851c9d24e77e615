//! The contract view of an OrderTrac document — the same from the package (read-back after a
//! push) and from OrderTrac's export (reconciliation), so an order that arrived unchanged
//! has the same fingerprint both ways and an edit in OrderTrac shows as a Conflict.
//!
//! The adjustment line is not a line of the view: it exists because of tax rounding, so it
//! is reported inside `tax-total` (total − Σ line amounts before tax). Tracker Pro's document
//! then compares equal line for line, to the cent.

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::types::{
    CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};

use crate::package::ExportOrder;
use crate::state::{DocType, DocumentEntry};
use crate::tax::ADJUSTMENT;

pub fn kind_of(name: &str) -> InvoiceKind {
    match name {
        "contract" => InvoiceKind::Contract,
        "order" => InvoiceKind::Order,
        _ => InvoiceKind::Job,
    }
}

fn tax_mode_of(name: &str) -> TaxMode {
    match name {
        "inclusive" => TaxMode::Inclusive,
        "none" => TaxMode::None,
        _ => TaxMode::Exclusive,
    }
}

fn dec(s: &str) -> Decimal {
    s.trim().parse().unwrap_or(Decimal::ZERO)
}

struct Parts {
    lines: Vec<InvoiceLine>,
    net: Decimal,
    total: Decimal,
}

/// Why a completed or picked order is locked, as compare shows it.
pub const LOCKED: &str = "completed or picked in OrderTrac's export, which takes no change to it: adjust it in OrderTrac";

fn assemble(
    id: &str,
    e: &DocumentEntry,
    customer_name: String,
    issue_date: String,
    parts: Parts,
    locked: bool,
) -> Invoice {
    let d = &e.document;
    let kind = kind_of(&d.kind);
    Invoice {
        key: e.key.clone(),
        remote_id: Some(id.to_owned()),
        version: Some(e.version.to_string()),
        idempotency_key: None,
        kind,
        number: d.number.clone(),
        customer: CustomerRef {
            remote_id: Some(d.customer_id.clone()),
            name: customer_name,
        },
        issue_date,
        due_date: None,
        currency: d.currency.clone(),
        tax_mode: tax_mode_of(&d.tax_mode),
        lines: parts.lines,
        subtotal: parts.net.to_string(),
        tax_total: (parts.total - parts.net).to_string(),
        total: parts.total.to_string(),
        reference: Some(d.number.clone()),
        memo: None,
        status: if kind == InvoiceKind::Order || d.doc_type == DocType::Quote {
            InvoiceStatus::Draft
        } else {
            InvoiceStatus::Authorised
        },
        amount_paid: Some(d.money.amount_paid.clone()),
        amount_due: Some(d.money.balance_due.clone()),
        // A completed or picked order takes no change (contract 0.2 `locked`): the host's
        // compare shows it Locked when Tracker Pro changed it, and never sends it.
        locked: locked.then(|| LOCKED.to_owned()),
        updated_at: None,
    }
}

fn line(
    description: &str,
    quantity: &str,
    unit_price: &str,
    amount: Decimal,
    item: Option<String>,
    tax: &str,
    rate: &str,
) -> InvoiceLine {
    InvoiceLine {
        description: description.to_owned(),
        quantity: quantity.to_owned(),
        unit_price: unit_price.to_owned(),
        discount_percent: None,
        amount: amount.to_string(),
        item_code: item.filter(|s| !s.is_empty()),
        account_code: None,
        tax_code: None,
        tax_amount: Some(tax.to_owned()),
        tax_rate: Some(rate.to_owned()),
    }
}

/// The document as the package holds it.
pub fn from_package(id: &str, e: &DocumentEntry) -> Invoice {
    let m = &e.document.money;
    let inclusive = e.document.tax_mode == "inclusive";
    let mut net = Decimal::ZERO;
    let lines = m
        .lines
        .iter()
        .map(|l| {
            net += dec(&l.net);
            let amount = if inclusive {
                dec(&l.net) + dec(&l.tax)
            } else {
                dec(&l.net)
            };
            line(
                &l.description,
                &l.quantity,
                &l.unit_price,
                amount,
                l.item_code.clone(),
                &l.tax,
                &l.rate,
            )
        })
        .collect();
    let parts = Parts {
        lines,
        net,
        total: dec(&m.total),
    };
    assemble(
        id,
        e,
        e.document.customer_name.clone(),
        e.document.issue_date.clone(),
        parts,
        false,
    )
}

/// The document as OrderTrac's export shows it (`e` is what the package sent for it).
pub fn from_export(id: &str, e: &DocumentEntry, o: &ExportOrder, locked: bool) -> Invoice {
    let inclusive = e.document.tax_mode == "inclusive";
    let (mut net, mut total) = (Decimal::ZERO, Decimal::ZERO);
    let mut lines = Vec::new();
    for l in &o.lines {
        let (n, t) = (dec(&l.total), dec(&l.tax));
        total += n + t;
        if l.description == ADJUSTMENT {
            continue;
        }
        net += n;
        let amount = if inclusive { n + t } else { n };
        lines.push(line(
            &l.description,
            &l.qty,
            &l.price,
            amount,
            Some(l.item.clone()),
            &l.tax,
            &l.rate,
        ));
    }
    assemble(
        id,
        e,
        o.customer.clone(),
        o.date.clone(),
        Parts { lines, net, total },
        locked,
    )
}
