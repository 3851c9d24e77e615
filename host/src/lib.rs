//! # ledgerlink
//!
//! The host of ledgerlink: loads WebAssembly connector plugins through the versioned
//! `ledgerlink:connector` WIT contract and runs them under a sandbox (deadline, memory cap,
//! HTTP allowlist, a confined folder). See `docs/architecture.md` for the map.

// Unsafe code is refused except where a SAFETY comment proves it sound (runtime/cache.rs).
#![deny(unsafe_code)]

pub mod admin;
pub mod allocator;
pub mod auth;
pub mod builtin;
pub mod conformance;
pub mod contract;
pub mod files;
pub mod home;
pub mod model;
pub mod net;
pub mod registry;
pub mod runtime;
pub mod scaffold;
pub mod server;
pub mod store;
pub mod sync;
pub mod transfer;
