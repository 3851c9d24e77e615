//! Rollback: what deleting a record this host created means in Xero.
//!
//! Xero deletes nothing outright. A contact can only be archived. A sales invoice is
//! deleted while it is a draft or submitted, voided once authorised, and refused once it
//! has payments or credits: those must be removed in Xero by a person first. A sales credit
//! note (an invoice pushed with a negative total) follows the same rules, and is refused once
//! it is allocated to an invoice, refunded or paid.

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::error;
use ledgerlink_sdk::types::ConnectorError;

use crate::map::number::decimal_from_raw;
use crate::map::xero::InvoiceIn;

/// What to do to an invoice to roll it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceRollback {
    /// Already deleted or voided: nothing.
    Nothing,
    /// Set `Status` to this (`DELETED` or `VOIDED`).
    SetStatus(&'static str),
}

/// How to roll back `invoice` as Xero returned it.
pub fn invoice_rollback(invoice: &InvoiceIn) -> Result<InvoiceRollback, ConnectorError> {
    let number = invoice
        .invoice_number
        .as_deref()
        .or(invoice.invoice_id.as_deref())
        .unwrap_or("?");
    let positive = |raw: &Option<Box<serde_json::value::RawValue>>| {
        raw.as_deref()
            .and_then(decimal_from_raw)
            .is_some_and(|d| d > Decimal::ZERO)
    };
    let status = invoice.status.as_deref().unwrap_or("").to_ascii_uppercase();
    if matches!(status.as_str(), "DELETED" | "VOIDED") {
        return Ok(InvoiceRollback::Nothing);
    }
    if status == "PAID"
        || !invoice.payments.is_empty()
        || positive(&invoice.amount_paid)
        || positive(&invoice.amount_credited)
    {
        return Err(error::locked(format!(
            "invoice {number} has payments or credits in Xero, so it cannot be voided from here; \
             remove them in Xero and void the invoice there"
        )));
    }
    match status.as_str() {
        "DRAFT" | "SUBMITTED" => Ok(InvoiceRollback::SetStatus("DELETED")),
        "AUTHORISED" => Ok(InvoiceRollback::SetStatus("VOIDED")),
        other => Err(error::locked(format!(
            "invoice {number} has status {other:?} in Xero, which this connector does not roll back; \
             handle it in Xero"
        ))),
    }
}

