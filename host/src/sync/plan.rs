//! Plans: a compare, stored, so that what is applied is exactly what was shown.

use serde::{Deserialize, Serialize};

use super::compare::{Action, Direction, Item};
use crate::model::Customer;

/// One row of a plan: the compare row and the record that would be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedItem {
    /// The compare row.
    pub item: Item,
    /// The record to send (home record with the target's id and version set for updates),
    /// for Add and Update rows.
    pub record: Option<Customer>,
    /// Why `ledgerlink runs rollback` could not undo this row once applied; `None` when it
    /// could (or when the row writes nothing). Shown with the compare, before anything is
    /// applied.
    #[serde(default)]
    pub not_undoable: Option<String>,
}

/// Why applying a row of `action` in `direction` could not be rolled back, if it could not.
/// `can_delete`: the connector implements `delete`.
pub fn not_undoable(direction: Direction, action: Action, can_delete: bool) -> Option<String> {
    match (direction, action) {
        (_, Action::Unchanged) => None,
        (Direction::Push, Action::Add) if can_delete => None,
        (Direction::Push, Action::Add) => {
            Some("the connector cannot delete records, so a rollback cannot remove it".to_owned())
        }
        (Direction::Push, Action::Update | Action::Conflict) => Some(
            "an update is not undone by a rollback (the target's previous values are not restored)"
                .to_owned(),
        ),
        (Direction::Pull, _) => {
            Some("records pulled into Tracker Pro are not removed by a rollback".to_owned())
        }
    }
}

/// A stored compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The stored form's version ([`PLAN_VERSION`]); plans stored before versions were
    /// recorded read as 1, whose shape they have. A newer one is refused, never misread.
    #[serde(default = "first_version")]
    pub version: u32,
    /// The connection.
    pub connection: String,
    /// "customers".
    pub entity: String,
    /// Which way.
    pub direction: Direction,
    /// Rows in display order.
    pub items: Vec<PlannedItem>,
    /// For a delta compare: the watermark the target was read from (only records changed
    /// since then are in the plan).
    #[serde(default)]
    pub since: Option<String>,
    /// When the target was read, less a margin for clock differences: the next watermark,
    /// once this plan has been applied completely.
    #[serde(default)]
    pub read_from: Option<String>,
    /// Records the target returned that the host refused (a control character, an
    /// over-long text, a missing or repeated id): never planned, never stored.
    #[serde(default)]
    pub refused: Vec<super::inspect::Refused>,
}

/// The version of the customer plan body this host writes.
pub const PLAN_VERSION: u32 = 1;

fn first_version() -> u32 {
    1
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A customer plan body exactly as host 0.1 stored it (no version, the contract's
    /// generated customer type serialized as is) still reads, as version 1.
    #[test]
    fn a_plan_stored_by_host_0_1_reads_as_version_1() {
        let old = r#"{"connection":"books","entity":"customers","direction":"push","items":[{"item":{"home_key":"C1","remote_id":null,"name":"Acme","action":"add","reason":"not in the target","diffs":[]},"record":{"key":"C1","remote_id":null,"version":null,"idempotency_key":null,"name":"Acme","account_number":null,"contact_name":null,"email":"a@acme.test","phone":null,"tax_number":null,"billing_address":null,"shipping_address":null,"currency":null,"active":true,"updated_at":null}}]}"#;
        let plan: Plan = serde_json::from_str(old).unwrap();
        assert_eq!(plan.version, 1);
        assert_eq!(plan.items.len(), 1);
        let record = plan.items[0].record.as_ref().unwrap();
        assert_eq!(record.name, "Acme");
        assert_eq!(record.email.as_deref(), Some("a@acme.test"));
        assert_eq!(plan.items[0].not_undoable, None);
    }
}
