//! `POST /batch`: building the request and matching answers to items.
//!
//! A batch holds at most 30 items (Intuit's limit). Each item carries a `bId`; QuickBooks
//! answers with one `BatchItemResponse` per item, with that `bId`, holding the written
//! entity or a `Fault`. The answers are matched by `bId`, never by position: QuickBooks does
//! not promise their order. An item with no answer is reported as a transient failure.

use crate::map::qbo::{
    BatchItemRequest, BatchItemResponse, BatchRequest, Customer, Fault, Invoice,
};

/// The remote-id prefix of a credit memo (see the `invoices` module).
use crate::map::invoice::CREDIT_MEMO_PREFIX;

/// Items per batch (Intuit's limit).
pub const MAX_ITEMS: usize = 30;
/// Items per batch after QuickBooks refused a batch as too large.
pub const FALLBACK_ITEMS: usize = 10;

/// An entity a batch can write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entity {
    /// A customer.
    Customer(Customer),
    /// An invoice.
    Invoice(Invoice),
    /// A credit memo (an invoice whose canonical total is negative, sign-flipped).
    CreditMemo(Invoice),
}

impl Entity {
    /// `create` without an Id, `update` with one.
    pub fn operation(&self) -> &'static str {
        let id = match self {
            Entity::Customer(c) => &c.id,
            Entity::Invoice(i) | Entity::CreditMemo(i) => &i.id,
        };
        if id.is_some() { "update" } else { "create" }
    }
}

/// The body of a batch of `items`, each with its `bId`.
pub fn request(items: &[(String, Entity)]) -> BatchRequest {
    BatchRequest {
        items: items
            .iter()
            .map(|(bid, entity)| BatchItemRequest {
                bid: bid.clone(),
                operation: entity.operation().to_owned(),
                customer: match entity {
                    Entity::Customer(c) => Some(c.clone()),
                    _ => None,
                },
                invoice: match entity {
                    Entity::Invoice(i) => Some(i.clone()),
                    _ => None,
                },
                credit_memo: match entity {
                    Entity::CreditMemo(m) => Some(m.clone()),
                    _ => None,
                },
            })
            .collect(),
    }
}

/// What QuickBooks did with one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Written: its remote id and new `SyncToken`.
    Written {
        /// `Id`; for a credit memo `CM-<Id>` (its remote-id form).
        id: String,
        /// `SyncToken`.
        sync_token: Option<String>,
    },
    /// Refused.
    Fault(Fault),
    /// No answer for this `bId` (or an answer with neither entity nor fault).
    Missing,
}

/// The outcome of each of `bids`, in the order of `bids`.
pub fn outcomes(bids: &[String], answers: Vec<BatchItemResponse>) -> Vec<ItemOutcome> {
    let mut answers: Vec<Option<BatchItemResponse>> = answers.into_iter().map(Some).collect();
    bids.iter()
        .map(|bid| {
            let found = answers
                .iter_mut()
                .find(|a| a.as_ref().is_some_and(|a| &a.bid == bid))
                .and_then(Option::take);
            let Some(answer) = found else {
                return ItemOutcome::Missing;
            };
            if let Some(fault) = answer.fault {
                return ItemOutcome::Fault(fault);
            }
            let written = answer
                .customer
                .map(|c| (c.id, c.sync_token))
                .or_else(|| answer.invoice.map(|i| (i.id, i.sync_token)))
                .or_else(|| {
                    answer.credit_memo.map(|m| {
                        (
                            m.id.map(|id| format!("{CREDIT_MEMO_PREFIX}{id}")),
                            m.sync_token,
                        )
                    })
                });
            match written {
                Some((Some(id), sync_token)) => ItemOutcome::Written { id, sync_token },
                _ => ItemOutcome::Missing,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::qbo::IntuitResponse;

    fn customer(id: Option<&str>, name: &str) -> Entity {
        Entity::Customer(Customer {
            id: id.map(Into::into),
            sync_token: id.map(|_| "1".into()),
            sparse: id.map(|_| true),
            display_name: Some(name.into()),
            ..Customer::default()
        })
    }

    #[test]
    fn the_request_carries_bids_and_operations_in_order() {
        let body = request(&[
            ("0".into(), customer(None, "A")),
            ("1".into(), customer(Some("58"), "B")),
        ]);
        assert_eq!(
            serde_json::to_value(&body).expect("encodes"),
            serde_json::json!({"BatchItemRequest": [
                {"bId": "0", "operation": "create", "Customer": {"DisplayName": "A"}},
                {"bId": "1", "operation": "update", "Customer": {"Id": "58", "SyncToken": "1", "sparse": true, "DisplayName": "B"}}
            ]})
        );
    }

    #[test]
    fn answers_are_matched_by_bid_with_per_item_faults() {
        let json = r#"{"BatchItemResponse":[
            {"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Id=58","code":"6240","element":""}],"type":"ValidationFault"},"bId":"2"},
            {"Customer":{"Id":"71","SyncToken":"0","DisplayName":"A"},"bId":"0"},
            {"Invoice":{"Id":"130","SyncToken":"3","TotalAmt":10.5},"bId":"1"}
        ],"time":"2026-11-20T09:00:00.000-08:00"}"#;
        let resp: IntuitResponse = serde_json::from_str(json).expect("parses");
        let bids: Vec<String> = ["0", "1", "2", "3"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let out = outcomes(&bids, resp.batch_item_response);
        assert_eq!(
            out[0],
            ItemOutcome::Written {
                id: "71".into(),
                sync_token: Some("0".into())
            }
        );
        assert_eq!(
            out[1],
            ItemOutcome::Written {
                id: "130".into(),
                sync_token: Some("3".into())
            }
        );
        match &out[2] {
            ItemOutcome::Fault(f) => assert_eq!(f.errors[0].code.as_deref(), Some("6240")),
            other => panic!("{other:?}"),
        }
        assert_eq!(out[3], ItemOutcome::Missing);
    }

    #[test]
    fn credit_memos_are_batched_and_answered_with_their_cm_remote_id() {
        let memo = Invoice {
            doc_number: Some("CN-1".into()),
            ..Invoice::default()
        };
        let body = request(&[("0".into(), Entity::CreditMemo(memo))]);
        assert_eq!(
            serde_json::to_value(&body).expect("encodes"),
            serde_json::json!({"BatchItemRequest": [
                {"bId": "0", "operation": "create", "CreditMemo": {"DocNumber": "CN-1"}}
            ]})
        );
        let json = r#"{"BatchItemResponse":[{"CreditMemo":{"Id":"12","SyncToken":"0","TotalAmt":99.3},"bId":"0"}]}"#;
        let resp: IntuitResponse = serde_json::from_str(json).expect("parses");
        assert_eq!(
            outcomes(&["0".to_owned()], resp.batch_item_response),
            [ItemOutcome::Written {
                id: "CM-12".into(),
                sync_token: Some("0".into())
            }]
        );
    }
}
