//! `ledgerlink serve`: the REST API under `/api/v1`, sign-in and roles, and the job runner
//! that executes transfers started through the API.
//!
//! A surface like `cli/`: every handler calls the same application layer
//! ([`crate::transfer`]) as the CLI, so there is one engine. Module by concern:
//! [`listen`] (which addresses may be bound, TLS), [`problem`] (RFC 9457 errors),
//! [`passwords`] (argon2id, random tokens), [`guard`] (who is calling: session or API token,
//! roles, CSRF, audit), [`support`] (time-limited support access), [`signin`] (sessions
//! and throttling), [`api`] (the endpoints and the
//! OpenAPI document), [`jobs`] (what a job does) and [`runner`] (claiming and running jobs
//! with a lease).

pub mod api;
pub mod guard;
pub mod jobs;
pub mod listen;
pub mod passwords;
pub mod problem;
pub mod runner;
pub mod signin;
pub mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::context::Services;
use crate::runtime::Runtime;
use crate::store::accounts::{Accounts, SessionLimits};
use crate::store::jobs::Jobs;
use crate::transfer::{TransferError, Transfers};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS certificate chain and key (PEM), when serving HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Serve plain HTTP on a non-loopback address anyway.
    pub insecure_http: bool,
    /// Seconds a claimed job's lease lasts without a heartbeat.
    pub job_lease: Duration,
    /// Session lifetimes.
    pub sessions: SessionLimits,
    /// Purge what is older than this at start and once a day (`--retention`).
    pub retention: Option<crate::store::retention::Period>,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address is refused (says why and what to pass).
    #[error(transparent)]
    Listen(#[from] listen::ListenError),
    /// The database could not be opened.
    #[error(transparent)]
    Accounts(#[from] crate::store::accounts::AccountsError),
    /// Serving failed.
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    services: Services,
    runtime: Runtime,
    accounts: Accounts,
    jobs: Jobs,
    tls: bool,
    sessions: SessionLimits,
    /// Woken when a job is queued, so the runner need not wait for its next poll.
    job_queued: tokio::sync::Notify,
    /// Set once the server is shutting down: event streams end, the runner stops.
    stop: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Over these services (the same the CLI builds) and plugin runtime.
    pub fn new(services: Services, runtime: Runtime, tls: bool, sessions: SessionLimits) -> Self {
        let db = services.store.shared_db();
        AppState {
            inner: Arc::new(Inner {
                accounts: Accounts::from_shared(Arc::clone(&db)),
                jobs: Jobs::from_shared(db),
                services,
                runtime,
                tls,
                sessions,
                job_queued: tokio::sync::Notify::new(),
                stop: tokio::sync::watch::Sender::new(false),
            }),
        }
    }

    /// Users, sessions, tokens, audit.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The job queue.
    pub fn jobs(&self) -> &Jobs {
        &self.inner.jobs
    }

    /// The services (connection store, vault, ...).
    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// The application layer, as the CLI builds it for a command.
    pub fn transfers(&self) -> Result<Transfers, TransferError> {
        Transfers::new(self.inner.services.clone(), self.inner.runtime.clone())
    }

    /// Whether the server speaks TLS (session cookies are then `Secure`).
    pub fn tls(&self) -> bool {
        self.inner.tls
    }

    /// Session lifetimes.
    pub fn session_limits(&self) -> SessionLimits {
        self.inner.sessions
    }

    fn job_queued(&self) -> &tokio::sync::Notify {
        &self.inner.job_queued
    }

    /// Becomes true when the server begins to shut down.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.stop.subscribe()
    }
}

/// Run `f`'s future to its end on a blocking-pool thread. The engine's futures (plugin calls
/// through wasmtime, the SQLite handle) are made to be driven by the CLI's `block_on`, not to
/// move between worker threads; driving them here keeps them off the request workers too.
pub async fn on_engine<F, Fut, T>(f: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    match tokio::task::spawn_blocking(move || handle.block_on(f())).await {
        Ok(v) => v,
        // A panic in the engine is a bug; carry it on rather than invent an answer.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Serve until SIGTERM or Ctrl-C: the API and the job runner. A job running at shutdown is
/// stopped and queued again, so the next start resumes it through the outbox's recovery.
pub async fn serve(
    services: Services,
    runtime: Runtime,
    options: ServeOptions,
) -> Result<(), ServeError> {
    listen::check(options.listen, options.tls.is_some(), options.insecure_http)?;
    let state = AppState::new(services, runtime, options.tls.is_some(), options.sessions);
    if state.accounts().user_count()? == 0 {
        eprintln!("{}", guard::NO_USERS);
    }
    let app = api::router(state.clone());
    let runner = tokio::spawn(runner::run(state.clone(), options.job_lease));
    let retention = options
        .retention
        .map(|period| tokio::spawn(runner::retention(state.clone(), period)));
    let stopper = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new requests; a running job is stopped and re-queued");
        stopper.inner.stop.send_replace(true);
    };
    let served = listen::serve(options.listen, options.tls.as_ref(), app, shutdown).await;
    // The runner saw the stop signal; wait for it to re-queue its job.
    let _ = runner.await;
    if let Some(r) = retention {
        let _ = r.await;
    }
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
