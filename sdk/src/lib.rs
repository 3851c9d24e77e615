//! # ledgerlink-sdk
//!
//! Everything a ledgerlink connector author needs: the [`Connector`] trait, the canonical
//! types of the `ledgerlink:connector` contract, and the [`export_connector!`] macro that
//! turns a type into a plugin; and what connectors would otherwise each write by hand:
//!
//! | module | what |
//! |---|---|
//! | [`canonical`] | the canonical records ⇄ JSON, for vendors whose records are close to the contract's shape |
//! | [`client`] | `JsonClient`: a vendor's JSON API, refusals mapped to error classes by an `ErrorTable`, 429 / `Retry-After` reported as `rate-limited` |
//! | [`paging`] | `collect`: every page of a list within one call, with a page limit and loop detection |
//! | [`decimal`] | strict decimal strings, rounding to cents, serde adapters for decimal strings and JSON numbers |
//! | [`timestamp`] | vendor timestamp and date formats ⇄ the contract's RFC 3339 UTC and `YYYY-MM-DD` |
//! | [`testing`] | `FakeHost`: the host's imports answered by a native unit test (native builds only) |
//! | [`http`], [`config`], [`clock`], [`files`], [`log`] | the host's imports |
//!
//! A connector is a `cdylib` crate built for `wasm32-wasip2`:
//!
//! ```
//! use ledgerlink_sdk::prelude::*;
//!
//! struct Hello;
//!
//! impl Connector for Hello {
//!     fn manifest() -> Manifest {
//!         ManifestBuilder::new("hello", "Hello", env!("CARGO_PKG_VERSION"))
//!             .description("Says hello.")
//!             .build()
//!     }
//! }
//!
//! ledgerlink_sdk::export_connector!(Hello);
//! # fn main() { assert_eq!(<Hello as Connector>::manifest().name, "hello"); }
//! ```
//!
//! Every operation you do not implement answers `unsupported`, naming the operation, so a
//! connector can start with `manifest` alone and grow. See `docs/connector-guide.md`.

#![warn(missing_docs)]

// The bindings refer to this crate by name, also from inside it.
extern crate self as ledgerlink_sdk;

pub mod canonical;
pub mod client;
pub mod decimal;
pub mod error;
pub mod http;
pub mod log;
pub mod manifest;
pub mod paging;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod timestamp;

mod connector;
mod imports;

pub use connector::Connector;
pub use manifest::ManifestBuilder;
pub use rust_decimal::Decimal;

/// The version of the `ledgerlink:connector` contract this SDK builds plugins for.
pub const CONTRACT_VERSION: &str = "0.2.0";

#[doc(hidden)]
pub use wit_bindgen;

/// Bindings generated from `wit/` by wit-bindgen. Use the re-exports at the crate root and in
/// [`types`]; this module is public only so [`export_connector!`] can reach it.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_world",
        default_bindings_module: "ledgerlink_sdk::bindings",
        runtime_path: "ledgerlink_sdk::wit_bindgen::rt",
        // Records are compared in "unchanged" checks and in tests.
        additional_derives: [PartialEq, Eq],
    });
}

/// The canonical model: customers, invoices, pages, results and errors, exactly as the
/// contract defines them. Money and quantities are decimal strings; convert them with
/// [`decimal`](crate::decimal).
pub mod types {
    pub use crate::bindings::exports::ledgerlink::connector::connector::CheckReport;
    pub use crate::bindings::ledgerlink::connector::manifest_types::{
        ApiKey, AuthKind, Capability, Oauth2, PluginManifest as Manifest, RateLimit, Setting,
    };
    pub use crate::bindings::ledgerlink::connector::types::{
        Address, ConnectorError, Customer, CustomerPage, CustomerQuery, CustomerRef,
        DuplicateDetail, ErrorDetail, Invoice, InvoiceKind, InvoiceLine, InvoicePage,
        InvoiceStatus, PushResult, RateLimitDetail, RecordKind, TaxMode, WriteAction, Written,
    };
}

/// This connection's non-secret settings, read from the host.
pub mod config {
    /// One setting's value, or `None` when the connection does not set it.
    pub fn get(key: &str) -> Option<String> {
        crate::imports::config_get(key)
    }

    /// Every setting, as (key, value) pairs sorted by key.
    pub fn all() -> Vec<(String, String)> {
        crate::imports::config_all()
    }
}

/// The host's clock; use it instead of the system time so tests can control time.
pub mod clock {
    /// The current instant as an RFC 3339 UTC timestamp, e.g. "2026-11-22T01:21:27Z".
    /// [`timestamp::Timestamp::now`](crate::timestamp::Timestamp::now) parses it.
    pub fn now() -> String {
        crate::imports::clock_now()
    }
}

/// Files in this connection's own folder. Paths are relative and '/'-separated.
pub mod files {
    pub use crate::bindings::ledgerlink::connector::files::{ByteRange, FileError, Piece};

    /// Read a whole file.
    pub fn read(path: &str) -> Result<Vec<u8>, FileError> {
        crate::imports::files_read(path)
    }

    /// Replace a file's contents atomically, creating parent folders as needed.
    pub fn write(path: &str, contents: &[u8]) -> Result<(), FileError> {
        crate::imports::files_write(path, contents)
    }

    /// Names of the entries of a folder ("" for the connection's folder itself), sorted.
    pub fn list_dir(path: &str) -> Result<Vec<String>, FileError> {
        crate::imports::files_list_dir(path)
    }

    /// Whether a file or folder exists.
    pub fn exists(path: &str) -> Result<bool, FileError> {
        crate::imports::files_exists(path)
    }

