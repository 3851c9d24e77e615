//! The conformance suite: one run of named checks against a live connection, proving that a
//! connector does what contract 0.2 asks — typed refusals, versions, idempotent replays,
//! per-record batches, money read back to the cent, paging, delta and rollback.
//!
//! Every call goes through the host's real runtime with the connection's real call context
//! (credentials, HTTP policy, folder), as a transfer does ([`crate::transfer::Transfers::link`]);
//! everything the plugin answers is checked, never trusted. Each area cleans up after itself:
//! what it created is deleted (or voided, or made inactive) where the connector lists
//! `delete`, and what cannot be removed is listed in the report's leftovers.
//!
//! - [`options`]: currency, tax code and rate, account code for the documents the suite
//!   builds; [`records`] builds them and compares read-backs.
//! - [`suite`]: the run's state and every call into the plugin.
//! - one module per area: `basics` (`manifest.valid`, `check.ok`), `customers`, `invoices`,
//!   `paging`, `delta`, `rollback`, `typed_errors` (`errors.typed`); `payments` pays an
//!   invoice at the vendor for the `locked` checks, which the contract cannot do.
//! - [`report`]: verdicts and the report the CLI prints or serializes.

mod basics;
mod customers;
mod delta;
mod invoices;
pub mod options;
mod paging;
mod payments;
mod records;
pub mod report;
mod rollback;
mod suite;
mod typed_errors;

pub use options::{Options, Overrides};
pub use report::{CheckResult, Report, Verdict};

use crate::runtime::Plugin;
use crate::transfer::Link;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// An option is not usable.
    #[error("{0}")]
    Option(String),
    /// The plugin given is not the component the connection runs.
    #[error(
        "connection {connection} runs {pinned} (sha256 {pinned_sha}), not the plugin given ({given}, sha256 {given_sha}); the suite runs a connection's own component only, so its credentials never reach another. Install the plugin (`ledgerlink plugins install`) and make a connection for it, or `ledgerlink connections upgrade {connection}`"
    )]
    NotPinned {
        connection: String,
        pinned: String,
        pinned_sha: String,
        given: String,
        given_sha: String,
    },
}

/// Every check name, in the order a run reports them.
pub fn check_names() -> Vec<String> {
    let mut names = vec!["manifest.valid".to_owned(), "check.ok".to_owned()];
    names.extend(customers::CHECKS.iter().map(|c| (*c).to_owned()));
    for (_, kind, _, _) in invoices::KINDS {
        names.extend(
            invoices::CHECKS
                .iter()
                .map(|c| format!("invoices.{kind}.{c}")),
        );
    }
    names.extend(
        [
            "paging.customers",
            "delta.since",
            "rollback.delete",
            "errors.typed",
        ]
        .iter()
        .map(|c| (*c).to_owned()),
    );
    names
}

/// Refuse to run `subject` with `link`'s credentials unless it is the component the
/// connection is pinned to.
pub fn ensure_same_component(subject: &Plugin, link: &Link) -> Result<(), ConformanceError> {
    if subject.info().sha256 == link.plugin.info().sha256 {
        return Ok(());
    }
    Err(ConformanceError::NotPinned {
        connection: link.connection.name.clone(),
        pinned: format!(
            "{} {}",
            link.plugin.manifest().name,
            link.plugin.manifest().version
        ),
        pinned_sha: link.plugin.info().sha256.clone(),
        given: format!("{} {}", subject.manifest().name, subject.manifest().version),
        given_sha: subject.info().sha256.clone(),
    })
}

/// Run every check against `link` (a connection, its pinned component and call context).
pub async fn run(link: &Link, options: &Options) -> Report {
    let now = chrono::DateTime::<chrono::Utc>::from(link.ctx.clock.now());
    let tag = run_tag(now.timestamp());
    let today = now.format("%Y-%m-%d").to_string();
    let mut s = suite::Suite::new(&link.plugin, &link.ctx, options, tag.clone(), today);
    basics::run(&mut s, &link.connection.connector).await;
    customers::run(&mut s).await;
    invoices::run(&mut s).await;
    paging::run(&mut s).await;
    delta::run(&mut s).await;
    rollback::run(&mut s).await;
    typed_errors::run(&mut s).await;
    let (checks, leftovers) = s.finish();
    let manifest = link.plugin.manifest();
    Report {
        connector: manifest.name.clone(),
        version: manifest.version.to_string(),
        connection: link.connection.name.clone(),
        tag,
        checks,
        leftovers,
    }
}

/// Six characters (digits and capitals) from the time and 32 random bits, so two runs
/// against one company never share a name or number; short because QuickBooks allows 21
/// characters in a document number.
fn run_tag(seconds: i64) -> String {
    let mut random = [0u8; 4];
    // Without randomness the time alone still separates runs a second apart.
    let _ = getrandom::fill(&mut random);
    let mut n = (u64::from(u32::from_le_bytes(random)) ^ seconds.unsigned_abs()) % 36u64.pow(6);
    let mut tag = [b'0'; 6];
    for slot in tag.iter_mut().rev() {
        let digit = (n % 36) as u8;
        *slot = if digit < 10 {
            b'0' + digit
        } else {
            b'A' + digit - 10
        };
        n /= 36;
    }
    String::from_utf8_lossy(&tag).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_tag_is_six_digits_or_capitals() {
        let tag = run_tag(1_795_000_000);
        assert_eq!(tag.len(), 6);
        assert!(
            tag.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }

    #[test]
    fn check_names_are_stable_and_unique() {
        let names = check_names();
        assert_eq!(names.len(), 31);
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.contains(&"invoices.contract.locked".to_owned()));
    }
}
