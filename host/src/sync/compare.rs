//! Compare: what a transfer would do to each record, before it does anything.
//!
//! Each record is classified as the Tracker Pro screens show it:
//! - **Add**: not in the target yet (or it was deleted there since the last sync);
//! - **Update**: changed on the sending side since the last sync, or an unlinked record that
//!   matches exactly one record on the other side (it will be linked, then updated);
//! - **Unchanged**: nothing to send;
//! - **Conflict**: changed on both sides since the last sync, or it matches several
//!   records on the other side. Conflicts are never applied by `--all`; a person decides.
//!
//! "Changed since the last sync" compares content fingerprints with those the id map
//! recorded when the record was last synced.

use serde::{Deserialize, Serialize};

use super::diff::{self, FieldDiff};
use super::fingerprint;
use crate::runtime::bindings::Customer;

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Tracker Pro → target.
    Push,
    /// Target → Tracker Pro.
    Pull,
}

/// What a transfer would do to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Create it on the receiving side.
    Add,
    /// Change it on the receiving side.
    Update,
    /// Nothing to do.
    Unchanged,
    /// A person must decide.
    Conflict,
}

/// One id-map entry: a home record linked to a remote one, and the fingerprints of both
/// sides when they were last in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Home (Tracker Pro) key.
    pub home_key: String,
    /// Id in the target.
    pub remote_id: String,
    /// Fingerprint of the home record at the last sync.
    pub home_fingerprint: String,
    /// Fingerprint of the remote record at the last sync.
    pub remote_fingerprint: String,
}

/// One row of a compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Home key, when the record exists at home.
    pub home_key: Option<String>,
    /// Remote id, when it exists in the target.
    pub remote_id: Option<String>,
    /// Display name.
    pub name: String,
    /// The classification.
    pub action: Action,
    /// Why, in a sentence.
    pub reason: String,
    /// Field differences (Update and Conflict).
    pub diffs: Vec<FieldDiff>,
}

fn same_identity(a: &Customer, b: &Customer) -> bool {
    let eq = |x: &Option<String>, y: &Option<String>, norm: fn(&str) -> String| match (x, y) {
        (Some(x), Some(y)) => !x.trim().is_empty() && norm(x) == norm(y),
        _ => false,
    };
    a.name.trim().eq_ignore_ascii_case(b.name.trim())
        || eq(&a.email, &b.email, |s| s.trim().to_ascii_lowercase())
        || eq(&a.tax_number, &b.tax_number, |s| {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect()
        })
}

