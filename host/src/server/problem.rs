//! Errors as RFC 9457 `application/problem+json`, with the same one-sentence message the
//! CLI prints for the same failure.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::accounts::AccountsError;
use crate::store::connections::ConnectionError;
use crate::store::db::DbError;
use crate::store::sync_state::SyncStateError;
use crate::transfer::TransferError;

/// The body of an error answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// Always `about:blank`: the status says the kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What failed and what to do next (the CLI's message).
    pub detail: String,
    /// A refused import's problems, each where it is (file, line, field) and what to do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ImportProblem>,
}

/// One problem of a refused import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportProblem {
    /// The file (`upload.json` for an upload).
    pub file: String,
    /// The 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// The field: a JSON path (`jobs[1].lines[0].amount`) or a CSV column.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    detail: String,
    retry_after: Option<u64>,
    problems: Vec<ImportProblem>,
}

/// A handler's result.
pub type ApiResult<T> = Result<T, Problem>;

impl Problem {
    /// `status` with `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            status,
            detail: detail.into(),
            retry_after: None,
            problems: Vec::new(),
        }
    }

    /// The same answer, listing a refused import's `problems`.
    pub fn with_problems(mut self, problems: Vec<ImportProblem>) -> Self {
        self.problems = problems;
        self
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "sign in first (POST /api/v1/session) or send a personal API token as `Authorization: Bearer <token>`",
        )
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 429 with Retry-After.
    pub fn too_many(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Problem {
            retry_after: Some(retry_after_secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, detail)
        }
    }

    /// 500 for a failure whose message is still safe to show (it is the CLI's).
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            kind: "about:blank".to_owned(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            problems: self.problems,
        };
        let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        let mut response = (self.status, text).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The CLI's message: the error and each cause that adds something.
