//! Which home records a transfer picks up, by Tracker Pro's rules:
//!
//! - customers that are **flagged for integration** and are new or changed since they
//!   last synced to the connection;
//! - job invoices from jobs that are **closed** with **both Ready-for-Invoice flags** set;
//! - contract invoices that are **generated** with **both Ready-for-Invoice flags** set
//!   (Tracker Pro sets the flags when it generates the invoice, or an admin sets them with
//!   `ledgerlink home flags set`); a draft or cancelled contract invoice never goes.
//!
//! "Changed since the last sync" compares the fingerprint of the canonical record
//! (`sync::fingerprint`) with the one the sync engine's id map recorded for the record
//! when it last synced to that connection (`None`: never synced). Everything here is pure.

use super::canonical::{
    to_canonical_contract_invoice, to_canonical_customer, to_canonical_job_invoice,
};
use super::model::{
    ContractInvoiceStatus, HomeContract, HomeContractInvoice, HomeCustomer, HomeJob, JobStatus,
};
use crate::model::fingerprint;

/// Whether, and why, a record goes in the next transfer to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligibility {
    /// Selected and never synced to the connection: it would be added.
    New,
    /// Selected and changed since its last sync: it would be updated.
    Changed,
    /// Selected, but the same as when it last synced: nothing to send.
    Unchanged,
    /// A customer not flagged for integration.
    NotFlagged,
    /// An invoice whose job is not closed (or contract invoice not generated), or whose
    /// Ready-for-Invoice flags are not both set.
    NotReady,
}

impl Eligibility {
    /// True for [`Eligibility::New`] and [`Eligibility::Changed`].
    pub fn is_eligible(self) -> bool {
        matches!(self, Eligibility::New | Eligibility::Changed)
    }
}

fn by_fingerprint(current: String, last_synced: Option<&str>) -> Eligibility {
    match last_synced {
        None => Eligibility::New,
        Some(last) if last == current => Eligibility::Unchanged,
        Some(_) => Eligibility::Changed,
    }
}

/// A customer's eligibility, given the fingerprint recorded when it last synced to the
/// connection (`None`: never).
pub fn customer_eligibility(c: &HomeCustomer, last_synced: Option<&str>) -> Eligibility {
    if !c.flagged_for_integration {
        return Eligibility::NotFlagged;
    }
    by_fingerprint(
        fingerprint::customer(&to_canonical_customer(c)),
        last_synced,
    )
}

/// True when the customer goes in the next customer transfer to the connection.
pub fn is_customer_eligible(c: &HomeCustomer, last_synced: Option<&str>) -> bool {
    customer_eligibility(c, last_synced).is_eligible()
}

/// True when a job can be invoiced: closed, both Ready-for-Invoice flags set.
pub fn is_job_ready(job: &HomeJob) -> bool {
    job.status == JobStatus::Closed && job.ready_for_invoice_1 && job.ready_for_invoice_2
}

/// True when a contract invoice can be transferred: generated, both flags set.
pub fn is_contract_invoice_ready(inv: &HomeContractInvoice) -> bool {
    inv.status == ContractInvoiceStatus::Generated
        && inv.ready_for_invoice_1
        && inv.ready_for_invoice_2
}

/// A job invoice's eligibility; `customer` is the job's customer (its name is part of the
/// invoice, so renaming the customer changes the invoice).
pub fn job_invoice_eligibility(
    job: &HomeJob,
    customer: &HomeCustomer,
    last_synced: Option<&str>,
) -> Eligibility {
    if !is_job_ready(job) {
        return Eligibility::NotReady;
    }
    by_fingerprint(
        fingerprint::invoice(&to_canonical_job_invoice(job, customer)),
        last_synced,
    )
}

