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
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    detail: String,
    retry_after: Option<u64>,
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
        }
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
