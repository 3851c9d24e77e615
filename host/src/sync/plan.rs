//! Plans: a compare, stored, so that what is applied is exactly what was shown.

use serde::{Deserialize, Serialize};

use super::compare::{Action, Direction, Item};
use crate::runtime::bindings::Customer;

/// One row of a plan: the compare row and the record that would be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedItem {
    /// The compare row.
    pub item: Item,
    /// The record to send (home record with the target's id and version set for updates),
    /// for Add and Update rows.
    pub record: Option<Customer>,
}

/// A stored compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The connection.
    pub connection: String,
    /// "customers".
    pub entity: String,
    /// Which way.
    pub direction: Direction,
    /// Rows in display order.
    pub items: Vec<PlannedItem>,
}

/// Which rows of a plan to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every Add and Update (never a Conflict).
    All,
    /// Every Add.
    AllAdds,
    /// Every Update.
    AllUpdates,
    /// These keys (home keys, or remote ids for a pull), whatever their action; a Conflict
    /// chosen by key is applied in the plan's direction.
    Keys(Vec<String>),
}

impl Selection {
    /// Whether `item` is selected.
    pub fn includes(&self, item: &Item) -> bool {
        match self {
            Selection::All => matches!(item.action, Action::Add | Action::Update),
            Selection::AllAdds => item.action == Action::Add,
            Selection::AllUpdates => item.action == Action::Update,
            Selection::Keys(keys) => keys.iter().any(|k| {
                item.home_key.as_deref() == Some(k.as_str())
                    || item.remote_id.as_deref() == Some(k.as_str())
            }),
        }
    }
}
