//! Canonical records ⇄ QuickBooks Online JSON, field by field.
//!
//! Pure: no host import is called from here, so this module compiles and runs natively (unit
//! tests, benchmarks) exactly as it does inside the plugin.
//!
//! * [`qbo`]: Intuit's entities and envelopes as serde types, named as the XSDs name them;
//! * [`amount`]: JSON numbers ⇄ exact decimals (no `f64` anywhere);
//! * [`customer`]: `Customer` ⇄ canonical customer, and the `DisplayName` rules;
//! * [`invoice`]: `Invoice` ⇄ canonical invoice, item and tax-code mapping, job/contract marker;
//! * [`timestamp`]: `xs:dateTime` ⇄ RFC 3339 UTC.

pub mod amount;
pub mod customer;
pub mod invoice;
pub mod qbo;
pub mod timestamp;

pub use amount::Amount;
