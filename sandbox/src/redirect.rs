//! Redirect URIs: which ones the sandbox accepts, and the callback URL it
//! sends the browser to.
//!
//! Clients here are native apps (the `ledgerlink` CLI) that receive the
//! callback on a loopback listener with an ephemeral port, so instead of a
//! registered list the sandbox accepts any loopback redirect, as RFC 8252
//! §7.3 asks of authorization servers: `http://127.0.0.1:<any port>/...`,
//! `http://[::1]:<port>/...`, and (RFC 8252 §8.3 discourages it, but both
//! vendors allow it for development) `http://localhost:<port>/...`.

use url::{Host, Url};

/// Why a redirect URI is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedirectError {
    /// Not an absolute URI.
    #[error("redirect_uri is not an absolute URI: {0}")]
    Malformed(String),
    /// Not `http:` (loopback redirects are plain HTTP, RFC 8252 §7.3).
    #[error("redirect_uri must use the http scheme for a loopback redirect, not `{0}`")]
    Scheme(String),
    /// The host is not a loopback address.
    #[error(
        "redirect_uri must point at this machine's loopback interface \
         (http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...)"
    )]
    NotLoopback,
    /// RFC 6749 §3.1.2: the redirection endpoint URI must not include a fragment.
    #[error("redirect_uri must not contain a fragment (#...)")]
    Fragment,
    /// Credentials in a redirect URI would leak into browser history.
    #[error("redirect_uri must not contain a user name or password")]
    UserInfo,
}

/// A redirect URI that passed [`validate`]; keeps the client's exact
/// spelling, which the token request must repeat (RFC 6749 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedirectUri {
    original: String,
    parsed: Url,
}

impl RedirectUri {
    /// The URI exactly as the client sent it.
    pub(crate) fn as_str(&self) -> &str {
        &self.original
    }

    /// The callback URL: this URI with `params` appended to its query
    /// (an existing query is kept, RFC 6749 §3.1.2).
    pub(crate) fn with_params<'a>(
        &self,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> String {
        let mut url = self.parsed.clone();
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
        }
        url.into()
    }
}

/// Accepts `uri` if it is a loopback redirect per RFC 8252.
pub(crate) fn validate(uri: &str) -> Result<RedirectUri, RedirectError> {
    let parsed = Url::parse(uri).map_err(|error| RedirectError::Malformed(error.to_string()))?;
    if parsed.scheme() != "http" {
        return Err(RedirectError::Scheme(parsed.scheme().to_owned()));
    }
    let loopback = match parsed.host() {
        Some(Host::Ipv4(address)) => address.is_loopback(),
        Some(Host::Ipv6(address)) => address.is_loopback(),
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if !loopback {
        return Err(RedirectError::NotLoopback);
    }
    if parsed.fragment().is_some() {
        return Err(RedirectError::Fragment);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(RedirectError::UserInfo);
    }
    Ok(RedirectUri {
        original: uri.to_owned(),
        parsed,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_redirects_on_any_port_and_path() {
        for uri in [
            "http://127.0.0.1:53682/callback",
            "http://127.0.0.1/",
            "http://127.9.9.9:1/x/y",
            "http://[::1]:8080/cb",
            "http://localhost:4000/oauth/callback",
            "http://LOCALHOST:4000/cb?keep=1",
        ] {
            assert!(validate(uri).is_ok(), "{uri}");
        }
    }

    #[test]
    fn refuses_everything_else_with_a_reason() {
        assert_eq!(
            validate("https://127.0.0.1/cb"),
            Err(RedirectError::Scheme("https".into()))
        );
        assert_eq!(
            validate("http://example.com/cb"),
            Err(RedirectError::NotLoopback)
        );
        assert_eq!(
            validate("http://localhost.evil.com/cb"),
            Err(RedirectError::NotLoopback)
        );
        assert_eq!(
            validate("http://10.0.0.1/cb"),
            Err(RedirectError::NotLoopback)
        );
        assert_eq!(
            validate("http://127.0.0.1/cb#frag"),
            Err(RedirectError::Fragment)
        );
        assert_eq!(
            validate("http://me@127.0.0.1/cb"),
            Err(RedirectError::UserInfo)
        );
        assert!(matches!(validate("/cb"), Err(RedirectError::Malformed(_))));
    }

    #[test]
    fn callback_keeps_the_existing_query_and_encodes_values() {
        let uri = validate("http://127.0.0.1:9/cb?keep=1").unwrap();
        assert_eq!(
            uri.with_params([("code", "a b"), ("state", "s&t")]),
            "http://127.0.0.1:9/cb?keep=1&code=a+b&state=s%26t"
        );
        assert_eq!(uri.as_str(), "http://127.0.0.1:9/cb?keep=1");
    }
}
