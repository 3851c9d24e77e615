//! Invoices with a negative total ⇄ Xero sales credit notes (`Type` `ACCRECCREDIT`).
//!
//! Xero refuses an invoice whose total is below zero: a negative sale is a credit note. So a
//! canonical invoice whose `total` is negative is sent to `/CreditNotes` as an
//! `ACCRECCREDIT` credit note, with every line's `unit-price`, `amount` and `tax-amount`
//! negated (quantity, discount, codes and everything else as for an invoice, see
//! [`super::invoice`]): the credit note's lines and total are the invoice's made positive.
//! Pulling negates the same fields, and `SubTotal`, `TotalTax` and `Total`, back, so the
//! invoice read back is the one sent, digit for digit (negation keeps every decimal).
//!
//! **Remote ids.** A credit note's remote id is `CN-<CreditNoteID>` (e.g.
//! `CN-249f15fa-f2a7-4acc-8769-0984103f2225`); an invoice's is its bare `InvoiceID`. A Xero id
//! is a UUID, which never starts with `CN-`, so the two cannot be confused: push (update),
//! pull and delete all tell a credit note by the prefix.
//!
//! An invoice keeps its document: one already in Xero as an invoice whose total turns
//! negative (or a credit note whose total turns positive) is refused before sending, since
//! Xero cannot change one into the other.

use std::str::FromStr as _;

use ledgerlink_sdk::Decimal;
use ledgerlink_sdk::decimal::DecimalField;
use ledgerlink_sdk::error::{self, ConnectorErrorExt};
use ledgerlink_sdk::types::{ConnectorError, Invoice, InvoiceKind};

use super::Mapping;
use super::invoice::{invoice_to_xero, sales_document};
use super::xero::{CreditNoteOut, InvoiceIn, InvoiceOut};

/// The prefix that marks a credit note's remote id.
pub const REMOTE_ID_PREFIX: &str = "CN-";

/// The remote id of the credit note Xero knows as `credit_note_id`.
pub fn remote_id(credit_note_id: &str) -> String {
    format!("{REMOTE_ID_PREFIX}{credit_note_id}")
}

/// Xero's `CreditNoteID` inside a credit note's remote id; `None` for an invoice's id.
pub fn credit_note_id(remote_id: &str) -> Option<&str> {
    remote_id
        .trim()
        .strip_prefix(REMOTE_ID_PREFIX)
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

/// Which Xero document a canonical invoice is sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// An `ACCREC` invoice.
    Invoice(InvoiceOut),
    /// An `ACCRECCREDIT` credit note (the invoice's total was negative).
    CreditNote(CreditNoteOut),
}

/// The Xero document for `invoice`: an invoice when its `total` is zero or more, a credit
/// note (lines sign-flipped) when it is negative. Refuses what [`invoice_to_xero`] refuses,
/// a `total` that is not a decimal, and an update that would change the document's type.
pub fn document_to_xero(invoice: &Invoice, mapping: &Mapping) -> Result<Document, ConnectorError> {
    let total = invoice.total.decimal("total")?;
    let negative = total < Decimal::ZERO;
    let remote = invoice
        .remote_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let existing_credit = remote.map(|id| credit_note_id(id).is_some());
    match (negative, existing_credit) {
        (true, Some(false)) => Err(error::validation(format!(
            "invoice {} is an invoice in Xero and its total is now negative ({}); Xero cannot turn \
             an invoice into a credit note: void it in Xero, unlink it, and push again",
            invoice.number, invoice.total
        ))
        .at("total")),
        (false, Some(true)) => Err(error::validation(format!(
            "invoice {} is a credit note in Xero and its total is no longer negative ({}); Xero \
             cannot turn a credit note into an invoice: void it in Xero, unlink it, and push again",
            invoice.number, invoice.total
        ))
        .at("total")),
        (false, _) => invoice_to_xero(invoice, mapping).map(Document::Invoice),
        (true, _) => {
            let mut flipped = invoice.clone();
            flipped.remote_id = None;
            for line in &mut flipped.lines {
                line.unit_price = negate(&line.unit_price);
                line.amount = negate(&line.amount);
                line.tax_amount = line.tax_amount.as_deref().map(negate);
            }
            let out = invoice_to_xero(&flipped, mapping)?;
            let id = remote.and_then(credit_note_id).map(str::to_owned);
            Ok(Document::CreditNote(CreditNoteOut::from_invoice(out, id)))
        }
    }
}

/// Whether a Xero document is a sales credit note (`ACCRECCREDIT`).
pub fn is_sales_credit_note(x: &InvoiceIn) -> bool {
    x.kind
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("ACCRECCREDIT"))
}

