//! [`Progress`]: how a long transfer tells the person running it how far it got. The sync
//! engine reports; the CLI draws (a progress bar on a terminal, plain lines otherwise).

/// Receives progress of one transfer step.
pub trait Progress: Send + Sync {
    /// A step begins: `what` (e.g. "sending job invoices") over `total` records.
    fn begin(&self, what: &str, total: u64);
    /// `n` more records are done.
    fn advance(&self, n: u64);
    /// The step is over.
    fn finish(&self);
    /// One record of the step ended with `outcome` (`created`, `updated`, `failed`, …: the
    /// words of the run's report), so a screen can show the tally while the step runs.
    fn outcome(&self, _outcome: &str) {}
    /// Something the person running the transfer should know before it goes on (e.g. it
    /// will not fit in the vendor's daily call budget).
    fn note(&self, _text: &str) {}
}

/// Reports nothing (tests, library callers that do not care).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _what: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}
