//! The real vendor origins this sandbox stands in for, and where each is served here.
//!
//! A host routes a connector's requests for, say, `https://identity.xero.com:443` to
//! `<sandbox>/xero/identity`, so a connector runs unchanged against the sandbox.

use std::collections::BTreeMap;

/// Real origin → path prefix under the sandbox's base URL.
pub const ORIGINS: &[(&str, &str)] = &[
    ("https://login.xero.com:443", "/xero"),
    ("https://identity.xero.com:443", "/xero/identity"),
    ("https://api.xero.com:443", "/xero"),
    ("https://appcenter.intuit.com:443", "/qbo"),
    ("https://oauth.platform.intuit.com:443", "/qbo"),
    ("https://developer.api.intuit.com:443", "/qbo"),
    ("https://quickbooks.api.intuit.com:443", "/qbo"),
    ("https://sandbox-quickbooks.api.intuit.com:443", "/qbo"),
    ("https://api.notes.example:443", "/notes"),
];

/// Real origin → base URL in the sandbox at `base_url` ("http://127.0.0.1:PORT").
pub fn routes(base_url: &str) -> BTreeMap<String, String> {
    let base = base_url.trim_end_matches('/');
    ORIGINS
        .iter()
        .map(|(origin, prefix)| ((*origin).to_owned(), format!("{base}{prefix}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_vendor_paths_onto_the_sandbox_layout() {
        let r = routes("http://127.0.0.1:4000/");
        // identity.xero.com/connect/token → /xero/identity/connect/token
        assert_eq!(
            r["https://identity.xero.com:443"],
            "http://127.0.0.1:4000/xero/identity"
        );
        // login.xero.com/identity/connect/authorize → /xero/identity/connect/authorize
        assert_eq!(
            r["https://login.xero.com:443"],
            "http://127.0.0.1:4000/xero"
        );
        // oauth.platform.intuit.com/oauth2/v1/tokens/bearer → /qbo/oauth2/v1/tokens/bearer
        assert_eq!(
            r["https://oauth.platform.intuit.com:443"],
            "http://127.0.0.1:4000/qbo"
        );
    }
}