/// A contract invoice's eligibility.
pub fn contract_invoice_eligibility(
    inv: &HomeContractInvoice,
    contract: &HomeContract,
    customer: &HomeCustomer,
    last_synced: Option<&str>,
) -> Eligibility {
    if !is_contract_invoice_ready(inv) {
        return Eligibility::NotReady;
    }
    by_fingerprint(
        fingerprint::invoice(&to_canonical_contract_invoice(inv, contract, customer)),
        last_synced,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::test_book::sample_book;

    #[test]
    fn customers_need_the_flag_and_a_change() {
        let book = sample_book();
        let mut c = book.customers[0].clone();
        c.flagged_for_integration = false;
        assert_eq!(customer_eligibility(&c, None), Eligibility::NotFlagged);
        assert!(!is_customer_eligible(&c, None));
        c.flagged_for_integration = true;
        assert_eq!(customer_eligibility(&c, None), Eligibility::New);
        let synced = fingerprint::customer(&to_canonical_customer(&c));
        assert_eq!(
            customer_eligibility(&c, Some(&synced)),
            Eligibility::Unchanged
        );
        assert!(!is_customer_eligible(&c, Some(&synced)));
        c.updated_at = Some("2031-01-01T00:00:00Z".into());
        assert_eq!(
            customer_eligibility(&c, Some(&synced)),
            Eligibility::Unchanged,
            "a newer timestamp alone is not a change"
        );
        c.phone = Some("+64 9 555 0199".into());
        assert_eq!(
            customer_eligibility(&c, Some(&synced)),
            Eligibility::Changed
        );
        assert!(is_customer_eligible(&c, Some(&synced)));
    }

    #[test]
    fn jobs_need_closed_and_both_flags() {
        let book = sample_book();
        let mut job = book.jobs[0].clone();
        let customer = &book.customers[0];
        assert!(is_job_ready(&job));
        for (status, r1, r2, ready) in [
            (JobStatus::Closed, true, true, true),
            (JobStatus::Closed, true, false, false),
            (JobStatus::Closed, false, true, false),
            (JobStatus::Open, true, true, false),
            (JobStatus::Cancelled, true, true, false),
        ] {
            job.status = status;
            job.ready_for_invoice_1 = r1;
            job.ready_for_invoice_2 = r2;
            assert_eq!(is_job_ready(&job), ready, "{status:?} {r1} {r2}");
            let e = job_invoice_eligibility(&job, customer, None);
            assert_eq!(
                e,
                if ready {
                    Eligibility::New
                } else {
                    Eligibility::NotReady
                }
            );
        }
        let job = &book.jobs[0];
        let synced = fingerprint::invoice(&to_canonical_job_invoice(job, customer));
        assert_eq!(
            job_invoice_eligibility(job, customer, Some(&synced)),
            Eligibility::Unchanged
        );
        let mut renamed = customer.clone();
        renamed.name.push_str(" (2027)");
        assert_eq!(
            job_invoice_eligibility(job, &renamed, Some(&synced)),
            Eligibility::Changed
        );
    }

    #[test]
    fn contract_invoices_need_generated_and_both_flags() {
        let book = sample_book();
        let mut inv = book.contract_invoices[0].clone();
        let (contract, customer) = (&book.contracts[0], &book.customers[2]);
        for (status, r1, r2, ready) in [
            (ContractInvoiceStatus::Generated, true, true, true),
            (ContractInvoiceStatus::Generated, false, true, false),
            (ContractInvoiceStatus::Generated, true, false, false),
            (ContractInvoiceStatus::Draft, true, true, false),
            (ContractInvoiceStatus::Cancelled, true, true, false),
        ] {
            inv.status = status;
            inv.ready_for_invoice_1 = r1;
            inv.ready_for_invoice_2 = r2;
            assert_eq!(
                is_contract_invoice_ready(&inv),
                ready,
                "{status:?} {r1} {r2}"
            );
            assert_eq!(
                contract_invoice_eligibility(&inv, contract, customer, None).is_eligible(),
                ready
            );
        }
    }
}
