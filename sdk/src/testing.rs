//! A fake host for native unit tests: the plugin's imports answered by your test.
//!
//! Built natively (`cargo test`), every call the SDK makes to the host — [`http`](crate::http),
//! [`config`](crate::config), [`clock`](crate::clock), [`files`](crate::files) and
//! [`log`](crate::log) — goes to the [`FakeHost`] installed on the current thread. Register
//! the vendor's answers per method and path, settings, a fixed clock and files; run your
//! connector's code as it is; then read the requests it sent and the lines it logged. No
//! wasmtime, no network: a test of a connector's mapping and paging runs in milliseconds.
//!
//! ```
//! use ledgerlink_sdk::prelude::*;
//! use ledgerlink_sdk::testing::{FakeHost, FakeResponse, Level, Method};
//!
//! // The connector code under test: one page of customers from the vendor.
//! fn customer_names() -> Result<Vec<String>, ConnectorError> {
//!     let base = ledgerlink_sdk::config::get("base-url").unwrap_or_default();
//!     let page: serde_json::Value = ledgerlink_sdk::http::Request::get(format!("{base}/customers?limit=2"))
//!         .send()?
//!         .error_for_status()?
//!         .json()?;
//!     ledgerlink_sdk::log::info("read one page");
//!     Ok(page["data"].as_array().into_iter().flatten()
//!         .filter_map(|c| c["name"].as_str().map(str::to_owned))
//!         .collect())
//! }
//!
//! let host = FakeHost::new();
//! host.set_config("base-url", "https://api.example.com")
//!     .respond(Method::Get, "/customers", FakeResponse::json(200, serde_json::json!({
//!         "data": [{"name": "Harbour Plumbing Ltd"}, {"name": "Kea Electrical"}]
//!     })));
//! let _installed = host.install();
//!
//! assert_eq!(customer_names().unwrap(), ["Harbour Plumbing Ltd", "Kea Electrical"]);
//! let sent = host.requests();
//! assert_eq!(sent[0].path(), "/customers");
//! assert_eq!(sent[0].query("limit").as_deref(), Some("2"));
//! assert_eq!(host.logs(), [(Level::Info, "read one page".to_owned())]);
//! ```
//!
//! Rules, so that a test fails loudly rather than passing by accident:
//!
//! * A route registered without `?` matches the request's path whatever its query; one
//!   written with a query (`"/customers?cursor=2"`) matches that exact path and query.
//!   Routes are tried in the order they were registered.
//! * Answers registered for the same method and route are served in order; the last one
//!   is served again for every later request.
//! * A request no route matches panics, naming the method and URL.
//! * Calling an import with no `FakeHost` installed on the thread panics, naming the import.
//! * The clock reads `2026-01-01T00:00:00Z` until [`FakeHost::set_now`] changes it.
//! * Files behave like the host's: paths are relative and `/`-separated; absolute paths and
//!   `..` are `Denied`, a missing file `NotFound`.
//!
//! Each test runs on its own thread under `cargo test`, so each test installs its own host.
//! This module exists only when building natively.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use crate::bindings::ledgerlink::connector::files::FileError;
use crate::bindings::ledgerlink::connector::http as wit;

pub use crate::bindings::ledgerlink::connector::http::{HttpError, Method};
pub use crate::bindings::ledgerlink::connector::log::Level;

/// What the clock reads until a test sets it.
pub const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

/// A response the fake vendor gives.
#[derive(Debug, Clone)]
pub struct FakeResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl FakeResponse {
    /// A response with `status` and an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A JSON response (`Content-Type: application/json`).
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::status(status)
            .header("Content-Type", "application/json")
            .body(body.to_string().into_bytes())
    }

    /// A plain-text response.
    pub fn text(status: u16, body: &str) -> Self {
        Self::status(status)
            .header("Content-Type", "text/plain")
            .body(body.as_bytes().to_vec())
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replace the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    fn to_wit(&self) -> wit::Response {
        wit::Response {
            status: self.status,
            headers: self
                .headers
                .iter()
                .map(|(name, value)| wit::Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: self.body.clone(),
        }
    }
}

/// A request the connector sent, as the fake host received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: String,
    /// The headers, in the order set.
    pub headers: Vec<(String, String)>,
    /// The body, when any.
    pub body: Option<Vec<u8>>,
    /// Whether the connector marked it safe to repeat.
    pub retry_safe: bool,
}

