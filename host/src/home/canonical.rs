//! Home records ⇄ the canonical contract types a connector understands.
//!
//! Keys: a customer's key is its Tracker Pro id; a job invoice's key is the job id and a
//! contract invoice's key is the contract invoice id (the two kinds are separate key
//! spaces: tell them apart by [`InvoiceKind`]). Remote ids and concurrency tokens are
//! left empty: they live in the sync engine's id map, which fills them before a push.
//! Decimals are written with [`Decimal::to_string`], which keeps their scale.

use rust_decimal::Decimal;

use super::model::{
    ContractInvoiceStatus, HomeAddress, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob,
    HomeLine, InvoiceBody, JobStatus, TaxMode,
};
use super::validation;
use crate::model::{
    self, Address, Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus,
};

/// Where an invoice comes from in the home book.
#[derive(Debug, Clone, Copy)]
pub enum InvoiceSource<'a> {
    /// A job's invoice.
    Job(&'a HomeJob),
    /// A contract invoice, with the contract it was generated from.
    Contract {
        /// The invoice.
        invoice: &'a HomeContractInvoice,
        /// Its contract (for the reference printed on the invoice).
        contract: &'a HomeContract,
    },
}

/// The canonical customer for a home customer (key = Tracker Pro id).
pub fn to_canonical_customer(c: &HomeCustomer) -> Customer {
    Customer {
        key: c.id.clone(),
        remote_id: None,
        version: None,
        idempotency_key: None,
        name: c.name.clone(),
        account_number: c.account_number.clone(),
        contact_name: c.contact_name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        tax_number: c.tax_number.clone(),
        billing_address: c.billing_address.as_ref().map(to_canonical_address),
        shipping_address: c.shipping_address.as_ref().map(to_canonical_address),
        currency: c.currency.clone(),
        active: c.active,
        updated_at: c.updated_at.clone(),
    }
}

/// The canonical invoice for a job or a contract invoice, billed to `customer` (the record
/// whose id is the source's `customer_id`; its name goes on the invoice).
///
/// Number: the job number or the contract invoice number. Reference: the job number or
/// the contract number. Status: a closed job or a generated contract invoice is
/// `authorised`, an open job or a draft contract invoice `draft`, a cancelled one `voided`.
pub fn to_canonical_invoice(source: InvoiceSource<'_>, customer: &HomeCustomer) -> Invoice {
    match source {
        InvoiceSource::Job(job) => to_canonical_job_invoice(job, customer),
        InvoiceSource::Contract { invoice, contract } => {
            to_canonical_contract_invoice(invoice, contract, customer)
        }
    }
}

/// The canonical invoice of a job (key = job id, kind `job`).
pub fn to_canonical_job_invoice(job: &HomeJob, customer: &HomeCustomer) -> Invoice {
    let status = match job.status {
        JobStatus::Open => InvoiceStatus::Draft,
        JobStatus::Closed => InvoiceStatus::Authorised,
        JobStatus::Cancelled => InvoiceStatus::Voided,
    };
    invoice(
        &job.id,
        InvoiceKind::Job,
        &job.number,
        &job.number,
        &job.body,
        customer,
        status,
        job.updated_at.as_deref(),
    )
}

/// The canonical order of a job not closed yet (key = job id, kind `order`, status draft).
pub fn to_canonical_order(job: &HomeJob, customer: &HomeCustomer) -> Invoice {
    invoice(
        &job.id,
        InvoiceKind::Order,
        &job.number,
        &job.number,
        &job.body,
        customer,
        InvoiceStatus::Draft,
        job.updated_at.as_deref(),
    )
}

/// The canonical invoice of a contract invoice (key = contract invoice id, kind `contract`).
pub fn to_canonical_contract_invoice(
    inv: &HomeContractInvoice,
    contract: &HomeContract,
    customer: &HomeCustomer,
) -> Invoice {
    let status = match inv.status {
        ContractInvoiceStatus::Draft => InvoiceStatus::Draft,
        ContractInvoiceStatus::Generated => InvoiceStatus::Authorised,
        ContractInvoiceStatus::Cancelled => InvoiceStatus::Voided,
    };
    invoice(
        &inv.id,
        InvoiceKind::Contract,
        &inv.number,
        &contract.number,
        &inv.body,
        customer,
        status,
        inv.updated_at.as_deref(),
    )
}

