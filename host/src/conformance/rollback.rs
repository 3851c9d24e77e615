//! `rollback.delete`: what a push created is gone on read-back once deleted (a customer may
//! be left inactive, a document voided, where the target keeps them), and its id is never
//! handed out again.

use super::records::{self, Draft};
use super::suite::{Checked, Suite, verdict};
use crate::model::{CustomerRef, InvoiceKind, InvoiceStatus, RecordKind};

pub(super) async fn run(s: &mut Suite<'_>) {
    let checked = check(s).await;
    s.record("rollback.delete", checked);
    s.clean_up().await;
}

async fn check(s: &mut Suite<'_>) -> Checked {
    if !s.can("delete") {
        return Ok(Suite::lacks("delete"));
    }
    if !s.can("push-customers") {
        return Ok(Suite::lacks("push-customers"));
    }
    let mut failures = Vec::new();
    let mut c = records::customer(&s.tag, "Rolled back", "cf-rollback".into());
    c.idempotency_key = Some(s.idempotency_key());
    let customer = s.create_customer(c.clone()).await?;

    // A document for it, of the first kind the connector takes.
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
                number: format!("CF{}R1", s.tag),
                customer: CustomerRef {
                    remote_id: Some(customer.remote_id.clone()),
                    name: c.name.clone(),
                },
                date: &s.today,
                amounts: &[rust_decimal::Decimal::new(2500, 2)],
                key: "cf-rollback-invoice".into(),
            },
            s.options,
        );
        invoice.idempotency_key = Some(key);
        let written = s.create_invoice(invoice).await?;
        match s
            .plugin
            .delete(s.ctx, RecordKind::Invoice, written.remote_id.clone())
            .await
        {
            Ok(Ok(())) => {
                s.forget(&written.remote_id);
                if s.reads_invoices() {
                    let back = s
                        .read_invoices(kind, std::slice::from_ref(&written.remote_id))
                        .await?;
                    if back.iter().any(|i| i.status != InvoiceStatus::Voided) {
                        failures.push(format!(
                            "invoice {} is still there, not voided, after its delete",
                            written.remote_id
                        ));
                    }
                }
            }
            Ok(Err(e)) => failures.push(format!(
                "deleting invoice {} was refused: {}",
                written.remote_id,
                e.describe()
            )),
            Err(e) => failures.push(e.to_string()),
        }
    }

    match s
        .plugin
        .delete(s.ctx, RecordKind::Customer, customer.remote_id.clone())
        .await
    {
        Ok(Ok(())) => {
            s.forget(&customer.remote_id);
            if s.can("find-customers") || s.can("pull-customers") {
                let back = s.read_customer(&customer.remote_id, &c.name).await?;
                if back.iter().any(|b| b.active) {
                    failures.push(format!(
                        "customer {} is still there and active after its delete",
                        customer.remote_id
                    ));
                }
            }
        }
        Ok(Err(e)) => failures.push(format!(
            "deleting customer {} was refused: {}",
            customer.remote_id,
            e.describe()
        )),
        Err(e) => failures.push(e.to_string()),
    }

    // The next record must not get the deleted one's id.
    let mut next = records::customer(&s.tag, "After rollback", "cf-after-rollback".into());
    next.idempotency_key = Some(s.idempotency_key());
    let after = s.create_customer(next).await?;
    if after.remote_id == customer.remote_id {
        failures.push(format!(
            "the customer created after the delete got the deleted one's id {}; an id must never be handed out again",
            after.remote_id
        ));
    }
    verdict(failures)
}
