//! [`JsonClient`]: a vendor's JSON API, its refusals turned into the contract's error classes.
//!
//! What almost every REST connector writes by hand, once: a base URL, default headers,
//! query strings, JSON bodies, the vendor's idempotency header, and — the part that decides
//! what the host does next — reading a refusal. A 429 is `rate-limited` with the wait the
//! vendor asked for (`Retry-After` in seconds or as an HTTP date). Other 4xx and 5xx answers
//! go through the vendor's [`ErrorTable`]: rows of *status + a pattern in the body → error
//! class + canonical field*, first match wins, and what no row matches gets the class its
//! status means ([`ErrorClass::of_status`]). The vendor's own message is taken from the body
//! when the table says where it is.
//!
//! The client never sleeps and never loops: the host paces requests to the manifest's rate
//! limits and retries 429s and retry-safe requests itself (see the connector guide, "Retries
//! and pacing are the host's"). A 429 that still reaches the connector is reported, with the
//! vendor's wait, as `rate-limited`.
//!
//! ```
//! use ledgerlink_sdk::client::{ErrorTable, JsonClient};
//! use ledgerlink_sdk::error::{ConnectorErrorExt, ErrorClass};
//! use ledgerlink_sdk::testing::{FakeHost, FakeResponse, Method};
//! use ledgerlink_sdk::types::ConnectorError;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Note { id: Option<String>, name: String }
//!
//! fn api() -> JsonClient {
//!     JsonClient::new("https://api.example.com/v1").errors(
//!         ErrorTable::new()
//!             .message_at("/error/message")
//!             .existing_id_at("/error/existing_id")
//!             .rule_at(409, "\"duplicate\"", ErrorClass::Duplicate, "name")
//!             .rule(409, "\"version_conflict\"", ErrorClass::Stale),
//!     )
//! }
//!
//! let host = FakeHost::new();
//! host.respond(Method::Post, "/v1/notes", FakeResponse::json(201, serde_json::json!({"id": "n1", "name": "Hi"})))
//!     .respond(Method::Post, "/v1/notes", FakeResponse::json(409, serde_json::json!({
//!         "error": {"code": "duplicate", "message": "name is taken", "existing_id": "n1"}
//!     })))
//!     .respond(Method::Get, "/v1/notes", FakeResponse::status(429).header("Retry-After", "7"));
//! let _installed = host.install();
//!
//! let note = Note { id: None, name: "Hi".into() };
//! let created: Note = api().post("/notes").json(&note).unwrap().idempotency_key(Some("k-1")).fetch().unwrap();
//! assert_eq!(created.id.as_deref(), Some("n1"));
//! assert_eq!(host.requests()[0].header("Idempotency-Key"), Some("k-1"));
//!
//! let again = api().post("/notes").json(&note).unwrap().send().unwrap_err();
//! assert!(matches!(&again, ConnectorError::Duplicate(d) if d.existing_id.as_deref() == Some("n1")));
//! assert_eq!(again.message(), "the vendor answered 409: name is taken");
//! assert_eq!(again.field(), Some("name"));
//!
//! let throttled = api().get("/notes").query("page", "2").send().unwrap_err();
//! assert!(matches!(throttled, ConnectorError::RateLimited(r) if r.retry_after_ms == Some(7000)));
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ConnectorErrorExt, ErrorClass};
use crate::http::{Method, Request, Response};
use crate::paging::Page;
use crate::types::ConnectorError;

/// One row of an [`ErrorTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorRule {
    status: u16,
    pattern: String,
    class: ErrorClass,
    field: Option<String>,
}

/// How one vendor says no: status + body pattern → error class + field.
///
/// Rows are tried in the order added; a row matches a response with its status whose body
/// contains its pattern (an empty pattern matches every body). A 2xx is never an error; a 429
/// is always `rate-limited`. With no matching row, the status decides
/// ([`ErrorClass::of_status`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorTable {
    rules: Vec<ErrorRule>,
    message_at: Option<String>,
    existing_id_at: Option<String>,
    field_at: Option<String>,
}

impl ErrorTable {
    /// A table with no rows: every status means its default class.
    pub fn new() -> Self {
        Self::default()
    }

    /// A row: `status` with `pattern` in the body is an error of `class`.
    pub fn rule(mut self, status: u16, pattern: &str, class: ErrorClass) -> Self {
        self.rules.push(ErrorRule {
            status,
            pattern: pattern.to_owned(),
            class,
            field: None,
        });
        self
    }

    /// A row naming the canonical field at fault (`"email"`, `"lines[0].amount"`).
    pub fn rule_at(mut self, status: u16, pattern: &str, class: ErrorClass, field: &str) -> Self {
        self.rules.push(ErrorRule {
            status,
            pattern: pattern.to_owned(),
            class,
            field: Some(field.to_owned()),
        });
        self
    }

