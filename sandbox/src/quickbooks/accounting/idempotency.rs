//! Intuit's `requestid` query parameter: a write repeated with the same id
//! (per realm) is not applied again; the original status and body come back.
//!
//! Intuit caps the id at 50 characters, and at 36 for `/batch`.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::Value;

use super::fault::QboFault;

/// Longest `requestid` on single-entity operations.
pub(crate) const MAX_REQUEST_ID: usize = 50;
/// Longest `requestid` on `/batch`.
pub(crate) const MAX_BATCH_REQUEST_ID: usize = 36;

/// A remembered response.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

/// One realm's remembered responses, by `requestid`.
#[derive(Debug, Default)]
pub(crate) struct Replies {
    by_id: HashMap<String, Reply>,
}

impl Replies {
    /// The response first given to `request_id`, if any.
    pub(crate) fn get(&self, request_id: &str) -> Option<&Reply> {
        self.by_id.get(request_id)
    }

    /// Remembers the response to `request_id` (the first one wins).
    pub(crate) fn remember(&mut self, request_id: &str, reply: Reply) {
        self.by_id.entry(request_id.to_owned()).or_insert(reply);
    }
}

/// Refuses a `requestid` longer than `max`.
pub(crate) fn check_length(request_id: &str, max: usize) -> Result<(), QboFault> {
    let length = request_id.chars().count();
    if length > max {
        return Err(QboFault::too_long("requestid", max, length));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_first_reply_is_kept() {
        let mut replies = Replies::default();
        replies.remember(
            "a",
            Reply {
                status: StatusCode::OK,
                body: json!(1),
            },
        );
        replies.remember(
            "a",
            Reply {
                status: StatusCode::OK,
                body: json!(2),
            },
        );
        assert_eq!(
            replies.get("a").map(|reply| reply.body.clone()),
            Some(json!(1))
        );
        assert!(check_length(&"x".repeat(50), MAX_REQUEST_ID).is_ok());
        assert_eq!(
            check_length(&"x".repeat(37), MAX_BATCH_REQUEST_ID).map_err(|fault| fault.code),
            Err("2050")
        );
    }
}
