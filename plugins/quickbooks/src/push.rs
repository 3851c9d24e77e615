//! Sending pushed records in batches: 30 per `POST /batch`, 10 when QuickBooks refuses a
//! batch as too large, each batch with a `requestid` derived from its records' idempotency
//! keys so the host may retry it (and a replay after a crash writes nothing twice).

use ledgerlink_sdk::types::ConnectorError;

use crate::api;
use crate::batch::{self, Entity, FALLBACK_ITEMS, ItemOutcome, MAX_ITEMS};
use crate::fault;
use crate::requestid;
use crate::settings::Settings;

/// One record to write: its position in the pushed batch, the entity, its idempotency key.
#[derive(Debug, Clone)]
pub struct Item {
    /// Position in the pushed batch (also its `bId`).
    pub index: usize,
    /// What to write.
    pub entity: Entity,
    /// The host's idempotency key.
    pub key: Option<String>,
}

/// Write every item; one outcome per item, tagged with its index.
pub fn send_all(
    settings: &Settings,
    purpose: &str,
    items: &[Item],
) -> Vec<(usize, Result<ItemOutcome, ConnectorError>)> {
    items
        .chunks(MAX_ITEMS)
        .flat_map(|chunk| send_chunk(settings, purpose, chunk, true))
        .collect()
}

fn send_chunk(
    settings: &Settings,
    purpose: &str,
    chunk: &[Item],
    may_split: bool,
) -> Vec<(usize, Result<ItemOutcome, ConnectorError>)> {
    let all = |e: ConnectorError| {
        chunk
            .iter()
            .map(|i| (i.index, Err(e.clone())))
            .collect::<Vec<_>>()
    };
    let bids: Vec<String> = chunk.iter().map(|i| i.index.to_string()).collect();
    let body = batch::request(
        &chunk
            .iter()
            .map(|i| (i.index.to_string(), i.entity.clone()))
            .collect::<Vec<_>>(),
    );
    let keys: Vec<Option<&str>> = chunk.iter().map(|i| i.key.as_deref()).collect();
    let request_id = requestid::for_batch(&format!("{purpose}/batch"), &keys);
    let answer = match api::post(settings, "batch", &[], request_id.as_deref(), &body) {
        Ok(a) => a,
        Err(e) => return all(e),
    };
    if may_split
        && chunk.len() > FALLBACK_ITEMS
        && fault::is_batch_too_large(answer.status, answer.fault())
    {
        ledgerlink_sdk::log::warn(format!(
            "QuickBooks refused a batch of {} {purpose} as too large; sending them {FALLBACK_ITEMS} at a time",
            chunk.len()
        ));
        return chunk
            .chunks(FALLBACK_ITEMS)
            .flat_map(|sub| send_chunk(settings, purpose, sub, false))
            .collect();
    }
    match answer.into_result(&format!("a batch of {} {purpose}", chunk.len())) {
        Ok(body) => chunk
            .iter()
            .map(|i| i.index)
            .zip(batch::outcomes(&bids, body.batch_item_response))
            .map(|(index, outcome)| (index, Ok(outcome)))
            .collect(),
        Err(e) => all(e),
    }
}
