//! `ledgerlink new connector`: a connector crate that builds and loads as it stands, with the
//! mapping left for its author (`src/vendor.rs`), native tests against the SDK's fake host,
//! and a README with the next steps. The files come from `host/templates/connector/`,
//! embedded in the binary.

mod name;
mod templates;

use std::path::{Path, PathBuf};

pub use name::ConnectorName;
pub use templates::render;

/// How the connector's vendor authenticates, written into its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// OAuth 2.0 with PKCE, run by the host.
    OAuth2,
    /// A static API key the host sends in a header.
    ApiKey,
    /// No credentials.
    None,
}

impl Auth {
    /// As written on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Auth::OAuth2 => "oauth2",
            Auth::ApiKey => "api-key",
            Auth::None => "none",
        }
    }
}

/// Where the crate gets `ledgerlink-sdk` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sdk {
    /// A version requirement on the published crate.
    Version(String),
    /// A local checkout of the SDK (its folder, holding its `Cargo.toml`).
    Path(PathBuf),
}

impl Sdk {
    /// The SDK this ledgerlink was built with, as published: `"0.1"` for 0.1.x.
    pub fn published() -> Self {
        let version = env!("CARGO_PKG_VERSION");
        let mut parts = version.split('.');
        let requirement = match (parts.next(), parts.next()) {
            (Some("0"), Some(minor)) => format!("0.{minor}"),
            (Some(major), _) => major.to_owned(),
            _ => version.to_owned(),
        };
        Sdk::Version(requirement)
    }

    /// A local SDK folder, checked to hold the `ledgerlink-sdk` crate and made absolute, so
    /// the generated crate finds it from wherever it is written.
    pub fn local(path: &Path) -> Result<Self, ScaffoldError> {
        let problem = |problem: String| ScaffoldError::SdkPath {
            path: path.to_owned(),
            problem,
        };
        let manifest = std::fs::read_to_string(path.join("Cargo.toml"))
            .map_err(|e| problem(format!("there is no readable Cargo.toml in it ({e})")))?;
        if !manifest.contains("name = \"ledgerlink-sdk\"") {
            return Err(problem(
                "its Cargo.toml is not the ledgerlink-sdk crate's; give the sdk/ folder of a ledgerlink checkout"
                    .to_owned(),
            ));
        }
        let absolute = std::fs::canonicalize(path)
            .map_err(|e| problem(format!("it cannot be resolved ({e})")))?;
        Ok(Sdk::Path(absolute))
    }

    /// The dependency line of the generated `Cargo.toml`.
    pub fn dependency_line(&self) -> String {
        match self {
            Sdk::Version(v) => format!("ledgerlink-sdk = \"{v}\""),
            Sdk::Path(p) => {
                let text = p.to_string_lossy().replace('\\', "/").replace('"', "\\\"");
                format!("ledgerlink-sdk = {{ path = \"{text}\" }}")
            }
        }
    }
}

/// What to write.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The connector's name.
    pub name: ConnectorName,
    /// Its vendor's authentication.
    pub auth: Auth,
    /// Where its SDK comes from.
    pub sdk: Sdk,
}

/// Why the crate was not written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name breaks a rule.
    #[error("{name:?} is not a valid connector name: {problem}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// The folder exists and is not empty.
    #[error(
        "{} already exists and is not empty; nothing was written. Choose another folder with --dir, or move that one away",
        .0.display()
    )]
    Exists(PathBuf),
    /// `--sdk-path` does not lead to the SDK.
    #[error("--sdk-path {}: {problem}", path.display())]
    SdkPath {
        /// The path given.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A file could not be written.
    #[error("could not write {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Write the crate into `dir`, which must not exist or be empty. The files are written into a
/// staging folder beside it and moved into place at once, so a failure leaves nothing behind.
/// Returns the files written, relative to `dir`.
pub fn write(spec: &Spec, dir: &Path) -> Result<Vec<&'static str>, ScaffoldError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ScaffoldError::Io { path, source }
    };
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err(ScaffoldError::Exists(dir.to_owned()));
        }
    } else if dir.exists() {
        return Err(ScaffoldError::Exists(dir.to_owned()));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = parent.join(format!(
        ".{}.ledgerlink-new-{}",
        spec.name.as_str(),
        std::process::id()
    ));
    let result = stage(spec, &staging).and_then(|files| {
        // An empty folder in the way is replaced; a non-empty one was refused above.
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(io(dir))?;
        }
        std::fs::rename(&staging, dir).map_err(io(dir))?;
        Ok(files)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn stage(spec: &Spec, staging: &Path) -> Result<Vec<&'static str>, ScaffoldError> {
    let mut written = Vec::new();
    for (relative, contents) in render(spec) {
        let path = staging.join(relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| ScaffoldError::Io {
                path: folder.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, contents).map_err(|source| ScaffoldError::Io { path, source })?;
        written.push(relative);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(auth: Auth) -> Spec {
        Spec {
            name: ConnectorName::parse("acme").expect("valid"),
            auth,
            sdk: Sdk::Version("0.1".to_owned()),
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        for auth in [Auth::OAuth2, Auth::ApiKey, Auth::None] {
            for (path, text) in render(&spec(auth)) {
                assert!(
                    !text.contains("{{"),
                    "{path} ({auth:?}) has an unfilled placeholder"
                );
            }
        }
    }

    #[test]
    fn the_manifest_follows_auth() {
        let lib = |auth| {
            render(&spec(auth))
                .into_iter()
                .find(|(p, _)| *p == "src/lib.rs")
                .map(|(_, t)| t)
                .unwrap_or_default()
        };
        assert!(lib(Auth::ApiKey).contains(".api_key(API_KEY_HEADER, None)"));
        assert!(lib(Auth::OAuth2).contains(".oauth2(AUTHORIZE_URL, TOKEN_URL, None, SCOPES)"));
        assert!(!lib(Auth::None).contains("API_KEY_HEADER"));
    }

    #[test]
    fn the_sdk_dependency() {
        assert_eq!(
            Sdk::Version("0.1".to_owned()).dependency_line(),
            "ledgerlink-sdk = \"0.1\""
        );
        assert_eq!(
            Sdk::Path(PathBuf::from("/src/ledgerlink/sdk")).dependency_line(),
            "ledgerlink-sdk = { path = \"/src/ledgerlink/sdk\" }"
        );
    }

    #[test]
    fn a_folder_with_files_is_never_overwritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("keep.txt"), "mine").expect("write");
        let e = write(&spec(Auth::None), tmp.path()).expect_err("refused");
        assert!(matches!(e, ScaffoldError::Exists(_)));
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("keep.txt")).expect("kept"),
            "mine"
        );
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        let files = write(&spec(Auth::None), &empty).expect("an empty folder is used");
        assert!(files.contains(&"src/vendor.rs"));
        assert!(empty.join("Cargo.toml").is_file());
    }
}
