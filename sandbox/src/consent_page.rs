//! The HTML a browser sees at the authorization endpoint: the consent page
//! and the error page for requests the sandbox refuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// What the consent page shows and posts back.
#[derive(Debug)]
pub(crate) struct Consent<'a> {
    pub(crate) vendor: &'a str,
    pub(crate) client_name: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) tenants: &'a [&'a str],
    pub(crate) redirect_uri: &'a str,
    pub(crate) action: &'a str,
    pub(crate) request_id: &'a str,
}

/// The consent page: a form posting `request_id` and the user's decision
/// to `action`.
pub(crate) fn render_consent(consent: &Consent<'_>) -> Response {
    let scopes: String = consent
        .scope
        .split_whitespace()
        .map(|scope| format!("<li><code>{}</code></li>", escape(scope)))
        .collect();
    let tenants: String = consent
        .tenants
        .iter()
        .map(|tenant| format!("<li>{}</li>", escape(tenant)))
        .collect();
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{vendor} sandbox: authorize {client}</title></head>\n<body>\n\
         <h1>{vendor} sandbox</h1>\n\
         <p><strong>{client}</strong> wants access to:</p>\n<ul>{scopes}</ul>\n\
         <p>It will be connected to:</p>\n<ul>{tenants}</ul>\n\
         <p>You will be sent back to <code>{redirect}</code>.</p>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </form>\n</body>\n</html>\n",
        vendor = escape(consent.vendor),
        client = escape(consent.client_name),
        redirect = escape(consent.redirect_uri),
        action = escape(consent.action),
        request_id = escape(consent.request_id),
    );
    page(StatusCode::OK, body)
}

/// A 400 page saying what is wrong with an authorization request. The
/// sandbox never redirects such a request: its redirect URI may be the
/// thing that is wrong.
pub(crate) fn render_error(vendor: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{vendor} sandbox: authorization error</title></head>\n<body>\n\
         <h1>{vendor} sandbox: this authorization request cannot be processed</h1>\n\
         <p id=\"error\">{message}</p>\n\
         <p>Fix the request in the app that sent you here and start again.</p>\n</body>\n</html>\n",
        vendor = escape(vendor),
        message = escape(message),
    );
    page(StatusCode::BAD_REQUEST, body)
}

fn page(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    // The page carries a request id that approves the request once.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Escapes text for HTML element content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
