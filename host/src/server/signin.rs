//! Sign-in, the session, sign-out; and the throttle on guessing passwords, per account and
//! per address.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::guard::{Caller, SESSION_COOKIE, Via};
use super::listen::ClientAddr;
use super::problem::{ApiResult, Problem, ProblemBody};
use super::{AppState, on_engine, passwords};

/// Failed sign-ins are counted over this many seconds.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// Failures for one account within the window before it is refused.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures from one address within the window before it is refused.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// A sign-in.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct SignIn {
    /// The user's name.
    pub name: String,
    /// The password.
    pub password: String,
}

/// The signed-in caller.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// The user's name.
    pub user: String,
    /// `admin` or `operator`.
    pub role: String,
    /// For a browser session: the token every change must carry in `X-CSRF-Token`.
    pub csrf_token: Option<String>,
}

/// Sign in: a session cookie (HttpOnly, SameSite=Strict, Secure under TLS) and its CSRF
/// token.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = SessionInfo),
        (status = 401, description = "Wrong name or password", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(ClientAddr(addr)): ConnectInfo<ClientAddr>,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let accounts = state.accounts().clone();
    let address = addr.ip().to_string();
    let ((per_account, per_address), first) =
        accounts.recent_failures(&body.name, &address, THROTTLE_WINDOW_SECS)?;
    if per_account >= MAX_FAILURES_PER_ACCOUNT || per_address >= MAX_FAILURES_PER_ADDRESS {
        let now = crate::store::connections::unix(std::time::SystemTime::now());
        let wait = first.map_or(THROTTLE_WINDOW_SECS, |f| f + THROTTLE_WINDOW_SECS - now);
        return Err(Problem::too_many(
            format!(
                "too many failed sign-ins for this account or from this address; try again in {} minute(s)",
                (wait.max(1) + 59) / 60
            ),
            u64::try_from(wait.max(1)).unwrap_or(1),
        ));
    }
    let found = accounts.password_hash(&body.name)?;
    // argon2 is deliberately slow: keep it off the request workers.
    let password = body.password;
    let user = on_engine(move || async move {
        match found {
            Some((user, hash)) => passwords::verify(&password, &hash).then_some(user),
            None => {
                passwords::verify_nobody(&password);
                None
            }
        }
    })
    .await;
    let Some(user) = user else {
        accounts.record_failure(&body.name, &address)?;
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "wrong name or password",
        ));
    };
    accounts.clear_failures(&user.name)?;
    let secret = passwords::random_secret("").map_err(|e| Problem::internal(e.to_string()))?;
    let csrf = passwords::random_secret("").map_err(|e| Problem::internal(e.to_string()))?;
    accounts.create_session(&passwords::digest(&secret), user.id, &csrf)?;
    accounts.audit(
        &user.name,
        "sign-in",
        &format!("{} signed in from {address}", user.name),
    )?;
    let limits = state.session_limits();
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        limits.absolute_secs,
        if state.tls() { "; Secure" } else { "" }
    );
    let mut response = Json(SessionInfo {
        user: user.name,
        role: user.role.as_str().to_owned(),
        csrf_token: Some(csrf),
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| Problem::internal(e.to_string()))?,
    );
    Ok(response)
}

/// Who is signed in (and the session's CSRF token).
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses(
        (status = 200, body = SessionInfo),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn whoami(caller: Caller) -> Json<SessionInfo> {
    Json(SessionInfo {
        user: caller.user.name,
        role: caller.user.role.as_str().to_owned(),
        csrf_token: match caller.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        },
    })
}

/// Sign out: the session ends in the store and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    if let Via::Session { id_sha256, .. } = &caller.via {
        state.accounts().end_session(id_sha256)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "ledgerlink_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(response)
}
