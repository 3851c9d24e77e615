//! Building [`ConnectorError`]s: one constructor per class, plus `.at(field)`.
//!
//! ```
//! use ledgerlink_sdk::error::{self, ConnectorErrorExt};
//!
//! let e = error::validation("Name is required").at("name");
//! assert_eq!(e.field(), Some("name"));
//! ```

use crate::types::{ConnectorError, DuplicateDetail, ErrorDetail, RateLimitDetail};

fn detail(message: impl Into<String>) -> ErrorDetail {
    ErrorDetail {
        message: message.into(),
        field: None,
    }
}

/// The record breaks a rule of the target system.
pub fn validation(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Validation(detail(message))
}

/// The record already exists in the target; `existing_id` is the id already there, if known.
pub fn duplicate(message: impl Into<String>, existing_id: Option<String>) -> ConnectorError {
    ConnectorError::Duplicate(DuplicateDetail {
        message: message.into(),
        field: None,
        existing_id,
    })
}

/// The record changed in the target since it was read.
pub fn stale(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Stale(detail(message))
}

/// The target refuses to change the record (paid, posted, period closed).
pub fn locked(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Locked(detail(message))
}

/// The referenced record does not exist in the target.
pub fn not_found(message: impl Into<String>) -> ConnectorError {
    ConnectorError::NotFound(detail(message))
}

/// Credentials refused or lacking a permission.
pub fn auth(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Auth(detail(message))
}

/// The vendor throttled the request; `retry_after_ms` when it said how long to wait.
pub fn rate_limited(message: impl Into<String>, retry_after_ms: Option<u64>) -> ConnectorError {
    ConnectorError::RateLimited(RateLimitDetail {
        message: message.into(),
        retry_after_ms,
    })
}

/// A temporary failure; the same call may succeed later.
pub fn transient(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Transient(detail(message))
}

/// `operation` is not implemented by this connector.
pub fn unsupported(operation: &str) -> ConnectorError {
    ConnectorError::Unsupported(detail(format!(
        "this connector does not support {operation}"
    )))
}

/// The operation cannot be done for the reason given (for example, the host refused it).
pub fn unsupported_because(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Unsupported(detail(message))
}

/// The class of a [`ConnectorError`], without its details: what a vendor's refusal means,
/// written in tables such as [`ErrorTable`](crate::client::ErrorTable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// [`validation`]
    Validation,
    /// [`duplicate`]
    Duplicate,
    /// [`stale`]
    Stale,
    /// [`locked`]
    Locked,
    /// [`not_found`]
    NotFound,
    /// [`auth`]
    Auth,
    /// [`rate_limited`]
    RateLimited,
    /// [`transient`]
    Transient,
    /// [`unsupported_because`]
    Unsupported,
}

impl ErrorClass {
    /// The class a status means when the body says nothing more: 400/422 validation, 401/403
    /// auth, 404/410 not-found, 409 duplicate, 412 stale, 423 locked, 429 rate-limited, 2xx
    /// and everything else transient.
    pub fn of_status(status: u16) -> Self {
        match status {
            400 | 422 => Self::Validation,
            401 | 403 => Self::Auth,
            404 | 410 => Self::NotFound,
            409 => Self::Duplicate,
            412 => Self::Stale,
            423 => Self::Locked,
            429 => Self::RateLimited,
            _ => Self::Transient,
        }
    }

    /// An error of this class. `retry_after_ms` is used by `RateLimited` only; a duplicate
    /// gets no existing id (set one with [`duplicate`] when the vendor gives it).
    pub fn error(self, message: impl Into<String>, retry_after_ms: Option<u64>) -> ConnectorError {
        match self {
            Self::Validation => validation(message),
            Self::Duplicate => duplicate(message, None),
            Self::Stale => stale(message),
            Self::Locked => locked(message),
            Self::NotFound => not_found(message),
            Self::Auth => auth(message),
            Self::RateLimited => rate_limited(message, retry_after_ms),
            Self::Transient => transient(message),
            Self::Unsupported => unsupported_because(message),
        }
    }
}

/// Helpers on [`ConnectorError`].
pub trait ConnectorErrorExt {
    /// Name the canonical field at fault ("email", "lines[2].quantity").
    fn at(self, field: impl Into<String>) -> Self;
    /// The human message of any class.
    fn message(&self) -> &str;
    /// The field at fault, when known.
    fn field(&self) -> Option<&str>;
}

impl ConnectorErrorExt for ConnectorError {
    fn at(mut self, field: impl Into<String>) -> Self {
        let field = Some(field.into());
        match &mut self {
            ConnectorError::Validation(d)
            | ConnectorError::Stale(d)
            | ConnectorError::Locked(d)
            | ConnectorError::NotFound(d)
            | ConnectorError::Auth(d)
            | ConnectorError::Transient(d)
            | ConnectorError::Unsupported(d) => d.field = field,
            ConnectorError::Duplicate(d) => d.field = field,
            // A throttle is about the request, never a field.
            ConnectorError::RateLimited(_) => {}
        }
        self
    }

    fn message(&self) -> &str {
        match self {
            ConnectorError::Validation(d)
            | ConnectorError::Stale(d)
            | ConnectorError::Locked(d)
            | ConnectorError::NotFound(d)
            | ConnectorError::Auth(d)
            | ConnectorError::Transient(d)
            | ConnectorError::Unsupported(d) => &d.message,
            ConnectorError::Duplicate(d) => &d.message,
            ConnectorError::RateLimited(d) => &d.message,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ConnectorError::Validation(d)
            | ConnectorError::Stale(d)
            | ConnectorError::Locked(d)
            | ConnectorError::NotFound(d)
            | ConnectorError::Auth(d)
            | ConnectorError::Transient(d)
            | ConnectorError::Unsupported(d) => d.field.as_deref(),
            ConnectorError::Duplicate(d) => d.field.as_deref(),
            ConnectorError::RateLimited(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_sets_the_field_and_keeps_the_message() {
        let e = validation("Name is required").at("name");
        assert_eq!(e.message(), "Name is required");
        assert_eq!(e.field(), Some("name"));
    }

    #[test]
    fn unsupported_names_the_operation() {
        assert_eq!(
            unsupported("delete").message(),
            "this connector does not support delete"
        );
    }
}
