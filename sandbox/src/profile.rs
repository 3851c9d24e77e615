//! Which vendor an endpoint, a client or a grant belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A vendor whose authorization server and API the sandbox emulates.
///
/// On the wire (control endpoints, the request log) a profile is spelled
/// `"xero"` or `"quickbooks"`; `"qbo"` is accepted as input for QuickBooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Xero: identity server at `/xero/identity/...`, API at `/xero/...`.
    Xero,
    /// QuickBooks Online (Intuit): OAuth at `/qbo/connect/...` and
    /// `/qbo/oauth2/...`, API at `/qbo/v3/...`.
    #[serde(alias = "qbo")]
    QuickBooks,
}

impl Profile {
    /// Every profile, in a fixed order.
    pub const ALL: [Profile; 2] = [Profile::Xero, Profile::QuickBooks];

    /// The path prefix under which this vendor's endpoints are mounted.
    pub fn path_prefix(self) -> &'static str {
        match self {
            Profile::Xero => "/xero",
            Profile::QuickBooks => "/qbo",
        }
    }

    /// The profile whose endpoints `path` belongs to, if any.
    pub fn from_path(path: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|profile| {
            let prefix = profile.path_prefix();
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// The wire name: `"xero"` or `"quickbooks"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Xero => "xero",
            Profile::QuickBooks => "quickbooks",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn path_prefix_matches_whole_segments_only() {
        assert_eq!(Profile::from_path("/xero/connections"), Some(Profile::Xero));
        assert_eq!(Profile::from_path("/qbo"), Some(Profile::QuickBooks));
        assert_eq!(Profile::from_path("/xerox/connections"), None);
        assert_eq!(Profile::from_path("/_sandbox/log"), None);
    }

    #[test]
    fn wire_names_round_trip_and_accept_qbo_alias() {
        assert_eq!(
            serde_json::to_string(&Profile::QuickBooks).unwrap(),
            "\"quickbooks\""
        );
        let parsed: Profile = serde_json::from_str("\"qbo\"").unwrap();
        assert_eq!(parsed, Profile::QuickBooks);
        let parsed: Profile = serde_json::from_str("\"xero\"").unwrap();
        assert_eq!(parsed, Profile::Xero);
    }
}