    /// Where the vendor's human message is in a JSON error body, as a JSON pointer
    /// (`"/error/message"`). Without it, or when the body has none there, the message carries
    /// the body's first 500 characters.
    pub fn message_at(mut self, pointer: &str) -> Self {
        self.message_at = Some(pointer.to_owned());
        self
    }

    /// Where a duplicate's error body names the record already there (a JSON pointer); it
    /// becomes the `duplicate` error's `existing_id`.
    pub fn existing_id_at(mut self, pointer: &str) -> Self {
        self.existing_id_at = Some(pointer.to_owned());
        self
    }

    /// Where the error body names the field at fault (a JSON pointer, `"/error/field"`), for
    /// vendors that say it: the error carries it unless the matching row names one itself.
    /// Vendor field names that differ from the contract's are the row's to translate.
    pub fn field_at(mut self, pointer: &str) -> Self {
        self.field_at = Some(pointer.to_owned());
        self
    }

    /// The error a response means; `None` for a 2xx.
    pub fn classify(&self, response: &Response) -> Option<ConnectorError> {
        let status = response.status();
        if (200..300).contains(&status) {
            return None;
        }
        let body = String::from_utf8_lossy(response.bytes());
        let json: Option<serde_json::Value> = serde_json::from_slice(response.bytes()).ok();
        let at = |pointer: &Option<String>| -> Option<String> {
            let value = json.as_ref()?.pointer(pointer.as_deref()?)?;
            match value {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        };
        let said = at(&self.message_at).unwrap_or_else(|| response.body_snippet());
        let message = format!("the vendor answered {status}: {said}");
        let rule = (status != 429)
            .then(|| {
                self.rules
                    .iter()
                    .find(|r| r.status == status && body.contains(r.pattern.as_str()))
            })
            .flatten();
        let class = rule.map_or(ErrorClass::of_status(status), |r| r.class);
        let mut error = class.error(message, response.retry_after_ms());
        if let ConnectorError::Duplicate(d) = &mut error {
            d.existing_id = at(&self.existing_id_at);
        }
        let field = rule
            .and_then(|r| r.field.clone())
            .or_else(|| at(&self.field_at));
        Some(match field {
            Some(field) => error.at(&field),
            None => error,
        })
    }
}

/// A vendor's JSON API at one base URL.
#[derive(Debug, Clone)]
pub struct JsonClient {
    base: String,
    headers: Vec<(String, String)>,
    errors: ErrorTable,
    idempotency_header: String,
}

impl JsonClient {
    /// A client for the API at `base_url` (`"https://api.example.com/v1"`); paths given to
    /// its calls are appended to it. Sends `Accept: application/json` and, for idempotent
    /// writes, `Idempotency-Key`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base: base_url.into().trim_end_matches('/').to_owned(),
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            errors: ErrorTable::new(),
            idempotency_header: "Idempotency-Key".to_owned(),
        }
    }

    /// A header sent with every call (never `Authorization`: the host adds credentials).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The vendor's error table.
    pub fn errors(mut self, table: ErrorTable) -> Self {
        self.errors = table;
        self
    }

    /// The header the vendor reads idempotency keys from (default `Idempotency-Key`).
    pub fn idempotency_header(mut self, name: &str) -> Self {
        name.clone_into(&mut self.idempotency_header);
        self
    }

    /// A call with any method.
    pub fn call(&self, method: Method, path: &str) -> Call {
        Call {
            client: self.clone(),
            method,
            url: format!("{}{path}", self.base),
            has_query: path.contains('?'),
            headers: Vec::new(),
            body: None,
            idempotency_key: None,
        }
    }

    /// A GET call.
    pub fn get(&self, path: &str) -> Call {
        self.call(Method::Get, path)
    }

    /// A POST call.
    pub fn post(&self, path: &str) -> Call {
        self.call(Method::Post, path)
    }

    /// A PUT call.
    pub fn put(&self, path: &str) -> Call {
        self.call(Method::Put, path)
    }

    /// A PATCH call.
    pub fn patch(&self, path: &str) -> Call {
        self.call(Method::Patch, path)
    }

    /// A DELETE call.
    pub fn delete(&self, path: &str) -> Call {
        self.call(Method::Delete, path)
    }
}

/// One call being built by a [`JsonClient`] (it holds its own copy of the client, so
/// `api().get(…)` chains without a variable).
#[derive(Debug)]
pub struct Call {
    client: JsonClient,
    method: Method,
    url: String,
    has_query: bool,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    idempotency_key: Option<String>,
}

