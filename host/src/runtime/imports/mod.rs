//! The host side of the contract's imports: `http`, `log`, `config`, `clock`, `files`.
//!
//! Each module implements one generated `Host` trait on [`CallState`](super::state::CallState)
//! and does nothing but translate: policy lives in [`crate::net`] and [`crate::files`].

mod clock;
mod config;
mod files;
mod http;
mod log;

use super::bindings::ledgerlink::connector::{manifest_types, types};
use super::state::CallState;

impl types::Host for CallState {}
impl manifest_types::Host for CallState {}
