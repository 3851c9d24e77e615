//! [`ReservedEndpoints`]: URLs only the host may call for a connection — its OAuth token
//! and revocation endpoints. A plugin's request to one of them is refused before anything is
//! sent, and a redirect to one is not followed.
//!
//! Why: the host sends those requests itself (code exchange, refresh, revoke) and their
//! answers carry tokens. Redaction of responses (see [`super::client`]) only catches a
//! credential echoed back byte for byte; it cannot catch one encoded, split, reversed or
//! case-swapped, nor a token the vendor mints fresh in the answer. So the defence is that
//! the plugin never gets such an answer at all.
//!
//! Matching is on scheme, host, port and a normalised path (percent-decoded, lower case,
//! repeated and trailing `/` and `;` parameters removed); sub-paths count too. It cannot know
//! other aliases a vendor may serve the same endpoint under; a plugin can reach only its
//! allowed hosts anyway.

use url::Url;

use super::routes::Routes;

/// One reserved URL and what it is ("OAuth token endpoint").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The URL as the manifest gives it.
    pub url: Url,
    /// What it is, for messages.
    pub what: &'static str,
}

/// The URLs a plugin may not request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservedEndpoints(Vec<Reserved>);

impl ReservedEndpoints {
    /// Reserve `endpoints` (URL text that does not parse is skipped: manifests are
    /// validated before this).
    pub fn new<'a>(endpoints: impl IntoIterator<Item = (&'a str, &'static str)>) -> Self {
        Self(
            endpoints
                .into_iter()
                .filter_map(|(url, what)| Url::parse(url).ok().map(|url| Reserved { url, what }))
                .collect(),
        )
    }

    /// Whether nothing is reserved.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The reserved endpoint `url` (as the plugin asked for it) or `target` (where routes
    /// send it) lands on, if any.
    pub fn hit(&self, url: &Url, target: &Url, routes: &Routes) -> Option<&Reserved> {
        self.0
            .iter()
            .find(|r| same_endpoint(url, &r.url) || same_endpoint(target, &routes.apply(&r.url)))
    }

    /// The reserved endpoint a redirect to `to` would reach (`to` is compared with the
    /// endpoints both as the manifest gives them and as routed).
    pub fn hit_redirect(&self, to: &Url, routes: &Routes) -> Option<&Reserved> {
        self.0
            .iter()
            .find(|r| same_endpoint(to, &r.url) || same_endpoint(to, &routes.apply(&r.url)))
    }
}

/// Whether `url` is `endpoint` or below it.
fn same_endpoint(url: &Url, endpoint: &Url) -> bool {
    let host = |u: &Url| u.host_str().map(str::to_ascii_lowercase);
    if url.scheme() != endpoint.scheme()
        || host(url) != host(endpoint)
        || url.port_or_known_default() != endpoint.port_or_known_default()
    {
        return false;
    }
    let (path, reserved) = (normalise(url.path()), normalise(endpoint.path()));
    path == reserved
        || path
            .strip_prefix(&reserved)
            .is_some_and(|rest| rest.starts_with('/') || reserved.is_empty())
}

fn normalise(path: &str) -> String {
    let decoded = percent_decode(path).to_lowercase();
    decoded
        .split('/')
        .map(|segment| segment.split(';').next().unwrap_or_default())
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .fold(String::new(), |mut out, segment| {
            out.push('/');
            out.push_str(segment);
            out
        })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits: the value fits in a byte.
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'%'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_token_endpoint_is_found_however_it_is_spelled() {
        let reserved = ReservedEndpoints::new([(
            "https://api.example.com/oauth/token",
            "OAuth token endpoint",
        )]);
        let routes = Routes::default();
        for hit in [
            "https://api.example.com/oauth/token",
            "https://API.example.com:443/oauth/token/",
            "https://api.example.com//oauth//token?grant_type=refresh_token",
            "https://api.example.com/OAuth/%74oken",
            "https://api.example.com/oauth/token;x=1",
            "https://api.example.com/oauth/./token",
            "https://api.example.com/oauth/token/introspect",
        ] {
            let u = Url::parse(hit).unwrap();
            assert!(reserved.hit(&u, &u, &routes).is_some(), "{hit}");
        }
        for miss in [
            "https://api.example.com/oauth/tokens",
            "https://api.example.com/api/v1/contacts",
            "http://api.example.com/oauth/token",
            "https://other.example.com/oauth/token",
        ] {
            let u = Url::parse(miss).unwrap();
            assert!(reserved.hit(&u, &u, &routes).is_none(), "{miss}");
        }
    }

    #[test]
    fn a_routed_target_is_compared_with_the_routed_endpoint() {
        let reserved = ReservedEndpoints::new([(
            "https://identity.example.com/connect/token",
            "OAuth token endpoint",
        )]);
        let routes = Routes::parse(&std::collections::BTreeMap::from([
            (
                "https://identity.example.com:443".to_owned(),
                "http://127.0.0.1:4000/identity".to_owned(),
            ),
            (
                "https://api.example.com:443".to_owned(),
                "http://127.0.0.1:4000".to_owned(),
            ),
        ]))
        .unwrap();
        // The plugin asks for an allowed host whose route lands on the token endpoint.
        let asked = Url::parse("https://api.example.com/identity/connect/token").unwrap();
        let target = routes.apply(&asked);
        assert!(reserved.hit(&asked, &target, &routes).is_some());
        let redirect = Url::parse("http://127.0.0.1:4000/identity/connect/token").unwrap();
        assert!(reserved.hit_redirect(&redirect, &routes).is_some());
    }
}
