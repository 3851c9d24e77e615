//! Push results are checked against the batch that was sent, as strictly as user input:
//! one result per record, matched by key (order does not matter), remote ids non-empty,
//! at most 255 bytes, unique in the batch, not already linked to another record, and an
//! update answered with the id it was sent to. A result that breaks a rule fails its
//! record with the plugin and the rule named; nothing of it reaches the id map.

use std::collections::{HashMap, HashSet};

use crate::model::{ConnectorError, PushResult, Written};

/// Why a pushed record was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The target already has this record (a duplicate name or number): a conflict for a
    /// person, not a failure to retry.
    pub conflict: bool,
    /// The answer was lost (`transient`: a cut connection, a timeout, a 5xx after the
    /// request left): the target may hold the record. Resolved by reading the target.
    pub unknown: bool,
    /// The target will not take this change (`locked`: a posted, paid or read-only
    /// document): reported as Locked, not as a failure.
    pub locked: bool,
    /// Why, in a sentence.
    pub reason: String,
}

impl Refusal {
    fn failed(reason: String) -> Self {
        Refusal {
            conflict: false,
            unknown: false,
            locked: false,
            reason,
        }
    }

    /// The run-item outcome: `conflict`, `unknown`, `locked` or `failed`.
    pub fn outcome(&self) -> &'static str {
        if self.conflict {
            "conflict"
        } else if self.unknown {
            "unknown"
        } else if self.locked {
            "locked"
        } else {
            "failed"
        }
    }
}

/// The longest remote id the host stores.
pub const MAX_REMOTE_ID_BYTES: usize = 255;

/// Check `results` for the records `sent` — (key, remote id it was sent to) — and return
/// each sent key's outcome: the write, or why it is not accepted. `linked_to(id)` tells
/// which home record a remote id is already linked to.
pub fn check<'a>(
    plugin: &str,
    sent: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    results: Vec<PushResult>,
    linked_to: impl Fn(&str) -> Option<String>,
) -> HashMap<String, Result<Written, Refusal>> {
    let sent: Vec<(&str, Option<&str>)> = sent.collect();
    let keys: HashSet<&str> = sent.iter().map(|(k, _)| *k).collect();
    let broke = |rule: String| {
        Refusal::failed(format!(
            "connector {plugin} broke the contract: {rule}; nothing was recorded for this record — report it to the connector's author and run again"
        ))
    };
    let mut by_key: HashMap<String, Vec<PushResult>> = HashMap::new();
    for r in results {
        if keys.contains(r.key.as_str()) {
            by_key.entry(r.key.clone()).or_default().push(r);
        } else {
            tracing::warn!(plugin, key = %r.key, "push result for a record that was not sent");
        }
    }
    // How often each returned id occurs in this batch.
    let mut ids: HashMap<String, usize> = HashMap::new();
    for r in by_key.values().flatten() {
        if let Ok(w) = &r.outcome {
            *ids.entry(w.remote_id.clone()).or_default() += 1;
        }
    }
    let mut out = HashMap::new();
    for (key, sent_to) in sent {
        let outcome = match by_key.remove(key).unwrap_or_default().as_slice() {
            [] => Err(broke("it returned no result for this record".to_owned())),
            [one] => match &one.outcome {
                Err(e) => Err(Refusal {
                    conflict: matches!(e, ConnectorError::Duplicate(_)),
                    unknown: matches!(e, ConnectorError::Transient(_)),
                    locked: matches!(e, ConnectorError::Locked(_)),
                    reason: e.describe(),
                }),
                Ok(w) if w.remote_id.trim().is_empty() => {
                    Err(broke("it returned an empty remote id".to_owned()))
                }
                Ok(w) if w.remote_id.len() > MAX_REMOTE_ID_BYTES => Err(broke(format!(
                    "it returned a remote id of {} bytes, more than {MAX_REMOTE_ID_BYTES}",
                    w.remote_id.len()
                ))),
                Ok(w) if ids.get(&w.remote_id).copied().unwrap_or(0) > 1 => Err(broke(format!(
                    "it returned remote id {:?} for more than one record of the batch",
                    w.remote_id
                ))),
                Ok(w) if sent_to.is_some_and(|id| id != w.remote_id) => Err(broke(format!(
                    "it answered the update of {} with another id, {:?}",
                    sent_to.unwrap_or_default(),
                    w.remote_id
                ))),
                Ok(w) => match linked_to(&w.remote_id).filter(|k| k != key) {
                    Some(other) => Err(broke(format!(
                        "it returned remote id {:?}, which is already linked to Tracker Pro record {other}",
                        w.remote_id
                    ))),
                    None => Ok(w.clone()),
                },
            },
            _ => Err(broke(
                "it returned more than one result for this record".to_owned(),
            )),
        };
        out.insert(key.to_owned(), outcome);
    }
    out
}

