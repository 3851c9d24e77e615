//! TLS to PostgreSQL, with libpq's `sslmode` and `sslrootcert` URL parameters, over rustls.
//!
//! | `sslmode`            | TLS                         | the server's certificate                              |
//! |----------------------|-----------------------------|-------------------------------------------------------|
//! | `disable`            | never                       | —                                                     |
//! | `prefer` (default)   | when the server offers it   | checked against `sslrootcert` if given, else not      |
//! | `require`            | always                      | checked against `sslrootcert` if given, else not      |
//! | `verify-ca`          | always                      | signed by `sslrootcert` (or a public root)            |
//! | `verify-full`        | always                      | as `verify-ca`, and issued for the host in the URL    |
//!
//! This is libpq's reading, root file included ("if a root CA file exists, `require` behaves
//! as `verify-ca`"), so a URL means here what it means to `psql`. Without a verified
//! certificate TLS only keeps the traffic from passive eyes: across a network, use
//! `verify-full` (docs/admin-guide.md, "Running several ledgerlink processes").
//! `sslmode=allow` (plain first, TLS only if the server insists) is refused: the client
//! cannot do it and a silent `prefer` would not be what was asked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// What `sslmode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            "allow" => {
                return Err(
                    "sslmode=allow is not supported (plain first, TLS only when the server insists); use sslmode=prefer, require or verify-full"
                        .to_owned(),
                );
            }
            other => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    /// The name, as in the URL.
    pub(super) fn name(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS settings of a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Settings {
    pub(super) mode: Mode,
    /// `sslrootcert`: PEM file of the certificates to trust.
    pub(super) root_cert: Option<PathBuf>,
}

/// Take `sslmode` and `sslrootcert` out of `url`: the URL left for the `postgres` crate
/// (which reads only three of the five modes), and the settings. `Err` is the problem in
/// words, without the URL (the caller names it, password removed).
pub(super) fn split(url: &str) -> Result<(String, Settings), String> {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Not a URL the `url` crate reads: the `postgres` crate reports why.
        return Ok((
            url.to_owned(),
            Settings {
                mode: Mode::Prefer,
                root_cert: None,
            },
        ));
    };
    let mut mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for (k, v) in parsed.query_pairs() {
        match k.as_ref() {
            "sslmode" => mode = Some(Mode::parse(&v)?),
            "sslrootcert" => root_cert = Some(PathBuf::from(v.as_ref())),
            _ => kept.push((k.into_owned(), v.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((
        parsed.to_string(),
        Settings {
            mode: mode.unwrap_or(Mode::Prefer),
            root_cert,
        },
    ))
}

impl Settings {
    /// The `postgres` crate's mode: whether TLS is tried, and whether it must be had.
    pub(super) fn ssl_mode(&self) -> postgres::config::SslMode {
        match self.mode {
            Mode::Disable => postgres::config::SslMode::Disable,
            Mode::Prefer => postgres::config::SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => postgres::config::SslMode::Require,
        }
    }

    /// The TLS connector, `None` for `disable`. `Err` is the problem in words.
    pub(super) fn connector(&self) -> Result<Option<MakeRustlsConnect>, String> {
        if self.mode == Mode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = match &self.root_cert {
            Some(path) => Some(roots_from(path)?),
            None if matches!(self.mode, Mode::VerifyCa | Mode::VerifyFull) => Some(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            None => None,
        };
        let inner = match roots {
            Some(roots) => Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| format!("the trusted certificates cannot be used: {e}"))?,
            ),
            None => None,
        };
        let verifier = Verifier {
            inner,
            check_name: self.mode == Mode::VerifyFull,
            provider: provider.clone(),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS cannot be set up: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Some(MakeRustlsConnect::new(config)))
    }
}

/// The certificates of the PEM file at `path`.
fn roots_from(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| format!("sslrootcert {shown} could not be read: {e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| format!("sslrootcert {shown} is not PEM: {e}"))?;
        roots.add(cert).map_err(|e| {
            format!("sslrootcert {shown} holds a certificate that cannot be trusted: {e}")
        })?;
    }
    if roots.is_empty() {
        return Err(format!(
            "sslrootcert {shown} holds no certificate (a PEM file of \"BEGIN CERTIFICATE\" blocks is expected)"
        ));
    }
    Ok(roots)
}

/// Checks the server's certificate as the mode says: not at all (`prefer` / `require`
/// without a root file), its chain (`verify-ca`), or its chain and name (`verify-full`).
/// The handshake's signatures are always checked, so the server holds the certificate's key.
#[derive(Debug)]
struct Verifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(inner) = &self.inner else {
            return Ok(ServerCertVerified::assertion());
        };
        match inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_parameters_are_taken_out_and_the_rest_kept() {
        let (url, s) = split(
            "postgres://ll:pw@db.internal:5433/books?application_name=ll&sslmode=verify-full&sslrootcert=%2Fetc%2Fll%2Fca.pem&connect_timeout=5",
        )
        .expect("reads");
        assert_eq!(
            url,
            "postgres://ll:pw@db.internal:5433/books?application_name=ll&connect_timeout=5"
        );
        assert_eq!(
            s,
            Settings {
                mode: Mode::VerifyFull,
                root_cert: Some("/etc/ll/ca.pem".into()),
            }
        );
        let (url, s) = split("postgres://ll@127.0.0.1/books").expect("reads");
        assert_eq!(url, "postgres://ll@127.0.0.1/books");
        assert_eq!(s.mode, Mode::Prefer, "libpq's default");
        let (url, s) = split("postgres://ll@127.0.0.1/books?sslmode=disable").expect("reads");
        assert_eq!(url, "postgres://ll@127.0.0.1/books");
        assert_eq!(s.mode, Mode::Disable);
    }

    #[test]
    fn an_unknown_or_unsupported_mode_is_refused_with_the_accepted_ones() {
        assert_eq!(
            split("postgres://ll@h/b?sslmode=on").expect_err("refused"),
            "sslmode=on is not one of disable, prefer, require, verify-ca, verify-full"
        );
        assert_eq!(
            split("postgres://ll@h/b?sslmode=allow").expect_err("refused"),
            "sslmode=allow is not supported (plain first, TLS only when the server insists); use sslmode=prefer, require or verify-full"
        );
    }

    #[test]
    fn a_root_file_that_is_missing_or_holds_no_certificate_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.pem");
        let s = Settings {
            mode: Mode::VerifyFull,
            root_cert: Some(missing.clone()),
        };
        let err = s.connector().err().expect("refused");
        assert!(
            err.starts_with(&format!(
                "sslrootcert {} could not be read: ",
                missing.display()
            )),
            "{err}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("writes");
        let s = Settings {
            mode: Mode::Require,
            root_cert: Some(empty.clone()),
        };
        assert_eq!(
            s.connector().err().expect("refused"),
            format!(
                "sslrootcert {} holds no certificate (a PEM file of \"BEGIN CERTIFICATE\" blocks is expected)",
                empty.display()
            )
        );
        let plain = Settings {
            mode: Mode::Disable,
            root_cert: Some(missing),
        };
        assert!(plain.connector().expect("no TLS").is_none());
    }

    /// The test cluster's URL (with `host` swapped in) and the certificate it serves, when
    /// `.ci/postgres-cluster` started it with TLS.
    fn tls_cluster(host: &str) -> Option<(String, String)> {
        let admin = std::env::var(crate::store::sql::testing::VARIABLE).ok()?;
        let ca = std::env::var("LEDGERLINK_TEST_DATABASE_CA").ok()?;
        if admin.is_empty() || ca.is_empty() {
            return None;
        }
        let mut url = url::Url::parse(&admin).expect("a URL");
        url.set_host(Some(host)).expect("a host");
        Some((url.to_string(), ca))
    }

    fn transport(url: &str) -> Result<String, String> {
        let db = crate::store::sql::Db::connect_postgres(url).map_err(|e| e.to_string())?;
        db.transport().map_err(|e| e.to_string())
    }

    #[test]
    fn each_sslmode_reaches_the_tls_cluster_as_libpq_would() {
        let Some((by_name, ca)) = tls_cluster("localhost") else {
            eprintln!(
                "skipped: no TLS test cluster (LEDGERLINK_TEST_DATABASE_URL and LEDGERLINK_TEST_DATABASE_CA, set by .ci/postgres-cluster)"
            );
            return;
        };
        let (by_ip, _) = tls_cluster("127.0.0.1").expect("the same cluster");
        let with = |base: &str, query: &str| format!("{base}?{query}");

        // The certificate is issued for "localhost": verified in full by that name.
        let t = transport(&with(
            &by_name,
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ))
        .expect("connects");
        assert!(t.starts_with("TLSv1."), "{t}");
        assert!(
            t.ends_with(", the server's certificate and host name verified (sslmode=verify-full)"),
            "{t}"
        );
        // By another name, verify-full refuses; verify-ca checks the chain only.
        let err = transport(&with(
            &by_ip,
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ))
        .expect_err("refused: the certificate is not for 127.0.0.1");
        assert!(
            err.starts_with("could not connect to PostgreSQL at "),
            "{err}"
        );
        assert!(err.contains("certificate not valid for name"), "{err}");
        assert!(err.contains("sslrootcert"), "the hint: {err}");
        let t = transport(&with(
            &by_ip,
            &format!("sslmode=verify-ca&sslrootcert={ca}"),
        ))
        .expect("connects");
        assert!(
            t.ends_with(
                ", the server's certificate verified, its host name not (sslmode=verify-ca)"
            ),
            "{t}"
        );
        // Without the cluster's own certificate, the public roots do not vouch for it.
        let err = transport(&with(&by_name, "sslmode=verify-full")).expect_err("untrusted");
        assert!(err.contains("UnknownIssuer"), "{err}");
        // require (and prefer, the default) encrypt without checking, as libpq does.
        let t = transport(&with(&by_ip, "sslmode=require")).expect("connects");
        assert!(
            t.ends_with(", the server's certificate NOT verified (sslmode=require)"),
            "{t}"
        );
        let t = transport(&by_ip).expect("connects");
        assert!(
            t.ends_with(", the server's certificate NOT verified (sslmode=prefer)"),
            "{t}"
        );
        assert_eq!(
            transport(&with(&by_ip, "sslmode=disable")).expect("connects"),
            "not encrypted (sslmode=disable)"
        );
    }
}
