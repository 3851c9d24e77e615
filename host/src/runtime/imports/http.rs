use crate::net::{NetError, OutboundRequest};
use crate::runtime::bindings::ledgerlink::connector::http::{
    Header, Host, HttpError, Method, Request, Response,
};
use crate::runtime::state::CallState;

impl Host for CallState {
    async fn send(&mut self, req: Request) -> wasmtime::Result<Result<Response, HttpError>> {
        let Some(http) = self.context.http.clone() else {
            return Ok(Err(HttpError::Denied(format!(
                "plugin {} may not make HTTP requests here (no connection is active, e.g. while loading)",
                self.plugin
            ))));
        };
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
        };
        let outbound = OutboundRequest {
            method,
            url: req.url,
            headers: req.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: req.body,
            retry_safe: req.retry_safe,
        };
        // Waiting for the vendor, retries and Retry-After count against the call's budget
        // (pacing waits are given back, up to a cap: see net::budget).
        let budget = self.budget.clone();
        let result = http.send_within(outbound, &budget).await;
        if let Err(e) = &result {
            tracing::warn!(plugin = %self.plugin, "outbound request failed: {e}");
        }
        Ok(result
            .map(|r| Response {
                status: r.status,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(name, value)| Header { name, value })
                    .collect(),
                body: r.body,
            })
            .map_err(|e| match e {
                NetError::NotAllowed { .. }
                | NetError::ForbiddenHeader { .. }
                | NetError::ReservedEndpoint { .. }
                | NetError::RedirectRefused { .. } => HttpError::Denied(e.to_string()),
                NetError::Credentials(_) => HttpError::Credentials(e.to_string()),
                NetError::Invalid { .. } => HttpError::InvalidRequest(e.to_string()),
                NetError::Timeout { .. } => HttpError::Timeout(e.to_string()),
                NetError::TooLarge { .. } => HttpError::TooLarge(e.to_string()),
                NetError::Transport { .. } => HttpError::Transport(e.to_string()),
            }))
    }
}
