//! A manifest's facts as the host records them, and what changed between two of them.

use crate::runtime::Manifest;
use crate::runtime::manifest::Auth;
use crate::store::plugins::{AuthFacts, ComponentFacts};

/// The facts of a validated manifest.
pub fn of(manifest: &Manifest) -> ComponentFacts {
    ComponentFacts {
        name: manifest.name.clone(),
        display_name: manifest.display_name.clone(),
        version: manifest.version.to_string(),
        contract: manifest.contract.to_string(),
        capabilities: manifest.capabilities.clone(),
        auth: match &manifest.auth {
            Auth::None => AuthFacts::None,
            Auth::Oauth2 {
                authorize_url,
                token_url,
                revoke_url,
                scopes,
                tenant_discovery,
                callback_params,
            } => AuthFacts::Oauth2 {
                authorize_url: authorize_url.clone(),
                token_url: token_url.clone(),
                revoke_url: revoke_url.clone(),
                scopes: scopes.clone(),
                tenant_discovery: tenant_discovery.clone(),
                callback_params: callback_params.clone(),
            },
            Auth::ApiKey { header, prefix } => AuthFacts::ApiKey {
                header: header.clone(),
                prefix: prefix.clone(),
            },
        },
        allowed_hosts: manifest
            .allowed_hosts
            .origins()
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

/// One difference between the manifest a connection runs and another version's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Change {
    /// What changed: "version", "allowed host", "auth", "authorize URL", "token URL",
    /// "revoke URL", "tenant discovery", "scope", "capability", "callback parameter",
    /// "API key header".
    pub what: &'static str,
    /// The old value, if there was one.
    pub from: Option<String>,
    /// The new value, if there is one.
    pub to: Option<String>,
}

impl Change {
    fn new(what: &'static str, from: Option<&str>, to: Option<&str>) -> Self {
        Self {
            what,
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    /// Whether the change moves where the connection's credentials are sent or obtained
    /// (auth kind, an OAuth endpoint, the API key header), so the stored credentials must
    /// not be reused with the new component.
    pub fn moves_credentials(&self) -> bool {
        matches!(
            self.what,
            "auth" | "authorize URL" | "token URL" | "revoke URL" | "API key header"
        )
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.from, &self.to) {
            (None, Some(to)) => write!(f, "+ {} {to}", self.what),
            (Some(from), None) => write!(f, "- {} {from}", self.what),
            (Some(from), Some(to)) => write!(f, "~ {}: {from} → {to}", self.what),
            (None, None) => write!(f, "~ {}", self.what),
        }
    }
}

/// Every difference from `old` to `new` that matters to what a connection may reach or do.
pub fn diff(old: &ComponentFacts, new: &ComponentFacts) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.version != new.version {
        changes.push(Change::new(
            "version",
            Some(&old.version),
            Some(&new.version),
        ));
    }
    set_diff(
        "allowed host",
        &old.allowed_hosts,
        &new.allowed_hosts,
        &mut changes,
    );
    set_diff(
        "capability",
        &old.capabilities,
        &new.capabilities,
        &mut changes,
    );
    match (&old.auth, &new.auth) {
        (
            AuthFacts::Oauth2 {
                authorize_url: a1,
                token_url: t1,
                revoke_url: r1,
                scopes: s1,
                tenant_discovery: d1,
                callback_params: c1,
            },
            AuthFacts::Oauth2 {
                authorize_url: a2,
                token_url: t2,
                revoke_url: r2,
                scopes: s2,
                tenant_discovery: d2,
                callback_params: c2,
            },
        ) => {
            for (what, from, to) in [
                ("authorize URL", Some(a1), Some(a2)),
                ("token URL", Some(t1), Some(t2)),
                ("revoke URL", r1.as_ref(), r2.as_ref()),
                ("tenant discovery", d1.as_ref(), d2.as_ref()),
            ] {
                if from != to {
                    changes.push(Change::new(
                        what,
                        from.map(String::as_str),
                        to.map(String::as_str),
                    ));
                }
            }
            set_diff("scope", s1, s2, &mut changes);
            set_diff("callback parameter", c1, c2, &mut changes);
        }
        (
            AuthFacts::ApiKey {
                header: h1,
                prefix: p1,
            },
            AuthFacts::ApiKey {
                header: h2,
                prefix: p2,
            },
        ) => {
            if h1 != h2 || p1 != p2 {
                changes.push(Change::new("API key header", Some(h1), Some(h2)));
            }
        }
        (AuthFacts::None, AuthFacts::None) => {}
        (a, b) => changes.push(Change::new("auth", Some(a.kind()), Some(b.kind()))),
    }
    changes
}

fn set_diff(what: &'static str, old: &[String], new: &[String], changes: &mut Vec<Change>) {
    for gone in old.iter().filter(|o| !new.contains(o)) {
        changes.push(Change::new(what, Some(gone), None));
    }
    for added in new.iter().filter(|n| !old.contains(n)) {
        changes.push(Change::new(what, None, Some(added)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(hosts: &[&str], token: &str) -> ComponentFacts {
        ComponentFacts {
            name: "acme".to_owned(),
            display_name: "Acme".to_owned(),
            version: "1.0.0".to_owned(),
            contract: "0.1.0".to_owned(),
            capabilities: vec!["pull-customers".to_owned()],
            auth: AuthFacts::Oauth2 {
                authorize_url: "https://login.acme.example/authorize".to_owned(),
                token_url: token.to_owned(),
                revoke_url: None,
                scopes: vec!["read".to_owned()],
                tenant_discovery: None,
                callback_params: Vec::new(),
            },
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        }
    }

    #[test]
    fn an_added_host_and_a_moved_token_url_are_named() {
        let old = facts(
            &["https://api.acme.example:443"],
            "https://id.acme.example/t",
        );
        let mut new = facts(
            &[
                "https://api.acme.example:443",
                "https://collector.example:443",
            ],
            "https://evil.example/t",
        );
        new.version = "2.0.0".to_owned();
        let changes = diff(&old, &new);
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "~ version: 1.0.0 → 2.0.0",
                "+ allowed host https://collector.example:443",
                "~ token URL: https://id.acme.example/t → https://evil.example/t",
            ]
        );
        assert!(changes.iter().any(Change::moves_credentials));
        assert!(diff(&old, &old).is_empty());
    }
}
