//! `errors.typed`: refusals the contract names come back as their class, with the canonical
//! field at fault: a customer without a name (`validation` on `name`), a second customer of
//! one name where the target has that rule (`duplicate` on `name`), and a document line whose
//! quantity is no number (`validation` on `lines[0].quantity`).

use rust_decimal::Decimal;

use super::records::{self, Draft};
use super::suite::{Checked, Suite, verdict};
use crate::model::{ConnectorError, CustomerRef, InvoiceKind, RecordKind, Written};

pub(super) async fn run(s: &mut Suite<'_>) {
    let checked = check(s).await;
    s.record("errors.typed", checked);
    s.clean_up().await;
}

/// `outcome` must be an error of `class` naming `field`.
fn expect(
    what: &str,
    outcome: &Result<Written, ConnectorError>,
    class: &str,
    field: &str,
) -> Option<String> {
    match outcome {
        Err(e) if e.class() == class && e.field() == Some(field) => None,
        Err(e) => Some(format!(
            "{what}: expected {class} on {field}, got {} on {}: {}",
            e.class(),
            e.field().unwrap_or("no field"),
            e.message()
        )),
        Ok(w) => Some(format!(
            "{what}: expected {class} on {field}, but it was written ({})",
            w.remote_id
        )),
    }
}

async fn check(s: &mut Suite<'_>) -> Checked {
    if !s.can("push-customers") {
        return Ok(Suite::lacks("push-customers"));
    }
    let mut failures = Vec::new();

    let mut nameless = records::customer(&s.tag, "Nameless", "cf-nameless".into());
    nameless.name = "  ".into();
    nameless.idempotency_key = Some(s.idempotency_key());
    let outcome = s.push_customer(nameless).await?;
    if let Ok(w) = &outcome {
        s.created(RecordKind::Customer, &w.remote_id, "customer");
    }
    failures.extend(expect(
        "a customer without a name",
        &outcome,
        "validation",
        "name",
    ));

    let mut original = records::customer(&s.tag, "Typed", "cf-typed".into());
    original.idempotency_key = Some(s.idempotency_key());
    let written = s.create_customer(original.clone()).await?;
    let mut twin = records::customer(&s.tag, "Typed twin", "cf-typed-twin".into());
    twin.name = original.name.clone();
    twin.idempotency_key = Some(s.idempotency_key());
    match s.push_customer(twin).await? {
        // The target allows one name twice: nothing to classify.
        Ok(w) => s.created(RecordKind::Customer, &w.remote_id, "customer"),
        outcome => failures.extend(expect(
            "a second customer of one name",
            &outcome,
            "duplicate",
            "name",
        )),
    }

    let kind = [
        (InvoiceKind::Job, "push-job-invoices"),
        (InvoiceKind::Contract, "push-contract-invoices"),
        (InvoiceKind::Order, "push-orders"),
    ]
    .into_iter()
    .find(|(_, capability)| s.can(capability))
    .map(|(kind, _)| kind);
    if let Some(kind) = kind {
        let key = s.idempotency_key();
        let mut invoice = records::invoice(
            Draft {
                kind,
                number: format!("CF{}E1", s.tag),
                customer: CustomerRef {
                    remote_id: Some(written.remote_id.clone()),
                    name: original.name.clone(),
                },
                date: &s.today,
                amounts: &[Decimal::new(1000, 2)],
                key: "cf-typed-invoice".into(),
            },
            s.options,
        );
        invoice.idempotency_key = Some(key);
        invoice.lines[0].quantity = "1,5".into();
        let outcome = s.push_invoice(invoice).await?;
        if let Ok(w) = &outcome {
            s.created(RecordKind::Invoice, &w.remote_id, "invoice");
        }
        failures.extend(expect(
            "a line whose quantity is \"1,5\"",
            &outcome,
            "validation",
            "lines[0].quantity",
        ));
    }
    verdict(failures)
}