/// Compare customers. `home` are the eligible home customers (key = home key), `remote`
/// everything pulled from the target (remote_id set), `links` the id map for this
/// connection.
pub fn customers(
    home: &[Customer],
    remote: &[Customer],
    links: &[Link],
    direction: Direction,
) -> Vec<Item> {
    let (from, to): (&[Customer], &[Customer]) = match direction {
        Direction::Push => (home, remote),
        Direction::Pull => (remote, home),
    };
    let side_key = |c: &Customer, sending: bool| -> Option<String> {
        match (direction, sending) {
            (Direction::Push, true) | (Direction::Pull, false) => Some(c.key.clone()),
            _ => c.remote_id.clone(),
        }
    };
    let link_of = |c: &Customer, sending: bool| {
        let k = side_key(c, sending)?;
        links.iter().find(|l| match (direction, sending) {
            (Direction::Push, true) | (Direction::Pull, false) => l.home_key == k,
            _ => l.remote_id == k,
        })
    };
    let partner_of = |l: &Link| {
        to.iter().find(|c| match direction {
            Direction::Push => c.remote_id.as_deref() == Some(l.remote_id.as_str()),
            Direction::Pull => c.key == l.home_key,
        })
    };

    let mut items = Vec::new();
    for record in from {
        let (home_key, remote_id) = match direction {
            Direction::Push => (Some(record.key.clone()), None),
            Direction::Pull => (None, record.remote_id.clone()),
        };
        let mut item = Item {
            home_key,
            remote_id,
            name: record.name.clone(),
            action: Action::Add,
            reason: String::new(),
            diffs: Vec::new(),
        };
        // (home record, remote record) of a pair, whichever side is sending.
        let home_side = |s: &Customer, o: &Customer| match direction {
            Direction::Push => (s.clone(), o.clone()),
            Direction::Pull => (o.clone(), s.clone()),
        };
        if let Some(link) = link_of(record, true) {
            item.home_key = Some(link.home_key.clone());
            item.remote_id = Some(link.remote_id.clone());
            match partner_of(link) {
                None => {
                    item.action = Action::Add;
                    item.reason = match direction {
                        Direction::Push => {
                            "linked, but no longer in the target; it will be created again"
                                .to_owned()
                        }
                        Direction::Pull => {
                            "linked, but no longer in Tracker Pro; it will be created again"
                                .to_owned()
                        }
                    };
                }
                Some(partner) => {
                    let (h, r) = home_side(record, partner);
                    let home_changed = fingerprint::customer(&h) != link.home_fingerprint;
                    let remote_changed = fingerprint::customer(&r) != link.remote_fingerprint;
                    let (sender_changed, receiver_changed) = match direction {
                        Direction::Push => (home_changed, remote_changed),
                        Direction::Pull => (remote_changed, home_changed),
                    };
                    item.diffs = diff::customers(&h, &r);
                    (item.action, item.reason) = match (sender_changed, receiver_changed) {
                        (true, true) => (Action::Conflict, "changed in Tracker Pro and in the target since the last sync".to_owned()),
                        (true, false) => (Action::Update, "changed since the last sync".to_owned()),
                        (false, true) => (Action::Unchanged, "changed only on the receiving side since the last sync; transfer the other way to bring it over".to_owned()),
                        (false, false) => (Action::Unchanged, "unchanged since the last sync".to_owned()),
                    };
                    if item.action == Action::Unchanged && !receiver_changed {
                        item.diffs.clear();
                    }
                }
            }
        } else {
            // Not linked yet: look for the same customer on the other side, among the
            // records that are not linked to something else.
            let candidates: Vec<&Customer> = to
                .iter()
                .filter(|o| link_of(o, false).is_none())
                .filter(|o| same_identity(record, o))
                .collect();
            match candidates.as_slice() {
                [] => {
                    item.action = Action::Add;
                    item.reason = "not in the receiving side yet".to_owned();
                }
                [one] => {
                    let (h, r) = home_side(record, one);
                    item.home_key = Some(h.key.clone());
                    item.remote_id = r.remote_id.clone();
                    item.diffs = diff::customers(&h, &r);
                    if item.diffs.is_empty() {
                        item.action = Action::Unchanged;
                        item.reason = "matches an existing record; it will be linked".to_owned();
                    } else {
                        item.action = Action::Update;
                        item.reason = "matches an existing record by name, e-mail or tax number; it will be linked and updated".to_owned();
                    }
                }
                many => {
                    item.action = Action::Conflict;
                    let ids: Vec<String> = many
                        .iter()
                        .map(|c| match direction {
                            Direction::Push => c.remote_id.clone().unwrap_or_default(),
                            Direction::Pull => c.key.clone(),
                        })
                        .collect();
                    item.reason = format!(
                        "matches {} records on the receiving side ({}); choose one by hand",
                        many.len(),
                        ids.join(", ")
                    );
                }
            }
        }
        items.push(item);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::fingerprint::tests::customer_named;

    fn home(key: &str, name: &str) -> Customer {
        Customer {
            key: key.into(),
            ..customer_named(name)
        }
    }

    fn remote(id: &str, name: &str) -> Customer {
        Customer {
            key: String::new(),
            remote_id: Some(id.into()),
            ..customer_named(name)
        }
    }

    fn link(h: &Customer, r: &Customer) -> Link {
        Link {
            home_key: h.key.clone(),
            remote_id: r.remote_id.clone().unwrap_or_default(),
            home_fingerprint: fingerprint::customer(h),
            remote_fingerprint: fingerprint::customer(r),
        }
    }

    #[test]
    fn push_classifies_add_update_unchanged_and_conflict() {
        let h_new = home("TP-1", "New Co");
        let h_same = home("TP-2", "Same Co");
        let r_same = remote("C-2", "Same Co");
        let mut h_changed = home("TP-3", "Changed Co");
        let r_changed = remote("C-3", "Changed Co");
        let mut h_both = home("TP-4", "Both Co");
        let mut r_both = remote("C-4", "Both Co");
        let links = vec![
            link(&h_same, &r_same),
            link(&h_changed, &r_changed),
            link(&h_both, &r_both),
        ];
        h_changed.email = Some("new@changed.example".into());
        h_both.phone = Some("1".into());
        r_both.phone = Some("2".into());

        let items = customers(
            &[h_new, h_same, h_changed, h_both],
            &[r_same, r_changed, r_both],
            &links,
            Direction::Push,
        );
        let actions: Vec<_> = items
            .iter()
            .map(|i| (i.home_key.clone().unwrap_or_default(), i.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("TP-1".to_owned(), Action::Add),
                ("TP-2".to_owned(), Action::Unchanged),
                ("TP-3".to_owned(), Action::Update),
                ("TP-4".to_owned(), Action::Conflict),
            ]
        );
        assert_eq!(
            items[2].diffs,
            vec![FieldDiff {
                field: "email".into(),
                home: Some("new@changed.example".into()),
                remote: Some("a@b.example".into())
            }]
        );
        assert_eq!(
            items[3].diffs,
            vec![FieldDiff {
                field: "phone".into(),
                home: Some("1".into()),
                remote: Some("2".into())
            }]
        );
        assert_eq!(
            items[3].reason,
            "changed in Tracker Pro and in the target since the last sync"
        );
    }

    #[test]
    fn unlinked_records_link_to_one_match_and_never_guess_between_several() {
        let h = home("TP-9", "Harbour Plumbing");
        let mut r = remote("C-9", "HARBOUR PLUMBING");
        r.email = Some("ap@harbour.example".into());
        let items = customers(std::slice::from_ref(&h), &[r.clone()], &[], Direction::Push);
        assert_eq!(items[0].action, Action::Update);
        assert_eq!(items[0].remote_id.as_deref(), Some("C-9"));

        let twin = remote("C-10", "Harbour Plumbing");
        let items = customers(&[h], &[r, twin], &[], Direction::Push);
        assert_eq!(items[0].action, Action::Conflict);
        assert_eq!(
            items[0].reason,
            "matches 2 records on the receiving side (C-9, C-10); choose one by hand"
        );
    }

    #[test]
    fn pull_is_the_mirror_image() {
        let h = home("TP-1", "Acme");
        let r = remote("C-1", "Acme");
        let l = link(&h, &r);
        let mut r2 = r.clone();
        r2.email = Some("new@acme.example".into());
        let fresh = remote("C-2", "Brand New");
        let items = customers(&[h], &[r2, fresh], &[l], Direction::Pull);
        assert_eq!(items[0].action, Action::Update);
        assert_eq!(items[0].home_key.as_deref(), Some("TP-1"));
        assert_eq!(items[1].action, Action::Add);
        assert_eq!(items[1].remote_id.as_deref(), Some("C-2"));
    }
}
