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
pub const VERSION: Version = Version::new(0, 2, 0);

/// Every contract version this host loads, newest first: the current one, and each older
/// one bound through a thin module forwarding to it (`runtime::since_v0_1`). The frozen WIT
/// of each older version is in `wit/frozen/<version>/`.
pub const LOADS: &[Version] = &[VERSION, Version::new(0, 1, 0)];

/// Which of the bound contract versions a plugin speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// The current contract (`wit/`).
    Current,
    /// Contract 0.1.x.
    V0_1,
}

/// Why a plugin's contract version cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Incompatible {
    /// A series this host does not bind (another major, or another minor before 1.0).
    #[error(
        "it was built for contract {PACKAGE}@{plugin}, and this ledgerlink loads {PACKAGE}@{host} and the versions it stays compatible with ({}); rebuild the plugin against ledgerlink-sdk {}.{}",
        loaded_ranges(), host.major, host.minor
    )]
    Breaking {
        /// The plugin's version.
        plugin: Version,
        /// This host's version.
        host: Version,
    },
    /// A bound series, but newer than this host: it may call functions this host lacks.
    #[error(
        "it was built for contract {PACKAGE}@{plugin}, newer than the {PACKAGE}@{host} this ledgerlink implements; upgrade ledgerlink"
    )]
    Newer {
        /// The plugin's version.
        plugin: Version,
        /// This host's version of that series.
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

/// What a host at `host` accepts of one series, e.g. "0.1.x" or "2.x".
fn compatible_range(host: &Version) -> String {
    if host.major == 0 {
        format!("0.{}.x", host.minor)
    } else {
        format!("{}.x", host.major)
    }
}

/// Every series this host loads, e.g. "0.2.x, 0.1.x".
fn loaded_ranges() -> String {
    LOADS
        .iter()
        .map(compatible_range)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a plugin built for `plugin` can be loaded by this host, and through which
/// binding.
pub fn check(plugin: &Version) -> Result<Binding, Incompatible> {
    let Some((index, bound)) = LOADS
        .iter()
        .enumerate()
        .find(|(_, v)| series(v) == series(plugin))
    else {
        return Err(Incompatible::Breaking {
            plugin: plugin.clone(),
            host: VERSION,
        });
    };
    if plugin > bound {
        return Err(Incompatible::Newer {
            plugin: plugin.clone(),
            host: bound.clone(),
        });
    }
    Ok(if index == 0 {
        Binding::Current
    } else {
        Binding::V0_1
    })
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
    fn loads_the_current_and_0_1_series_and_refuses_others_naming_both_versions() {
        assert_eq!(check(&Version::new(0, 2, 0)), Ok(Binding::Current));
        assert_eq!(check(&Version::new(0, 1, 0)), Ok(Binding::V0_1));
        let err = check(&Version::new(1, 0, 0)).expect_err("major differs");
        assert_eq!(
            err.to_string(),
            "it was built for contract ledgerlink:connector@1.0.0, and this ledgerlink loads ledgerlink:connector@0.2.0 and the versions it stays compatible with (0.2.x, 0.1.x); rebuild the plugin against ledgerlink-sdk 0.2"
        );
        let err = check(&Version::new(0, 3, 0)).expect_err("minor differs before 1.0");
        assert!(matches!(err, Incompatible::Breaking { .. }));
        assert!(err.to_string().contains("@0.3.0") && err.to_string().contains("@0.2.0"));
        let err = check(&Version::new(0, 2, 7)).expect_err("newer patch of this series");
        assert_eq!(
            err.to_string(),
            "it was built for contract ledgerlink:connector@0.2.7, newer than the ledgerlink:connector@0.2.0 this ledgerlink implements; upgrade ledgerlink"
        );
        assert!(matches!(
            check(&Version::new(0, 1, 7)),
            Err(Incompatible::Newer { .. })
        ));
    }
}
