//! The only module that calls the host's `http`: Xero requests with the tenant header, and
//! Xero's refusals turned into error classes.
//!
//! Retries and pacing are the host's: reads are retry-safe by method, batch writes carry an
//! `Idempotency-Key` and are marked retry-safe, and the manifest's rate limits tell the host
//! how fast it may call.

use ledgerlink_sdk::http::{Request, Response};
use ledgerlink_sdk::types::ConnectorError;

use crate::errors::request_error;
use crate::settings::Settings;

/// Xero's Accounting API for one connection.
pub struct Api<'a> {
    settings: &'a Settings,
}

impl<'a> Api<'a> {
    /// The API of the organisation in `settings`.
    pub fn new(settings: &'a Settings) -> Self {
        Self { settings }
    }

    fn request(&self, request: Request) -> Request {
        request
            .header("xero-tenant-id", &self.settings.tenant_id)
            .header("Accept", "application/json")
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.settings.api_base,
            path.trim_start_matches('/')
        )
    }

    /// GET `path` (with its query), `If-Modified-Since` when given; a 2xx response or the
    /// error its status means.
    pub fn get(
        &self,
        path: &str,
        if_modified_since: Option<&str>,
    ) -> Result<Response, ConnectorError> {
        let mut request = self.request(Request::get(self.url(path)));
        if let Some(since) = if_modified_since {
            request = request.header("If-Modified-Since", since);
        }
        checked(request.send()?)
    }

    /// POST a JSON `body` with an `Idempotency-Key`, retry-safe. Returns the status and body
    /// of a 2xx or 400 answer (both carry per-record results); any other status is the
    /// error it means.
    pub fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency_key: &str,
    ) -> Result<(u16, Vec<u8>), ConnectorError> {
        self.write(Request::post(self.url(path)), body, idempotency_key)
    }

    /// PUT: like [`Api::post`], but Xero only creates. A POST without the record's id
    /// *updates* an existing record it can match (an invoice by its number, a contact by
    /// its name), so every create goes by PUT: a record whose number or name is taken is
    /// refused, never overwritten.
    pub fn put(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency_key: &str,
    ) -> Result<(u16, Vec<u8>), ConnectorError> {
        self.write(Request::put(self.url(path)), body, idempotency_key)
    }

    fn write(
        &self,
        request: Request,
        body: Vec<u8>,
        idempotency_key: &str,
    ) -> Result<(u16, Vec<u8>), ConnectorError> {
        let response = self
            .request(request)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", idempotency_key)
            .retry_safe()
            .body(body)
            .send()?;
        let status = response.status();
        if status == 400 || (200..300).contains(&status) {
            return Ok((status, response.bytes().to_vec()));
        }
        checked(response).map(|r| (r.status(), r.bytes().to_vec()))
    }
}

/// `Ok` for 2xx; otherwise Xero's refusal classified (400 validation with Xero's messages,
/// 401/403 auth, 404 not-found, 429 rate-limited with `Retry-After`), and the SDK's
/// classification for the rest (5xx transient).
pub fn checked(response: Response) -> Result<Response, ConnectorError> {
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    match request_error(
        status,
        response.retry_after_ms(),
        response.header("X-Rate-Limit-Problem"),
        response.bytes(),
    ) {
        Some(e) => Err(e),
        None => response.error_for_status(),
    }
}

/// `value` percent-encoded for a query string (RFC 3986 unreserved characters kept).
pub use ledgerlink_sdk::client::encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode(r#"Name=="O\"Brien & Co" AND Type=="ACCREC""#),
            "Name%3D%3D%22O%5C%22Brien%20%26%20Co%22%20AND%20Type%3D%3D%22ACCREC%22"
        );
        assert_eq!(encode("Mā"), "M%C4%81");
    }
}
