//! Routes: an admin's redirection of a vendor origin to another base URL (a sandbox).
//!
//! The plugin still asks for `https://api.xero.com/...` and the allowlist is still checked
//! against that; only then does the host send the request to the routed base instead. So a
//! plugin runs unchanged against the offline sandbox, and cannot route itself anywhere.

use std::collections::BTreeMap;

use url::Url;

use super::allowlist::{Origin, OriginError};

/// Origin → base URL redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    map: Vec<(Origin, Url)>,
}

/// Why a route is invalid.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The origin is not `scheme://host:port`.
    #[error(transparent)]
    Origin(#[from] OriginError),
    /// The target is not an absolute http(s) URL.
    #[error("route target {target:?} for {origin} is not an absolute http(s) URL")]
    Target {
        /// The origin.
        origin: String,
        /// The target as written.
        target: String,
    },
}

impl Routes {
    /// Parse stored routes (`"https://api.xero.com:443" → "http://127.0.0.1:4000/xero"`).
    pub fn parse(routes: &BTreeMap<String, String>) -> Result<Self, RouteError> {
        let mut map = Vec::new();
        for (origin, target) in routes {
            let o = Origin::parse_entry(origin)?;
            let t = Url::parse(target)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| RouteError::Target {
                    origin: origin.clone(),
                    target: target.clone(),
                })?;
            map.push((o, t));
        }
        Ok(Self { map })
    }

    /// Whether any route is set.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Where `url` is really sent: its path and query appended to the routed base, or `url`
    /// itself when its origin is not routed.
    pub fn apply(&self, url: &Url) -> Url {
        let Some(origin) = Origin::of_url(url) else {
            return url.clone();
        };
        let Some((_, base)) = self.map.iter().find(|(o, _)| *o == origin) else {
            return url.clone();
        };
        let mut routed = base.clone();
        let path = format!("{}{}", base.path().trim_end_matches('/'), url.path());
        routed.set_path(&path);
        routed.set_query(url.query());
        routed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_origin_to_base_keeping_path_and_query() {
        let routes = Routes::parse(&BTreeMap::from([(
            "https://identity.xero.com:443".to_owned(),
            "http://127.0.0.1:4000/xero/identity".to_owned(),
        )]))
        .expect("valid");
        let u = Url::parse("https://identity.xero.com/connect/token?x=1").expect("url");
        assert_eq!(
            routes.apply(&u).as_str(),
            "http://127.0.0.1:4000/xero/identity/connect/token?x=1"
        );
        let other = Url::parse("https://api.xero.com/connections").expect("url");
        assert_eq!(routes.apply(&other), other);
    }

    #[test]
    fn refuses_a_target_that_is_not_a_url() {
        let err = Routes::parse(&BTreeMap::from([(
            "https://api.xero.com:443".to_owned(),
            "sandbox".to_owned(),
        )]))
        .expect_err("bad");
        assert_eq!(
            err.to_string(),
            "route target \"sandbox\" for https://api.xero.com:443 is not an absolute http(s) URL"
        );
    }
}