    /// The size of a file in bytes.
    pub fn size(path: &str) -> Result<u64, FileError> {
        crate::imports::files_size(path)
    }

    /// The most one [`read_range`] returns (the host refuses more): 16 MiB.
    pub const MAX_RANGE: u32 = 16 * 1024 * 1024;

    /// Up to `length` bytes of a file from `offset` (fewer at its end, none from its end on);
    /// `length` at most [`MAX_RANGE`]. [`Reader`] reads a whole file this way, a part at a time.
    pub fn read_range(path: &str, offset: u64, length: u32) -> Result<Vec<u8>, FileError> {
        crate::imports::files_read_range(path, offset, length)
    }

    /// Replace a file atomically with `pieces` in order: spans of the file as it is now
    /// ([`Piece::Copy`], copied by the host on disk) and new bytes ([`Piece::Bytes`]).
    /// Appending is `[Piece::Copy(ByteRange { offset: 0, length: size }), Piece::Bytes(new)]`.
    /// A span past the file's end is refused ([`FileError::Denied`]) and nothing is written.
    pub fn compose(path: &str, pieces: &[Piece]) -> Result<(), FileError> {
        crate::imports::files_compose(path, pieces)
    }

    /// A file read front to back through [`read_range`], `chunk` bytes a call: a
    /// [`std::io::Read`] for parsers (such as the `csv` crate's reader) that never holds more
    /// than one chunk of the file.
    pub struct Reader {
        path: String,
        offset: u64,
        chunk: u32,
        buffer: Vec<u8>,
        at: usize,
        done: bool,
    }

    impl Reader {
        /// Read `path` from byte `offset` on, `chunk` bytes (at most [`MAX_RANGE`]) a call.
        pub fn new(path: &str, offset: u64, chunk: u32) -> Self {
            Reader {
                path: path.to_owned(),
                offset,
                chunk: chunk.clamp(1, MAX_RANGE),
                buffer: Vec::new(),
                at: 0,
                done: false,
            }
        }
    }

    impl std::io::Read for Reader {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.at == self.buffer.len() {
                if self.done || out.is_empty() {
                    return Ok(0);
                }
                self.buffer = read_range(&self.path, self.offset, self.chunk)
                    .map_err(|e| std::io::Error::other(format!("{}: {e:?}", self.path)))?;
                self.at = 0;
                self.offset += self.buffer.len() as u64;
                if self.buffer.len() < self.chunk as usize {
                    self.done = true;
                }
                if self.buffer.is_empty() {
                    return Ok(0);
                }
            }
            let n = out.len().min(self.buffer.len() - self.at);
            out[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }
}

/// `use ledgerlink_sdk::prelude::*;` brings in what almost every connector uses.
pub mod prelude {
    pub use crate::Connector;
    pub use crate::canonical::{FromJson, ToJson};
    pub use crate::client::{ErrorTable, JsonClient};
    pub use crate::decimal::{self, DecimalField};
    pub use crate::error::{self, ConnectorErrorExt, ErrorClass};
    pub use crate::manifest::ManifestBuilder;
    pub use crate::paging::{self, Page};
    pub use crate::timestamp::{self, Timestamp};
    pub use crate::types::*;
    pub use rust_decimal::Decimal;
}

/// Export a type implementing [`Connector`] as this plugin's `connector` interface.
///
/// Call it once, at the crate root of a `cdylib` connector crate. It exports only when
/// building for `wasm32`: natively (`cargo test`) the contract's export names are not valid
/// linker symbols, and unit tests need your code, not the exports.
#[macro_export]
macro_rules! export_connector {
    ($ty:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::bindings::exports::ledgerlink::connector::connector as __wit;
            use $crate::types as __t;

            #[doc(hidden)]
            struct __LedgerlinkExport;

            impl __wit::Guest for __LedgerlinkExport {
                fn manifest() -> __t::Manifest {
                    <$ty as $crate::Connector>::manifest()
                }
                fn check() -> Result<__t::CheckReport, __t::ConnectorError> {
                    <$ty as $crate::Connector>::check()
                }
                fn pull_customers(
                    since: Option<String>,
                    cursor: Option<String>,
                ) -> Result<__t::CustomerPage, __t::ConnectorError> {
                    <$ty as $crate::Connector>::pull_customers(since, cursor)
                }
                fn find_customers(
                    query: __t::CustomerQuery,
                ) -> Result<Vec<__t::Customer>, __t::ConnectorError> {
                    <$ty as $crate::Connector>::find_customers(query)
                }
                fn push_customers(batch: Vec<__t::Customer>) -> Vec<__t::PushResult> {
                    <$ty as $crate::Connector>::push_customers(batch)
                }
                fn pull_invoices(
                    kind: __t::InvoiceKind,
                    since: Option<String>,
                    cursor: Option<String>,
                ) -> Result<__t::InvoicePage, __t::ConnectorError> {
                    <$ty as $crate::Connector>::pull_invoices(kind, since, cursor)
                }
                fn get_invoices(
                    kind: __t::InvoiceKind,
                    ids: Vec<String>,
                ) -> Result<Vec<__t::Invoice>, __t::ConnectorError> {
                    <$ty as $crate::Connector>::get_invoices(kind, ids)
                }
                fn push_invoices(batch: Vec<__t::Invoice>) -> Vec<__t::PushResult> {
                    <$ty as $crate::Connector>::push_invoices(batch)
                }
                fn delete(kind: __t::RecordKind, id: String) -> Result<(), __t::ConnectorError> {
                    <$ty as $crate::Connector>::delete(kind, id)
                }
            }

            $crate::bindings::__export_plugin_world!(__LedgerlinkExport with_types_in $crate::bindings);
        };
    };
}
