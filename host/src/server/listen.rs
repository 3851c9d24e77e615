//! Where the server listens: loopback by default; any other address only over TLS or with
//! an explicit `--insecure-http`, because sign-in passwords, session cookies and API tokens
//! would otherwise cross the network in the clear.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

use super::ServeError;

/// The default address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8750";

/// How long a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server will not listen.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Non-loopback without TLS.
    #[error(
        "refusing to serve plain HTTP on {0}: it is not a loopback address, so passwords, session cookies and API tokens would cross the network unencrypted; pass --tls-cert and --tls-key (PEM) to serve HTTPS, or --insecure-http if a TLS proxy in front of ledgerlink already encrypts the traffic"
    )]
    NotLoopback(SocketAddr),
    /// The certificate or key could not be read.
    #[error("could not read the TLS {what} {path}: {reason}")]
    Pem {
        /// "certificate" or "key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused them.
    #[error("the TLS certificate and key cannot be used together: {0}")]
    Tls(String),
}

/// Refuse a non-loopback `addr` unless it is served over TLS or explicitly insecure.
pub fn check(addr: SocketAddr, tls: bool, insecure_http: bool) -> Result<(), ListenError> {
    if addr.ip().is_loopback() || tls || insecure_http {
        Ok(())
    } else {
        Err(ListenError::NotLoopback(addr))
    }
}

/// The caller's address, as handlers see it (`ConnectInfo<ClientAddr>`).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// A TCP listener that completes each connection's TLS handshake before handing it over.
/// Handshakes run one at a time, each bounded by [`HANDSHAKE_TIMEOUT`].
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = Listener::accept(&mut self.tcp).await;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(stream)).await {
                Ok(Ok(tls)) => return (tls, addr),
                Ok(Err(e)) => tracing::debug!(%addr, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ListenError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let pem = |what, path: &Path, e: &dyn std::fmt::Display| ListenError::Pem {
        what,
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem("certificate", cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem("certificate", cert, &e))?;
    if certs.is_empty() {
        return Err(pem(
            "certificate",
            cert,
            &"it holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem("key", key, &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ListenError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key_der)
    .map_err(|e| ListenError::Tls(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Bind `addr` and serve `app` (over TLS when `tls` names a certificate and key) until
/// `shutdown` completes; requests in flight are finished first. `bound` learns the URL it
/// listens at.
pub async fn serve(
    addr: SocketAddr,
    tls: Option<&(PathBuf, PathBuf)>,
    app: Router,
    bound: impl FnOnce(url::Url),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let acceptor = tls.map(|(c, k)| tls_acceptor(c, k)).transpose()?;
    let tcp = TcpListener::bind(addr).await?;
    let local = tcp.local_addr()?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    if let Ok(url) = url::Url::parse(&format!("{scheme}://{local}")) {
        bound(url);
    }
    let bound = local;
    // The one line a script (and the tests) wait for.
    println!("ledgerlink serve: listening on {scheme}://{bound}");
    tracing::info!(%bound, scheme, "listening");
    match acceptor {
        None => {
            axum::serve(tcp, app.into_make_service_with_connect_info::<ClientAddr>())
                .with_graceful_shutdown(shutdown)
                .await?
        }
        Some(acceptor) => {
            axum::serve(
                TlsListener { tcp, acceptor },
                app.into_make_service_with_connect_info::<ClientAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await?
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn only_loopback_is_served_in_the_clear_unless_asked() {
        assert!(check(addr("127.0.0.1:8750"), false, false).is_ok());
        assert!(check(addr("[::1]:8750"), false, false).is_ok());
        let refused = check(addr("0.0.0.0:8750"), false, false).expect_err("refused");
        assert!(refused.to_string().contains("--tls-cert"), "{refused}");
        assert!(refused.to_string().contains("--insecure-http"), "{refused}");
        assert!(check(addr("0.0.0.0:8750"), true, false).is_ok());
        assert!(check(addr("10.1.2.3:8750"), false, true).is_ok());
    }
}