/// The canonical invoice of a Xero sales credit note when its `Reference` marks it as of
/// `kind`: remote id `CN-<CreditNoteID>`, number the `CreditNoteNumber`, and every amount
/// negated (the lines' unit prices, amounts and tax, the subtotal, tax total and total).
/// `Ok(None)` for purchase credit notes and ones of the other kind or made in Xero by hand.
pub fn invoice_from_credit_note(
    x: &InvoiceIn,
    kind: InvoiceKind,
    mapping: &Mapping,
) -> Result<Option<Invoice>, ConnectorError> {
    if !is_sales_credit_note(x) {
        return Ok(None);
    }
    let Some(mut invoice) = sales_document(x, kind, mapping)? else {
        return Ok(None);
    };
    invoice.remote_id = invoice.remote_id.as_deref().map(remote_id);
    for line in &mut invoice.lines {
        line.unit_price = negate(&line.unit_price);
        line.amount = negate(&line.amount);
        line.tax_amount = line.tax_amount.as_deref().map(negate);
    }
    invoice.subtotal = negate(&invoice.subtotal);
    invoice.tax_total = negate(&invoice.tax_total);
    invoice.total = negate(&invoice.total);
    Ok(Some(invoice))
}

/// `text` with its sign changed, every decimal kept (`-25.00` ⇄ `25.00`); zero stays as it
/// is, and text that is not a decimal is left for the decimal checks to refuse by name.
fn negate(text: &str) -> String {
    match Decimal::from_str(text.trim()) {
        Ok(d) if d.is_zero() => text.trim().to_owned(),
        Ok(d) => (-d).to_string(),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::invoice::tests::{invoice, line, mapping};
    use crate::map::xero::CreditNotesBody;
    use ledgerlink_sdk::types::{InvoiceLine, InvoiceStatus, TaxMode};

    /// A refund: two negative lines and a positive one, total −57.50 (GST 15 %).
    fn refund() -> Invoice {
        Invoice {
            number: "CR-1001".into(),
            lines: vec![
                InvoiceLine {
                    item_code: Some("LABOUR".into()),
                    tax_code: Some("GST".into()),
                    tax_amount: Some("-7.50".into()),
                    ..line("Labour refunded", "2", "-25.00", "-50.00")
                },
                InvoiceLine {
                    discount_percent: Some("10".into()),
                    tax_code: Some("GST".into()),
                    ..line("Parts returned", "-1", "13.3333", "-12.00")
                },
                InvoiceLine {
                    tax_code: Some("GST".into()),
                    ..line("Restocking fee", "1", "7.0000", "7.00")
                },
            ],
            subtotal: "-55.00".into(),
            tax_total: "-8.25".into(),
            total: "-63.25".into(),
            ..invoice()
        }
    }

    #[test]
    fn a_negative_invoice_becomes_a_positive_accreccredit_credit_note() {
        let Document::CreditNote(out) = document_to_xero(&refund(), &mapping()).expect("valid")
        else {
            panic!("a credit note")
        };
        let json = serde_json::to_string(&out).expect("json");
        assert_eq!(
            json,
            concat!(
                r#"{"Type":"ACCRECCREDIT","CreditNoteNumber":"CR-1001","Reference":"Job J-1001","#,
                r#""Contact":{"ContactID":"430fa14a-f945-44d3-9f97-5df5e28441b8"},"#,
                r#""Date":"2026-11-02","DueDate":"2026-11-20","CurrencyCode":"NZD","#,
                r#""LineAmountTypes":"Exclusive","Status":"AUTHORISED","LineItems":["#,
                r#"{"Description":"Labour refunded","Quantity":2,"UnitAmount":25.00,"ItemCode":"LABOUR","#,
                r#""AccountCode":"200","TaxType":"OUTPUT2","TaxAmount":7.50,"LineAmount":50.00},"#,
                r#"{"Description":"Parts returned","Quantity":-1,"UnitAmount":-13.3333,"DiscountRate":10,"#,
                r#""AccountCode":"299","TaxType":"OUTPUT2","LineAmount":12.00},"#,
                r#"{"Description":"Restocking fee","Quantity":1,"UnitAmount":-7.0000,"AccountCode":"299","#,
                r#""TaxType":"OUTPUT2","LineAmount":-7.00}]}"#
            )
        );
    }

    #[test]
    fn zero_and_positive_totals_stay_invoices() {
        let mut zero = refund();
        zero.total = "0.00".into();
        assert!(matches!(
            document_to_xero(&zero, &mapping()),
            Ok(Document::Invoice(_))
        ));
        assert!(matches!(
            document_to_xero(&invoice(), &mapping()),
            Ok(Document::Invoice(_))
        ));
        let mut bad = refund();
        bad.total = "-1,5".into();
        let e = document_to_xero(&bad, &mapping()).expect_err("bad total");
        assert_eq!(e.field(), Some("total"));
    }

    #[test]
    fn updates_carry_the_credit_note_id_and_keep_their_document() {
        let mut update = refund();
        update.remote_id = Some("CN-249f15fa-f2a7-4acc-8769-0984103f2225".into());
        let Document::CreditNote(out) = document_to_xero(&update, &mapping()).expect("valid")
        else {
            panic!("a credit note")
        };
        assert_eq!(
            out.credit_note_id.as_deref(),
            Some("249f15fa-f2a7-4acc-8769-0984103f2225")
        );
        // An invoice in Xero cannot become a credit note, nor the reverse.
        update.remote_id = Some("ed255415-e141-4150-aab7-89c3bbbb851c".into());
        let e = document_to_xero(&update, &mapping()).expect_err("was an invoice");
        assert_eq!(e.field(), Some("total"));
        assert!(e.message().starts_with(
            "invoice CR-1001 is an invoice in Xero and its total is now negative (-63.25)"
        ));
        let mut positive = invoice();
        positive.remote_id = Some("CN-249f15fa-f2a7-4acc-8769-0984103f2225".into());
        let e = document_to_xero(&positive, &mapping()).expect_err("was a credit note");
        assert_eq!(e.field(), Some("total"));
        // Refusals of the invoice mapping name the canonical field.
        let mut bad = refund();
        bad.lines[0].unit_price = "-1.23456".into();
        let e = document_to_xero(&bad, &mapping()).expect_err("too many decimals");
        assert_eq!(e.field(), Some("lines[0].unit-price"));
    }

    #[test]
    fn remote_ids_tell_credit_notes_from_invoices() {
        assert_eq!(remote_id("abc"), "CN-abc");
        assert_eq!(credit_note_id("CN-abc"), Some("abc"));
        assert_eq!(credit_note_id(" CN-abc "), Some("abc"));
        assert_eq!(credit_note_id("CN-"), None);
        assert_eq!(credit_note_id("249f15fa-f2a7-4acc-8769-0984103f2225"), None);
    }

    #[test]
    fn a_pulled_credit_note_is_the_negative_invoice_that_was_sent() {
        let sent = refund();
        let Document::CreditNote(out) = document_to_xero(&sent, &mapping()).expect("valid") else {
            panic!("a credit note")
        };
        // Xero echoes what it was sent, with its id and its totals (kept as text: a
        // `serde_json::Value` would turn the numbers into floats).
        let sent_json = serde_json::to_string(&out).expect("json");
        let body = format!(
            r#"{{"CreditNotes":[{}]}}"#,
            sent_json.replacen(
                '{',
                r#"{"CreditNoteID":"249f15fa-f2a7-4acc-8769-0984103f2225","SubTotal":55.00,"TotalTax":8.25,"Total":63.25,"#,
                1
            )
        );
        let body: CreditNotesBody = serde_json::from_str(&body).expect("body");
        let back = invoice_from_credit_note(&body.credit_notes[0], InvoiceKind::Job, &mapping())
            .expect("maps")
            .expect("a job credit note");
        assert_eq!(
            back.remote_id.as_deref(),
            Some("CN-249f15fa-f2a7-4acc-8769-0984103f2225")
        );
        assert_eq!(back.number, "CR-1001");
        assert_eq!(back.kind, InvoiceKind::Job);
        assert_eq!(back.reference.as_deref(), Some("J-1001"));
        assert_eq!(
            (
                back.subtotal.as_str(),
                back.tax_total.as_str(),
                back.total.as_str()
            ),
            ("-55.00", "-8.25", "-63.25")
        );
        assert_eq!(back.currency, "NZD");
        assert_eq!(back.tax_mode, TaxMode::Exclusive);
        assert_eq!(back.status, InvoiceStatus::Authorised);
        assert_eq!(back.lines.len(), sent.lines.len());
        for (a, b) in back.lines.iter().zip(&sent.lines) {
            assert_eq!(a.quantity, b.quantity);
            assert_eq!(a.unit_price, b.unit_price);
            assert_eq!(a.amount, b.amount);
            assert_eq!(a.discount_percent, b.discount_percent);
            assert_eq!(a.tax_amount, b.tax_amount);
            assert_eq!(a.description, b.description);
        }
        // The other kind, and purchase credit notes, are not this pull's.
        assert!(
            invoice_from_credit_note(&body.credit_notes[0], InvoiceKind::Contract, &mapping())
                .expect("maps")
                .is_none()
        );
        let purchase: CreditNotesBody = serde_json::from_str(
            r#"{"CreditNotes":[{"Type":"ACCPAYCREDIT","CreditNoteID":"x","Reference":"Job J-1"}]}"#,
        )
        .expect("body");
        assert!(
            invoice_from_credit_note(&purchase.credit_notes[0], InvoiceKind::Job, &mapping())
                .expect("maps")
                .is_none()
        );
    }

    #[test]
    fn negation_keeps_every_decimal() {
        assert_eq!(negate("-25.00"), "25.00");
        assert_eq!(negate("13.3333"), "-13.3333");
        assert_eq!(negate("0.00"), "0.00");
        assert_eq!(negate("-0"), "-0");
        assert_eq!(negate("abc"), "abc");
    }
}
