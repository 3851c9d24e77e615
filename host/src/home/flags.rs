//! `ledgerlink home flags set|clear`: force a record into (or out of) the next transfer,
//! as Tracker Pro's "Set Flags" does: both Ready-for-Invoice flags of a job or contract
//! invoice, or a customer's "flagged for integration".
//!
//! The rules only: which flag a kind of record has ([`FlagTarget::of`]) and what to tell
//! the user when a flagged record still will not go ([`job_note`], [`contract_invoice_note`]).
//! Setting it in the store is `transfer::home_book::set_flag`.

use super::eligibility::{is_contract_invoice_ready, is_job_ready};
use super::model::{
    ContractInvoiceStatus, HomeContractInvoice, HomeJob, JobStatus, Named, RecordKind,
};

/// Which flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Both Ready-for-Invoice flags (jobs and contract invoices).
    Ready,
    /// "Flagged for integration" (customers).
    Integration,
}

/// A flag asked of a kind of record that does not have it.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    /// The flag does not exist on that kind of record.
    #[error("{} has no {} flag; {}", kind.singular(), flag_name(*flag), hint(*kind))]
    NotApplicable {
        /// The record's kind.
        kind: RecordKind,
        /// The flag asked for.
        flag: Flag,
    },
}

fn flag_name(f: Flag) -> &'static str {
    match f {
        Flag::Ready => "ready-for-invoice",
        Flag::Integration => "integration",
    }
}

fn hint(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Customer => "use --integration",
        RecordKind::Job | RecordKind::ContractInvoice => "use --ready",
        RecordKind::Contract => "flags are set on its contract invoices",
    }
}

/// The flag a kind of record has.
pub fn default_flag(kind: RecordKind) -> Option<Flag> {
    match kind {
        RecordKind::Customer => Some(Flag::Integration),
        RecordKind::Job | RecordKind::ContractInvoice => Some(Flag::Ready),
        RecordKind::Contract => None,
    }
}

/// The flag of one kind of record that a request sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagTarget {
    /// A customer's "flagged for integration".
    CustomerIntegration,
    /// Both Ready-for-Invoice flags of a job.
    JobReady,
    /// Both Ready-for-Invoice flags of a contract invoice.
    ContractInvoiceReady,
}

impl FlagTarget {
    /// What setting `flag` on a `kind` record means; an error when that kind has no such flag.
    pub fn of(kind: RecordKind, flag: Flag) -> Result<FlagTarget, FlagError> {
        match (kind, flag) {
            (RecordKind::Customer, Flag::Integration) => Ok(FlagTarget::CustomerIntegration),
            (RecordKind::Job, Flag::Ready) => Ok(FlagTarget::JobReady),
            (RecordKind::ContractInvoice, Flag::Ready) => Ok(FlagTarget::ContractInvoiceReady),
            (kind, flag) => Err(FlagError::NotApplicable { kind, flag }),
        }
    }
}

/// For a job whose Ready-for-Invoice flags were just set: why it still does not go in a
/// transfer (it is not closed), if it does not.
pub fn job_note(job: &HomeJob) -> Option<String> {
    (!is_job_ready(job)).then(|| {
        format!(
            "job {} is {}: it goes in a transfer once it is {}",
            job.id,
            job.status.name(),
            JobStatus::Closed.name()
        )
    })
}

/// For a contract invoice whose Ready-for-Invoice flags were just set: why it still does
/// not go in a transfer (it is not generated), if it does not.
pub fn contract_invoice_note(invoice: &HomeContractInvoice) -> Option<String> {
    (!is_contract_invoice_ready(invoice)).then(|| {
        format!(
            "contract invoice {} is {}: it goes in a transfer once it is {}",
            invoice.id,
            invoice.status.name(),
            ContractInvoiceStatus::Generated.name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::test_book::sample_book;

    #[test]
    fn each_kind_has_its_flag_and_no_other() {
        assert_eq!(
            FlagTarget::of(RecordKind::Job, Flag::Ready).expect("jobs have it"),
            FlagTarget::JobReady
        );
        let err = FlagTarget::of(RecordKind::Contract, Flag::Ready).expect_err("no flag");
        assert_eq!(
            err.to_string(),
            "contract has no ready-for-invoice flag; flags are set on its contract invoices"
        );
        let err = FlagTarget::of(RecordKind::Customer, Flag::Ready).expect_err("no flag");
        assert_eq!(
            err.to_string(),
            "customer has no ready-for-invoice flag; use --integration"
        );
    }

    #[test]
    fn a_flagged_job_that_is_not_closed_gets_a_note() {
        let book = sample_book();
        let mut job = book.jobs[0].clone();
        job.ready_for_invoice_1 = true;
        job.ready_for_invoice_2 = true;
        job.status = JobStatus::Closed;
        assert_eq!(job_note(&job), None);
        job.status = JobStatus::Open;
        assert_eq!(
            job_note(&job).as_deref(),
            Some(
                format!(
                    "job {} is open: it goes in a transfer once it is closed",
                    job.id
                )
                .as_str()
            )
        );
    }
}