/// The outcome [`check`] gave the record with `key`. `check` answers every key it was
/// given, so the fallback only guards a caller asking for a key it did not send.
pub fn take(
    checked: &mut HashMap<String, Result<Written, Refusal>>,
    plugin: &str,
    key: &str,
) -> Result<Written, Refusal> {
    checked.remove(key).unwrap_or_else(|| {
        Err(Refusal::failed(format!(
            "connector {plugin} returned no result for it"
        )))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::WriteAction;

    fn ok(key: &str, id: &str) -> PushResult {
        PushResult {
            key: key.into(),
            outcome: Ok(Written {
                remote_id: id.into(),
                version: None,
                action: WriteAction::Created,
                note: None,
            }),
        }
    }

    fn rule(r: &str) -> String {
        format!(
            "connector evil broke the contract: {r}; nothing was recorded for this record — report it to the connector's author and run again"
        )
    }

    #[test]
    fn results_are_matched_by_key_not_position() {
        let out = check(
            "evil",
            [("A", None), ("B", None)].into_iter(),
            vec![ok("B", "2"), ok("A", "1")],
            |_| None,
        );
        assert_eq!(out["A"].as_ref().unwrap().remote_id, "1");
        assert_eq!(out["B"].as_ref().unwrap().remote_id, "2");
    }

    #[test]
    fn every_broken_rule_fails_its_record_naming_the_plugin() {
        let long = "x".repeat(256);
        let out = check(
            "evil",
            [
                ("A", None),
                ("B", None),
                ("C", None),
                ("D", None),
                ("E", None),
                ("F", Some("9")),
            ]
            .into_iter(),
            vec![
                ok("B", ""),
                ok("C", &long),
                ok("D", "SAME"),
                ok("E", "SAME"),
                ok("F", "8"),
            ],
            |_| None,
        );
        assert_eq!(
            out["A"].clone().map_err(|e| e.reason),
            Err(rule("it returned no result for this record"))
        );
        assert_eq!(
            out["B"].clone().map_err(|e| e.reason),
            Err(rule("it returned an empty remote id"))
        );
        assert_eq!(
            out["C"].clone().map_err(|e| e.reason),
            Err(rule("it returned a remote id of 256 bytes, more than 255"))
        );
        assert_eq!(
            out["D"].clone().map_err(|e| e.reason),
            Err(rule(
                "it returned remote id \"SAME\" for more than one record of the batch"
            ))
        );
        assert_eq!(out["D"], out["E"]);
        assert_eq!(
            out["F"].clone().map_err(|e| e.reason),
            Err(rule("it answered the update of 9 with another id, \"8\""))
        );
    }

    #[test]
    fn an_id_linked_to_another_record_is_refused() {
        let out = check(
            "evil",
            [("A", None)].into_iter(),
            vec![ok("A", "7")],
            |id| (id == "7").then(|| "Z".to_owned()),
        );
        assert_eq!(
            out["A"].clone().map_err(|e| e.reason),
            Err(rule(
                "it returned remote id \"7\", which is already linked to Tracker Pro record Z"
            ))
        );
    }
}
