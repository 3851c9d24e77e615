//! Starting, controlling and stopping a sandbox.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::faults::FaultScope;
use crate::log::{LogEntry, record};
use crate::profile::Profile;
use crate::state::Core;
use crate::{control, index, notes, quickbooks, xero};

/// A running sandbox. Dropping the handle stops the server (gracefully, in
/// the background); [`SandboxHandle::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct SandboxHandle {
    address: SocketAddr,
    core: Arc<Core>,
    /// Dropping or sending on it begins graceful shutdown.
    stop: Option<oneshot::Sender<()>>,
    /// The server task; `None` once it has been awaited to completion.
    server: Option<JoinHandle<io::Result<()>>>,
}

impl SandboxHandle {
    /// Binds `127.0.0.1:config.port` and starts serving in the background on
    /// the current Tokio runtime.
    pub async fn start(config: SandboxConfig) -> io::Result<SandboxHandle> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let address = listener.local_addr()?;
        let core = Arc::new(Core::new(format!("http://{address}")));
        let app = router(Arc::clone(&core));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // Resolves on send and when the handle is dropped.
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%address, "ledgerlink sandbox listening");
        Ok(SandboxHandle {
            address,
            core,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// [`SandboxHandle::base_url`] followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The address the sandbox listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A human-readable summary: every endpoint's URL and the pre-registered
    /// clients' credentials (the text `GET /` serves).
    pub fn banner(&self) -> String {
        index::banner(&self.base_url())
    }

    /// The real vendor origins this sandbox emulates → their base URLs here.
    pub fn routes(&self) -> std::collections::BTreeMap<String, String> {
        crate::origins::routes(&self.base_url())
    }

    /// Moves the virtual clock forward by `by`; it never moves back.
    pub fn advance_clock(&self, by: Duration) {
        self.core.clock.advance(by);
    }

    /// The sandbox's virtual time: real time plus every advance so far.
    pub fn now(&self) -> SystemTime {
        self.core.clock.now()
    }

    /// Makes the next successful refresh grant of `profile` take full effect
    /// (tokens rotated, counted, logged as `"dropped"`) while its response
    /// breaks off after the headers, as if the network failed.
    pub fn drop_next_refresh(&self, profile: Profile) {
        self.core.store().arm_drop(profile);
    }

    /// Every request so far, oldest first.
    pub fn log(&self) -> Vec<LogEntry> {
        self.core.log.snapshot()
    }

    /// Serves `faults` to the next accounting API requests of `scope` (one
    /// [`crate::Company`], or every company of a [`Profile`]), in order,
    /// before any random draw (see [`crate::Fault`] and [`crate::FaultScope`]).
    pub fn queue_faults(
        &self,
        scope: impl Into<FaultScope>,
        faults: impl IntoIterator<Item = crate::Fault>,
    ) {
        self.core.faults.queue(scope.into(), faults);
    }

    /// Injects random faults into the accounting API requests of `scope` at `rates`.
    pub fn set_fault_rates(&self, scope: impl Into<FaultScope>, rates: crate::FaultRates) {
        self.core.faults.set_rates(scope.into(), rates);
    }

    /// Stops injecting faults into `scope` (a [`Profile`]: into all its companies).
    pub fn clear_faults(&self, scope: impl Into<FaultScope>) {
        self.core.faults.clear(scope.into());
    }

    /// How many faults `scope` (a [`Profile`]: all its companies) has been
    /// served since its company's last reset.
    pub fn faults_injected(&self, scope: impl Into<FaultScope>) -> usize {
        self.core.faults.injected(scope.into())
    }

    /// How many queued faults still wait for requests of `scope` (a
    /// [`Profile`]: its shared queue and all its companies' queues).
    pub fn faults_queued(&self, scope: impl Into<FaultScope>) -> usize {
        self.core.faults.queued(scope.into())
    }

    /// Shortens every rate-limit window by `scale` (60: a minute lasts a second).
    pub fn set_time_scale(&self, scale: u32) {
        self.core.faults.set_time_scale(scale);
    }

    /// Successful refresh grants of `profile` so far, dropped ones included.
    pub fn refresh_count(&self, profile: Profile) -> usize {
        self.core.store().refresh_count(profile)
    }

    /// Waits until the server stops on its own, which it does only on an
    /// I/O error; a CLI awaits this next to its Ctrl-C handler. Safe to
    /// cancel and to call again.
    pub async fn wait(&mut self) -> io::Result<()> {
        let Some(server) = self.server.as_mut() else {
            return Ok(());
        };
        let result = server.await;
        // A JoinHandle must not be polled after it completed.
        self.server = None;
        result.map_err(io::Error::other)?
    }

    /// Stops accepting connections, lets in-flight requests finish, and
    /// waits for the server to stop.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(error) = self.wait().await {
            tracing::warn!(%error, "ledgerlink sandbox stopped with an error");
        }
    }
}

/// Starts a sandbox, prints [`SandboxHandle::banner`] to standard output
/// and serves until the server fails. For `ledgerlink sandbox`; a caller
/// that wants to stop on a signal uses [`SandboxHandle::start`] and
/// [`SandboxHandle::wait`] instead.
pub async fn serve_forever(config: SandboxConfig) -> io::Result<()> {
    let mut sandbox = SandboxHandle::start(config).await?;
    println!("{}", sandbox.banner());
    sandbox.wait().await
}

/// Every route, with the request log around all of them.
fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route("/", get(index::index))
        .merge(xero::routes())
        .merge(xero::accounting::routes())
        .merge(quickbooks::routes())
        .merge(quickbooks::accounting::routes())
        .merge(notes::routes())
        .merge(control::routes())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "not found: see / for the endpoints\n",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&core),
            record,
        ))
        .with_state(core)
}
