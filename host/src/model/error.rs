//! Reading a plugin's [`ConnectorError`]: its class, message and field, in one sentence.

use super::ConnectorError;

impl ConnectorError {
    /// The class as the contract spells it ("validation", "rate-limited").
    pub fn class(&self) -> &'static str {
        match self {
            ConnectorError::Validation(_) => "validation",
            ConnectorError::Duplicate(_) => "duplicate",
            ConnectorError::Stale(_) => "stale",
            ConnectorError::Locked(_) => "locked",
            ConnectorError::NotFound(_) => "not-found",
            ConnectorError::Auth(_) => "auth",
            ConnectorError::RateLimited(_) => "rate-limited",
            ConnectorError::Transient(_) => "transient",
            ConnectorError::Unsupported(_) => "unsupported",
        }
    }

    /// The connector's message.
    pub fn message(&self) -> &str {
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

    /// The canonical field at fault, when the connector named one.
    pub fn field(&self) -> Option<&str> {
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

    /// One line for a person: `validation error (field email): E-mail is not valid`.
    pub fn describe(&self) -> String {
        match self.field() {
            Some(field) => format!("{} error (field {field}): {}", self.class(), self.message()),
            None => format!("{} error: {}", self.class(), self.message()),
        }
    }
}