/// How to roll back a credit note as Xero returned it (`GET /CreditNotes/{id}`).
pub fn credit_note_rollback(note: &InvoiceIn) -> Result<InvoiceRollback, ConnectorError> {
    let number = note
        .invoice_number
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(note.invoice_id.as_deref())
        .unwrap_or("?");
    let amount =
        |raw: &Option<Box<serde_json::value::RawValue>>| raw.as_deref().and_then(decimal_from_raw);
    let status = note.status.as_deref().unwrap_or("").to_ascii_uppercase();
    if matches!(status.as_str(), "DELETED" | "VOIDED") {
        return Ok(InvoiceRollback::Nothing);
    }
    let used = match (amount(&note.remaining_credit), amount(&note.total)) {
        (Some(remaining), Some(total)) => remaining < total,
        _ => false,
    };
    if status == "PAID" || !note.allocations.is_empty() || !note.payments.is_empty() || used {
        return Err(error::locked(format!(
            "credit note {number} is allocated, refunded or paid in Xero, so it cannot be voided \
             from here; remove its allocations and refunds in Xero and void it there"
        )));
    }
    match status.as_str() {
        "DRAFT" | "SUBMITTED" => Ok(InvoiceRollback::SetStatus("DELETED")),
        "AUTHORISED" => Ok(InvoiceRollback::SetStatus("VOIDED")),
        other => Err(error::locked(format!(
            "credit note {number} has status {other:?} in Xero, which this connector does not \
             roll back; handle it in Xero"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerlink_sdk::error::ConnectorErrorExt;
    use ledgerlink_sdk::types::ConnectorError as E;

    fn invoice(json: &str) -> InvoiceIn {
        serde_json::from_str(json).expect("invoice")
    }

    #[test]
    fn drafts_are_deleted_and_authorised_invoices_voided() {
        let r = |s: &str| {
            invoice_rollback(&invoice(&format!(
                r#"{{"InvoiceNumber":"INV-1","Status":"{s}","AmountPaid":0.00}}"#
            )))
        };
        assert_eq!(
            r("DRAFT").expect("ok"),
            InvoiceRollback::SetStatus("DELETED")
        );
        assert_eq!(
            r("SUBMITTED").expect("ok"),
            InvoiceRollback::SetStatus("DELETED")
        );
        assert_eq!(
            r("AUTHORISED").expect("ok"),
            InvoiceRollback::SetStatus("VOIDED")
        );
        assert_eq!(r("VOIDED").expect("ok"), InvoiceRollback::Nothing);
        assert_eq!(r("DELETED").expect("ok"), InvoiceRollback::Nothing);
    }

    #[test]
    fn a_paid_invoice_is_locked_naming_its_number() {
        // The spec's GET /Invoices/{InvoiceID} example: PAID with a payment.
        let paid = invoice(
            r#"{"Type":"ACCREC","InvoiceID":"a03ffcd2-5d91-4c7e-b483-318584e9e439",
            "InvoiceNumber":"INV-0006","Status":"PAID","AmountPaid":148062.76,
            "Payments":[{"PaymentID":"38928000-e9a0-420c-8884-f624bab2a351","Amount":148062.76}]}"#,
        );
        let e = invoice_rollback(&paid).expect_err("locked");
        assert!(matches!(e, E::Locked(_)));
        assert_eq!(
            e.message(),
            "invoice INV-0006 has payments or credits in Xero, so it cannot be voided from here; \
             remove them in Xero and void the invoice there"
        );
        // Authorised but part-paid: also locked.
        let part = invoice(r#"{"InvoiceNumber":"INV-7","Status":"AUTHORISED","AmountPaid":10.00}"#);
        assert!(matches!(invoice_rollback(&part), Err(E::Locked(_))));
    }

    #[test]
    fn credit_notes_are_deleted_voided_or_locked() {
        let r = |json: &str| credit_note_rollback(&invoice(json));
        let note = |status: &str, remaining: &str| {
            format!(
                r#"{{"Type":"ACCRECCREDIT","CreditNoteID":"c","CreditNoteNumber":"CN-0005","Status":"{status}",
                "Total":34.50,"RemainingCredit":{remaining},"Allocations":[],"Payments":[]}}"#
            )
        };
        assert_eq!(
            r(&note("DRAFT", "34.50")).expect("ok"),
            InvoiceRollback::SetStatus("DELETED")
        );
        assert_eq!(
            r(&note("SUBMITTED", "34.50")).expect("ok"),
            InvoiceRollback::SetStatus("DELETED")
        );
        assert_eq!(
            r(&note("AUTHORISED", "34.50")).expect("ok"),
            InvoiceRollback::SetStatus("VOIDED")
        );
        assert_eq!(
            r(&note("VOIDED", "34.50")).expect("ok"),
            InvoiceRollback::Nothing
        );
        assert_eq!(
            r(&note("DELETED", "0")).expect("ok"),
            InvoiceRollback::Nothing
        );
        // Part allocated (RemainingCredit below Total), paid, or with allocations: locked.
        let e = r(&note("AUTHORISED", "32.50")).expect_err("locked");
        assert!(matches!(e, E::Locked(_)));
        assert_eq!(
            e.message(),
            "credit note CN-0005 is allocated, refunded or paid in Xero, so it cannot be voided \
             from here; remove its allocations and refunds in Xero and void it there"
        );
        assert!(matches!(r(&note("PAID", "0")), Err(E::Locked(_))));
        let allocated = r#"{"Type":"ACCRECCREDIT","CreditNoteNumber":"CN-1","Status":"AUTHORISED",
            "Allocations":[{"Amount":1.00}]}"#;
        assert!(matches!(r(allocated), Err(E::Locked(_))));
    }
}