impl RecordedRequest {
    /// The URL's path ("/customers"), without scheme, host or query.
    pub fn path(&self) -> &str {
        let path_and_query = path_and_query(&self.url);
        path_and_query
            .split_once('?')
            .map_or(path_and_query, |(path, _)| path)
    }

    /// A query parameter, percent-decoded; the first when it repeats.
    pub fn query(&self, key: &str) -> Option<String> {
        let (_, query) = path_and_query(&self.url).split_once('?')?;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(k, _)| percent_decode(k) == key)
            .map(|(_, v)| percent_decode(v))
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; `None` when there is no body or it is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(self.body.as_deref()?).ok()
    }
}

#[derive(Debug, Clone)]
enum Answer {
    Response(FakeResponse),
    Error(HttpError),
}

#[derive(Debug)]
struct Route {
    method: Method,
    path: String,
    answers: VecDeque<Answer>,
}

impl Route {
    fn matches(&self, method: Method, url: &str) -> bool {
        let target = path_and_query(url);
        let target = if self.path.contains('?') {
            target
        } else {
            target.split_once('?').map_or(target, |(path, _)| path)
        };
        self.method == method && self.path == target
    }

    fn next(&mut self) -> Option<Answer> {
        if self.answers.len() > 1 {
            self.answers.pop_front()
        } else {
            self.answers.front().cloned()
        }
    }
}

#[derive(Debug)]
struct State {
    routes: Vec<Route>,
    config: BTreeMap<String, String>,
    now: String,
    files: BTreeMap<String, Vec<u8>>,
    requests: Vec<RecordedRequest>,
    logs: Vec<(Level, String)>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            routes: Vec::new(),
            config: BTreeMap::new(),
            now: DEFAULT_NOW.to_owned(),
            files: BTreeMap::new(),
            requests: Vec::new(),
            logs: Vec::new(),
        }
    }
}

/// The host, played by a test. Cheap to clone: clones share one state.
///
/// Set it up, [`install`](FakeHost::install) it on the test's thread, run the connector's
/// code, then inspect [`requests`](FakeHost::requests), [`logs`](FakeHost::logs) and
/// [`file`](FakeHost::file). Setters take `&self` and return `&Self`, so they chain and also
/// work after installing (to change the clock between two calls, say).
#[derive(Debug, Clone, Default)]
pub struct FakeHost {
    state: Rc<RefCell<State>>,
}

impl FakeHost {
    /// A host with no routes, no settings, no files and the clock at [`DEFAULT_NOW`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer requests with `method` to `path` with `response` (see the module's rules).
    pub fn respond(&self, method: Method, path: &str, response: FakeResponse) -> &Self {
        self.add(method, path, Answer::Response(response))
    }

    /// Fail requests with `method` to `path` without a response, as the host does on a
    /// timeout, a refusal or a transport failure.
    pub fn fail(&self, method: Method, path: &str, error: HttpError) -> &Self {
        self.add(method, path, Answer::Error(error))
    }

    fn add(&self, method: Method, path: &str, answer: Answer) -> &Self {
        let mut state = self.state.borrow_mut();
        match state
            .routes
            .iter_mut()
            .find(|r| r.method == method && r.path == path)
        {
            Some(route) => route.answers.push_back(answer),
            None => state.routes.push(Route {
                method,
                path: path.to_owned(),
                answers: VecDeque::from([answer]),
            }),
        }
        drop(state);
        self
    }

