//! `ledgerlink home flags set|clear`: force a record into (or out of) the next transfer,
//! as Tracker Pro's "Set Flags" does: both Ready-for-Invoice flags of a job or contract
//! invoice, or a customer's "flagged for integration".

use super::eligibility::{is_contract_invoice_ready, is_job_ready};
use super::model::{ContractInvoiceStatus, JobStatus, Named, RecordKind};
use crate::store::home::{HomeStore, HomeStoreError};

/// Which flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Both Ready-for-Invoice flags (jobs and contract invoices).
    Ready,
    /// "Flagged for integration" (customers).
    Integration,
}

/// Why flags could not be changed.
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
    /// The store failed, or the record does not exist.
    #[error(transparent)]
    Store(#[from] HomeStoreError),
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

/// Set (`on`) or clear a flag of record `id`. Returns a note when the record still will
/// not go (a job that is not closed, a contract invoice that is not generated).
pub fn set_flag(
    store: &HomeStore,
    kind: RecordKind,
    id: &str,
    flag: Flag,
    on: bool,
) -> Result<Option<String>, FlagError> {
    let not_found = || HomeStoreError::NotFound {
        kind,
        id: id.to_owned(),
    };
    match (kind, flag) {
        (RecordKind::Customer, Flag::Integration) => {
            store.set_customer_flagged(id, on)?;
            Ok(None)
        }
        (RecordKind::Job, Flag::Ready) => {
            store.set_job_ready(id, on)?;
            let job = store.job(id)?.ok_or_else(not_found)?;
            Ok((on && !is_job_ready(&job)).then(|| {
                format!(
                    "job {id} is {}: it goes in a transfer once it is {}",
                    job.status.name(),
                    JobStatus::Closed.name()
                )
            }))
        }
        (RecordKind::ContractInvoice, Flag::Ready) => {
            store.set_contract_invoice_ready(id, on)?;
            let inv = store.contract_invoice(id)?.ok_or_else(not_found)?;
            Ok((on && !is_contract_invoice_ready(&inv)).then(|| {
                format!(
                    "contract invoice {id} is {}: it goes in a transfer once it is {}",
                    inv.status.name(),
                    ContractInvoiceStatus::Generated.name()
                )
            }))
        }
        (kind, flag) => Err(FlagError::NotApplicable { kind, flag }),
    }
}
