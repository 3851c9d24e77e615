//! `ledgerlink serve`: the REST API under `/api/v1`, sign-in and roles, and the job runner
//! that executes transfers started through the API.
//!
//! A surface like `cli/`: every handler calls the same application layer
//! ([`crate::transfer`]) as the CLI, so there is one engine. Module by concern:
//! [`listen`] (which addresses may be bound, TLS), [`problem`] (RFC 9457 errors),
//! [`passwords`] (argon2id, random tokens), [`guard`] (who is calling: session or API token,
//! roles, CSRF, audit), [`signin`] (sessions and throttling), [`api`] (the endpoints and the
//! OpenAPI document), [`jobs`] (what a job does), [`runner`] (claiming and running jobs
//! with a lease, firing schedules, retention), [`schedules`] (scheduled transfers: cron,
//! the tick) and [`support`] (time-limited support access).

pub mod api;
pub mod authorizations;
pub mod guard;
pub mod jobs;
pub mod listen;
pub mod passwords;
pub mod problem;
pub mod runner;
pub mod schedules;
pub mod signin;
pub mod support;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::context::Services;
use crate::runtime::Runtime;
use crate::store::accounts::{Accounts, SessionLimits};
use crate::store::jobs::Jobs;
use crate::store::schedules::Schedules;
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
    /// The address browsers reach the server at (the OAuth callback is under it); by
    /// default the address it listens on.
    pub public_url: Option<url::Url>,
    /// Run jobs and fire schedules in this process too (false: the API only, and
    /// `ledgerlink worker` processes on the same store do the work).
    pub run_jobs: bool,
    /// Purge what is older than this at start and once a day (`--retention`).
    pub retention: Option<crate::store::retention::Period>,
}