impl Call {
    /// Add a query parameter, percent-encoded.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.url.push(if self.has_query { '&' } else { '?' });
        self.has_query = true;
        self.url.push_str(&encode(key));
        self.url.push('=');
        self.url.push_str(&encode(value));
        self
    }

    /// Add a query parameter when there is a value.
    pub fn query_opt(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Add a header to this call.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Send `value` as the JSON body.
    pub fn json<T: Serialize>(mut self, value: &T) -> Result<Self, ConnectorError> {
        let body = serde_json::to_vec(value).map_err(|e| {
            crate::error::validation(format!("could not encode the request as JSON: {e}"))
        })?;
        self.body = Some(body);
        Ok(self)
    }

    /// Send the record's idempotency key (the host's `idempotency-key`) in the vendor's
    /// idempotency header, which makes the call safe for the host to repeat. `None` leaves
    /// the call as it was (a write without a key is never repeated).
    pub fn idempotency_key(mut self, key: Option<&str>) -> Self {
        self.idempotency_key = key.map(str::to_owned);
        self
    }

    /// Send it. `Ok` only for a 2xx response; anything else is the error the vendor's
    /// [`ErrorTable`] says it is. A request that got no response is the error
    /// [`Request::send`] describes.
    pub fn send(self) -> Result<Response, ConnectorError> {
        let client = &self.client;
        let mut request = Request::new(self.method, self.url);
        for (name, value) in client.headers.iter().chain(&self.headers) {
            request = request.header(name, value);
        }
        if let Some(key) = &self.idempotency_key {
            request = request.header(&client.idempotency_header, key).retry_safe();
        }
        if let Some(body) = self.body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let response = request.send()?;
        match client.errors.classify(&response) {
            Some(error) => Err(error),
            None => Ok(response),
        }
    }

    /// Send it and decode the 2xx response's JSON body.
    pub fn fetch<T: DeserializeOwned>(self) -> Result<T, ConnectorError> {
        self.send()?.json()
    }

    /// Send it and read one page of a cursor-paged list: the items are the array at JSON
    /// pointer `items` (`"/data"`), the next cursor the string at `next` (`"/next_cursor"`);
    /// a missing or `null` cursor marks the last page.
    pub fn fetch_page<T: DeserializeOwned>(
        self,
        items: &str,
        next: &str,
    ) -> Result<Page<T>, ConnectorError> {
        let mut body: serde_json::Value = self.fetch()?;
        let next = body
            .pointer(next)
            .and_then(serde_json::Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let found = body
            .pointer_mut(items)
            .map_or(serde_json::Value::Null, serde_json::Value::take);
        let items = serde_json::from_value(found).map_err(|e| {
            crate::error::transient(format!(
                "the vendor's list is not the JSON expected (items at {items}): {e}"
            ))
        })?;
        Ok(Page { items, next })
    }

    /// As [`fetch`](Call::fetch), with a `not-found` answer as `None`.
    pub fn fetch_optional<T: DeserializeOwned>(self) -> Result<Option<T>, ConnectorError> {
        match self.send() {
            Ok(response) => response.json().map(Some),
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Percent-encode a query component: everything but RFC 3986's unreserved characters.
pub fn encode(component: &str) -> String {
    let mut out = String::with_capacity(component.len());
    for b in component.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::testing::{FakeHost, FakeResponse};

    fn table() -> ErrorTable {
        ErrorTable::new()
            .message_at("/error/message")
            .rule_at(400, "\"field\":\"email\"", ErrorClass::Validation, "email")
            .rule(400, "\"paid\"", ErrorClass::Locked)
            .rule(409, "version", ErrorClass::Stale)
    }

    fn classify(status: u16, body: serde_json::Value) -> ConnectorError {
        let host = FakeHost::new();
        host.respond(Method::Get, "/x", FakeResponse::json(status, body));
        let _g = host.install();
        JsonClient::new("https://v.example")
            .errors(table())
            .get("/x")
            .send()
            .expect_err("refused")
    }

    #[test]
    fn the_first_matching_row_wins_and_names_its_field() {
        let e = classify(
            400,
            serde_json::json!({"error": {"message": "bad e-mail", "field": "email"}}),
        );
        assert!(matches!(e, ConnectorError::Validation(_)));
        assert_eq!(e.field(), Some("email"));
        assert_eq!(e.message(), "the vendor answered 400: bad e-mail");
        let e = classify(400, serde_json::json!({"error": {"code": "paid"}}));
        assert!(matches!(e, ConnectorError::Locked(_)));
        let e = classify(409, serde_json::json!({"error": {"code": "version"}}));
        assert!(matches!(e, ConnectorError::Stale(_)));
    }

    #[test]
    fn the_body_names_the_field_unless_the_row_does() {
        let host = FakeHost::new();
        let body = serde_json::json!({"error": {"message": "not a decimal", "field": "lines[0].quantity"}});
        host.respond(Method::Get, "/x", FakeResponse::json(400, body));
        let _g = host.install();
        let call = |t: ErrorTable| {
            JsonClient::new("https://v.example")
                .errors(t)
                .get("/x")
                .send()
                .expect_err("refused")
        };
        let e = call(ErrorTable::new().field_at("/error/field"));
        assert!(matches!(e, ConnectorError::Validation(_)));
        assert_eq!(e.field(), Some("lines[0].quantity"));
        let e = call(ErrorTable::new().field_at("/error/field").rule_at(
            400,
            "decimal",
            ErrorClass::Validation,
            "quantity",
        ));
        assert_eq!(e.field(), Some("quantity"), "the row's own field wins");
        assert_eq!(
            call(ErrorTable::new()).field(),
            None,
            "no pointer, no field"
        );
    }

    #[test]
    fn without_a_row_the_status_decides_and_the_body_is_quoted() {
        let e = classify(503, serde_json::json!({"oops": 1}));
        assert!(matches!(e, ConnectorError::Transient(_)));
        assert_eq!(e.message(), "the vendor answered 503: {\"oops\":1}");
        assert!(matches!(
            classify(403, serde_json::json!({})),
            ConnectorError::Auth(_)
        ));
    }

    #[test]
    fn retry_after_as_an_http_date_counts_from_the_host_clock() {
        let host = FakeHost::new();
        host.set_now("2026-11-22T01:21:27Z").respond(
            Method::Get,
            "/x",
            FakeResponse::status(429).header("Retry-After", "Sun, 22 Nov 2026 01:21:57 GMT"),
        );
        let _g = host.install();
        let e = JsonClient::new("https://v.example")
            .get("/x")
            .send()
            .expect_err("throttled");
        assert!(matches!(e, ConnectorError::RateLimited(r) if r.retry_after_ms == Some(30_000)));
    }

    #[test]
    fn queries_are_encoded_and_writes_with_a_key_are_retry_safe() {
        let host = FakeHost::new();
        host.respond(
            Method::Put,
            "/v1/c/1",
            FakeResponse::json(200, serde_json::json!({})),
        )
        .respond(
            Method::Get,
            "/v1/c",
            FakeResponse::json(200, serde_json::json!([])),
        );
        let _g = host.install();
        let api = JsonClient::new("https://v.example/v1/").idempotency_header("X-Request-Id");
        let _: serde_json::Value = api
            .get("/c")
            .query("name", "Kea & Co")
            .query_opt("cursor", None)
            .fetch()
            .expect("ok");
        api.put("/c/1")
            .json(&serde_json::json!({"a": 1}))
            .expect("encodes")
            .idempotency_key(Some("k"))
            .send()
            .expect("ok");
        let sent = host.requests();
        assert_eq!(sent[0].url, "https://v.example/v1/c?name=Kea%20%26%20Co");
        assert_eq!(sent[0].query("name").as_deref(), Some("Kea & Co"));
        assert_eq!(sent[1].header("X-Request-Id"), Some("k"));
        assert!(sent[1].retry_safe);
        assert_eq!(sent[1].json(), Some(serde_json::json!({"a": 1})));
    }

    #[test]
    fn a_page_by_json_pointers() {
        let host = FakeHost::new();
        host.respond(
            Method::Get,
            "/c",
            FakeResponse::json(200, serde_json::json!({"data": [1, 2], "next_cursor": "x"})),
        )
        .respond(
            Method::Get,
            "/c",
            FakeResponse::json(200, serde_json::json!({"data": [3], "next_cursor": null})),
        );
        let _g = host.install();
        let api = JsonClient::new("https://v.example");
        let first: Page<u8> = api
            .get("/c")
            .fetch_page("/data", "/next_cursor")
            .expect("page");
        assert_eq!(
            (first.items, first.next.as_deref()),
            (vec![1, 2], Some("x"))
        );
        let last: Page<u8> = api
            .get("/c")
            .fetch_page("/data", "/next_cursor")
            .expect("page");
        assert_eq!((last.items, last.next), (vec![3], None));
    }

    #[test]
    fn not_found_is_none_for_fetch_optional() {
        let host = FakeHost::new();
        host.respond(Method::Get, "/c/9", FakeResponse::status(404));
        let _g = host.install();
        let found: Option<serde_json::Value> = JsonClient::new("https://v.example")
            .get("/c/9")
            .fetch_optional()
            .expect("ok");
        assert_eq!(found, None);
    }
}
