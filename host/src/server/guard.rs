//! Who is calling, and may they: the session cookie or personal API token behind a request,
//! its role, the CSRF token a cookie-borne state change must carry, and the audit line every
//! state change leaves with the user's name. A support user (a live support grant) may only
//! read runs, plans, jobs and the audit log; every request it makes is audited.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::passwords;
use super::problem::{ApiResult, Problem};
use crate::store::accounts::{Role, User};

/// What the server says, on every path, until it has a user.
pub const NO_USERS: &str = "ledgerlink serve has no users yet, so it serves nothing but this message: create the first admin with `ledgerlink users add NAME --role admin` (it asks for a password, or reads one line from standard input), then try again";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ledgerlink_session";

/// The header a cookie-authenticated state change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session (its cookie's SHA-256 and CSRF token).
    Session {
        /// The session's key in the store.
        id_sha256: String,
        /// Its CSRF token.
        csrf: String,
    },
    /// A personal API token.
    Token,
}

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub user: User,
    /// How.
    pub via: Via,
}

impl Caller {
    /// Refuse unless an admin calls.
    pub fn require_admin(&self) -> ApiResult<()> {
        match self.user.role {
            Role::Admin => Ok(()),
            Role::Operator => Err(Problem::forbidden(format!(
                "user {} is an operator; connections, credentials, plugins and users are for an admin",
                self.user.name
            ))),
            Role::Support => Err(support_refused(&self.user.name)),
        }
    }

    /// Refuse unless an admin or a support user calls (the audit log: an operator does not
    /// read it, a vendor's support engineer does).
    pub fn require_admin_or_support(&self) -> ApiResult<()> {
        match self.user.role {
            Role::Support => Ok(()),
            _ => self.require_admin(),
        }
    }
}

fn support_refused(name: &str) -> Problem {
    Problem::forbidden(format!(
        "user {name} has support access: it reads runs, plans, jobs and the audit log, and changes nothing; ask an admin of this ledgerlink"
    ))
}

/// What a support user may call: reads of runs, plans, jobs and the audit log, who they are, and
/// signing out. Everything else — connections and their credentials, settings, users,
/// tokens, plugins, any change — is refused before a handler runs, so an endpoint added
/// later is closed to support until it is listed here.
fn support_may(method: &Method, path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    match *method {
        Method::GET | Method::HEAD => {
            path == "/api/v1/session"
                || path == "/api/v1/audit"
                || under("/api/v1/runs")
                || under("/api/v1/plans")
                || under("/api/v1/jobs")
        }
        Method::DELETE => path == "/api/v1/session",
        _ => false,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(Problem::unauthorized)
    }
}

/// Outermost: until there is a user, every request gets [`NO_USERS`].
pub async fn first_user(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.accounts().user_count() {
        Ok(0) => {
            Problem::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, NO_USERS).into_response()
        }
        Ok(_) => next.run(req).await,
        Err(e) => Problem::from(e).into_response(),
    }
}

/// The value of cookie `name` in `headers`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The caller behind `headers`: a bearer token first, else the session cookie.
pub(crate) fn resolve(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Caller>> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(Problem::unauthorized)?;
        let user = state.accounts().token_user(&passwords::digest(token))?;
        return Ok(user.map(|user| Caller {
            user,
            via: Via::Token,
        }));
    }
    let Some(value) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_sha256 = passwords::digest(&value);
    let found = state
        .accounts()
        .session(&id_sha256, state.session_limits())?;
    Ok(found.map(|s| Caller {
        user: s.user,
        via: Via::Session {
            id_sha256,
            csrf: s.csrf_token,
        },
    }))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The 403 for a cookie-borne state change without its session's CSRF token.
fn csrf_refused(caller: &Caller, req: &Request) -> Option<Problem> {
    let Via::Session { csrf, .. } = &caller.via else {
        return None;
    };
    if !changes_state(req.method()) {
        return None;
    }
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    (!passwords::same(sent, csrf)).then(|| {
        Problem::forbidden(format!(
            "a change made with a session cookie must carry the session's CSRF token in the {CSRF_HEADER} header (GET /api/v1/session returns it)"
        ))
    })
}

/// For every signed-in route: find the caller (401 without one), check the CSRF token of a
/// cookie-borne state change (403 without it), keep a support user to what it may read
/// (403), and audit each state change that succeeded and every request of a support user.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let caller = match resolve(&state, req.headers()) {
        Ok(Some(c)) => c,
        Ok(None) => return Problem::unauthorized().into_response(),
        Err(p) => return p.into_response(),
    };
    let method = req.method().clone();
    // The path only: a query string is the caller's and never logged or audited.
    let path = req.uri().path().to_owned();
    let name = caller.user.name.clone();
    let support = caller.user.role == Role::Support;
    let refused = csrf_refused(&caller, &req)
        .or_else(|| (support && !support_may(&method, &path)).then(|| support_refused(&name)));
    let response = match refused {
        Some(problem) => problem.into_response(),
        None => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
    };
    let detail = format!("{method} {path} → {}", response.status().as_u16());
    // Every request of a support user is audited, read or refused; of anyone else, each
    // state change that succeeded.
    let audited = if support {
        Some("support-access")
    } else {
        (changes_state(&method) && response.status().is_success()).then_some("api")
    };
    if let Some(action) = audited
        && let Err(e) = state.accounts().audit(&name, action, &detail)
    {
        tracing::error!("could not audit {detail}: {e}");
    }
    response
}