/// What `ledgerlink worker` is given.
#[derive(Debug, Clone)]
pub struct WorkOptions {
    /// Seconds a claimed job's lease lasts without a heartbeat.
    pub job_lease: Duration,
    /// Jobs this process runs at once (each connection still one at a time: the claim
    /// never hands out a job of a connection with one running).
    pub concurrency: usize,
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
    schedules: Schedules,
    tls: bool,
    sessions: SessionLimits,
    /// Woken when a job is queued, so the runner need not wait for its next poll.
    job_queued: tokio::sync::Notify,
    /// Set once the server is shutting down: event streams end, the runner stops.
    stop: tokio::sync::watch::Sender<bool>,
    /// OAuth authorizations begun through the API.
    authorizations: authorizations::Authorizations,
    /// Where browsers reach this server, once known.
    public_url: std::sync::OnceLock<url::Url>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Over these services (the same the CLI builds) and plugin runtime.
    pub fn new(
        services: Services,
        runtime: Runtime,
        tls: bool,
        sessions: SessionLimits,
    ) -> Result<Self, ServeError> {
        let db = services.db();
        Ok(AppState {
            inner: Arc::new(Inner {
                accounts: Accounts::from_db(db.clone()),
                jobs: Jobs::from_db(db.clone()),
                schedules: Schedules::from_db(db),
                services,
                runtime,
                tls,
                sessions,
                job_queued: tokio::sync::Notify::new(),
                stop: tokio::sync::watch::Sender::new(false),
                authorizations: authorizations::Authorizations::default(),
                public_url: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Users, sessions, tokens, audit.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The job queue.
    pub fn jobs(&self) -> &Jobs {
        &self.inner.jobs
    }

    /// Scheduled transfers.
    pub fn schedules(&self) -> &Schedules {
        &self.inner.schedules
    }

    /// The services (connection store, vault, ...).
    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// The application layer, as the CLI builds it for a command.
    pub fn transfers(&self) -> Result<Transfers, TransferError> {
        Transfers::new(self.inner.services.clone(), self.inner.runtime.clone())
    }

    /// The plugin registry over this data folder, as the CLI builds it.
    pub fn registry(&self) -> crate::registry::Registry {
        crate::registry::Registry::new(
            self.inner.services.data.clone(),
            self.inner.runtime.clone(),
            self.inner.services.store.clone(),
        )
    }

    /// OAuth authorizations begun through the API, and pending tenant choices.
    pub fn authorizations(&self) -> &authorizations::Authorizations {
        &self.inner.authorizations
    }

    /// Where browsers reach this server (`None` until it listens, or when it listens on
    /// every interface and no `--public-url` was given).
    pub fn public_url(&self) -> Option<&url::Url> {
        self.inner.public_url.get()
    }

    /// Say where browsers reach this server (the first call wins).
    pub fn set_public_url(&self, url: url::Url) {
        let _ = self.inner.public_url.set(url);
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
    let state = AppState::new(services, runtime, options.tls.is_some(), options.sessions)?;
    if state.accounts().user_count()? == 0 {
        eprintln!("{}", guard::NO_USERS);
    }
    let app = api::router(state.clone());
    let workers = if options.run_jobs {
        start_work(&state, options.job_lease, 1, options.retention)
    } else {
        tracing::info!("jobs are left to `ledgerlink worker` processes (--no-jobs)");
        // Retention is asked of this process, so it runs here even with no jobs.
        options
            .retention
            .map(|period| tokio::spawn(runner::retention(state.clone(), period)))
            .into_iter()
            .collect()
    };
    let stopper = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new requests; a running job is stopped and re-queued");
        stopper.inner.stop.send_replace(true);
    };
    let public = state.clone();
    let bound = move |listening: url::Url| {
        let everywhere = listening.host().is_some_and(|h| {
            matches!(h, url::Host::Ipv4(a) if a.is_unspecified())
                || matches!(h, url::Host::Ipv6(a) if a.is_unspecified())
        });
        match options.public_url {
            Some(url) => public.set_public_url(url),
            // An unspecified address is no address for a browser: connecting then asks
            // for --public-url.
            None if !everywhere => public.set_public_url(listening),
            None => {}
        }
    };
    let served = listen::serve(options.listen, options.tls.as_ref(), app, bound, shutdown).await;
    // The runner stops whether the server was asked to or could not serve at all (a bad
    // certificate, an address in use): otherwise a failed start would never exit. It
    // re-queues a job it had claimed.
    state.inner.stop.send_replace(true);
    for task in workers {
        let _ = task.await;
    }
    served
}

/// `concurrency` job runners and the schedule firer, until the state says stop.
fn start_work(
    state: &AppState,
    lease: Duration,
    concurrency: usize,
    retention: Option<crate::store::retention::Period>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| tokio::spawn(runner::run(state.clone(), lease)))
        .collect();
    tasks.push(tokio::spawn(runner::fire_schedules(state.clone())));
    if let Some(period) = retention {
        tasks.push(tokio::spawn(runner::retention(state.clone(), period)));
    }
    tasks
}

/// Run jobs and fire schedules without serving HTTP (`ledgerlink worker`), until SIGTERM or
/// Ctrl-C, beside any number of `serve` and `worker` processes on the same store: each job is
/// claimed by exactly one of them (a conditional update in the store) and taken over after
/// its lease when its process dies. Jobs running at shutdown are stopped at a record
/// boundary and queued again.
pub async fn work(
    services: Services,
    runtime: Runtime,
    options: WorkOptions,
) -> Result<(), ServeError> {
    // No sessions are served here; the limits are never consulted.
    let limits = SessionLimits {
        idle_secs: 0,
        absolute_secs: 0,
    };
    let state = AppState::new(services, runtime, false, limits)?;
    let tasks = start_work(
        &state,
        options.job_lease,
        options.concurrency,
        options.retention,
    );
    // The one line a script (and the tests) wait for.
    println!(
        "ledgerlink worker: running jobs, {} at a time",
        options.concurrency.max(1)
    );
    tracing::info!(concurrency = options.concurrency, "worker started");
    shutdown_signal().await;
    tracing::info!("shutting down: running jobs are stopped and re-queued");
    state.inner.stop.send_replace(true);
    for task in tasks {
        let _ = task.await;
    }
    Ok(())
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
