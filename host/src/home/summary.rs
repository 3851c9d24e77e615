//! Counts for `ledgerlink home show`, computed with the eligibility rules themselves so the
//! numbers always agree with what a transfer would pick up.

use serde::Serialize;

use super::eligibility::{is_contract_invoice_ready, is_job_ready};
use super::model::{ContractInvoiceStatus, HomeBook, JobStatus};

/// Customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CustomerCounts {
    /// All customers.
    pub total: usize,
    /// Active ones.
    pub active: usize,
    /// Flagged for integration (the candidates of a customer transfer).
    pub flagged_for_integration: usize,
}

/// Jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    /// All jobs.
    pub total: usize,
    /// Open.
    pub open: usize,
    /// Closed.
    pub closed: usize,
    /// Cancelled.
    pub cancelled: usize,
    /// Closed with both Ready-for-Invoice flags (the candidates of a job-invoice transfer).
    pub closed_and_ready: usize,
}

/// Contract invoices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContractInvoiceCounts {
    /// All contract invoices.
    pub total: usize,
    /// Draft.
    pub draft: usize,
    /// Generated.
    pub generated: usize,
    /// Cancelled.
    pub cancelled: usize,
    /// Generated with both Ready-for-Invoice flags (the candidates of a contract-invoice
    /// transfer).
    pub ready: usize,
}

/// What the home book holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Customers.
    pub customers: CustomerCounts,
    /// Jobs.
    pub jobs: JobCounts,
    /// Service contracts.
    pub contracts: usize,
    /// Contract invoices.
    pub contract_invoices: ContractInvoiceCounts,
}

/// Count `book`.
pub fn summarize(book: &HomeBook) -> Summary {
    let count = |it: &mut dyn Iterator<Item = bool>| it.filter(|b| *b).count();
    let jobs = &book.jobs;
    let invoices = &book.contract_invoices;
    Summary {
        customers: CustomerCounts {
            total: book.customers.len(),
            active: count(&mut book.customers.iter().map(|c| c.active)),
            flagged_for_integration: count(
                &mut book.customers.iter().map(|c| c.flagged_for_integration),
            ),
        },
        jobs: JobCounts {
            total: jobs.len(),
            open: count(&mut jobs.iter().map(|j| j.status == JobStatus::Open)),
            closed: count(&mut jobs.iter().map(|j| j.status == JobStatus::Closed)),
            cancelled: count(&mut jobs.iter().map(|j| j.status == JobStatus::Cancelled)),
            closed_and_ready: count(&mut jobs.iter().map(is_job_ready)),
        },
        contracts: book.contracts.len(),
        contract_invoices: ContractInvoiceCounts {
            total: invoices.len(),
            draft: count(
                &mut invoices
                    .iter()
                    .map(|i| i.status == ContractInvoiceStatus::Draft),
            ),
            generated: count(
                &mut invoices
                    .iter()
                    .map(|i| i.status == ContractInvoiceStatus::Generated),
            ),
            cancelled: count(
                &mut invoices
                    .iter()
                    .map(|i| i.status == ContractInvoiceStatus::Cancelled),
            ),
            ready: count(&mut invoices.iter().map(is_contract_invoice_ready)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::test_book::sample_book;

    #[test]
    fn the_sample_book_counts() {
        let s = summarize(&sample_book());
        assert_eq!(
            s,
            Summary {
                customers: CustomerCounts {
                    total: 4,
                    active: 3,
                    flagged_for_integration: 3
                },
                jobs: JobCounts {
                    total: 5,
                    open: 1,
                    closed: 3,
                    cancelled: 1,
                    closed_and_ready: 2
                },
                contracts: 1,
                contract_invoices: ContractInvoiceCounts {
                    total: 2,
                    draft: 1,
                    generated: 1,
                    cancelled: 0,
                    ready: 1
                },
            }
        );
    }
}
