//! The web admin (issue 20), served by `ledgerlink serve` at `/`: one HTML shell, one script
//! and one style sheet, compiled into the binary (no JavaScript tool chain: `cargo build`
//! alone builds it). Every screen gets its data from the public REST API under `/api/v1`
//! with the browser's session cookie and CSRF token — the web admin has no back door: what
//! it can do, the API can.
//!
//! What the server itself does for pages: the page guard (no session → `303` to
//! `/signin?next=…`; an operator or support user on an admin screen → a 403 page; no user
//! at all → the first-user message), and the security headers on every page and asset — a
//! strict Content-Security-Policy (scripts and styles from this server only, nothing inline,
//! no frames, forms posting only here), `nosniff`, no referrer.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::AppState;
use super::guard;
use crate::store::accounts::Role;

const SHELL: &str = include_str!("assets/shell.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// The Content-Security-Policy of every page and asset.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Who may open a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    /// Anyone signed in.
    Anyone,
    /// Admins only (connections, plugins).
    Admin,
}

/// The screens (each served as the shell, after the page guard) and who may open them.
const SCREENS: [(&str, Screen); 7] = [
    ("/integrations", Screen::Admin),
    ("/connections/{name}", Screen::Anyone),
    ("/jobs/{id}", Screen::Anyone),
    ("/runs", Screen::Anyone),
    ("/runs/{id}", Screen::Anyone),
    ("/data", Screen::Anyone),
    ("/activity", Screen::Anyone),
];

/// The web admin's routes (pages and assets), outside `/api/v1`.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", get(home))
        .route("/signin", get(signin));
    for (path, who) in SCREENS {
        router = router.route(
            path,
            get(move |s: State<AppState>, r: Request| page(s, r, who)),
        );
    }
    router
        .route("/assets/app.js", get(script))
        .route("/assets/app.css", get(style))
        .layer(middleware::from_fn(secure_headers))
        .with_state(state)
}

/// The headers every page and asset carries.
async fn secure_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A page with a short message (the first-user message, 403, an error).
fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} — ledgerlink</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main class=\"message\">\
         <h1>{t}</h1><p>{m}</p><p><a href=\"/\">ledgerlink</a></p></main></body></html>",
        t = escape(title),
        m = escape(text)
    );
    (status, Html(body)).into_response()
}

/// HTML-escape `s`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What the page guard decides for `headers` on a screen for `who`.
fn guard_page(state: &AppState, headers: &HeaderMap, path: &str, who: Screen) -> Option<Response> {
    match state.accounts().user_count() {
        Ok(0) => {
            return Some(message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "No users yet",
                guard::NO_USERS,
            ));
        }
        Ok(_) => {}
        Err(e) => {
            return Some(message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                &e.to_string(),
            ));
        }
    }
    let caller = match guard::resolve(state, headers) {
        Ok(Some(c)) => c,
        Ok(None) | Err(_) => {
            let next = url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
            return Some(Redirect::to(&format!("/signin?next={next}")).into_response());
        }
    };
    if who == Screen::Admin && caller.user.role != Role::Admin {
        return Some(message_page(
            StatusCode::FORBIDDEN,
            "Not for your role",
            &format!(
                "user {} is {} {}; this screen (connections, credentials, plugins) is for an admin",
                caller.user.name,
                if caller.user.role == Role::Operator {
                    "an"
                } else {
                    "a"
                },
                caller.user.role.as_str()
            ),
        ));
    }
    None
}

async fn page(State(state): State<AppState>, req: Request, who: Screen) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    match guard_page(&state, req.headers(), &path, who) {
        Some(refused) => refused,
        None => Html(SHELL).into_response(),
    }
}

/// `/`: an admin starts at Integrations, anyone else at the runs.
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = guard_page(&state, &headers, "/", Screen::Anyone) {
        return refused;
    }
    match guard::resolve(&state, &headers) {
        Ok(Some(c)) if c.user.role == Role::Admin => Redirect::to("/integrations").into_response(),
        _ => Redirect::to("/runs").into_response(),
    }
}

async fn signin(State(state): State<AppState>) -> Response {
    match state.accounts().user_count() {
        Ok(0) => message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No users yet",
            guard::NO_USERS,
        ),
        _ => Html(SHELL).into_response(),
    }
}

async fn script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response()
}

async fn style() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        STYLE,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_in_a_page_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