fn message(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

impl From<TransferError> for Problem {
    fn from(e: TransferError) -> Self {
        let status = match &e {
            TransferError::State(SyncStateError::NoPlan(_) | SyncStateError::NoRun(_))
            | TransferError::NoReview { .. }
            | TransferError::Connection(ConnectionError::NotFound(_)) => StatusCode::NOT_FOUND,
            TransferError::State(SyncStateError::PlanPurged(_)) => StatusCode::GONE,
            TransferError::EmptyBook | TransferError::Dangling(_) | TransferError::Refused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::new(status, message(&e))
    }
}

impl From<SyncStateError> for Problem {
    fn from(e: SyncStateError) -> Self {
        TransferError::State(e).into()
    }
}

impl From<ConnectionError> for Problem {
    fn from(e: ConnectionError) -> Self {
        TransferError::Connection(e).into()
    }
}

impl From<AccountsError> for Problem {
    fn from(e: AccountsError) -> Self {
        let status = match &e {
            AccountsError::NoGrant(_) | AccountsError::NoUser(_) => StatusCode::NOT_FOUND,
            AccountsError::Exists(_) => StatusCode::CONFLICT,
            AccountsError::SupportDays(_) | AccountsError::SupportName(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => return Problem::internal(message(&e)),
        };
        Problem::new(status, message(&e))
    }
}

impl From<DbError> for Problem {
    fn from(e: DbError) -> Self {
        Problem::internal(message(&e))
    }
}

impl From<crate::admin::AdminError> for Problem {
    fn from(e: crate::admin::AdminError) -> Self {
        use crate::admin::AdminError as A;
        use crate::registry::RegistryError as R;
        let status = match &e {
            A::Connection(ConnectionError::NotFound(_)) => StatusCode::NOT_FOUND,
            A::Connection(ConnectionError::Exists(_)) => StatusCode::CONFLICT,
            A::Connection(ConnectionError::InvalidName(_))
            | A::Registry(R::Unknown { .. } | R::Reserved { .. } | R::Unusable { .. })
            | A::Route(_)
            | A::Setting(_)
            | A::UnknownSetting { .. }
            | A::Sandbox(_)
            | A::NotApiKey { .. }
            | A::ShortKey { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::new(status, message(&e))
    }
}

impl From<crate::registry::RegistryError> for Problem {
    fn from(e: crate::registry::RegistryError) -> Self {
        crate::admin::AdminError::Registry(e).into()
    }
}

impl From<crate::auth::connect::ConnectError> for Problem {
    fn from(e: crate::auth::connect::ConnectError) -> Self {
        use crate::auth::connect::ConnectError as C;
        let status = match &e {
            C::NotOAuth { .. } | C::TenantChoice(_) => StatusCode::UNPROCESSABLE_ENTITY,
            C::Denied { .. } | C::StateMismatch => StatusCode::BAD_REQUEST,
            C::Token(_) | C::Tenants(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::new(status, message(&e))
    }
}

/// Longest plain-text error body carried into a problem's detail (axum's own rejections are
/// one short sentence; anything longer is cut, never echoed whole).
const REJECTION_CHARS: usize = 300;

/// Every error the API answers is a problem, including the ones no handler wrote: axum's
/// rejections of a malformed JSON body or query (400 / 415 / 422, plain text), an unknown
/// path (404, empty) and a method a path does not take (405, empty). Answers that already are
/// problems, and successes, pass through untouched.
pub async fn every_error_a_problem(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let detail = match status {
        StatusCode::NOT_FOUND if text.is_empty() => {
            format!("there is no {path} in the API; GET /api/v1/openapi.json lists every endpoint")
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if allowed.is_empty() {
                format!(
                    "{path} does not take {method}; GET /api/v1/openapi.json lists the methods each path takes"
                )
            } else {
                format!("{path} does not take {method}; it takes {allowed}")
            }
        }
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned(),
        _ => text.chars().take(REJECTION_CHARS).collect(),
    };
    let mut problem = Problem::new(status, detail).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        problem.headers_mut().insert(header::ALLOW, allow.clone());
    }
    problem
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt as _;

    use super::*;

    async fn answer(req: axum::http::Request<axum::body::Body>) -> (StatusCode, String, String) {
        #[derive(serde::Deserialize)]
        struct Body {
            #[allow(dead_code)]
            name: String,
        }
        let app = Router::new()
            .route(
                "/api/v1/things",
                post(|_: axum::Json<Body>| async { "made" }),
            )
            .route(
                "/api/v1/refused",
                post(|| async { Problem::bad_request("no, because of this") }),
            )
            .layer(axum::middleware::from_fn(every_error_a_problem));
        let response = app.oneshot(req).await.expect("router answers");
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    fn request(method: &str, path: &str, body: &str) -> axum::http::Request<axum::body::Body> {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_owned()))
            .expect("request")
    }

    fn detail(body: &str) -> String {
        let problem: ProblemBody = serde_json::from_str(body).expect("a problem body");
        problem.detail
    }

    #[tokio::test]
    async fn axums_own_rejections_unknown_paths_and_methods_are_problems() {
        let (status, kind, body) = answer(request("POST", "/api/v1/things", "{\"nam")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(kind, "application/problem+json");
        assert!(
            detail(&body).starts_with("Failed to parse the request body as JSON"),
            "{body}"
        );

        let (status, kind, body) = answer(request("POST", "/api/v1/things", "{}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(kind, "application/problem+json");
        assert!(detail(&body).contains("missing field `name`"), "{body}");

        let (status, _, body) = answer(request("GET", "/api/v1/nothing", "")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            detail(&body),
            "there is no /api/v1/nothing in the API; GET /api/v1/openapi.json lists every endpoint"
        );

        let (status, _, body) = answer(request("GET", "/api/v1/things", "")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            detail(&body),
            "/api/v1/things does not take GET; GET /api/v1/openapi.json lists the methods each path takes"
        );

        // A handler's own problem passes through as it was.
        let (status, _, body) = answer(request("POST", "/api/v1/refused", "")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(detail(&body), "no, because of this");

        // Success is untouched.
        let (status, kind, body) =
            answer(request("POST", "/api/v1/things", "{\"name\":\"x\"}")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "made"));
        assert!(kind.starts_with("text/plain"));
    }
}
