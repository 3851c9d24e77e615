//! Who numbers pushed invoices: Tracker Pro (`keep`, the default) or the target (`target`:
//! the number is left empty for the accounting system's own sequence and Tracker Pro's goes
//! into the reference, for people to find it). The rule is applied to the canonical invoice
//! *before* anything compares or fingerprints it, so what is due is decided on what is
//! sent — a target-numbered invoice is not "changed" on every run.

use crate::model::Invoice;

/// Who numbers pushed invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Numbering {
    /// Keep Tracker Pro's document numbers.
    #[default]
    Keep,
    /// Let the target number them.
    Target,
}

/// `invoice` as it is sent under `numbering`.
pub fn apply(numbering: Numbering, invoice: &mut Invoice) {
    if numbering == Numbering::Target {
        if invoice.reference.is_none() {
            invoice.reference = Some(invoice.number.clone());
        }
        invoice.number.clear();
    }
}
