//! Which origins (`scheme://host:port`) a plugin may reach.

use std::fmt;

use url::Url;

/// An origin: scheme, host and port, the unit of the allowlist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// Why an allowlist entry is not a valid origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("allowed host {entry:?} is not of the form \"scheme://host:port\": {reason}")]
pub struct OriginError {
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Origin {
    /// Parse a manifest entry. It must be exactly `http(s)://host:port`: explicit port, no
    /// path, query, user info or wildcard, so what is allowed is never a matter of guessing.
    pub fn parse_entry(entry: &str) -> Result<Self, OriginError> {
        let fail = |reason: &str| OriginError {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };
        if entry.contains('*') {
            return Err(fail("wildcards are not allowed; list each host"));
        }
        let url = Url::parse(entry).map_err(|e| fail(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(fail("the scheme must be http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(fail("user info is not allowed"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(fail("a path, query or fragment is not allowed"));
        }
        if !has_explicit_port(entry) {
            return Err(fail("the port must be written explicitly, e.g. \":443\""));
        }
        Self::of_url(&url).ok_or_else(|| fail("it has no host"))
    }

    /// The origin a URL would connect to; `None` for URLs without a host or known port.
    pub fn of_url(url: &Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_ascii_lowercase(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }
}

/// `Url` forgets a default port (":443" on https), so the text itself is checked.
fn has_explicit_port(entry: &str) -> bool {
    let authority = entry.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    });
    authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The set of origins one plugin may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    origins: Vec<Origin>,
}

impl AllowedHosts {
    /// Parse a manifest's `allowed-hosts`; the first bad entry is the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, OriginError> {
        let mut origins = entries
            .iter()
            .map(|e| Origin::parse_entry(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        origins.sort();
        origins.dedup();
        Ok(Self { origins })
    }

    /// Whether `url`'s origin is allowed.
    pub fn allows(&self, url: &Url) -> bool {
        Origin::of_url(url).is_some_and(|o| self.origins.contains(&o))
    }

    /// The origins, sorted.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }
}

impl fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.origins.is_empty() {
            return f.write_str("(none)");
        }
        let list: Vec<String> = self.origins.iter().map(Origin::to_string).collect();
        f.write_str(&list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn matches_scheme_host_and_port_exactly() {
        let allowed = AllowedHosts::parse(&["https://api.xero.com:443"]).expect("valid");
        assert!(allowed.allows(&url("https://api.xero.com/api.xro/2.0/Contacts")));
        assert!(allowed.allows(&url("https://API.Xero.com:443/x")));
        assert!(!allowed.allows(&url("http://api.xero.com/x")));
        assert!(!allowed.allows(&url("https://api.xero.com:8443/x")));
        assert!(!allowed.allows(&url("https://api.xero.com.evil.test/x")));
        assert!(!allowed.allows(&url("https://evil.test/?https://api.xero.com:443")));
    }

    #[test]
    fn refuses_entries_that_would_need_guessing() {
        let cases = [
            (
                "https://*.xero.com:443",
                "wildcards are not allowed; list each host",
            ),
            (
                "https://api.xero.com",
                "the port must be written explicitly, e.g. \":443\"",
            ),
            (
                "https://api.xero.com:443/api",
                "a path, query or fragment is not allowed",
            ),
            ("ftp://files.example:21", "the scheme must be http or https"),
            ("https://user@api.xero.com:443", "user info is not allowed"),
        ];
        for (entry, reason) in cases {
            let err = Origin::parse_entry(entry).expect_err(entry);
            assert_eq!(err.reason, reason, "{entry}");
        }
    }

    #[test]
    fn displays_as_the_manifest_writes_it() {
        let allowed = AllowedHosts::parse(&["https://b.example:443", "http://127.0.0.1:8080"])
            .expect("valid");
        assert_eq!(
            allowed.to_string(),
            "http://127.0.0.1:8080, https://b.example:443"
        );
        assert_eq!(AllowedHosts::default().to_string(), "(none)");
    }
}