    /// Set a connection setting, as `config::get` will read it.
    pub fn set_config(&self, key: &str, value: &str) -> &Self {
        self.state
            .borrow_mut()
            .config
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// Set what `clock::now` answers (an RFC 3339 UTC timestamp).
    pub fn set_now(&self, now: &str) -> &Self {
        self.state.borrow_mut().now = now.to_owned();
        self
    }

    /// Put a file into the connection's (in-memory) folder.
    pub fn put_file(&self, path: &str, contents: impl Into<Vec<u8>>) -> &Self {
        self.state
            .borrow_mut()
            .files
            .insert(path.to_owned(), contents.into());
        self
    }

    /// A file of the connection's folder, as the connector left it.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        self.state.borrow().files.get(path).cloned()
    }

    /// Every request sent so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.borrow().requests.clone()
    }

    /// Every line logged so far, oldest first.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.state.borrow().logs.clone()
    }

    /// Make this host answer the imports called on the current thread until the returned
    /// guard is dropped (the host installed before, if any, answers again after that).
    #[must_use = "the host is uninstalled when the guard is dropped"]
    pub fn install(&self) -> Installed {
        let previous = INSTALLED.with(|i| i.borrow_mut().replace(self.clone()));
        Installed { previous }
    }

    pub(crate) fn http_send(&self, request: &wit::Request) -> Result<wit::Response, HttpError> {
        let mut state = self.state.borrow_mut();
        state.requests.push(RecordedRequest {
            method: request.method,
            url: request.url.clone(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            body: request.body.clone(),
            retry_safe: request.retry_safe,
        });
        let answer = state
            .routes
            .iter_mut()
            .find(|r| r.matches(request.method, &request.url))
            .and_then(Route::next);
        drop(state);
        match answer {
            Some(Answer::Response(response)) => Ok(response.to_wit()),
            Some(Answer::Error(error)) => Err(error),
            None => panic!(
                "FakeHost: no response registered for {} {}; register one with FakeHost::respond",
                method_name(request.method),
                request.url
            ),
        }
    }

    pub(crate) fn config_get(&self, key: &str) -> Option<String> {
        self.state.borrow().config.get(key).cloned()
    }

    pub(crate) fn config_all(&self) -> Vec<(String, String)> {
        let state = self.state.borrow();
        state
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub(crate) fn clock_now(&self) -> String {
        self.state.borrow().now.clone()
    }

    pub(crate) fn files_read(&self, path: &str) -> Result<Vec<u8>, FileError> {
        check_path(path)?;
        self.file(path)
            .ok_or_else(|| FileError::NotFound(format!("{path}: no such file")))
    }

    pub(crate) fn files_write(&self, path: &str, contents: &[u8]) -> Result<(), FileError> {
        check_path(path)?;
        if path.is_empty() {
            return Err(FileError::Denied(
                "cannot write the folder itself".to_owned(),
            ));
        }
        self.put_file(path, contents);
        Ok(())
    }

    pub(crate) fn files_list_dir(&self, path: &str) -> Result<Vec<String>, FileError> {
        check_path(path)?;
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{}/", path.trim_end_matches('/'))
        };
        let state = self.state.borrow();
        let names: BTreeSet<String> = state
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('/').next())
            .map(str::to_owned)
            .collect();
        if names.is_empty() && !path.is_empty() {
            return Err(FileError::NotFound(format!("{path}: no such folder")));
        }
        Ok(names.into_iter().collect())
    }

    pub(crate) fn files_exists(&self, path: &str) -> Result<bool, FileError> {
        check_path(path)?;
        let folder = format!("{}/", path.trim_end_matches('/'));
        let state = self.state.borrow();
        Ok(path.is_empty()
            || state
                .files
                .keys()
                .any(|k| k == path || k.starts_with(&folder)))
    }

    pub(crate) fn files_size(&self, path: &str) -> Result<u64, FileError> {
        self.files_read(path).map(|bytes| bytes.len() as u64)
    }

    pub(crate) fn files_read_range(
        &self,
        path: &str,
        offset: u64,
        length: u32,
    ) -> Result<Vec<u8>, FileError> {
        if length > crate::files::MAX_RANGE {
            return Err(FileError::Denied(format!(
                "{path}: a range read returns 16 MiB at most"
            )));
        }
        let bytes = self.files_read(path)?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let end = start.saturating_add(length as usize).min(bytes.len());
        Ok(bytes[start..end].to_vec())
    }

    pub(crate) fn files_compose(
        &self,
        path: &str,
        pieces: &[crate::files::Piece],
    ) -> Result<(), FileError> {
        use crate::files::Piece;
        check_path(path)?;
        let current = if pieces.iter().any(|p| matches!(p, Piece::Copy(_))) {
            self.files_read(path)?
        } else {
            Vec::new()
        };
        let mut out = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Copy(range) => {
                    let span = usize::try_from(range.offset)
                        .ok()
                        .zip(usize::try_from(range.length).ok())
                        .and_then(|(start, len)| Some(start..start.checked_add(len)?))
                        .filter(|span| span.end <= current.len());
                    let Some(span) = span else {
                        return Err(FileError::Denied(format!(
                            "{path}: the span of {} bytes from byte {} goes past the file's end ({} bytes); nothing was written",
                            range.length,
                            range.offset,
                            current.len()
                        )));
                    };
                    out.extend_from_slice(&current[span]);
                }
                Piece::Bytes(bytes) => out.extend_from_slice(bytes),
            }
        }
        self.files_write(path, &out)
    }

    pub(crate) fn log_write(&self, level: Level, message: &str) {
        self.state
            .borrow_mut()
            .logs
            .push((level, message.to_owned()));
    }
}

