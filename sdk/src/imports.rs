//! The one seam between the SDK and the host's imports.
//!
//! Every call the SDK makes to `http`, `config`, `clock`, `files` or `log` goes through this
//! module. Built for `wasm32` it calls the imports wit-bindgen generated from `wit/host.wit`.
//! Built natively (`cargo test` of a connector) it calls the [`FakeHost`] installed on the
//! current thread instead, so a connector's mapping, paging and error handling are unit-tested
//! without wasmtime.
//!
//! wit-bindgen compiles its import functions natively as stubs that panic when called (the
//! `extern` block is `cfg(target_arch = "wasm32")`); they link, so a connector's native tests
//! link, and this seam makes sure they are never called there.
//!
//! [`FakeHost`]: crate::testing::FakeHost

#[cfg(target_arch = "wasm32")]
mod route {
    use crate::bindings::ledgerlink::connector::{clock, config, files, http, log};

    pub(crate) fn http_send(request: &http::Request) -> Result<http::Response, http::HttpError> {
        http::send(request)
    }
    pub(crate) fn config_get(key: &str) -> Option<String> {
        config::get(key)
    }
    pub(crate) fn config_all() -> Vec<(String, String)> {
        config::all()
    }
    pub(crate) fn clock_now() -> String {
        clock::now()
    }
    pub(crate) fn files_read(path: &str) -> Result<Vec<u8>, files::FileError> {
        files::read(path)
    }
    pub(crate) fn files_write(path: &str, contents: &[u8]) -> Result<(), files::FileError> {
        files::write(path, contents)
    }
    pub(crate) fn files_list_dir(path: &str) -> Result<Vec<String>, files::FileError> {
        files::list_dir(path)
    }
    pub(crate) fn files_exists(path: &str) -> Result<bool, files::FileError> {
        files::exists(path)
    }
    pub(crate) fn files_size(path: &str) -> Result<u64, files::FileError> {
        files::size(path)
    }
    pub(crate) fn files_read_range(
        path: &str,
        offset: u64,
        length: u32,
    ) -> Result<Vec<u8>, files::FileError> {
        files::read_range(path, offset, length)
    }
    pub(crate) fn files_compose(
        path: &str,
        pieces: &[files::Piece],
    ) -> Result<(), files::FileError> {
        files::compose(path, pieces)
    }
    pub(crate) fn log_write(level: log::Level, message: &str) {
        log::write(level, message);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod route {
    use crate::bindings::ledgerlink::connector::{files, http, log};
    use crate::testing::with_installed;

    pub(crate) fn http_send(request: &http::Request) -> Result<http::Response, http::HttpError> {
        with_installed("http.send", |h| h.http_send(request))
    }
    pub(crate) fn config_get(key: &str) -> Option<String> {
        with_installed("config.get", |h| h.config_get(key))
    }
    pub(crate) fn config_all() -> Vec<(String, String)> {
        with_installed("config.all", |h| h.config_all())
    }
    pub(crate) fn clock_now() -> String {
        with_installed("clock.now", |h| h.clock_now())
    }
    pub(crate) fn files_read(path: &str) -> Result<Vec<u8>, files::FileError> {
        with_installed("files.read", |h| h.files_read(path))
    }
    pub(crate) fn files_write(path: &str, contents: &[u8]) -> Result<(), files::FileError> {
        with_installed("files.write", |h| h.files_write(path, contents))
    }
    pub(crate) fn files_list_dir(path: &str) -> Result<Vec<String>, files::FileError> {
        with_installed("files.list-dir", |h| h.files_list_dir(path))
    }
    pub(crate) fn files_exists(path: &str) -> Result<bool, files::FileError> {
        with_installed("files.exists", |h| h.files_exists(path))
    }
    pub(crate) fn files_size(path: &str) -> Result<u64, files::FileError> {
        with_installed("files.size", |h| h.files_size(path))
    }
    pub(crate) fn files_read_range(
        path: &str,
        offset: u64,
        length: u32,
    ) -> Result<Vec<u8>, files::FileError> {
        with_installed("files.read-range", |h| {
            h.files_read_range(path, offset, length)
        })
    }
    pub(crate) fn files_compose(
        path: &str,
        pieces: &[files::Piece],
    ) -> Result<(), files::FileError> {
        with_installed("files.compose", |h| h.files_compose(path, pieces))
    }
    pub(crate) fn log_write(level: log::Level, message: &str) {
        with_installed("log.write", |h| h.log_write(level, message));
    }
}

pub(crate) use route::*;