/// Why a pulled customer cannot enter the home book: every rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("customer {name:?} cannot be stored in the home book: {}", .problems.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
pub struct InvalidCustomer {
    /// The customer's name as pulled.
    pub name: String,
    /// (field, message) for each broken rule.
    pub problems: Vec<(String, String)>,
}

/// A home customer from a customer pulled from a target (the QB/Xero → Tracker Pro
/// direction). `id` is the home id the sync engine chose (from its id map, or a new one).
///
/// The pulled record is not flagged for integration (it came from the target; flagging it
/// would send it straight back): a caller updating an existing home customer keeps that
/// customer's flag. Empty strings become absent values. Every rule of `home::validation`
/// is checked; a record that breaks one is refused whole, never truncated.
pub fn from_canonical_customer(c: &Customer, id: &str) -> Result<HomeCustomer, InvalidCustomer> {
    let text = |v: &Option<String>| v.as_ref().filter(|s| !s.is_empty()).cloned();
    let address = |a: &Option<Address>| {
        a.as_ref()
            .map(|a| HomeAddress {
                line1: text(&a.line1),
                line2: text(&a.line2),
                city: text(&a.city),
                region: text(&a.region),
                postal_code: text(&a.postal_code),
                country: text(&a.country),
            })
            .filter(|a| !a.is_empty())
    };
    let home = HomeCustomer {
        id: id.to_owned(),
        name: c.name.clone(),
        account_number: text(&c.account_number),
        contact_name: text(&c.contact_name),
        email: text(&c.email),
        phone: text(&c.phone),
        tax_number: text(&c.tax_number),
        billing_address: address(&c.billing_address),
        shipping_address: address(&c.shipping_address),
        currency: text(&c.currency),
        active: c.active,
        flagged_for_integration: false,
        updated_at: text(&c.updated_at),
    };
    let problems = validation::check_customer(&home);
    if problems.is_empty() {
        Ok(home)
    } else {
        Err(InvalidCustomer {
            name: c.name.clone(),
            problems,
        })
    }
}

fn to_canonical_address(a: &HomeAddress) -> Address {
    Address {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        postal_code: a.postal_code.clone(),
        country: a.country.clone(),
    }
}

fn to_canonical_tax_mode(m: TaxMode) -> model::TaxMode {
    match m {
        TaxMode::Exclusive => model::TaxMode::Exclusive,
        TaxMode::Inclusive => model::TaxMode::Inclusive,
        TaxMode::None => model::TaxMode::None,
    }
}

