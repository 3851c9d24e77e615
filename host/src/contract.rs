//! The contract versions this host loads.
//!
//! A plugin's contract version is read from the name of the interface it exports
//! (`ledgerlink:connector/connector@0.1.0`), which wit-bindgen stamps from the WIT package it
//! was built against, so it cannot disagree with what the plugin really speaks.

use semver::Version;

/// The WIT package every connector implements.
pub const PACKAGE: &str = "ledgerlink:connector";

/// The interface a connector exports, without version.
pub const CONNECTOR_INTERFACE: &str = "ledgerlink:connector/connector";

/// The contract version this host implements (the version in `wit/`).
pub const VERSION: Version = Version::new(0, 1, 0);

/// Why a plugin's contract version cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Incompatible {
    /// Different major version (or minor, before 1.0): the shapes differ.
    #[error(
        "it was built for contract {PACKAGE}@{plugin}, and this ledgerlink loads {PACKAGE}@{host} (compatible: {}); rebuild the plugin against ledgerlink-sdk {}.{}",
        compatible_range(host), host.major, host.minor
    )]
    Breaking {
        /// The plugin's version.
        plugin: Version,
        /// This host's version.
        host: Version,
    },
    /// Same series but newer than this host: it may call functions this host lacks.
    #[error(
        "it was built for contract {PACKAGE}@{plugin}, newer than the {PACKAGE}@{host} this ledgerlink implements; upgrade ledgerlink"
    )]
    Newer {
        /// The plugin's version.
        plugin: Version,
        /// This host's version.
        host: Version,
    },
}

/// The compatibility series of a version: the major, or the minor before 1.0 (semver's caret rule).
fn series(v: &Version) -> (u64, u64) {
    if v.major == 0 {
        (0, v.minor)
    } else {
        (v.major, 0)
    }
}

/// What a host at `host` accepts, e.g. "0.1.x" or "2.x".
fn compatible_range(host: &Version) -> String {
    if host.major == 0 {
        format!("0.{}.x", host.minor)
    } else {
        format!("{}.x", host.major)
    }
}

/// Whether a plugin built for `plugin` can be loaded by this host.
pub fn check(plugin: &Version) -> Result<(), Incompatible> {
    if series(plugin) != series(&VERSION) {
        return Err(Incompatible::Breaking {
            plugin: plugin.clone(),
            host: VERSION,
        });
    }
    if plugin > &VERSION {
        return Err(Incompatible::Newer {
            plugin: plugin.clone(),
            host: VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_version_matches_the_wit_package() {
        let wit = include_str!("../../wit/connector.wit");
        let expected = format!("package {PACKAGE}@{VERSION};");
        assert!(
            wit.starts_with(&expected),
            "wit/connector.wit must start with {expected:?}"
        );
    }

    #[test]
    fn accepts_the_same_series_and_refuses_others() {
        assert_eq!(check(&Version::new(0, 1, 0)), Ok(()));
        let err = check(&Version::new(1, 0, 0)).expect_err("major differs");
        assert_eq!(
            err.to_string(),
            "it was built for contract ledgerlink:connector@1.0.0, and this ledgerlink loads ledgerlink:connector@0.1.0 (compatible: 0.1.x); rebuild the plugin against ledgerlink-sdk 0.1"
        );
        assert!(matches!(
            check(&Version::new(0, 2, 0)),
            Err(Incompatible::Breaking { .. })
        ));
        assert!(matches!(
            check(&Version::new(0, 1, 7)),
            Err(Incompatible::Newer { .. })
        ));
    }
}