/// Keeps a [`FakeHost`] installed on this thread; dropping it uninstalls the host.
#[derive(Debug)]
pub struct Installed {
    previous: Option<FakeHost>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        INSTALLED.with(|i| *i.borrow_mut() = previous);
    }
}

thread_local! {
    static INSTALLED: RefCell<Option<FakeHost>> = const { RefCell::new(None) };
}

/// Run `f` with the host installed on this thread; `import` names the call for the panic
/// when there is none.
pub(crate) fn with_installed<R>(import: &str, f: impl FnOnce(&FakeHost) -> R) -> R {
    let host = INSTALLED.with(|i| i.borrow().clone());
    match host {
        Some(host) => f(&host),
        None => panic!(
            "the connector called the host import `{import}` natively, with no FakeHost installed on this thread; \
             in the test, create one with `ledgerlink_sdk::testing::FakeHost::new()` and keep the guard of its \
             `install()` alive while the connector's code runs"
        ),
    }
}

/// Refuse what the host refuses: absolute paths, `..` and backslashes.
fn check_path(path: &str) -> Result<(), FileError> {
    if path.starts_with('/') || path.contains('\\') || path.split('/').any(|part| part == "..") {
        return Err(FileError::Denied(format!(
            "{path}: only relative paths inside the connection's folder are allowed"
        )));
    }
    Ok(())
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

/// The path and query of an absolute URL ("https://h/p?q" → "/p?q"); a relative one as is.
fn path_and_query(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Request;

    #[test]
    fn answers_in_order_then_repeats_the_last() {
        let host = FakeHost::new();
        host.respond(Method::Get, "/a", FakeResponse::status(500))
            .respond(Method::Get, "/a", FakeResponse::status(200));
        let _g = host.install();
        let statuses: Vec<u16> = (0..3)
            .map(|_| {
                Request::get("https://x.example/a?page=1")
                    .send()
                    .expect("answered")
                    .status()
            })
            .collect();
        assert_eq!(statuses, [500, 200, 200]);
    }

    #[test]
    fn a_route_with_a_query_matches_only_that_query() {
        let host = FakeHost::new();
        host.respond(Method::Get, "/a?page=2", FakeResponse::status(202))
            .respond(Method::Get, "/a", FakeResponse::status(200));
        let _g = host.install();
        let status = |url: &str| Request::get(url).send().expect("answered").status();
        assert_eq!(status("https://x.example/a?page=2"), 202);
        assert_eq!(status("https://x.example/a?page=3"), 200);
    }

    #[test]
    fn files_behave_like_the_hosts() {
        let host = FakeHost::new();
        host.put_file("out/a.csv", "a").put_file("b.csv", "b");
        let _g = host.install();
        assert_eq!(
            crate::files::list_dir("").expect("lists"),
            ["b.csv".to_owned(), "out".to_owned()]
        );
        assert!(crate::files::exists("out").expect("answers"));
        assert!(matches!(
            crate::files::read("../x"),
            Err(FileError::Denied(_))
        ));
        assert!(matches!(
            crate::files::read("c.csv"),
            Err(FileError::NotFound(_))
        ));
        crate::files::write("out/c.csv", b"c").expect("writes");
        assert_eq!(host.file("out/c.csv").as_deref(), Some(&b"c"[..]));
    }

    #[test]
    fn files_read_in_ranges_and_compose_from_spans() {
        use crate::files::{ByteRange, Piece};
        use std::io::Read;
        let host = FakeHost::new();
        host.put_file("t.csv", "head\nrow1\nrow2\n");
        let _g = host.install();
        assert_eq!(crate::files::size("t.csv").expect("size"), 15);
        assert_eq!(
            crate::files::read_range("t.csv", 5, 4).expect("reads"),
            b"row1"
        );
        assert_eq!(
            crate::files::read_range("t.csv", 13, 9).expect("reads"),
            b"2\n"
        );
        assert!(
            crate::files::read_range("t.csv", 99, 4)
                .expect("reads")
                .is_empty()
        );
        let mut whole = String::new();
        crate::files::Reader::new("t.csv", 0, 4)
            .read_to_string(&mut whole)
            .expect("reads");
        assert_eq!(whole, "head\nrow1\nrow2\n");
        let copy = |offset, length| Piece::Copy(ByteRange { offset, length });
        crate::files::compose(
            "t.csv",
            &[copy(0, 5), Piece::Bytes(b"ROW1\n".to_vec()), copy(10, 5)],
        )
        .expect("composes");
        assert_eq!(
            host.file("t.csv").as_deref(),
            Some(&b"head\nROW1\nrow2\n"[..])
        );
        assert!(matches!(
            crate::files::compose("t.csv", &[copy(10, 6)]),
            Err(FileError::Denied(m)) if m.contains("goes past the file's end (15 bytes)")
        ));
        assert_eq!(
            host.file("t.csv").as_deref(),
            Some(&b"head\nROW1\nrow2\n"[..])
        );
    }

    #[test]
    fn config_and_clock_come_from_the_test() {
        let host = FakeHost::new();
        host.set_config("tenant", "t-1");
        let _g = host.install();
        assert_eq!(crate::config::get("tenant").as_deref(), Some("t-1"));
        assert_eq!(crate::config::get("other"), None);
        assert_eq!(crate::clock::now(), DEFAULT_NOW);
        host.set_now("2026-11-22T01:21:27Z");
        assert_eq!(crate::clock::now(), "2026-11-22T01:21:27Z");
    }

    #[test]
    fn the_guard_uninstalls() {
        let outer = FakeHost::new();
        outer.set_config("who", "outer");
        let _o = outer.install();
        {
            let inner = FakeHost::new();
            inner.set_config("who", "inner");
            let _i = inner.install();
            assert_eq!(crate::config::get("who").as_deref(), Some("inner"));
        }
        assert_eq!(crate::config::get("who").as_deref(), Some("outer"));
    }

    #[test]
    #[should_panic(expected = "no response registered for GET https://x.example/missing")]
    fn an_unregistered_request_panics_naming_it() {
        let host = FakeHost::new();
        let _g = host.install();
        let _ = Request::get("https://x.example/missing").send();
    }
}