fn to_canonical_line(l: &HomeLine) -> InvoiceLine {
    let dec = |d: Decimal| d.to_string();
    InvoiceLine {
        description: l.description.clone(),
        quantity: dec(l.quantity),
        unit_price: dec(l.unit_price),
        discount_percent: l.discount_percent.map(dec),
        amount: dec(l.amount),
        item_code: l.item_code.clone(),
        account_code: l.account_code.clone(),
        tax_code: l.tax_code.clone(),
        tax_amount: l.tax_amount.map(dec),
        tax_rate: l.tax_rate.map(dec),
    }
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    key: &str,
    kind: InvoiceKind,
    number: &str,
    reference: &str,
    body: &InvoiceBody,
    customer: &HomeCustomer,
    status: InvoiceStatus,
    updated_at: Option<&str>,
) -> Invoice {
    Invoice {
        key: key.to_owned(),
        remote_id: None,
        version: None,
        idempotency_key: None,
        kind,
        number: number.to_owned(),
        customer: CustomerRef {
            remote_id: None,
            name: customer.name.clone(),
        },
        issue_date: body.invoice_date.clone(),
        due_date: body.due_date.clone(),
        currency: body.currency.clone(),
        tax_mode: to_canonical_tax_mode(body.tax_mode),
        lines: body.lines.iter().map(to_canonical_line).collect(),
        subtotal: body.subtotal.to_string(),
        tax_total: body.tax_total.to_string(),
        total: body.total.to_string(),
        reference: Some(reference.to_owned()),
        memo: body.memo.clone(),
        status,
        amount_paid: Some(body.amount_paid.to_string()),
        amount_due: Some((body.total - body.amount_paid).to_string()),
        locked: None,
        updated_at: updated_at.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::test_book::sample_book;

    #[test]
    fn customers_round_trip_through_the_canonical_form() {
        let book = sample_book();
        for c in &book.customers {
            let canonical = to_canonical_customer(c);
            assert_eq!(canonical.key, c.id);
            assert_eq!(canonical.remote_id, None);
            let mut back = from_canonical_customer(&canonical, &c.id).expect("valid");
            back.flagged_for_integration = c.flagged_for_integration;
            assert_eq!(&back, c);
        }
    }

    #[test]
    fn a_pulled_customer_breaking_a_rule_is_refused_whole() {
        let mut c = to_canonical_customer(&sample_book().customers[0]);
        c.name = "n".repeat(300);
        c.currency = Some("dollars".into());
        c.email = Some(String::new());
        let err = from_canonical_customer(&c, "TP-NEW-1").expect_err("invalid");
        assert_eq!(
            err.problems,
            vec![
                (
                    "name".to_owned(),
                    "300 characters, more than the limit of 255; shorten it".to_owned()
                ),
                (
                    "currency".to_owned(),
                    "\"dollars\" is not a currency code; write three capital letters, e.g. \"NZD\""
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn job_invoices_keep_decimal_scale_and_map_status() {
        let book = sample_book();
        let job = &book.jobs[0];
        let customer = &book.customers[0];
        let inv = to_canonical_invoice(InvoiceSource::Job(job), customer);
        assert_eq!(inv.key, job.id);
        assert_eq!(inv.kind, InvoiceKind::Job);
        assert_eq!(inv.number, job.number);
        assert_eq!(inv.reference.as_deref(), Some(job.number.as_str()));
        assert_eq!(inv.customer.name, customer.name);
        assert_eq!(inv.status, InvoiceStatus::Authorised);
        assert_eq!(inv.subtotal, "426.25");
        assert_eq!(inv.lines[1].quantity, "2.5");
        assert_eq!(inv.lines[1].unit_price, "96.50");

        let ci = &book.contract_invoices[0];
        let inv = to_canonical_invoice(
            InvoiceSource::Contract {
                invoice: ci,
                contract: &book.contracts[0],
            },
            &book.customers[2],
        );
        assert_eq!(inv.kind, InvoiceKind::Contract);
        assert_eq!(inv.key, ci.id);
        assert_eq!(
            inv.reference.as_deref(),
            Some(book.contracts[0].number.as_str())
        );
        assert_eq!(inv.tax_mode, model::TaxMode::Inclusive);
        assert_eq!(inv.total, "1150.00");
    }

    #[test]
    fn payment_state_and_line_rates_reach_the_canonical_invoice() {
        let book = sample_book();
        // J5002: 155.25 in all, 50.00 paid, its line taxed at 15 %.
        let inv = to_canonical_invoice(InvoiceSource::Job(&book.jobs[1]), &book.customers[1]);
        assert_eq!(inv.amount_paid.as_deref(), Some("50.00"));
        assert_eq!(inv.amount_due.as_deref(), Some("105.25"));
        assert_eq!(inv.lines[0].tax_rate.as_deref(), Some("15"));
        // Nothing paid: all of it is due; no rate given: none sent.
        let inv = to_canonical_invoice(InvoiceSource::Job(&book.jobs[0]), &book.customers[0]);
        assert_eq!(inv.amount_paid.as_deref(), Some("0"));
        assert_eq!(inv.amount_due.as_deref(), Some("490.19"));
        assert_eq!(inv.lines[0].tax_rate, None);
        // What is paid is not content: paying does not make the invoice due again.
        let mut paid = book.jobs[0].clone();
        paid.body.amount_paid = paid.body.total;
        assert_eq!(
            crate::model::fingerprint::invoice(&to_canonical_invoice(
                InvoiceSource::Job(&paid),
                &book.customers[0]
            )),
            crate::model::fingerprint::invoice(&inv)
        );
    }
}
