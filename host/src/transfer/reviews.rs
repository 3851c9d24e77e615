//! Customer-matching review items and the admin's decisions (`ledgerlink reviews`, and
//! `/api/v1/reviews`): which home customers looked like more than one target customer, or
//! like one already linked, and what to do with each at the next push.

use super::TransferError;
use crate::store::directory::{Decision, Review};
use crate::store::sync_state::SyncState;

/// What the admin chose for a review item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Link to this target customer; `None`: to the only candidate.
    Link(Option<String>),
    /// Create a new target customer.
    Create,
    /// Leave the customer (and its invoices) out.
    Skip,
}

/// The review items, of one connection or all.
pub fn list(state: &SyncState, connection: Option<&str>) -> Result<Vec<Review>, TransferError> {
    Ok(state.reviews(connection)?)
}

/// Record `choice` for customer `key`'s review item on `connection`; the next push applies
/// it. Returns the item and the decision stored. Refused (nothing stored) when there is no
/// such item, a bare link has several candidates, or the target customer is already linked
/// to another Tracker Pro customer.
pub fn resolve(
    state: &SyncState,
    connection: &str,
    key: &str,
    choice: Choice,
) -> Result<(Review, Decision), TransferError> {
    let Some(review) = state
        .reviews(Some(connection))?
        .into_iter()
        .find(|r| r.home_key == key)
    else {
        return Err(TransferError::NoReview {
            connection: connection.to_owned(),
            key: key.to_owned(),
        });
    };
    let decision = match choice {
        Choice::Link(id) => {
            let id = match id.filter(|id| !id.is_empty()) {
                Some(id) => id,
                None => match review.candidates.as_slice() {
                    [one] => one.remote_id.clone(),
                    many => {
                        return Err(TransferError::Refused(format!(
                            "customer {key:?} has {} candidates ({}); name one: --link <id>",
                            many.len(),
                            many.iter()
                                .map(|c| c.remote_id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                },
            };
            if let Some(other) = state.linked_home_key(connection, "customers", &id)? {
                return Err(TransferError::Refused(format!(
                    "target customer {id} is already linked to Tracker Pro customer {other}; one target customer serves one Tracker Pro customer — choose --create or --skip"
                )));
            }
            Decision::Link(id)
        }
        Choice::Create => Decision::Create,
        Choice::Skip => Decision::Skip,
    };
    state.decide_review(connection, key, &decision)?;
    Ok((review, decision))
}

/// A decision in words: "link to 42", "create a new customer", "leave it out".
pub fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Link(id) => format!("link to {id}"),
        Decision::Create => "create a new customer".to_owned(),
        Decision::Skip => "leave it out".to_owned(),
    }
}
