//! The 0.1 host imports, forwarding to the current ones. The interfaces did not change
//! between 0.1 and 0.2; only their generated Rust types are distinct.

use super::ledgerlink::connector as v01;
use crate::runtime::bindings::ledgerlink::connector as now;
use crate::runtime::state::CallState;

impl v01::types::Host for CallState {}
impl v01::manifest_types::Host for CallState {}

impl v01::http::Host for CallState {
    async fn send(
        &mut self,
        req: v01::http::Request,
    ) -> wasmtime::Result<Result<v01::http::Response, v01::http::HttpError>> {
        use now::http::Method as M;
        use v01::http::Method as O;
        let method = match req.method {
            O::Get => M::Get,
            O::Post => M::Post,
            O::Put => M::Put,
            O::Patch => M::Patch,
            O::Delete => M::Delete,
            O::Head => M::Head,
        };
        let req = now::http::Request {
            method,
            url: req.url,
            headers: req
                .headers
                .into_iter()
                .map(|h| now::http::Header {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body: req.body,
            retry_safe: req.retry_safe,
        };
        let answer = <CallState as now::http::Host>::send(self, req).await?;
        Ok(match answer {
            Ok(r) => Ok(v01::http::Response {
                status: r.status,
                headers: r
                    .headers
                    .into_iter()
                    .map(|h| v01::http::Header {
                        name: h.name,
                        value: h.value,
                    })
                    .collect(),
                body: r.body,
            }),
            Err(e) => Err({
                use now::http::HttpError as E;
                use v01::http::HttpError as F;
                match e {
                    E::Denied(m) => F::Denied(m),
                    E::Credentials(m) => F::Credentials(m),
                    E::InvalidRequest(m) => F::InvalidRequest(m),
                    E::Timeout(m) => F::Timeout(m),
                    E::TooLarge(m) => F::TooLarge(m),
                    E::Transport(m) => F::Transport(m),
                }
            }),
        })
    }
}

impl v01::log::Host for CallState {
    async fn write(&mut self, level: v01::log::Level, message: String) -> wasmtime::Result<()> {
        use now::log::Level as L;
        use v01::log::Level as O;
        let level = match level {
            O::Trace => L::Trace,
            O::Debug => L::Debug,
            O::Info => L::Info,
            O::Warn => L::Warn,
            O::Error => L::Error,
        };
        <CallState as now::log::Host>::write(self, level, message).await
    }
}

impl v01::config::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        <CallState as now::config::Host>::get(self, key).await
    }

    async fn all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        <CallState as now::config::Host>::all(self).await
    }
}

impl v01::clock::Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<String> {
        <CallState as now::clock::Host>::now(self).await
    }
}

fn file_error(e: now::files::FileError) -> v01::files::FileError {
    use now::files::FileError as E;
    use v01::files::FileError as F;
    match e {
        E::Denied(m) => F::Denied(m),
        E::NotFound(m) => F::NotFound(m),
        E::Io(m) => F::Io(m),
    }
}

impl v01::files::Host for CallState {
    async fn read(
        &mut self,
        path: String,
    ) -> wasmtime::Result<Result<Vec<u8>, v01::files::FileError>> {
        Ok(<CallState as now::files::Host>::read(self, path)
            .await?
            .map_err(file_error))
    }

    async fn write(
        &mut self,
        path: String,
        contents: Vec<u8>,
    ) -> wasmtime::Result<Result<(), v01::files::FileError>> {
        Ok(<CallState as now::files::Host>::write(self, path, contents)
            .await?
            .map_err(file_error))
    }

    async fn list_dir(
        &mut self,
        path: String,
    ) -> wasmtime::Result<Result<Vec<String>, v01::files::FileError>> {
        Ok(<CallState as now::files::Host>::list_dir(self, path)
            .await?
            .map_err(file_error))
    }

    async fn exists(
        &mut self,
        path: String,
    ) -> wasmtime::Result<Result<bool, v01::files::FileError>> {
        Ok(<CallState as now::files::Host>::exists(self, path)
            .await?
            .map_err(file_error))
    }
}
